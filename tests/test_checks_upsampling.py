"""The checks of lab 05 accept right answers and name each typical mistake."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from labutils.checks import CheckFailed, NotImplementedYet
from labutils.checks.upsampling import (
    check_conv_transpose_by_hand,
    check_conv_transpose_output_size,
    check_result_by_hand,
    check_unet,
    check_zero_insert_and_pad,
    random_transpose_configs,
)

# The checks alone, without the guard of their registration (reference.exercise), which
# would name the workbook's own answers these tests use instead of checking them.
check_conv_transpose_by_hand = check_conv_transpose_by_hand.__wrapped__
check_conv_transpose_output_size = check_conv_transpose_output_size.__wrapped__
check_result_by_hand = check_result_by_hand.__wrapped__
check_unet = check_unet.__wrapped__
check_zero_insert_and_pad = check_zero_insert_and_pad.__wrapped__


def fails_with(check, answer, *phrases):
    with pytest.raises(CheckFailed) as error:
        check(answer)
    message = str(error.value)
    for phrase in phrases:
        assert phrase in message, f"{phrase!r} not in:\n{message}"
    return message


# --------------------------------------------------------------------------- by hand


def scatter(x, kernel, stride=1, flip=False, add=True, step=None):
    kernel = kernel.flip(0, 1) if flip else kernel
    kh, kw = kernel.shape
    step = stride if step is None else step
    out = torch.zeros((x.shape[0] - 1) * stride + kh, (x.shape[1] - 1) * stride + kw)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            block = out[i * step:i * step + kh, j * step:j * step + kw]
            if add:
                block += x[i, j] * kernel
            else:
                block[...] = x[i, j] * kernel
    return out


def test_by_hand_accepts_a_scatter_loop(capsys):
    check_conv_transpose_by_hand(scatter)
    assert "all 4 checks passed" in capsys.readouterr().out


def test_by_hand_accepts_numpy_and_torch_one_liner():
    check_conv_transpose_by_hand(
        lambda x, k, stride=1: F.conv_transpose2d(x[None, None], k[None, None],
                                                  stride=stride)[0, 0].numpy())


def test_by_hand_example_values():
    x = torch.tensor([[1.0, 5.0], [3.0, 2.0]])
    k = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert scatter(x, k).tolist() == [[0, 1, 5], [2, 16, 17], [6, 13, 6]]


def test_by_hand_stub():
    def stub(x, kernel, stride=1):
        raise NotImplementedError()

    with pytest.raises(NotImplementedYet, match="not done yet"):
        check_conv_transpose_by_hand(stub)


def test_by_hand_ordinary_convolution():
    fails_with(check_conv_transpose_by_hand,
               lambda x, k, stride=1: F.conv2d(x[None, None], k[None, None])[0, 0],
               "size of an ordinary (valid) convolution", "shape (3, 3)")


def test_by_hand_flipped_kernel():
    fails_with(check_conv_transpose_by_hand,
               lambda x, k, stride=1: scatter(x, k, stride, flip=True),
               "flipped kernel", "[[0, 1, 5], [2, 16, 17], [6, 13, 6]]")


def test_by_hand_overwrites_instead_of_adding():
    fails_with(check_conv_transpose_by_hand,
               lambda x, k, stride=1: scatter(x, k, stride, add=False), "use +=")


def test_by_hand_ignores_stride_when_placing():
    fails_with(check_conv_transpose_by_hand,
               lambda x, k, stride=1: scatter(x, k, stride, step=1), "one pixel apart")


def test_by_hand_wrong_size_for_stride():
    fails_with(check_conv_transpose_by_hand,
               lambda x, k, stride=1: scatter(x, k, 1), "stride=2", "(n - 1) * stride + k")


def test_by_hand_returns_nothing():
    fails_with(check_conv_transpose_by_hand, lambda x, k, stride=1: None, "not numbers")


def test_by_hand_other_wrong_values():
    fails_with(check_conv_transpose_by_hand, lambda x, k, stride=1: scatter(x, k, stride) + 1,
               "off by up to 1")


def test_by_hand_crash_names_the_call():
    def crashes(x, kernel, stride=1):
        return x @ torch.zeros(5, 5)

    fails_with(check_conv_transpose_by_hand, crashes, "raised RuntimeError",
               "conv_transpose_by_hand(x=[[1, 5], [3, 2]]")


# --------------------------------------------------------------------------- zero insertion


def zero_insert(x, stride, kernel_size, padding, zeros=None, pad=None, trailing=False):
    zeros = stride - 1 if zeros is None else zeros
    pad = kernel_size - padding - 1 if pad is None else pad
    n, c, h, w = x.shape
    extra = zeros if trailing else 0
    spread = x.new_zeros(n, c, (h - 1) * (zeros + 1) + 1 + extra, (w - 1) * (zeros + 1) + 1 + extra)
    spread[:, :, ::zeros + 1, ::zeros + 1] = x
    return F.pad(spread, [pad] * 4)


def test_zero_insert_accepts_right_answer(capsys):
    check_zero_insert_and_pad(zero_insert)
    assert "all 5 checks passed" in capsys.readouterr().out


@pytest.mark.parametrize(("change", "phrase"), [
    ({"zeros": "stride"}, "zeros between pixels"),
    ({"trailing": True}, "zeros after the last row"),
    ({"pad": "p"}, "instead of p'"),
    ({"pad": "k-1"}, "ignoring the padding p"),
    ({"pad": 0}, "did not pad at all"),
])
def test_zero_insert_names_the_mistake(change, phrase):
    def wrong(x, stride, kernel_size, padding):
        values = {"stride": stride, "p": padding, "k-1": kernel_size - 1}
        kwargs = {key: values.get(value, value) for key, value in change.items()}
        return zero_insert(x, stride, kernel_size, padding, **kwargs)

    fails_with(check_zero_insert_and_pad, wrong, phrase, "Expected shape")


def test_zero_insert_pixels_in_wrong_place():
    def shifted(x, stride, kernel_size, padding):
        return zero_insert(x, stride, kernel_size, padding).roll(1, dims=-1)

    fails_with(check_zero_insert_and_pad, shifted, "pixels are not where they should be")


def test_zero_insert_drops_batch_dimensions():
    fails_with(check_zero_insert_and_pad,
               lambda x, s, k, p: zero_insert(x, s, k, p)[0, 0], "(N, C, H', W')")


# --------------------------------------------------------------------------- output size


def right_size(n, k, s=1, p=0, d=1, output_padding=0):
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def test_random_configs_are_valid_and_varied():
    configs = random_transpose_configs()
    assert len(configs) == 200
    for config in configs[:40]:
        layer_size = nn.ConvTranspose2d(1, 1, config[1], stride=config[2], padding=config[3],
                                        dilation=config[4], output_padding=config[5])(
            torch.zeros(1, 1, config[0], config[0])).shape[-1]
        assert layer_size == right_size(*config)
    assert {c[4] for c in configs} == {1, 2, 3} and any(c[5] > 0 for c in configs)


def test_output_size_accepts_right_formula(capsys):
    check_conv_transpose_output_size(right_size)
    assert "all 200 configurations agree" in capsys.readouterr().out


def test_output_size_accepts_a_numpy_integer(capsys):
    check_conv_transpose_output_size(lambda *config: np.int64(right_size(*config)))
    assert "all 200 configurations agree" in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda n, k, s=1, p=0, d=1, output_padding=0: (n + 2 * p - d * (k - 1) - 1) // s + 1,
     "ordinary convolution"),
    (lambda n, k, s=1, p=0, d=1, output_padding=0: (n - 1) * s - 2 * p + k - 1
     + output_padding + 1, "dilation is missing"),
    (lambda n, k, s=1, p=0, d=1, output_padding=0: (n - 1) * s - 2 * p + d * (k - 1) + 1,
     "output_padding is missing"),
    (lambda n, k, s=1, p=0, d=1, output_padding=0: (n - 1) * s + 2 * p + d * (k - 1)
     + output_padding + 1, "wrong sign"),
    (lambda n, k, s=1, p=0, d=1, output_padding=0: (n - 1) * s - p + d * (k - 1)
     + output_padding + 1, "subtract 2p"),
    (lambda n, k, s=1, p=0, d=1, output_padding=0: (n - 1) * s - 2 * p + d * (k - 1)
     + output_padding, "final + 1"),
    (lambda n, k, s=1, p=0, d=1, output_padding=0: n * s - 2 * p + d * (k - 1)
     + output_padding + 1, "(n - 1) * s"),
    (lambda n, k, s=1, p=0, d=1, output_padding=0: (n - 1) * s / 2 + 1, "no division"),
    (lambda n, k, s=1, p=0, d=1, output_padding=0: 7, "configurations disagree"),
])
def test_output_size_names_the_mistake(wrong, phrase):
    fails_with(check_conv_transpose_output_size, wrong, phrase, "Expected")


def test_output_size_wrong_type():
    fails_with(check_conv_transpose_output_size, lambda *args: "26", "a whole number")


# --------------------------------------------------------------------------- U-Net


def block(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
                         nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU())


class GoodUNet(nn.Module):
    """A right answer; the flags below turn it into typical wrong ones."""

    skip = True
    cat_dim = 1
    extra_pool = False
    final_sigmoid = False
    add_instead = False

    def __init__(self, in_channels=3, out_channels=1, base_channels=16, depth=3):
        super().__init__()
        widths = [base_channels * 2 ** i for i in range(depth + 1)]
        self.down = nn.ModuleList()
        channels = in_channels
        for width in widths[:-1]:
            self.down.append(block(channels, width))
            channels = width
        self.bottleneck = block(widths[-2], widths[-1])
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
                                for i in reversed(range(depth)))
        factor = 2 if self.skip and not self.add_instead else 1
        self.decode = nn.ModuleList(block(factor * widths[i], widths[i])
                                    for i in reversed(range(depth)))
        self.head = nn.Conv2d(widths[0], out_channels, 1)

    def forward(self, x):
        skips = []
        for down in self.down:
            x = down(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        if self.extra_pool:
            x = F.max_pool2d(F.max_pool2d(x, 2), 1)
            x = F.interpolate(self.bottleneck(x), scale_factor=2)
        else:
            x = self.bottleneck(x)
        for up, decode, skip in zip(self.up, self.decode, reversed(skips)):
            x = up(x)
            if self.add_instead:
                x = x + skip
            elif self.skip:
                x = torch.cat([x, skip], dim=self.cat_dim) if self.cat_dim == 1 else \
                    torch.cat([x, skip], dim=self.cat_dim)[..., :x.shape[2], :]
                if self.cat_dim != 1:
                    x = torch.cat([x, x], dim=1)
            x = decode(x)
        x = self.head(x)
        return torch.sigmoid(x) if self.final_sigmoid else x


def variant(**flags):
    return type("StudentUNet", (GoodUNet,), flags)


def test_unet_accepts_right_answer(capsys):
    check_unet(GoodUNet)
    assert "UNet: all 16 checks passed" in capsys.readouterr().out


def test_unet_accepts_torch_concat_and_upsample():
    class Other(GoodUNet):
        def forward(self, x):
            skips = []
            for down in self.down:
                x = down(x)
                skips.append(x)
                x = nn.functional.max_pool2d(x, 2)
            x = self.bottleneck(x)
            for up, decode, skip in zip(self.up, self.decode, reversed(skips)):
                x = decode(torch.concat((up(x), skip), 1))
            return self.head(x)

    check_unet(Other)


def test_unet_needs_a_class():
    fails_with(check_unet, GoodUNet(), "not a class")


def test_unet_stub():
    class Stub(nn.Module):
        def __init__(self, in_channels=3, out_channels=1, base_channels=16, depth=3):
            super().__init__()
            raise NotImplementedError()

    with pytest.raises(NotImplementedYet):
        check_unet(Stub)


def test_unet_without_skips():
    fails_with(check_unet, variant(skip=False), "no torch.cat", "x = torch.cat([x, skip], dim=1)")


def test_unet_adds_instead_of_concatenating():
    fails_with(check_unet, variant(add_instead=True), "no torch.cat", "U-Net concatenates")


def test_unet_concatenates_along_the_wrong_dimension():
    fails_with(check_unet, variant(cat_dim=2), "along dim=2", "dim=1, the channels")


def test_unet_with_sigmoid():
    fails_with(check_unet, variant(final_sigmoid=True), "no output is negative", "BCEWithLogits")


def test_unet_goes_too_deep():
    fails_with(check_unet, variant(extra_pool=True), "smallest feature map",
               "the bottleneck at 8x8")


def test_unet_ignores_in_channels():
    class Fixed(GoodUNet):
        def __init__(self, in_channels=3, out_channels=1, base_channels=16, depth=3):
            super().__init__(3, out_channels, base_channels, depth)

    fails_with(check_unet, Fixed, "raised RuntimeError", "in_channels=1")


def test_unet_ignores_out_channels():
    class Fixed(GoodUNet):
        def __init__(self, in_channels=3, out_channels=1, base_channels=16, depth=3):
            super().__init__(in_channels, 1, base_channels, depth)

    fails_with(check_unet, Fixed, "out_channels=2", "Expected shape (2, 2, 32, 48)")


def test_unet_one_skip_missing():
    class OneMissing(GoodUNet):
        """Concatenates at every level but the last (full-resolution) one."""

        def __init__(self, in_channels=3, out_channels=1, base_channels=16, depth=3):
            super().__init__(in_channels, out_channels, base_channels, depth)
            self.decode[-1] = block(base_channels, base_channels)

        def forward(self, x):
            skips = []
            for down in self.down:
                x = down(x)
                skips.append(x)
                x = F.max_pool2d(x, 2)
            x = self.bottleneck(x)
            for level, (up, decode, skip) in enumerate(zip(self.up, self.decode,
                                                           reversed(skips))):
                x = up(x)
                if level < len(skips) - 1:
                    x = torch.cat([x, skip], dim=1)
                x = decode(x)
            return self.head(x)

    fails_with(check_unet, OneMissing, "no skip concatenation at 32x32",
               "one at every level: 32x32, 16x16")


def test_unet_skips_in_the_wrong_order():
    class Unreversed(GoodUNet):
        def forward(self, x):
            skips = []
            for down in self.down:
                x = down(x)
                skips.append(x)
                x = F.max_pool2d(x, 2)
            x = self.bottleneck(x)
            for up, decode, skip in zip(self.up, self.decode, skips):
                x = decode(torch.cat([up(x), skip], dim=1))
            return self.head(x)

    fails_with(check_unet, Unreversed, "raised RuntimeError", "reverse order")


def test_unet_check_leaves_the_random_state_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    check_unet(GoodUNet)
    assert torch.equal(before, torch.get_rng_state())


# ------------------------------------------------------------------ answers written by others


def transpose_by_kernel_positions(x, kernel, stride=1):
    """Right, another style: one strided slice of the output per kernel weight."""
    kh, kw = kernel.shape
    h, w = x.shape
    out = torch.zeros((h - 1) * stride + kh, (w - 1) * stride + kw, dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            out[u:u + (h - 1) * stride + 1:stride, v:v + (w - 1) * stride + 1:stride] += \
                kernel[u, v] * x
    return out


def transpose_as_lists(x, kernel, stride=1):
    """Right, in plain Python: lists of lists."""
    x, kernel = x.tolist(), kernel.tolist()
    kh, kw = len(kernel), len(kernel[0])
    out = [[0.0] * ((len(x[0]) - 1) * stride + kw) for _ in range((len(x) - 1) * stride + kh)]
    for i, row in enumerate(x):
        for j, value in enumerate(row):
            for u in range(kh):
                for v in range(kw):
                    out[i * stride + u][j * stride + v] += value * kernel[u][v]
    return out


@pytest.mark.parametrize("right", [transpose_by_kernel_positions, transpose_as_lists])
def test_by_hand_in_other_right_styles_passes(right, capsys):
    check_conv_transpose_by_hand(right)
    assert "all 4 checks passed" in capsys.readouterr().out


def test_by_hand_output_started_with_torch_empty():
    def from_empty(x, kernel, stride=1):
        out = scatter(x, kernel, stride)
        out[-1, -1] = float("nan")  # what torch.empty may hold, made certain here
        return out

    fails_with(check_conv_transpose_by_hand, from_empty, "holds nan or inf values",
               "torch.zeros(...), not torch.empty(...)")


def zero_insert_with_loops(x, stride, kernel_size, padding):
    """Right, another style: write every pixel into a zero canvas with two loops."""
    pad = kernel_size - padding - 1
    n, c, h, w = x.shape
    out = torch.zeros(n, c, (h - 1) * stride + 1 + 2 * pad, (w - 1) * stride + 1 + 2 * pad,
                      dtype=x.dtype)
    for i in range(h):
        for j in range(w):
            out[:, :, pad + i * stride, pad + j * stride] = x[:, :, i, j]
    return out


def zero_insert_with_a_transposed_convolution(x, stride, kernel_size, padding):
    """Right, another style: a 1x1 transposed convolution of weight 1 inserts the zeros."""
    channels = x.shape[1]
    ones = torch.ones(channels, 1, 1, 1, dtype=x.dtype)
    spread = F.conv_transpose2d(x, ones, stride=stride, groups=channels)
    pad = kernel_size - padding - 1
    return F.pad(spread, (pad, pad, pad, pad))


@pytest.mark.parametrize("right", [zero_insert_with_loops,
                                   zero_insert_with_a_transposed_convolution])
def test_zero_insert_in_other_right_styles_passes(right, capsys):
    check_zero_insert_and_pad(right)
    assert "all 5 checks passed" in capsys.readouterr().out


def test_zero_insert_that_pads_only_one_side():
    def one_side(x, stride, kernel_size, padding):
        pad = kernel_size - padding - 1
        spread = zero_insert(x, stride, kernel_size, padding, pad=0)
        return F.pad(spread, (2 * pad, 0, 2 * pad, 0))

    fails_with(check_zero_insert_and_pad, one_side, "pixels are not where they should be")


@pytest.mark.parametrize("right", [
    lambda n, k, s=1, p=0, d=1, output_padding=0:
        float((n - 1) * s + d * (k - 1) + output_padding + 1 - 2 * p),
    lambda n, k, s=1, p=0, d=1, output_padding=0:
        torch.tensor(n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1,
])
def test_output_size_in_other_right_styles_passes(right, capsys):
    check_conv_transpose_output_size(right)
    assert "agree with nn.ConvTranspose2d" in capsys.readouterr().out


@pytest.mark.parametrize(("value", "phrase"), [
    (float("nan"), "gave nan, which is not a size"),
    (float("inf"), "gave inf, which is not a size"),
    (None, "returned NoneType"),
    (torch.tensor([3, 3]), "returned a Tensor of shape (2,)"),
])
def test_output_size_unexpected_values_get_a_message(value, phrase):
    fails_with(check_conv_transpose_output_size,
               lambda n, k, s=1, p=0, d=1, output_padding=0: value, phrase)


def test_unet_that_only_works_at_64x64_is_not_told_about_skip_order():
    class Fixed64(GoodUNet):
        def forward(self, x):
            skips = []
            for down in self.down:
                x = down(x)
                skips.append(x)
                x = F.max_pool2d(x, 2)
            x = self.bottleneck(x)
            for level, (up, decode, skip) in enumerate(zip(self.up, self.decode,
                                                           reversed(skips))):
                size = 64 // 2 ** (len(skips) - 1 - level)  # written for 64x64 inputs
                x = F.interpolate(up(x), size=(size, size))
                x = decode(torch.cat([x, skip], dim=1))
            return self.head(x)

    message = fails_with(check_unet, Fixed64, "raised RuntimeError",
                         "the upsampled map is 32x32 where this input (32x32) needs 16x16",
                         "no fixed numbers such as 64")
    assert "reverse order" not in message


def test_unet_with_too_few_decoder_channels_is_told_about_channels():
    class HalfChannels(GoodUNet):
        def __init__(self, in_channels=3, out_channels=1, base_channels=16, depth=3):
            super().__init__(in_channels, out_channels, base_channels, depth)
            widths = [base_channels * 2 ** i for i in range(depth)]
            self.decode = nn.ModuleList(block(w, w) for w in reversed(widths))

    message = fails_with(check_unet, HalfChannels, "raised RuntimeError",
                         "takes the channels of both")
    assert "reverse order" not in message


class ImportedCatUNet(GoodUNet):
    """Right, another style: `cat` imported on its own, the skip first in the join."""

    def forward(self, x):
        from torch import cat

        skips = []
        for down in self.down:
            skips.append(down(x))
            x = F.max_pool2d(skips[-1], kernel_size=2)
        x = self.bottleneck(x)
        for up, decode in zip(self.up, self.decode):
            x = decode(cat((skips.pop(), up(x)), 1))
        return self.head(x)


class UpsampleUNet(nn.Module):
    """Right, another style: bilinear upsampling and a 1x1 convolution instead of
    ConvTranspose2d, levels in an nn.ModuleDict."""

    def __init__(self, in_channels=3, out_channels=1, base_channels=16, depth=3):
        super().__init__()
        widths = [base_channels * 2 ** level for level in range(depth + 1)]
        self.depth = depth
        self.parts = nn.ModuleDict()
        for level in range(depth):
            self.parts[f"down{level}"] = block(in_channels if level == 0 else widths[level - 1],
                                               widths[level])
            self.parts[f"up{level}"] = nn.Sequential(
                nn.Upsample(scale_factor=2, mode="bilinear"),
                nn.Conv2d(widths[level + 1], widths[level], 1))
            self.parts[f"decode{level}"] = block(2 * widths[level], widths[level])
        self.parts["bottom"] = block(widths[depth - 1], widths[depth])
        self.parts["head"] = nn.Conv2d(widths[0], out_channels, 1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        skips = []
        for level in range(self.depth):
            x = self.parts[f"down{level}"](x)
            skips.append(x)
            x = self.pool(x)
        x = self.parts["bottom"](x)
        for level in reversed(range(self.depth)):
            x = torch.concatenate([self.parts[f"up{level}"](x), skips[level]], axis=1)
            x = self.parts[f"decode{level}"](x)
        return self.parts["head"](x)


@pytest.mark.parametrize("right", [ImportedCatUNet, UpsampleUNet])
def test_unet_in_other_right_styles_passes(right, capsys):
    check_unet(right)
    assert "UNet: all 16 checks passed" in capsys.readouterr().out


# ------------------------------------------------------------------ the 3x3 result by hand

RIGHT_GRID = [[0, 1, 5], [2, 16, 17], [6, 13, 6]]


@pytest.mark.parametrize("right", [
    lambda: RIGHT_GRID,                                               # the exercise's form
    lambda: torch.tensor(RIGHT_GRID, dtype=torch.float32),            # a tensor
    lambda: np.array(RIGHT_GRID, dtype=np.int64),                     # a NumPy array
    lambda: ((0.0, 1.0, 5.0), (2.0, 16.0, 17.0), (6.0, 13.0, 6.0)),  # tuples of floats
    RIGHT_GRID,                                                       # the grid, no function
    np.array(RIGHT_GRID) + 1e-7,                                      # printed, then copied
])
def test_result_by_hand_accepts_every_form_of_the_right_grid(right, capsys):
    check_result_by_hand(right)
    assert "your 3x3 result is right" in capsys.readouterr().out


def test_result_by_hand_value_is_what_pytorch_computes():
    x = torch.tensor([[1.0, 5.0], [3.0, 2.0]])
    kernel = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert F.conv_transpose2d(x[None, None], kernel[None, None])[0, 0].tolist() == RIGHT_GRID


def test_result_by_hand_stub():
    def result_by_hand():
        raise NotImplementedError()

    with pytest.raises(NotImplementedYet, match="not done yet"):
        check_result_by_hand(result_by_hand)


@pytest.mark.parametrize(("wrong", "phrases"), [
    ([[3, 17, 10], [10, 17, 4], [3, 2, 0]], ("kernel flipped by 180 degrees",
                                             "the kernel as it is")),
    ([[0, 0, 5], [0, 0, 2], [6, 4, 6]], ("only the last stamp is left", "add up")),
    ([[0, 2, 6], [1, 16, 13], [5, 17, 6]], ("the grid is transposed", "row by row")),
    ([[0, 1, 3], [2, 14, 11], [10, 19, 6]], ("read column by column",)),
    ([[0, 1, 5], [2, 13, 17], [0, 4, 6]], ("x[1, 0] = 3 is missing",)),
    ([[0, 1, 5], [2, 15, 17], [6, 13, 6]], ("1 of the 9 entries", "differs",
                                            "at (row, column) (1, 1)")),
    ([[0, 1, 5], [2, 16, 17], [6, 13, 8], ], ("(2, 2)",)),
    ([[17]], ("shape (1, 1)", "ordinary (valid) convolution", "shape (3, 3)")),
    ([[0, 5], [6, 6]], ("shape (2, 2)", "the size of the input")),
    ([[0, 1, 0, 5], [2, 3, 10, 15], [0, 3, 0, 2], [6, 9, 4, 6]], ("shape (4, 4)", "stride 2")),
    ([0, 1, 5, 2, 16, 17, 6, 13, 6], ("nine numbers in one row", "own brackets")),
    ([[0, 1, 5], [2, 16], [6, 13, 6]], ("not a grid of numbers", "[3, 2, 3] entries")),
    ("0 1 5 / 2 16 17 / 6 13 6", ("not a grid of numbers",)),
    ([[0, 1, 5], [2, float("nan"), 17], [6, 13, 6]], ("nan or inf",)),
])
def test_result_by_hand_names_the_mistakes_students_make(wrong, phrases):
    message = fails_with(check_result_by_hand, lambda: wrong, *phrases)
    assert "16" not in message.split("\n", 1)[1], "a failure must not give the answer away"


def test_result_by_hand_that_forgets_return():
    def result_by_hand():
        [[0, 1, 5], [2, 16, 17], [6, 13, 6]]  # noqa: B018 (the slip itself)

    fails_with(check_result_by_hand, result_by_hand, "returned None", "`return`")
