"""A simulated class on nbgrader: release, fetch, submit, collect, autograde, feedback,
export, and the comparison with the solution, through tools/course.py and nbgrader's own
commands, with a local exchange folder.

Lab 01 gets nine submissions and lab 02 five: all correct, all stubs, typical wrong
answers, not JSON, an endless loop, a locked check cell edited, a check cell deleted,
a check cell moved, a kernel that dies, a ``sys.exit``, a notebook renamed (the way
forward and the hostile ones are test_class_integrity's). They are graded two at once, on a
local Dask cluster, into a PostgreSQL gradebook on 127.0.0.1 (tools/gradebook_db.py),
as a large class is. The test asserts the exact points in nbgrader's gradebook, the CSV,
and the feedback's text; then what instructors do next: grade again (nothing is graded
twice), a late resubmission (only it is graded), a run stopped with Ctrl-C and resumed,
two runs at once, a lab whose only submission cannot be graded.
"""

from __future__ import annotations

import csv
import html
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="the instructor extra is not installed: "
                    "pip install -e '.[instructor]'")

from nbgrader.api import Gradebook  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import course as course_tool  # noqa: E402
from tools import gradebook_db, grading_run, sandbox  # noqa: E402

pytestmark = pytest.mark.skipif(sandbox.works() is not None,
                                reason=f"no grading sandbox here: {sandbox.works()}")

COURSE_ID = course_tool.COURSE_ID
NAMES = {"lab01": "01_convolutions.ipynb", "lab02": "02_first_cnn.ipynb"}
# Seconds per cell: the endless loop (lab 01) costs this much; every honest cell is faster.
CELL_TIMEOUT = {"lab01": 45, "lab02": 150}


def environment(home: Path) -> dict[str, str]:
    env = dict(os.environ, HOME=str(home))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def nbgrader_as_student(home: Path, *args: str, exchange: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--course", COURSE_ID,
                             f"--Exchange.root={exchange}"], cwd=home, env=environment(home),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def solution_code(lab: str) -> dict[str, str]:
    return course_tool.exercise_code(course_tool.labs()[lab])


def fill(notebook: dict, answers: dict[str, str]) -> dict:
    """The notebook with the given solution cells replaced (by grade id)."""
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    return notebook


