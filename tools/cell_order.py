"""Cells a student moved are graded in the order the lab was released in.

nbgrader runs a submission top to bottom. A student who drags a check cell above the
exercise it checks (or an exercise below the cell that uses it) gets the check run on
the stub, and 0 points for a right answer, with no word of why. This nbgrader
preprocessor, run by autograde just before it executes the notebook, puts the cells that
nbgrader knows (those with a grade id) back in the released order; a cell the student
added travels with the known cell above it. It writes the grade ids it moved into the
notebook's metadata (``labutils_grading.moved``), which the grader's status line and the
student's feedback report.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

METADATA = "labutils_grading"


def grade_id(cell: NotebookNode | dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def out_of_place(ranks: list[int]) -> set[int]:
    """Positions in ``ranks`` that are not part of one longest increasing run through it
    (the fewest cells that, moved, restore the order). Of equally long runs, the one of
    the lowest ranks stays: a check dragged above its exercise is the cell that moved."""
    def preference(run: list[int]) -> tuple:
        return (-len(run), [ranks[i] for i in run])

    best: list[list[int]] = []  # best[i]: a longest increasing run that ends at i
    for i, rank in enumerate(ranks):
        before = [best[j] for j in range(i) if ranks[j] < rank]
        best.append(min(before, key=preference, default=[]) + [i])
    keep = set(min(best, key=preference, default=[]))
    return set(range(len(ranks))) - keep


def restore_order(cells: list, order: list[str]) -> tuple[list, list[str]]:
    """``cells`` with the known ones in ``order`` (each with the added cells below it),
    and the grade ids that had been moved."""
    rank = {name: index for index, name in enumerate(order)}
    groups: list[tuple[int, list]] = [(-1, [])]  # cells above the first known one stay first
    for cell in cells:
        name = grade_id(cell)
        if name in rank:
            groups.append((rank[name], [cell]))
        else:
            groups[-1][1].append(cell)
    ranks = [position for position, _ in groups[1:]]
    moved = [grade_id(groups[1 + i][1][0]) for i in sorted(out_of_place(ranks))]
    if not moved:
        return cells, []
    ordered = [groups[0]] + sorted(groups[1:], key=lambda group: group[0])
    return [cell for _, group in ordered for cell in group], moved


class RestoreCellOrder(NbGraderPreprocessor):
    """Autograde step: known cells back in the released order (see the module)."""

    release_folder = Unicode("", help="nbgrader's release folder of the course (the "
                             "released notebooks give the order)").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        info = resources.get("nbgrader", {})
        released = Path(self.release_folder) / info.get("assignment", "") / \
            f"{info.get('notebook', '')}.ipynb"
        if not self.release_folder or not released.is_file():
            return nb, resources
        order = [name for cell in json.loads(released.read_text())["cells"]
                 if (name := grade_id(cell))]
        nb.cells, moved = restore_order(nb.cells, order)
        if moved:
            nb.metadata[METADATA] = {"moved": moved}
            self.log.warning("Cells moved by the student, graded in the released order: %s",
                             ", ".join(moved))
        return nb, resources
