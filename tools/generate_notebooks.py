"""Make the student notebooks from the solution notebooks (``make notebooks``).

Instructors edit only ``solutions/NN_name.ipynb``. One run of this script:

1. reads and checks every solution notebook (valid notebook, ``metadata.labutils``,
   well-formed solution regions, no marker text a student could see). Any problem
   stops the run before a single file is written, with a message that names the file
   and the cell;
2. makes each solution's committed form (outputs cleared, header cells refreshed, img/
   figures attached, nbgrader's cell metadata written: :mod:`tools.nbgrader_cells`, the
   grade ids being the lab's checks in ``labutils/checks/registry.py``) and its student
   version, plus the README's generated sections and the lesson code that the library
   holds (the answers modules and lab 04's ResNet: :mod:`tools.lesson_code`). The student
   version is what ``nbgrader generate_assignment`` releases, made by nbgrader's own
   preprocessors (lock cells, clear solutions, clear outputs, clear hidden tests);
   instructor notes and the tags for the lesson code are dropped first;
3. writes what changed, all files staged first and then moved into place (a full disk
   leaves every file as it was).

A student notebook that was changed after it was generated (edited or run) is kept and
listed; ``--force`` replaces it, after copying it to ``notebooks/.backup/``.

The pieces: :mod:`tools.solution_markers` (stubs and markers), :mod:`tools.notebook_header`
(badge and set-up cell), :mod:`tools.figure_attachments`, :mod:`tools.readme_sections`,
:mod:`tools.lesson_code`, :mod:`tools.safe_files`. Run ``python -m tools.generate_notebooks
--help`` for the options.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from labutils.checks.registry import exercises
from tools.figure_attachments import attach_figures
from tools.lesson_code import lesson_files
from tools.nbgrader_cells import GradingError, mark_cells
from tools.notebook_header import (
    BADGE_ID,
    INSTALL_VARIABLE,
    NOTEBOOK_METADATA,
    SETUP_ID,
    Config,
    ConfigError,
    read_config,
    with_header,
)
from tools.readme_sections import readme_text
from tools.safe_files import Staging, WriteFailed, backup_path
from tools.solution_markers import (
    BEGIN,
    END,
    AuthoringError,
    cell_label,
    check_markdown,
    drop_lesson_tags,
    fill_stubs,
    find_leak,
    has_solution,
    solution_regions,
    strip_instructor_notes,
    strip_solutions,
)

__all__ = ["BADGE_ID", "BEGIN", "END", "INSTALL_VARIABLE", "SETUP_ID", "AuthoringError",
           "Config", "Result", "canonical_solution", "cells_digest", "fill_stubs",
           "generate", "has_solution", "main", "read_config", "read_solution",
           "solution_regions", "strip_solutions", "student_notebook", "to_text"]

ROOT = Path(__file__).resolve().parent.parent
INSTRUCTOR_TAG = "instructor"
REQUIRED_METADATA = ("lab", "title", "topics", "minutes", "cpu_budget_s", "points")
FORCE_COMMAND = "make notebooks ARGS=--force"


# --------------------------------------------------------------------------- reading


def read_solution(path: Path, label: str) -> nbformat.NotebookNode:
    """A solution notebook, checked: valid JSON and nbformat, with ``metadata.labutils``,
    and solution markers only where they work."""
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)  # for the line and column of a JSON error
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except json.JSONDecodeError as error:
        raise AuthoringError(
            f"{label} is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg}). What to do: undo the last hand edit (`git diff {label}`), or "
            "open the notebook in JupyterLab and save it again.") from error
    except Exception as error:  # nbformat's errors: NotJSONError, ValidationError, ...
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise AuthoringError(
            f"{label} is not a valid notebook ({type(error).__name__}: {first_line}). "
            f"What to do: undo the last hand edit (`git diff {label}`), or open the notebook "
            "in JupyterLab and save it again.") from error
    meta = nb.metadata.get("labutils")
    if not isinstance(meta, dict) or any(key not in meta for key in REQUIRED_METADATA):
        raise AuthoringError(
            f"{label}: the notebook metadata needs a 'labutils' entry with {REQUIRED_METADATA} "
            "(lab number, title, list of topics, estimated minutes, CPU budget in seconds, "
            "points of each exercise check). "
            "See CONTRIBUTING.md, 'Notebook metadata'.")
    for number, cell in enumerate(nb.cells, start=1):
        where = cell_label(label, number, cell)
        if cell["cell_type"] == "code":
            solution_regions(cell["source"], where)  # raises on a broken region
        elif INSTRUCTOR_TAG not in cell.get("metadata", {}).get("tags", []):
            check_markdown(strip_instructor_notes(cell["source"], where), where)
    return nb


# --------------------------------------------------------------------------- notebooks


def _clean_cell(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell = copy.deepcopy(cell)
    tags = cell.get("metadata", {}).get("tags", [])
    cell["metadata"] = {"tags": tags} if tags else {}
    if cell["cell_type"] == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    if "attachments" in cell and not cell["attachments"]:
        del cell["attachments"]
    return cell


def _with_figures(cell: nbformat.NotebookNode, img: Path, where: str) -> nbformat.NotebookNode:
    if cell["cell_type"] == "markdown":
        attach_figures(cell, img, where)
    return cell


def _clean_metadata(nb: nbformat.NotebookNode) -> dict:
    return {**copy.deepcopy(NOTEBOOK_METADATA), "labutils": nb.metadata.get("labutils", {})}


def cells_digest(nb: nbformat.NotebookNode) -> str:
    """A fingerprint of the cells' types, sources and outputs (metadata ignored)."""
    summary = [[c["cell_type"], c["source"], c.get("outputs", [])] for c in nb.cells]
    return hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()


