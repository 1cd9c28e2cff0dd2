"""Real photos that ship inside installed packages, for labs that need pictures offline.

scikit-image and scikit-learn carry a handful of real photographs in their wheels, so
these work on any machine with no download. Labs use them as whole images (kernels in
lab 01) and as backgrounds for the composite data sets they build.
"""

from __future__ import annotations

import numpy as np

SKIMAGE_PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "brick", "grass", "gravel",
                  "rocket", "coins", "moon", "page", "text", "retina", "hubble_deep_field",
                  "immunohistochemistry", "cat")


def photo(name: str, gray: bool = False) -> np.ndarray:
    """One photo from ``skimage.data`` (e.g. ``"chelsea"``) or scikit-learn
    (``"china"``, ``"flower"``) as floats in [0, 1]: ``(H, W, 3)``, or ``(H, W)`` when ``gray``.
    """
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        image = load_sample_image(f"{name}.jpg")
    else:
        from skimage import data

        loader = getattr(data, name, None)
        if loader is None:
            raise ValueError(f"No photo called {name!r}. Try one of: "
                             f"{', '.join(SKIMAGE_PHOTOS)}, china, flower.")
        image = loader()
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
    rng = np.random.default_rng(seed)
    photos = background_photos(gray=gray)
    crops = []
    for _ in range(n):
        image = photos[rng.integers(len(photos))]
        top = rng.integers(image.shape[0] - size + 1)
        left = rng.integers(image.shape[1] - size + 1)
        crops.append(image[top:top + size, left:left + size])
    return np.stack(crops)
