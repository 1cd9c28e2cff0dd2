"""labutils as a student's machine or Colab gets it: a wheel built from this repository,
installed in a fresh virtual environment outside the checkout, works on its own. It holds
no answers (those are the distribution under answers/): the way forward opens when the
instructor releases a lab's answers into the folder named by LABUTILS_ANSWERS.

No package is downloaded: the wheel goes in with ``--no-deps``, and a ``.pth`` file lets
the new environment see this environment's site-packages for torch and the rest. The
checkout's editable labutils must not be what gets imported, and neither nbformat nor the
authors' tools may be needed.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import labutils
import labutils.checks

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = """
import importlib.abc, json, sys

class Absent(importlib.abc.MetaPathFinder):
    '''Make nbformat and the authors' tools unimportable, as on a student's machine.'''
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"nbformat", "tools"}:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by the test)")
        return None

sys.meta_path.insert(0, Absent())
import labutils
from labutils.checks import *
import labutils.checks
touched = {name: type(getattr(labutils, name)).__name__ for name in labutils.__all__}
checks = [name for name in labutils.checks.__all__ if callable(getattr(labutils.checks, name))]
from labutils.checks.reference import AnswersNotReleased, reference_answer
from labutils.checks.registry import exercises
closed = []
for name in [found.name for found in exercises()]:  # a student's install has no answers
    try:
        reference_answer(name)
    except AnswersNotReleased as error:
        closed.append("after the deadline" in str(error))
import os
os.environ["LABUTILS_ANSWERS"] = sys.argv[1]  # the folder the instructor released lab 01 to
released = [type(reference_answer(name)).__name__ for name in
            ("conv2d_loop", "conv_param_count", "conv_output_size", "receptive_field")]
print(json.dumps({"file": labutils.__file__, "names": len(touched), "checks": len(checks),
                  "closed": closed, "released": released,
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in
                                   {"nbformat", "tools"})}))
"""


def test_wheel_holds_every_labutils_module_and_nothing_else(labutils_wheel):
    names = zipfile.ZipFile(labutils_wheel).namelist()
    modules = {name for name in names if name.endswith(".py")}
    expected = {path.relative_to(ROOT).as_posix() for path in (ROOT / "labutils").rglob("*.py")
                if "__pycache__" not in path.parts}
    assert modules == expected, "pyproject.toml must find every package under labutils/"
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    requires = [line for line in zipfile.ZipFile(labutils_wheel).read(metadata).decode()
                .splitlines() if line.startswith("Requires-Dist:")
                and "extra ==" not in line]  # only the instructor extra may need nbformat
    assert requires and not any("nbformat" in line for line in requires), requires


def test_an_installed_wheel_works_without_the_repository(tmp_path, labutils_wheel):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    target = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--quiet", "--no-deps", "--no-index", "--disable-pip-version-check",
                    str(labutils_wheel)], check=True, capture_output=True, timeout=300)
    # torch and the other dependencies come from this environment, read-only. Its
    # editable labutils is not on that path: it is installed by a hook that only runs
    # from .pth files in a site directory, and the new environment's own wheel comes first.
    ours = sysconfig.get_paths()["purelib"]
    assert ours in site.getsitepackages()
    (target / "dependencies_from_the_test_environment.pth").write_text(ours + "\n")

    elsewhere = tmp_path / "somewhere_else"
    elsewhere.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "MPLBACKEND": "Agg",
           "LABUTILS_OFFLINE": "1"}
    released = tmp_path / "released"
    released.mkdir()
    (released / "lab01.py").write_text((ROOT / "answers" / "labutils_answers" / "lab01.py")
                                       .read_text())
    run = subprocess.run([str(python), "-I", "-c", PROGRAM, str(released)], cwd=elsewhere,
                         env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(result["file"]).is_relative_to(target), f"imported {result['file']}"
    assert not Path(result["file"]).is_relative_to(ROOT)
    assert result["names"] == len(labutils.__all__) > 0
    assert result["checks"] > 0
    assert len(result["closed"]) >= 20 and all(result["closed"])  # every exercise, closed
    assert result["released"] == ["function"] * 4  # until lab 01's answers are released
    assert result["loaded"] == []
