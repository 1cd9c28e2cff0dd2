"""A fast loader for data sets that fit in memory, and augmentation of whole batches.

``torch.utils.data.DataLoader(TensorDataset(X, y))`` fetches every item on its own and
then stacks them, so with small images most of the time goes into Python overhead.
:class:`TensorLoader` shuffles an index once per epoch and slices whole batches out of
the tensors instead. It yields the same batches a DataLoader would, much faster.

Augmentation works on whole batches too: pass a function such as :func:`random_shift`
as ``transform=``. It receives a batch ``(N, C, H, W)`` and returns a changed batch of
the same shape, a new random change for every image and every epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F

from .arguments import describe, need_bool, need_callable, need_int, need_tensor
from .errors import ArgumentTypeError, ArgumentValueError, ModelInputError
from .settings import DEVICE_VALUES, mps_available


class TensorLoader:
    """Batches ``(X[idx], y[idx], ...)`` sliced straight from in-memory tensors.

    Args:
        *tensors: tensors with the same first dimension ``N``, e.g. images ``(N, C, H, W)``
            and labels ``(N,)``.
        batch_size: items per batch; the last batch is smaller unless ``drop_last``.
        shuffle: draw a new random order at the start of every epoch.
        seed: makes the order of every epoch reproducible (``None``: follow torch's seed).
        transform: optional function applied to the first tensor of each batch
            (augmentation on whole batches, e.g. random flips).
        device: move the tensors there once, up front (``None``: leave them where they are).
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int = 128, shuffle: bool = False,
                 seed: int | None = None, drop_last: bool = False,
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 device: torch.device | str | None = None):
        if not tensors:
            raise ArgumentValueError("TensorLoader() got no tensors.",
                                     "at least one tensor, e.g. TensorLoader(X, y).",
                                     "pass the inputs and the targets: TensorLoader(X, y).")
        names = ["X", "y"] + [f"tensors[{i}]" for i in range(2, len(tensors))]
        tensors = tuple(need_tensor(t, name, "TensorLoader", dims=range(1, 9), nonempty=False,
                                    shape_text="(N, ...)") for name, t in zip(names, tensors))
        sizes = {len(t) for t in tensors}
        if len(sizes) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ArgumentValueError(f"TensorLoader() got tensors of different lengths "
                                     f"({shapes}).",
                                     "tensors that share their first dimension N, one row "
                                     "per item.", "pass the inputs and the targets of the same "
                                     "items, e.g. X[:100] with y[:100].")
        batch_size = need_int(batch_size, "batch_size", "TensorLoader", low=1)
        need_bool(shuffle, "shuffle", "TensorLoader")
        need_bool(drop_last, "drop_last", "TensorLoader")
        need_int(seed, "seed", "TensorLoader", low=0, high=2**64 - 1, optional=True)
        need_callable(transform, "transform", "TensorLoader", "labutils.random_shift",
                      optional=True)
        device = _need_device(device)
        self.tensors = tuple(t.to(device) for t in tensors) if device is not None else tensors
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.transform = transform
        self.generator = None
        if seed is not None:
            self.generator = torch.Generator().manual_seed(seed)

    @property
    def n_samples(self) -> int:
        """Number of items in one full pass."""
        return len(self.tensors[0])

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.drop_last:
            return self.n_samples // self.batch_size
        return -(-self.n_samples // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        n = self.n_samples
        order = torch.randperm(n, generator=self.generator) if self.shuffle else None
        for batch in range(len(self)):
            start = batch * self.batch_size
            stop = min(start + self.batch_size, n)
            if order is None:
                items = [t[start:stop] for t in self.tensors]
            else:
                index = order[start:stop].to(self.tensors[0].device)
                items = [t.index_select(0, index) for t in self.tensors]
            if self.transform is not None:
                items[0] = self._transformed(items[0])
            yield tuple(items)

    def _transformed(self, batch: torch.Tensor) -> torch.Tensor:
        """The transform's result, which must be a tensor with one row per item."""
        result = self.transform(batch)
        if not isinstance(result, torch.Tensor) or len(result) != len(batch):
            name = getattr(self.transform, "__name__", type(self.transform).__name__)
            raise ModelInputError(
                f"The TensorLoader's transform {name} returned {describe(result)} for a "
                f"batch {describe(batch)}.", "a tensor with the same number of items.",
                "make the transform return the changed batch, e.g. return shifted.")
        return result

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return (f"TensorLoader({shapes}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, batches={len(self)})")


def _need_device(device: object) -> torch.device | None:
    """``None``, or a device (or its name) that this machine has."""
    if device is None:
        return None
    known = ", ".join(DEVICE_VALUES)
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ArgumentValueError(f"TensorLoader() got device = {describe(device)}.",
                                 f"None or a device: one of {known}.",
                                 "pass device=labutils.get_device().") from None
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": mps_available()}
    if not available.get(chosen.type, False) or (
            chosen.type == "cuda" and (chosen.index or 0) >= torch.cuda.device_count()):
        raise ArgumentValueError(f"TensorLoader() got device = {describe(device)}, which this "
                                 "machine does not have.", f"a device it has ({known}).",
                                 "pass device=labutils.get_device().")
    return chosen


def random_shift(images: torch.Tensor, max_shift: int = 2) -> torch.Tensor:
    """Move every image of a batch ``(N, C, H, W)`` by its own random offset.

    Each image is shifted by up to ``max_shift`` pixels left or right and up or down
    (whole pixels). The strip that moves in is filled with the smallest value of the
    batch, which is the background for MNIST-style images. Returns ``(N, C, H, W)``.
    """
    images = need_tensor(images, "images", "random_shift", dims=(4,), shape_text="(N, C, H, W)")
    if images.dtype == torch.bool or images.is_complex():
        raise ArgumentTypeError(f"random_shift() got images = {describe(images)}.",
                                "images of numbers (floats, or uint8 pixels).",
                                "convert them first, e.g. images.float().")
    n, _, height, width = images.shape
    max_shift = need_int(max_shift, "max_shift", "random_shift", low=0, high=min(height, width))
    if max_shift == 0:
        return images
    padded = F.pad(images, [max_shift] * 4, value=float(images.min()))
    # where each image's window starts inside the padded image: 0 .. 2 * max_shift
    top = torch.randint(0, 2 * max_shift + 1, (n, 1, 1), device=images.device)
    left = torch.randint(0, 2 * max_shift + 1, (n, 1, 1), device=images.device)
    rows = top + torch.arange(height, device=images.device).view(1, height, 1)
    cols = left + torch.arange(width, device=images.device).view(1, 1, width)
    batch = torch.arange(n, device=images.device).view(n, 1, 1)
    # indexing with (batch, :, rows, cols) gives (N, H, W, C): move the channels back
    shifted = padded[batch, :, rows, cols].permute(0, 3, 1, 2)
    return shifted.contiguous(memory_format=torch.contiguous_format)
