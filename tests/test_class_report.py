"""What nbgrader gives an instructor, on a small course built without autograding.

The course is real (``tools/course.py init``), the roster and the due date go in with
nbgrader's own commands (``roster``, ``due``), and the feedback goes out with nbgrader's
``release_feedback``. The grades are written straight into nbgrader's gradebook with its
API, as autograde would, and the late penalty comes from nbgrader's own
``AssignLatePenalties`` step with the course's configured plugin. The test asserts the
exact numbers of the CSV, the Canvas and Moodle files and the summary.
"""

from __future__ import annotations

import csv
import datetime
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="the instructor extra is not installed: "
                    "pip install -e '.[instructor]'")

from nbformat.v4 import new_code_cell, new_notebook  # noqa: E402
from nbgrader.preprocessors import AssignLatePenalties  # noqa: E402
from nbgrader.utils import notebook_hash  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import class_commands, class_report  # noqa: E402
from tools import course as course_tool  # noqa: E402
from tools.late_penalty import DailyLatePenalty  # noqa: E402
from tools.nbgrader_export import ExerciseCsvExport  # noqa: E402

LAB = "lab01"
NOTEBOOK = "01_convolutions"
DUE = datetime.datetime(2027, 1, 15, 23, 59)  # UTC, as the gradebook keeps it
ROSTER = """id,first_name,last_name,email,lms_user_id
alice,Alice,Liddell,alice@example.org,101
bob,Bob,Stub,bob@example.org,102
carol,Carol,Absent,carol@example.org,103
dave,Dave,Late,dave@example.org,104
erin,Erin,Wrong,erin@example.org,105
"""
ORDER = ["check_conv2d_loop", "check_conv_param_count", "check_conv_output_size",
         "check_receptive_field"]
# Points per check (worth 3, 1, 2, 2; a half is a grader's partial credit), hours after
# the due date, and the failing messages.
STUB = "{} still raises NotImplementedError: the exercise is not done yet."
WRONG_FIELD = "receptive_field([3, 3]) returned 6. Expected 5."
WRONG_SIZE = "conv_output_size(n=28, k=3, d=2) returned 26. Expected 24."
WRONG = {"check_receptive_field": WRONG_FIELD, "check_conv_output_size": WRONG_SIZE}
SUBMISSIONS = {
    "alice": ((3, 1, 2, 2), -1, {}),
    "bob": ((0, 0, 0, 0), -2, {cell: STUB.format(cell[6:]) for cell in ORDER}),
    "dave": ((3, 1, 1, 0), 25, WRONG),
    "erin": ((3, 1, 1, 0), -3, WRONG),
}


def failed_output(message: str) -> dict:
    """An error output as labutils' ``CheckFailed`` shows it in a notebook: the mistake,
    then what to do."""
    text = f"{message}\nStuck? hint('x') gives a hint."
    return {"output_type": "error", "ename": "CheckFailed", "evalue": text,
            "traceback": ["\x1b[31m\x1b[1mCheck failed: x\x1b[0m", *text.splitlines()]}


def autograded_notebook(course: Path, student: str, messages: dict[str, str]) -> None:
    cells = []
    for grade_id in ORDER:
        cell = new_code_cell(f"{grade_id}(...)")
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True}
        cell.outputs = [failed_output(messages[grade_id])] if grade_id in messages else []
        cells.append(cell)
    path = course / "autograded" / student / LAB / f"{NOTEBOOK}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(new_notebook(cells=cells)))


