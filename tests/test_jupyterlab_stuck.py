"""A stuck student in JupyterLab, in a real (headless) Chromium: what the page shows when
a cell reaches an unsolved exercise, a hint, the way forward and the scorecard.

Uses the harness of tests/test_jupyterlab.py (same requirements: Debian's chromium and
playwright; skipped without them, except on CI).
"""

from __future__ import annotations

import nbformat
from test_jupyterlab import _require_browser, run_all_in_browser

IMPORTS = "from labutils.checks import check_conv_output_size, hint, scorecard, use_reference"
STUB = '''def conv_output_size(n: int, k: int, p: int = 0, s: int = 1, d: int = 1) -> int:
    # YOUR CODE HERE
    raise NotImplementedError()

# Stuck? Run hint("conv_output_size") in a new cell for a hint, and again for the next one.
# To go on with the workbook's version instead, uncomment the next line:
# conv_output_size = use_reference("conv_output_size")'''
USE = "print([conv_output_size(28, k, p=1) for k in (3, 5)])"


def notebook(folder, *sources: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = folder / "notebooks" / "00_stuck.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def text_of(cell) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", []))


def test_a_cell_past_an_unsolved_exercise_says_which_one_to_do_first(tmp_path):
    _require_browser()
    path = notebook(tmp_path, IMPORTS, STUB, USE, 'hint("conv_output_size")')
    run = run_all_in_browser(path, tmp_path / "work", tmp_path / "stub.png", timeout_s=180)
    assert [error["cell"] for error in run.errors] == [2], run.errors  # Run All stops here
    shown = run.errors[0]["text"]
    assert "conv_output_size is not done yet" in shown
    assert "conv_output_size = use_reference('conv_output_size')" in shown
    assert "Traceback" not in shown and "NotImplementedError" not in shown
    assert run.saved.cells[3].get("execution_count") is None


def test_hints_the_way_forward_and_the_scorecard_in_the_browser(tmp_path):
    _require_browser()
    taken = STUB.replace("# conv_output_size = use", "conv_output_size = use")
    path = notebook(tmp_path, IMPORTS, 'hint("conv_output_size")\nhint("conv_output_size")',
                    taken, "check_conv_output_size(conv_output_size)", USE, "scorecard(1)")
    run = run_all_in_browser(path, tmp_path / "work", tmp_path / "forward.png",
                             timeout_s=180)
    assert run.errors == []
    cells = run.saved.cells
    assert "Hint 1 of" in text_of(cells[1]) and "Hint 2 of" in text_of(cells[1])
    assert "Going on with the workbook's conv_output_size" in text_of(cells[2])
    assert "nothing to check" in text_of(cells[3])
    assert text_of(cells[4]).strip() == "[28, 26]"  # k = 3 and k = 5 with padding 1
    assert "conv_output_size" in text_of(cells[5])
    assert "taken from the reference" in text_of(cells[5])