def cell_with(notebook: dict, grade_id: str) -> dict:
    return next(c for c in notebook["cells"]
                if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


# --------------------------------------------------------------------------- lab 01

WRONG_OUTPUT_SIZE = '''def conv_output_size(n, k, p=0, s=1, d=1):
    return (n + 2 * p - k) // s + 1  # forgets the dilation
'''
WRONG_PARAM_COUNT = '''def conv_param_count(in_channels, out_channels, kernel_size, bias=True):
    return in_channels * out_channels * kernel_size * kernel_size  # forgets the biases
'''


def lab01_submissions(release: dict) -> dict[str, str | dict]:
    right = solution_code("lab01")
    ids = list(right)
    stubs = json.loads(json.dumps(release))

    def make(**changes: str) -> dict:
        return fill(json.loads(json.dumps(release)), {**right, **changes})

    edited = make(**{ids[0]: release_code(release, ids[0])})  # conv2d_loop left as a stub
    cell_with(edited, "check_conv2d_loop")["source"] = 'print("all checks passed")'
    deleted = make()
    deleted["cells"].remove(cell_with(deleted, "check_conv_param_count"))
    return {
        "alice": make(),
        "bob": stubs,
        "carol": make(**{ids[1]: WRONG_PARAM_COUNT, ids[2]: WRONG_OUTPUT_SIZE}),
        "dave": "{ this is not a notebook",
        "erin": make(**{ids[0]: "while True:\n    pass\n"}),
        "frank": edited,
        "grace": deleted,
        "ivan": make(**{ids[0]: "import os\nos._exit(1)\n"}),
        "liam": check_moved_above(make(), "check_conv_output_size", ids[2]),
    }


def release_code(release: dict, grade_id: str) -> str:
    return "".join(cell_with(release, grade_id)["source"])


@pytest.fixture(scope="module")
def gradebook_server():
    """A PostgreSQL server of its own on 127.0.0.1, stopped after the module."""
    try:
        gradebook_db.programs()
    except gradebook_db.PostgresMissing as missing:
        pytest.skip(str(missing))
    folder = Path(tempfile.mkdtemp(prefix="gradebook-", dir="/tmp"))
    url = gradebook_db.start(folder, gradebook_db.free_port())
    yield url
    gradebook_db.stop(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, gradebook_server):
    """One course, both labs released, every submission collected and graded, two at a
    time."""
    base = tmp_path_factory.mktemp("class")
    course = base / "course"
    course_tool.init(course, db_url=gradebook_server)
    exchange = course / "exchange"
    submitted = {}
    for lab in NAMES:
        course_tool.release(course, lab)
        release = json.loads((course / "release" / lab / NAMES[lab]).read_text())
        submissions = lab01_submissions(release) if lab == "lab01" else \
            lab02_submissions(release)
        for student, content in submissions.items():
            home = base / "homes" / student
            nbgrader_as_student(home, "fetch_assignment", lab, exchange=exchange)
            path = home / lab / NAMES[lab]
            if isinstance(content, dict) and "renamed" in content:  # saved under a new name
                path.unlink()
                path = home / lab / "my_lab02_final.ipynb"
                content = content["renamed"]
            path.write_text(content if isinstance(content, str) else json.dumps(content))
            nbgrader_as_student(home, "submit", lab, f"--student={student}",
                                exchange=exchange)
            submitted[(lab, student, path.name)] = path.read_bytes()
        course_tool.grade(course, lab, cell_timeout=CELL_TIMEOUT[lab], workers=2)
    return base, course, submitted


def points(course: Path, lab: str) -> dict[str, dict[str, float]]:
    with Gradebook(course_tool.db_url(course), COURSE_ID) as gradebook:
        assignment = gradebook.find_assignment(lab)
        result = {}
        for student in gradebook.students:
            scores = {}
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    try:
                        grade = gradebook.find_grade(cell.name, notebook.name, lab, student.id)
                    except Exception:
                        continue
                    if cell.max_score > 0:
                        scores[cell.name] = grade.score
            result[student.id] = scores
        return result


def table(course: Path, lab: str) -> dict[str, dict[str, str]]:
    with open(course / "grades" / f"{lab}.csv") as stream:
        return {row["student_id"]: row for row in csv.DictReader(stream)}


def feedback(course: Path, lab: str, student: str) -> str:
    return (course / "feedback" / student / lab / NAMES[lab].replace(".ipynb", ".html")
            ).read_text()


LAB01_EXPECTED = {
    "alice": (3, 1, 2, 2),
    "bob": (0, 0, 0, 0),
    "carol": (3, 0, 0, 2),
    "erin": (0, 1, 2, 2),  # the endless loop is stopped; the rest is right
    "frank": (0, 1, 2, 2),  # the edited check cell is graded as it was released
    "grace": (3, 0, 2, 2),  # a deleted check cell cannot be graded: 0, and the row says so
    "liam": (3, 1, 2, 2),  # a check dragged above its exercise is graded where it belongs
}


def test_lab01_points_in_the_gradebook(graded_class):
    _, course, _ = graded_class
    order = ["check_conv2d_loop", "check_conv_param_count", "check_conv_output_size",
             "check_receptive_field"]
    found = points(course, "lab01")
    for student, expected in LAB01_EXPECTED.items():
        assert tuple(found[student].get(name) for name in order) == expected, student


def test_lab01_csv_has_a_row_for_every_student_with_points_or_the_reason(graded_class):
    _, course, _ = graded_class
    rows = table(course, "lab01")
    assert set(rows) == set(LAB01_EXPECTED) | {"dave", "ivan"}
    for student, expected in LAB01_EXPECTED.items():
        assert rows[student]["status"].startswith("graded")
        assert float(rows[student]["total"]) == sum(expected)
        assert float(rows[student]["max_total"]) == 8
    assert "not valid notebook JSON" in rows["dave"]["status"]
    assert "kernel died" in rows["ivan"]["status"]
    assert rows["grace"]["status"].startswith("graded; deleted read-only cells, graded "
                                              "without them: check_conv_param_count")
    assert rows["frank"]["status"].startswith("graded; edited read-only cells, graded as "
                                              "released: check_conv2d_loop")
    # The simulated class copies the workbook's answers, and the grade report says so.
    assert rows["alice"]["status"].startswith("graded; flagged: ")
    assert rows["erin"]["status"].startswith(
        f"graded; stopped at the time limit of {CELL_TIMEOUT['lab01']} s per cell: ex1; "
        "flagged: ")
    for student in ("alice", "erin"):
        assert "conv_param_count is the workbook's answer" in rows[student]["status"]
    assert "conv2d_loop is the workbook's answer" in rows["alice"]["status"]
    assert "conv2d_loop" not in rows["erin"]["status"]  # her endless loop is her own
    assert float(rows["dave"]["total"]) == float(rows["ivan"]["total"]) == 0


def check_cell_errors(course: Path, lab: str, student: str) -> dict[str, str]:
    """The error text each failed check cell shows in the autograded notebook."""
    notebook = json.loads((course / "autograded" / student / lab / NAMES[lab]).read_text())
    errors = {}
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        for output in cell.get("outputs", []):
            if grade_id.startswith("check_") and output["output_type"] == "error":
                errors[grade_id] = "\n".join(output["traceback"])
    return errors


def test_lab01_feedback_shows_the_checks_own_words(graded_class):
    _, course, _ = graded_class
    carol = feedback(course, "lab01", "carol")
    assert "Check failed: conv_output_size" in carol
    assert "dilation" in carol
    assert "Check failed: conv_param_count" in carol
    errors = check_cell_errors(course, "lab01", "carol")
    assert sorted(errors) == ["check_conv_output_size", "check_conv_param_count"]
    for text in errors.values():  # the check's message, not a traceback
        assert text.startswith("\x1b[") and "Check failed:" in text
        assert "Traceback" not in text and "File " not in text


def test_nothing_escaped_and_no_submission_was_changed(graded_class):
    base, course, submitted = graded_class
    assert not list(Path("/").glob("escaped.txt"))
    assert not list(base.rglob("escaped.txt"))
    for (lab, student, name), content in submitted.items():
        in_course = course / "submitted" / student / lab / name
        assert in_course.read_bytes() == content, (lab, student)


def test_compare_shows_a_submission_next_to_the_solution(graded_class, tmp_path):
    _, course, _ = graded_class
    text = course_tool.compare(course, "lab01", "carol", tmp_path / "carol.html")
    assert "+    return (n + 2 * p - k) // s + 1  # forgets the dilation" in text
    page = html.unescape((tmp_path / "carol.html").read_text()).replace("\xa0", " ")
    assert "forgets the biases" in page and "solution" in page
    with pytest.raises(course_tool.CourseError, match="not valid notebook JSON"):
        course_tool.compare(course, "lab01", "dave")


# --------------------------------------------------------------------------- lab 02

def lab02_submissions(release: dict) -> dict[str, str | dict]:
    right = solution_code("lab02")
    (only,) = right

    def make(code: str) -> dict:
        return fill(json.loads(json.dumps(release)), {only: code})

    edited = json.loads(json.dumps(release))  # the stub left in, the check cell emptied
    cell_with(edited, "check_vgg_block")["source"] = "pass"
    # (the way forward, and wrong answers with the checks' messages, are lab 01's here
    # and test_class_integrity's: lab 02 trains, so each correct submission costs a minute)
    return {
        "alice": make(right[only]),
        "bob": edited,
        "dave": '{"cells": [',
        "judy": make("import sys\nsys.exit(3)\n"),
        "mia": {"renamed": make(right[only])},
    }


def check_moved_above(notebook: dict, check: str, exercise: str) -> dict:
    """The notebook with the check's cell dragged above the exercise it checks."""
    cell = cell_with(notebook, check)
    notebook["cells"].remove(cell)
    notebook["cells"].insert(notebook["cells"].index(cell_with(notebook, exercise)), cell)
    return notebook


def test_lab02_points_csv_and_feedback(graded_class):
    _, course, _ = graded_class
    found = points(course, "lab02")
    expected = {"alice": 4, "bob": 0, "judy": 0}
    assert {s: found[s].get("check_vgg_block") for s in expected} == expected
    rows = table(course, "lab02")
    submitted = set(expected) | {"dave", "mia"}
    assert all(rows[s]["status"] == "no submission" for s in set(rows) - submitted)
    assert all(rows[s]["status"] != "no submission" for s in submitted)
    assert "not valid notebook JSON" in rows["dave"]["status"]
    assert rows["judy"]["status"].startswith("graded; not run, for review: check_vgg_block "
                                             "(line 1: imports sys")
    assert rows["bob"]["status"].startswith("graded; edited read-only cells, graded as "
                                            "released: check_vgg_block")
    assert "Check failed: vgg_block" in feedback(course, "lab02", "bob")  # a stub fails


def test_moved_cells_are_graded_where_the_lab_has_them_and_a_renamed_notebook_is_named(
        graded_class):
    _, course, _ = graded_class
    assert "graded; cells moved by the student, graded in the released order: " \
        "check_conv_output_size" in table(course, "lab01")["liam"]["status"]
    assert "Cells you had moved" in feedback(course, "lab01", "liam")
    rows = table(course, "lab02")
    assert rows["mia"]["status"] == (
        "not graded: the notebook was renamed (my_lab02_final.ipynb); the lab's notebook "
        "must be called 02_first_cnn.ipynb: ask the student to submit it again under that "
        "name")
    assert float(rows["mia"]["total"]) == 0


def test_feedback_hides_the_instructors_tests_and_says_when_a_cell_was_stopped(
        graded_class):
    _, course, _ = graded_class
    pages = [feedback(course, lab, student) for lab, student in
             [("lab01", "alice"), ("lab01", "carol"), ("lab02", "alice"), ("lab02", "bob")]]
    for page in pages:
        assert "HIDDEN TESTS" not in page and "assert 3 * sum(" not in page
        assert "a test the instructor keeps to themselves" in page
    erin = html.unescape(feedback(course, "lab01", "erin"))
    assert "ran longer than the grader's time limit for one cell" in erin
    assert "KeyboardInterrupt" not in erin


# --------------------------------------------------------------------------- the next runs

def state(course: Path, lab: str) -> dict[str, dict]:
    return json.loads((course / "grades" / f"{lab}_state.json").read_text())


def course_command(course: Path, *args: str, **options) -> subprocess.Popen:
    """``python -m tools.course ARGS``, as an instructor types it, in a session of its own."""
    return subprocess.Popen([sys.executable, "-m", "tools.course", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **options)


def test_grading_again_grades_nothing_twice(graded_class):
    _, course, _ = graded_class
    before, rows = state(course, "lab02"), table(course, "lab02")
    run = course_command(course, "grade", str(course), "lab02", "--workers", "2")
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert "lab02: 5 submissions, 0 to grade (5 graded before and unchanged)" in out
    assert state(course, "lab02") == before
    assert table(course, "lab02") == rows  # the CSV is written again, the same


def test_two_grade_runs_of_one_lab_at_once_the_second_is_refused(graded_class):
    _, course, _ = graded_class
    with grading_run.only_run(course, "lab02"):  # as a run in progress holds it
        run = course_command(course, "grade", str(course), "lab02")
        _, err = run.communicate(timeout=120)
    assert run.returncode == 1
    assert "lab02 is being graded already (process " in err
    assert "running the same command again then grades only what it left" in err


def test_several_at_once_needs_a_gradebook_that_takes_several_writers(tmp_path):
    course_tool.init(tmp_path / "course")  # SQLite, the default
    assert course_tool.default_workers(tmp_path / "course") == 1
    with pytest.raises(course_tool.CourseError, match="SQLite, which takes one writer"):
        course_tool.grade(tmp_path / "course", "lab01", workers=2)


def resubmit(base: Path, course: Path, student: str, notebook: dict) -> None:
    home = base / "homes" / student
    (home / "lab01" / NAMES["lab01"]).write_text(json.dumps(notebook))
    nbgrader_as_student(home, "submit", "lab01", f"--student={student}",
                        exchange=course / "exchange")


def processes_of(course: Path) -> list[str]:
    """Command lines of the processes that work on ``course`` (by their arguments,
    environment or folder)."""
    found = []
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit() or int(folder.name) == os.getpid():
            continue
        try:
            text = (folder / "cmdline").read_bytes() + (folder / "environ").read_bytes()
            text += os.readlink(folder / "cwd").encode()
        except OSError:
            continue
        if str(course).encode() in text:
            found.append((folder / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


def test_late_resubmissions_and_ctrl_c_then_the_same_command_resumes(graded_class):
    """Two students submit again (late); Ctrl-C stops the run while it grades them, and
    every process it started ends; the same command then grades only what was not done,
    and the others stay as they were."""
    import psutil

    base, course, _ = graded_class
    release = json.loads((course / "release" / "lab01" / NAMES["lab01"]).read_text())
    right = solution_code("lab01")
    for student in ("bob", "carol"):  # both now hand in the right answers
        resubmit(base, course, student, fill(json.loads(json.dumps(release)), right))
    before = state(course, "lab01")
    run = course_command(course, "grade", str(course), "lab01", "--workers", "2",
                         "--cell-timeout", str(CELL_TIMEOUT["lab01"]))
    started = []
    for _ in range(300):  # until an autograde runs (at most 150 s)
        started = [p for p in processes_of(course) if "autograde" in p]
        if started or run.poll() is not None:
            break
        time.sleep(0.5)
    assert started, run.communicate()
    children = psutil.Process(run.pid).children(recursive=True)
    time.sleep(2)
    os.killpg(run.pid, signal.SIGINT)  # Ctrl-C in the instructor's terminal
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130, err[-3000:]
    assert "What was graded is kept: run the same command again" in err
    time.sleep(2)
    assert processes_of(course) == []
    assert [child.pid for child in children if child.is_running()
            and child.status() != psutil.STATUS_ZOMBIE] == []
    assert subprocess.run(["pgrep", "-u", str(sandbox.NOBODY)]).returncode == 1
    stopped = state(course, "lab01")
    done = {s for s in ("bob", "carol") if stopped[s] != before[s]}
    assert {s: stopped[s] for s in stopped if s not in ("bob", "carol")} == \
        {s: before[s] for s in before if s not in ("bob", "carol")}

    course_tool.grade(course, "lab01", cell_timeout=CELL_TIMEOUT["lab01"], workers=2)
    after = state(course, "lab01")
    for student in before:
        if student in done or student not in ("bob", "carol"):
            assert after[student] == stopped[student], student  # never graded twice
        else:
            assert after[student]["graded_at"] != before[student]["graded_at"], student
    found = points(course, "lab01")
    assert found["bob"] == found["carol"] == found["alice"]
    assert sum(found["carol"].values()) == 8
    rows = table(course, "lab01")
    assert float(rows["bob"]["total"]) == float(rows["carol"]["total"]) == 8


def test_a_lab_whose_only_submission_cannot_be_graded_still_gets_its_csv(graded_class):
    _, course, _ = graded_class
    course_tool.release(course, "lab03")
    name = course_tool.labs()["lab03"].name
    folder = course / "submitted" / "dave" / "lab03"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(bytes(range(256)))  # a binary file, not a notebook
    (folder / "timestamp.txt").write_text("2026-12-02 12:00:00.000000 UTC")
    rows = list(csv.DictReader(course_tool.grade(course, "lab03").open()))
    by_student = {row["student_id"]: row for row in rows}
    assert "not valid notebook JSON" in by_student["dave"]["status"]
    assert float(by_student["dave"]["total"]) == 0
    assert {row["status"] for s, row in by_student.items() if s != "dave"} == \
        {"no submission"}
    assert set(by_student) >= {"alice", "bob", "carol", "dave"}
