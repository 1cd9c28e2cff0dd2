"""Data augmentation on whole batches of images held in memory.

Pass these functions as ``transform=`` to :class:`labutils.TensorLoader`: they receive a
batch ``(N, C, H, W)`` and return a changed batch of the same shape, a new random change
for every image and every epoch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def random_shift(images: torch.Tensor, max_shift: int = 2) -> torch.Tensor:
    """Move every image of a batch ``(N, C, H, W)`` by its own random offset.

    Each image is shifted by up to ``max_shift`` pixels left or right and up or down
    (whole pixels). The strip that moves in is filled with the smallest value of the
    batch, which is the background for MNIST-style images. Returns ``(N, C, H, W)``.
    """
    if max_shift == 0:
        return images
    n, _, height, width = images.shape
    padded = F.pad(images, [max_shift] * 4, value=float(images.min()))
    # where each image's window starts inside the padded image: 0 .. 2 * max_shift
    top = torch.randint(0, 2 * max_shift + 1, (n, 1, 1), device=images.device)
    left = torch.randint(0, 2 * max_shift + 1, (n, 1, 1), device=images.device)
    rows = top + torch.arange(height, device=images.device).view(1, height, 1)
    cols = left + torch.arange(width, device=images.device).view(1, 1, width)
    batch = torch.arange(n, device=images.device).view(n, 1, 1)
    # indexing with (batch, :, rows, cols) gives (N, H, W, C): move the channels back
    shifted = padded[batch, :, rows, cols].permute(0, 3, 1, 2)
    return shifted.contiguous(memory_format=torch.contiguous_format)
