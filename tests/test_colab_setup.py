"""The set-up cell that opens every notebook: on Colab it installs labutils at the pinned
release; anywhere else it only checks that labutils is there and says what to do if not.

The Colab test runs the generated cell in a fresh virtual environment that has pip but
no labutils, with a stand-in ``google.colab`` module on its path, and points
``LABUTILS_INSTALL_SOURCE`` at a wheel of this checkout. pip installs that wheel without
its dependencies (no torch download), which is enough to prove the cell works.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

import labutils
from tools import generate_notebooks as authoring
from tools import notebook_header

ROOT = Path(__file__).resolve().parents[1]


def generated_setup_cell(name: str = "01_example.ipynb") -> nbformat.NotebookNode:
    """The first code cell of a notebook as the generator writes it (the same in the
    solution and the student notebook)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Example"),
                nbformat.v4.new_code_cell("import labutils")]
    nb.metadata["labutils"] = {"lab": 1, "title": "Example", "topics": ["x"], "minutes": 5,
                               "cpu_budget_s": 10, "points": {}}
    config = authoring.read_config(ROOT)
    made = [authoring.canonical_solution(nb, config, name),
            authoring.student_notebook(nb, config, name)]
    cells = []
    for notebook in made:
        assert notebook.cells[0]["id"] == authoring.BADGE_ID
        cells.append(next(cell for cell in notebook.cells if cell["cell_type"] == "code"))
        assert cells[-1]["id"] == authoring.SETUP_ID
    # The same code and folding in both; the student's copy is also locked by nbgrader.
    assert cells[0]["source"] == cells[1]["source"]
    for key in ("cellView", "jupyter"):
        assert cells[0]["metadata"][key] == cells[1]["metadata"][key]
    assert cells[1]["metadata"]["editable"] is False
    return cells[0]


def setup_source() -> str:
    return generated_setup_cell()["source"]


def colab_stand_in(folder: Path) -> Path:
    """A folder holding a stand-in ``google.colab`` package, for PYTHONPATH."""
    (folder / "google" / "colab").mkdir(parents=True)
    (folder / "google" / "__init__.py").write_text("")
    (folder / "google" / "colab" / "__init__.py").write_text("IN_COLAB = True\n")
    return folder


