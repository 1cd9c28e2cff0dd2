"""MNIST-M-style digits: handwritten digits blended with crops of real colour photos.

MNIST-M (Ganin and Lempitsky, 2015) is the classic test of *domain shift*: the same
digits as MNIST, but each one blended with a patch of a colour photograph, so that a
network trained on black-and-white MNIST sees unfamiliar inputs. The original blends
with patches of the BSDS500 photos; here the patches are random crops of the real photos
that ship inside scikit-image and scikit-learn (:func:`labutils.data.photos.random_crops`),
so the set is made on any machine, with no download, and always the same for a seed.

The blend is the one MNIST-M uses: ``output = |patch - digit|`` for every colour
channel. Where the digit's stroke is (pixel near 1) the colours of the patch are
inverted; elsewhere the patch shows as it is.
"""

from __future__ import annotations

import numpy as np
import torch

from ..arguments import need_int
from ..errors import ArgumentValueError
from .photos import SMALLEST_PHOTO_SIDE, random_crops
from .tensors import to_unit_floats


def make_mnist_m(digits: torch.Tensor | np.ndarray, seed: int = 0) -> torch.Tensor:
    """MNIST-M-style colour versions of ``digits``.

    Args:
        digits: ``(N, H, W)`` or ``(N, 1, H, W)`` grey digits, uint8 in [0, 255] or
            floats in [0, 1] (e.g. ``load_mnist(normalize=False)`` images).
        seed: chooses the photo patches; the same digits and seed give the same images.

    Returns:
        A float tensor ``(N, 3, H, W)`` in [0, 1]: ``|patch - digit|`` per channel, where
        ``patch`` is a random ``H x W`` crop of one of the real photos.
    """
    digits = to_unit_floats(digits, "digits", "make_mnist_m")
    seed = need_int(seed, "seed", "make_mnist_m", low=0, high=2**63 - 1)
    n, height, width = digits.shape
    if height != width or not 1 <= height <= SMALLEST_PHOTO_SIDE:
        raise ArgumentValueError(f"make_mnist_m() got digits of {height} x {width} pixels.",
                                 f"make_mnist_m needs square digits, 1 to {SMALLEST_PHOTO_SIDE} "
                                 "pixels a side (the photos' smallest side).",
                                 "pass MNIST digits, e.g. load_mnist(normalize=False) images.")
    if n == 0:
        return torch.zeros(0, 3, height, width)
    patches = torch.from_numpy(random_crops(n, height, seed=seed)).float()  # (N, H, W, 3)
    blended = (patches - digits.unsqueeze(-1)).abs()
    return blended.permute(0, 3, 1, 2).contiguous()