def write_grades(course: Path) -> None:
    """Grades of every submission as autograde writes them, then nbgrader's own late
    penalty step with the plugin that the course's nbgrader_config.py names."""
    points = json.loads(course_tool.labs()[LAB].read_text())["metadata"]["labutils"]["points"]
    with class_report.gradebook(course) as book:
        book.add_notebook(NOTEBOOK, LAB)
        for grade_id in ORDER:
            book.add_grade_cell(grade_id, NOTEBOOK, LAB, max_score=points[grade_id],
                                cell_type="code")
        book.add_grade_cell("hidden_tests", NOTEBOOK, LAB, max_score=0, cell_type="code")
        for student, (scores, hours, _) in SUBMISSIONS.items():
            book.add_submission(LAB, student, timestamp=DUE + datetime.timedelta(hours=hours))
            for grade_id, score in zip(ORDER, scores, strict=True):
                book.find_grade(grade_id, NOTEBOOK, LAB, student).auto_score = score
        book.db.commit()
    config = class_report.course_config(course)
    for student in SUBMISSIONS:
        AssignLatePenalties(config=config).preprocess(new_notebook(), {"nbgrader": {
            "notebook": NOTEBOOK, "assignment": LAB, "student": student,
            "db_url": class_report.db_url(course)}})


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course with a roster, a due date, graded submissions and their feedback."""
    base = tmp_path_factory.mktemp("report")
    course = base / "course"
    course_tool.init(course)
    (base / "roster.csv").write_text(ROSTER)
    assert course_tool.main(["roster", str(course), str(base / "roster.csv")]) == 0
    assert course_tool.main(["due", str(course), "1", "2027-01-15 23:59+00:00"]) == 0
    write_grades(course)
    for student, (_, _, messages) in SUBMISSIONS.items():
        autograded_notebook(course, student, messages)
    with class_report.gradebook(course) as book:
        ExerciseCsvExport(to=str(course / "grades" / f"{LAB}.csv"), assignment=[LAB]).export(book)
    return course


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def test_the_daily_penalty_takes_a_share_per_started_day():
    plugin = DailyLatePenalty(percent_per_day=10)
    assert plugin.late_submission_penalty("s", 8.0, 0) is None
    assert plugin.late_submission_penalty("s", 8.0, 60) == pytest.approx(0.8)
    assert plugin.late_submission_penalty("s", 8.0, 25 * 3600) == pytest.approx(1.6)
    assert plugin.late_submission_penalty("s", 8.0, 11 * 24 * 3600) == 8.0
    assert DailyLatePenalty(percent_per_day=100).late_submission_penalty("s", 5, 1) == 5


def test_the_csv_shows_the_late_penalty_and_the_total_after_it(course):
    rows = {row["student_id"]: row
            for row in csv.DictReader(open(course / "grades" / f"{LAB}.csv"))}
    assert list(rows) == ["alice", "bob", "carol", "dave", "erin"]
    dave = rows["dave"]
    assert (dave["name"], dave["email"], dave["status"]) == ("Dave Late", "dave@example.org",
                                                             "graded")
    assert [dave[cell] for cell in ORDER] == ["3", "1", "1", "0"]
    # 25 hours late: two started days at 10 % each of the 5 points earned.
    assert (dave["total"], dave["hours_late"], dave["late_penalty"],
            dave["total_after_penalty"], dave["max_total"]) == ("5", "25", "1", "4", "8")
    erin = rows["erin"]  # the same points on time: no penalty
    assert (erin["total"], erin["late_penalty"], erin["total_after_penalty"]) == ("5", "0", "5")
    assert "hidden_tests" not in rows["alice"]


def test_a_student_of_the_roster_who_never_submitted_has_a_row(course):
    rows = {row["student_id"]: row
            for row in csv.DictReader(open(course / "grades" / f"{LAB}.csv"))}
    carol = rows["carol"]
    assert (carol["name"], carol["email"], carol["status"], carol["total_after_penalty"]) == (
        "Carol Absent", "carol@example.org", "no submission", "0")


def test_the_roster_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("id,name\nalice,Alice\n")
    with pytest.raises(course_tool.CourseError, match="has the columns id, name. Expected"):
        class_commands.read_roster(path)
    path.write_text("\ufeffid,email\nalice,a@x.org\n../bob,b@x.org\nalice,c@x.org\n")
    with pytest.raises(course_tool.CourseError, match=r"'\.\./bob', 'alice'"):
        class_commands.read_roster(path)
    path.write_text("\ufeffid,email\nalice, a@x.org \n")  # Excel's BOM, stray spaces
    assert class_commands.read_roster(path) == [{"id": "alice", "email": "a@x.org"}]


def test_canvas_imports_the_points_after_the_penalty(course, tmp_path):
    target = tmp_path / "canvas.csv"
    assert course_tool.main(["export-lms", str(course), "01", str(target),
                             "--format", "canvas", "--column", "Lab 1 (4711)"]) == 0
    assert read_csv(target) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 1 (4711)"],
        ["    Points Possible", "", "", "", "", "8"],
        ["Liddell, Alice", "101", "", "alice", "", "8"],
        ["Stub, Bob", "102", "", "bob", "", "0"],
        ["Absent, Carol", "103", "", "carol", "", "0"],
        ["Late, Dave", "104", "", "dave", "", "4"],
        ["Wrong, Erin", "105", "", "erin", "", "5"],
    ]


def test_moodle_imports_the_points_by_email(course, tmp_path):
    target = tmp_path / "moodle.csv"
    assert course_tool.main(["export-lms", str(course), "lab01", str(target),
                             "--format", "moodle"]) == 0
    rows = read_csv(target)
    assert rows[0] == ["First name", "Last name", "Email address", "ID number", "lab01"]
    assert {row[2]: row[4] for row in rows[1:]} == {
        "alice@example.org": "8", "bob@example.org": "0", "carol@example.org": "0",
        "dave@example.org": "4", "erin@example.org": "5"}
    assert rows[4] == ["Dave", "Late", "dave@example.org", "104", "4"]


def test_the_summary_gives_points_pass_rates_and_the_common_failure(course, capsys):
    assert course_tool.main(["summary", str(course), "1"]) == 0
    summaries, _ = class_report.summarise(course, LAB)
    found = {item.grade_id: (item.points, item.mean, item.pass_rate, item.message,
                             item.message_count) for item in summaries}
    assert found == {
        "check_conv2d_loop": (3, 2.25, 0.75, STUB.format("conv2d_loop"), 1),
        "check_conv_param_count": (1, 0.75, 0.75, STUB.format("conv_param_count"), 1),
        "check_conv_output_size": (2, 1.0, 0.25, WRONG_SIZE, 2),
        "check_receptive_field": (2, 0.5, 0.25, WRONG_FIELD, 2),
    }
    text = capsys.readouterr().out
    assert "lab01: 4 submissions from 5 students" in text
    assert "check_receptive_field             2   0.50     25%" in text
    assert f"  check_receptive_field: {WRONG_FIELD} (2x)" in text
    figure = course / "grades" / f"{LAB}_pass_rates.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_return_feedback_puts_each_page_where_fetch_feedback_looks(course):
    secrets = {}
    for student in ("alice", "dave"):
        folder = course / "feedback" / student / LAB
        folder.mkdir(parents=True)
        (folder / f"{NOTEBOOK}.html").write_text(f"<p>feedback for {student}</p>")
        (folder / "timestamp.txt").write_text("2027-01-15 22:59:00.000000 UTC")
        secrets[student] = f"secret-of-{student}"
        (folder / "submission_secret.txt").write_text(secrets[student])
    assert course_tool.main(["return-feedback", str(course), "1"]) == 0
    outbound = course / "exchange" / course_tool.COURSE_ID / "feedback"
    assert len(list(outbound.glob("*.html"))) == 2
    for student, secret in secrets.items():
        page = outbound / f"{notebook_hash(secret=secret, notebook_id=NOTEBOOK)}.html"
        assert page.read_text() == f"<p>feedback for {student}</p>"
