"""The ways to install the workbook agree: requirements.txt, environment.yml (conda and
Binder), postBuild, pyproject.toml and the Makefile."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_environment_yml_is_python_311_pip_and_the_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [item for item in env["dependencies"] if isinstance(item, str)]
    assert "python=3.11" in conda and "pip" in conda
    (pip,) = [item["pip"] for item in env["dependencies"] if isinstance(item, dict)]
    assert pip == requirements(), "environment.yml's pip list must equal requirements.txt"


def test_postbuild_installs_labutils_for_binder():
    post_build = ROOT / "postBuild"
    assert os.access(post_build, os.X_OK), "postBuild must be executable"
    assert "pip install --no-deps -e ." in post_build.read_text()


def test_requirements_cover_labutils_dependencies():
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"dependencies = \[(.*?)\]", text, re.DOTALL).group(1)
    dependencies = re.findall(r'"([^"]+)"', block)
    assert set(dependencies) <= set(requirements())


def test_browser_test_tools_are_installed_by_ci():
    assert any(line.startswith("playwright") for line in requirements())
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get install -y -qq chromium" in ci and "make test" in ci
