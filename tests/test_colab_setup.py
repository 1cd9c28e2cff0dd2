"""The set-up cell that opens every notebook: on Colab it installs labutils, elsewhere
it does nothing.

The Colab test runs the generated cell in a fresh virtual environment that has pip but
no labutils, with a stand-in ``google.colab`` module on its path, and points
``LABUTILS_INSTALL_SOURCE`` at a wheel of this checkout. pip installs that wheel without
its dependencies (no torch download), which is enough to prove the cell works.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from labutils import authoring

ROOT = Path(__file__).resolve().parents[1]


def generated_setup_cell(name: str = "01_example.ipynb") -> str:
    """The first code cell of a notebook as the generator writes it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Example"),
                nbformat.v4.new_code_cell("import labutils")]
    nb.metadata["labutils"] = {"lab": 1, "title": "Example", "topics": ["x"], "minutes": 5,
                               "cpu_budget_s": 10}
    config = authoring.read_config(ROOT)
    for student in (False, True):
        made = (authoring.student_notebook(nb, config, name) if student
                else authoring.canonical_solution(nb, config, name))
        assert made.cells[0]["id"] == authoring.BADGE_ID
        first_code = next(cell for cell in made.cells if cell["cell_type"] == "code")
        assert first_code["id"] == authoring.SETUP_ID
    return first_code["source"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel of this checkout's labutils, built in a copy so the checkout stays clean."""
    build = tmp_path_factory.mktemp("build")
    source = build / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, source / name)
    shutil.copytree(ROOT / "labutils", source / "labutils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(build / "dist"), str(source)],
                   check=True, capture_output=True)
    (made,) = (build / "dist").glob("labutils-*.whl")
    return made


def test_setup_cell_installs_labutils_on_colab(tmp_path, wheel):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"

    colab = tmp_path / "colab"  # a stand-in for the google.colab module
    (colab / "google" / "colab").mkdir(parents=True)
    (colab / "google" / "__init__.py").write_text("")
    (colab / "google" / "colab" / "__init__.py").write_text("IN_COLAB = True\n")

    cell = generated_setup_cell()
    program = "\n".join([
        "import importlib.util",
        "import google.colab",
        "assert importlib.util.find_spec('labutils') is None, 'labutils is already there'",
        cell,
        "print('FOUND', importlib.util.find_spec('labutils').origin)",
    ])
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
        "PYTHONPATH": str(colab),  # and not this checkout
        authoring.INSTALL_VARIABLE: str(wheel),
        "PIP_NO_DEPS": "1", "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CONFIG_FILE": os.devnull,
    }
    first = subprocess.run([str(python), "-c", program], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"Installing labutils from {wheel} ..." in first.stdout
    origin = Path(first.stdout.split("FOUND ")[1].strip())
    assert origin.is_relative_to(venv) and origin.name == "__init__.py"

    # Run again: labutils is there now, so the cell installs nothing.
    again = subprocess.run([str(python), "-c", cell], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and again.stdout == "", again.stdout + again.stderr


def test_setup_cell_does_nothing_where_labutils_is_installed(monkeypatch):
    def no_pip(*args, **kwargs):
        raise AssertionError(f"the set-up cell ran {args}")

    monkeypatch.setattr(subprocess, "run", no_pip)
    exec(compile(generated_setup_cell(), "<set-up cell>", "exec"), {})  # noqa: S102


def test_setup_cell_installs_from_the_configured_repository():
    config = authoring.read_config(ROOT)
    cell = generated_setup_cell()
    assert f'"{authoring.INSTALL_VARIABLE}", "{config.install_source}"' in cell
    assert config.install_source == f"git+{config.repository}@{config.branch}"