def test_setup_cell_installs_labutils_on_colab(tmp_path, labutils_wheel):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    cell = setup_source()
    program = "\n".join([
        "import importlib.util",
        "import google.colab",
        "assert importlib.util.find_spec('labutils') is None, 'labutils is already there'",
        cell,
        "print('FOUND', importlib.util.find_spec('labutils').origin)",
    ])
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
        "PYTHONPATH": str(colab_stand_in(tmp_path / "colab")),  # and not this checkout
        authoring.INSTALL_VARIABLE: str(labutils_wheel),
        "PIP_NO_DEPS": "1", "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CONFIG_FILE": os.devnull,
    }
    first = subprocess.run([str(python), "-c", program], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"Installing labutils from {labutils_wheel} ..." in first.stdout
    origin = Path(first.stdout.split("FOUND ")[1].strip())
    assert origin.is_relative_to(venv) and origin.name == "__init__.py"

    # Run again: labutils is there now, so the cell installs nothing.
    again = subprocess.run([str(python), "-c", cell], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and again.stdout == "", again.stdout + again.stderr


def run_cell_without_labutils(monkeypatch, colab: bool) -> Exception:
    """Run the set-up cell here as if labutils were missing (and on Colab or not);
    return what it raised."""
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name == "labutils":
            return None
        if name.startswith("google"):
            return real_find_spec("json") if colab else None  # any spec stands for "found"
        return real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(Exception) as raised:
        exec(compile(setup_source(), "<set-up cell>", "exec"), {})  # noqa: S102
    return raised.value


def shown_in_jupyter(error: Exception) -> str:
    """What IPython shows for the error: only its _render_traceback_ lines."""
    return "\n".join(error._render_traceback_())


def test_outside_colab_a_missing_labutils_says_what_to_do(monkeypatch):
    def no_pip(*args, **kwargs):
        raise AssertionError(f"the set-up cell ran {args} outside Colab")

    monkeypatch.setattr(subprocess, "run", no_pip)
    shown = shown_in_jupyter(run_cell_without_labutils(monkeypatch, colab=False))
    assert shown.startswith(f"Set-up: labutils is not installed for this kernel's Python "
                            f"({sys.executable}), and this is not Colab, so nothing was "
                            "installed.")
    assert "`make lab` in the repository folder" in shown
    assert "Kernel > Change Kernel" in shown
    assert "Traceback" not in shown and "CalledProcessError" not in shown


def test_on_colab_offline_pip_failure_is_one_clear_message(monkeypatch):
    """pip really runs, with no index and nothing to find, as on Colab without network."""
    monkeypatch.setenv(authoring.INSTALL_VARIABLE, "labutils-not-on-this-machine==0.1")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    shown = shown_in_jupyter(run_cell_without_labutils(monkeypatch, colab=True))
    first, remedy = shown.split("\n")
    assert first.startswith("Set-up: pip could not install labutils from "
                            "labutils-not-on-this-machine==0.1: ERROR: ")
    assert remedy.startswith("What to do: check that this session is online")
    assert "CalledProcessError" not in shown


def test_setup_cell_does_nothing_where_labutils_is_installed(monkeypatch):
    def no_pip(*args, **kwargs):
        raise AssertionError(f"the set-up cell ran {args}")

    monkeypatch.setattr(subprocess, "run", no_pip)
    namespace: dict = {}
    exec(compile(setup_source(), "<set-up cell>", "exec"), namespace)  # noqa: S102
    assert set(namespace) - {"__builtins__"} == {"_set_up"}, "the cell leaves one name behind"


def test_setup_cell_installs_a_pinned_release_from_the_configured_repository():
    config = authoring.read_config(ROOT)
    labutils, answers = config.install_source.split()
    assert labutils == f"git+{config.repository}@{config.install_ref}"
    assert answers == (f"labutils-answers@git+{config.repository}@{config.install_ref}"
                       "#subdirectory=answers")
    assert config.install_ref not in {config.branch, "main", "master", "HEAD"}
    assert f'"{authoring.INSTALL_VARIABLE}", "{config.install_source}"' in setup_source()
    assert "@main" not in setup_source()


def test_the_set_up_cell_installs_the_release_of_the_package_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert authoring.read_config(ROOT).install_ref == f"v{version}"
    assert labutils.__version__ == version


def test_a_branch_as_install_ref_is_refused(tmp_path):
    text = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(
        text.replace("[tool.labutils]\n", '[tool.labutils]\ninstall_ref = "main"\n'))
    with pytest.raises(notebook_header.ConfigError, match="Pin a tag or a commit"):
        authoring.read_config(tmp_path)


def test_setup_cell_is_folded_with_a_short_title():
    cell = generated_setup_cell()
    assert cell["metadata"]["cellView"] == "form"
    assert cell["metadata"]["jupyter"] == {"source_hidden": True}
    lines = cell["source"].split("\n")
    assert lines[0].startswith("# @title Set-up: run this cell first.")
    visible = lines[:lines.index("")]  # the comment block before the code
    assert 2 <= len(visible) <= 5, visible


def test_in_a_real_kernel_the_student_sees_only_the_message():
    """Through jupyter_client, as JupyterLab runs it: the cell fails (so Run All stops
    there) and the error shown is the one message, with no traceback."""
    from jupyter_client.manager import start_new_kernel

    pretend = ("import importlib.util as u\n_real = u.find_spec\n"
               "u.find_spec = lambda name, *a, **k: None if name.split('.')[0] in "
               "('labutils', 'google') else _real(name, *a, **k)")
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        client.execute_interactive(pretend, timeout=60)
        errors = []
        reply = client.execute_interactive(
            setup_source(), timeout=60,
            output_hook=lambda msg: errors.append(msg["content"])
            if msg["msg_type"] == "error" else None)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "error"
    (error,) = errors
    assert len(error["traceback"]) == 1
    assert error["traceback"][0].startswith("Set-up: labutils is not installed for this "
                                            "kernel's Python")
