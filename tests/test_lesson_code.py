"""The lesson code the library holds, written by ``make notebooks`` from the solutions:
the answers modules and the generated region of ``labutils/models.py``."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from conftest import ROOT

from tools import generate_notebooks as authoring
from tools import lesson_code
from tools.lesson_code import Import
from tools.solution_markers import AuthoringError, drop_lesson_tags

EXERCISE = '''def double(x: np.ndarray) -> np.ndarray:
    """Twice x."""
    ### BEGIN SOLUTION
    return helper(x) * 2
    ### END SOLUTION

# Stuck? Run hint("double") in a new cell for a hint, and again for the next one.
# To go on with the workbook's version instead, uncomment the next line:
# double = use_reference("double")'''

GIVEN = "def helper(x):\n    return x\n\n\nprint(helper(1))"
BLOCK = "class Block(nn.Module):\n    ### BEGIN SOLUTION\n    width = 3\n    ### END SOLUTION"
MODELS = '''"""Models."""

from torch import nn

# BEGIN GENERATED: lesson code

old code

# END GENERATED: lesson code


def tweak():
    pass
'''


def tagged(source: str, *tags: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def make_workbook(tmp_path, models_text: str = MODELS):
    """A tiny workbook with an answers folder, a models.py and one lab."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for folder in ("solutions", "answers/labutils_answers", "labutils"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "labutils" / "models.py").write_text(models_text)
    nb = nbformat.v4.new_notebook()
    nb.metadata["labutils"] = {"lab": 1, "title": "Tiny", "topics": ["x"], "minutes": 5,
                               "cpu_budget_s": 10, "points": {}}
    nb.cells = [tagged("import os\nimport numpy as np\nfrom torch import nn\nimport torch"),
                tagged(GIVEN, "answers"), tagged(EXERCISE), tagged(BLOCK, "models"),
                tagged("print(double(2))")]
    nbformat.write(nb, tmp_path / "solutions" / "01_tiny.ipynb")
    return tmp_path


def test_the_answers_and_the_models_come_from_the_tagged_cells(tmp_path):
    root = make_workbook(tmp_path)
    written = authoring.generate(root, quiet=True).written
    assert "answers/labutils_answers/lab01.py" in written and "labutils/models.py" in written
    answers = (root / "answers/labutils_answers/lab01.py").read_text()
    where = "solutions/01_tiny.ipynb, cell {} (id {})"
    nb = nbformat.read(root / "solutions" / "01_tiny.ipynb", as_version=4)
    ids = {cell.source.split("\n")[0]: (number, cell.id)
           for number, cell in enumerate(nb.cells, start=1)}
    helper, double, block = (ids[GIVEN.split("\n")[0]], ids[EXERCISE.split("\n")[0]],
                             ids[BLOCK.split("\n")[0]])
    assert answers.endswith(
        "import numpy as np\n\nfrom labutils.models import Block\n\n"
        '__all__ = ["helper", "double", "Block"]\n\n\n'
        f"# Defined in {where.format(*helper)}.\ndef helper(x):\n    return x\n\n\n"
        f"# Defined in {where.format(*double)}.\n"
        'def double(x: np.ndarray) -> np.ndarray:\n    """Twice x."""\n'
        "    return helper(x) * 2\n")
    assert "Written by `make notebooks`" in answers and "print(" not in answers
    models = (root / "labutils" / "models.py").read_text()
    assert f"# BEGIN GENERATED: lesson code\n\n# Defined in {where.format(*block)}.\n" \
           "class Block(nn.Module):\n    width = 3\n\n# END GENERATED: lesson code" in models
    assert models.endswith("\n\ndef tweak():\n    pass\n")  # the rest stays as it was
    namespace = {}
    exec(compile(answers.replace("from labutils.models import Block", ""), "lab01", "exec"),
         namespace)
    assert namespace["double"](3) == 6
    assert authoring.generate(root, quiet=True).written == []


def test_an_edited_exercise_makes_the_answers_out_of_date(tmp_path):
    root = make_workbook(tmp_path)
    authoring.generate(root, quiet=True)
    path = root / "solutions" / "01_tiny.ipynb"
    path.write_text(path.read_text().replace("* 2", "* 3"))
    changed = authoring.generate(root, check=True).changed
    assert "answers/labutils_answers/lab01.py" in changed


def test_the_student_notebook_and_nbgraders_source_keep_no_lesson_tags(tmp_path):
    from tools.course import source_notebook

    root = make_workbook(tmp_path)
    authoring.generate(root, quiet=True)
    student = nbformat.read(root / "notebooks" / "01_tiny.ipynb", as_version=4)
    assert all("tags" not in cell.metadata for cell in student.cells)
    source = nbformat.reads(source_notebook(root / "solutions" / "01_tiny.ipynb"), as_version=4)
    assert all("tags" not in cell.metadata for cell in source.cells)
    solution = nbformat.read(root / "solutions" / "01_tiny.ipynb", as_version=4)
    assert ["models"] in [cell.metadata.get("tags") for cell in solution.cells]


def test_models_py_without_its_marker_is_refused_before_anything_is_written(tmp_path):
    root = make_workbook(tmp_path, models_text='"""Models."""\n')
    with pytest.raises(AuthoringError, match="# BEGIN GENERATED: lesson code"):
        authoring.generate(root, quiet=True)
    assert not (root / "notebooks").exists()


def test_a_cell_goes_where_its_tags_say():
    exercise, given = tagged(EXERCISE), tagged(GIVEN)
    assert lesson_code.destination(exercise) == "answers"
    assert lesson_code.destination(given) is None
    assert lesson_code.destination(tagged(GIVEN, "answers")) == "answers"
    assert lesson_code.destination(tagged(BLOCK, "models", "other")) == "models"
    cell = tagged(BLOCK, "models", "other")
    drop_lesson_tags(cell)
    assert cell.metadata["tags"] == ["other"]


def test_imports_are_in_ruffs_order():
    imports = {Import("torch", None, None), Import("torch.nn.functional", None, "F"),
               Import("torch", "nn", None), Import("os", None, None),
               Import("labutils", "photo", None), Import("labutils", "MNIST_STATS", None),
               Import("IPython.display", "display", None),
               Import("IPython.display", "Markdown", None)}
    assert lesson_code.import_block(imports) == (
        "import os\n\nimport torch\nimport torch.nn.functional as F\n"
        "from IPython.display import Markdown, display\nfrom torch import nn\n\n"
        "from labutils import MNIST_STATS, photo")
