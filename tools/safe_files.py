"""Write files so that an error (a full disk, an interrupt) never leaves one half-written.

A :class:`Staging` area writes each new file next to its target under a temporary name
first. Only when every file has been written completely does :meth:`Staging.commit` move
them into place with ``os.replace``, which swaps a whole file at once. Until then the
targets are untouched, and :meth:`Staging.discard` removes the temporary files.
"""

from __future__ import annotations

import errno
import os
import tempfile
from datetime import datetime
from pathlib import Path


class WriteFailed(OSError):
    """A file could not be written; every target is still as it was."""


def _write_fully(descriptor: int, data: bytes) -> None:
    """Write all of ``data`` to an open file descriptor, then flush it to the disk."""
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]
    os.fsync(descriptor)


def _describe(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "the disk is full"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the folder is not writable"
    return error.strerror or str(error)


class Staging:
    """New contents for several files, written in full before any target changes."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []  # (temporary file, target)

    def add(self, target: Path, text: str) -> None:
        """Write ``text`` to a temporary file beside ``target`` (the target stays as it is)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                            suffix=".tmp")
        temporary = Path(name)
        try:
            _write_fully(descriptor, text.encode("utf-8"))
        except OSError as error:
            os.close(descriptor)
            temporary.unlink(missing_ok=True)
            raise WriteFailed(error.errno, f"could not write {target}: {_describe(error)}") \
                from error
        os.close(descriptor)
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o7777)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        self._staged.append((temporary, target))

    def commit(self) -> list[Path]:
        """Move every staged file into place; return the targets."""
        done = []
        for temporary, target in self._staged:
            os.replace(temporary, target)
            done.append(target)
        self._staged = []
        return done

    def discard(self) -> None:
        """Remove the temporary files; the targets were never touched."""
        for temporary, _ in self._staged:
            temporary.unlink(missing_ok=True)
        self._staged = []

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        self.discard()  # after commit() there is nothing left to discard


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_atomic(target: Path, text: str) -> None:
    """Replace ``target`` by ``text`` in one step: the file is either old or new, never cut."""
    with Staging() as staging:
        staging.add(target, text)
        staging.commit()


def backup_path(path: Path, now: datetime | None = None) -> Path:
    """Where :func:`generate` keeps a copy of ``path`` before replacing it:
    ``.backup/NAME.YYYYmmdd-HHMMSS.ipynb`` in the same folder, never an existing file."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    folder = path.parent / ".backup"
    candidate = folder / f"{path.stem}.{stamp}{path.suffix}"
    number = 1
    while candidate.exists():
        number += 1
        candidate = folder / f"{path.stem}.{stamp}-{number}{path.suffix}"
    return candidate
