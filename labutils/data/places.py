"""Where the data lives: the data folder, the read-only mirror, and the offline switch.

Three settings, read each time they are needed (so ``%env`` in a notebook takes effect
at once):

- ``LABUTILS_DATA_DIR``: the data folder, where data sets are linked or downloaded.
  Unset: the ``data/`` folder of the workbook, or ``~/.cache/labutils/data`` when
  labutils runs outside a workbook (e.g. on Colab).
- ``LABUTILS_DATA_MIRROR``: a read-only folder holding data sets in torchvision's layout.
- ``LABUTILS_OFFLINE=1``: never download.

A relative path in the first two is taken from the **workbook folder** (the checkout
holding ``pyproject.toml`` and ``data/``), not from the current folder. So
``LABUTILS_DATA_MIRROR=../shared/datasets`` means the same thing in a terminal at the
workbook's root, in a notebook kernel (which runs in ``notebooks/``) and in
``make doctor``. Outside a workbook, relative paths start at the current folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import DataFolderError

DATA_DIR_VARIABLE = "LABUTILS_DATA_DIR"
MIRROR_VARIABLE = "LABUTILS_DATA_MIRROR"
OFFLINE_VARIABLE = "LABUTILS_OFFLINE"
COURSE_MIRROR = "../shared/datasets"  # where the offline course machines keep the mirror


def _is_workbook(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file() and (folder / "data" / "README.md").is_file()


def workbook_folder() -> Path | None:
    """The workbook checkout labutils belongs to, or ``None`` outside one.

    First the folder that holds this copy of labutils (a clone, or an editable install);
    otherwise the current folder or the nearest folder above it that is a workbook.
    """
    package_home = Path(__file__).resolve().parents[2]
    here = Path.cwd()
    return next((folder for folder in (package_home, here, *here.parents)
                 if _is_workbook(folder)), None)


def relative_base() -> Path:
    """The folder that relative paths in the settings start from."""
    return workbook_folder() or Path.cwd()


def setting_path(variable: str) -> Path | None:
    """The folder named by environment variable ``variable``, made absolute; ``None`` if unset."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = relative_base() / path
    return Path(os.path.normpath(path))


def describe_setting(variable: str) -> str:
    """``NAME=value`` as set, with the folder a relative value starts from."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return f"{variable} is not set"
    if Path(value).expanduser().is_absolute():
        return f"{variable}={value}"
    return f"{variable}={value}, relative to {relative_base()}"


def how_to_set(variable: str, value: str) -> str:
    """Words that set ``variable`` in a notebook (at once) or in a terminal (for later)."""
    return (f"run `%env {variable}={value}` in a notebook cell (or `export {variable}={value}` "
            "in the terminal before `make lab`); relative paths start at the workbook "
            f"folder {relative_base()}")


def default_data_dir() -> Path:
    """The data folder when ``LABUTILS_DATA_DIR`` is unset."""
    workbook = workbook_folder()
    if workbook is not None:
        return workbook / "data"
    return Path.home() / ".cache" / "labutils" / "data"


def data_dir(create: bool = True) -> Path:
    """The folder where data sets are kept: ``LABUTILS_DATA_DIR``, else the default.

    Created when missing unless ``create=False``; a folder that cannot be created raises
    :class:`~labutils.data.errors.DataFolderError` with what to do.
    """
    folder = setting_path(DATA_DIR_VARIABLE) or default_data_dir()
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataFolderError(
                f"Could not create the data folder {folder} ({type(error).__name__}: "
                f"{error.strerror or error}).",
                "choose a folder you can write: "
                + how_to_set(DATA_DIR_VARIABLE, "~/cnn-data") + ".") from None
    return folder


def mirror_dir() -> Path | None:
    """The read-only mirror named by ``LABUTILS_DATA_MIRROR``, or ``None`` when unset."""
    return setting_path(MIRROR_VARIABLE)


def offline() -> bool:
    """True when ``LABUTILS_OFFLINE`` forbids downloads."""
    return os.environ.get(OFFLINE_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


def write_problem(folder: Path) -> str | None:
    """``None`` when a file can be created in ``folder``, else a few words saying why not."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        return f"{type(error).__name__}: {error.strerror or error}"
    return None
