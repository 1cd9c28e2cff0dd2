"""What a graded lab tells the instructor: a file for the LMS and a summary per exercise.

Both read nbgrader's gradebook of the course (through its ``nbgrader_config.py``, so a
course whose ``db_url`` names another database works the same) with
:func:`tools.nbgrader_export.lab_scores`, the reader of the per-exercise CSV, so the
points after the late penalty are the same everywhere:

- :func:`export_lms` writes a CSV that Canvas or Moodle imports as it is: Canvas's
  columns ``Student, ID, SIS User ID, SIS Login ID, Section`` and one assignment column
  (with Canvas's ``Points Possible`` row); Moodle's ``First name, Last name, Email address,
  ID number`` and one grade column, mapped by email on Moodle's import page;
- :func:`summary` prints, per exercise, the points, the mean, the pass rate (submissions
  with every point of that check) and the most common failing message (from the
  autograded notebooks, the messages the feedback shows), and draws the pass rates.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from tools.course import COURSE_ID, CourseError, labs
from tools.nbgrader_export import Scores, graded_cells, lab_scores

FORMATS = ("canvas", "moodle")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NO_MESSAGE = "(no message: the status column of grades/LAB.csv says why)"


def course_config(course: Path) -> Config:
    """The course's ``nbgrader_config.py``, as nbgrader's commands read it."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def db_url(course: Path) -> str:
    """Where the course's gradebook is (nbgrader's ``CourseDirectory.db_url``)."""
    return CourseDirectory(config=course_config(course)).db_url


def gradebook(course: Path) -> Gradebook:
    """nbgrader's gradebook of ``course``, where its ``nbgrader_config.py`` puts it."""
    return Gradebook(db_url(course), COURSE_ID)


def read_scores(course: Path, lab: str) -> tuple[list[tuple[str, str, float]], list[Scores]]:
    """The checks of ``lab`` worth points and every student's :class:`Scores`."""
    with gradebook(course) as book:
        try:
            cells = graded_cells(book, lab)
        except MissingEntry:
            cells = []
        if not cells:
            raise CourseError(f"{lab} has no graded checks in the gradebook of {course} "
                              f"yet: release it (`python -m tools.course release {course} "
                              f"{lab}`) and grade it first.")
        return cells, lab_scores(book, lab)


def _points(value: float) -> str:
    return f"{round(value, 2):g}"


def canvas_rows(scores: list[Scores], column: str, max_total: float) -> list[list[str]]:
    """Canvas's gradebook import: a header, the ``Points Possible`` row, one row a student.
    ``ID`` is the student's LMS id (Canvas's user id), ``SIS Login ID`` nbgrader's id."""
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column],
            ["    Points Possible", "", "", "", "", _points(max_total)]]
    for row in scores:
        name = ", ".join(part for part in (row.last_name, row.first_name) if part)
        rows.append([name or row.student_id, row.lms_user_id, "", row.student_id, "",
                     _points(row.final)])
    return rows


def moodle_rows(scores: list[Scores], column: str) -> list[list[str]]:
    """Moodle's grade import (Grades > Import > CSV file): identify users by email
    address, map ``column`` to the lab's grade item."""
    rows = [["First name", "Last name", "Email address", "ID number", column]]
    rows += [[row.first_name, row.last_name, row.email, row.lms_user_id, _points(row.final)]
             for row in scores]
    return rows


def export_lms(course: Path, lab: str, form: str, target: Path,
               column: str | None = None) -> Path:
    """Write the points after the late penalty of every student as ``form`` (canvas or
    moodle) imports them, the lab's column named ``column`` (default: the lab id)."""
    if form not in FORMATS:
        raise CourseError(f"There is no LMS format {form!r}: choose one of {FORMATS}.")
    cells, scores = read_scores(course, lab)
    if form == "moodle" and any(not row.email for row in scores):
        missing = ", ".join(row.student_id for row in scores if not row.email)
        raise CourseError(f"Moodle finds students by email, and these have none: {missing}."
                          f" Add them with `python -m tools.course roster {course} FILE`.")
    column = column or lab
    rows = canvas_rows(scores, column, sum(p for _, _, p in cells)) if form == "canvas" \
        else moodle_rows(scores, column)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    print(f"Wrote {len(scores)} students' points on {lab} for {form.capitalize()}: {target}")
    return target


