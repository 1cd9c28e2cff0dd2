import shutil
from pathlib import Path

import pytest
import torch
from conftest import MIRROR, needs_mirror

import labutils
from labutils.data import CorruptDataError, DataNotFoundError, cache


def make_mirror(tmp_path: Path, with_checksums: bool = True) -> Path:
    """A private copy of the mirror's MNIST (and its checksums) that a test may damage."""
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR / "MNIST", mirror / "MNIST")
    if with_checksums:
        lines = [line for line in (MIRROR / "SHA256SUMS").read_text().splitlines()
                 if line.split()[-1].startswith("MNIST/")]
        (mirror / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    return mirror


def test_missing_data_offline_names_the_set_the_places_and_the_remedy(offline_data_dir):
    with pytest.raises(DataNotFoundError) as caught:
        labutils.load_mnist()
    message = str(caught.value)
    assert "Could not find the MNIST data set" in message
    assert str(offline_data_dir / "MNIST") in message
    assert "LABUTILS_DATA_MIRROR is not set" in message
    assert "download: skipped" in message
    assert "connect to the internet" in message and "%env LABUTILS_DATA_MIRROR=" in message


def test_a_failed_download_is_reported_with_its_reason(offline_data_dir, monkeypatch):
    monkeypatch.setenv("LABUTILS_OFFLINE", "0")

    def no_network(root):
        raise OSError("Temporary failure in name resolution")

    spec = cache.SPECS["FashionMNIST"]
    monkeypatch.setitem(cache.SPECS, "FashionMNIST", cache.Spec(
        spec.name, spec.folder, spec.required, no_network, spec.source))
    with pytest.raises(DataNotFoundError, match=r"(?s)Fashion-MNIST.*download from "
                       r"torchvision.datasets.FashionMNIST: failed \(OSError: Temporary failure"):
        labutils.load_fashion_mnist()


def test_a_mirror_without_the_data_set_is_named(offline_data_dir, tmp_path, monkeypatch):
    empty_mirror = tmp_path / "empty_mirror"
    empty_mirror.mkdir()
    monkeypatch.setenv("LABUTILS_DATA_MIRROR", str(empty_mirror))
    with pytest.raises(DataNotFoundError, match=f"the mirror {empty_mirror / 'hymenoptera_data'}"):
        labutils.load_hymenoptera()


@needs_mirror
def test_mirror_files_are_linked_and_the_mirror_is_left_alone(mirrored_data_dir, capsys):
    before = {p: p.stat().st_mtime for p in (MIRROR / "MNIST").rglob("*")}
    train, test = labutils.load_mnist()
    assert len(train) == 10_000 and len(test) == 10_000
    linked = mirrored_data_dir / "MNIST" / "raw" / "train-images-idx3-ubyte"
    assert linked.is_symlink() and linked.resolve() == (
        MIRROR / "MNIST" / "raw" / "train-images-idx3-ubyte").resolve()
    assert {p: p.stat().st_mtime for p in (MIRROR / "MNIST").rglob("*")} == before
    line = capsys.readouterr().out
    assert f"from the mirror {MIRROR}, linked into" in line and "10,000 training (reduced" in line
    assert "15.7 MB on disk" in line
    # The second time the data folder is used as it is; verbose=False prints nothing.
    labutils.load_mnist()
    assert f"from the data folder {mirrored_data_dir / 'MNIST'} (links to the mirror" in \
        capsys.readouterr().out
    labutils.load_mnist(verbose=False)
    assert capsys.readouterr().out == ""


@needs_mirror
def test_a_corrupt_mirror_file_is_caught_by_its_checksum(offline_data_dir, tmp_path, monkeypatch):
    mirror = make_mirror(tmp_path)
    damaged = mirror / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    payload = bytearray(damaged.read_bytes())
    payload[100] ^= 0xFF  # one flipped byte: the size is right, the content is not
    damaged.write_bytes(bytes(payload))
    monkeypatch.setenv("LABUTILS_DATA_MIRROR", str(mirror))
    with pytest.raises(CorruptDataError) as caught:
        labutils.load_mnist()
    message = str(caught.value)
    assert str(damaged) in message and "does not match its checksum" in message
    assert "read-only mirror" in message and "restore it" in message


@needs_mirror
def test_a_truncated_file_without_checksums_is_caught(offline_data_dir, tmp_path, monkeypatch):
    mirror = make_mirror(tmp_path, with_checksums=False)
    truncated = mirror / "MNIST" / "raw" / "train-images-idx3-ubyte"
    truncated.write_bytes(truncated.read_bytes()[:5000])
    monkeypatch.setenv("LABUTILS_DATA_MIRROR", str(mirror))
    with pytest.raises(CorruptDataError, match=r"truncated or damaged: its header promises "
                       r"7,840,016 bytes, it has 5,000"):
        labutils.load_mnist()


@needs_mirror
def test_fashion_mnist_is_complete(mirrored_data_dir):
    train, test = labutils.load_fashion_mnist()
    assert (len(train), len(test)) == (60_000, 10_000)
    image, label = train[0]
    assert image.shape == (1, 28, 28) and 0 <= label < 10


@needs_mirror
def test_bees_and_ants_skip_the_stray_gif(mirrored_data_dir):
    train, val = labutils.load_hymenoptera(image_size=64)
    assert train.classes == ["ants", "bees"]
    assert (len(train), len(val)) == (244, 153)
    assert not any(path.endswith(".gif") for path, _ in train.samples)
    image, _ = val[0]
    assert image.shape == (3, 64, 64)


@needs_mirror
def test_mnist_is_held_as_tensors_with_the_official_normalisation(mirrored_data_dir):
    train, test = labutils.load_mnist(verbose=False)
    raw, _ = labutils.load_mnist(normalize=False, verbose=False)
    X, y = labutils.as_tensors(train)
    assert X.shape == (10_000, 1, 28, 28) and y.dtype == torch.long
    image, label = train[1234]
    assert torch.equal(X[1234], image) and y[1234] == label
    torch.testing.assert_close(X, (raw.images - 0.1307) / 0.3081)
    assert raw.images.min() == 0 and raw.images.max() == 1
    # Normalised with the official constants: close to zero mean and unit spread.
    assert abs(X.mean().item()) < 0.01 and abs(X.std().item() - 1) < 0.01
    assert train.classes[3] == "3 - three" and len(test) == 10_000
