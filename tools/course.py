"""Run a class on nbgrader from one machine: set up, release, grade, compare.

The solution notebooks are nbgrader source notebooks as they are (the generator writes
nbgrader's cell metadata into them), so a course on JupyterHub can also use them with
nbgrader's own commands and no edits. This script is the short way for one machine,
with a local exchange folder::

    python -m tools.course init ~/cnn-course                # once: course folder + exchange
    python -m tools.course release ~/cnn-course 01          # lab 01 to the students
    # students: nbgrader fetch_assignment lab01 --course cnn-workbook, work, then
    #           nbgrader submit lab01 --course cnn-workbook
    python -m tools.course grade ~/cnn-course 01            # collect, autograde, feedback, CSV
    python -m tools.course compare ~/cnn-course 01 alice    # alice's exercises next to ours

Each command calls nbgrader's own commands (``generate_assignment``,
``release_assignment``, ``collect``, ``autograde``, ``generate_feedback``, ``export``)
in the course folder; run with ``--dry-run`` to print them instead. ``grade`` grades
each student in a process of its own with a time limit, so one bad submission (not a
notebook, an endless loop, a kernel that dies) gets a row that says so and the class
goes on. The kernels that grade may write only inside the submission's folder
(``tools/grading_guard.py``).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import functools
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tools import grading_run, sandbox, time_limits
from tools.answer_scan import normalised
from tools.answer_scan import size as code_size
from tools.solution_markers import drop_lesson_tags, strip_instructor_notes

ROOT = Path(__file__).resolve().parent.parent
INSTRUCTOR_TAG = "instructor"
COURSE_ID = "cnn-workbook"
GUARD = Path(__file__).resolve().parent / "grading_guard.py"
COPY_MIN_NODES = 40  # exercise code smaller than this is not compared for copies
CONFIG = '''\
# nbgrader configuration of a class of the CNN workbook (written by tools/course.py init).
# Every nbgrader command run in this folder (autograde, formgrader, ...) applies it.
import sys

sys.path.insert(0, {workbook!r})  # the workbook's tools/: the sandbox and the re-run checks
from nbgrader.converters.autograde import Autograde  # noqa: E402
from nbgrader.converters.generate_feedback import GenerateFeedback  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402

from tools.cell_order import RestoreCellOrder  # noqa: E402
from tools.feedback import StudentFeedback  # noqa: E402
from tools.recheck import RecheckGradedCells  # noqa: E402

c = get_config()
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {root!r}
c.Exchange.root = {exchange!r}
# The gradebook: SQLite (one writer) by default; PostgreSQL lets several grade at once.
c.CourseDirectory.db_url = {db_url!r}
# A solution region outside a solution cell is an error, not a silent leak.
c.ClearSolutions.enforce_metadata = True
# Every kernel that grades runs in the sandbox (tools/sandbox.py): no course, no network.
c.Execute.kernel_manager_class = "tools.grading_kernel.SandboxedKernelManager"
c.SandboxedKernelManager.readable = [{guard!r}]
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:",
                             "--IPKernelApp.exec_files=[{guard!r}]"]
# The points come from the grader's own run of each check (tools/recheck.py), right
# after nbgrader has run the notebook.
# Cells a student moved run in the released order (tools/cell_order.py).
steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
steps.insert(steps.index(Execute), RestoreCellOrder)
steps.insert(steps.index(Execute) + 1, RecheckGradedCells)
c.Autograde.autograde_preprocessors = steps
c.RecheckGradedCells.report_folder = {grades!r}
c.RestoreCellOrder.release_folder = {release!r}
# Feedback without the instructor's hidden tests or the grader's tracebacks (tools/feedback.py).
pages = list(GenerateFeedback.class_traits()["preprocessors"].default())
c.GenerateFeedback.preprocessors = pages[:1] + [StudentFeedback] + pages[1:]
# The exchange: submissions are checked (student ids, owners), folders as nbgrader's
# documentation says (tools/exchange.py).
c.ExchangeFactory.release_assignment = "tools.exchange.CheckedReleaseAssignment"
c.ExchangeFactory.collect = "tools.exchange.CheckedCollect"
c.ExchangeFactory.submit = "tools.exchange.CheckedSubmit"
# The per-exercise CSV of `tools/course.py grade`.
c.ExportApp.plugin_class = "tools.nbgrader_export.ExerciseCsvExport"
# Late submissions (due dates: `python -m tools.course due`): each started day late
# costs this share of the points earned (tools/late_penalty.py; 100 takes them all).
c.AssignLatePenalties.plugin_class = "tools.late_penalty.DailyLatePenalty"
c.DailyLatePenalty.percent_per_day = 10
'''


STUDENT_CONFIG = '''\
# nbgrader configuration for the students of a class of the CNN workbook (written by
# tools/course.py init): on JupyterHub, the students' image has it as
# /etc/jupyter/nbgrader_config.py, with the workbook's tools/ beside it.
import sys

sys.path.insert(0, {workbook!r})
c = get_config()
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
# A student id that is not a plain name is refused: nothing lands outside inbound.
c.ExchangeFactory.submit = "tools.exchange.CheckedSubmit"
'''


class CourseError(RuntimeError):
    """Something an instructor can fix; the message says what."""


def labs() -> dict[str, Path]:
    """``{"lab01": solutions/01_convolutions.ipynb, ...}``."""
    return {f"lab{path.name[:2]}": path
            for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))}


def lab_id(value: str) -> str:
    """``"1"``, ``"01"`` or ``"lab01"`` -> ``"lab01"`` (must be a lab of the workbook)."""
    digits = value.removeprefix("lab")
    name = f"lab{int(digits):02d}" if digits.isdigit() else value
    if name not in labs():
        raise CourseError(f"There is no lab {value!r}: choose one of "
                          f"{', '.join(sorted(labs()))}.")
    return name


def budget(lab: str) -> int:
    """The lab's CPU budget in seconds (its notebook's ``metadata.labutils``)."""
    meta = json.loads(labs()[lab].read_text())["metadata"]["labutils"]
    return int(meta["cpu_budget_s"])


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def source_notebook(solution: Path) -> str:
    """A solution notebook as nbgrader's source: without the cells and notes for
    instructors only (model answers, asserts only the solution must meet) and the tags
    for the lesson code, which the student notebook does not have either."""
    notebook = json.loads(solution.read_text(encoding="utf-8"))
    cells = []
    for cell in notebook["cells"]:
        if INSTRUCTOR_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        drop_lesson_tags(cell)
        if cell["cell_type"] == "markdown":
            text = strip_instructor_notes("".join(cell["source"]), solution.name)
            if not text.strip():
                continue
            cell["source"] = text
        cells.append(cell)
    notebook["cells"] = cells
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def init(course: Path, exchange: Path | None = None, db_url: str | None = None) -> None:
    """Make the course folder: nbgrader's config, the exchange, and every lab as source.
    ``db_url``: the gradebook (default: SQLite, ``COURSE/gradebook.db``)."""
    course = course.expanduser().resolve()
    db_url = db_url or f"sqlite:///{course / 'gradebook.db'}"
    exchange = (exchange or course / "exchange").expanduser().resolve()
    (course / "source").mkdir(parents=True, exist_ok=True)
    exchange.mkdir(parents=True, exist_ok=True)
    # Every student's account writes there; the sticky bit keeps each from renaming or
    # deleting what others made (the course's folder, another's submission).
    exchange.chmod(0o1777)
    guard = course / ".grading" / "grading_guard.py"
    guard.parent.mkdir(exist_ok=True)
    shutil.copyfile(GUARD, guard)
    _write(course / "nbgrader_config.py", CONFIG.format(
        workbook=str(ROOT), course_id=COURSE_ID, root=str(course), exchange=str(exchange),
        guard=str(guard), grades=str(course / "grades"), db_url=db_url,
        release=str(course / "release")))
    students = course / "students"
    students.mkdir(exist_ok=True)
    _write(students / "nbgrader_config.py", STUDENT_CONFIG.format(
        workbook=str(ROOT), course_id=COURSE_ID, exchange=str(exchange)))
    for lab, solution in labs().items():
        folder = course / "source" / lab
        folder.mkdir(exist_ok=True)
        _write(folder / solution.name, source_notebook(solution))
    print(f"Course folder {course} is ready ({len(labs())} labs under source/, exchange "
          f"{exchange}).")


def _environment(course: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    scratch = course / ".grading" / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    data = Path(env.get("LABUTILS_DATA_DIR") or course / "data").resolve()
    data.mkdir(parents=True, exist_ok=True)
    env.update(TMPDIR=str(scratch), MPLCONFIGDIR=str(scratch), LABUTILS_DATA_DIR=str(data),
               LABUTILS_GRADING_WRITABLE=str(data), LABUTILS_GRADING="1")
    return env


def run_with_limit(command: list[str], timeout: float | None = None,
                   **options) -> subprocess.CompletedProcess:
    """Run ``command`` and capture its output; past ``timeout`` seconds, stop it *and every
    process it started* (a grading kernel stuck in a loop would outlive nbgrader), then
    raise ``subprocess.TimeoutExpired``."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True, preexec_fn=grading_run.die_with_parent,
                          **options) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except BaseException:  # past the limit, or Ctrl-C: nothing it started goes on
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def nbgrader(course: Path, *args: str, timeout: float | None = None,
             dry_run: bool = False) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course folder and return what it printed."""
    command = [sys.executable, "-m", "nbgrader", *args]
    if dry_run:
        print("nbgrader " + " ".join(args))
        return subprocess.CompletedProcess(command, 0, "", "")
    return run_with_limit(command, timeout, cwd=course, env=_environment(course))


def _require_course(course: Path) -> Path:
    course = course.expanduser().resolve()
    if not (course / "nbgrader_config.py").exists():
        raise CourseError(f"{course} is not a course folder yet: run "
                          f"`python -m tools.course init {course}` first.")
    return course


def _must(result: subprocess.CompletedProcess, what: str) -> None:
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
        raise CourseError(f"nbgrader could not {what}:\n" + "\n".join(errors[-5:]))


def release(course: Path, lab: str, dry_run: bool = False) -> None:
    """``generate_assignment`` then ``release_assignment``: students can fetch the lab."""
    course = _require_course(course)
    _must(nbgrader(course, "generate_assignment", lab, "--force", dry_run=dry_run),
          f"generate {lab}")
    _must(nbgrader(course, "release_assignment", lab, "--force", dry_run=dry_run),
          f"release {lab}")
    if not dry_run:
        print(f"Released {lab}: students run `nbgrader fetch_assignment {lab} "
              f"--course {COURSE_ID}`.")


def _setting(course: Path, name: str) -> str | None:
    """A value that ``init`` wrote into the course's nbgrader_config.py (``c.NAME = ...``)."""
    config = (course / "nbgrader_config.py").read_text()
    line = next((line for line in config.splitlines() if line.startswith(f"c.{name} =")),
                None)
    return None if line is None else ast.literal_eval(line.split("=", 1)[1].strip())


