"""The ``LABUTILS_*`` environment variables: each one read here, with the values it takes.

Set them before starting Python (or in the notebook with ``%env NAME=value``):

- ``LABUTILS_DEVICE``: ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` picks the device
  (:func:`labutils.get_device`); unset, the best one is chosen.
- ``LABUTILS_PRECISION``: ``float32`` trains in float32 everywhere, ``mixed`` (or unset)
  uses mixed precision where the device does it well (``precision.py``).

A value labutils does not know is a :class:`~labutils.errors.SettingError` that lists the
values it knows; it is never taken as something else.

- ``LABUTILS_GRADING``: set (to anything but ``0``) by the course tools while nbgrader
  grades a class (:func:`grading`).

The data sets' variables (``LABUTILS_DATA_DIR``, ``LABUTILS_DATA_MIRROR``,
``LABUTILS_OFFLINE``) are read in ``data/places.py``, and ``LABUTILS_ANSWERS`` in
``checks/reference.py``; they are listed here so that this page names them all.
"""

from __future__ import annotations

import os

import torch

from .errors import SettingError

DEVICE_VARIABLE = "LABUTILS_DEVICE"
PRECISION_VARIABLE = "LABUTILS_PRECISION"
DEVICE_VALUES = ("cpu", "cuda", "cuda:N", "mps")
PRECISION_VALUES = ("mixed", "float32")

# Every variable labutils reads, and where.
VARIABLES = {
    DEVICE_VARIABLE: "settings.py: the device (cpu, cuda, cuda:N, mps)",
    PRECISION_VARIABLE: "settings.py: mixed precision or float32",
    "LABUTILS_DATA_DIR": "data/places.py: the data folder",
    "LABUTILS_DATA_MIRROR": "data/places.py: a read-only folder of data sets",
    "LABUTILS_OFFLINE": "data/places.py: 1 to never download",
    "LABUTILS_GRADING": "settings.py: set while nbgrader grades a class",
    "LABUTILS_ANSWERS": "checks/reference.py: the folder of answers an instructor released",
}


def read(variable: str) -> str:
    """The value of ``variable``, without surrounding spaces (``""`` when unset)."""
    return os.environ.get(variable, "").strip()


def grading() -> bool:
    """True while nbgrader grades a class (the course tools set ``LABUTILS_GRADING``)."""
    return read("LABUTILS_GRADING") not in ("", "0")


def device_setting() -> torch.device | None:
    """The device ``LABUTILS_DEVICE`` asks for, or ``None`` when it is unset.

    Raises :class:`SettingError` for a name torch does not know, and for a GPU this
    machine does not have.
    """
    wanted = read(DEVICE_VARIABLE)
    if not wanted:
        return None
    known = ", ".join(DEVICE_VALUES)
    try:
        device = torch.device(wanted)
    except (RuntimeError, ValueError) as error:
        raise SettingError(
            f"{DEVICE_VARIABLE}={wanted!r} is not a device PyTorch knows ({error}).",
            f"one of {known}.",
            "set it to one of those, or unset the variable to choose automatically.") from None
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": mps_available()}
    if not available.get(device.type, False):
        what = {"cuda": "a CUDA GPU, but PyTorch sees none here",
                "mps": "an Apple GPU (MPS), but it is not available here"}.get(
            device.type, f"a {device.type} device, which labutils does not use")
        raise SettingError(f"{DEVICE_VARIABLE}={wanted!r} asks for {what}.",
                           f"a device this machine has: one of {known}.",
                           "unset the variable or set it to cpu.")
    return device


def precision_setting() -> str:
    """``"float32"`` or ``"mixed"`` as ``LABUTILS_PRECISION`` says (``"mixed"`` when unset)."""
    wanted = read(PRECISION_VARIABLE).lower()
    if wanted not in ("", *PRECISION_VALUES):
        raise SettingError(f"{PRECISION_VARIABLE}={wanted!r} is not a setting labutils knows.",
                           f"one of {', '.join(PRECISION_VALUES)}.",
                           "use float32 or mixed, or unset the variable.")
    return wanted or "mixed"


def mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()
