"""Figures the labs use again and again. Every function returns the matplotlib figure."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from .arguments import describe, need_int, need_number, need_tensor, need_text, need_type
from .errors import ArgumentTypeError, ArgumentValueError

MAX_SIZE = 10.0  # inches per image in show_images: more is a typo, and costs memory


def _to_numpy_image(image: torch.Tensor | np.ndarray, name: str, where: str) -> np.ndarray:
    """``(C, H, W)`` (C = 1 or 3) or ``(H, W)`` tensor -> ``(H, W)`` or ``(H, W, 3)`` array
    for imshow."""
    image = need_tensor(image, name, where, dims=(2, 3), shape_text="(C, H, W) or (H, W)")
    if image.dim() == 3 and image.shape[0] not in (1, 3):
        raise ArgumentValueError(f"{where}() got {name} = {describe(image)}.",
                                 "1 (grey) or 3 (colour) channels first: (C, H, W).",
                                 "show one channel, e.g. images[:, :1], or move the channels "
                                 "first with .permute(2, 0, 1).")
    array = image.detach().cpu().float().numpy()
    if array.ndim == 3:
        array = array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0)
    return array


def denormalize(images: torch.Tensor, mean: float | Sequence[float],
                std: float | Sequence[float]) -> torch.Tensor:
    """Undo ``(x - mean) / std`` on images ``(N, C, H, W)`` or ``(C, H, W)``, clipped to [0, 1].

    ``mean`` and ``std`` are one number, or one number per channel.
    """
    images = need_tensor(images, "images", "denormalize", dims=(3, 4), floating=True,
                         shape_text="(N, C, H, W) or (C, H, W)")
    channels = images.shape[-3]
    for name, value in (("mean", mean), ("std", std)):
        _need_stats(value, name, "denormalize", channels)
    mean_t = torch.as_tensor(mean, dtype=images.dtype, device=images.device).reshape(-1, 1, 1)
    std_t = torch.as_tensor(std, dtype=images.dtype, device=images.device).reshape(-1, 1, 1)
    return (images * std_t + mean_t).clamp(0, 1)


def _need_images(images: object) -> torch.Tensor | Sequence:
    """``show_images``' images: a tensor ``(N, C, H, W)`` or ``(N, H, W)``, or a list."""
    if isinstance(images, np.ndarray):
        images = need_tensor(images, "images", "show_images", nonempty=False)
    if isinstance(images, torch.Tensor):
        need_tensor(images, "images", "show_images", dims=(3, 4), nonempty=False,
                    shape_text="(N, C, H, W) or (N, H, W)")
    elif not isinstance(images, (list, tuple)):
        raise ArgumentTypeError(f"show_images() got images = {describe(images)}.",
                                "images (N, C, H, W) as a tensor, or a list of (C, H, W) images.",
                                "pass a tensor of images, e.g. X_train[:16].")
    return images


