"""In-memory TensorLoader versus DataLoader(TensorDataset): images per second.

Run: python benchmarks/loader.py   (prints a table; numbers vary with the machine's load)

Both loaders go through one shuffled epoch of the MNIST training images and hand out
(images, labels) batches; no model runs, so the figures are the loaders' own cost.
"""

from __future__ import annotations

import torch
from common import machine, median_time, mnist_tensors
from torch.utils.data import DataLoader, TensorDataset

import labutils


def one_epoch(loader) -> int:
    seen = 0
    for _images, labels in loader:
        seen += len(labels)
    return seen


def main() -> None:
    X, y, _, _ = mnist_tensors()
    print(f"Machine: {machine()}")
    print(f"One shuffled epoch over {len(X):,} MNIST images (1x28x28), median of 3 runs.\n")
    print(f"{'batch':>6} | {'DataLoader img/s':>17} | {'TensorLoader img/s':>18} | {'speed-up':>8}")
    print(f"{'-' * 6}-+-{'-' * 17}-+-{'-' * 18}-+-{'-' * 8}")
    for batch_size in (16, 128, 512):
        torch.manual_seed(0)
        plain = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)
        fast = labutils.TensorLoader(X, y, batch_size=batch_size, shuffle=True, seed=0)
        assert one_epoch(plain) == one_epoch(fast) == len(X)
        plain_s = median_time(lambda loader=plain: one_epoch(loader), 3)
        fast_s = median_time(lambda loader=fast: one_epoch(loader), 3)
        print(f"{batch_size:>6} | {len(X) / plain_s:>17,.0f} | {len(X) / fast_s:>18,.0f} | "
              f"{plain_s / fast_s:>7.1f}x")


if __name__ == "__main__":
    main()
