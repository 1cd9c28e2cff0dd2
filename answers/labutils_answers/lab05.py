"""The workbook's answers to lab 05's exercises: the code of the exercise cells
of solutions/05_upsampling_unet.ipynb, without the solution markers.

Written by `make notebooks` (tools/lesson_code.py): edit the notebook, never this file.
"""

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["result_by_hand", "conv_transpose_by_hand", "zero_insert_and_pad",
           "conv_transpose_output_size", "conv_block", "UNet"]


# Defined in solutions/05_upsampling_unet.ipynb, cell 11 (id lab05-hand).
def result_by_hand():
    """Your 3x3 result, worked out on paper: three rows of three numbers, top row first."""
    return [[0, 1, 5],
            [2, 16, 17],
            [6, 13, 6]]


# Defined in solutions/05_upsampling_unet.ipynb, cell 14 (id lab05-06).
def conv_transpose_by_hand(x: torch.Tensor, kernel: torch.Tensor, stride: int = 1) -> torch.Tensor:
    """x (H, W), kernel (kh, kw) -> output ((H - 1) * stride + kh, (W - 1) * stride + kw)."""
    kh, kw = kernel.shape
    out = torch.zeros((x.shape[0] - 1) * stride + kh, (x.shape[1] - 1) * stride + kw)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i * stride:i * stride + kh, j * stride:j * stride + kw] += x[i, j] * kernel
    return out


# Defined in solutions/05_upsampling_unet.ipynb, cell 20 (id lab05-12).
def zero_insert_and_pad(x: torch.Tensor, stride: int, kernel_size: int,
                        padding: int) -> torch.Tensor:
    """x (N, C, H, W) -> the bigger (N, C, H', W') input: zeros between its pixels and
    around them, so that a stride-1 convolution of it with the flipped kernel equals
    F.conv_transpose2d(x, kernel, stride=stride, padding=padding)."""
    n, c, h, w = x.shape
    spread = x.new_zeros(n, c, (h - 1) * stride + 1, (w - 1) * stride + 1)
    spread[:, :, ::stride, ::stride] = x
    pad = kernel_size - padding - 1
    return F.pad(spread, (pad, pad, pad, pad))


# Defined in solutions/05_upsampling_unet.ipynb, cell 25 (id lab05-16).
def conv_transpose_output_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1,
                               output_padding: int = 0) -> int:
    """Height (or width) of the output of nn.ConvTranspose2d for an input of size n."""
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


# Defined in solutions/05_upsampling_unet.ipynb, cell 45 (id lab05-28).
def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    # Two 3x3 convolutions with "same" padding, each followed by batch norm and ReLU.
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
    )


# Defined in solutions/05_upsampling_unet.ipynb, cell 47 (id lab05-30).
class UNet(nn.Module):
    """(N, in_channels, H, W) -> logits (N, out_channels, H, W), H and W divisible by 2**depth.

    Encoder: `depth` conv_blocks, each followed by a 2x2 max pool; bottleneck: one more
    conv_block; decoder: `depth` steps of ConvTranspose2d(kernel_size=2, stride=2), skip
    concatenation, conv_block; head: a 1x1 convolution. Widths: base_channels * 2**level.
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 1, base_channels: int = 16,
                 depth: int = 3):
        super().__init__()
        widths = [base_channels * 2 ** level for level in range(depth + 1)]
        self.encoder = nn.ModuleList()
        channels = in_channels
        for width in widths[:-1]:
            self.encoder.append(conv_block(channels, width))
            channels = width
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = conv_block(widths[-2], widths[-1])
        self.upsample = nn.ModuleList()
        self.decoder = nn.ModuleList()
        for level in reversed(range(depth)):
            self.upsample.append(nn.ConvTranspose2d(widths[level + 1], widths[level], 2, stride=2))
            self.decoder.append(conv_block(2 * widths[level], widths[level]))
        self.head = nn.Conv2d(widths[0], out_channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.encoder:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for upsample, block, skip in zip(self.upsample, self.decoder, reversed(skips)):
            x = block(torch.cat([upsample(x), skip], dim=1))
        return self.head(x)
