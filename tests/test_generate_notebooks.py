"""The generator of student notebooks: stubs, round trip, notes, determinism, and safety
(kept and backed-up student work, all-or-nothing on errors, atomic writes)."""

import base64
import errno
import os
import re
import shutil

import nbformat
import pytest
from conftest import ROOT

from tools import generate_notebooks as authoring
from tools import readme_sections as sections
from tools import safe_files
from tools.generate_notebooks import AuthoringError

SOLUTION_CELL = """def output_size(n, k, p=0):
    \"\"\"Output length of a convolution.\"\"\"
    ### BEGIN SOLUTION
    size = n + 2 * p - k
    return size + 1
    ### END SOLUTION


class Block:
    def __init__(self):
        ### BEGIN SOLUTION
        self.ready = True
        ### END SOLUTION"""

STUDENT_CELL = """def output_size(n, k, p=0):
    \"\"\"Output length of a convolution.\"\"\"
    # YOUR CODE HERE
    raise NotImplementedError()


class Block:
    def __init__(self):
        # YOUR CODE HERE
        raise NotImplementedError()"""


def test_regions_become_stubs_at_their_indentation():
    assert authoring.strip_solutions(SOLUTION_CELL) == STUDENT_CELL


def test_filling_the_stubs_gives_back_the_solution():
    regions = authoring.solution_regions(SOLUTION_CELL)
    assert regions == ["    size = n + 2 * p - k\n    return size + 1", "        self.ready = True"]
    assert authoring.fill_stubs(STUDENT_CELL, regions) == SOLUTION_CELL


def test_a_whole_cell_solution():
    source = "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"
    assert authoring.strip_solutions(source) == "# YOUR CODE HERE\nraise NotImplementedError()"


@pytest.mark.parametrize(("source", "message"), [
    ("### BEGIN SOLUTION\nx = 1", "line 1 is never closed"),
    ("x = 1\n### END SOLUTION", "line 2 closes a solution region that was never opened"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
     "line 2 opens a solution region inside"),
])
def test_broken_regions_are_reported_with_their_line(source, message):
    with pytest.raises(AuthoringError, match=message.replace("line 1 is", "opened on line 1 is")):
        authoring.strip_solutions(source, "lab.ipynb, cell 3")


def test_fill_stubs_notices_a_missing_stub():
    with pytest.raises(AuthoringError, match="found 0 stubs for 1 solution regions"):
        authoring.fill_stubs("x = 1", ["x = 2"])


