"""ResNet, written out plainly, for the labs that reuse it.

Lab 04 asks you to write ``BasicBlock``, ``Bottleneck`` and ``ResNet`` yourself; this
module is the workbook's own version of the same code, which later labs (08) import
instead of copying it. Built with the default settings, ``ResNet(BasicBlock, [2, 2, 2, 2])``
has exactly the layers and the 11,689,512 parameters of ``torchvision.models.resnet18``.

Two optional "modern tweaks" (from *Bag of Tricks for Image Classification with
Convolutional Neural Networks*, He et al. 2019, and *Accurate, Large Minibatch SGD*,
Goyal et al. 2017) are switched on with keyword arguments:

- ``avg_down=True``, the ResNet-D shortcut: when a block halves the resolution, its
  shortcut first averages each 2x2 patch and then applies the 1x1 convolution, instead
  of a 1x1 convolution with stride 2 that simply skips three quarters of the pixels.
- ``zero_init_residual=True``: the last batch norm of every block starts with its scale
  (gamma) at zero, so each block starts as the identity and the network starts shallow.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1 and no bias (a batch norm follows it)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1,
                     bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution without bias: mixes channels, keeps (or strides) the positions."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)


def shortcut(in_channels: int, out_channels: int, stride: int = 1,
             avg_down: bool = False) -> nn.Module:
    """The skip path of a residual block.

    The identity when the block keeps the shape; otherwise a projection (1x1 convolution
    and batch norm) that changes the channels and, with ``stride`` 2, halves the size.
    With ``avg_down`` the halving is a 2x2 average pool before the 1x1 convolution
    (ResNet-D), so every input pixel contributes to the shortcut.
    """
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    if avg_down and stride > 1:
        return nn.Sequential(
            nn.AvgPool2d(kernel_size=stride, stride=stride, ceil_mode=True,
                         count_include_pad=False),
            conv1x1(in_channels, out_channels),
            nn.BatchNorm2d(out_channels),
        )
    return nn.Sequential(conv1x1(in_channels, out_channels, stride), nn.BatchNorm2d(out_channels))


class BasicBlock(nn.Module):
    """Two 3x3 convolutions plus a shortcut (ResNet-18 and -34).

    Input ``(N, in_channels, H, W)``, output ``(N, channels, H / stride, W / stride)``.
    """

    expansion = 1  # output channels = channels * expansion

    def __init__(self, in_channels: int, channels: int, stride: int = 1,
                 avg_down: bool = False):
        super().__init__()
        self.conv1 = conv3x3(in_channels, channels, stride)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = conv3x3(channels, channels)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = shortcut(in_channels, channels, stride, avg_down)

    @property
    def last_bn(self) -> nn.BatchNorm2d:
        """The batch norm just before the addition (zeroed by ``zero_init_residual``)."""
        return self.bn2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 (narrow down), 3x3, 1x1 (widen by 4) convolutions plus a shortcut (ResNet-50).

    Input ``(N, in_channels, H, W)``, output ``(N, 4 * channels, H / stride, W / stride)``.
    The stride sits on the 3x3 convolution, as in torchvision ("ResNet v1.5", ResNet-B).
    """

    expansion = 4

    def __init__(self, in_channels: int, channels: int, stride: int = 1,
                 avg_down: bool = False):
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = conv1x1(in_channels, channels)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = conv3x3(channels, channels, stride)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = conv1x1(channels, out_channels)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = shortcut(in_channels, out_channels, stride, avg_down)

    @property
    def last_bn(self) -> nn.BatchNorm2d:
        """The batch norm just before the addition (zeroed by ``zero_init_residual``)."""
        return self.bn3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + self.shortcut(x))


def imagenet_stem(in_channels: int = 3, width: int = 64) -> nn.Sequential:
    """7x7 convolution with stride 2, batch norm, ReLU, 3x3 max pool with stride 2:
    ``(N, in_channels, 224, 224)`` -> ``(N, width, 56, 56)``."""
    return nn.Sequential(
        nn.Conv2d(in_channels, width, kernel_size=7, stride=2, padding=3, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )


def small_stem(in_channels: int, width: int, stride: int = 1) -> nn.Sequential:
    """A stem for small images: one 3x3 convolution (with ``stride``), batch norm, ReLU."""
    return nn.Sequential(conv3x3(in_channels, width, stride), nn.BatchNorm2d(width),
                         nn.ReLU(inplace=True))


class ResNet(nn.Module):
    """A ResNet: ``stem`` -> ``stages`` -> ``head``.

    Args:
        block: ``BasicBlock`` or ``Bottleneck``.
        stage_sizes: blocks per stage, e.g. ``[2, 2, 2, 2]`` for ResNet-18.
        widths: ``channels`` of the blocks of each stage; every stage after the first
            starts with a block of stride 2.
        num_classes: outputs of the final linear layer (logits).
        in_channels: channels of the input images.
        stem: the first layers; by default :func:`imagenet_stem`. Its output must have
            ``widths[0]`` channels.
        avg_down: ResNet-D shortcuts (see the module's docstring).
        zero_init_residual: start every block's last batch norm with gamma = 0.

    Input ``(N, in_channels, H, W)``, output ``(N, num_classes)``.
    """

    def __init__(self, block: type[BasicBlock | Bottleneck], stage_sizes: Sequence[int],
                 widths: Sequence[int] = (64, 128, 256, 512), num_classes: int = 1000,
                 in_channels: int = 3, stem: nn.Module | None = None, avg_down: bool = False,
                 zero_init_residual: bool = False):
        super().__init__()
        if len(stage_sizes) != len(widths):
            raise ValueError(f"stage_sizes {list(stage_sizes)} and widths {list(widths)} "
                             "need one entry per stage each.")
        self.stem = stem if stem is not None else imagenet_stem(in_channels, widths[0])
        stages = []
        channels_in = widths[0]
        for index, (n_blocks, width) in enumerate(zip(stage_sizes, widths)):
            blocks = []
            for b in range(n_blocks):
                stride = 2 if index > 0 and b == 0 else 1
                blocks.append(block(channels_in, width, stride, avg_down=avg_down))
                channels_in = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(channels_in, num_classes))
        self._init_weights(zero_init_residual)

    def _init_weights(self, zero_init_residual: bool) -> None:
        """He (Kaiming) initialisation for convolutions, as torchvision does."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, (BasicBlock, Bottleneck)):
                    nn.init.zeros_(module.last_bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


def resnet18(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-18: basic blocks, stages [2, 2, 2, 2]; 11,689,512 parameters at 1000 classes."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes, **kwargs)


def resnet34(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-34: basic blocks, stages [3, 4, 6, 3]; 21,797,672 parameters at 1000 classes."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes=num_classes, **kwargs)


def resnet50(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-50: bottleneck blocks, stages [3, 4, 6, 3]; 25,557,032 parameters at 1000
    classes."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes=num_classes, **kwargs)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers (weights and biases) in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
