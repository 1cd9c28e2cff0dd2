import numpy as np
import pytest

from labutils.data import photos


def test_a_photo_in_colour_and_grey():
    cat = photos.photo("chelsea")
    assert cat.shape == (300, 451, 3) and 0 <= cat.min() and cat.max() <= 1
    grey = photos.photo("chelsea", gray=True)
    assert grey.shape == (300, 451)
    assert photos.photo("camera").shape == (512, 512, 3)  # a grey photo is given 3 channels
    assert photos.photo("flower").shape == (427, 640, 3)  # from scikit-learn


def test_an_unknown_photo_lists_the_choices():
    with pytest.raises(ValueError, match="No photo called 'kitten'.\nExpected: one of: astronaut"):
        photos.photo("kitten")


def test_random_crops_are_reproducible_and_varied():
    a = photos.random_crops(50, 32, seed=1)
    b = photos.random_crops(50, 32, seed=1)
    c = photos.random_crops(50, 32, seed=2)
    assert a.shape == (50, 32, 32, 3) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert len({round(float(crop.mean()), 4) for crop in a}) > 40
    assert photos.random_crops(3, 16, gray=True).shape == (3, 16, 16)
