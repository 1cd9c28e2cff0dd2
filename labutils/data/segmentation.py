"""A segmentation data set made offline from real pictures: glyphs pasted onto photos.

Each image is a crop of a real photo (from :mod:`labutils.data.photos`) with one real
handwritten digit (MNIST) or piece of clothing (Fashion-MNIST) painted onto it. The
glyph is enlarged to a random size, put at a random place and painted in a colour
that stands out from the photo behind it. Because we paint the glyph ourselves we know
its mask exactly: a pixel is foreground when the glyph covers at least half of it.

For online users, :func:`pets_to_tensors` turns the Oxford-IIIT Pet trimaps (loaded
with ``labutils.load_oxford_pets(target_types="segmentation")``) into the same format.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..arguments import describe, need_int, need_number
from ..errors import ArgumentTypeError, ArgumentValueError
from .datasets import MAX_IMAGE_SIZE, imagenet_resize
from .photos import SMALLEST_PHOTO_SIDE, random_crops
from .tensors import to_unit_floats

COLOUR_CANDIDATES = 8  # random colours tried per glyph; the one farthest from the photo wins


def paste_glyphs(glyphs: torch.Tensor | np.ndarray, backgrounds: np.ndarray | torch.Tensor,
                 glyph_size: tuple[int, int] = (28, 44), threshold: float = 0.5,
                 seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Paint glyph ``i`` onto background ``i`` and return ``(images, masks)``.

    Args:
        glyphs: ``(N, h, w)`` grey glyphs (e.g. MNIST digits), uint8 or floats in [0, 1].
        backgrounds: ``(N, S, S, 3)`` photo crops, floats in [0, 1]
            (e.g. ``labutils.data.photos.random_crops(N, S)``).
        glyph_size: each glyph is resized to a random side length in this range (pixels,
            both ends included, at most ``S``).
        threshold: a pixel is foreground when the glyph's ink covers at least this much of it.
        seed: makes sizes, places and colours reproducible.

    Returns:
        ``images``: ``(N, 3, S, S)`` floats in [0, 1], ``(1 - ink) * photo + ink * colour``;
        ``masks``: ``(N, 1, S, S)`` floats, 1.0 on the glyph and 0.0 elsewhere.
    """
    glyphs = to_unit_floats(glyphs, "glyphs", "paste_glyphs")
    photos = _backgrounds(backgrounds, len(glyphs))
    threshold = need_number(threshold, "threshold", "paste_glyphs", low=0, high=1)
    seed = need_int(seed, "seed", "paste_glyphs", low=0, high=2**63 - 1)
    n, _, height, width = photos.shape
    _need_glyph_size(glyph_size, min(height, width), "paste_glyphs")
    low, high = glyph_size
    generator = torch.Generator().manual_seed(seed)
    images = torch.empty_like(photos)
    masks = torch.zeros(n, 1, height, width)
    for i in range(n):
        side = int(torch.randint(low, high + 1, (1,), generator=generator))
        ink = F.interpolate(glyphs[i][None, None], size=(side, side), mode="bilinear",
                            align_corners=False, antialias=True)[0, 0].clamp(0, 1)
        top = int(torch.randint(0, height - side + 1, (1,), generator=generator))
        left = int(torch.randint(0, width - side + 1, (1,), generator=generator))
        alpha = torch.zeros(height, width)
        alpha[top:top + side, left:left + side] = ink

        # The colour that differs most from the photo under the glyph.
        covered = alpha >= threshold  # the glyph's pixels: the mask below, too
        behind = photos[i][:, covered].mean(dim=1) if covered.any() else photos[i].mean((1, 2))
        candidates = torch.rand(COLOUR_CANDIDATES, 3, generator=generator)
        colour = candidates[(candidates - behind).norm(dim=1).argmax()]

        images[i] = (1 - alpha) * photos[i] + alpha * colour[:, None, None]
        masks[i, 0] = covered.float()
    return images, masks


def _backgrounds(backgrounds: np.ndarray | torch.Tensor, n_glyphs: int) -> torch.Tensor:
    """The photo crops ``(N, S, S, 3)`` as ``(N, 3, S, S)`` floats, one per glyph."""
    photos = torch.as_tensor(np.asarray(backgrounds), dtype=torch.float32)
    if photos.dim() != 4 or photos.shape[-1] != 3:
        raise ArgumentValueError(f"paste_glyphs() got backgrounds = {describe(photos)}.",
                                 "backgrounds must be (N, S, S, 3) photo crops.",
                                 "make them with labutils.data.photos.random_crops(N, S).")
    if len(photos) != n_glyphs:
        raise ArgumentValueError(f"paste_glyphs() got {n_glyphs} glyphs but {len(photos)} "
                                 "backgrounds.", "one background per glyph.",
                                 "draw as many crops as there are glyphs.")
    return photos.permute(0, 3, 1, 2).contiguous()


