"""The nbgrader steps the course adds around autograde and feedback, on their own:
cells moved by a student back in the released order (tools/cell_order.py), and the
feedback page without the instructor's hidden tests or the grader's tracebacks
(tools/feedback.py). The class tests (test_class.py) run them inside nbgrader."""

from __future__ import annotations

import pytest

pytest.importorskip("nbgrader")

from nbformat.v4 import new_code_cell, new_notebook, new_output  # noqa: E402

from tools.cell_order import METADATA, out_of_place, restore_order  # noqa: E402
from tools.feedback import HIDDEN_NOTE, STOPPED, StudentFeedback  # noqa: E402


def cell(grade_id: str | None, source: str = "") -> dict:
    metadata = {"nbgrader": {"grade_id": grade_id}} if grade_id else {}
    return new_code_cell(source or f"# {grade_id or 'added'}", metadata=metadata)


def names(cells: list) -> list[str]:
    return [c["source"][2:] for c in cells]


@pytest.mark.parametrize("ranks, moved", [
    ([0, 1, 2, 3], set()), ([1, 0, 2, 3], {0}), ([0, 2, 3, 1], {3}),
    ([3, 0, 1, 2], {0}), ([2, 1, 0], {0, 1}), ([], set()),
])
def test_the_fewest_cells_out_of_place(ranks, moved):
    assert out_of_place(ranks) == moved


def test_a_check_dragged_above_its_exercise_goes_back_below_it():
    order = ["setup", "ex1", "check_ex1", "ex2", "check_ex2"]
    cells = [cell("setup"), cell("check_ex1"), cell("ex1"), cell(None), cell("ex2"),
             cell("check_ex2")]
    restored, moved = restore_order(cells, order)
    # The student's own cell (below ex1 when they wrote it) travels with ex1.
    assert names(restored) == ["setup", "ex1", "added", "check_ex1", "ex2", "check_ex2"]
    assert moved == ["check_ex1"]


def test_cells_in_order_are_left_alone_and_deleted_ones_stay_deleted():
    order = ["a", "b", "c"]
    cells = [cell(None), cell("a"), cell("c"), cell(None)]
    restored, moved = restore_order(cells, order)
    assert restored is cells and moved == []


def test_feedback_hides_the_hidden_region_and_its_failed_assert_only():
    source = ("net = make_net()\nprint('built')\n### BEGIN HIDDEN TESTS\n"
              "assert secret_rule(net)\n### END HIDDEN TESTS\n")
    hidden = new_code_cell(source, outputs=[
        new_output("stream", name="stdout", text="built\n"),
        new_output("error", ename="AssertionError", evalue="", traceback=["assert ..."])])
    broken = new_code_cell(source, outputs=[new_output(
        "error", ename="NotImplementedYet", evalue="make_net is not written yet",
        traceback=["----> 4 assert secret_rule(net)", "NotImplementedYet: ..."])])
    stopped = new_code_cell("fit(model)", outputs=[
        new_output("stream", name="stdout", text="epoch 1\n"),
        new_output("error", ename="KeyboardInterrupt", evalue="", traceback=["..."])])
    notebook = new_notebook(cells=[hidden, stopped, broken])
    notebook.metadata[METADATA] = {"moved": ["check_vgg_block"]}
    result, _ = StudentFeedback().preprocess(notebook, {})
    first, hidden, stopped, broken = result.cells
    assert "check_vgg_block" in first.source and first.cell_type == "markdown"
    assert hidden.source == f"net = make_net()\nprint('built')\n{HIDDEN_NOTE}"
    assert [o.get("text") for o in hidden.outputs] == ["built\n"]
    assert [o.get("text") for o in stopped.outputs] == ["epoch 1\n", STOPPED + "\n"]
    # The student's own error stays, without the lines of code that would show the test.
    assert broken.outputs[0].traceback == ["NotImplementedYet: make_net is not written yet"]


def test_time_limits_grow_with_a_slower_machine_and_never_shrink_below_the_budget():
    from tools import time_limits

    slow = time_limits.fitted(100, measured=2 * time_limits.REFERENCE_SECONDS)
    assert (slow.cell, slow.notebook) == (200, 720)
    assert "budget of 100 s x 2.00" in slow.reason
    fast = time_limits.fitted(100, measured=time_limits.REFERENCE_SECONDS / 3)
    assert (fast.cell, fast.notebook) == (100, 360)
    measured = time_limits.calibrate()  # the real calibration, in a fresh process
    assert 0 < measured < 60