def failing_message(cell: dict) -> str | None:
    """The first line of the error a check cell of an autograded notebook shows (what the
    feedback says), without colours; None when the cell shows no error."""
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        lines = [*output.get("evalue", "").splitlines(), *output.get("traceback", [])]
        for line in lines:  # a check's message: its first line names the mistake
            text = ANSI.sub("", line).strip()
            if text and not text.startswith("Check failed:"):
                return text
        return output.get("ename") or "error"
    return None


def failing_messages(course: Path, lab: str, failed: dict[str, list[str]]) -> dict[str, Counter]:
    """``{grade id: Counter(message)}`` over the students in ``failed`` (``{student:
    [grade ids they did not pass]}``), from their autograded notebooks."""
    found: dict[str, Counter] = {}
    name = labs()[lab].name
    for student, grade_ids in failed.items():
        path = course / "autograded" / student / lab / name
        try:
            cells = json.loads(path.read_text())["cells"]
        except (OSError, ValueError, KeyError):
            cells = []
        by_id = {cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"): cell
                 for cell in cells}
        for grade_id in grade_ids:
            message = failing_message(by_id.get(grade_id, {})) or NO_MESSAGE
            found.setdefault(grade_id, Counter())[message] += 1
    return found


@dataclass
class ExerciseSummary:
    """How a class did on one check of a lab, over the students who submitted it."""

    grade_id: str
    points: float
    mean: float
    pass_rate: float  # the share of submissions with every point of this check
    message: str  # the most common failing message ("" when nobody failed)
    message_count: int


def summarise(course: Path, lab: str) -> tuple[list[ExerciseSummary], list[Scores]]:
    """One :class:`ExerciseSummary` per check of ``lab``, and every student's scores."""
    cells, scores = read_scores(course, lab)
    submitted = [row for row in scores if row.submitted]
    failed: dict[str, list[str]] = {}
    for row in submitted:
        failed[row.student_id] = [cell for _, cell, points in cells
                                  if (row.points[cell] or 0) < points]
    messages = failing_messages(course, lab, failed)
    summaries = []
    for _, cell, points in cells:
        got = [row.points[cell] or 0 for row in submitted]
        common = messages.get(cell, Counter()).most_common(1)
        summaries.append(ExerciseSummary(
            cell, points, sum(got) / len(got) if got else 0.0,
            sum(value >= points for value in got) / len(got) if got else 0.0,
            common[0][0] if common else "", common[0][1] if common else 0))
    return summaries, scores


def summary_table(lab: str, summaries: list[ExerciseSummary], scores: list[Scores]) -> str:
    """The summary as text: a line per exercise, then its most common failing message."""
    submitted = sum(row.submitted for row in scores)
    lines = [f"{lab}: {submitted} submissions from {len(scores)} students",
             f"{'exercise':<28}{'points':>7}{'mean':>7}{'passed':>8}"]
    for item in summaries:
        lines.append(f"{item.grade_id:<28}{_points(item.points):>7}{item.mean:>7.2f}"
                     f"{item.pass_rate:>8.0%}")
    lines.append("Most common failing message per exercise:")
    for item in summaries:
        message = f"{item.message} ({item.message_count}x)" if item.message else "none"
        lines.append(f"  {item.grade_id}: {message}")
    return "\n".join(lines)


def pass_rate_figure(lab: str, summaries: list[ExerciseSummary], target: Path) -> Path:
    """A bar chart of the pass rate of each exercise, as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    figure, axes = plt.subplots(figsize=(1.4 * len(summaries) + 2, 3.5))
    names = [item.grade_id.removeprefix("check_") for item in summaries]
    axes.bar(names, [100 * item.pass_rate for item in summaries], color="tab:blue")
    axes.set(title=f"{lab}: submissions that passed each check", xlabel="exercise",
             ylabel="passed (%)", ylim=(0, 100))
    axes.tick_params(axis="x", labelrotation=20)
    figure.tight_layout()
    figure.savefig(target, dpi=100)
    plt.close(figure)
    return target


def summary(course: Path, lab: str) -> str:
    """Print the summary of ``lab`` and draw ``grades/LAB_pass_rates.png``; returns the
    text."""
    summaries, scores = summarise(course, lab)
    text = summary_table(lab, summaries, scores)
    folder = course / "grades"
    folder.mkdir(exist_ok=True)
    figure = pass_rate_figure(lab, summaries, folder / f"{lab}_pass_rates.png")
    print(f"{text}\nPass rates drawn in {figure}")
    return text
