"""The small framework behind every exercise check.

A check either prints one friendly line (``output_size: all 3 checks passed.``) or
raises :class:`CheckFailed`, whose message says what was found, what was expected and
how to fix it. In Jupyter the message is shown on its own, without a traceback through
labutils: only the lines of *your* code that failed, if any.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
import torch

RED, GREEN, BOLD, RESET = "\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[0m"


class CheckFailed(Exception):
    """A wrong answer. ``str(error)`` is the message a student reads."""

    def __init__(self, name: str, message: str, your_code: list[str] | None = None):
        super().__init__(message)
        self.name = name
        self.message = message
        self.your_code = your_code or []

    def _render_traceback_(self) -> list[str]:
        """IPython shows these lines instead of a traceback."""
        lines = [f"{RED}{BOLD}Check failed: {self.name}{RESET}", *self.message.splitlines()]
        if self.your_code:
            lines += ["", "Where it happened in your code:", *self.your_code]
        return lines


class NotImplementedYet(CheckFailed):
    """The exercise still holds its ``raise NotImplementedError()`` stub."""


def _your_frames(error: BaseException) -> list[str]:
    """Lines of the traceback that come from notebook cells (your code), not from libraries."""
    lines = []
    for frame in traceback.extract_tb(error.__traceback__):
        in_cell = "ipykernel" in frame.filename or frame.filename.startswith("<")
        if in_cell and "labutils" not in frame.filename:
            lines.append(f"  in {frame.name}, line {frame.lineno}: {(frame.line or '').strip()}")
    return lines


def shape_of(value: Any) -> str:
    """``(2, 3, 4)`` for a tensor or array, the type name for anything else."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return str(tuple(value.shape))
    return type(value).__name__


def as_number(value: Any) -> Any:
    """A plain Python number from a one-element tensor or a NumPy scalar; else unchanged."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


@contextlib.contextmanager
def own_random_state(seed: int = 0) -> Iterator[None]:
    """Run a check on its own seeded random numbers, so that running it (or not) leaves
    the notebook's random numbers as they were. Works as a decorator too."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


@dataclass(frozen=True)
class Mistake:
    """A wrong way to compute an answer, and the hint a student gets when it matches."""

    answer: Callable[..., Any]
    hint: str


def which_mistake(cases: Sequence[tuple], found: Sequence[Any], first_wrong: int,
                  mistakes: Sequence[Mistake]) -> str | None:
    """The hint of the mistake that explains the answers: first one that reproduces
    every answer, else the first that reproduces the first wrong answer."""
    for mistake in mistakes:
        if all(mistake.answer(*case) == answer for case, answer in zip(cases, found)):
            return mistake.hint
    for mistake in mistakes:
        if mistake.answer(*cases[first_wrong]) == found[first_wrong]:
            return mistake.hint
    return None


class Check:
    """Collects the checks of one exercise. Use it like this::

        check = Check("output_size")
        found = check.call(output_size, 28, 3, description="output_size(28, 3)")
        check.equal(found, 26, "output_size(28, 3)", hint="n - k + 1 without padding")
        check.passed()
    """

    def __init__(self, name: str):
        self.name = name
        self.count = 0

    # -- failing ---------------------------------------------------------------------
    def fail(self, found: str, expected: str | None = None, hint: str | None = None) -> NoReturn:
        """Stop with a message made of what was found, what was expected, and a hint."""
        message = found
        if expected:
            message += f"\nExpected {expected}"
        if hint:
            message += f"\nHint: {hint}"
        raise CheckFailed(self.name, message) from None

    # -- passing ---------------------------------------------------------------------
    def ok(self) -> None:
        """Count one passed check."""
        self.count += 1

    def passed(self, summary: str | None = None) -> None:
        """Print the one line that says everything passed."""
        text = summary or f"all {self.count} checks passed."
        print(f"{GREEN}{self.name}: {text}{RESET}")

    # -- asking ----------------------------------------------------------------------
    def that(self, condition: bool, found: str, expected: str | None = None,
             hint: str | None = None) -> None:
        """Pass when ``condition`` holds; otherwise fail with the given words."""
        if not condition:
            self.fail(found, expected, hint)
        self.ok()

    def equal(self, found: Any, expected: Any, what: str, hint: str | None = None) -> None:
        """``found == expected`` (numbers, tuples, strings), else: '<what> gave <found>.'"""
        found = as_number(found)
        if found != expected:
            self.fail(f"{what} gave {found!r}.", f"{expected!r}.", hint)
        self.ok()

    def close(self, found: Any, expected: torch.Tensor | np.ndarray | float, what: str,
              atol: float = 1e-5, rtol: float = 1e-5, hint: str | None = None) -> None:
        """Same shape and values within tolerance; the message reports the largest difference."""
        expected_t = torch.as_tensor(np.asarray(expected) if not isinstance(expected, torch.Tensor)
                                     else expected).double()
        try:
            found_t = torch.as_tensor(np.asarray(found.detach().cpu() if isinstance(
                found, torch.Tensor) else found, dtype=float)).double()
        except (TypeError, ValueError):
            self.fail(f"{what} gave a {type(found).__name__}, not numbers.",
                      f"an array or tensor of shape {tuple(expected_t.shape)}.", hint)
        if found_t.shape != expected_t.shape:
            self.fail(f"{what} has shape {tuple(found_t.shape)}.",
                      f"shape {tuple(expected_t.shape)}.", hint)
        if not torch.allclose(found_t, expected_t, atol=atol, rtol=rtol):
            worst = (found_t - expected_t).abs().max().item()
            self.fail(f"{what} differs from the right answer by up to {worst:.3g}.",
                      f"a difference below {atol:g}.", hint)
        self.ok()

    def call(self, fn: Callable, *args: Any, description: str, hint: str | None = None,
             **kwargs: Any) -> Any:
        """Run your code; turn any error it raises into a clear message."""
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:
            raise NotImplementedYet(self.name, (
                f"{description} still raises NotImplementedError: the exercise is not done yet.\n"
                "Replace `raise NotImplementedError()` with your code, run that cell, "
                "then run this check again."
            )) from None
        except CheckFailed:
            raise
        except Exception as error:  # the student's code crashed: say where, not our stack
            message = (f"{description} raised {type(error).__name__}: {error}\n"
                       "Expected it to run without an error.")
            if hint:
                message += f"\nHint: {hint}"
            raise CheckFailed(self.name, message, _your_frames(error)) from None

    def is_class(self, value: Any, name: str) -> None:
        """Fail when given an instance (or anything else) where a class is needed."""
        if not isinstance(value, type):
            self.fail(f"The check received {type(value).__name__} object, not a class.",
                      f"the class itself: check_...({name}), without parentheses after {name}.")
