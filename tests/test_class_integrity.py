"""A graded class with students who want points without work, or want to harm the grader.

One course, lab 01 released, and beside an honest student (alice) four who try every way
of faking or harming that we know of:

- mallory leaves every stub and, in cells of her own, rebinds two ``check_*`` names,
  patches the check framework and flips ``LABUTILS_GRADING``: in her own kernel every
  check passes;
- oscar takes the workbook's answers: imports them (new and old module), flips the
  grading variable and uses ``use_reference``, and wraps ``use_reference`` in a function;
- walter takes the way forward in every exercise (uncommented ``use_reference`` lines);
- peggy answers right, and in cells of her own tries to edit the gradebook, read the
  solutions and another student's submission, write outside her folder, reach the
  network, run a program through ctypes, and leave a detached child running;
- trent answers right but reaches further inside his exercise cells: ctypes, Python's
  built-ins, the check module, and (built at run time, past any reading of the source)
  ``torch.sys.modules`` to patch the check.

Each gets no points for what they faked, keeps the points of what they really answered,
and harms nobody. nbgrader's own ``autograde``, run by hand, applies the same rules. The
exchange: sticky folders that another account cannot rename or empty, student ids that
are plain names, a submission owned by another account not collected.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="the instructor extra is not installed: "
                    "pip install -e '.[instructor]'")

from nbgrader.api import Gradebook  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import course as course_tool  # noqa: E402
from tools import sandbox  # noqa: E402

pytestmark = pytest.mark.skipif(sandbox.works() is not None,
                                reason=f"no grading sandbox here: {sandbox.works()}")

LAB = "lab01"
NOTEBOOK = "01_convolutions.ipynb"
COURSE_ID = course_tool.COURSE_ID
ORDER = ["check_conv2d_loop", "check_conv_param_count", "check_conv_output_size",
         "check_receptive_field"]
EXERCISES = ["conv2d_loop", "conv_param_count", "conv_output_size", "receptive_field"]
HONEST = (3, 1, 2, 2)
NOBODY = 65534


# --------------------------------------------------------------------------- the class


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it gets."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.server.settimeout(0.5)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def stop(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        self.server.close()


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source}


def exercise_cells(release: dict) -> dict[str, dict]:
    found = {}
    for cell in release["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            found[EXERCISES[len(found)]] = cell
    return found


def with_answers(release: dict, answers: dict[str, str], extra: list[str] = (),
                 at: int = 3) -> dict:
    """The released notebook with some exercise cells answered and extra cells added
    after code cell ``at``."""
    notebook = json.loads(json.dumps(release))
    cells = exercise_cells(notebook)
    for name, source in answers.items():
        cells[name]["source"] = source
    code = [i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"]
    for offset, source in enumerate(extra):
        notebook["cells"].insert(code[at] + 1 + offset, code_cell(source))
    return notebook


def way_forward(release: dict) -> dict:
    notebook = json.loads(json.dumps(release))
    for name, cell in exercise_cells(notebook).items():
        line = f'# {name} = use_reference("{name}")'
        cell["source"] = "".join(cell["source"]).replace(line, line[2:])
    return notebook


MALLORY = '''import os
import labutils.checks.reference as _reference
os.environ["LABUTILS_GRADING"] = "0"  # the grading variable, flipped
_reference.answered_by_reference = lambda answer: "conv_output_size"  # the framework, patched
check_conv2d_loop = lambda *args, **kwargs: print("conv2d_loop: all checks passed.")
check_conv_param_count = lambda *args, **kwargs: print("conv_param_count: all checks passed.")
'''

OSCAR = {
    "conv2d_loop": "from labutils_answers.lab01 import conv2d_loop\n",
    "conv_param_count": 'import os\nos.environ["LABUTILS_GRADING"] = "0"\n'
                        'conv_param_count = use_reference("conv_param_count")\n',
    "conv_output_size": 'def conv_output_size(n, k, p=0, s=1, d=1):\n'
                        '    return use_reference("conv_output_size")(n, k, p, s, d)\n',
    "receptive_field": "from labutils.reference.lab01 import receptive_field\n",
}


def peggy_cells(base: Path, course: Path, port: int) -> list[str]:
    return [f'''import glob, os, sqlite3
found = []
for up in range(1, 12):  # climb out of the submission's folder
    found += glob.glob("../" * up + "gradebook.db")
found += [p for p in [{str(course / "gradebook.db")!r}] if os.path.exists(p)]
for path in found:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE grade SET manual_score = 99")
print("gradebooks found:", found)
''', f'''for path in [{str(ROOT / "solutions" / NOTEBOOK)!r},
             {str(course / "source" / LAB / NOTEBOOK)!r},
             {str(course / "submitted" / "alice" / LAB / NOTEBOOK)!r}]:
    try:
        print("READ", open(path).read()[:3000])
    except OSError as error:
        print("could not read:", type(error).__name__)
''', f'''for path in [{str(base / "escaped-absolute.txt")!r}, "../../../../../../escaped.txt"]:
    try:
        open(path, "w").write("escaped")
    except OSError as error:
        print("could not write:", type(error).__name__)
''', f'''import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).sendall(b"answers")
    print("CONNECTED")
except OSError as error:
    print("no network:", type(error).__name__)
''', f'''import ctypes
print("system:", ctypes.CDLL(None).system(b"touch {base / 'ctypes-ran.txt'}"))
''', '''import os, time
if os.fork() == 0:  # a detached grandchild that would outlive the kernel
    os.setsid()
    if os.fork() == 0:
        time.sleep(900)
    os._exit(0)
print("forked")
''']


TRENT = {
    "conv2d_loop": "import ctypes\n",  # prepended to the right answer
    "conv_output_size": "import builtins\nbuiltins.abs = abs  # the built-ins, changed\n",
    "receptive_field": '''def receptive_field(layers):
    modules = getattr(getattr(torch, "s" + "ys"), "mod" + "ules")
    check = modules["labutils.checks.convolution"]
    check.Check.fail = lambda self, *args, **kwargs: None  # every failure forgiven
    return 1
''',
}


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    course = base / "course"
    course_tool.init(course)
    course_tool.release(course, LAB)
    exchange = course / "exchange"
    release = json.loads((course / "release" / LAB / NOTEBOOK).read_text())
    right = course_tool.exercise_code(course_tool.labs()[LAB])
    right = {name: right[grade_id] for name, grade_id in zip(EXERCISES, right, strict=True)}
    listener = Listener()
    trent = {name: (TRENT.get(name, "") + right[name]) if name != "receptive_field"
             else TRENT[name] for name in EXERCISES}
    trent["conv_param_count"] = right["conv_param_count"]
    submissions = {
        "alice": with_answers(release, right),
        "mallory": with_answers(release, {}, [MALLORY]),
        "oscar": with_answers(release, OSCAR),
        "peggy": with_answers(release, right, peggy_cells(base, course, listener.port)),
        "trent": with_answers(release, trent),
        "walter": way_forward(release),
    }
    config = course / "students" / "nbgrader_config.py"
    for student, notebook in submissions.items():
        home = base / "homes" / student
        student_command(home, config, "fetch_assignment", LAB, exchange=exchange)
        (home / LAB / NOTEBOOK).write_text(json.dumps(notebook))
        student_command(home, config, "submit", LAB, f"--student={student}",
                        exchange=exchange)
    start = time.perf_counter()
    course_tool.grade(course, LAB, cell_timeout=60, notebook_timeout=400)
    seconds = time.perf_counter() - start
    listener.stop()
    yield base, course, listener, seconds


def student_command(home: Path, config: Path, *args: str, exchange: Path,
                    check: bool = True) -> subprocess.CompletedProcess:
    home.mkdir(parents=True, exist_ok=True)
    (home / "nbgrader_config.py").write_text(config.read_text())  # the students' config
    env = dict(os.environ, HOME=str(home))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args,
                             f"--Exchange.root={exchange}"], cwd=home, env=env,
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def points(course: Path) -> dict[str, tuple]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gradebook:
        found = {}
        for student in gradebook.students:
            scores = []
            for name in ORDER:
                try:
                    grade = gradebook.find_grade(name, NOTEBOOK.removesuffix(".ipynb"), LAB,
                                                 student.id)
                except Exception:  # noqa: BLE001 - not graded
                    scores.append(None)
                    continue
                scores.append(grade.score)
            found[student.id] = tuple(scores)
        return found


def rows(course: Path) -> dict[str, dict]:
    with open(course / "grades" / f"{LAB}.csv") as stream:
        return {row["student_id"]: row for row in csv.DictReader(stream)}


def feedback(course: Path, student: str) -> str:
    return (course / "feedback" / student / LAB / NOTEBOOK.replace(".ipynb", ".html")
            ).read_text()


# --------------------------------------------------------------------------- the points


def test_faking_earns_nothing_and_honest_answers_keep_their_points(hostile_class):
    _, course, _, _ = hostile_class
    found = points(course)
    assert found["alice"] == HONEST
    assert found["mallory"] == (0, 0, 0, 0)  # rebound checks, patched framework, variable
    assert found["oscar"] == (0, 0, 0, 0)  # the answers imported, used and wrapped
    assert found["walter"] == (0, 0, 0, 0)  # the way forward everywhere
    assert found["peggy"] == HONEST  # her answers are right; her other cells harmed nobody
    assert found["trent"] == (0, 1, 0, 0)  # only the exercise that stayed an answer


def test_the_fakes_worked_in_their_own_kernels_and_the_report_says_so(hostile_class):
    _, course, _, _ = hostile_class
    report = json.loads((course / "grades" / f"{LAB}_checks.json").read_text())
    assert sorted(report["mallory"]["passed_only_in_the_notebook"]) == sorted(ORDER)
    assert "check_receptive_field" in report["trent"]["passed_only_in_the_notebook"]
    refused = report["trent"]["refused"]
    assert sorted(refused) == ["check_conv2d_loop", "check_conv_output_size"]
    assert "imports ctypes" in " ".join(refused["check_conv2d_loop"])
    assert sorted(report["oscar"]["refused"]) == sorted(ORDER)
    assert report["alice"] == {"refused": {}, "passed_only_in_the_notebook": []}
    table = rows(course)
    assert "passed in the notebook only" in table["mallory"]["status"]
    assert "not run, for review" in table["trent"]["status"]
    assert table["walter"]["status"].startswith("graded; took the way forward, no points: "
                                                + ", ".join(sorted(ORDER)))
    assert float(table["mallory"]["total"]) == 0


def test_feedback_says_why_in_plain_words(hostile_class):
    _, course, _, _ = hostile_class
    assert "earns no points" in feedback(course, "walter")
    mallory = feedback(course, "mallory")
    assert "passed in your notebook, but not when the grader ran it again" in mallory
    assert "not done yet" in mallory or "NotImplemented" in mallory
    trent = feedback(course, "trent")
    assert "The grader did not run this exercise" in trent
    assert "does not run answers that use the attribute sys" in trent


def test_copies_of_the_workbook_answer_are_flagged(hostile_class):
    _, course, _, _ = hostile_class
    table = rows(course)
    assert "conv2d_loop" in table["alice"]["status"]
    assert "the workbook's answer" in table["alice"]["status"]
    assert "same as" in table["alice"]["status"] and "peggy" in table["alice"]["status"]


# --------------------------------------------------------------------------- no harm


def test_the_gradebook_the_course_and_the_host_are_untouched(hostile_class):
    base, course, listener, _ = hostile_class
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gradebook:
        scores = [grade.manual_score
                  for submission in gradebook.find_assignment(LAB).submissions
                  for notebook in submission.notebooks for grade in notebook.grades]
    assert scores and 99 not in scores  # peggy's UPDATE never reached the gradebook
    assert not list(base.rglob("escaped*.txt")) and not Path("/escaped.txt").exists()
    assert not (base / "ctypes-ran.txt").exists()
    assert listener.connections == 0
    peggy = feedback(course, "peggy")
    assert peggy.count("could not read: FileNotFoundError") == 3  # solutions, source, alice
    assert "BEGIN SOLUTION" not in peggy
    assert "gradebooks found: []" in peggy
    assert "no network: ConnectionRefusedError" in peggy  # even 127.0.0.1 is out of reach


def test_no_process_outlives_its_grading(hostile_class):
    _, _, _, seconds = hostile_class
    assert seconds < 400 * 6  # the detached child did not hold grading up
    left = subprocess.run(["pgrep", "-u", str(NOBODY)], capture_output=True, text=True)
    assert left.stdout.strip() == "", f"processes of the sandbox's user left: {left.stdout}"


def test_nbgraders_own_autograde_applies_the_same_rules(hostile_class):
    """An instructor who runs nbgrader by hand (or formgrader) gets the same points: the
    rules live in the course's nbgrader_config.py, not in our wrapper."""
    _, course, _, _ = hostile_class
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("LABUTILS_", "PYTHON"))}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    for student in ("walter", "mallory"):
        result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", LAB,
                                 f"--student={student}", "--force"], cwd=course, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
    found = points(course)
    assert found["walter"] == found["mallory"] == (0, 0, 0, 0)


