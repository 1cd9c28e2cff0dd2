"""A student who is stuck at every exercise: each way-forward line uncommented.

Every exercise cell ends with ``# NAME = use_reference("NAME")``. The tests and the
benchmark run each student notebook with all of these lines taken, to show that the lab
runs to its end (and meets its targets) on the workbook's answers alone.
"""

from __future__ import annotations

import re

import nbformat

WAY_FORWARD = re.compile(r'^# (\w+) = use_reference\("(\w+)"\)$', re.MULTILINE)


def ways_forward(source: str) -> list[str]:
    """The exercises whose way-forward line ``source`` holds."""
    found = []
    for name, exercise in WAY_FORWARD.findall(source):
        if name != exercise:
            raise ValueError(f"{name} = use_reference({exercise!r}) names two things")
        found.append(exercise)
    return found


def taking_every_way_forward(nb: nbformat.NotebookNode) -> list[str]:
    """Uncomment every way-forward line of ``nb`` (in place); returns the exercises."""
    taken = []
    for cell in nb.cells:
        if cell["cell_type"] == "code":
            taken += ways_forward(cell["source"])
            cell["source"] = WAY_FORWARD.sub(r'\1 = use_reference("\2")', cell["source"])
    return taken
