"""The LABUTILS_* variables are read in settings.py; an unknown value lists the known ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from labutils import SettingError, settings

LABUTILS = Path(__file__).resolve().parents[1] / "labutils"
# Modules owned elsewhere that still read their own variables (see settings.py's text).
READ_ELSEWHERE = {"data/places.py", "checks/reference.py", "doctor.py"}


def test_every_variable_is_listed_and_read_only_in_settings_or_the_listed_modules():
    for path in LABUTILS.rglob("*.py"):
        name = path.relative_to(LABUTILS).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value.startswith("LABUTILS_") and " " not in node.value:
                assert node.value in settings.VARIABLES, f"{name}: {node.value} is not listed"
        if "os.environ" in path.read_text() and name not in READ_ELSEWHERE | {"settings.py"}:
            assert "LABUTILS_" not in path.read_text().split("os.environ", 1)[1][:80], name


def test_device_and_precision_settings(monkeypatch):
    monkeypatch.delenv("LABUTILS_DEVICE", raising=False)
    monkeypatch.delenv("LABUTILS_PRECISION", raising=False)
    assert settings.device_setting() is None and settings.precision_setting() == "mixed"
    monkeypatch.setenv("LABUTILS_DEVICE", " cpu ")
    monkeypatch.setenv("LABUTILS_PRECISION", "Float32")
    assert settings.device_setting() == torch.device("cpu")
    assert settings.precision_setting() == "float32"
    monkeypatch.setenv("LABUTILS_PRECISION", "fp16")
    with pytest.raises(SettingError, match="Expected: one of mixed, float32"):
        settings.precision_setting()
