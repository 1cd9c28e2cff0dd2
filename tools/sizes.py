"""``make sizes``: the workbook's size against its budget for growth (CONTRIBUTING.md).

Prints the lines of Python in each room of the repository against the room's budget,
and the longest functions against the limit of :data:`FUNCTION_LIMIT` lines. Exits with
1 when a room is over its budget or a function is over the limit. The functions that
were already longer when the budget was set (:data:`LONGER_BEFORE`) may stay as long
as they were, never longer; split one, then take it off the list.

Lines are physical lines of the ``.py`` files, blank lines, comments and docstrings
included; a function's lines run from its ``def`` to its last line.
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_LIMIT = 50


@dataclass(frozen=True)
class Room:
    """A part of the repository with its own budget: the ``.py`` files under ``folder``,
    leaving out those under ``without``."""

    name: str
    folder: str
    budget: int
    without: str | None = None

    def files(self, root: Path) -> list[Path]:
        found = sorted((root / self.folder).rglob("*.py"))
        if self.without is not None:
            found = [path for path in found if not path.is_relative_to(root / self.without)]
        return found

    @property
    def label(self) -> str:
        if self.without is None:
            return f"{self.folder}/"
        return f"{self.folder}/ without {Path(self.without).relative_to(self.folder)}/"


# The budget (CONTRIBUTING.md, "A budget for growth", says the same; a test compares them).
ROOMS = (
    Room("library", "labutils", 5_000, without="labutils/checks"),
    Room("checks", "labutils/checks", 5_500),
    Room("tools", "tools", 5_000),
    Room("answers", "answers", 1_500),
    Room("tests", "tests", 13_000),
    Room("benchmarks", "benchmarks", 1_000),
)

# Functions over the limit when the budget was set, with their length then: (file, name).
LONGER_BEFORE = {
    ("labutils/train.py", "fit"): 93,
    ("labutils/checks/architectures.py", "_check_dense_shape"): 59,
    ("labutils/checks/architectures.py", "_check_dense_layers"): 54,
}


@dataclass(frozen=True)
class Function:
    """One function or method: its name (``Class.method`` for a method), where, how long."""

    name: str
    file: str  # relative to the repository, with forward slashes
    line: int
    length: int

    def problem(self) -> str | None:
        """Why this function breaks the budget, or ``None``."""
        before = LONGER_BEFORE.get((self.file, self.name))
        if before is not None:
            return None if self.length <= before else f"grew past its {before} lines"
        if self.length > FUNCTION_LIMIT:
            return f"over {FUNCTION_LIMIT} lines: split it"
        return None


def functions_in(path: Path, root: Path) -> list[Function]:
    """Every function and method defined in the file ``path`` (nested ones too)."""
    relative = path.relative_to(root).as_posix()
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                found.append(Function(name, relative, child.lineno,
                                      child.end_lineno - child.lineno + 1))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(path.read_text(), filename=str(path)), "")
    return found


def count_lines(paths: list[Path]) -> int:
    return sum(len(path.read_text().splitlines()) for path in paths)


def report(root: Path, most: int = 10) -> tuple[str, list[str]]:
    """The figures as text, and the list of what is over the budget (empty when none)."""
    problems = []
    lines = ["Lines of Python per room (the budget is in CONTRIBUTING.md):"]
    functions = []
    for room in ROOMS:
        files = room.files(root)
        used = count_lines(files)
        over = used > room.budget
        lines.append(f"  {room.name:<11}{room.label:<27}{used:>7,} of {room.budget:>7,}"
                     + ("  OVER" if over else ""))
        if over:
            problems.append(f"{room.name} has {used:,} lines, over its budget of "
                            f"{room.budget:,}")
        for path in files:
            functions += functions_in(path, root)
    functions.sort(key=lambda function: (-function.length, function.file, function.line))
    shown = functions[:most] + [f for f in functions[most:] if f.problem()]
    lines += ["", f"The longest functions (at most {FUNCTION_LIMIT} lines; "
              "lines, name, where):"]
    for function in shown:
        before = LONGER_BEFORE.get((function.file, function.name))
        note = function.problem() or (f"known, may not grow past {before}" if before else "")
        lines.append(f"  {function.length:>4}  {function.name:<32} "
                     f"{function.file}:{function.line}" + (f"  ({note})" if note else ""))
        if function.problem():
            problems.append(f"{function.name} in {function.file}:{function.line} has "
                            f"{function.length} lines: {function.problem()}")
    lines += stale_entries(functions)
    return "\n".join(lines), problems


def stale_entries(functions: list[Function]) -> list[str]:
    """Notes on the entries of :data:`LONGER_BEFORE` that are within the limit now."""
    lengths = {(function.file, function.name): function.length for function in functions}
    notes = []
    for file, name in LONGER_BEFORE:
        length = lengths.get((file, name))
        if length is None or length <= FUNCTION_LIMIT:
            now = "is gone" if length is None else f"has {length} lines now"
            notes.append(f"Note: {name} in {file} {now}: take it off LONGER_BEFORE in "
                         "tools/sizes.py.")
    return [""] + notes if notes else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the workbook's size against its "
                                     "budget; fail when over it.")
    parser.add_argument("--root", type=Path, default=ROOT, help="the workbook's folder")
    parser.add_argument("--most", type=int, default=10,
                        help="how many of the longest functions to show (default 10)")
    args = parser.parse_args(argv)
    text, problems = report(args.root, args.most)
    print(text + "\n")
    if problems:
        print("Over the budget:\n" + "\n".join(f"  - {problem}" for problem in problems))
        return 1
    print("Within the budget.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