def make_workbook(tmp_path):
    """A tiny workbook: pyproject.toml and one solution notebook."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "solutions").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["labutils"] = {"lab": 1, "title": "Tiny", "topics": ["x"], "minutes": 5,
                               "cpu_budget_s": 10, "points": {}}
    nb.metadata["widgets"] = {"state": "noise"}
    note = nbformat.v4.new_markdown_cell("Answer key.")
    note.metadata["tags"] = ["instructor"]
    run = nbformat.v4.new_code_cell("print('hi')", execution_count=3,
                                    outputs=[nbformat.v4.new_output("stream", text="hi\n")])
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny lab\nIntro.\n<!-- BEGIN INSTRUCTOR NOTE -->\n"
                                      "Students often forget p.\n<!-- END INSTRUCTOR NOTE -->"),
        note,
        run,
        nbformat.v4.new_code_cell(SOLUTION_CELL),
    ]
    nbformat.write(nb, tmp_path / "solutions" / "01_tiny.ipynb")
    return tmp_path


def test_generate_writes_a_clean_student_notebook(tmp_path):
    root = make_workbook(tmp_path)
    changed = authoring.generate(root, quiet=True).written
    assert changed == ["solutions/01_tiny.ipynb", "notebooks/01_tiny.ipynb"]
    student = nbformat.read(root / "notebooks" / "01_tiny.ipynb", as_version=4)
    kinds = [(c["cell_type"], c.get("id")) for c in student.cells]
    assert kinds[0] == ("markdown", "colab-badge") and kinds[2] == ("code", "colab-setup")
    assert len(student.cells) == 5  # badge, title, set-up, print, exercise (note dropped)
    assert student.cells[1]["source"] == "# Tiny lab\nIntro."
    assert student.cells[4]["source"] == STUDENT_CELL
    assert all(c.get("outputs") == [] for c in student.cells if c["cell_type"] == "code")
    assert "widgets" not in student.metadata
    colab = "colab.research.google.com/github/cnn-workbook/cnn-workbook/blob/main/"
    assert colab + "notebooks/01_tiny.ipynb" in student.cells[0]["source"]
    solution = nbformat.read(root / "solutions" / "01_tiny.ipynb", as_version=4)
    assert solution.cells[3]["outputs"] == []
    # Both open the student version: nbgrader releases the solution's cells as they are.
    assert colab + "notebooks/01_tiny.ipynb" in solution.cells[0]["source"]
    assert any(c["source"] == "Answer key." for c in solution.cells)  # the source keeps its notes


def test_generate_is_deterministic_and_idempotent(tmp_path):
    root = make_workbook(tmp_path)
    authoring.generate(root, quiet=True)
    first = (root / "notebooks" / "01_tiny.ipynb").read_bytes()
    assert authoring.generate(root, quiet=True).changed == []
    (root / "notebooks" / "01_tiny.ipynb").unlink()
    authoring.generate(root, quiet=True)
    assert (root / "notebooks" / "01_tiny.ipynb").read_bytes() == first


def edit_student_notebook(root, name="01_tiny.ipynb"):
    """A student answers the exercise in ``notebooks/NAME``; returns the file's new text."""
    path = root / "notebooks" / name
    student = nbformat.read(path, as_version=4)
    student.cells[4]["source"] = student.cells[4]["source"].replace(
        "raise NotImplementedError()", "return n - k + 1", 1)
    nbformat.write(student, path)
    return path.read_text()


def add_summary(root, name="01_tiny.ipynb", text="New summary."):
    """The instructor adds a markdown cell to ``solutions/NAME``."""
    path = root / "solutions" / name
    solution = nbformat.read(path, as_version=4)
    solution.cells.append(nbformat.v4.new_markdown_cell(text))
    nbformat.write(solution, path)


def add_second_lab(root):
    path = root / "solutions" / "02_second.ipynb"
    shutil.copyfile(root / "solutions" / "01_tiny.ipynb", path)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["labutils"] = {**nb.metadata["labutils"], "lab": 2, "title": "Second"}
    nbformat.write(nb, path)


