"""The notebooks: generated student versions, stubs, round trip, self-checks.

The solution notebooks themselves are executed by nbval (``pytest solutions --nbval-lax``,
which ``make test`` runs); these tests cover what nbval cannot see.
"""

from __future__ import annotations

import ast
import base64
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from labutils.checks import CheckFailed, NotImplementedYet
from tools import generate_notebooks as authoring

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
NAMES = [path.name for path in SOLUTIONS]
CHECK_CALL = re.compile(r"^\s*check_\w+\(", re.MULTILINE)


def read(folder: str, name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / folder / name, as_version=4)


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell["cell_type"] == "code"]


def test_the_workbook_has_labs():
    assert len(SOLUTIONS) >= 1, "solutions/ holds no NN_name.ipynb notebook"


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_is_exactly_what_the_generator_makes(name):
    config = authoring.read_config(ROOT)
    solution = read("solutions", name)
    expected = authoring.to_text(authoring.student_notebook(solution, config, name))
    path = ROOT / "notebooks" / name
    assert path.exists(), f"notebooks/{name} is missing: run `make notebooks`."
    assert path.read_text() == expected, (
        f"notebooks/{name} differs from what the generator makes from solutions/{name}: "
        "run `make notebooks` and commit the result.")


@pytest.mark.parametrize("name", NAMES)
def test_solution_notebook_is_in_canonical_form(name):
    """Header cells generated from pyproject.toml, no outputs, clean metadata."""
    config = authoring.read_config(ROOT)
    solution = read("solutions", name)
    expected = authoring.to_text(authoring.canonical_solution(solution, config, name))
    assert (ROOT / "solutions" / name).read_text() == expected, (
        f"solutions/{name} is not in its committed form (outputs, header cells or metadata "
        "differ): run `make notebooks`.")


