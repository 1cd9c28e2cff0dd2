"""nbgrader's cell metadata for the workbook's notebooks.

A class runs the labs on nbgrader (https://nbgrader.readthedocs.io), which needs every
cell to say what it is. The notebook generator calls :func:`mark_cells` on each solution
notebook, so that ``solutions/`` is a ready nbgrader source folder:

- a code cell with a ``### BEGIN SOLUTION`` region is a **solution cell**: the student
  writes there;
- a code cell that calls an exercise check (``check_vgg_block(...)``) is an **autograded
  cell** worth the points that the lab's metadata gives that check
  (``metadata.labutils.points``), with the check's name as its stable grade id; the
  check must be one that the register (``labutils/checks/registry.py``) holds for the lab;
- a code cell with a ``### BEGIN HIDDEN TESTS`` region (an assert that only guards the
  prose) is an autograded cell worth 0 points: nbgrader removes the region from the
  student version and puts it back when it grades;
- every other cell (text, given code, the set-up) is **read-only** (locked), so that a
  student cannot change what the grader relies on.

Grade ids are stable: a check's name, or the cell's own id for every other cell.
"""

from __future__ import annotations

import re
from collections.abc import Collection

SCHEMA_VERSION = 3
BEGIN_SOLUTION = "### BEGIN SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
CHECK_CALL = re.compile(r"^\s*(check_\w+)\(", re.MULTILINE)


class GradingError(ValueError):
    """A solution notebook cannot be graded as it is (e.g. a check without points)."""


def checks_called(source: str) -> list[str]:
    """Names of the exercise checks a cell calls, in order."""
    return CHECK_CALL.findall(source)


def _has_line(source: str, marker: str) -> bool:
    return any(line.strip() == marker for line in source.splitlines())


def cell_role(cell: dict) -> str:
    """``"solution"``, ``"check"``, ``"hidden"`` or ``"locked"``."""
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    if cell["cell_type"] == "code":
        if _has_line(source, BEGIN_SOLUTION):
            return "solution"
        if checks_called(source):
            return "check"
        if _has_line(source, BEGIN_HIDDEN):
            return "hidden"
    return "locked"


def mark_cells(cells: list[dict], points: dict[str, float], where: str,
               checks: Collection[str]) -> list[dict]:
    """Give every cell its ``metadata.nbgrader`` (in place); returns ``cells``.

    ``points`` maps each check's name to what it is worth; ``checks`` are the names of the
    lab's checks in the register. Raises :class:`GradingError` when a cell calls a check
    that is not one of them, a check has no points, a lab's points name a check it never
    calls, or one cell calls two checks (nbgrader grades a cell as a whole).
    """
    used = set()
    for index, cell in enumerate(cells):
        role = cell_role(cell)
        meta = {"grade": False, "solution": False, "locked": True,
                "grade_id": cell.get("id") or f"cell-{index}", "schema_version": SCHEMA_VERSION}
        if role == "solution":
            meta.update(solution=True, locked=False)
        elif role == "check":
            names = checks_called("".join(cell["source"]))
            if len(names) > 1:
                raise GradingError(f"{where}, cell {index}: calls {len(names)} checks "
                                   f"({', '.join(names)}); give each check a cell of its own.")
            name = names[0]
            if name not in checks:
                raise GradingError(f"{where}, cell {index}: {name} is not a check of this "
                                   f"lab; its checks are: {', '.join(checks) or 'none'}.")
            if name not in points:
                raise GradingError(f"{where}, cell {index}: {name} has no points. Add "
                                   f'"{name}": N to metadata.labutils.points.')
            if name in used:
                raise GradingError(f"{where}, cell {index}: {name} is called twice; a "
                                   "check's name is its grade id, so call it once.")
            used.add(name)
            meta.update(grade=True, points=points[name], grade_id=name)
        elif role == "hidden":
            meta.update(grade=True, points=0)
        cell.setdefault("metadata", {})["nbgrader"] = meta
    unused = sorted(set(points) - used)
    if unused:
        raise GradingError(f"{where}: metadata.labutils.points names {', '.join(unused)}, "
                           "which no cell calls.")
    return cells
