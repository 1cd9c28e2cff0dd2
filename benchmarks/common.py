"""Small helpers shared by the benchmark scripts."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import torch

import labutils


def machine() -> str:
    """One line describing where the figures were measured."""
    device = labutils.get_device(verbose=False)
    return (f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
            f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}")


def mnist_tensors() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """MNIST as normalised tensors ``(X_train, y_train, X_test, y_test)``."""
    train, test = labutils.load_mnist(verbose=False)
    return (*labutils.as_tensors(train), *labutils.as_tensors(test))


def median_time(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``run``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