def answers_folder(course: Path) -> Path:
    """Where released answers go: a folder of the exchange every student can read."""
    return Path(_setting(course, "Exchange.root")) / COURSE_ID / "answers"


def db_url(course: Path) -> str:
    """The course's gradebook (nbgrader's ``db_url``)."""
    return _setting(course, "CourseDirectory.db_url") or f"sqlite:///{course / 'gradebook.db'}"


def release_answers(course: Path, lab: str) -> Path:
    """Open the way forward of ``lab`` (after its deadline): copy the lab's answers to the
    exchange, where the students' ``use_reference`` finds them (``LABUTILS_ANSWERS``)."""
    course = _require_course(course)
    source = ROOT / "answers" / "labutils_answers" / f"{lab}.py"
    folder = answers_folder(course)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # students read it; only the instructor writes there
    target = folder / source.name
    _write(target, source.read_text())
    target.chmod(0o644)
    print(f"Released the answers of {lab} to {target}: students whose LABUTILS_ANSWERS is "
          f"{folder} can now take the way forward (use_reference).")
    return target


def _problem(result: subprocess.CompletedProcess) -> str:
    """One line saying why nbgrader could not grade a submission."""
    text = result.stderr
    if any(sign in text for sign in ("NotJSONError", "JSONDecodeError", "not valid JSON",
                                     "Notebook does not appear to be JSON",
                                     "UnicodeDecodeError")):
        return "not a notebook: the submitted file is not valid notebook JSON"
    if "DeadKernelError" in text or "Kernel died" in text:
        return "the kernel died while grading (the notebook stopped Python)"
    if "Missing" in text and "cell" in text:
        return "cells that are needed for grading were deleted"
    raised = [line.strip() for line in text.splitlines()
              if re.match(r"\s*\w+(Error|Exception): ", line)]
    if raised:
        return f"nbgrader could not grade it: {raised[-1]}"
    errors = [line.split("]", 1)[-1].strip() for line in text.splitlines()
              if "ERROR" in line and "Traceback" not in line]
    return errors[0] if errors else f"nbgrader stopped with exit code {result.returncode}"


