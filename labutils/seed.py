"""Reproducibility: one call seeds every random number generator a lab uses."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def set_seed(seed: int = 0, deterministic: bool = False) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU).

    With ``deterministic=True`` PyTorch is also asked to use deterministic algorithms
    only. That makes two runs on the same machine give identical numbers, at some cost
    in speed; an operation without a deterministic version then raises an error.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA and MPS generators too
    if deterministic:
        # cuBLAS needs this setting to be deterministic; it is read when CUDA starts.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    else:
        torch.use_deterministic_algorithms(False)
        torch.backends.cudnn.deterministic = False


def seed_worker(worker_id: int) -> None:
    """Give each DataLoader worker its own reproducible Python and NumPy seed.

    Pass it as ``DataLoader(..., worker_init_fn=seed_worker, generator=make_generator(0))``.
    PyTorch already seeds torch inside each worker from the loader's generator; this
    makes ``random`` and ``numpy.random`` follow the same seed.
    """
    worker_seed = torch.initial_seed() % 2**32
    random.seed(worker_seed + worker_id)
    np.random.seed(worker_seed + worker_id)


def make_generator(seed: int = 0) -> torch.Generator:
    """A ``torch.Generator`` seeded with ``seed``: use it to make shuffling reproducible."""
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
