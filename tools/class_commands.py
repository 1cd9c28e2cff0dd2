"""The class's bookkeeping around grading, each step one of nbgrader's own commands.

``python -m tools.course`` takes these subcommands from here (:func:`add_commands`)::

    roster COURSE roster.csv            # nbgrader db student import: names, emails, LMS ids
    due COURSE LAB "2027-01-15 23:59"   # nbgrader db assignment add LAB --duedate=...
    return-feedback COURSE LAB          # nbgrader release_feedback LAB
    export-lms COURSE LAB OUT.csv --format canvas|moodle   (tools/class_report.py)
    summary COURSE LAB                  # points, pass rates, failing messages, a figure
"""

from __future__ import annotations

import argparse
import csv
import datetime
from collections.abc import Callable
from pathlib import Path

from tools import class_report
from tools.course import (
    COURSE_ID,
    CourseError,
    _must,
    _require_course,
    answers_folder,
    lab_id,
    nbgrader,
)
from tools.exchange import valid_student_id

ROSTER_COLUMNS = ("id", "first_name", "last_name", "email", "lms_user_id")


def read_roster(path: Path) -> list[dict[str, str]]:
    """The rows of a roster CSV (nbgrader's columns ``id, first_name, last_name, email,
    lms_user_id``; only ``id`` is needed), refused with a clear message when a column is
    unknown or an id is missing, repeated or not a plain name."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:  # Excel adds a BOM
            reader = csv.DictReader(stream)
            columns = [name.strip() for name in reader.fieldnames or []]
            rows = [{key.strip(): (value or "").strip() for key, value in row.items() if key}
                    for row in reader]
    except (OSError, UnicodeDecodeError) as error:
        raise CourseError(f"Could not read the roster {path}: {error}.") from None
    unknown = [name for name in columns if name not in ROSTER_COLUMNS]
    if "id" not in columns or unknown:
        raise CourseError(f"The roster {path} has the columns {', '.join(columns)}. Expected: "
                          f"{', '.join(ROSTER_COLUMNS)} (only id is needed; the id is the "
                          "student's account name, the one nbgrader submit uses).")
    ids = [row["id"] for row in rows]
    bad = [student for student in ids if not valid_student_id(student)]
    repeated = sorted({student for student in ids if ids.count(student) > 1})
    if bad or repeated:
        raise CourseError(f"The roster {path} has ids that cannot be students' ids: "
                          f"{', '.join(map(repr, bad + repeated))} (an id is a plain name, "
                          "letters, digits and ._@-, and appears once).")
    return rows


def import_roster(course: Path, path: Path) -> int:
    """Add or update every student of the roster in nbgrader's gradebook; how many."""
    course = _require_course(course)
    rows = read_roster(Path(path))
    clean = course / ".grading" / "roster.csv"  # plain UTF-8, the columns nbgrader reads
    clean.parent.mkdir(parents=True, exist_ok=True)
    with open(clean, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, ROSTER_COLUMNS)
        writer.writeheader()
        writer.writerows([{key: row.get(key, "") for key in ROSTER_COLUMNS} for row in rows])
    _must(nbgrader(course, "db", "student", "import", str(clean)), f"import {path}")
    print(f"{len(rows)} students in the gradebook of {course}; a student who hands nothing "
          "in gets a 'no submission' row in every lab's CSV.")
    return len(rows)


def due_date(when: str) -> datetime.datetime:
    """``"2027-01-15 23:59"`` (this machine's time zone) or with an offset (``+01:00``)."""
    try:
        moment = datetime.datetime.fromisoformat(when)
    except ValueError:
        raise CourseError(f"{when!r} is not a date and time: write it as "
                          "2027-01-15 23:59, or 2027-01-15T23:59+01:00.") from None
    return moment if moment.tzinfo else moment.astimezone()


def set_due(course: Path, lab: str, when: str) -> datetime.datetime:
    """Give ``lab`` a due date in the gradebook: autograde then penalises later submissions
    (the course's ``DailyLatePenalty``, tools/late_penalty.py)."""
    course = _require_course(course)
    moment = due_date(when)
    _must(nbgrader(course, "db", "assignment", "add", lab, f"--duedate={moment.isoformat()}"),
          f"set the due date of {lab}")
    print(f"{lab} is due {moment.isoformat(' ', 'minutes')}. Submissions graded from now on "
          "get the late penalty of the course's nbgrader_config.py (DailyLatePenalty).")
    return moment


def return_feedback(course: Path, lab: str) -> int:
    """Release the feedback of ``lab`` to the exchange (``nbgrader release_feedback``), where
    each student's ``nbgrader fetch_feedback`` finds theirs; how many files."""
    course = _require_course(course)
    pages = sorted((course / "feedback").glob(f"*/{lab}/*.html"))
    if not pages:
        raise CourseError(f"There is no feedback for {lab} yet: run "
                          f"`python -m tools.course grade {course} {lab}` first.")
    _must(nbgrader(course, "release_feedback", lab), f"release the feedback of {lab}")
    print(f"Released {len(pages)} feedback pages of {lab} to "
          f"{answers_folder(course).parent / 'feedback'}: each student runs "
          f"`nbgrader fetch_feedback {lab} --course {COURSE_ID}`.")
    return len(pages)


def add_commands(commands: argparse._SubParsersAction) -> dict[str, Callable[..., object]]:
    """Add this module's subcommands to ``tools.course``'s parser; ``{name: run(args)}``."""
    step = commands.add_parser("roster", help="import the students (nbgrader's CSV columns "
                               "id,first_name,last_name,email,lms_user_id)")
    step.add_argument("course", type=Path)
    step.add_argument("roster", type=Path)
    step = commands.add_parser("due", help="set a lab's due date (late penalty)")
    step.add_argument("course", type=Path)
    step.add_argument("lab")
    step.add_argument("when", help='e.g. "2027-01-15 23:59" (local time) or with +01:00')
    step = commands.add_parser("return-feedback", help="release the feedback to students")
    step.add_argument("course", type=Path)
    step.add_argument("lab")
    step = commands.add_parser("export-lms", help="the points as Canvas or Moodle import them")
    step.add_argument("course", type=Path)
    step.add_argument("lab")
    step.add_argument("target", type=Path)
    step.add_argument("--format", choices=class_report.FORMATS, required=True)
    step.add_argument("--column", help="the LMS's name of the assignment (default: LAB)")
    step = commands.add_parser("summary", help="points, pass rates and failing messages")
    step.add_argument("course", type=Path)
    step.add_argument("lab")
    return {
        "roster": lambda args: import_roster(args.course, args.roster),
        "due": lambda args: set_due(args.course, lab_id(args.lab), args.when),
        "return-feedback": lambda args: return_feedback(args.course, lab_id(args.lab)),
        "export-lms": lambda args: class_report.export_lms(
            _require_course(args.course), lab_id(args.lab), args.format, args.target,
            args.column),
        "summary": lambda args: class_report.summary(_require_course(args.course),
                                                     lab_id(args.lab)),
    }