def test_an_edited_student_notebook_is_kept_and_the_other_labs_are_regenerated(tmp_path,
                                                                               capsys):
    root = make_workbook(tmp_path)
    add_second_lab(root)
    authoring.generate(root, quiet=True)
    mine = edit_student_notebook(root)
    add_summary(root, "01_tiny.ipynb")
    add_summary(root, "02_second.ipynb", "A fix for lab 02.")

    assert authoring.main(["--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert (root / "notebooks" / "01_tiny.ipynb").read_text() == mine  # the work is safe
    assert "A fix for lab 02." in (root / "notebooks" / "02_second.ipynb").read_text()
    assert "New summary." in (root / "solutions" / "01_tiny.ipynb").read_text()
    assert "wrote notebooks/02_second.ipynb" in out
    assert "Kept these student notebooks as they are" in out
    assert "  notebooks/01_tiny.ipynb\n" in out
    assert "run `make notebooks ARGS=--force`; a copy of each is kept in notebooks/.backup/" in out
    assert not (root / "notebooks" / ".backup").exists()


def test_force_replaces_an_edited_notebook_after_backing_it_up(tmp_path, capsys):
    root = make_workbook(tmp_path)
    authoring.generate(root, quiet=True)
    mine = edit_student_notebook(root)
    add_summary(root)

    assert authoring.main(["--root", str(root), "--force"]) == 0
    out = capsys.readouterr().out
    path = root / "notebooks" / "01_tiny.ipynb"
    assert "New summary." in path.read_text() and path.read_text() != mine
    (backup,) = (root / "notebooks" / ".backup").glob("01_tiny.*.ipynb")
    assert backup.read_text() == mine, "the backup must be the student's notebook, unchanged"
    assert f"  notebooks/.backup/{backup.name}" in out and "Backed up" in out
    assert "notebooks/.backup/" in (ROOT / ".gitignore").read_text()


def test_backups_never_overwrite_each_other(tmp_path):
    from datetime import datetime

    path = tmp_path / "notebooks" / "01_tiny.ipynb"
    moment = datetime(2026, 1, 2, 3, 4, 5)
    first = safe_files.backup_path(path, moment)
    assert first == tmp_path / "notebooks" / ".backup" / "01_tiny.20260102-030405.ipynb"
    first.parent.mkdir(parents=True)
    first.write_text("older backup")
    assert safe_files.backup_path(path, moment).name == "01_tiny.20260102-030405-2.ipynb"


def snapshot(root) -> dict:
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


BAD_SOLUTIONS = {
    "markers in markdown": (
        lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell(
            "The answer:\n### BEGIN SOLUTION\nx = 42\n### END SOLUTION")),
        "cell 7 (id .*): this markdown cell holds the solution marker '### BEGIN SOLUTION' "
        "(line 2)"),
    "marker in another case": (
        lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
            "### Begin Solution\nx = 42\n### End Solution")),
        "cell 7 (id .*): line 1 looks like a solution marker but is not one: "
        "'### Begin Solution'"),
    "unbalanced markers": (
        lambda nb: nb.cells.append(nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 42")),
        "cell 7 (id .*): the solution region opened on line 1 is never closed"),
    "marker after code": (
        lambda nb: nb.cells.append(nbformat.v4.new_code_cell("x = 42  ### END SOLUTION")),
        "cell 7 (id .*): line 1 looks like a solution marker"),
    "unclosed instructor note": (
        lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell(
            "Text.\n<!-- BEGIN INSTRUCTOR NOTE -->\nThe trick is p = 1.")),
        "cell 7 (id .*): the instructor-note marker '<!-- BEGIN INSTRUCTOR NOTE -->'"),
    "missing metadata": (
        lambda nb: nb.metadata.pop("labutils"),
        "solutions/01_tiny.ipynb: the notebook metadata needs a 'labutils' entry"),
}


