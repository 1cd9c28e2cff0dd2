"""Figures the labs use again and again. Every function returns the matplotlib figure."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


def _to_numpy_image(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """``(C, H, W)`` or ``(H, W)`` tensor -> ``(H, W)`` or ``(H, W, C)`` array for imshow."""
    array = image.detach().cpu().float().numpy() if isinstance(image, torch.Tensor) \
        else np.asarray(image, dtype=float)
    if array.ndim == 3 and array.shape[0] in (1, 3):
        array = array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0)
    return array


def denormalize(images: torch.Tensor, mean: float | Sequence[float],
                std: float | Sequence[float]) -> torch.Tensor:
    """Undo ``(x - mean) / std`` on images ``(N, C, H, W)`` or ``(C, H, W)``, clipped to [0, 1]."""
    mean_t = torch.as_tensor(mean, dtype=images.dtype, device=images.device).reshape(-1, 1, 1)
    std_t = torch.as_tensor(std, dtype=images.dtype, device=images.device).reshape(-1, 1, 1)
    return (images * std_t + mean_t).clamp(0, 1)


def show_images(images: torch.Tensor | Sequence, labels: Sequence | None = None,
                title: str = "Images", ncols: int = 8, cmap: str = "gray",
                size: float = 1.5) -> plt.Figure:
    """A grid of images ``(N, C, H, W)`` (or a list of them) with an optional label above each.

    Pixel values are shown as they are; use :func:`denormalize` first for normalised data.
    """
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.6),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        array = _to_numpy_image(images[i])
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
    if names is None:
        names = [k for k in history if not k.startswith("val_") and k not in {"lr", "seconds"}]
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

    true = np.asarray(torch.as_tensor(y_true).cpu()).astype(int)
    pred = np.asarray(torch.as_tensor(y_pred).cpu()).astype(int)
    cm = ConfusionMatrix(actual_vector=true, predict_vector=pred)
    if class_names is not None:
        cm.relabel({i: str(name) for i, name in enumerate(class_names) if i in cm.classes})
    return cm


def plot_confusion_matrix(cm, title: str = "Confusion matrix") -> plt.Figure:
    """Draw a ``pycm.ConfusionMatrix`` as a heat map with the counts written in the cells."""
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
    pairs = [(t, p, cm.table[t][p]) for t in cm.classes for p in cm.classes if t != p]
    pairs = [pair for pair in pairs if pair[2] > 0]
    return sorted(pairs, key=lambda pair: -pair[2])[:top]


def show_filters(weight: torch.Tensor, title: str = "Filters", ncols: int = 8) -> plt.Figure:
    """Convolution weights ``(out, in, kH, kW)`` as images, each scaled to its own range.

    With 3 input channels the filters are shown in colour, otherwise channel 0 in grey.
    """
    weight = weight.detach().cpu().float()
    shown = weight if weight.shape[1] == 3 else weight[:, :1]
    low = shown.amin(dim=(1, 2, 3), keepdim=True)
    high = shown.amax(dim=(1, 2, 3), keepdim=True)
    scaled = (shown - low) / (high - low + 1e-8)
    return show_images(scaled, title=title, ncols=ncols, size=1.0)
