"""random_shift: whole-pixel shifts of each image, nothing else."""

from __future__ import annotations

import torch

from labutils.augment import random_shift


def test_shape_dtype_and_values_are_kept():
    images = torch.rand(16, 3, 9, 11)
    shifted = random_shift(images, max_shift=2)
    assert shifted.shape == images.shape and shifted.dtype == images.dtype
    assert shifted.is_contiguous()


def test_every_image_is_a_shifted_copy_of_itself():
    torch.manual_seed(0)
    images = torch.zeros(40, 2, 8, 8)
    images[:, 0, 3, 4] = 1.0  # one bright pixel per image, in channel 0
    images[:, 1, 3, 4] = 2.0
    shifted = random_shift(images, max_shift=2)
    offsets = set()
    for image in shifted:
        where = (image[0] == 1.0).nonzero().tolist()
        assert len(where) == 1
        (row, col), = where
        assert abs(row - 3) <= 2 and abs(col - 4) <= 2
        assert image[1, row, col] == 2.0  # both channels moved together
        assert image.sum() == 3.0  # nothing else appeared
        offsets.add((row - 3, col - 4))
    assert len(offsets) > 5  # different images get different offsets


def test_background_fills_the_border():
    images = torch.full((8, 1, 5, 5), -0.5)
    images[:, :, 2, 2] = 3.0
    shifted = random_shift(images, max_shift=1)
    assert set(shifted.unique().tolist()) == {-0.5, 3.0}


def test_zero_shift_is_the_identity():
    images = torch.rand(4, 1, 6, 6)
    assert torch.equal(random_shift(images, max_shift=0), images)
