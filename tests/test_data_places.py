"""labutils.data.places: relative settings mean the same folder from the root and notebooks/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import MIRROR, ROOT, needs_mirror

import labutils
from labutils.data import DataNotFoundError, places


@pytest.fixture
def cwd(monkeypatch):
    """Change the current folder for one test (monkeypatch puts it back)."""
    return lambda folder: monkeypatch.chdir(folder)


def test_a_relative_mirror_is_the_same_from_the_root_and_from_notebooks(tmp_path, monkeypatch,
                                                                        cwd):
    mirror = tmp_path / "shared" / "datasets"
    mirror.mkdir(parents=True)
    relative = os.path.relpath(mirror, ROOT)
    monkeypatch.setenv(places.MIRROR_VARIABLE, relative)
    seen = []
    for folder in (ROOT, ROOT / "notebooks", tmp_path):  # the last: outside the workbook
        cwd(folder)
        seen.append(places.mirror_dir())
    assert seen == [mirror, mirror, mirror]
    assert places.describe_setting(places.MIRROR_VARIABLE) == \
        f"LABUTILS_DATA_MIRROR={relative}, relative to {ROOT}"


def test_the_data_folder_follows_the_variable_and_defaults_to_the_workbook(tmp_path, monkeypatch,
                                                                           cwd):
    monkeypatch.setenv(places.DATA_DIR_VARIABLE, str(tmp_path / "somewhere"))
    assert places.data_dir() == tmp_path / "somewhere" and (tmp_path / "somewhere").is_dir()
    monkeypatch.setenv(places.DATA_DIR_VARIABLE, "data")
    cwd(ROOT / "notebooks")
    assert places.data_dir(create=False) == ROOT / "data"
    monkeypatch.delenv(places.DATA_DIR_VARIABLE)
    assert places.data_dir(create=False) == ROOT / "data"


def test_outside_a_workbook_relative_paths_start_at_the_current_folder(tmp_path, monkeypatch,
                                                                       cwd):
    monkeypatch.setattr(places, "_is_workbook", lambda folder: False)  # an installed labutils
    cwd(tmp_path)
    monkeypatch.setenv(places.MIRROR_VARIABLE, "mirror")
    assert places.mirror_dir() == tmp_path / "mirror"
    monkeypatch.delenv(places.DATA_DIR_VARIABLE, raising=False)
    assert places.data_dir(create=False) == Path.home() / ".cache" / "labutils" / "data"


@needs_mirror
def test_the_remedy_of_a_missing_mirror_works_when_followed_in_a_notebook(
        tmp_path, monkeypatch, cwd):
    """A workbook with the course mirror beside it, as on the course machines: the error
    names the exact setting; setting it from notebooks/ (as %env does) fixes the lab."""
    workbook = tmp_path / "workbook"
    (workbook / "data").mkdir(parents=True)
    (workbook / "notebooks").mkdir()
    (workbook / "pyproject.toml").touch()
    (workbook / "data" / "README.md").touch()
    shutil.copytree(MIRROR / "MNIST", tmp_path / "shared" / "datasets" / "MNIST")
    monkeypatch.setattr(places, "workbook_folder", lambda: workbook)
    monkeypatch.delenv(places.DATA_DIR_VARIABLE, raising=False)
    monkeypatch.delenv(places.MIRROR_VARIABLE, raising=False)
    monkeypatch.setenv(places.OFFLINE_VARIABLE, "1")
    cwd(workbook / "notebooks")
    with pytest.raises(DataNotFoundError) as caught:
        labutils.load_mnist()
    message = str(caught.value)
    assert "run `%env LABUTILS_DATA_MIRROR=../shared/datasets` in a notebook cell" in message
    assert f"relative paths start at the workbook folder {workbook}" in message

    os.environ[places.MIRROR_VARIABLE] = "../shared/datasets"  # what %env does
    train, _ = labutils.load_mnist(verbose=False)
    assert len(train) == 10_000
    assert (workbook / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").is_symlink()
