import pytest
import torch

from labutils.device import get_device


def test_override_chooses_the_device_and_says_so(monkeypatch, capsys):
    monkeypatch.setenv("LABUTILS_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    assert capsys.readouterr().out.strip() == "Running on cpu (set by LABUTILS_DEVICE)."


def test_automatic_choice_prints_one_line(monkeypatch, capsys):
    monkeypatch.delenv("LABUTILS_DEVICE", raising=False)
    device = get_device()
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if torch.backends.mps.is_available() else "cpu")
    assert device.type == expected
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Running on {expected}")


def test_quiet_mode_prints_nothing(monkeypatch, capsys):
    monkeypatch.setenv("LABUTILS_DEVICE", "cpu")
    get_device(verbose=False)
    assert capsys.readouterr().out == ""


def test_a_misspelt_device_gets_a_clear_error(monkeypatch):
    monkeypatch.setenv("LABUTILS_DEVICE", "gpu")
    with pytest.raises(ValueError, match="(?s)not a device PyTorch knows.*cpu, cuda"):
        get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_asking_for_a_missing_gpu_is_an_error(monkeypatch):
    monkeypatch.setenv("LABUTILS_DEVICE", "cuda")
    with pytest.raises(ValueError, match="PyTorch sees none here"):
        get_device()


def test_a_device_setting_it_does_not_know_lists_the_known_ones(monkeypatch):
    import labutils

    monkeypatch.setenv("LABUTILS_DEVICE", "gpu")
    with pytest.raises(labutils.SettingError, match="Expected: one of cpu, cuda, cuda:N, mps"):
        get_device()
    monkeypatch.setenv("LABUTILS_DEVICE", "meta")
    with pytest.raises(labutils.SettingError, match="which labutils does not use"):
        get_device()
    with pytest.raises(labutils.ArgumentTypeError, match="verbose"):
        get_device(verbose="no")
