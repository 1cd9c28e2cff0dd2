"""Data sets as tensors: the one way the labs turn a data set into ``(X, y)``.

``X, y = labutils.as_tensors(dataset)`` gives every image of ``dataset`` as one tensor
``X`` of shape ``(N, C, H, W)`` and every label as ``y`` of shape ``(N,)``.
MNIST and Fashion-MNIST are kept in memory as :class:`ImageTensors` (loading them is
one step), so for them, and for any part of them made by :func:`train_val_split`,
``as_tensors`` just picks the rows. Any other data set (e.g. photos read from files)
is read item by item through its own transform.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset, random_split


class ImageTensors(Dataset):
    """A data set held in memory: ``images`` ``(N, C, H, W)`` floats, ``labels`` ``(N,)``.

    ``dataset[i]`` is ``(images[i], labels[i])``; ``classes`` names the labels.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor,
                 classes: Sequence[str] = ()):
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels: "
                             "give one label per image.")
        self.images, self.labels, self.classes = images, labels, list(classes)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]

    def __repr__(self) -> str:
        return (f"ImageTensors({len(self)} images {tuple(self.images.shape[1:])}, "
                f"{len(self.classes)} classes)")


def as_tensors(dataset: Dataset, batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Every item of ``dataset`` as two new tensors ``(X, y)``: ``X`` ``(N, C, H, W)``,
    ``y`` ``(N,)`` (integer labels as ``long``).

    :class:`ImageTensors` (and parts of one, as :func:`train_val_split` makes) are
    copied row by row; any other data set is read item by item, ``batch_size`` at a time.
    """
    if isinstance(dataset, ImageTensors):
        return dataset.images.clone(), dataset.labels.clone()
    if isinstance(dataset, Subset) and isinstance(dataset.dataset, ImageTensors):
        rows = torch.as_tensor(dataset.indices, dtype=torch.long)
        return dataset.dataset.images[rows], dataset.dataset.labels[rows]
    if len(dataset) == 0:
        raise ValueError("as_tensors got an empty data set: there is nothing to convert.")
    images, labels = [], []
    for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        images.append(x)
        labels.append(torch.as_tensor(y))
    y = torch.cat(labels)
    return torch.cat(images), (y.long() if not y.is_floating_point() else y)


def to_unit_floats(images: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Grey images ``(N, H, W)`` or ``(N, 1, H, W)``, uint8 in [0, 255] or floats in
    [0, 1], as a float tensor ``(N, H, W)`` in [0, 1]."""
    images = torch.as_tensor(images)
    if images.dim() == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.dim() != 3:
        raise ValueError(f"Expected grey images of shape (N, H, W) or (N, 1, H, W), got "
                         f"{tuple(images.shape)}.")
    if images.dtype == torch.uint8:
        return images.float() / 255
    images = images.float()
    if images.numel() and (images.min() < 0 or images.max() > 1):
        raise ValueError(f"Float images must lie in [0, 1] (found values from "
                         f"{images.min():.3g} to {images.max():.3g}); load MNIST with "
                         "normalize=False, or pass the uint8 pixels.")
    return images


def train_val_split(dataset: Dataset, val_size: int | float = 0.1,
                    seed: int = 0) -> tuple[Subset, Subset]:
    """Split ``dataset`` at random into ``(train, val)``; the same ``seed`` gives the same split.

    ``val_size`` is a number of items (int) or a fraction of the dataset (float < 1).
    """
    n = len(dataset)
    n_val = round(val_size * n) if isinstance(val_size, float) else int(val_size)
    if not 0 < n_val < n:
        raise ValueError(f"val_size={val_size} leaves {n - n_val} of {n} items for training: "
                         "choose a fraction between 0 and 1, or a count between 1 and "
                         f"{n - 1}.")
    generator = torch.Generator().manual_seed(seed)
    train, val = random_split(dataset, [n - n_val, n_val], generator=generator)
    return train, val


def mean_std(images: torch.Tensor) -> tuple[float, float]:
    """Mean and standard deviation over all pixels of ``images`` (any shape)."""
    images = images.float()
    return images.mean().item(), images.std().item()