def test_every_student_notebook_has_a_solution():
    students = {path.name for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert students == set(NAMES), (
        f"notebooks/ and solutions/ hold different labs: {sorted(students ^ set(NAMES))}")


def test_generator_has_nothing_left_to_do():
    assert authoring.generate(ROOT, check=True).changed == [], "run `make notebooks`"


@pytest.mark.parametrize("folder", ["solutions", "notebooks"])
@pytest.mark.parametrize("name", NAMES)
def test_figures_travel_inside_the_notebook_and_equal_img(folder, name):
    """Every figure a markdown cell shows is attached to it, byte for byte the file in
    img/ (the one source), so it shows on Colab and in a notebook opened on its own."""
    nb = read(folder, name)
    for index, cell in enumerate(nb.cells):
        if cell["cell_type"] != "markdown":
            continue
        assert not re.search(r"\]\((\.\./)?img/", cell["source"]), (
            f"{folder}/{name}, cell {index + 1} still links a figure in img/: "
            "run `make notebooks` to attach it")
        for link in re.findall(r"\(attachment:([^)]+)\)", cell["source"]):
            attached = cell.get("attachments", {}).get(link, {}).get("image/png")
            assert attached, f"{folder}/{name}, cell {index + 1}: {link} is not attached"
            assert base64.b64decode(attached) == (ROOT / "img" / link).read_bytes(), (
                f"{folder}/{name}, cell {index + 1}: {link} differs from img/{link}: "
                "run `make notebooks`")


def test_lab04_shows_its_own_resnet_figure():
    shown = [cell["source"] for cell in read("solutions", "04_classic_architectures.ipynb").cells
             if cell["cell_type"] == "markdown" and "attachment:" in cell["source"]]
    assert any("attachment:resnet_blocks.png" in text for text in shown)
    assert not any("residual_block.png" in text for text in shown), "that is lab 03's block"


@pytest.mark.parametrize("name", NAMES)
def test_student_notebooks_carry_no_outputs_or_solutions(name):
    student = read("notebooks", name)
    for cell in code_cells(student):
        assert cell["outputs"] == [] and cell["execution_count"] is None
        assert authoring.BEGIN not in cell["source"] and authoring.END not in cell["source"]
        assert "HIDDEN TESTS" not in cell["source"]
    text = (ROOT / "notebooks" / name).read_text()
    assert "INSTRUCTOR NOTE" not in text


def without_hidden_tests(source: str) -> str:
    """The cell as students get it: hidden test regions (markers included) removed."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if line.strip() == "### BEGIN HIDDEN TESTS":
            hidden = True
        elif line.strip() == "### END HIDDEN TESTS":
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


@pytest.mark.parametrize("name", NAMES)
def test_filling_the_stubs_gives_back_the_solution_code(name):
    """Round trip: the solutions' run by nbval therefore covers the student path too
    (all but the hidden tests, which students never see)."""
    solution_cells = [cell for cell in code_cells(read("solutions", name))
                      if "instructor" not in cell.get("metadata", {}).get("tags", [])]
    student_cells = code_cells(read("notebooks", name))
    assert len(solution_cells) == len(student_cells)
    for index, (ours, theirs) in enumerate(zip(solution_cells, student_cells)):
        regions = authoring.solution_regions(ours["source"])
        filled = authoring.fill_stubs(theirs["source"], regions)
        assert filled == without_hidden_tests(ours["source"]), \
            f"{name}: code cell {index} does not round-trip"


# --------------------------------------------------------------------------- exercises


def exercises(name: str) -> list[tuple[int, int]]:
    """``(exercise cell, check cell)`` positions among the code cells of a notebook."""
    cells = code_cells(read("solutions", name))
    pairs = []
    for index, cell in enumerate(cells):
        if authoring.has_solution(cell):
            following = next((j for j in range(index + 1, len(cells))
                              if not authoring.has_solution(cells[j])), None)
            pairs.append((index, following))
    return pairs


EXERCISES = [(name, exercise, check) for name in NAMES for exercise, check in exercises(name)]


def _has_call(node: ast.AST) -> bool:
    return any(isinstance(child, ast.Call) for child in ast.walk(node))


def run_definitions(source: str, namespace: dict, where: str) -> None:
    """Run the imports, ``def``s, ``class``es and call-free assignments of a cell: what
    later cells may rely on, without running anything slow. An assignment that needs a
    name this skipped (``crop = photo[10:20]`` after ``photo = load()``) is left out."""
    tree = ast.parse(TransformerManager().transform_cell(source))
    for node in tree.body:
        is_definition = isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                                          ast.AsyncFunctionDef, ast.ClassDef))
        is_plain_value = isinstance(node, (ast.Assign, ast.AnnAssign)) and not _has_call(node)
        if not (is_definition or is_plain_value):
            continue
        code = compile(ast.Module(body=[node], type_ignores=[]), where, "exec")
        if is_definition:
            exec(code, namespace)
        else:
            try:
                exec(code, namespace)
            except (NameError, KeyError, IndexError, AttributeError, TypeError):
                pass  # it needs a value that a skipped statement would have made


@pytest.mark.parametrize("name", NAMES)
def test_every_exercise_is_followed_by_its_check(name):
    cells = code_cells(read("solutions", name))
    pairs = exercises(name)
    assert pairs, f"{name} has no exercise (no '{authoring.BEGIN}' region)"
    for exercise, check in pairs:
        assert check is not None and CHECK_CALL.search(cells[check]["source"]), (
            f"{name}: the exercise in code cell {exercise} is not followed by a cell that "
            "calls a labutils check_...() function")


@pytest.mark.parametrize(("name", "exercise", "check"), EXERCISES,
                         ids=[f"{n}-cell{e}" for n, e, _ in EXERCISES])
def test_each_stub_raises_not_implemented(name, exercise, check, monkeypatch):
    """Run the student's stub and then its check: the student must be told the exercise
    is not done yet (NotImplementedError, or the check's 'not implemented' message)."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(ROOT / "notebooks")
    solution = code_cells(read("solutions", name))
    student = code_cells(read("notebooks", name))
    namespace: dict = {"__name__": "__main__"}
    for index in range(exercise):
        run_definitions(solution[index]["source"], namespace, f"<cell {index}>")
    try:
        exec(compile(TransformerManager().transform_cell(student[exercise]["source"]),
                     f"<cell {exercise}>", "exec"), namespace)
        exec(compile(TransformerManager().transform_cell(student[check]["source"]),
                     f"<cell {check}>", "exec"), namespace)
    except (NotImplementedError, NotImplementedYet):
        return
    except CheckFailed as error:
        pytest.fail(f"{name}: the check after the stub in cell {exercise} failed with another "
                    f"message than 'not implemented':\n{error}")
    pytest.fail(f"{name}: the stub in code cell {exercise} and its check ran without telling "
                "the student that the exercise is not done")