def locked_cell_changes(released: Path, submitted: Path) -> str | None:
    """What a submission did to the cells it may not change, in a few words (or None).

    nbgrader grades a read-only or check cell as it was released (its ``OverwriteCells``
    step puts an edited one back), but it cannot grade a cell that was deleted.
    """
    try:
        theirs = json.loads(submitted.read_text())["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # nbgrader itself reports a file that is not a notebook
    ours = {cell["metadata"]["nbgrader"]["grade_id"]: "".join(cell["source"])
            for cell in json.loads(released.read_text())["cells"]
            if cell["metadata"].get("nbgrader", {}).get("locked")}
    found = {}
    for cell in theirs:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in ours:
            source = cell.get("source", "")
            found[grade_id] = source if isinstance(source, str) else "".join(source)
    deleted = [grade_id for grade_id in ours if grade_id not in found]
    edited = [grade_id for grade_id, source in found.items() if source != ours[grade_id]]
    notes = []
    if deleted:
        notes.append(f"deleted read-only cells, graded without them: {', '.join(deleted)}")
    if edited:
        notes.append(f"edited read-only cells, graded as released: {', '.join(edited)}")
    return "; ".join(notes) or None


def integrity_notes(course: Path, lab: str, student: str) -> list[str]:
    """What the grader's own run of the checks found in a submission (tools/recheck.py)."""
    report = course / "grades" / "checks" / lab / f"{student}.json"
    found = json.loads(report.read_text()) if report.exists() else {}
    notes = []
    refused = found.get("refused", {})
    forward = sorted(grade_id for grade_id, what in refused.items()
                     if all("use_reference" in finding for finding in what))
    if forward:
        notes.append("took the way forward, no points: " + ", ".join(forward))
    review = {grade_id: what for grade_id, what in refused.items() if grade_id not in forward}
    if review:
        notes.append("not run, for review: " + ", ".join(
            f"{grade_id} ({'; '.join(what)})" for grade_id, what in review.items()))
    if found.get("passed_only_in_the_notebook"):
        notes.append("passed in the notebook only, failed when the grader ran them again: "
                     + ", ".join(found["passed_only_in_the_notebook"]))
    return notes


def copies(course: Path, lab: str, students: list[str]) -> dict[str, str]:
    """Students whose exercise code is the workbook's answer or another student's, once
    names, comments and layout are set aside (answers of a few lines are not compared)."""
    solution = exercise_code(labs()[lab])
    code: dict[str, dict[str, str]] = {}
    for student in students:
        try:
            code[student] = exercise_code(submitted_notebook(course, lab, student))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    found: dict[str, list[str]] = {}
    for student, answers in code.items():
        for grade_id, text in answers.items():
            shape = normalised(text)
            if shape is None or code_size(text) < COPY_MIN_NODES:
                continue
            name = defined_name(solution.get(grade_id, "")) or grade_id
            if shape == normalised(solution.get(grade_id, "")):
                found.setdefault(student, []).append(f"{name} is the workbook's answer")
            same = sorted(other for other in code if other != student
                          and normalised(code[other].get(grade_id, "")) == shape)
            if same:
                found.setdefault(student, []).append(f"{name} same as {', '.join(same)}")
    return {student: "flagged: " + "; ".join(notes) for student, notes in found.items()}


def defined_name(source: str) -> str | None:
    """The first function or class an exercise cell defines (its exercise's name)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    return next((node.name for node in tree.body
                 if isinstance(node, ast.FunctionDef | ast.ClassDef)), None)


def submitted_notebook(course: Path, lab: str, student: str) -> Path:
    return course / "submitted" / student / lab / labs()[lab].name


def grade_one(course: Path, lab: str, cell_timeout: int, notebook_timeout: int,
              student: str) -> str | None:
    """Autograde one student's submission; what the CSV's status should say, or None for
    plain "graded"."""
    problem = renamed(course, lab, student)
    if problem:
        return problem
    try:
        result = nbgrader(course, "autograde", lab, f"--student={student}", "--create",
                          "--force", f"--Execute.timeout={cell_timeout}",
                          timeout=notebook_timeout)
    except subprocess.TimeoutExpired:
        shutil.rmtree(course / "autograded" / student / lab, ignore_errors=True)
        return f"grading stopped after {notebook_timeout} s, the limit for one notebook"
    if result.returncode != 0 or not (course / "autograded" / student / lab).exists():
        return _problem(result)
    notebook = labs()[lab].name
    changes = locked_cell_changes(course / "release" / lab / notebook,
                                  course / "submitted" / student / lab / notebook)
    notes = ([changes] if changes else []) + run_notes(
        course / "autograded" / student / lab / notebook, cell_timeout)
    notes += integrity_notes(course, lab, student)
    return "graded; " + "; ".join(notes) if notes else None


def renamed(course: Path, lab: str, student: str) -> str | None:
    """Why a submission whose notebook is not under the lab's name cannot be graded."""
    folder = course / "submitted" / student / lab
    expected = labs()[lab].name
    if (folder / expected).exists():
        return None
    found = sorted(path.name for path in folder.glob("*.ipynb"))
    if found:
        return (f"not graded: the notebook was renamed ({', '.join(found)}); the lab's "
                f"notebook must be called {expected}: ask the student to submit it again "
                "under that name")
    return f"not graded: no notebook in the submission (the lab's is {expected})"


def run_notes(autograded: Path, cell_timeout: int) -> list[str]:
    """What happened while nbgrader ran the notebook: cells the student had moved, and
    cells stopped by the time limit for one cell."""
    notebook = json.loads(autograded.read_text())
    notes = []
    moved = notebook["metadata"].get("labutils_grading", {}).get("moved", [])
    if moved:
        notes.append(f"cells moved by the student, graded in the released order: "
                     f"{', '.join(moved)}")
    stopped = [cell["metadata"].get("nbgrader", {}).get("grade_id") or f"cell {index}"
               for index, cell in enumerate(notebook["cells"]) if any(
                   output.get("ename") == "KeyboardInterrupt"
                   for output in cell.get("outputs", []))]
    if stopped:
        notes.append(f"stopped at the time limit of {cell_timeout} s per cell: "
                     f"{', '.join(stopped)}")
    return notes


def default_workers(course: Path) -> int:
    """How many submissions to grade at once: one per core, when the gradebook takes
    several writers (PostgreSQL); one with SQLite, which takes one writer at a time."""
    return 1 if db_url(course).startswith("sqlite") else max(1, os.cpu_count() or 1)


def grade(course: Path, lab: str, cell_timeout: int | None = None,
          notebook_timeout: int | None = None, workers: int | None = None,
          scheduler: str | None = None, students: list[str] | None = None) -> Path:
    """Collect, autograde what is new or changed (or the ``students`` named, again),
    write feedback and the CSV; returns the CSV's path.

    ``workers`` submissions are graded at once (default: :func:`default_workers`), on a
    local Dask cluster, or on the Dask cluster at ``scheduler`` (tools/grading_run.py).
    """
    course = _require_course(course)
    why_not = sandbox.works()
    if why_not is not None:
        raise CourseError(f"{why_not}\nGrading runs every submission in that sandbox, so "
                          "nothing was graded.")
    workers = workers or default_workers(course)
    if (workers > 1 or scheduler) and db_url(course).startswith("sqlite"):
        raise CourseError(
            f"The gradebook of {course} is SQLite, which takes one writer at a time, so "
            f"submissions cannot be graded {workers} at once. Grade with --workers 1, or "
            "give the course a PostgreSQL gradebook (README: Grading a large class).")
    if cell_timeout is None or notebook_timeout is None:
        limits = time_limits.fitted(budget(lab))
        cell_timeout, notebook_timeout = cell_timeout or limits.cell, \
            notebook_timeout or limits.notebook
        print(f"Time limits: {cell_timeout} s per cell, {notebook_timeout} s per notebook "
              f"({limits.reason}).", flush=True)
    try:
        with grading_run.only_run(course, lab):
            return _grade(course, lab, cell_timeout, notebook_timeout, workers, scheduler,
                          students)
    except grading_run.GradingBusy as busy:
        raise CourseError(str(busy)) from None


def _grade(course: Path, lab: str, cell_timeout: int, notebook_timeout: int, workers: int,
           scheduler: str | None, named: list[str] | None) -> Path:
    _must(nbgrader(course, "collect", lab, "--update"), f"collect {lab}")
    students = sorted(path.parent.name for path in (course / "submitted").glob(f"*/{lab}"))
    unknown = sorted(set(named or []) - set(students))
    if unknown:
        raise CourseError(f"No submission of {lab} from {', '.join(unknown)} in "
                          f"{course / 'submitted'}.")
    state = grading_run.State(course, lab)
    pending = state.pending(students, named)
    where = f"on the Dask cluster at {scheduler}" if scheduler else f"{workers} at a time"
    print(f"{lab}: {len(students)} submissions, {len(pending)} to grade "
          f"({len(students) - len(pending)} graded before and unchanged), {where}.",
          flush=True)
    _add_students(course, pending)
    grading_run.run(pending, functools.partial(grade_one, course, lab, cell_timeout,
                                               notebook_timeout),
                    state.record, workers, scheduler)
    problems = state.problems(students)
    for student, note in copies(course, lab, students).items():
        problems[student] = (problems.get(student) or "graded") + f"; {note}"
    grades = course / "grades"
    problems_file = grades / f"{lab}_problems.json"
    _write(problems_file, json.dumps(problems, indent=1, sort_keys=True))
    _write(grades / f"{lab}_times.json", json.dumps(state.seconds(students), sort_keys=True))
    _write(grades / f"{lab}_checks.json", json.dumps(
        {student: json.loads(path.read_text()) for path in
         sorted((grades / "checks" / lab).glob("*.json")) if (student := path.stem)
         in students}, indent=1, sort_keys=True))
    if any((course / "autograded" / student / lab).exists() for student in students):
        _must(nbgrader(course, "generate_feedback", lab, "--force"),
              f"write feedback for {lab}")
    target = grades / f"{lab}.csv"
    _must(nbgrader(course, "export", f"--ExerciseCsvExport.assignment=['{lab}']",
                   f"--ExerciseCsvExport.to={target}",
                   f"--ExerciseCsvExport.problems_file={problems_file}"), f"export {lab}")
    print(f"Points per exercise: {target}; feedback: {course / 'feedback'}/STUDENT/{lab}/")
    return target


def _add_students(course: Path, students: list[str]) -> None:
    """Put every student in the gradebook before grading starts (parallel autogrades then
    never race to add the same row)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url(course), COURSE_ID) as gradebook:
        for student in students:
            gradebook.update_or_create_student(student)


def exercise_code(notebook: Path) -> dict[str, str]:
    """``{grade_id: source}`` of the solution cells of a notebook (student or solution)."""
    cells = json.loads(notebook.read_text())["cells"]
    code = {}
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            source = "".join(cell["source"])
            lines = [line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
            code[meta["grade_id"]] = "\n".join(lines)
    return code


def compare(course: Path, lab: str, student: str, html_path: Path | None = None) -> str:
    """The student's exercise code next to the solution's: a unified diff per exercise
    (returned and printed), and side by side as HTML when ``html_path`` is given."""
    course = _require_course(course)
    solution = labs()[lab]
    submitted = course / "submitted" / student / lab / solution.name
    if not submitted.exists():
        raise CourseError(f"No submission of {lab} by {student!r} in {submitted.parent}: run "
                          f"`python -m tools.course grade {course} {lab}` (it collects) first.")
    ours = exercise_code(solution)
    try:
        theirs = exercise_code(submitted)
    except json.JSONDecodeError:
        raise CourseError(f"{submitted} is not valid notebook JSON: nothing to compare.") \
            from None
    parts, tables = [], []
    for grade_id, code in ours.items():
        answer = theirs.get(grade_id, "# (this cell is missing from the submission)")
        diff = difflib.unified_diff(code.splitlines(), answer.splitlines(),
                                    f"solution: {grade_id}", f"{student}: {grade_id}",
                                    lineterm="")
        parts.append("\n".join(diff) or f"{grade_id}: same as the solution")
        tables.append(f"<h2>{html.escape(grade_id)}</h2>" + difflib.HtmlDiff(wrapcolumn=100)
                      .make_table(code.splitlines(), answer.splitlines(), "solution", student))
    text = "\n\n".join(parts)
    if html_path is not None:
        page = difflib.HtmlDiff().make_file([], [], "", "")  # only for its styles
        styles = page[page.index("<style"):page.index("</style>") + 8]
        _write(Path(html_path), f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
                                f"<title>{lab}: {html.escape(student)}</title>{styles}</head>"
                                f"<body><h1>{lab}: {html.escape(student)} next to the "
                                f"solution</h1>{''.join(tables)}</body></html>")
    return text


def _parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The command line's commands and options (the instructor reports add theirs)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    step = commands.add_parser("init", help="make the course folder and the exchange")
    step.add_argument("course", type=Path)
    step.add_argument("--exchange", type=Path, help="the exchange folder (default: "
                      "COURSE/exchange; on JupyterHub a folder every user can reach)")
    step.add_argument("--db-url", help="the gradebook (default: SQLite in the course "
                      "folder); postgresql://USER@HOST/DB to grade several at once")
    step = commands.add_parser("release", help="generate and release a lab")
    step.add_argument("course", type=Path)
    step.add_argument("lab")
    step.add_argument("--dry-run", action="store_true", help="print nbgrader's commands")
    step = commands.add_parser("release-answers", help="after the deadline: the lab's "
                               "answers to the students (their way forward)")
    step.add_argument("course", type=Path)
    step.add_argument("lab")
    step = commands.add_parser("grade", help="collect, autograde, feedback and CSV")
    step.add_argument("course", type=Path)
    step.add_argument("lab")
    step.add_argument("--cell-timeout", type=int, help="seconds per cell (default: the "
                      "lab's CPU budget, scaled to this machine's speed)")
    step.add_argument("--notebook-timeout", type=int, help="seconds per notebook (default: "
                      "3 x the budget + 60, scaled the same way)")
    step.add_argument("--workers", type=int, help="submissions graded at once (default: "
                      "one per core with a PostgreSQL gradebook, 1 with SQLite)")
    step.add_argument("--scheduler", help="grade on the Dask cluster of this scheduler "
                      "(tcp://HOST:8786); its workers must see the course folder")
    step.add_argument("--student", action="append", help="grade this student again, even "
                      "if graded before (repeat for several); default: what is new or "
                      "changed since the last run")
    step = commands.add_parser("compare", help="a submission's exercises next to ours")
    step.add_argument("course", type=Path)
    step.add_argument("lab")
    step.add_argument("student")
    step.add_argument("--html", type=Path, help="also write the comparison as HTML here")
    return parser, commands


def main(argv: list[str] | None = None) -> int:
    parser, commands = _parser()
    from tools.class_commands import add_commands  # it imports this module
    more = add_commands(commands)  # roster, due, return-feedback, export-lms, summary
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            init(args.course, args.exchange, args.db_url)
        elif args.command == "release":
            release(args.course, lab_id(args.lab), args.dry_run)
        elif args.command == "release-answers":
            release_answers(args.course, lab_id(args.lab))
        elif args.command == "grade":
            grade(args.course, lab_id(args.lab), args.cell_timeout, args.notebook_timeout,
                  args.workers, args.scheduler, args.student)
        elif args.command in more:
            more[args.command](args)
        else:
            print(compare(args.course, lab_id(args.lab), args.student, args.html))
    except CourseError as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped; every process this run started has ended. What was graded is "
              "kept: run the same command again to grade the rest.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    # The imported module's main, not this script's copy: tools/class_commands.py raises
    # the imported module's CourseError, which only that main catches.
    from tools import course
    sys.exit(course.main())
