"""labutils.data.domain_shift: MNIST-M-style digits on crops of real photos."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from labutils.data.domain_shift import make_mnist_m
from labutils.data.photos import random_crops


def digits(n: int = 6) -> torch.Tensor:
    """Little fake 'digits' (uint8, N x 28 x 28): a bright bar on black."""
    images = torch.zeros(n, 28, 28, dtype=torch.uint8)
    images[:, 6:22, 12:16] = 255
    return images


def test_shape_type_and_range():
    images = make_mnist_m(digits(), seed=0)
    assert images.shape == (6, 3, 28, 28) and images.dtype == torch.float32
    assert images.min() >= 0 and images.max() <= 1


def test_it_is_the_mnist_m_blend_of_photo_crops():
    images = make_mnist_m(digits(), seed=3)
    patches = torch.from_numpy(random_crops(6, 28, seed=3)).float().permute(0, 3, 1, 2)
    background = digits()[0] == 0
    torch.testing.assert_close(images[:, :, background], patches[:, :, background])
    torch.testing.assert_close(images[:, :, ~background], 1 - patches[:, :, ~background])


def test_the_same_seed_gives_the_same_images():
    torch.testing.assert_close(make_mnist_m(digits(), seed=7), make_mnist_m(digits(), seed=7))
    assert not torch.equal(make_mnist_m(digits(), seed=7), make_mnist_m(digits(), seed=8))


def test_accepted_inputs_agree():
    uint8 = digits()
    expected = make_mnist_m(uint8, seed=1)
    for other in (uint8.float() / 255, (uint8.float() / 255).unsqueeze(1), uint8.numpy()):
        torch.testing.assert_close(make_mnist_m(other, seed=1), expected)


def test_the_photos_are_colourful():
    images = make_mnist_m(digits(50), seed=0)
    channel_spread = images.std(dim=1).mean()
    assert channel_spread > 0.02, "the backgrounds should be colour photos, not grey"


def test_empty_input():
    assert make_mnist_m(torch.zeros(0, 28, 28, dtype=torch.uint8)).shape == (0, 3, 28, 28)


@pytest.mark.parametrize(("bad", "words"), [
    (torch.zeros(2, 3, 28, 28), "(N, H, W) or (N, 1, H, W)"),
    (torch.zeros(2, 28, 20), "square"),
    (torch.full((2, 28, 28), 2.0), "normalize=False"),
    (np.full((2, 28, 28), -0.4, dtype=np.float32), "must lie in [0, 1]"),
])
def test_wrong_inputs_are_explained(bad, words):
    with pytest.raises(ValueError) as caught:
        make_mnist_m(bad)
    assert words in str(caught.value)
