"""What can go wrong when the labs look for their data, each with its own exception.

Every message says what happened, what was expected, and what to do. The three belong
to labutils' error family (:class:`labutils.LabutilsError`) and are also the built-in
error that fits (a missing file, a damaged file, a folder that cannot be written).
"""

from __future__ import annotations

from ..errors import LabutilsError


class DataNotFoundError(LabutilsError, FileNotFoundError):
    """A data set is in none of the places labutils looks, and could not be downloaded."""


class CorruptDataError(LabutilsError, RuntimeError):
    """A data file exists but is damaged: wrong size or checksum, truncated, or unreadable."""


class DataFolderError(LabutilsError, OSError):
    """The data folder cannot be written: read-only, no permission, or a full disk."""
