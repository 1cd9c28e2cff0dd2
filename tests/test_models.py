"""labutils.models: torchvision's parameter counts, shapes, and the two tweaks."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from labutils import models


@pytest.mark.parametrize(("ours", "theirs", "expected"), [
    (models.resnet18, torchvision.models.resnet18, 11_689_512),
    (models.resnet34, torchvision.models.resnet34, 21_797_672),
    (models.resnet50, torchvision.models.resnet50, 25_557_032),
])
def test_parameter_counts_equal_torchvision(ours, theirs, expected):
    with torch.device("meta"):
        reference = theirs(weights=None)
    assert models.count_parameters(ours()) == models.count_parameters(reference) == expected


def test_resnet_d_changes_no_parameter_count_and_no_shape():
    plain, tweaked = models.resnet50(), models.resnet50(avg_down=True)
    assert models.count_parameters(plain) == models.count_parameters(tweaked)
    x = torch.randn(2, 3, 64, 64)
    plain.eval(), tweaked.eval()
    with torch.no_grad():
        assert plain(x).shape == tweaked(x).shape == (2, 1000)


@pytest.mark.parametrize("size", [7, 8])
def test_resnet_d_shortcut_sees_every_pixel_and_matches_the_main_path(size):
    block = models.BasicBlock(4, 8, stride=2, avg_down=True).eval()
    assert isinstance(block.shortcut[0], nn.AvgPool2d)
    x = torch.randn(1, 4, size, size, requires_grad=True)
    block.shortcut(x).sum().backward()
    assert (x.grad.abs().sum(dim=1) > 0).all()
    assert block(x).shape == (1, 8, (size + 1) // 2, (size + 1) // 2)


def test_plain_projection_skips_three_pixels_in_four():
    path = models.shortcut(4, 8, stride=2).eval()
    x = torch.randn(1, 4, 8, 8, requires_grad=True)
    path(x).sum().backward()
    assert (x.grad.abs().sum(dim=1) > 0).float().mean() == 0.25


def test_identity_shortcut_when_the_shape_is_kept():
    assert isinstance(models.shortcut(8, 8, 1), nn.Identity)
    assert isinstance(models.shortcut(8, 8, 1, avg_down=True), nn.Identity)


def test_zero_init_makes_every_block_start_as_the_identity():
    net = models.ResNet(models.Bottleneck, [2, 2], widths=(4, 8), num_classes=3,
                        stem=models.small_stem(3, 4), zero_init_residual=True)
    for stage in net.stages:
        for block in stage:
            assert torch.all(block.last_bn.weight == 0)
    block = net.stages[0][1]  # identity shortcut
    x = torch.relu(torch.randn(2, 16, 5, 5))
    assert torch.equal(block(x), x)


def test_small_network_and_stem_argument():
    stem = models.small_stem(1, 8, stride=2)
    net = models.ResNet(models.BasicBlock, [1, 1, 1], widths=(8, 16, 32), num_classes=10,
                        in_channels=1, stem=stem)
    assert net.stem is stem
    assert net(torch.randn(3, 1, 28, 28)).shape == (3, 10)


def test_mismatched_configuration_is_explained():
    with pytest.raises(ValueError, match="one entry per stage"):
        models.ResNet(models.BasicBlock, [2, 2], widths=(8, 16, 32))
