"""What can go wrong when the labs look for their data, each with its own exception.

Every message says what happened, what was expected, and what to do.
"""

from __future__ import annotations


class DataNotFoundError(FileNotFoundError):
    """A data set is in none of the places labutils looks, and could not be downloaded."""


class CorruptDataError(RuntimeError):
    """A data file exists but is damaged: wrong size or checksum, truncated, or unreadable."""


class DataFolderError(OSError):
    """The data folder cannot be written: read-only, no permission, or a full disk."""