def canonical_solution(nb: nbformat.NotebookNode, config: Config, name: str,
                       img: Path = ROOT / "img") -> nbformat.NotebookNode:
    """The solution notebook as it is committed: header cells, no outputs, figures
    attached, clean metadata."""
    label = f"solutions/{name}"
    result = copy.deepcopy(nb)
    result.cells = [_with_figures(_clean_cell(cell), img, cell_label(label, number, cell))
                    for number, cell in enumerate(nb.cells, start=1)]
    # The badge opens the student version, as in the release nbgrader makes from this file.
    result = with_header(result, config, f"notebooks/{name}")
    result.metadata = _clean_metadata(nb)
    try:
        meta = result.metadata["labutils"]
        checks = [exercise.check_name for exercise in exercises(meta["lab"])]
        mark_cells(result.cells, meta["points"], label, checks)
    except GradingError as error:
        raise AuthoringError(str(error)) from None
    return result


def release_with_nbgrader(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What ``nbgrader generate_assignment`` makes of a marked notebook, with nbgrader's
    own preprocessors in its order (those that need its database left out)."""
    from nbgrader.preprocessors import (
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    resources = {}
    steps = [LockCells(), ClearSolutions(enforce_metadata=True), ClearOutput(),
             ComputeChecksums(), ClearHiddenTests(), ClearMarkScheme(), ComputeChecksums()]
    for step in steps:
        nb, resources = step.preprocess(nb, resources)
    return nb


def student_notebook(solution: nbformat.NotebookNode, config: Config, name: str,
                     img: Path = ROOT / "img") -> nbformat.NotebookNode:
    """The student version of a solution notebook: its committed form without instructor
    notes, released by nbgrader's preprocessors."""
    label = f"solutions/{name}"
    nb = canonical_solution(solution, config, name, img)
    cells = []
    for number, cell in enumerate(nb.cells, start=1):
        where = cell_label(label, number, cell)
        if INSTRUCTOR_TAG in cell["metadata"].get("tags", []):
            continue  # a model answer, or an assert that only the solution must meet
        drop_lesson_tags(cell)
        if cell["cell_type"] == "markdown":
            cell["source"] = strip_instructor_notes(cell["source"], where)
            check_markdown(cell["source"], where)
            if not cell["source"].strip():
                continue
        cells.append(cell)
    nb.cells = cells
    try:
        nb = release_with_nbgrader(nb)
    except Exception as error:  # nbgrader's RuntimeError/ValueError for a broken region
        raise AuthoringError(f"{label}: nbgrader could not release it: {error}") from None
    for number, cell in enumerate(nb.cells, start=1):
        leak = find_leak(cell["source"])
        if leak:
            raise AuthoringError(f"{cell_label(label, number, cell)}: the student version of "
                                 f"this cell would still show {leak!r}. Write the markers "
                                 "exactly as CONTRIBUTING.md shows.")
    nb.metadata["labutils"] = {**nb.metadata["labutils"], "cells_sha256": cells_digest(nb)}
    return nb


def to_text(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=4) + "\n"


# --------------------------------------------------------------------------- writing


def _edited_by_student(text: str) -> bool:
    """True when a student notebook's text is no longer what the generator wrote."""
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception:
        return True
    recorded = nb.metadata.get("labutils", {}).get("cells_sha256")
    return recorded != cells_digest(nb)


@dataclass
class Result:
    """What a run did (or, with ``check=True``, would do)."""

    changed: list[str] = field(default_factory=list)  # out of date before the run
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # edited student notebooks left alone
    backups: list[str] = field(default_factory=list)  # copies made before --force replaced


def plan(root: Path, config: Config) -> dict[Path, str]:
    """Every file the generator owns and its new text; raises before anything is written
    when a solution notebook has a problem."""
    img = root / "img"
    outputs, labs, committed = {}, [], []
    for source in sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb")):
        name = source.name
        solution = read_solution(source, f"solutions/{name}")
        committed.append((name, canonical_solution(solution, config, name, img)))
        outputs[source] = to_text(committed[-1][1])
        outputs[root / "notebooks" / name] = to_text(
            student_notebook(solution, config, name, img))
        labs.append((name, dict(solution.metadata["labutils"])))
    readme = root / "README.md"
    if readme.exists():
        outputs[readme] = readme_text(readme.read_text(encoding="utf-8"), config, labs)
    outputs.update(lesson_files(root, committed))
    return outputs


def generate(root: Path = ROOT, force: bool = False, check: bool = False,
             quiet: bool = False) -> Result:
    """Bring the solutions' committed form, the student notebooks and the README's
    generated sections up to date; all files or none.

    With ``check=True`` nothing is written: ``Result.changed`` lists what is out of date.
    """
    config = read_config(root)
    outputs = plan(root, config)
    result = Result()
    writes, backups = [], []
    for path, text in outputs.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        label = path.relative_to(root).as_posix()
        result.changed.append(label)
        is_student = path.parent == root / "notebooks"
        if is_student and current is not None and _edited_by_student(current):
            if not force:
                result.kept.append(label)
                continue
            backups.append((backup_path(path), current))
        writes.append((path, text, label))
    if check:
        return result
    with Staging() as staging:
        for backup, text in backups:
            staging.add(backup, text)
        for path, text, _ in writes:
            staging.add(path, text)
        staging.commit()
    result.backups = [backup.relative_to(root).as_posix() for backup, _ in backups]
    result.written = [label for _, _, label in writes]
    if not quiet:
        for label in result.written:
            print(f"wrote {label}")
    return result


def report(result: Result) -> str:
    """What an instructor needs to know after a run, beyond the files written."""
    lines = []
    if result.backups:
        lines.append("Backed up the student notebooks that --force replaced (git ignores "
                     "notebooks/.backup/):")
        lines += [f"  {path}" for path in result.backups]
    if result.kept:
        lines.append("Kept these student notebooks as they are: they were changed after "
                     "they were generated (edited or run), so they may hold a student's work:")
        lines += [f"  {path}" for path in result.kept]
        lines.append(f"To replace them with the new version, run `{FORCE_COMMAND}`; a copy "
                     "of each is kept in notebooks/.backup/ first.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the student notebooks from "
                                     "solutions/ (and tidy the solutions).")
    parser.add_argument("--force", action="store_true",
                        help="replace student notebooks even if they were changed (a copy "
                        "of each goes to notebooks/.backup/ first)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; fail if any notebook is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the workbook's folder")
    args = parser.parse_args(argv)
    try:
        result = generate(args.root, force=args.force, check=args.check)
    except (AuthoringError, ConfigError) as error:
        print(f"error: {error}\nNothing was written.", file=sys.stderr)
        return 1
    except WriteFailed as error:
        print(f"error: {error}.\nNothing was changed: every notebook and the README are as "
              "they were. Free some space (or make the folder writable), then run "
              "`make notebooks` again.", file=sys.stderr)
        return 1
    if args.check:
        if result.changed:
            print("Out of date (run `make notebooks`): " + ", ".join(result.changed),
                  file=sys.stderr)
            return 1
        return 0
    if report(result):
        print(report(result))
    if not result.written and not result.kept:
        print("All notebooks are up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
