"""Reproducibility: one call seeds every random number generator a lab uses."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from .arguments import need_bool, need_int

LARGEST_SEED = 2**32 - 1  # NumPy's limit


def set_seed(seed: int = 0, deterministic: bool = False) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU).

    With ``deterministic=True`` PyTorch is also asked to use deterministic algorithms
    only. That makes two runs on the same machine give identical numbers, at some cost
    in speed; an operation without a deterministic version then raises an error.

    This changes global state on purpose: the random state of Python, NumPy and PyTorch,
    and PyTorch's deterministic-algorithms switch (``deterministic=False`` turns it off).
    ``seed`` is a whole number from 0 to 2**32 - 1.
    """
    seed = need_int(seed, "seed", "set_seed", low=0, high=LARGEST_SEED)
    need_bool(deterministic, "deterministic", "set_seed")
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