@pytest.mark.parametrize("fault", BAD_SOLUTIONS, ids=list(BAD_SOLUTIONS))
def test_a_bad_solution_stops_the_run_before_anything_is_written(tmp_path, capsys, fault):
    root = make_workbook(tmp_path)
    add_second_lab(root)
    authoring.generate(root, quiet=True)
    add_summary(root, "02_second.ipynb", "A fix for lab 02.")  # a change that must wait
    damage, message = BAD_SOLUTIONS[fault]
    path = root / "solutions" / "01_tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    damage(nb)
    nbformat.write(nb, path)
    before = snapshot(root)

    assert authoring.main(["--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: solutions/01_tiny.ipynb")
    pattern = re.escape(message).replace(re.escape("(id .*)"), r"\(id \w+\)")
    assert re.search(pattern, err), err
    assert err.rstrip().endswith("Nothing was written.")
    assert snapshot(root) == before, "a failed run must change nothing (all or nothing)"


@pytest.mark.parametrize(("text", "message"), [
    ('{"cells": [', "solutions/01_tiny.ipynb is not valid JSON (line 1, column 12"),
    ('{"cells": 3, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
     "solutions/01_tiny.ipynb is not a valid notebook"),
])
def test_a_broken_notebook_file_is_named_with_a_remedy(tmp_path, capsys, text, message):
    root = make_workbook(tmp_path)
    (root / "solutions" / "01_tiny.ipynb").write_text(text)
    before = snapshot(root)
    assert authoring.main(["--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert message in err and "git diff solutions/01_tiny.ipynb" in err, err
    assert snapshot(root) == before


def test_a_full_disk_leaves_every_file_intact(tmp_path, capsys, monkeypatch):
    """The disk fills up in the middle of the third file: nothing is cut or lost."""
    root = make_workbook(tmp_path)
    add_second_lab(root)
    begin, end = sections.section_markers("course-index")
    (root / "README.md").write_text(f"# Workbook\n{begin}\n{end}\n")
    authoring.generate(root, quiet=True)
    add_summary(root, "01_tiny.ipynb")
    add_summary(root, "02_second.ipynb", "A fix for lab 02.")
    solution = nbformat.read(root / "solutions" / "01_tiny.ipynb", as_version=4)
    solution.metadata["labutils"]["title"] = "Tiny, renamed"  # the README changes too
    nbformat.write(solution, root / "solutions" / "01_tiny.ipynb")
    before = snapshot(root)

    real_write, calls = os.write, []

    def write_until_full(descriptor, data):
        calls.append(descriptor)
        if len(calls) == 3:  # half of the third file, then the disk is full
            real_write(descriptor, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(descriptor, data)

    monkeypatch.setattr(safe_files.os, "write", write_until_full)
    assert authoring.main(["--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "could not write" in err and "the disk is full" in err
    assert "Nothing was changed: every notebook and the README are as they were." in err
    assert "run `make notebooks` again" in err
    assert snapshot(root) == before, "no file may change, and no temporary file may be left"

    monkeypatch.setattr(safe_files.os, "write", real_write)  # space freed: it works again
    assert authoring.main(["--root", str(root)]) == 0
    assert "Tiny, renamed" in (root / "README.md").read_text()


def test_atomic_write_keeps_the_file_mode_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("old")
    target.chmod(0o640)
    safe_files.write_atomic(target, "new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o640
    assert [path.name for path in tmp_path.iterdir()] == ["file.txt"]


def test_check_mode_reports_without_writing(tmp_path, capsys):
    root = make_workbook(tmp_path)
    assert authoring.main(["--root", str(root), "--check"]) == 1
    assert "Out of date (run `make notebooks`): solutions/01_tiny.ipynb, notebooks/01_tiny.ipynb" \
        in capsys.readouterr().err
    assert not (root / "notebooks").exists()
    assert authoring.main(["--root", str(root)]) == 0
    assert authoring.main(["--root", str(root), "--check"]) == 0


def test_notebooks_without_metadata_are_refused(tmp_path):
    root = make_workbook(tmp_path)
    path = root / "solutions" / "01_tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    del nb.metadata["labutils"]
    nbformat.write(nb, path)
    with pytest.raises(AuthoringError, match="needs a 'labutils' entry"):
        authoring.generate(root, quiet=True)


def test_img_figures_become_attachments_in_both_notebooks(tmp_path):
    root = make_workbook(tmp_path)
    (root / "img").mkdir()
    png = b"\x89PNG\r\n\x1a\n fake figure"
    (root / "img" / "block.png").write_bytes(png)
    path = root / "solutions" / "01_tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A block:\n\n![a block](../img/block.png)"))
    nbformat.write(nb, path)
    authoring.generate(root, quiet=True)
    for folder in ("solutions", "notebooks"):
        made = nbformat.read(root / folder / "01_tiny.ipynb", as_version=4)
        (cell,) = [c for c in made.cells if "a block" in c["source"]]
        assert cell["source"] == "A block:\n\n![a block](attachment:block.png)"
        assert base64.b64decode(cell["attachments"]["block.png"]["image/png"]) == png

    (root / "img" / "block.png").write_bytes(png + b" redrawn")  # make figures, then again
    authoring.generate(root, quiet=True)
    made = nbformat.read(root / "notebooks" / "01_tiny.ipynb", as_version=4)
    data = [c["attachments"]["block.png"]["image/png"] for c in made.cells
            if c.get("attachments")]
    assert base64.b64decode(data[0]) == png + b" redrawn"

    (root / "img" / "block.png").unlink()  # the attachment is still in the notebook: fine
    authoring.generate(root, quiet=True)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("![lost](../img/missing.png)"))
    nbformat.write(nb, path)
    with pytest.raises(AuthoringError, match="the figure 'missing.png' is neither in img/"):
        authoring.generate(root, quiet=True)


def test_the_wrong_folder_is_named_with_the_remedy(tmp_path, capsys):
    assert authoring.main(["--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"error: there is no pyproject.toml in {tmp_path}: run the generator from the " \
           "workbook's folder (`make notebooks`), or pass --root." in err
    assert list(tmp_path.iterdir()) == []
