"""What can go wrong when the labs look for their data, each with its own exception.

Every message says what happened, what was expected, and what to do: it ends with a line
``What to do: ...``. Each error also keeps the two parts apart, as ``error.problem`` and
``error.remedy``, so that ``make doctor`` shows the remedy as the fix without reading it
back out of the message. The three belong to labutils' error family
(:class:`labutils.LabutilsError`) and are also the built-in error that fits (a missing
file, a damaged file, a folder that cannot be written).
"""

from __future__ import annotations

from ..errors import LabutilsError


class _Remedied:
    """Mixed into each error below: the message is ``problem``, then ``What to do: remedy``."""

    def __init__(self, problem: str, remedy: str = "", *more: str) -> None:
        message = f"{problem}\nWhat to do: {remedy}" if remedy else problem
        super().__init__(" ".join([message, *more]))
        self.problem = problem
        self.remedy = remedy

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # A copy sent between processes (pickled) is made from both parts again.
        return type(self), (self.problem, self.remedy)


class DataNotFoundError(_Remedied, LabutilsError, FileNotFoundError):
    """A data set is in none of the places labutils looks, and could not be downloaded."""


class CorruptDataError(_Remedied, LabutilsError, RuntimeError):
    """A data file exists but is damaged: wrong size or checksum, truncated, or unreadable."""


class DataFolderError(_Remedied, LabutilsError, OSError):
    """The data folder cannot be written: read-only, no permission, or a full disk."""
