"""The workbook's answers to lab 04's exercises: the code of the exercise cells
of solutions/04_classic_architectures.ipynb, without the solution markers.

Written by `make notebooks` (tools/lesson_code.py): edit the notebook, never this file.
"""

import torch
from torch import nn

from labutils.models import BasicBlock, Bottleneck, ResNet

__all__ = ["BatchNorm2d", "BasicBlock", "Bottleneck", "ResNet", "DenseBlock"]


# Defined in solutions/04_classic_architectures.ipynb, cell 20 (id 4e3a4875).
class BatchNorm2d(nn.Module):
    # Batch normalisation for images (N, C, H, W), like nn.BatchNorm2d.

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            mean = x.mean(dim=(0, 2, 3))
            var = x.var(dim=(0, 2, 3), unbiased=False)
            n = x.numel() / x.shape[1]  # values per channel: N * H * W
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
                self.running_var.mul_(1 - self.momentum).add_(
                    self.momentum * var * n / (n - 1))
        else:
            mean, var = self.running_mean, self.running_var
        x_hat = (x - mean.view(1, -1, 1, 1)) / torch.sqrt(var.view(1, -1, 1, 1) + self.eps)
        return self.weight.view(1, -1, 1, 1) * x_hat + self.bias.view(1, -1, 1, 1)


# Defined in solutions/04_classic_architectures.ipynb, cell 49 (id dense-block).
class DenseBlock(nn.Module):
    def __init__(self, in_channels: int, growth_rate: int, num_layers: int):
        super().__init__()
        self.layers = nn.ModuleList()
        for i in range(num_layers):
            channels = in_channels + i * growth_rate
            self.layers.append(nn.Sequential(
                nn.BatchNorm2d(channels), nn.ReLU(),
                nn.Conv2d(channels, growth_rate, 3, padding=1, bias=False)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)
