"""The workbook's answers to lab 03's exercises: the code of the exercise cells
of solutions/03_residual_networks.ipynb, without the solution markers.

Written by `make notebooks` (tools/lesson_code.py): edit the notebook, never this file.
"""

import torch
from torch import nn

__all__ = ["ResidualBlock", "CNNBackBone", "CNNClassifier"]


# Defined in solutions/03_residual_networks.ipynb, cell 9 (id c06).
class ResidualBlock(nn.Module):
    def __init__(self, hidden_dim: int = 64, kernel_size: int = 5):
        super().__init__()
        self.conv = nn.Conv2d(hidden_dim, hidden_dim, kernel_size, padding=kernel_size // 2)
        self.act = nn.ReLU()
        self.drop = nn.Dropout2d(0.1)
        self.norm = nn.BatchNorm2d(hidden_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.drop(self.act(self.conv(x)))) + x


# Defined in solutions/03_residual_networks.ipynb, cell 23 (id c14).
class CNNBackBone(nn.Module):
    def __init__(self, in_channels: int = 1):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),  # 28x28
            nn.MaxPool2d(2),
            ResidualBlock(32, kernel_size=3),                                          # 14x14
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),            # 7x7
            ResidualBlock(64, kernel_size=3),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


# Defined in solutions/03_residual_networks.ipynb, cell 26 (id c17).
class CNNClassifier(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.backbone = CNNBackBone()
        self.head = nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.2),
                                  nn.Linear(64 * 3 * 3, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))
