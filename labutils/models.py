"""The workbook's ResNet: the code you write in lab 04, and two tweaks that lab 08 adds.

``BasicBlock``, ``Bottleneck`` and ``ResNet`` below are the very code of lab 04's
solution notebook: ``make notebooks`` writes them here from its cells tagged ``models``
(between the ``GENERATED`` markers, each under a line that names its cell), so a later lab
that imports them uses exactly what lab 04 taught. ``ResNet(BasicBlock, [2, 2, 2, 2])``
has the layers and the 11,689,512 parameters of ``torchvision.models.resnet18``.

Lab 08 adds two "modern tweaks" from *Bag of Tricks for Image Classification with
Convolutional Neural Networks* (He et al., 2019) and *Accurate, Large Minibatch SGD*
(Goyal et al., 2017), each a function that changes a ResNet you have built:

- :func:`use_avg_down`, the ResNet-D shortcut: when a block halves the resolution, its
  shortcut first averages each 2x2 patch and then applies the 1x1 convolution, instead of
  a 1x1 convolution with stride 2 that simply skips three quarters of the pixels;
- :func:`zero_init_last_bn`: the last batch norm of every block starts with its scale
  (gamma) at zero, so every block with an identity shortcut starts as the identity.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------- lab 04
# Written by `make notebooks` from solutions/04_classic_architectures.ipynb: edit the
# notebook's cells, never the code between the markers.

# BEGIN GENERATED: lesson code

# Defined in solutions/04_classic_architectures.ipynb, cell 33 (id 9a8136be).
class BasicBlock(nn.Module):
    expansion = 1  # output channels = channels * expansion

    def __init__(self, in_channels: int, channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


# Defined in solutions/04_classic_architectures.ipynb, cell 39 (id b392ca66).
class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels: int, channels: int, stride: int = 1):
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))


# Defined in solutions/04_classic_architectures.ipynb, cell 42 (id e96f4f23).
class ResNet(nn.Module):
    def __init__(self, block: type, stage_sizes: list[int],
                 widths: tuple[int, ...] = (64, 128, 256, 512), num_classes: int = 1000,
                 in_channels: int = 3, stem: nn.Module | None = None):
        super().__init__()
        if stem is None:  # the ImageNet stem: (N, in_channels, 224, 224) -> (N, 64, 56, 56)
            stem = nn.Sequential(
                nn.Conv2d(in_channels, widths[0], 7, stride=2, padding=3, bias=False),
                nn.BatchNorm2d(widths[0]), nn.ReLU(),
                nn.MaxPool2d(3, stride=2, padding=1))
        self.stem = stem
        stages = []
        channels = widths[0]
        for index, (n_blocks, width) in enumerate(zip(stage_sizes, widths)):
            blocks = []
            for b in range(n_blocks):
                stride = 2 if index > 0 and b == 0 else 1
                blocks.append(block(channels, width, stride))
                channels = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))

# END GENERATED: lesson code


# --------------------------------------------------------------------------- lab 08


def shortcut(in_channels: int, out_channels: int, stride: int = 1,
             avg_down: bool = False) -> nn.Module:
    """The skip path of a residual block, as lab 04's blocks build it.

    The identity when the block keeps the shape; otherwise a projection (1x1 convolution
    and batch norm) that changes the channels and, with ``stride`` 2, halves the size.
    With ``avg_down`` the halving is a 2x2 average pool before a 1x1 convolution of
    stride 1 (ResNet-D), so every input pixel reaches the shortcut.
    """
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    if avg_down and stride > 1:
        return nn.Sequential(
            nn.AvgPool2d(kernel_size=stride, stride=stride, ceil_mode=True,
                         count_include_pad=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                         nn.BatchNorm2d(out_channels))


def _blocks(model: nn.Module) -> list[BasicBlock | Bottleneck]:
    return [module for module in model.modules() if isinstance(module, (BasicBlock, Bottleneck))]


def use_avg_down(model: nn.Module) -> nn.Module:
    """Give every block of ``model`` that halves the resolution a ResNet-D shortcut.

    Changes ``model`` in place and returns it. The parameter count stays the same (the
    average pool has no weights). Call it before moving the model to a device.
    """
    for block in _blocks(model):
        if isinstance(block.shortcut, nn.Sequential):
            conv = block.shortcut[0]
            block.shortcut = shortcut(conv.in_channels, conv.out_channels, conv.stride[0],
                                      avg_down=True)
    return model


def zero_init_last_bn(model: nn.Module) -> nn.Module:
    """Set the scale (gamma) of every block's last batch norm to zero; returns ``model``.

    The residual branch of each block then outputs zero at the start, so a block with an
    identity shortcut computes ``relu(0 + x) = x`` for the non-negative ``x`` it gets.
    """
    for block in _blocks(model):
        last_bn = block.bn3 if isinstance(block, Bottleneck) else block.bn2
        nn.init.zeros_(last_bn.weight)
    return model


def small_stem(in_channels: int, width: int, stride: int = 1) -> nn.Sequential:
    """A stem for small images: one 3x3 convolution (with ``stride``), batch norm, ReLU."""
    return nn.Sequential(nn.Conv2d(in_channels, width, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(width), nn.ReLU())


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of trainable numbers (weights and biases) in ``model``; with
    ``trainable_only=False``, every number, the frozen ones (``requires_grad=False``) too."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
