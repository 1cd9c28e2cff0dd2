"""The errors labutils raises on purpose: one family, so that one ``except`` catches them all.

Every message has three parts, on three lines::

    fit got epochs=0.
    Expected: a whole number of epochs, at least 1 (one pass over the data each).
    What to do: pass epochs=1 or more.

Each error is also the built-in exception that fits, so code that catches ``TypeError``
or ``ValueError`` keeps working:

- :class:`LabutilsError`: the base of the family (``except labutils.LabutilsError``);
- :class:`ArgumentTypeError` (a ``TypeError``): an argument of the wrong kind, e.g. a
  list where a tensor is needed;
- :class:`ArgumentValueError` (a ``ValueError``): the right kind, but a value that makes
  no sense: out of range, empty, NaN or inf, the wrong shape;
- :class:`ModelInputError` (a ``ValueError``): the model or the loss could not take a
  batch (a dtype or a shape it rejects); the error from inside torch is kept as the cause;
- :class:`SettingError` (a ``ValueError``): a ``LABUTILS_*`` environment variable holds a
  value labutils does not know.

The data errors (:class:`~labutils.data.errors.DataNotFoundError` ...) belong to the
family too.
"""

from __future__ import annotations


class LabutilsError(Exception):
    """An error labutils raises on purpose, with what was given, what was expected and what
    to do.

    ``LabutilsError(given, expected, fix)`` writes the three parts on three lines; the
    parts stay readable as ``error.given``, ``error.expected`` and ``error.fix``. A single
    argument is a message already written in three parts (as the data errors are).
    """

    def __init__(self, given: str, expected: str = "", fix: str = ""):
        self.given, self.expected, self.fix = given, expected, fix
        if expected or fix:
            super().__init__(f"{given}\nExpected: {expected}\nWhat to do: {fix}")
        else:
            super().__init__(given)


class ArgumentTypeError(LabutilsError, TypeError):
    """An argument of the wrong kind (a list for a tensor, a string for a number ...)."""


class ArgumentValueError(LabutilsError, ValueError):
    """An argument of the right kind whose value makes no sense here (range, shape, NaN ...)."""


class ModelInputError(LabutilsError, ValueError):
    """The model or the loss could not take a batch; the error from torch is the cause."""


class SettingError(LabutilsError, ValueError):
    """A ``LABUTILS_*`` environment variable holds a value labutils does not know."""
