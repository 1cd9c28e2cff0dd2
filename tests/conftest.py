"""Shared fixtures: a private data folder, the read-only mirror, no network."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")  # draw figures off-screen in this process (not in notebook kernels)

# The fuzz test's profiles (tests/test_fuzz.py): "ci" is the default, a fixed seed and few
# examples (well under 90 s); "long" is `make fuzz`, by hand: many more, still reproducible.
# Each call has its own time limit in the test, so hypothesis' deadline is off.
settings.register_profile("ci", max_examples=50, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("long", max_examples=400, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]


def find_mirror() -> Path | None:
    """The data mirror CI uses: LABUTILS_DATA_MIRROR (a relative path starts at the
    workbook folder, as in labutils), else ../shared/datasets beside the repo."""
    chosen = os.environ.get("LABUTILS_DATA_MIRROR")
    candidates = [ROOT / Path(chosen).expanduser()] if chosen else []
    candidates.append(ROOT.parent / "shared" / "datasets")
    return next((path.resolve() for path in candidates if (path / "MNIST").is_dir()), None)


MIRROR = find_mirror()
needs_mirror = pytest.mark.skipif(MIRROR is None,
                                  reason="no data mirror (set LABUTILS_DATA_MIRROR)")


@pytest.fixture
def offline_data_dir(tmp_path, monkeypatch) -> Path:
    """An empty data folder, no mirror, downloads switched off."""
    folder = tmp_path / "data"
    monkeypatch.setenv("LABUTILS_DATA_DIR", str(folder))
    monkeypatch.delenv("LABUTILS_DATA_MIRROR", raising=False)
    monkeypatch.setenv("LABUTILS_OFFLINE", "1")
    return folder


@pytest.fixture
def mirrored_data_dir(offline_data_dir, monkeypatch) -> Path:
    """An empty data folder backed by the real read-only mirror."""
    if MIRROR is None:
        pytest.skip("no data mirror (set LABUTILS_DATA_MIRROR)")
    monkeypatch.setenv("LABUTILS_DATA_MIRROR", str(MIRROR))
    return offline_data_dir


@pytest.fixture(scope="session")
def mnist_small():
    """2,000 real MNIST training images and 1,000 test images as normalised tensors."""
    if MIRROR is None:
        pytest.skip("no data mirror (set LABUTILS_DATA_MIRROR)")
    import labutils

    previous = {k: os.environ.get(k) for k in ("LABUTILS_DATA_MIRROR",)}
    os.environ["LABUTILS_DATA_MIRROR"] = str(MIRROR)
    try:
        train, test = labutils.load_mnist()
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    X, y = labutils.as_tensors(train)
    Xt, yt = labutils.as_tensors(test)
    return X[:2000], y[:2000], Xt[:1000], yt[:1000]


@pytest.fixture(scope="session")
def labutils_wheel(tmp_path_factory) -> Path:
    """A wheel of this checkout's labutils, built from a copy so the checkout stays clean
    (no build/ or *.egg-info left behind)."""
    build = tmp_path_factory.mktemp("wheel")
    source = build / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, source / name)
    shutil.copytree(ROOT / "labutils", source / "labutils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(build / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    (made,) = (build / "dist").glob("labutils-*.whl")
    return made
