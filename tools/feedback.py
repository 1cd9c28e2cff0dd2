"""What a student's feedback page shows: their work and the checks' words.

nbgrader's ``generate_feedback`` turns each autograded notebook into HTML as it is. Two
things in it are for the instructor, not the student, and this preprocessor (run by
``generate_feedback`` before the HTML is made) rewrites them:

- **hidden tests**: the instructor's own asserts (regions of cells worth 0 points,
  restored by nbgrader when it grades) show neither their code nor their failures (the
  rest of such a cell, and what it printed, stay);
- **time limits**: a cell that the grader stopped at its time limit for one cell shows
  one plain sentence saying so, not a ``KeyboardInterrupt`` traceback;

and cells that the student had moved are named at the top (``tools/cell_order.py``).
"""

from __future__ import annotations

from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell, new_output
from nbgrader.preprocessors import NbGraderPreprocessor

from tools.cell_order import METADATA
from tools.nbgrader_cells import BEGIN_HIDDEN

END_HIDDEN = "### END HIDDEN TESTS"
HIDDEN_NOTE = "# (a test the instructor keeps to themselves: not shown here, worth no points)"
STOPPED = ("This cell was stopped before it finished: it ran longer than the grader's time "
           "limit for one cell. It was graded as far as it got.")


def stopped_by_the_limit(cell: NotebookNode) -> bool:
    return any(output.get("output_type") == "error" and output.get("ename") ==
               "KeyboardInterrupt" for output in cell.get("outputs", []))


def short_error(output: NotebookNode) -> NotebookNode:
    """An error output without its traceback, whose lines of code would show the hidden
    tests: the error's name and message only."""
    if output.get("output_type") == "error":
        output.traceback = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
    return output


def without_hidden_tests(source: str) -> str:
    """``source`` with each hidden-tests region replaced by one comment line."""
    kept, hidden = [], False
    for line in source.splitlines():
        if line.strip() == BEGIN_HIDDEN:
            hidden = True
            kept.append(HIDDEN_NOTE)
        elif line.strip() == END_HIDDEN:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


class StudentFeedback(NbGraderPreprocessor):
    """generate_feedback step: the instructor's internals out of the page (see module)."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if BEGIN_HIDDEN in cell.source:  # its own output stays; a failed assert goes
                cell.source = without_hidden_tests(cell.source)
                cell.outputs = [short_error(output) for output in cell.outputs
                                if output.get("ename") != "AssertionError"]
            if stopped_by_the_limit(cell):
                cell.outputs = [output for output in cell.outputs
                                if output.get("output_type") != "error"]
                cell.outputs.append(new_output("stream", name="stderr", text=STOPPED + "\n"))
        moved = nb.metadata.get(METADATA, {}).get("moved", [])
        if moved:
            nb.cells.insert(0, new_markdown_cell(
                f"**Cells you had moved** ({', '.join(moved)}) were put back where the lab "
                "has them, and graded there."))
        return nb, resources
