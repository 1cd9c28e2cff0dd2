"""The offline segmentation set: glyphs pasted onto photo crops, with exact masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from labutils.data.segmentation import make_segmentation_set, paste_glyphs, pets_to_tensors


def square_glyphs(n: int) -> torch.Tensor:
    """Glyphs whose ink is a solid 10x10 square in the middle of a 28x28 frame."""
    glyphs = torch.zeros(n, 28, 28, dtype=torch.uint8)
    glyphs[:, 9:19, 9:19] = 255
    return glyphs


def test_shapes_types_and_ranges():
    backgrounds = np.random.default_rng(0).random((5, 40, 40, 3))
    images, masks = paste_glyphs(square_glyphs(5), backgrounds, glyph_size=(28, 28))
    assert images.shape == (5, 3, 40, 40) and masks.shape == (5, 1, 40, 40)
    assert images.dtype == torch.float32 and masks.dtype == torch.float32
    assert 0 <= images.min() and images.max() <= 1
    assert set(masks.unique().tolist()) == {0.0, 1.0}


def test_mask_is_exactly_the_ink_and_the_photo_shows_elsewhere():
    backgrounds = np.random.default_rng(1).random((4, 40, 40, 3))
    images, masks = paste_glyphs(square_glyphs(4), backgrounds, glyph_size=(28, 28))
    photos = torch.as_tensor(backgrounds, dtype=torch.float32).permute(0, 3, 1, 2)
    for image, mask, photo in zip(images, masks, photos):
        assert mask.sum() == 100  # the 10x10 square, at full size
        outside = mask[0] == 0
        assert torch.allclose(image[:, outside], photo[:, outside])
        inside = image[:, mask[0] == 1]
        colour = inside[:, :1]
        assert torch.allclose(inside, colour.expand_as(inside))  # one solid colour


def test_colour_stands_out_from_the_photo():
    backgrounds = np.full((20, 40, 40, 3), 0.9)  # bright photos: the ink should be dark
    images, masks = paste_glyphs(square_glyphs(20), backgrounds, glyph_size=(28, 28))
    ink = images.permute(1, 0, 2, 3)[:, masks[:, 0] == 1]
    assert ink.mean() < 0.5


def test_sizes_and_positions_vary_and_seed_reproduces():
    glyphs = square_glyphs(30)
    backgrounds = np.zeros((30, 48, 48, 3))
    _, masks = paste_glyphs(glyphs, backgrounds, glyph_size=(20, 44), seed=3)
    _, again = paste_glyphs(glyphs, backgrounds, glyph_size=(20, 44), seed=3)
    _, other = paste_glyphs(glyphs, backgrounds, glyph_size=(20, 44), seed=4)
    assert torch.equal(masks, again) and not torch.equal(masks, other)
    areas = masks.sum(dim=(1, 2, 3))
    assert len(areas.unique()) > 5
    centres = [tuple(torch.nonzero(m[0]).float().mean(0).round().tolist()) for m in masks]
    assert len(set(centres)) > 10


def test_float_glyphs_and_bad_inputs():
    backgrounds = np.zeros((2, 32, 32, 3))
    floats = square_glyphs(2).float() / 255
    _, masks = paste_glyphs(floats[:, None], backgrounds, glyph_size=(28, 28))
    assert masks.sum() == 200
    with pytest.raises(ValueError, match="normalize=False"):
        paste_glyphs(floats * 3 - 1, backgrounds)
    with pytest.raises(ValueError, match="one background per glyph"):
        paste_glyphs(floats, np.zeros((3, 32, 32, 3)))
    with pytest.raises(ValueError, match="glyph_size"):
        paste_glyphs(floats, backgrounds, glyph_size=(20, 40))
    with pytest.raises(ValueError, match=r"\(N, S, S, 3\)"):
        paste_glyphs(floats, np.zeros((2, 32, 32)))


def test_make_segmentation_set_uses_real_photo_crops():
    images, masks = make_segmentation_set(square_glyphs(6), size=32, seed=0,
                                          glyph_size=(24, 30))
    assert images.shape == (6, 3, 32, 32) and masks.shape == (6, 1, 32, 32)
    background = images[:, :, masks[0, 0] == 0]
    assert background.std() > 0.05  # a textured photo, not a flat colour
    other, _ = make_segmentation_set(square_glyphs(6), size=32, seed=1, glyph_size=(24, 30))
    assert not torch.allclose(images, other)


def test_pets_trimaps_become_foreground_masks():
    """A stand-in for the torchvision dataset: items (image tensor, trimap PIL image)."""
    trimap = np.full((90, 120), 2, dtype=np.uint8)  # background everywhere
    trimap[20:70, 30:90] = 3  # border
    trimap[25:65, 35:85] = 1  # pet
    items = [(torch.rand(3, 64, 64), Image.fromarray(trimap)) for _ in range(3)]
    images, masks = pets_to_tensors(items, image_size=64, limit=2)
    assert images.shape == (2, 3, 64, 64) and masks.shape == (2, 1, 64, 64)
    assert set(masks.unique().tolist()) == {0.0, 1.0}
    # the resized and centre-cropped pet region: rows 20..70 of 90 -> scale 73/90
    scale = int(64 * 256 / 224) / 90
    expected_rows = round(50 * scale)
    assert abs(int(masks[0, 0, :, 32].sum()) - expected_rows) <= 1
