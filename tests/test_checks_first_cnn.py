"""check_vgg_block against the right answer and against each typical wrong answer."""

from __future__ import annotations

import pytest
import torch
from labutils_answers import lab02
from torch import nn

from labutils.checks import CheckFailed, NotImplementedYet, assert_target, first_cnn
from labutils.checks.first_cnn import check_vgg_block
from labutils.checks.registry import exercises, targets

# The checks alone, without the guard of their registration (reference.exercise), which
# would name the workbook's own answers these tests use instead of checking them.
check_vgg_block = check_vgg_block.__wrapped__


def right(in_channels, out_channels, num_convs=2, batch_norm=True, activation=nn.ReLU,
          pool=True):
    layers = []
    for i in range(num_convs):
        layers.append(nn.Conv2d(in_channels if i == 0 else out_channels, out_channels,
                                kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(activation())
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def builder(conv=None, norm=None, act=None, pool_layer=None, order=None, wrap=nn.Sequential):
    """A vgg_block with one part swapped for a wrong version."""
    def vgg_block(in_channels, out_channels, num_convs=2, batch_norm=True, activation=nn.ReLU,
                  pool=True):
        layers = []
        for i in range(num_convs):
            cin = in_channels if i == 0 else out_channels
            c = conv(cin, out_channels, i, in_channels) if conv else nn.Conv2d(
                cin, out_channels, 3, padding=1)
            n = (norm(out_channels, in_channels) if norm else nn.BatchNorm2d(out_channels)) \
                if batch_norm else None
            a = act(activation) if act else activation()
            parts = [c, n, a] if order is None else order(c, n, a)
            layers += [p for p in parts if p is not None]
        if pool_layer is not None:
            layers += pool_layer(pool)
        elif pool:
            layers.append(nn.MaxPool2d(2))
        return wrap(*layers) if wrap is nn.Sequential else wrap(layers)
    return vgg_block


def message(vgg_block) -> str:
    with pytest.raises(CheckFailed) as caught:
        check_vgg_block(vgg_block)
    return str(caught.value)


def test_right_answer_passes(capsys):
    check_vgg_block(right)
    assert "vgg_block: all 4 configurations built and checked" in capsys.readouterr().out


def test_nested_sequentials_are_fine(capsys):
    def nested(in_channels, out_channels, num_convs=2, batch_norm=True, activation=nn.ReLU,
               pool=True):
        inner = right(in_channels, out_channels, num_convs, batch_norm, activation, pool=False)
        return nn.Sequential(inner, nn.MaxPool2d(2)) if pool else nn.Sequential(inner)
    check_vgg_block(nested)
    assert "all 4 configurations" in capsys.readouterr().out


def test_stub_says_not_done():
    def stub(*args, **kwargs):
        raise NotImplementedError()
    with pytest.raises(NotImplementedYet, match="not done yet"):
        check_vgg_block(stub)


def test_activation_class_instead_of_instance():
    text = message(builder(act=lambda activation: activation))
    assert "The activation class itself" in text
    assert "activation()" in text


def test_missing_kernel_size():
    text = message(builder(conv=lambda cin, cout, i, first: nn.Conv2d(cin, cout, padding=1)))
    assert "kernel_size" in text and "missing" in text
    assert "Hint: nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1)" in text


def test_missing_padding():
    text = message(builder(conv=lambda cin, cout, i, first: nn.Conv2d(cin, cout, 3)))
    assert "has padding=(0, 0)" in text
    assert "Expected padding=1" in text


def test_wrong_kernel_size():
    text = message(builder(conv=lambda cin, cout, i, first: nn.Conv2d(cin, cout, 5, padding=1)))
    assert "kernel_size=(5, 5)" in text


def test_every_conv_reads_in_channels():
    text = message(builder(conv=lambda cin, cout, i, first: nn.Conv2d(first, cout, 3,
                                                                      padding=1)))
    assert "convolution 2 takes 3 input channels" in text
    assert "Hint: only the first convolution reads in_channels" in text


def test_first_conv_with_wrong_input_channels():
    text = message(builder(conv=lambda cin, cout, i, first: nn.Conv2d(cout, cout, 3,
                                                                      padding=1)))
    assert "convolution 1 takes 8 input channels" in text
    assert "Expected in_channels=1" in text


def test_num_convs_ignored():
    def two_convs(in_channels, out_channels, num_convs=2, **kwargs):
        return right(in_channels, out_channels, 2, **kwargs)
    assert "holds 2 nn.Conv2d layers" in message(two_convs)


def test_one_shared_conv():
    def shared(in_channels, out_channels, num_convs=2, batch_norm=True, activation=nn.ReLU,
               pool=True):
        first = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        same = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        layers = [first, *([nn.BatchNorm2d(out_channels)] if batch_norm else []), activation()]
        for _ in range(num_convs - 1):
            layers += [same, *([nn.BatchNorm2d(out_channels)] if batch_norm else []),
                       activation()]
        return nn.Sequential(*layers, *([nn.MaxPool2d(2)] if pool else []))
    assert "uses the same nn.Conv2d object" in message(shared)


def test_batch_norm_ignored():
    def always(in_channels, out_channels, num_convs=2, batch_norm=True, **kwargs):
        return right(in_channels, out_channels, num_convs, True, **kwargs)
    assert "Expected none when batch_norm=False" in message(always)

    def never(in_channels, out_channels, num_convs=2, batch_norm=True, **kwargs):
        return right(in_channels, out_channels, num_convs, False, **kwargs)
    assert "holds 0 batch-norm layers" in message(never)


def test_batch_norm_on_the_wrong_channels():
    text = message(builder(norm=lambda cout, cin: nn.BatchNorm2d(cin)))
    assert "a batch norm normalises 3 channels" in text


def test_fixed_relu_instead_of_activation():
    text = message(builder(act=lambda activation: nn.ReLU()))
    assert "uses ReLU but no SiLU" in text
    assert "activation()" in text


def test_pool_ignored():
    def never(in_channels, out_channels, num_convs=2, batch_norm=True, activation=nn.ReLU,
              pool=True):
        return right(in_channels, out_channels, num_convs, batch_norm, activation, False)
    assert "holds 0 nn.MaxPool2d layers" in message(never)

    def always(in_channels, out_channels, num_convs=2, batch_norm=True, activation=nn.ReLU,
               pool=True):
        return right(in_channels, out_channels, num_convs, batch_norm, activation, True)
    assert "Expected none when pool=False" in message(always)


def test_activation_before_batch_norm():
    text = message(builder(order=lambda c, n, a: [c, a, n]))
    assert "has its layers in this order: [Conv2d, SiLU, BatchNorm2d" in text
    assert "Expected [Conv2d, BatchNorm2d, SiLU" in text


def test_returns_a_list():
    text = message(builder(wrap=list))
    assert "returned a list, not a PyTorch module" in text
    assert "nn.Sequential(*layers)" in text


def test_average_pool_instead_of_max_pool():
    text = message(builder(pool_layer=lambda pool: [nn.AvgPool2d(2)] if pool else []))
    assert "holds 0 nn.MaxPool2d layers" in text


def test_crash_in_forward_is_reported_as_a_message():
    class Broken(nn.Module):
        def __init__(self, block):
            super().__init__()
            self.block = block

        def forward(self, x):
            return self.block(x).view(3, -1)

    def broken(*args, **kwargs):
        return Broken(right(*args, **kwargs))
    text = message(broken)
    assert "applied to a batch of shape (2, 1, 28, 28) raised RuntimeError" in text


def test_check_leaves_the_notebooks_random_numbers_alone(capsys):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    check_vgg_block(right)
    assert torch.equal(torch.get_rng_state(), before)


# ------------------------------------------------------------------ answers written by others


def test_padding_same_is_accepted(capsys):
    check_vgg_block(builder(conv=lambda cin, cout, i, first: nn.Conv2d(cin, cout, 3,
                                                                       padding="same")))
    assert "all 4 configurations built and checked" in capsys.readouterr().out


def test_named_layers_in_an_ordered_dict_are_accepted(capsys):
    from collections import OrderedDict

    def named(in_channels, out_channels, num_convs=2, batch_norm=True, activation=nn.ReLU,
              pool=True):
        layers = OrderedDict()
        channels = in_channels
        for i in range(num_convs):
            layers[f"conv{i}"] = nn.Conv2d(channels, out_channels, kernel_size=(3, 3),
                                           padding=(1, 1), bias=not batch_norm)
            if batch_norm:
                layers[f"norm{i}"] = nn.BatchNorm2d(out_channels)
            layers[f"act{i}"] = activation()
            channels = out_channels
        if pool:
            layers["pool"] = nn.MaxPool2d(kernel_size=2, stride=2)
        return nn.Sequential(layers)

    check_vgg_block(named)
    assert "all 4 configurations built and checked" in capsys.readouterr().out


def test_a_strided_convolution_instead_of_the_pool():
    text = message(builder(conv=lambda cin, cout, i, first: nn.Conv2d(cin, cout, 3, padding=1,
                                                                      stride=2 if i else 1)))
    assert "has stride=(2, 2)" in text and "only the max-pool shrinks the image" in text


def test_a_pool_after_every_convolution():
    text = message(builder(order=lambda c, n, a: [c, n, a, nn.MaxPool2d(2)]))
    assert "nn.MaxPool2d layers" in text


def test_batch_norm_1d_for_images():
    text = message(builder(norm=lambda cout, cin: nn.BatchNorm1d(cout)))
    assert "uses BatchNorm1d" in text and "nn.BatchNorm2d, the batch norm for images" in text


def test_a_dilated_convolution_is_named():
    text = message(builder(conv=lambda cin, cout, i, first: nn.Conv2d(cin, cout, 3, padding=2,
                                                                      dilation=2)))
    assert "has dilation=(2, 2)" in text


def test_padding_same_with_another_kernel_is_still_refused_for_the_kernel():
    text = message(builder(conv=lambda cin, cout, i, first: nn.Conv2d(cin, cout, 5,
                                                                      padding="same")))
    assert "kernel_size=(5, 5)" in text and "shrinks" not in text


def test_lab_02_lists_its_exercise_hints_and_target():
    (exercise,) = exercises(2)
    assert exercise.name == "vgg_block" and 2 <= len(exercise.hints) <= 3
    (target,) = targets(2)
    assert first_cnn.TARGETS == (target,)
    assert target.goal == 0.985 and target.percent and target.higher_is_better
    assert target.advice


def test_the_reference_vgg_block_passes_its_check(capsys):
    check_vgg_block(lab02.vgg_block)
    assert "vgg_block: all 4 configurations" in capsys.readouterr().out


def test_a_missed_target_says_the_value_the_goal_and_what_helps():
    name = first_cnn.TARGETS[0].name
    with pytest.raises(CheckFailed) as caught:
        assert_target(name, 0.981)
    text = str(caught.value)
    assert "98.10%" in text and "98.50%" in text and "fresh model" in text


def test_a_reached_target_says_so(capsys):
    assert_target(first_cnn.TARGETS[0].name, 0.99)
    assert "99.00%" in capsys.readouterr().out
