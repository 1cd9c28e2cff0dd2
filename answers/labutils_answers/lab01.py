"""The workbook's answers to lab 01's exercises: the code of the exercise cells
of solutions/01_convolutions.ipynb, without the solution markers.

Written by `make notebooks` (tools/lesson_code.py): edit the notebook, never this file.
"""

import numpy as np

__all__ = ["conv2d_loop", "conv_param_count", "conv_output_size", "receptive_field"]


# Defined in solutions/01_convolutions.ipynb, cell 12 (id ex1).
def conv2d_loop(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """'Valid' 2D cross-correlation: (H, W) image, (kH, kW) kernel -> (H - kH + 1, W - kW + 1)."""
    kh, kw = kernel.shape
    out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


# Defined in solutions/01_convolutions.ipynb, cell 41 (id ex2).
def conv_param_count(in_channels: int, out_channels: int, kernel_size: int,
                     bias: bool = True) -> int:
    """Learnable numbers in nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)."""
    weights = out_channels * in_channels * kernel_size * kernel_size
    biases = out_channels if bias else 0
    return weights + biases


# Defined in solutions/01_convolutions.ipynb, cell 54 (id ex3).
def conv_output_size(n: int, k: int, p: int = 0, s: int = 1, d: int = 1) -> int:
    """Output width of a convolution: input n, kernel k, padding p, stride s, dilation d."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


# Defined in solutions/01_convolutions.ipynb, cell 80 (id ex4).
def receptive_field(layers: list[tuple[int, int]]) -> int:
    """Width (input pixels) of the region one output pixel sees; layers = [(k, stride), ...]."""
    size, jump = 1, 1
    for kernel_size, stride in layers:
        size += (kernel_size - 1) * jump
        jump *= stride
    return size
