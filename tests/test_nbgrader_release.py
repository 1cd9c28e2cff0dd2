"""Every lab is an nbgrader source notebook as it is, and nbgrader's release of it is our
student notebook."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="the instructor extra is not installed: "
                    "pip install -e '.[instructor]'")

from labutils.checks.registry import exercises  # noqa: E402
from tools import course as course_tool  # noqa: E402
from tools.nbgrader_cells import GradingError, cell_role, mark_cells  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LABS = course_tool.labs()


def without_digest(metadata: dict) -> dict:
    metadata = copy.deepcopy(metadata)
    metadata.get("labutils", {}).pop("cells_sha256", None)
    return metadata


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    course = tmp_path_factory.mktemp("release") / "course"
    course_tool.init(course)
    for lab in LABS:
        course_tool.release(course, lab)
    return course


@pytest.mark.parametrize("lab", sorted(LABS))
def test_nbgrader_releases_exactly_our_student_notebook(released, lab):
    name = LABS[lab].name
    theirs = json.loads((released / "release" / lab / name).read_text())
    ours = json.loads((ROOT / "notebooks" / name).read_text())
    assert [c["cell_type"] for c in theirs["cells"]] == [c["cell_type"] for c in ours["cells"]]
    for number, (a, b) in enumerate(zip(theirs["cells"], ours["cells"]), start=1):
        assert a == b, f"{name}, cell {number} differs from nbgrader's release"
    assert without_digest(theirs["metadata"]) == without_digest(ours["metadata"])


@pytest.mark.parametrize("lab", sorted(LABS))
def test_every_cell_says_what_it_is_to_nbgrader(lab):
    notebook = json.loads(LABS[lab].read_text())
    points = notebook["metadata"]["labutils"]["points"]
    graded = {}
    for cell in notebook["cells"]:
        meta = cell["metadata"]["nbgrader"]
        role = cell_role(cell)
        assert meta["locked"] == (role != "solution")
        assert meta["solution"] == (role == "solution")
        if role == "check":
            graded[meta["grade_id"]] = meta["points"]
    assert graded == points  # one graded cell per check, worth the lab's own points
    ids = [cell["metadata"]["nbgrader"]["grade_id"] for cell in notebook["cells"]]
    assert len(ids) == len(set(ids)), "grade ids must be unique"


def test_a_check_without_points_or_points_without_a_check_are_refused():
    cells = [{"cell_type": "code", "id": "a", "source": "check_thing(answer)"}]
    checks = ("check_thing", "check_other", "check_a", "check_b")
    with pytest.raises(GradingError, match="check_thing has no points"):
        mark_cells(copy.deepcopy(cells), {}, "lab", checks)
    with pytest.raises(GradingError, match="check_other, which no cell calls"):
        mark_cells(copy.deepcopy(cells), {"check_thing": 1, "check_other": 2}, "lab", checks)
    two = [{"cell_type": "code", "id": "b", "source": "check_a(x)\ncheck_b(y)"}]
    with pytest.raises(GradingError, match="calls 2 checks"):
        mark_cells(two, {"check_a": 1, "check_b": 1}, "lab", checks)


def test_a_check_the_register_does_not_hold_for_the_lab_is_refused():
    cells = [{"cell_type": "code", "id": "a", "source": "check_vgg_block(vgg_block)"}]
    with pytest.raises(GradingError, match="check_vgg_block is not a check of this lab; "
                       "its checks are: check_decoder"):
        mark_cells(cells, {"check_vgg_block": 1}, "lab", ["check_decoder"])


@pytest.mark.parametrize("lab", sorted(LABS))
def test_every_grade_id_of_a_check_is_a_check_the_register_holds_for_its_lab(lab):
    notebook = json.loads(LABS[lab].read_text())
    number = notebook["metadata"]["labutils"]["lab"]
    graded = [cell["metadata"]["nbgrader"]["grade_id"] for cell in notebook["cells"]
              if cell_role(cell) == "check"]
    assert graded == [exercise.check_name for exercise in exercises(number)]


def test_hidden_tests_are_graded_for_nothing_and_vanish_from_the_release():
    import nbformat

    from tools.generate_notebooks import release_with_nbgrader

    source = "x = 2\n### BEGIN HIDDEN TESTS\nassert x == 2\n### END HIDDEN TESTS"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    mark_cells(nb.cells, {}, "lab", ())
    assert nb.cells[0].metadata.nbgrader["grade"] and nb.cells[0].metadata.nbgrader["points"] == 0
    released = release_with_nbgrader(nb)
    assert "assert" not in released.cells[0].source and "x = 2" in released.cells[0].source


def test_dry_run_prints_nbgraders_own_commands(tmp_path, capsys):
    course_tool.init(tmp_path / "course")
    course_tool.release(tmp_path / "course", "lab01", dry_run=True)
    printed = capsys.readouterr().out
    assert "nbgrader generate_assignment lab01 --force" in printed
    assert "nbgrader release_assignment lab01 --force" in printed


def test_the_command_line_explains_a_missing_course(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tools.course", "grade",
                             str(tmp_path / "nowhere"), "1"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "is not a course folder yet" in result.stderr and "init" in result.stderr
    result = subprocess.run([sys.executable, "-m", "tools.course", "release",
                             str(tmp_path), "9"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1 and "There is no lab '9'" in result.stderr


def test_a_time_limit_stops_the_process_and_everything_it_started(tmp_path):
    marker = tmp_path / "grandchild.pid"
    child = ("import subprocess, sys, time\n"
             "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
             f"open({str(marker)!r}, 'w').write(str(p.pid))\n"
             "time.sleep(60)\n")
    with pytest.raises(subprocess.TimeoutExpired):
        course_tool.run_with_limit([sys.executable, "-c", child], timeout=3)
    grandchild = int(marker.read_text())
    time.sleep(0.5)
    assert not Path(f"/proc/{grandchild}").exists() or \
        "Z" in Path(f"/proc/{grandchild}/stat").read_text().split()[2]
    result = course_tool.run_with_limit([sys.executable, "-c", "print('hi')"], timeout=30)
    assert result.returncode == 0 and result.stdout == "hi\n"
