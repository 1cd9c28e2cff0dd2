"""The workbook's answers to lab 07's exercises: the code of the exercise cells
of solutions/07_autoencoders.ipynb, without the solution markers.

Written by `make notebooks` (tools/lesson_code.py): edit the notebook, never this file.
"""

from torch import nn

__all__ = ["build_decoder"]


# Defined in solutions/07_autoencoders.ipynb, cell 12 (id lab07-07).
def build_decoder(latent_shape: tuple[int, int, int], hidden: int = 32) -> nn.Module:
    """A module mapping codes (N, C, h, w), for latent_shape = (C, h, w) with h, w <= 7,
    to images (N, 1, 28, 28) with values in [0, 1]; `hidden` channels inside."""
    channels, height, width = latent_shape
    return nn.Sequential(
        nn.ConvTranspose2d(channels, hidden, kernel_size=(8 - height, 8 - width)),  # -> 7x7
        nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
        nn.ConvTranspose2d(hidden, hidden, kernel_size=4, stride=2, padding=1),  # -> 14x14
        nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
        nn.Conv2d(hidden, hidden, 3, padding=1), nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
        nn.ConvTranspose2d(hidden, 1, kernel_size=4, stride=2, padding=1),  # -> 28x28
        nn.Sigmoid(),
    )
