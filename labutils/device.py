"""Pick where tensors live: a CUDA GPU, an Apple GPU (MPS) or the CPU."""

from __future__ import annotations

import os

import torch

DEVICE_VARIABLE = "LABUTILS_DEVICE"


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def get_device(verbose: bool = True) -> torch.device:
    """Return the best device on this machine: CUDA, then Apple MPS, then CPU.

    Set the environment variable ``LABUTILS_DEVICE`` (for example ``cpu`` or ``cuda:1``)
    to choose yourself. Prints one line saying what was chosen unless ``verbose=False``.
    """
    wanted = os.environ.get(DEVICE_VARIABLE, "").strip()
    if wanted:
        try:
            device = torch.device(wanted)
        except RuntimeError as error:
            raise ValueError(
                f"{DEVICE_VARIABLE}={wanted!r} is not a device PyTorch knows ({error}). "
                "Use cpu, cuda, cuda:0, mps, or unset the variable to choose automatically."
            ) from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"{DEVICE_VARIABLE}={wanted!r} asks for a CUDA GPU, but PyTorch sees none here. "
                "Unset the variable or set it to cpu."
            )
        if device.type == "mps" and not _mps_available():
            raise ValueError(
                f"{DEVICE_VARIABLE}={wanted!r} asks for an Apple GPU (MPS), but it is not "
                "available here. Unset the variable or set it to cpu."
            )
        reason = f"set by {DEVICE_VARIABLE}"
    elif torch.cuda.is_available():
        device = torch.device("cuda")
        reason = f"GPU: {torch.cuda.get_device_name(0)}"
    elif _mps_available():
        device = torch.device("mps")
        reason = "Apple GPU"
    else:
        device = torch.device("cpu")
        reason = f"no GPU found, {torch.get_num_threads()} CPU threads"
    if verbose:
        print(f"Running on {device} ({reason}).")
    return device