def make_segmentation_set(glyphs: torch.Tensor | np.ndarray, size: int = 48, seed: int = 0,
                          glyph_size: tuple[int, int] = (28, 44)) -> tuple[torch.Tensor,
                                                                           torch.Tensor]:
    """Glyphs pasted onto random crops of real photos: ``(images, masks)``.

    One ``size`` x ``size`` photo crop per glyph is drawn with
    :func:`labutils.data.photos.random_crops` (reproducible by ``seed``); see
    :func:`paste_glyphs` for the rest. Use different seeds for training and test sets
    so that they get different crops. ``size`` is at most 300 (the smallest photo's side).
    """
    glyphs = to_unit_floats(glyphs, "glyphs", "make_segmentation_set")
    if len(glyphs) == 0:
        raise ArgumentValueError("make_segmentation_set() got no glyphs (N = 0).",
                                 "at least one glyph, (N, h, w) with N >= 1.",
                                 "pass some digits, e.g. X[:100].")
    size = need_int(size, "size", "make_segmentation_set", low=1, high=SMALLEST_PHOTO_SIDE)
    seed = need_int(seed, "seed", "make_segmentation_set", low=0, high=2**63 - 1)
    _need_glyph_size(glyph_size, size, "make_segmentation_set")
    backgrounds = random_crops(len(glyphs), size, seed=seed)
    return paste_glyphs(glyphs, backgrounds, glyph_size=glyph_size, seed=seed)


def pets_to_tensors(dataset: Sequence, image_size: int, limit: int | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Oxford-IIIT Pet items ``(image tensor, trimap PIL image)`` as ``(images, masks)``.

    ``dataset`` comes from ``labutils.load_oxford_pets(image_size, target_types=
    "segmentation")``: its images are already resized and centre-cropped to
    ``image_size``; the trimaps get the same rule here (:func:`imagenet_resize` with
    nearest neighbours, so no new labels appear). Trimap values: 1 pet, 2 background,
    3 border; the pet and its border count as foreground. Returns ``(N, 3, s, s)`` images
    and ``(N, 1, s, s)`` float masks (1.0 on the pet).
    """
    from torchvision.transforms import PILToTensor

    if isinstance(dataset, (str, bytes, dict, torch.Tensor, np.ndarray)) or not (
            hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise ArgumentTypeError(f"pets_to_tensors() got dataset = {describe(dataset)}.",
                                "a data set of (image, trimap) items.",
                                "pass what labutils.load_oxford_pets(image_size, "
                                "target_types='segmentation') returned.")
    image_size = need_int(image_size, "image_size", "pets_to_tensors", low=1,
                          high=MAX_IMAGE_SIZE)
    limit = need_int(limit, "limit", "pets_to_tensors", low=1, optional=True)
    count = len(dataset) if limit is None else min(limit, len(dataset))
    if count == 0:
        raise ArgumentValueError("pets_to_tensors() got an empty data set.",
                                 "at least one (image, trimap) item.",
                                 "check that the Oxford-IIIT Pet data set loaded.")
    resize, to_tensor = imagenet_resize(image_size, nearest=True), PILToTensor()
    images, masks = [], []
    try:
        for i in range(count):
            image, trimap = dataset[i]
            labels = to_tensor(resize(trimap))  # (1, s, s) uint8 with values 1, 2, 3
            images.append(image)
            masks.append((labels != 2).float())
        return torch.stack(images), torch.stack(masks)
    except (TypeError, ValueError, RuntimeError, AttributeError) as error:
        raise ArgumentValueError(
            f"pets_to_tensors() could not read item {len(images)} of the data set as "
            f"(image tensor, trimap) ({type(error).__name__}: {error}).",
            f"items (image tensor (3, {image_size}, {image_size}), PIL trimap).",
            "load the pets with target_types='segmentation' and the same image_size.") from error


def _need_glyph_size(glyph_size: object, side: int, where: str) -> None:
    """Two whole numbers ``(low, high)`` with ``1 <= low <= high <= side``."""
    if not isinstance(glyph_size, (tuple, list)) or len(glyph_size) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in glyph_size) or \
            not 1 <= glyph_size[0] <= glyph_size[1] <= side:
        raise ArgumentValueError(f"{where}() got glyph_size = {describe(glyph_size)}.",
                                 f"glyph_size (low, high), whole numbers with 1 <= low <= high "
                                 f"<= {side} (the image side).",
                                 "pass e.g. glyph_size=(28, 44) with size=48.")
