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

from ..arguments import describe, need_int, need_tensor
from ..errors import ArgumentTypeError, ArgumentValueError


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
    _need_dataset(dataset, "as_tensors")
    batch_size = need_int(batch_size, "batch_size", "as_tensors", low=1)
    if isinstance(dataset, ImageTensors):
        return dataset.images.clone(), dataset.labels.clone()
    if isinstance(dataset, Subset) and isinstance(dataset.dataset, ImageTensors):
        rows = torch.as_tensor(dataset.indices, dtype=torch.long)
        return dataset.dataset.images[rows], dataset.dataset.labels[rows]
    if len(dataset) == 0:
        raise ArgumentValueError("as_tensors got an empty data set: there is nothing to convert.",
                                 "a data set with at least one item.",
                                 "check how it was made (a split, a filter) before converting.")
    images, labels = [], []
    try:
        # A generator of its own: a DataLoader draws a seed, which must not move the lab's.
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=False,
                            generator=torch.Generator())
        for batch in loader:
            x, y = batch  # a ValueError when the items are not (image, label) pairs
            images.append(torch.as_tensor(x))
            labels.append(torch.as_tensor(y))
        y = torch.cat(labels)
    except (TypeError, ValueError, RuntimeError, IndexError, KeyError) as error:
        raise ArgumentValueError(
            f"as_tensors() could not read the items of {describe(dataset)} as "
            f"(image, label) pairs ({type(error).__name__}: {error}).",
            "items (image tensor, label), every image of the same shape.",
            "make each item a pair, e.g. with a transform that ends in ToTensor() and a "
            "Resize to one size.") from error
    return torch.cat(images), (y.long() if not y.is_floating_point() else y)


def to_unit_floats(images: torch.Tensor | np.ndarray, name: str = "images",
                   where: str = "to_unit_floats") -> torch.Tensor:
    """Grey images ``(N, H, W)`` or ``(N, 1, H, W)``, uint8 in [0, 255] or floats in
    [0, 1], as a float tensor ``(N, H, W)`` in [0, 1]."""
    images = need_tensor(images, name, where, dims=(3, 4), nonempty=False,
                         shape_text="(N, H, W) or (N, 1, H, W)")
    if images.dim() == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.dim() != 3:
        raise ArgumentValueError(f"{where}() got {name} = {describe(images)}.",
                                 "grey images of shape (N, H, W) or (N, 1, H, W).",
                                 f"keep one channel, e.g. {name}[:, :1].")
    if images.dtype == torch.uint8:
        return images.float() / 255
    if images.dtype == torch.bool or not images.is_floating_point():
        raise ArgumentTypeError(f"{where}() got {name} = {describe(images)}.",
                                "uint8 pixels in [0, 255] or floats in [0, 1].",
                                f"pass {name}.float() scaled to [0, 1].")
    images = images.float()
    if images.numel() and not bool(((images >= 0) & (images <= 1)).all()):
        raise ArgumentValueError(f"{where}() got float images with values from "
                                 f"{images.min():.3g} to {images.max():.3g} (or NaN).",
                                 "Float images must lie in [0, 1].",
                                 "load MNIST with normalize=False, or pass the uint8 pixels.")
    return images


def train_val_split(dataset: Dataset, val_size: int | float = 0.1,
                    seed: int = 0) -> tuple[Subset, Subset]:
    """Split ``dataset`` at random into ``(train, val)``; the same ``seed`` gives the same split.

    ``val_size`` is a number of items (int) or a fraction of the dataset (float < 1).
    """
    _need_dataset(dataset, "train_val_split")
    seed = need_int(seed, "seed", "train_val_split", low=0, high=2**63 - 1)
    n = len(dataset)
    if isinstance(val_size, (bool, np.bool_)) or not isinstance(val_size, (int, float, np.number)):
        raise ArgumentTypeError(f"train_val_split() got val_size = {describe(val_size)}.",
                                "a fraction between 0 and 1 (float) or a number of items (int).",
                                "pass e.g. val_size=0.1 or val_size=1000.")
    is_fraction = isinstance(val_size, (float, np.floating))
    if is_fraction and not 0 < val_size < 1:
        n_val = 0
    else:
        n_val = round(val_size * n) if is_fraction else int(val_size)
    if not 0 < n_val < n:
        raise ArgumentValueError(
            f"val_size={val_size} leaves {n - n_val} of {n} items for training.",
            "at least one item for training and one for validation"
            + (" (a data set of at least 2 items)." if n < 2 else "."),
            "choose a fraction between 0 and 1, or a count between 1 and "
            f"{max(n - 1, 1)}.")
    generator = torch.Generator().manual_seed(seed)
    train, val = random_split(dataset, [n - n_val, n_val], generator=generator)
    return train, val


def mean_std(images: torch.Tensor) -> tuple[float, float]:
    """Mean and standard deviation over all pixels of ``images`` (any shape, at least 2 numbers,
    all finite)."""
    images = need_tensor(images, "images", "mean_std", finite=True)
    if images.numel() < 2:
        raise ArgumentValueError(f"mean_std() got images = {describe(images)}.",
                                 "at least 2 numbers (a standard deviation needs two).",
                                 "pass the whole training set, e.g. mean_std(X_train).")
    images = images.float()
    return images.mean().item(), images.std().item()


def _need_dataset(dataset: object, where: str) -> None:
    """A data set: something with a length whose items can be read by index."""
    if isinstance(dataset, (str, bytes, dict, torch.Tensor, np.ndarray)) or not (
            hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise ArgumentTypeError(f"{where}() got dataset = {describe(dataset)}.",
                                "a data set of (image, label) items, e.g. train from "
                                "labutils.load_mnist().",
                                "pass a data set; for tensors X and y use "
                                "labutils.data.ImageTensors(X, y).")