# --------------------------------------------------------------------------- the exchange


def as_nobody(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                           "--clear-groups", "sh", "-c", command],
                          capture_output=True, text=True, timeout=30)


@pytest.mark.skipif(os.geteuid() != 0, reason="acting as another account needs root")
def test_the_exchange_cannot_be_hijacked_by_another_account(hostile_class):
    _, course, _, _ = hostile_class
    exchange = course / "exchange"
    assert exchange.stat().st_mode & 0o7777 == 0o1777
    inbound = exchange / COURSE_ID / "inbound"
    assert inbound.stat().st_mode & 0o1000  # sticky
    rename = as_nobody(f"mv {exchange / COURSE_ID} {exchange / 'taken'}")
    assert rename.returncode != 0 and (exchange / COURSE_ID).is_dir()
    plant = as_nobody(f"touch {exchange / COURSE_ID / 'outbound' / LAB / 'planted.ipynb'}")
    assert plant.returncode != 0
    someone = next(inbound.iterdir())
    remove = as_nobody(f"rm -rf {someone}; mv {someone} {inbound / 'moved'}")
    assert remove.returncode != 0 and someone.exists()


def test_a_student_id_that_is_a_path_is_refused(hostile_class):
    base, course, _, _ = hostile_class
    home = base / "homes" / "eve"
    config = course / "students" / "nbgrader_config.py"
    exchange = course / "exchange"
    student_command(home, config, "fetch_assignment", LAB, exchange=exchange)
    result = student_command(home, config, "submit", LAB, "--student=../eve", check=False,
                             exchange=exchange)
    assert result.returncode != 0
    assert "is not a plain name" in result.stderr
    assert not [path for path in (exchange / COURSE_ID).iterdir() if "eve" in path.name]


