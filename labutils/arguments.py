"""What every public function checks at its entry, in one style.

Each ``need_*`` function looks at one argument and returns it (sometimes converted, e.g.
a numpy array to a tensor) or raises an error of labutils' family
(:mod:`labutils.errors`) whose message says what was given, what was expected and what
to do. A public function calls them first thing, once::

    def fit(model, train_loader, ..., epochs=5, ...):
        need_model(model, "fit")
        need_int(epochs, "epochs", "fit", low=1)
        ...

so that a mistake shows up at the call the student wrote, not eleven frames deep in torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch
from torch import nn

from .errors import ArgumentTypeError, ArgumentValueError

SHOWN_CHARACTERS = 60  # longer values are cut in messages


def describe(value: object) -> str:
    """A few words for ``value`` in a message: ``a float64 tensor of shape (2, 3)``,
    ``a list of 4 items``, ``'abc'``, ``nan``."""
    if isinstance(value, torch.Tensor):
        return f"a {str(value.dtype).removeprefix('torch.')} tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"a numpy {value.dtype} array of shape {value.shape}"
    if value is None or isinstance(value, (bool, int, float, str, torch.device, torch.dtype)):
        text = repr(value)
        return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS] + "...'"
    if isinstance(value, (list, tuple, dict, set)):
        count = len(value)
        return f"a {type(value).__name__} of {count} item{'' if count == 1 else 's'}"
    return f"a {type(value).__name__}"


def _given(where: str, name: str, value: object) -> str:
    return f"{where}() got {name} = {describe(value)}."


def need_type(value: object, kinds: type | tuple[type, ...], name: str, where: str,
              expected: str, fix: str) -> object:
    """``value`` when it is an instance of ``kinds``; otherwise an :class:`ArgumentTypeError`."""
    if not isinstance(value, kinds):
        raise ArgumentTypeError(_given(where, name, value), expected, fix)
    return value


def need_bool(value: object, name: str, where: str, optional: bool = False) -> bool | None:
    """``True`` or ``False`` (or ``None`` when ``optional``)."""
    if optional and value is None:
        return None
    if not isinstance(value, (bool, np.bool_)):
        choices = "True, False or None" if optional else "True or False"
        raise ArgumentTypeError(_given(where, name, value), f"{choices}.",
                                f"pass {name}=True or {name}=False.")
    return bool(value)


def need_int(value: object, name: str, where: str, low: int | None = None,
             high: int | None = None, optional: bool = False) -> int | None:
    """A whole number in ``low .. high`` (either end may be open); ``None`` if ``optional``."""
    if optional and value is None:
        return None
    span = _span(low, high)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ArgumentTypeError(_given(where, name, value), f"a whole number{span}.",
                                f"pass {name} as an int, e.g. {name}={_example(low, high)}.")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ArgumentValueError(_given(where, name, value), f"a whole number{span}.",
                                 f"choose {name} in that range, e.g. {name}={_example(low, high)}.")
    return value


def need_number(value: object, name: str, where: str, low: float | None = None,
                high: float | None = None, above: float | None = None) -> float:
    """A finite real number in ``low .. high`` (and greater than ``above``, if given)."""
    span = _span(low, high) if above is None else f" greater than {above}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise ArgumentTypeError(_given(where, name, value), f"a number{span}.",
                                f"pass {name} as a number, e.g. {name}={_example(low, high)}.")
    value = float(value)
    if not math.isfinite(value) or (low is not None and value < low) or \
            (high is not None and value > high) or (above is not None and value <= above):
        raise ArgumentValueError(_given(where, name, value), f"a finite number{span}.",
                                 f"choose {name} in that range, e.g. {name}={_example(low, high)}.")
    return value


def need_choice(value: object, name: str, where: str, choices: Sequence[str]) -> str:
    """One of the strings ``choices``."""
    listed = ", ".join(repr(choice) for choice in choices)
    if not isinstance(value, str) or value not in choices:
        error = ArgumentTypeError if not isinstance(value, str) else ArgumentValueError
        raise error(_given(where, name, value), f"one of {listed}.",
                    f"pass {name}={choices[0]!r} (or another of those).")
    return value


def need_text(value: object, name: str, where: str) -> str:
    """A string (any text, e.g. a title)."""
    if not isinstance(value, str):
        raise ArgumentTypeError(_given(where, name, value), "a string.",
                                f"pass {name} as text in quotes, e.g. {name}='...'.")
    return value


def need_callable(value: object, name: str, where: str, example: str,
                  optional: bool = False) -> Callable | None:
    """A function (or anything that can be called), e.g. a loss or a transform."""
    if optional and value is None:
        return None
    if not callable(value):
        raise ArgumentTypeError(_given(where, name, value), f"a function, e.g. {example}.",
                                f"pass {name}={example}" + (" or None." if optional else "."))
    return value


def need_model(value: object, where: str, name: str = "model") -> nn.Module:
    """A torch model (an ``nn.Module``)."""
    return need_type(value, nn.Module, name, where, "a torch model (an nn.Module).",
                     f"pass the model you built first: {where}(model, ...).")


def need_tensor(value: object, name: str, where: str, dims: Iterable[int] | None = None,
                floating: bool = False, nonempty: bool = True, finite: bool = False,
                shape_text: str = "") -> torch.Tensor:
    """A tensor (a numpy array is turned into one) with one of the numbers of dimensions
    ``dims``, floating point if ``floating``, with at least one item if ``nonempty``, and
    without NaN or inf if ``finite``. ``shape_text`` names the shape, e.g. ``(N, C, H, W)``."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        value = torch.from_numpy(value)
    shape = f" of shape {shape_text}" if shape_text else ""
    if not isinstance(value, torch.Tensor):
        raise ArgumentTypeError(_given(where, name, value), f"a tensor{shape}.",
                                f"turn it into one first, e.g. torch.as_tensor({name}).")
    dims = tuple(dims) if dims is not None else None
    if dims is not None and value.dim() not in dims:
        counts = " or ".join(str(d) for d in dims)
        raise ArgumentValueError(_given(where, name, value),
                                 f"a tensor with {counts} dimensions{shape}.",
                                 f"reshape {name}: add a batch dimension with {name}[None] "
                                 f"or remove one with {name}.squeeze(), as fits.")
    if floating and not value.is_floating_point():
        raise ArgumentTypeError(_given(where, name, value), f"a floating-point tensor{shape}.",
                                f"convert it with {name}.float() (divide uint8 pixels "
                                "by 255 as well).")
    if value.is_complex():
        raise ArgumentTypeError(_given(where, name, value), f"a real-valued tensor{shape}.",
                                f"use {name}.real or {name}.abs().")
    if nonempty and value.numel() == 0:
        raise ArgumentValueError(_given(where, name, value), f"at least one item{shape}.",
                                 f"check how {name} was made: it holds no numbers.")
    if finite and value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise ArgumentValueError(_given(where, name, value) + " It holds NaN or inf.",
                                 "finite numbers only.",
                                 f"find where they come from: torch.isfinite({name}) "
                                 "marks the good ones.")
    return value


def _span(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    return ""


def _example(low: float | None, high: float | None) -> float:
    if low is not None:
        return low if high is None or low <= high else high
    return high if high is not None else 1
