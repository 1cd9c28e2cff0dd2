"""Every student notebook runs to its end with every exercise left undone.

A student who is stuck uncomments the way forward at the end of each exercise cell
(``conv_output_size = use_reference("conv_output_size")``). This test does that for every
exercise of every student notebook, runs the notebook as Restart & Run All would, and
reads the scorecard: every exercise taken from the reference, every target reached.
(The solution notebooks, with every exercise answered, run under nbval: their last cell
asserts that every exercise passed.)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from conftest import MIRROR

from tools.way_forward import taking_every_way_forward

nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MARK = "SCORECARD:"


def test_uncommenting_a_way_forward_changes_only_that_line():
    source = 'def f():\n    raise NotImplementedError()\n\n# f = use_reference("f")\n'
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    assert taking_every_way_forward(nb) == ["f"]
    assert nb.cells[0]["source"] == source.replace('# f = use', 'f = use')


@pytest.mark.skipif(MIRROR is None, reason="no data mirror (set LABUTILS_DATA_MIRROR)")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem[:2] for path in NOTEBOOKS])
def test_a_student_who_takes_every_way_forward_reaches_the_end(path, monkeypatch):
    monkeypatch.setenv("LABUTILS_DATA_MIRROR", str(MIRROR))
    nb = nbformat.read(path, as_version=4)
    lab = nb.metadata["labutils"]["lab"]
    taken = taking_every_way_forward(nb)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json\nfrom labutils.checks.progress import snapshot\n"
        f"print({MARK!r} + json.dumps(snapshot({int(lab)})))"))
    start = time.perf_counter()
    client = nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, with the cell and its error, on a failure
    seconds = time.perf_counter() - start
    printed = "".join(output.get("text", "") for output in nb.cells[-1].outputs)
    card = json.loads(printed.split(MARK, 1)[1])
    print(f"{path.name}: {seconds:.0f} s with every way forward taken")
    assert sorted(taken) == sorted(card["exercises"]), (
        "every exercise needs its way-forward line, and only exercises have one")
    assert set(card["exercises"].values()) == {"taken from the reference"}, card
    assert all(card["reached"].values()), card
