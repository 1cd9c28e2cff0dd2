"""Hints, the way forward, the scorecard, targets and the word on unsolved stubs, on a
small made-up lab (the real labs' data are tested in test_reference/test_questions)."""

from __future__ import annotations

import sys
import types

import pytest

from labutils.checks import hints, progress, reference, registry, stubs
from labutils.checks.core import Check, CheckFailed, NotImplementedYet
from labutils.checks.progress import TargetMissed
from labutils.checks.registry import FAILED, REFERENCE, Target


def double(x: int) -> int:
    return 2 * x


@pytest.fixture
def check_double(monkeypatch):
    """Lab 1 is a made-up lab with one exercise (``double``, its check returned) and one
    target, in an empty register."""
    for state in ("_exercises", "_targets", "_status", "_measured"):
        monkeypatch.setattr(registry, state, {})
    answers = types.ModuleType("labutils_answers.lab01")
    answers.double = double
    monkeypatch.setitem(sys.modules, answers.__name__, answers)
    monkeypatch.setattr(hints, "_shown", {})
    monkeypatch.setattr(reference, "_handed_out", {})
    monkeypatch.delenv(reference.GRADING_VARIABLE, raising=False)
    registry.lab_targets(1, (Target("made-up accuracy", goal=0.9, advice="Train longer."),))

    @reference.exercise(1, "double", hints=("Think of addition.", "x + x", "Return 2 * x."))
    def check_double(answer) -> None:
        check = Check("double")
        if answer(1) is None:
            raise NotImplementedYet("double", "still the stub")
        check.equal(answer(3), 6, "double(3)")
        check.passed()

    return check_double


def test_the_register_holds_the_exercise_its_check_and_the_target(check_double):
    (found,) = registry.exercises()
    assert (found.lab, found.name, found.check, found.check_name) == (
        1, "double", check_double, "check_double")
    assert registry.labs() == [1] and registry.find_exercise("double") is found
    assert registry.find_exercise(["double"]) is None  # not a name: no exercise
    assert [target.name for target in registry.targets(1)] == ["made-up accuracy"]
    with pytest.raises(ValueError, match="registered twice"):
        reference.exercise(1, "double", hints=())(lambda answer: None)
    with pytest.raises(ValueError, match="check_double is registered for two exercises"):
        reference.exercise(1, "triple", hints=())(check_double.__wrapped__)
    with pytest.raises(ValueError, match="Lab 1's targets are registered twice"):
        registry.lab_targets(1, ())


def test_hints_come_one_at_a_time_then_point_to_the_way_forward(check_double, capsys):
    hints.hint("double")
    assert "Hint 1 of 3 for double:" in capsys.readouterr().out
    hints.hint(double)  # the function itself works too
    assert "Hint 2 of 3" in capsys.readouterr().out
    hints.hint("double")
    out = capsys.readouterr().out
    assert "Return 2 * x." in out and 'double = use_reference(\'double\')' in out
    hints.hint("double")  # stays on the last one
    assert "Hint 3 of 3" in capsys.readouterr().out
    hints.hint("double", 1)
    assert "Think of addition." in capsys.readouterr().out


def test_a_hint_for_an_unknown_exercise_names_the_known_ones(check_double, capsys):
    hints.hint("tripple")
    assert "no hints for 'tripple'" in capsys.readouterr().out
    hints.hint("double", 7)
    assert "hints 1 to 3" in capsys.readouterr().out


def test_the_way_forward_is_the_reference_and_the_check_names_it(check_double, capsys):
    def mine(x):
        return x * 3
    with pytest.raises(CheckFailed):
        check_double(mine)
    assert progress.scorecard(1, show=False).exercises == {"double": FAILED}
    given = reference.use_reference("double")
    assert given is double
    assert "Going on with the workbook's double" in capsys.readouterr().out
    check_double(given)
    assert "nothing to check" in capsys.readouterr().out
    card = progress.scorecard(1, show=False)
    assert card.exercises == {"double": REFERENCE}
    assert not card.all_passed


def test_the_reference_earns_no_points_while_grading(check_double, monkeypatch):
    given = reference.use_reference("double")
    monkeypatch.setenv(reference.GRADING_VARIABLE, "1")
    with pytest.raises(CheckFailed, match="earns no points"):
        check_double(given)


def test_an_unknown_exercise_has_no_reference(check_double):
    with pytest.raises(ValueError, match="no exercise called 'halve'.*double"):
        reference.use_reference("halve")


def test_a_passed_check_and_a_reached_target_make_the_scorecard_pass(check_double, capsys):
    def mine(x):
        return x + x
    check_double(mine)
    progress.assert_target("made-up accuracy", 0.95)
    assert "95.00%, target at least 90.00%: reached" in capsys.readouterr().out
    assert progress.scorecard(1) is None  # printed, nothing shown under the table
    out = capsys.readouterr().out
    card = progress.scorecard(1, show=False)
    assert card.all_passed and card.done
    assert "double" in out and "passed" in out and "Well done" in out


def test_a_missed_target_says_value_goal_and_advice(check_double):
    with pytest.raises(TargetMissed) as missed:
        progress.assert_target("made-up accuracy", 0.85)
    assert "85.00%" in missed.value.message and "90.00%" in missed.value.message
    assert "Train longer." in missed.value.message
    for bad in (float("nan"), "high"):
        with pytest.raises(TargetMissed):
            progress.assert_target("made-up accuracy", bad)
    card = progress.scorecard(1, show=False)
    assert card.targets["made-up accuracy"] != card.targets["made-up accuracy"]  # nan
    assert not card.reached("made-up accuracy")
    with pytest.raises(ValueError, match="made-up accuracy"):
        progress.assert_target("accuracy", 0.99)


def test_an_untouched_lab_is_all_open(check_double, capsys):
    progress.scorecard(1)
    card = progress.scorecard(1, show=False)
    assert card.exercises == {"double": "open"} and card.targets == {"made-up accuracy": None}
    assert "not measured yet" in capsys.readouterr().out
    with pytest.raises(ValueError, match="numbered 1 to 1"):
        progress.scorecard(2)


def test_a_stub_reached_later_names_its_exercise(check_double):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    assert stubs.install()
    shell.run_cell("def double(x):\n    raise NotImplementedError()\n")
    result = shell.run_cell("double(4)")
    assert isinstance(result.error_in_exec, NotImplementedError) and not result.success
    assert stubs.unsolved_exercise(result.error_in_exec) == "double"
    assert any("double = use_reference('double')" in line for line in stubs.message("double"))
    shell.run_cell("class Other:\n    def go(self):\n        raise NotImplementedError()\n")
    other = shell.run_cell("Other().go()")
    assert stubs.unsolved_exercise(other.error_in_exec) is None  # not an exercise
    library = NotImplementedError("from a library")
    assert stubs.unsolved_exercise(library) is None

