"""The grader's own run of each check (tools/recheck.py) and what it refuses to run
(tools/answer_scan.py), without a whole nbgrader cycle: every lab's own answers pass it,
and answers that fake or take the workbook's code do not."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import sandbox  # noqa: E402
from tools.answer_scan import normalised, scan  # noqa: E402

SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
needs_sandbox = pytest.mark.skipif(sandbox.works() is not None,
                                   reason=f"no grading sandbox here: {sandbox.works()}")


def solution_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(cell["source"]) for cell in cells
            if cell["metadata"].get("nbgrader", {}).get("solution")]


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_the_workbooks_own_answers_use_nothing_the_grader_refuses(path):
    for source in solution_cells(path):
        assert scan(source, frozenset({"BasicBlock", "ResNet"})) == [], source[:200]


@pytest.mark.parametrize(("source", "what"), [
    ("import os\nos.environ['LABUTILS_GRADING'] = '0'\n", "imports os"),
    ("import labutils.checks.core as c\nc.Check.fail = print\n", "imports labutils.checks"),
    ("from labutils.checks import check_vgg_block\n", "imports from labutils.checks"),
    ("check_conv_output_size = print\n", "rebinds check_conv_output_size"),
    ("from labutils_answers.lab01 import conv2d_loop\n", "labutils_answers"),
    ("from labutils.reference.lab03 import CNNBackBone\n", "labutils.reference"),
    ("vgg_block = use_reference('vgg_block')\n", "use_reference"),
    ("import torch\ntorch.allclose = lambda *a, **k: True\n", "changes torch.allclose"),
    ("def f(x):\n    return x.__globals__\n", "uses .__globals__"),
    ("def f():\n    return ().__class__.__base__.__subclasses__()\n", "uses .__base__"),
    ("import ctypes\n", "imports ctypes"),
    ("x = torch.load('weights.pt')\n", "uses .load"),
    ("m = torch.sys.modules\n", "uses .sys"),
    ("def f(x):\n    global check_resnet\n", "declares global"),
    ("exec('print(1)')\n", "uses exec"),
    ("data = open('/etc/passwd').read()\n", "uses open"),
    ("BasicBlock = labutils.BasicBlock\n", "the workbook's own answer"),
    ("from labutils import ResNet\n", "imports ResNet from labutils"),
    ("class B(nn.Module):\n    def __del__(self):\n        pass\n", "defines __del__"),
    ("import subprocess\n", "imports subprocess"),
])
def test_what_no_exercise_needs_is_refused(source, what):
    found = " ".join(str(finding) for finding in scan(source, frozenset({"BasicBlock",
                                                                         "ResNet"})))
    assert what in found, found


def test_ordinary_answers_in_other_styles_are_not_refused():
    answers = [
        "import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"
        "import numpy as np\nimport math\nfrom collections import OrderedDict\n",
        "def f(model, name):\n    head = getattr(model, name)\n    setattr(model, name, "
        "nn.Identity())\n    return head\n",
        "class Block(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n"
        "        self._layers = nn.ModuleList([nn.Conv2d(c, c, 3, padding=1)])\n"
        "    def forward(self, x):\n        return type(self).__name__, self._layers[0](x)\n",
        "from labutils import count_parameters\nn = count_parameters(nn.Linear(2, 2))\n",
    ]
    for source in answers:
        assert scan(source, frozenset({"BasicBlock", "ResNet"})) == [], source


def test_copies_are_the_same_once_names_comments_and_layout_are_set_aside():
    mine = "def area(w, h):\n    '''Area.'''\n    return w * h  # width times height\n"
    renamed = "def size(a, b):\n\n    return a*b\n"
    other = "def area(w, h):\n    return w + h\n"
    assert normalised(mine) == normalised(renamed)
    assert normalised(mine) != normalised(other)


# --------------------------------------------------------------------------- in the sandbox


def tasks(path: Path, answers: dict[int, str] | None = None) -> tuple[list[dict], dict]:
    from tools.recheck import tasks_and_findings
    notebook = nbformat.read(path, as_version=4)
    solutions = [cell for cell in notebook.cells
                 if cell.metadata.get("nbgrader", {}).get("solution")]
    for index, source in (answers or {}).items():
        solutions[index].source = source
    return tasks_and_findings(notebook, int(path.name[:2]))


def recheck(path: Path, answers: dict[int, str] | None = None) -> tuple[dict, dict]:
    from tools.recheck import run_tasks
    found, refused = tasks(path, answers)
    verdicts = run_tasks(found, 120, sandbox.Limits())
    return {verdict["grade_id"]: verdict for verdict in verdicts}, refused


@needs_sandbox
def test_every_labs_own_answers_pass_the_graders_run():
    """One sandbox for the checks of all eight labs, each in its own child process."""
    from tools.recheck import run_tasks
    every = []
    for path in SOLUTIONS:
        found, refused = tasks(path)
        assert refused == {}, path.name
        every += found
    verdicts = run_tasks(every, 120, sandbox.Limits())
    assert len(verdicts) == len(every) >= 20  # every graded check of the eight labs
    assert all(v["passed"] for v in verdicts), {
        v["grade_id"]: v["lines"] for v in verdicts if not v["passed"]}


@needs_sandbox
def test_labutils_own_answer_fails_however_it_is_reached():
    """Lab 04's BasicBlock is in labutils' public API (lab 08 reuses it): reached by a name
    built at run time, it is withheld while lab 04 is graded."""
    path = next(p for p in SOLUTIONS if p.name.startswith("04_"))
    index = next(i for i, source in enumerate(solution_cells(path))
                 if "class BasicBlock" in source)
    sneaky = ("class BasicBlock(getattr(labutils, 'Basic' + 'Block')):\n"
              "    pass\n")
    verdicts, refused = recheck(path, {index: sneaky})
    assert refused == {}  # nothing in the source gives it away ...
    assert not verdicts["check_basic_block"]["passed"]  # ... and it still earns nothing
    assert verdicts["check_batch_norm"]["passed"]


def test_labutils_own_code_is_not_an_answer(capsys, monkeypatch):
    import labutils
    from labutils.checks import CheckFailed, check_basic_block, reference
    monkeypatch.delenv(reference.GRADING_VARIABLE, raising=False)
    check_basic_block(labutils.BasicBlock)
    assert "the workbook's own code (labutils.models.BasicBlock)" in capsys.readouterr().out

    class Mine(labutils.BasicBlock):
        pass

    monkeypatch.setenv(reference.GRADING_VARIABLE, "1")
    with pytest.raises(CheckFailed, match="earns no points"):
        check_basic_block(Mine)
