"""The small framework behind every exercise check.

A check either prints one friendly line (``output_size: all 3 checks passed.``) or
raises :class:`CheckFailed`, whose message says what was found, what was expected and
how to fix it. In Jupyter the message is shown on its own, without a traceback through
labutils: only the lines of *your* code that failed, if any.

Besides :class:`Check`, this module holds what the lab modules use to look inside your
answers: ``whole_number`` and ``float_tensor`` for answers that should be numbers,
``leaf_layers``, ``parameter_count`` and ``recording`` (forward hooks) for models,
``Mistake``/``which_mistake`` and ``Check.no_mistake_among`` for naming a known mistake,
and ``own_random_state``/``one_thread`` so that a check leaves your notebook as it was.
"""

from __future__ import annotations

import contextlib
import math
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
import torch
from torch import nn

from .registry import PASSED, record_exercise

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


def described(value: Any) -> str:
    """``shape (2, 3, 4)`` for a tensor or array, ``a tuple`` (the type) for anything else."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return f"shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


# -- answers: numbers -------------------------------------------------------------------


def as_number(value: Any) -> Any:
    """A plain Python number from a one-element tensor or a NumPy scalar; else unchanged."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, np.ndarray) and value.size == 1:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def float_tensor(value: Any) -> torch.Tensor | None:
    """``value`` (tensor, array, nested lists, number) as a float64 tensor on the CPU,
    or ``None`` when it is not made of numbers."""
    try:
        if isinstance(value, torch.Tensor):
            return value.detach().cpu().double()
        if isinstance(value, (str, bytes)) or value is None:
            return None
        return torch.as_tensor(np.asarray(value, dtype=float), dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return None


def first_match(found: torch.Tensor, candidates: Sequence[tuple[torch.Tensor, str, str]],
                atol: float = 1e-4, rtol: float = 1e-4) -> tuple[str, str] | None:
    """``(message, hint)`` of the first ``(tensor, message, hint)`` candidate that
    ``found`` equals (same shape, values within tolerance), else ``None``. The candidates
    are the outputs of typical wrong answers."""
    for candidate, message, hint in candidates:
        candidate = candidate.double()
        if found.shape == candidate.shape and torch.allclose(found.double(), candidate,
                                                              atol=atol, rtol=rtol):
            return message, hint
    return None


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


# -- inspecting models ------------------------------------------------------------------


def leaf_layers(model: nn.Module, repeats: bool = False) -> list[nn.Module]:
    """The layers of ``model`` that hold no other layers, in the order they were created.
    With ``repeats=True`` a layer used twice (the same object) is listed twice."""
    return [module for _, module in model.named_modules(remove_duplicate=not repeats)
            if not list(module.children())]


def parameter_count(model: nn.Module) -> int:
    """Every number of ``model``'s parameters, trainable or frozen."""
    return sum(p.numel() for p in model.parameters())


@dataclass
class LayerCall:
    """One recorded forward call: the layer, the shape it received and the shape it gave."""

    layer: nn.Module
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


@contextlib.contextmanager
def recording(layers: Sequence[nn.Module]) -> Iterator[list[LayerCall]]:
    """Record, in running order, every forward call of ``layers`` while inside the
    ``with`` block (forward hooks, removed at the end)::

        with recording(convs) as calls:
            model(x)
        shapes = [call.output_shape for call in calls]
    """
    calls: list[LayerCall] = []

    def hook(module: nn.Module, inputs: tuple, output: Any) -> None:
        first = inputs[0] if inputs else None
        calls.append(LayerCall(module, tuple(getattr(first, "shape", ())),
                               tuple(getattr(output, "shape", ()))))

    handles = [layer.register_forward_hook(hook) for layer in layers]
    try:
        yield calls
    finally:
        for handle in handles:
            handle.remove()


# -- running checks quietly -------------------------------------------------------------


@contextlib.contextmanager
def own_random_state(seed: int = 0) -> Iterator[None]:
    """Run a check on its own seeded random numbers, so that running it (or not) leaves
    the notebook's random numbers as they were. Works as a decorator too."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run PyTorch on one thread for a moment. Checks that make hundreds of tiny tensors
    only wait on extra threads (a lot, on a busy machine). Works as a decorator too."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


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
        record_exercise(self.name, PASSED)

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

    def numbers_close(self, found: Any, expected: torch.Tensor | np.ndarray | float, what: str,
                      atol: float = 1e-5, rtol: float = 1e-5, hint: str | None = None) -> None:
        """Same shape and values within tolerance; the message reports the largest difference."""
        expected_t = float_tensor(expected)
        found_t = float_tensor(found)
        if found_t is None:
            self.fail(f"{what} gave a {type(found).__name__}, not numbers.",
                      f"an array or tensor of shape {tuple(expected_t.shape)}.", hint)
        if found_t.shape != expected_t.shape:
            self.fail(f"{what} has shape {tuple(found_t.shape)}.",
                      f"shape {tuple(expected_t.shape)}.", hint)
        if not bool(torch.isfinite(found_t).all()) and bool(torch.isfinite(expected_t).all()):
            self.fail(f"{what} holds nan or inf values.",
                      "finite numbers.", hint)
        if not torch.allclose(found_t, expected_t, atol=atol, rtol=rtol):
            worst = (found_t - expected_t).abs().max().item()
            self.fail(f"{what} differs from the right answer by up to {worst:.3g}.",
                      f"a difference below {atol:g}.", hint)
        self.ok()

    def no_mistake_among(self, found: torch.Tensor,
                         candidates: Sequence[tuple[torch.Tensor, str, str]]) -> None:
        """Fail with the words of the first typical wrong answer that ``found`` equals;
        ``candidates`` are ``(wrong answer's output, what went wrong, hint)``."""
        match = first_match(found, candidates)
        if match is not None:
            self.fail(match[0], None, match[1])

    def whole_number(self, answer: Any, description: str, hint: str,
                     expected: str = "a whole number (an int).", right: int | None = None,
                     fraction_hint: str | None = None) -> int:
        """Your answer as an ``int``; anything that is not a whole number (None, a string,
        a bool, nan, inf, 2.5, a tensor of several numbers) stops with a message. ``right``,
        when given, is shown as the expected value next to a fraction."""
        value = as_number(answer)
        if value is None:
            self.fail(f"{description} returned NoneType: nothing.", expected,
                      "did you forget `return`? " + hint)
        if isinstance(value, (torch.Tensor, np.ndarray)):
            self.fail(f"{description} returned a {type(value).__name__} of shape "
                      f"{tuple(value.shape)}.", "a single whole number (an int).", hint)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{description} returned {type(value).__name__} {value!r}.", expected, hint)
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(f"{description} gave {value!r}, which is not a size.", expected,
                      "nan and inf come from float arithmetic gone wrong (such as inf - inf "
                      "or 0 * inf); a size needs only whole-number arithmetic: +, -, * and //.")
        if isinstance(value, float) and not value.is_integer():
            self.fail(f"{description} gave {value!r}, which is not a whole number.",
                      expected if right is None else f"{right}.", fraction_hint or hint)
        return int(value)

    def call(self, fn: Callable, *args: Any, description: str, hint: str | None = None,
             **kwargs: Any) -> Any:
        """Run your code; turn any error it raises into a clear message."""
        try:
            return fn(*args, **kwargs)
        except NotImplementedError:
            raise NotImplementedYet(self.name, (
                f"{description} still raises NotImplementedError: the exercise is not done yet.\n"
                "Replace `raise NotImplementedError()` with your code, run that cell, "
                "then run this check again.\n"
                f"Stuck? hint({self.name!r}) gives a hint; the exercise cell's last line "
                "goes on with the workbook's version."
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
