"""labutils.fit versus a bare PyTorch loop: the overhead of the workbook's training loop.

Run: python benchmarks/loop.py

Both train the same small CNN on the same MNIST batches for the same number of steps,
with the same optimizer and the same numerics: float32 (``mixed_precision=False``), then
fit's default mixed precision against a bare loop under the same autocast. fit also
checks every batch (labels in range, a finite loss), sums the loss and accuracy, keeps a
history and prints one line per epoch; the question is what that costs. Runs alternate
(bare, fit, bare, fit, ...) so that a change in the machine's load hits both alike.

A run takes about 3 s, and on a shared machine single runs scatter by +-10%, more than
the overhead being measured. So the script prints every run, and the overhead both from
the medians and from the fastest run of each (the one least disturbed by other work).
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time

import torch
from common import machine, mnist_tensors
from torch import nn

import labutils
from labutils.precision import Numerics, choose_numerics

EPOCHS, BATCH, ROUNDS = 2, 128, 6


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def bare(X, y, numerics: Numerics) -> float:
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = labutils.TensorLoader(X, y, batch_size=BATCH, shuffle=True, seed=0)
    start = time.perf_counter()
    for _ in range(EPOCHS):
        model.train()
        for images, labels in loader:
            with numerics.autocast():
                outputs = model(images)
            loss = loss_fn(outputs.float(), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


def with_fit(X, y, numerics: Numerics) -> float:
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = labutils.TensorLoader(X, y, batch_size=BATCH, shuffle=True, seed=0)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # still formatted, just not shown
        labutils.fit(model, loader, epochs=EPOCHS, optimizer=optimizer, live=False,
                     mixed_precision=numerics.dtype is not None)
    return time.perf_counter() - start


def main() -> None:
    X, y, _, _ = mnist_tensors()
    print(f"Machine: {machine()}")
    print(f"{EPOCHS} epochs of {len(X):,} MNIST images, batch {BATCH}, "
          f"{ROUNDS} alternating rounds in each numerics.\n")
    for numerics in (choose_numerics("cpu", mixed_precision=False), choose_numerics("cpu")):
        print(numerics.describe())
        bare_times, fit_times = [], []
        for _ in range(ROUNDS):
            bare_times.append(bare(X, y, numerics))
            fit_times.append(with_fit(X, y, numerics))
        print("run         bare s   fit s")
        for i, (b, f) in enumerate(zip(bare_times, fit_times), start=1):
            print(f"{i:>3}        {b:7.2f} {f:7.2f}")
        for label, pick in [("medians", statistics.median), ("fastest runs", min)]:
            bare_s, fit_s = pick(bare_times), pick(fit_times)
            overhead = 100 * (fit_s - bare_s) / bare_s
            print(f"{numerics.name}, {label}: bare loop {bare_s:.2f} s, labutils.fit "
                  f"{fit_s:.2f} s, overhead {overhead:+.1f}%  (goal: at most 5%)")
        print()
        if numerics.dtype is None and choose_numerics("cpu").dtype is None:
            break  # no mixed precision on this machine: one table is enough


if __name__ == "__main__":
    main()