def show_images(images: torch.Tensor | Sequence, labels: Sequence | None = None,
                title: str = "Images", ncols: int = 8, cmap: str = "gray",
                size: float = 1.5) -> plt.Figure:
    """A grid of images ``(N, C, H, W)`` (or a list of them) with an optional label above each.

    Pixel values are shown as they are; use :func:`denormalize` first for normalised data.
    With no images at all, the figure says so.
    """
    images = _need_images(images)
    n = len(images)
    if labels is not None:
        if not isinstance(labels, (list, tuple, torch.Tensor, np.ndarray)) or len(labels) != n:
            raise ArgumentValueError(f"show_images() got labels = {describe(labels)} for {n} "
                                     "images.", "one label per image, or labels=None.",
                                     "pass as many labels as images, e.g. labels=y[:16].")
    need_text(title, "title", "show_images")
    ncols = need_int(ncols, "ncols", "show_images", low=1)
    size = need_number(size, "size", "show_images", above=0, high=MAX_SIZE)
    if cmap not in plt.colormaps():
        raise ArgumentValueError(f"show_images() got cmap = {describe(cmap)}.",
                                 "the name of a matplotlib colour map, e.g. 'gray' or 'viridis'.",
                                 "pass cmap='gray' (the list: matplotlib.pyplot.colormaps()).")
    arrays = [_to_numpy_image(images[i], f"images[{i}]", "show_images") for i in range(n)]
    if n == 0:
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "(no images to show)", ha="center", va="center")
        fig.suptitle(title)
        return fig
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.6),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        array = arrays[i]
        ax.imshow(array, cmap=cmap if array.ndim == 2 else None)
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(history: dict[str, list[float]], title: str = "Training curves",
                 names: Sequence[str] | None = None) -> plt.Figure:
    """Learning curves from :func:`labutils.fit`'s history: one panel per quantity,
    training and validation (``val_``) together."""
    _need_history(history, "history", "plot_history")
    need_text(title, "title", "plot_history")
    if names is None:
        names = [k for k in history if not k.startswith("val_") and k not in {"lr", "seconds"}]
    elif isinstance(names, str) or not isinstance(names, (list, tuple)) or not all(
            isinstance(name, str) and name in history for name in names):
        raise ArgumentValueError(f"plot_history() got names = {describe(names)}.",
                                 f"a list of names from the history: {_keys(history)}.",
                                 "pass e.g. names=['loss'], or leave names out.")
    if not names:
        raise ArgumentValueError(f"plot_history() found nothing to plot in {_keys(history)}.",
                                 "at least one quantity, e.g. 'loss'.",
                                 "pass the dict fit returned, or names=[...].")
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.4), squeeze=False)
    for ax, name in zip(axes.flat, names):
        epochs = range(1, len(history[name]) + 1)
        ax.plot(epochs, history[name], marker="o", label="training")
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], marker="o", label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def compare_histories(histories: dict[str, dict[str, list[float]]], name: str = "loss",
                      title: str | None = None) -> plt.Figure:
    """One quantity (e.g. ``"val_loss"``) of several runs on one axis, labelled by run."""
    if not isinstance(histories, dict) or not histories:
        raise ArgumentTypeError(f"compare_histories() got histories = {describe(histories)}.",
                                "a dict {run name: history from fit}, at least one run.",
                                "pass e.g. {'Adam': history_adam, 'SGD': history_sgd}.")
    need_text(name, "name", "compare_histories")
    for run, history in histories.items():
        _need_history(history, f"histories[{run!r}]", "compare_histories")
        if name not in history:
            raise ArgumentValueError(f"compare_histories() got name = {name!r}, which run "
                                     f"{run!r} does not have.",
                                     f"a name every run has; {run!r} has {_keys(history)}.",
                                     "pass one of those, e.g. name='val_loss'.")
    if title is not None:
        need_text(title, "title", "compare_histories")
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for run, history in histories.items():
        ax.plot(range(1, len(history[name]) + 1), history[name], marker="o", label=run)
    ax.set_title(title or f"{name} per epoch")
    ax.set_xlabel("epoch")
    ax.set_ylabel(name)
    ax.legend()
    fig.tight_layout()
    return fig


def confusion_matrix(y_true: Sequence[int] | torch.Tensor, y_pred: Sequence[int] | torch.Tensor,
                     class_names: Sequence[str] | None = None):
    """A ``pycm.ConfusionMatrix`` of true against predicted labels (``cm.Overall_ACC``, ...)."""
    from pycm import ConfusionMatrix

    true = _labels(y_true, "y_true")
    pred = _labels(y_pred, "y_pred")
    if len(true) != len(pred):
        raise ArgumentValueError(f"confusion_matrix() got {len(true)} true labels and "
                                 f"{len(pred)} predictions.", "one prediction per true label.",
                                 "pass the labels and the predictions of the same items.")
    if class_names is not None:
        largest = int(max(true.max(), pred.max()))
        if isinstance(class_names, str) or not isinstance(class_names, (list, tuple)) or \
                len(class_names) <= largest or len(set(map(str, class_names))) != len(class_names):
            raise ArgumentValueError(
                f"confusion_matrix() got class_names = {describe(class_names)} for labels "
                f"up to {largest}.", f"at least {largest + 1} different names, one per class.",
                "pass e.g. class_names=train.classes.")
    cm = ConfusionMatrix(actual_vector=true, predict_vector=pred)
    if class_names is not None:
        cm.relabel({i: str(name) for i, name in enumerate(class_names) if i in cm.classes})
    return cm


def plot_confusion_matrix(cm, title: str = "Confusion matrix") -> plt.Figure:
    """Draw a ``pycm.ConfusionMatrix`` as a heat map with the counts written in the cells."""
    _need_confusion(cm, "plot_confusion_matrix")
    need_text(title, "title", "plot_confusion_matrix")
    classes = list(cm.classes)
    counts = np.array([[cm.table[t][p] for p in classes] for t in classes])
    fig, ax = plt.subplots(figsize=(0.55 * len(classes) + 2.5, 0.55 * len(classes) + 2))
    image = ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(classes)), [str(c) for c in classes], rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), [str(c) for c in classes])
    threshold = counts.max() / 2
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=8,
                    color="white" if counts[i, j] > threshold else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="images")
    fig.tight_layout()
    return fig