def test_a_submission_owned_by_another_account_is_not_collected(hostile_class, tmp_path):
    _, course, _, _ = hostile_class
    inbound = course / "exchange" / COURSE_ID / "inbound"
    mine = next(path for path in inbound.iterdir() if path.name.startswith("alice+"))
    forged = inbound / mine.name.replace("alice+", "alice+", 1).rsplit("+", 2)[0]
    forged = Path(f"{forged}+2099-01-01 00:00:00.000000 UTC+forged")
    subprocess.run(["cp", "-r", str(mine), str(forged)], check=True)
    bad_id = inbound / "alice;rm -rf+lab01+2099-01-01 00:00:00.000000 UTC+x"
    subprocess.run(["cp", "-r", str(mine), str(bad_id)], check=True)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(forged)], check=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "nbgrader", "collect", LAB, "--update"],
                            cwd=course, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    refused = json.loads((course / "grades" / f"{LAB}_refused.json").read_text())
    assert refused[bad_id.name] == "the student id is not a plain name"
    if os.geteuid() == 0:
        owner = pwd.getpwuid(NOBODY).pw_name
        assert refused[forged.name] == f"submitted as alice but owned by {owner}"
        timestamp = (course / "submitted" / "alice" / LAB / "timestamp.txt").read_text()
        assert not timestamp.startswith("2099")


