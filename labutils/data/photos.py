"""Real photos that ship inside installed packages, for labs that need pictures offline.

scikit-image and scikit-learn carry a handful of real photographs in their wheels, so
these work on any machine with no download. Labs use them as whole images (kernels in
lab 01) and as backgrounds for the composite data sets they build.
"""

from __future__ import annotations

import numpy as np

from ..arguments import describe, need_bool, need_int
from ..errors import ArgumentValueError

SKLEARN_PHOTOS = ("china", "flower")
SMALLEST_PHOTO_SIDE = 300  # of background_photos(): random crops are at most this size
SKIMAGE_PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "brick", "grass", "gravel",
                  "rocket", "coins", "moon", "page", "text", "retina", "hubble_deep_field",
                  "immunohistochemistry", "cat")


def photo(name: str, gray: bool = False) -> np.ndarray:
    """One photo from ``skimage.data`` (e.g. ``"chelsea"``) or scikit-learn
    (``"china"``, ``"flower"``) as floats in [0, 1]: ``(H, W, 3)``, or ``(H, W)`` when ``gray``.
    """
    if not isinstance(name, str) or name not in SKIMAGE_PHOTOS + SKLEARN_PHOTOS:
        raise ArgumentValueError(f"No photo called {describe(name)}.",
                                 f"one of: {', '.join(SKIMAGE_PHOTOS + SKLEARN_PHOTOS)}.",
                                 "pass one of those names, e.g. photo('chelsea').")
    need_bool(gray, "gray", "photo")
    if name in SKLEARN_PHOTOS:
        from sklearn.datasets import load_sample_image

        image = load_sample_image(f"{name}.jpg")
    else:
        from skimage import data

        image = getattr(data, name)()
    image = np.asarray(image, dtype=np.float64)
    image = image / 255.0 if image.max() > 1 else image
    if image.ndim == 3 and image.shape[2] == 4:  # drop an alpha channel
        image = image[..., :3]
    if gray and image.ndim == 3:
        image = image @ np.array([0.2125, 0.7154, 0.0721])
    if not gray and image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return image


def background_photos(gray: bool = False) -> list[np.ndarray]:
    """Colourful, textured real photos suited as backgrounds, as floats in [0, 1]."""
    names = ("astronaut", "chelsea", "coffee", "brick", "grass", "gravel", "rocket",
             "immunohistochemistry", "china", "flower")
    return [photo(name, gray=gray) for name in names]


def random_crops(n: int, size: int, seed: int = 0, gray: bool = False) -> np.ndarray:
    """``n`` random ``size`` x ``size`` crops of :func:`background_photos`, reproducible by
    ``seed``: ``(n, size, size, 3)`` floats in [0, 1] (``(n, size, size)`` when ``gray``)."""
    n = need_int(n, "n", "random_crops", low=0)
    size = need_int(size, "size", "random_crops", low=1, high=SMALLEST_PHOTO_SIDE)
    seed = need_int(seed, "seed", "random_crops", low=0, high=2**63 - 1)
    rng = np.random.default_rng(seed)
    photos = background_photos(gray=gray)
    if n == 0:
        return np.zeros((0, size, size) if gray else (0, size, size, 3))
    crops = []
    for _ in range(n):
        image = photos[rng.integers(len(photos))]
        top = rng.integers(image.shape[0] - size + 1)
        left = rng.integers(image.shape[1] - size + 1)
        crops.append(image[top:top + size, left:left + size])
    return np.stack(crops)
