"""Where you stand in a lab: which exercises passed, which targets were reached.

Every check writes down what it found in the register (``registry.py``), in this kernel
only (nothing is saved to disk): an exercise is *passed*, *taken from the reference*
(you went on with ``use_reference``) or still *open* (not checked yet, or its last check
failed). A lab's targets (``assert_target``) are written down with the value measured.

``scorecard(2)`` prints lab 02's table; the last cell of every lab calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .core import BOLD, GREEN, RED, RESET, CheckFailed
from .registry import (
    FAILED,
    PASSED,
    REFERENCE,
    Target,
    exercises,
    find_target,
    labs,
    measured,
    record_value,
    status_of,
    targets,
)


class TargetMissed(CheckFailed):
    """A lab target that this run did not reach."""


def assert_target(name: str, value: Any) -> None:
    """Print the measured ``value`` against the lab's target ``name``, or stop with a
    friendly message (the value, the target, what usually helps) when it is missed."""
    target = find_target(name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TargetMissed(name, f"Found {type(value).__name__} {value!r}, which is not a "
                           "number.\nExpected the measured value, such as 0.987.") from None
    record_value(name, number)
    if target.reached_by(number):
        print(f"{GREEN}{name}: {target.show(number)}, target {target.wanted()}: "
              f"reached.{RESET}")
        return
    message = (f"This run measured {target.show(number)}; the target is "
               f"{target.wanted()}.")
    if target.advice:
        message += f"\nWhat usually helps: {target.advice}"
    raise TargetMissed(name, message) from None


@dataclass
class Scorecard:
    """One lab's standing: each exercise's status and each target's measured value
    (``None`` when not measured yet)."""

    lab: int
    exercises: dict[str, str] = field(default_factory=dict)
    targets: dict[str, float | None] = field(default_factory=dict)
    goals: dict[str, Target] = field(default_factory=dict)

    def reached(self, name: str) -> bool:
        value = self.targets[name]
        return value is not None and self.goals[name].reached_by(value)

    @property
    def all_passed(self) -> bool:
        """Every exercise passed on your own code, every target reached."""
        return (all(status == PASSED for status in self.exercises.values())
                and all(self.reached(name) for name in self.targets))

    @property
    def done(self) -> bool:
        """Every exercise passed or taken from the reference, every target reached."""
        return (all(status in (PASSED, REFERENCE) for status in self.exercises.values())
                and all(self.reached(name) for name in self.targets))

    def lines(self) -> list[str]:
        """The table, one line per exercise and target."""
        width = max([len(name) for name in [*self.exercises, *self.targets]] + [10])
        lines = [f"{BOLD}Lab {self.lab:02d}: your scorecard{RESET}"]
        for name, status in self.exercises.items():
            colour = GREEN if status == PASSED else RED if status == FAILED else ""
            lines.append(f"  {name:<{width}}  {colour}{status}{RESET if colour else ''}")
        for name, value in self.targets.items():
            target = self.goals[name]
            if value is None:
                text = f"not measured yet (target {target.wanted()})"
            else:
                verdict = "reached" if self.reached(name) else "not reached"
                text = f"{target.show(value)}, target {target.wanted()}: {verdict}"
            colour = GREEN if self.reached(name) else ""
            lines.append(f"  {name:<{width}}  {colour}{text}{RESET if colour else ''}")
        return lines


def scorecard(lab: int, show: bool = True) -> Scorecard | None:
    """Print lab ``lab``'s scorecard, from what the checks in this kernel recorded.
    ``show=False`` prints nothing and returns the :class:`Scorecard` instead."""
    if not isinstance(lab, int) or lab not in labs():
        raise ValueError(f"There is no lab {lab!r}: the labs are numbered 1 to "
                         f"{len(labs())}, as in scorecard(2).")
    card = Scorecard(lab)
    for found in exercises(lab):
        card.exercises[found.name] = status_of(found.name)
    for target in targets(lab):
        card.targets[target.name] = measured(target.name)
        card.goals[target.name] = target
    if show:
        print("\n".join(card.lines()))
        if card.all_passed:
            print(f"{GREEN}Everything passed and every target was reached. "
                  f"Well done!{RESET}")
        return None  # the table is the answer; nothing more to show under it
    return card


def snapshot(lab: int) -> dict[str, dict]:
    """The scorecard as plain data (the tests read it)."""
    card = scorecard(lab, show=False)
    assert card is not None
    return {"exercises": card.exercises, "targets": card.targets,
            "reached": {name: card.reached(name) for name in card.targets}}
