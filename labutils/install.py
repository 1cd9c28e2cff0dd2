"""How to install what the workbook needs: the one hint every error and the doctor give."""

from __future__ import annotations

import importlib
from importlib import metadata
from types import ModuleType


def install_hint(*packages: str) -> str:
    """One sentence telling the student how to install (or repair) ``packages``.

    The workbook pins every package in ``requirements.txt``; installing from it is what
    ``make lab`` does, and it repairs a broken or half-finished install too.
    """
    what = ", ".join(packages) if packages else "the workbook's packages"
    return (f"install {what} with `pip install -r requirements.txt` in the workbook folder "
            "(`make lab` does it for you; on Colab, run the notebook's first cell), "
            "then restart the kernel.")


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution`` (a pip name), or ``None`` when missing."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def require(module: str, distribution: str | None = None) -> ModuleType:
    """Import ``module``, or raise :class:`ModuleNotFoundError` that says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ModuleNotFoundError(
            f"labutils needs {module}, which cannot be imported ({type(error).__name__}: "
            f"{error}).\nWhat to do: {install_hint(distribution or module)}") from None
