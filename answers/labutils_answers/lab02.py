"""The workbook's answers to lab 02's exercises: the code of the exercise cells
of solutions/02_first_cnn.ipynb, without the solution markers.

Written by `make notebooks` (tools/lesson_code.py): edit the notebook, never this file.
"""

from torch import nn

__all__ = ["vgg_block"]


# Defined in solutions/02_first_cnn.ipynb, cell 23 (id c17).
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