def most_confused(cm, top: int = 5) -> list[tuple[str, str, int]]:
    """The ``top`` (true, predicted, count) pairs with the most mistakes, largest first."""
    _need_confusion(cm, "most_confused")
    top = need_int(top, "top", "most_confused", low=0)
    pairs = [(t, p, cm.table[t][p]) for t in cm.classes for p in cm.classes if t != p]
    pairs = [pair for pair in pairs if pair[2] > 0]
    return sorted(pairs, key=lambda pair: -pair[2])[:top]


def show_filters(weight: torch.Tensor, title: str = "Filters", ncols: int = 8) -> plt.Figure:
    """Convolution weights ``(out, in, kH, kW)`` as images, each scaled to its own range.

    With 3 input channels the filters are shown in colour, otherwise channel 0 in grey.
    """
    weight = need_tensor(weight, "weight", "show_filters", dims=(4,),
                         shape_text="(out, in, kH, kW), e.g. model[0].weight")
    weight = weight.detach().cpu().float()
    shown = weight if weight.shape[1] == 3 else weight[:, :1]
    low = shown.amin(dim=(1, 2, 3), keepdim=True)
    high = shown.amax(dim=(1, 2, 3), keepdim=True)
    scaled = (shown - low) / (high - low + 1e-8)
    return show_images(scaled, title=title, ncols=ncols, size=1.0)


# --- What the functions above check ------------------------------------------------------

def _need_stats(value: object, name: str, where: str, channels: int) -> None:
    """One finite number, or one per channel."""
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim <= 1:
        value = value.tolist()
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values or not all(_is_number(v) and math.isfinite(v) for v in values) or \
            len(values) not in (1, channels):
        raise ArgumentValueError(f"{where}() got {name} = {describe(value)} for images with "
                                 f"{channels} channels.",
                                 f"one finite number, or {channels} (one per channel).",
                                 f"pass the {name} you normalised with, e.g. "
                                 "labutils.MNIST_STATS[0] or labutils.IMAGENET_STATS[0].")


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _keys(history: dict) -> str:
    return ", ".join(repr(k) for k in history) or "no names at all"


def _need_history(history: object, name: str, where: str) -> None:
    """A dict {name: list of numbers}; a ``val_`` list as long as its training list."""
    if not isinstance(history, dict) or not all(
            isinstance(key, str) and isinstance(values, (list, tuple))
            and all(_is_number(v) for v in values)
            for key, values in history.items()):
        raise ArgumentTypeError(f"{where}() got {name} = {describe(history)}.",
                                "a history as fit returns it: {'loss': [numbers per epoch], "
                                "...}.", "pass the dict that labutils.fit returned.")
    for key, values in history.items():
        train = history.get(key.removeprefix("val_"))
        if key.startswith("val_") and train is not None and len(train) != len(values):
            raise ArgumentValueError(f"{where}() got {name} with {len(train)} values of "
                                     f"{key.removeprefix('val_')!r} but {len(values)} of {key!r}.",
                                     "one value per epoch in both.",
                                     "pass the dict that labutils.fit returned, unchanged.")


def _labels(values: object, name: str) -> np.ndarray:
    """Class labels as a 1-d integer array with at least one label."""
    try:
        array = np.asarray(torch.as_tensor(values).cpu())
    except (TypeError, ValueError, RuntimeError):
        array = None
    if array is None or array.ndim != 1 or array.size == 0 or array.dtype.kind not in "iu":
        raise ArgumentValueError(f"confusion_matrix() got {name} = {describe(values)}.",
                                 "class labels: whole numbers (N,), at least one.",
                                 "pass class indices, e.g. predict(model, X).argmax(dim=1).")
    return array.astype(int)


def _need_confusion(cm: object, where: str) -> None:
    from pycm import ConfusionMatrix

    need_type(cm, ConfusionMatrix, "cm", where, "a confusion matrix from "
              "labutils.confusion_matrix(y_true, y_pred).",
              "make one first: cm = labutils.confusion_matrix(y_true, y_pred).")
