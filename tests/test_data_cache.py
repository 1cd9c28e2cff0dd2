"""labutils.data.cache under faults: partial, dangling, damaged, concurrent, read-only,
full disk and a network that never answers. Each test checks the message and that
nothing was lost (the mirror untouched, no half-made cache trusted)."""

from __future__ import annotations

import errno
import multiprocessing
import os
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import MIRROR, needs_mirror

import labutils
from labutils.data import (
    CorruptDataError,
    DataFolderError,
    DataNotFoundError,
    cache,
    places,
)

pytestmark = needs_mirror
MARKER = cache.MARKER
REAL_LINK = cache._link


def private_mnist_mirror(folder: Path) -> Path:
    """A copy of the mirror's MNIST that a test may move or damage."""
    shutil.copytree(MIRROR / "MNIST", folder / "MNIST")
    return folder


def fingerprint(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_size
            for p in folder.rglob("*") if p.is_file()}


def fail_after(count: int, error: BaseException, monkeypatch) -> None:
    """Make the link step raise ``error`` after ``count`` links, as an interrupt would."""
    real_link, made = cache._link, []

    def flaky_link(source, target):
        if len(made) >= count:
            raise error
        made.append(target)
        real_link(source, target)

    monkeypatch.setattr(cache, "_link", flaky_link)


