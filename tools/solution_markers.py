"""Solution regions in a code cell, and the marker text that must never reach a student.

Inside a code cell, the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` are
the answer; the student version replaces them with::

    # YOUR CODE HERE
    raise NotImplementedError()

at the same indentation. Markdown text between ``<!-- BEGIN INSTRUCTOR NOTE -->`` and
``<!-- END INSTRUCTOR NOTE -->`` is for instructors only, and so are the tags ``answers``
and ``models``, which send a cell's code into the library (``tools/lesson_code.py``).
"""

from __future__ import annotations

import re

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
NOTE_BEGIN = "<!-- BEGIN INSTRUCTOR NOTE -->"
NOTE_END = "<!-- END INSTRUCTOR NOTE -->"
NOTE_PATTERN = re.compile(rf"\n?{re.escape(NOTE_BEGIN)}.*?{re.escape(NOTE_END)}\n?", re.DOTALL)

# Tags that send a cell's code into the library (tools/lesson_code.py); only instructors
# see them.
ANSWERS_TAG = "answers"
MODELS_TAG = "models"
LESSON_TAGS = (ANSWERS_TAG, MODELS_TAG)

# Anything that looks like a marker, in any case or spacing: "## begin solution",
# "### End Solution", "<!-- begin instructor note -->".
LOOSE_SOLUTION = re.compile(r"#+\s*(begin|end)\s*solution", re.IGNORECASE)
LOOSE_NOTE = re.compile(r"<!--\s*(begin|end)\s*instructor\s*note\s*-->", re.IGNORECASE)


class AuthoringError(ValueError):
    """A solution notebook breaks the authoring rules (e.g. an unclosed solution region)."""


def _regions(source: str, where: str = "") -> list[tuple[int, int, str]]:
    """``(begin line, end line, indentation)`` of each solution region in ``source``."""
    regions, begin = [], None
    for number, line in enumerate(source.split("\n")):
        stripped = line.strip()
        if stripped == BEGIN:
            if begin is not None:
                raise AuthoringError(f"{where}: line {number + 1} opens a solution region "
                                     f"inside another one (line {begin[0] + 1}).")
            begin = (number, line[: len(line) - len(line.lstrip())])
        elif stripped == END:
            if begin is None:
                raise AuthoringError(f"{where}: line {number + 1} closes a solution region "
                                     "that was never opened.")
            regions.append((begin[0], number, begin[1]))
            begin = None
        elif LOOSE_SOLUTION.search(line):
            raise AuthoringError(
                f"{where}: line {number + 1} looks like a solution marker but is not one: "
                f"{stripped!r}. Write exactly '{BEGIN}' or '{END}' on a line of its own "
                "(this spelling would be copied into the student notebook).")
    if begin is not None:
        raise AuthoringError(f"{where}: the solution region opened on line {begin[0] + 1} "
                             f"is never closed with '{END}'.")
    return regions


def solution_regions(source: str, where: str = "") -> list[str]:
    """The code inside each solution region of a cell, markers excluded."""
    lines = source.split("\n")
    return ["\n".join(lines[b + 1:e]) for b, e, _ in _regions(source, where)]


def strip_solutions(source: str, where: str = "") -> str:
    """Replace every solution region (markers included) by the stub, at the same indent."""
    lines = source.split("\n")
    for begin, end, indent in reversed(_regions(source, where)):
        lines[begin:end + 1] = [indent + line for line in STUB]
    return "\n".join(lines)


def fill_stubs(source: str, regions: list[str]) -> str:
    """Put solution regions back in place of the stubs, in order (the inverse of
    :func:`strip_solutions`). Returns the cell as the solution notebook has it."""
    lines = source.split("\n")
    result, filled, i = [], 0, 0
    while i < len(lines):
        is_stub = (i + 1 < len(lines) and lines[i].strip() == STUB[0]
                   and lines[i + 1].strip() == STUB[1])
        if is_stub and filled < len(regions):
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            result += [indent + BEGIN, *regions[filled].split("\n"), indent + END]
            filled += 1
            i += 2
        else:
            result.append(lines[i])
            i += 1
    if filled != len(regions):
        raise AuthoringError(f"found {filled} stubs for {len(regions)} solution regions.")
    return "\n".join(result)


def without_markers(source: str) -> str:
    """The cell as the solution runs it: the marker lines removed, the answers kept."""
    return "\n".join(line for line in source.split("\n") if line.strip() not in (BEGIN, END))


def cell_label(label: str, number: int, cell: dict) -> str:
    """How a message names a cell: its file, its place (from 1) and its id."""
    return f"{label}, cell {number} (id {cell.get('id', 'none')})"


def has_solution(cell: dict) -> bool:
    return cell["cell_type"] == "code" and any(
        line.strip() == BEGIN for line in cell["source"].split("\n"))


def strip_instructor_notes(text: str, where: str = "") -> str:
    """Markdown without its instructor notes. Unbalanced or misspelt note markers are an
    error: the note would otherwise be published."""
    kept = NOTE_PATTERN.sub("\n", text).strip("\n")
    stray = LOOSE_NOTE.search(kept)
    if stray:
        line = kept[:stray.start()].count("\n") + 1
        raise AuthoringError(
            f"{where}: the instructor-note marker {stray.group(0)!r} (line {line} once the "
            f"notes are removed) has no partner. Wrap each note exactly in '{NOTE_BEGIN}' "
            f"and '{NOTE_END}'.")
    return kept


def check_markdown(text: str, where: str = "") -> None:
    """Refuse solution markers in markdown: only code cells have solution regions."""
    match = LOOSE_SOLUTION.search(text)
    if match:
        line = text[:match.start()].count("\n") + 1
        raise AuthoringError(
            f"{where}: this markdown cell holds the solution marker {match.group(0)!r} "
            f"(line {line}). Solution regions only work in code cells: in markdown the answer "
            "would be published in the student notebook. Move the answer into a code cell, "
            "or tag the markdown cell 'instructor' to keep it out of the student notebook.")


def find_leak(text: str) -> str | None:
    """The first marker-like text in ``text`` (any case or spacing), or None."""
    match = LOOSE_SOLUTION.search(text) or LOOSE_NOTE.search(text)
    return match.group(0) if match else None


def drop_lesson_tags(cell: dict) -> None:
    """Remove the tags that send a cell's code into the library (in place): the student
    notebook and nbgrader's source do not show them."""
    metadata = cell.get("metadata", {})
    kept = [tag for tag in metadata.get("tags", []) if tag not in LESSON_TAGS]
    if kept:
        metadata["tags"] = kept
    else:
        metadata.pop("tags", None)
