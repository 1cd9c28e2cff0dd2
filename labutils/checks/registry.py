"""The register of the workbook's labs: their exercises, their targets, and where you stand.

Each check says, where it is defined, which exercise of which lab it checks::

    @exercise(2, "vgg_block", hints=HINTS["vgg_block"])
    def check_vgg_block(vgg_block): ...

(``exercise`` is in ``reference.py``; it writes the check down here.) Each lab's module
writes its targets down with ``TARGETS = lab_targets(2, (Target(...), ...))``. Everything
else reads this register: ``hint``, ``use_reference``, ``scorecard``, ``assert_target``,
the word on an unsolved stub, and the course tools (the notebook generator and the
grader take each check's name for its nbgrader grade id from here).

It also keeps what the checks in this kernel found (nothing is saved to disk): each
exercise's status and each target's measured value.

This module imports nothing else of ``labutils.checks``: every other module may import it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# An exercise's status: passed, taken from the reference (``use_reference``), or open.
PASSED = "passed"
REFERENCE = "taken from the reference"
FAILED = "open (its last check failed)"
UNCHECKED = "open"


@dataclass(frozen=True)
class Target:
    """A number the lab must reach, such as a test accuracy of at least 98.5%.

    ``percent`` prints the value as ``98.7%`` (else ``0.812``); ``advice`` says what
    usually helps when the target is missed.
    """

    name: str
    goal: float
    percent: bool = True
    higher_is_better: bool = True
    advice: str = ""

    def show(self, value: float) -> str:
        """``98.73%`` or ``0.812``."""
        return f"{value:.2%}" if self.percent else f"{value:.3f}"

    def wanted(self) -> str:
        """``at least 98.50%``."""
        return ("at least " if self.higher_is_better else "at most ") + self.show(self.goal)

    def reached_by(self, value: float) -> bool:
        if math.isnan(value):
            return False
        return value >= self.goal if self.higher_is_better else value <= self.goal


@dataclass(frozen=True)
class Exercise:
    """One exercise: its lab, its name (the function or class you write, also the name
    its check gives to ``Check``), the check a notebook calls, and its hints."""

    lab: int
    name: str
    check: Callable[..., None]
    hints: tuple[str, ...]

    @property
    def check_name(self) -> str:
        """``check_vgg_block``: the name a notebook calls, and its nbgrader grade id."""
        return self.check.__name__


# The register: exercises by name (in the order they were written down) and targets by lab.
_exercises: dict[str, Exercise] = {}
_targets: dict[int, tuple[Target, ...]] = {}
# What this kernel has seen: exercise name -> status, target name -> measured value.
_status: dict[str, str] = {}
_measured: dict[str, float] = {}


def register(found: Exercise) -> None:
    """Write an exercise down (``exercise`` in reference.py calls this, once per check)."""
    if found.name in _exercises:
        raise ValueError(f"The exercise {found.name!r} is registered twice.")
    if any(known.check_name == found.check_name for known in _exercises.values()):
        raise ValueError(f"{found.check_name} is registered for two exercises.")
    _exercises[found.name] = found


def lab_targets(lab: int, targets: Sequence[Target]) -> tuple[Target, ...]:
    """Write down lab ``lab``'s targets (once, in the lab's module); returns them."""
    if lab in _targets:
        raise ValueError(f"Lab {lab}'s targets are registered twice.")
    _targets[lab] = tuple(targets)
    return _targets[lab]


def labs() -> list[int]:
    """The numbers of the labs, in order: ``[1, 2, ..., 8]``."""
    return sorted({found.lab for found in _exercises.values()} | set(_targets))


def exercises(lab: int | None = None) -> list[Exercise]:
    """The exercises of lab ``lab`` (of every lab when None), lab by lab, each lab's in
    the order its module writes them."""
    ordered = sorted(_exercises.values(), key=lambda found: found.lab)
    return [found for found in ordered if lab is None or found.lab == lab]


def find_exercise(name: str) -> Exercise | None:
    """The exercise called ``name``, or None when no lab has it."""
    return _exercises.get(name) if isinstance(name, str) else None


def targets(lab: int | None = None) -> list[Target]:
    """The targets of lab ``lab`` (of every lab when None), in order."""
    return [target for number in sorted(_targets) if lab is None or number == lab
            for target in _targets[number]]


def find_target(name: str) -> Target:
    """The target called ``name``, from any lab."""
    known = targets()
    for target in known:
        if target.name == name:
            return target
    names = ", ".join(repr(target.name) for target in known)
    raise ValueError(f"No lab has a target called {name!r}. The targets are: {names}.")


def record_exercise(name: str, status: str) -> None:
    """Write down the newest status of an exercise (checks call this, not you)."""
    _status[name] = status


def status_of(name: str) -> str:
    """An exercise's newest status in this kernel (``open`` when never checked)."""
    return _status.get(name, UNCHECKED)


def record_value(name: str, value: float) -> None:
    """Write down the value measured for the target ``name`` (``assert_target`` does)."""
    _measured[name] = value


def measured(name: str) -> float | None:
    """The value measured for the target ``name`` in this kernel, or None."""
    return _measured.get(name)