def test_an_interrupted_first_use_is_never_trusted_and_is_repaired(mirrored_data_dir,
                                                                  monkeypatch, capsys):
    fail_after(100, KeyboardInterrupt(), monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        labutils.load_hymenoptera(image_size=32)
    folder = mirrored_data_dir / "hymenoptera_data"
    assert not (folder / MARKER).exists() and len(cache.entries(folder)) == 100
    assert cache.check_cache(mirrored_data_dir, cache.SPECS["hymenoptera_data"]).status == \
        cache.UNMARKED
    monkeypatch.setattr(cache, "_link", REAL_LINK)  # the next run, with the mirror still set
    train, val = labutils.load_hymenoptera(image_size=32)
    assert (len(train), len(val)) == (244, 153)
    assert "links remade in" in capsys.readouterr().out
    assert (folder / MARKER).exists()


def test_an_interrupted_first_use_without_the_mirror_is_reported(mirrored_data_dir,
                                                                 monkeypatch):
    fail_after(2, KeyboardInterrupt(), monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        labutils.load_mnist()
    monkeypatch.setattr(cache, "_link", REAL_LINK)
    monkeypatch.delenv(places.MIRROR_VARIABLE)
    with pytest.raises(DataNotFoundError) as caught:
        labutils.load_mnist()
    message = str(caught.value)
    assert "no mark of completion" in message and "LABUTILS_DATA_MIRROR is not set" in message
    assert "set LABUTILS_DATA_MIRROR to the mirror's current place" in message


def test_a_moved_mirror_is_reported_then_relinked_from_its_new_place(offline_data_dir,
                                                                     tmp_path, monkeypatch):
    old = private_mnist_mirror(tmp_path / "old")
    monkeypatch.setenv(places.MIRROR_VARIABLE, str(old))
    labutils.load_mnist(verbose=False)
    new = tmp_path / "new"
    old.rename(new)
    before = fingerprint(new)
    with pytest.raises(DataNotFoundError) as caught:
        labutils.load_mnist()
    message = str(caught.value)
    assert "4 of its 4 files are links to files that are gone" in message
    assert f"the mirror {old / 'MNIST'}" in message and "not there" in message
    assert "set LABUTILS_DATA_MIRROR to the mirror's current place" in message
    assert "0.0 MB" not in message

    monkeypatch.setenv(places.MIRROR_VARIABLE, str(new))  # the remedy
    train, _ = labutils.load_mnist(verbose=False)
    assert len(train) == 10_000
    linked = offline_data_dir / "MNIST" / "raw" / "train-images-idx3-ubyte"
    assert Path(os.readlink(linked)) == new / "MNIST" / "raw" / "train-images-idx3-ubyte"
    assert fingerprint(new) == before


def test_a_file_changed_after_completion_is_caught_and_the_remedy_works(offline_data_dir,
                                                                         monkeypatch):
    # Files put into the data folder by hand are checked and then marked complete.
    shutil.copytree(MIRROR / "MNIST", offline_data_dir / "MNIST")
    labutils.load_mnist(verbose=False)
    assert (offline_data_dir / "MNIST" / MARKER).exists()
    damaged = offline_data_dir / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    damaged.write_bytes(damaged.read_bytes()[:-10])
    with pytest.raises(CorruptDataError) as caught:
        labutils.load_mnist()
    message = str(caught.value)
    assert "changed since it was complete: MNIST/raw/t10k-labels-idx1-ubyte has 9,998 bytes " \
        "instead of 10,008" in message
    assert f"delete the folder {offline_data_dir / 'MNIST'}" in message
    shutil.rmtree(offline_data_dir / "MNIST")  # the remedy, with a mirror to link from
    monkeypatch.setenv(places.MIRROR_VARIABLE, str(MIRROR))
    assert len(labutils.load_mnist(verbose=False)[1]) == 10_000


@pytest.mark.parametrize(("code", "words"), [(errno.EROFS, "read-only"),
                                             (errno.ENOSPC, "the disk is full")])
def test_a_folder_that_cannot_be_written_leaves_no_trusted_cache(mirrored_data_dir, tmp_path,
                                                                  monkeypatch, code, words):
    before = fingerprint(MIRROR / "MNIST")
    fail_after(2, OSError(code, os.strerror(code)), monkeypatch)
    with pytest.raises(DataFolderError) as caught:
        labutils.load_mnist()
    message = str(caught.value)
    assert message.startswith(f"MNIST: could not write into the data folder {mirrored_data_dir}")
    assert words in message and "Nothing was marked complete" in message
    assert "%env LABUTILS_DATA_DIR=" in message
    assert not (mirrored_data_dir / "MNIST" / MARKER).exists()
    assert fingerprint(MIRROR / "MNIST") == before
    # Once there is room again (or another folder), the next run finishes the job.
    monkeypatch.setattr(cache, "_link", REAL_LINK)
    assert len(labutils.load_mnist(verbose=False)[0]) == 10_000
    assert (mirrored_data_dir / "MNIST" / MARKER).exists()


def test_a_read_only_data_folder_still_serves_a_complete_cache(mirrored_data_dir, tmp_path,
                                                               monkeypatch):
    labutils.load_mnist(verbose=False)
    real_locked = cache.locked

    def read_only_here(root, key):
        if root == mirrored_data_dir:
            raise PermissionError(errno.EROFS, "Read-only file system")
        return real_locked(root, key)

    monkeypatch.setattr(cache, "locked", read_only_here)
    assert len(labutils.load_mnist(verbose=False)[0]) == 10_000  # complete: only read
    with pytest.raises(DataFolderError) as caught:
        labutils.load_fashion_mnist(verbose=False)
    assert "read-only" in str(caught.value)
    # The remedy: another data folder, as the message says.
    assert "%env LABUTILS_DATA_DIR=~/cnn-data" in str(caught.value)
    monkeypatch.setenv(places.DATA_DIR_VARIABLE, str(tmp_path / "cnn-data"))
    assert len(labutils.load_fashion_mnist(verbose=False)[0]) == 60_000


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root may write into any folder")
def test_a_read_only_data_folder_for_real(mirrored_data_dir):
    mirrored_data_dir.mkdir(parents=True)
    mirrored_data_dir.chmod(0o555)
    try:
        with pytest.raises(DataFolderError, match="read-only or not yours"):
            labutils.load_mnist()
    finally:
        mirrored_data_dir.chmod(0o755)


def load_in_another_process(data: str, results) -> None:
    """What a second kernel does: load bees and ants; report the counts (or the error)."""
    os.environ.update({"LABUTILS_DATA_DIR": data, "LABUTILS_DATA_MIRROR": str(MIRROR),
                       "LABUTILS_OFFLINE": "1"})
    try:
        train, val = labutils.load_hymenoptera(image_size=32, verbose=False)
        results.put((len(train), len(val)))
    except Exception as error:
        results.put(f"{type(error).__name__}: {error}")


def start_processes(data: Path, count: int):
    """``count`` processes (forked: no second import of torch) loading at the same moment."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = [context.Process(target=load_in_another_process, args=(str(data), results))
                 for _ in range(count)]
    for process in processes:
        process.start()
    return processes, results


@pytest.mark.skipif(sys.platform == "win32", reason="uses fork")
def test_two_kernels_loading_at_once_both_get_every_photo(tmp_path):
    data = tmp_path / "data"
    processes, results = start_processes(data, 2)
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=10)
    assert outcomes == [(244, 153), (244, 153)]
    assert (data / "hymenoptera_data" / MARKER).exists()


@pytest.mark.skipif(sys.platform == "win32", reason="uses fork")
def test_a_second_kernel_waits_for_the_first_to_finish(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with cache.locked(data, "hymenoptera_data"):
        (process,), results = start_processes(data, 1)
        time.sleep(1.5)
        assert process.is_alive() and results.empty(), "the second kernel did not wait"
        assert not (data / "hymenoptera_data").exists()
    assert results.get(timeout=60) == (244, 153)
    process.join(timeout=10)


@pytest.fixture
def silent_server():
    """A loopback server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.mark.parametrize("key", ["MNIST", "hymenoptera_data"])
def test_a_network_that_never_answers_fails_within_the_bound(offline_data_dir, silent_server,
                                                             monkeypatch, key):
    from torchvision import datasets

    monkeypatch.setattr(cache, "DOWNLOAD_TIMEOUT_S", 1.0)
    monkeypatch.setattr(datasets.MNIST, "mirrors", [silent_server])
    monkeypatch.setattr(cache, "HYMENOPTERA_URL", silent_server + "hymenoptera_data.zip")
    monkeypatch.setenv(places.OFFLINE_VARIABLE, "0")
    load = labutils.load_mnist if key == "MNIST" else labutils.load_hymenoptera
    start = time.perf_counter()
    with pytest.raises(DataNotFoundError) as caught:
        load(download=True)
    assert time.perf_counter() - start < 10
    message = str(caught.value)
    assert f"Could not find the {cache.SPECS[key].name} data set" in message
    assert str(offline_data_dir / cache.SPECS[key].folder) in message
    assert "LABUTILS_DATA_MIRROR is not set" in message
    assert f"download from {cache.SPECS[key].source}: failed" in message
    assert "connect to the internet" in message and "%env LABUTILS_DATA_MIRROR=" in message
    assert not (offline_data_dir / cache.SPECS[key].folder).exists()
    assert not list(offline_data_dir.glob(".download-*"))
    assert socket.getdefaulttimeout() is None
