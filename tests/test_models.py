"""labutils.models: lab 04's own code (``make notebooks`` writes it from the notebook),
torchvision's counts, and lab 08's two tweaks."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from labutils import models


@pytest.mark.parametrize(("block", "stages", "theirs", "expected"), [
    ("BasicBlock", [2, 2, 2, 2], torchvision.models.resnet18, 11_689_512),
    ("BasicBlock", [3, 4, 6, 3], torchvision.models.resnet34, 21_797_672),
    ("Bottleneck", [3, 4, 6, 3], torchvision.models.resnet50, 25_557_032),
])
def test_parameter_counts_and_state_dict_equal_torchvision(block, stages, theirs, expected):
    ours = models.ResNet(getattr(models, block), stages)
    with torch.device("meta"):
        reference = theirs(weights=None)
    assert models.count_parameters(ours) == models.count_parameters(reference) == expected
    our_shapes = [tuple(t.shape) for t in ours.state_dict().values()]
    their_shapes = [tuple(t.shape) for t in reference.state_dict().values()]
    assert our_shapes == their_shapes


def test_count_parameters_counts_the_frozen_ones_only_when_asked():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))  # 16 + 10 numbers
    model[0].requires_grad_(False)
    assert models.count_parameters(model) == 10
    assert models.count_parameters(model, trainable_only=False) == 26


def test_resnet_d_keeps_the_parameter_count_and_the_shapes():
    plain = models.ResNet(models.Bottleneck, [1, 1], widths=(8, 16), num_classes=5)
    tweaked = models.use_avg_down(models.ResNet(models.Bottleneck, [1, 1], widths=(8, 16),
                                                num_classes=5))
    assert models.count_parameters(plain) == models.count_parameters(tweaked)
    assert isinstance(tweaked.stages[1][0].shortcut[0], nn.AvgPool2d)
    assert not isinstance(tweaked.stages[0][0].shortcut[0], nn.AvgPool2d)  # stride 1
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert plain.eval()(x).shape == tweaked.eval()(x).shape == (2, 5)


@pytest.mark.parametrize("size", [7, 8])
def test_resnet_d_shortcut_sees_every_pixel_and_matches_the_main_path(size):
    net = models.use_avg_down(models.ResNet(models.BasicBlock, [1, 1], widths=(4, 8),
                                            stem=nn.Identity(), in_channels=4))
    block = net.stages[1][0].eval()
    x = torch.randn(1, 4, size, size, requires_grad=True)
    block.shortcut(x).sum().backward()
    assert (x.grad.abs().sum(dim=1) > 0).all()
    assert block(x).shape == (1, 8, (size + 1) // 2, (size + 1) // 2)


def test_plain_projection_skips_three_pixels_in_four():
    path = models.shortcut(4, 8, stride=2).eval()
    x = torch.randn(1, 4, 8, 8, requires_grad=True)
    path(x).sum().backward()
    assert (x.grad.abs().sum(dim=1) > 0).float().mean() == 0.25


def test_shortcut_is_the_one_lab_04s_blocks_build():
    block = models.BasicBlock(4, 8, stride=2)
    assert str(block.shortcut) == str(models.shortcut(4, 8, stride=2))
    assert isinstance(models.shortcut(8, 8, 1), nn.Identity)
    assert isinstance(models.shortcut(8, 8, 1, avg_down=True), nn.Identity)


def test_zero_init_makes_every_identity_block_start_as_the_identity():
    net = models.zero_init_last_bn(models.ResNet(
        models.Bottleneck, [2, 2], widths=(4, 8), num_classes=3, stem=models.small_stem(3, 4)))
    for stage in net.stages:
        for block in stage:
            last = block.bn3 if isinstance(block, models.Bottleneck) else block.bn2
            assert torch.all(last.weight == 0)
    block = net.stages[0][1]  # identity shortcut
    x = torch.relu(torch.randn(2, 16, 5, 5))
    assert torch.equal(block(x), x)


def test_small_network_and_stem_argument():
    stem = models.small_stem(1, 8, stride=2)
    net = models.ResNet(models.BasicBlock, [1, 1, 1], widths=(8, 16, 32), num_classes=10,
                        in_channels=1, stem=stem)
    assert net.stem is stem
    assert net(torch.randn(3, 1, 28, 28)).shape == (3, 10)
