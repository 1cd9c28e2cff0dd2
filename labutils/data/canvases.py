"""Canvases of several handwritten digits, for multi-label classification (lab 08).

A canvas is a grey 56x56 image cut into a 2x2 grid of 28x28 cells. Between 1 and 4
of the cells hold a real MNIST digit, each nudged by a few random pixels so that the
digits do not always sit in the same places. The label of a canvas is the *set* of
digits on it, written as a multi-hot vector of 10 zeros and ones: a canvas showing
3, 7 and 3 again has the target ``[0, 0, 0, 1, 0, 0, 0, 1, 0, 0]``.

The canvases are made from real digits only and are the same on every machine for a
given seed. Training canvases are built from MNIST's training digits and held-out
canvases from its test digits, so no handwritten digit is shared between them.
"""

from __future__ import annotations

import numpy as np
import torch

from ..arguments import need_bool, need_int, need_tensor
from ..errors import ArgumentValueError
from .datasets import load_mnist
from .tensors import as_tensors, to_unit_floats

DIGIT_SIZE = 28
N_CLASSES = 10
MAX_CANVASES = 200_000  # per split: 2.5 GB of floats; the labs use 20,000
MAX_GRID = 4


def _digits_and_labels(images: torch.Tensor | np.ndarray,
                       labels: torch.Tensor | np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """``make_canvases``' digits as floats ``(M, 28, 28)`` and their labels, checked."""
    digits = to_unit_floats(images, "images", "make_canvases")
    labels = need_tensor(labels, "labels", "make_canvases", dims=(1,), nonempty=False).long()
    if digits.shape[1:] != (DIGIT_SIZE, DIGIT_SIZE):
        raise ArgumentValueError(f"make_canvases() got images of shape "
                                 f"{tuple(torch.as_tensor(images).shape)}.",
                                 "images must be 28x28 digits, (M, 28, 28) or (M, 1, 28, 28).",
                                 "pass MNIST digits, e.g. from load_mnist(normalize=False).")
    if len(digits) != len(labels) or len(digits) == 0:
        raise ArgumentValueError(f"make_canvases() got {len(digits)} images but {len(labels)} "
                                 "labels.", "one label per image, at least one image.",
                                 "pass the images and the labels of the same digits.")
    return digits, labels


def make_canvases(images: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray,
                  n: int, seed: int = 0, grid: int = 2, max_digits: int = 4,
                  jitter: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` canvases built from the digit ``images`` and their class ``labels``.

    Args:
        images: digits ``(M, 28, 28)`` or ``(M, 1, 28, 28)``, uint8 (0-255) or floats
            in [0, 1].
        labels: their classes ``(M,)``, integers 0-9.
        n: how many canvases to make.
        seed: the same seed always gives the same canvases.
        grid: the canvas is ``grid`` x ``grid`` cells of 28x28 pixels.
        max_digits: each canvas holds between 1 and ``max_digits`` digits (at most one per
            cell), the number drawn uniformly.
        jitter: each digit moves by up to this many pixels up/down and left/right (it
            never leaves the canvas; where two digits overlap the brighter pixel wins).

    Returns:
        ``(canvases, targets)``: floats ``(n, 1, 28 * grid, 28 * grid)`` in [0, 1] and
        multi-hot floats ``(n, 10)``.
    """
    digits, labels = _digits_and_labels(images, labels)
    n = need_int(n, "n", "make_canvases", low=0, high=MAX_CANVASES)
    seed = need_int(seed, "seed", "make_canvases", low=0, high=2**63 - 1)
    grid = need_int(grid, "grid", "make_canvases", low=1, high=MAX_GRID)
    max_digits = need_int(max_digits, "max_digits", "make_canvases", low=1, high=grid * grid)
    jitter = need_int(jitter, "jitter", "make_canvases", low=0, high=DIGIT_SIZE)

    rng = np.random.default_rng(seed)
    size = DIGIT_SIZE * grid
    canvases = torch.zeros(n, 1, size, size)
    targets = torch.zeros(n, N_CLASSES)
    for i in range(n):
        count = rng.integers(1, max_digits + 1)
        cells = rng.choice(grid * grid, size=count, replace=False)
        picks = rng.integers(len(digits), size=count)
        shifts = rng.integers(-jitter, jitter + 1, size=(count, 2))
        for cell, pick, (dy, dx) in zip(cells, picks, shifts):
            top = int(np.clip(cell // grid * DIGIT_SIZE + dy, 0, size - DIGIT_SIZE))
            left = int(np.clip(cell % grid * DIGIT_SIZE + dx, 0, size - DIGIT_SIZE))
            patch = canvases[i, 0, top:top + DIGIT_SIZE, left:left + DIGIT_SIZE]
            torch.maximum(patch, digits[pick], out=patch)
            targets[i, labels[pick]] = 1.0
    return canvases, targets


def load_digit_canvases(n_train: int = 20_000, n_val: int = 2_000, n_test: int = 5_000,
                        val_digits: int = 1_000, seed: int = 0, verbose: bool = True,
                        **options):
    """Training, validation and held-out (test) canvases made from real MNIST digits.

    The MNIST training digits are split once: the last ``val_digits`` of them make the
    validation canvases, the others the training canvases. The test canvases come from
    the MNIST test digits only. ``options`` go to :func:`make_canvases` (e.g. ``jitter``).
    Prints one line saying what was made unless ``verbose=False``. Each count is at
    most 200,000 (2.5 GB of canvases).

    Returns:
        ``((X_train, Y_train), (X_val, Y_val), (X_test, Y_test))``: canvases
        ``(N, 1, 56, 56)`` in [0, 1] and multi-hot targets ``(N, 10)``.
    """
    for name, count in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test)):
        need_int(count, name, "load_digit_canvases", low=1, high=MAX_CANVASES)
    need_int(val_digits, "val_digits", "load_digit_canvases", low=1)
    need_int(seed, "seed", "load_digit_canvases", low=0, high=2**63 - 3)
    need_bool(verbose, "verbose", "load_digit_canvases")
    unknown = sorted(set(options) - {"grid", "max_digits", "jitter"})
    if unknown:
        raise ArgumentValueError(f"load_digit_canvases() got options it does not know: "
                                 f"{', '.join(unknown)}.", "options grid, max_digits, jitter "
                                 "(see make_canvases).", "leave the others out; check the "
                                 "spelling.")
    train, test = load_mnist(normalize=False, verbose=verbose)
    train_images, train_labels = as_tensors(train)
    test_images, test_labels = as_tensors(test)
    if val_digits >= len(train_images):
        raise ArgumentValueError(f"load_digit_canvases() got val_digits = {val_digits}, but "
                                 f"MNIST here has {len(train_images):,} training digits.",
                                 f"val_digits from 1 to {len(train_images) - 1}, leaving "
                                 "digits for the training canvases.",
                                 "use the default val_digits=1000.")
    n_digits = len(train_images) - val_digits
    splits = (
        make_canvases(train_images[:n_digits], train_labels[:n_digits], n_train, seed,
                      **options),
        make_canvases(train_images[n_digits:], train_labels[n_digits:], n_val, seed + 1,
                      **options),
        make_canvases(test_images, test_labels, n_test, seed + 2, **options),
    )
    size = splits[0][0].shape[-1]
    if verbose:
        print(f"Canvases ({size}x{size}, 1-{options.get('max_digits', 4)} digits each): "
              f"{n_train:,} training from {n_digits:,} MNIST training digits, {n_val:,} "
              f"validation from the other {val_digits:,}, {n_test:,} held-out from the "
              f"{len(test_images):,} MNIST test digits.")
    return splits


def describe_digits(target: torch.Tensor) -> str:
    """The digits of a multi-hot ``target`` (10,) as text, e.g. ``"{3, 7}"``."""
    target = need_tensor(target, "target", "describe_digits", dims=(1,), shape_text="(10,)")
    if target.dtype == torch.bool:
        target = target.float()
    present = torch.nonzero(target > 0.5).flatten().tolist()
    return "{" + ", ".join(str(d) for d in present) + "}"
