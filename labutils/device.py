"""Pick where tensors live: a CUDA GPU, an Apple GPU (MPS) or the CPU."""

from __future__ import annotations

import torch

from .arguments import need_bool
from .settings import DEVICE_VARIABLE, device_setting, mps_available


def get_device(verbose: bool = True) -> torch.device:
    """Return the best device on this machine: CUDA, then Apple MPS, then CPU.

    Set the environment variable ``LABUTILS_DEVICE`` (for example ``cpu`` or ``cuda:1``)
    to choose yourself (see ``settings.py``). Prints one line saying what was chosen
    unless ``verbose=False``.
    """
    need_bool(verbose, "verbose", "get_device")
    device = device_setting()
    if device is not None:
        reason = f"set by {DEVICE_VARIABLE}"
    elif torch.cuda.is_available():
        device = torch.device("cuda")
        reason = f"GPU: {torch.cuda.get_device_name(0)}"
    elif mps_available():
        device = torch.device("mps")
        reason = "Apple GPU"
    else:
        device = torch.device("cpu")
        reason = f"no GPU found, {torch.get_num_threads()} CPU threads"
    if verbose:
        print(f"Running on {device} ({reason}).")
    return device
