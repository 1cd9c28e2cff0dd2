"""The ways to install the workbook agree: requirements.txt, environment.yml (conda and
Binder), postBuild, pyproject.toml and the Makefile."""

from __future__ import annotations

import json
import os
import re
import tomllib
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
    # Binder gets the same JupyterLab settings as `make lab` (one file, tools/).
    assert 'cp tools/lab_overrides.json "$settings/overrides.json"' in post_build.read_text()


def test_jupyterlab_settings_switch_off_the_news_pop_up():
    settings = json.loads((ROOT / "tools" / "lab_overrides.json").read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert settings["@jupyterlab/docmanager-extension:plugin"]["autoStartDefaultKernel"]


def test_authoring_tools_are_not_runtime_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    names = [re.split(r"[<>=!~ \[]", item)[0] for item in project["project"]["dependencies"]]
    assert "nbformat" not in names, "only the authors' tools need nbformat"
    assert any(line.startswith("nbformat") for line in requirements()), \
        "authors and tests still need nbformat, from requirements.txt"
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["labutils*"]


def test_nothing_in_labutils_imports_the_tools():
    for path in (ROOT / "labutils").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+tools\b", text, re.MULTILINE), path
        assert "nbformat" not in text, f"{path} uses nbformat, which students may not have"


def test_requirements_cover_labutils_dependencies():
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"dependencies = \[(.*?)\]", text, re.DOTALL).group(1)
    dependencies = re.findall(r'"([^"]+)"', block)
    assert set(dependencies) <= set(requirements())


def test_browser_test_tools_are_installed_by_ci():
    assert any(line.startswith("playwright") for line in requirements())
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get install -y -qq chromium" in ci and "make test" in ci
