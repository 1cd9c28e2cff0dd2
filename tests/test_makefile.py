"""The Makefile repairs a broken .venv, or says to run `make clean-venv`.

Each test runs the real Makefile in a scratch folder with a stand-in Python: its
``-m venv`` makes a .venv whose python only records what it was asked to do, so no
package is installed and the test takes a second.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

VENV_PYTHON = """#!/bin/sh
echo "$*" >> "$FAKE_LOG"
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then exit "${FAKE_PIP_STATUS:-0}"; fi
exit 0
"""
SYSTEM_PYTHON = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin" && cp "$FAKE_VENV_PYTHON" "$3/bin/python" && chmod +x "$3/bin/python"
    echo "venv $3" >> "$FAKE_LOG"; exit 0
fi
exit 1
"""


@pytest.fixture
def workbook(tmp_path) -> Path:
    """A scratch copy of what the Makefile needs, a student notebook, and stand-in Pythons."""
    root = tmp_path / "workbook"
    (root / "tools").mkdir(parents=True)
    (root / "answers").mkdir()
    for name in ("Makefile", "requirements.txt", "pyproject.toml", "answers/pyproject.toml",
                 "tools/lab_overrides.json", "tools/lab_page_config.json"):
        shutil.copyfile(ROOT / name, root / name)
    (root / "notebooks").mkdir()
    (root / "notebooks" / "01_work.ipynb").write_text("the student's work")
    for name, text in (("venv_python", VENV_PYTHON), ("python3", SYSTEM_PYTHON)):
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o755)
    return root


def make(root: Path, *args: str, pip_status: int = 0) -> subprocess.CompletedProcess:
    fakes = root.parent
    env = {**os.environ, "FAKE_LOG": str(fakes / "log"), "FAKE_PIP_STATUS": str(pip_status),
           "FAKE_VENV_PYTHON": str(fakes / "venv_python")}
    return subprocess.run(["make", "--no-print-directory", "-C", str(root),
                           f"PYTHON={fakes / 'python3'}", *args],
                          env=env, capture_output=True, text=True, timeout=60)


def build_venv(root: Path) -> None:
    assert make(root, ".venv/.ready").returncode == 0
    assert (root / ".venv" / ".ready").exists()


@pytest.mark.parametrize("damage", ["python removed", "python points nowhere"])
def test_a_broken_venv_is_rebuilt(workbook, damage):
    build_venv(workbook)
    python = workbook / ".venv" / "bin" / "python"
    python.unlink()
    if damage == "python points nowhere":  # e.g. the system Python it linked to was upgraded
        python.symlink_to(workbook / "no-such-python3.11")

    result = make(workbook, ".venv/.ready")
    assert result.returncode == 0, result.stdout + result.stderr
    assert ".venv does not work any more (its Python does not run, or a package is " \
           "missing): repairing it." in result.stdout
    assert ".venv is broken (its Python does not run): building it again ..." in result.stdout
    assert os.access(python, os.X_OK) and (workbook / ".venv" / ".ready").exists()
    log = (workbook.parent / "log").read_text()
    assert log.count("venv ") == 2 and "-m pip install --quiet -r requirements.txt -e ." in log
    assert (workbook / "notebooks" / "01_work.ipynb").read_text() == "the student's work"


def test_a_failed_install_names_make_clean_venv(workbook):
    result = make(workbook, ".venv/.ready", pip_status=1)
    assert result.returncode != 0
    assert "Installing the packages into .venv failed (pip's message is above)." in result.stdout
    assert "then run: make clean-venv && make lab" in result.stdout
    assert not (workbook / ".venv" / ".ready").exists(), "a half install is never 'ready'"
    assert make(workbook, ".venv/.ready").returncode == 0  # the next run finishes it
    assert (workbook / "notebooks" / "01_work.ipynb").read_text() == "the student's work"


def test_help_mentions_clean_venv_and_it_works(workbook):
    assert "make clean-venv" in make(workbook, "help").stdout
    build_venv(workbook)
    assert make(workbook, "clean-venv").returncode == 0
    assert not (workbook / ".venv").exists()
    assert (workbook / "notebooks" / "01_work.ipynb").read_text() == "the student's work"


def test_make_lab_puts_the_settings_in_place(workbook):
    result = make(workbook, "-n", "lab")
    assert "cp tools/lab_page_config.json .venv/etc/jupyter/labconfig/page_config.json" \
        in result.stdout
    assert "cp tools/lab_overrides.json .venv/share/jupyter/lab/settings/overrides.json" \
        in result.stdout
    assert "--config=tools/lab_server_config.py" in result.stdout
