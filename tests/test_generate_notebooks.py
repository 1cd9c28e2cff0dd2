"""The generator of student notebooks: stubs, round trip, notes, determinism, safety."""

import shutil

import nbformat
import pytest
from conftest import ROOT

from labutils import authoring
from labutils.authoring import AuthoringError, StudentWorkError

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
                               "cpu_budget_s": 10}
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
    changed = authoring.generate(root, quiet=True)
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
    assert colab + "solutions/01_tiny.ipynb" in solution.cells[0]["source"]
    assert any(c["source"] == "Answer key." for c in solution.cells)  # the source keeps its notes


def test_generate_is_deterministic_and_idempotent(tmp_path):
    root = make_workbook(tmp_path)
    authoring.generate(root, quiet=True)
    first = (root / "notebooks" / "01_tiny.ipynb").read_bytes()
    assert authoring.generate(root, quiet=True) == []
    (root / "notebooks" / "01_tiny.ipynb").unlink()
    authoring.generate(root, quiet=True)
    assert (root / "notebooks" / "01_tiny.ipynb").read_bytes() == first


def test_a_students_work_is_never_overwritten_without_force(tmp_path):
    root = make_workbook(tmp_path)
    authoring.generate(root, quiet=True)
    path = root / "notebooks" / "01_tiny.ipynb"
    student = nbformat.read(path, as_version=4)
    student.cells[4]["source"] = student.cells[4]["source"].replace(
        "raise NotImplementedError()", "return n - k + 1", 1)
    nbformat.write(student, path)
    mine = path.read_text()

    # The instructor changes the solution; regenerating must not destroy the edit.
    solution_path = root / "solutions" / "01_tiny.ipynb"
    solution = nbformat.read(solution_path, as_version=4)
    solution.cells.append(nbformat.v4.new_markdown_cell("New summary."))
    nbformat.write(solution, solution_path)
    refusal = "(?s)notebooks/01_tiny.ipynb was changed after it was generated.*--force"
    with pytest.raises(StudentWorkError, match=refusal):
        authoring.generate(root, quiet=True)
    assert path.read_text() == mine
    assert authoring.main(["--root", str(root)]) == 1

    authoring.generate(root, force=True, quiet=True)
    assert "New summary." in path.read_text() and path.read_text() != mine


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
