"""The workbook's answers to lab 02's exercises, the same code as
solutions/02_first_cnn.ipynb (tests/test_reference.py compares them)."""

from __future__ import annotations

from torch import nn


def vgg_block(in_channels: int, out_channels: int, num_convs: int = 2,
              batch_norm: bool = True, activation: type[nn.Module] = nn.ReLU,
              pool: bool = True) -> nn.Sequential:
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