# --------------------------------------------------------------------------- the answers

HIDE_ANSWERS = """
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    '''A class install: the answers distribution is not there.'''
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "labutils_answers":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Absent())
from labutils.checks import use_reference
from labutils.checks.reference import AnswersNotReleased
try:
    use_reference("receptive_field")
except AnswersNotReleased as closed:
    print("CLOSED", str(closed).splitlines()[0])
else:
    print("OPEN")
"""


def test_the_answers_open_only_when_the_instructor_releases_them(hostile_class):
    _, course, _, _ = hostile_class
    folder = course_tool.answers_folder(course)
    env = dict(os.environ, LABUTILS_ANSWERS=str(folder))
    before = subprocess.run([sys.executable, "-c", HIDE_ANSWERS], env=env,
                            capture_output=True, text=True, timeout=120)
    assert before.stdout.startswith("CLOSED The workbook's receptive_field is not on this "
                                    "machine yet: in a graded class, the way forward opens "
                                    "after the deadline"), before.stdout + before.stderr
    released = course_tool.release_answers(course, LAB)
    assert released == folder / "lab01.py"
    assert folder.stat().st_mode & 0o777 == 0o755 and released.stat().st_mode & 0o777 == 0o644
    after = subprocess.run([sys.executable, "-c", HIDE_ANSWERS], env=env,
                           capture_output=True, text=True, timeout=120)
    assert after.stdout.strip().endswith("OPEN"), after.stdout + after.stderr
