"""The data folder as a cache that is trusted only once it is complete and verified.

:func:`prepare` makes one data set ready in the data folder (see :mod:`.places`):

1. a cache whose mark of completion is there, and whose files all still have the sizes
   that mark records, is used as it is;
2. otherwise, when the read-only mirror holds the data set, its files are checked
   against the mirror's ``SHA256SUMS`` and linked (or copied, where links are
   impossible) into the data folder; links that are missing, point nowhere or point
   elsewhere are remade, so an interrupted first use or a moved mirror is repaired;
3. otherwise the data set is downloaded with torchvision into a temporary folder that
   is moved into place once complete (``LABUTILS_OFFLINE=1`` or ``download=False``
   forbids it); every network step waits at most :data:`DOWNLOAD_TIMEOUT_S` seconds.

The mark of completion (:data:`MARKER`, a list of files and sizes) is written last, so
an interruption at any moment leaves a cache that is repaired on the next use, never one
that is trusted. One kernel at a time builds a data set (a file lock), so two notebooks
started together do not trip over each other. :func:`diagnose` decides what to do
without changing anything, and :func:`verify_copy` checks the copy that decision uses and
says what to do when it is damaged; ``make doctor`` shows both answers.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..install import require
from .errors import CorruptDataError, DataFolderError, DataNotFoundError
from .network import network_timeout
from .places import (
    COURSE_MIRROR,
    DATA_DIR_VARIABLE,
    MIRROR_VARIABLE,
    OFFLINE_VARIABLE,
    data_dir,
    describe_setting,
    how_to_set,
    mirror_dir,
    offline,
    relative_base,
)

try:  # a lock that the operating system releases when a kernel dies
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

MARKER = ".labutils-complete.json"
MARKER_PREFIXES = (MARKER, f".{MARKER}")  # the marker, and its temporary copy while written
DOWNLOAD_TIMEOUT_S = 30.0
HYMENOPTERA_URL = "https://download.pytorch.org/tutorial/hymenoptera_data.zip"
READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
FULL_DISK_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}

# What a cache can be: CachedState.status.
COMPLETE, MISSING, UNMARKED, DANGLING, DAMAGED = (
    "complete", "missing", "unmarked", "dangling", "damaged")
# What prepare will do: Diagnosis.action.
USE, LINK, ADOPT, DOWNLOAD, FAIL = "use", "link", "adopt", "download", "fail"


# --------------------------------------------------------------------------- the data sets


@dataclass(frozen=True)
class Spec:
    """What a data set looks like on disk and how to download it."""

    name: str  # the name shown to students
    folder: str  # its folder under the data root, as torchvision lays it out
    required: tuple[str, ...]  # files or folders (relative to the root) that must exist
    download: Callable[[Path], None]  # downloads into the given root
    source: str  # where a download comes from, for messages


def _download_mnist(root: Path) -> None:
    require("torchvision.datasets", "torchvision").MNIST(root, train=True, download=True)


def _download_fashion_mnist(root: Path) -> None:
    require("torchvision.datasets", "torchvision").FashionMNIST(root, train=True, download=True)


def _download_pets(root: Path) -> None:
    datasets = require("torchvision.datasets", "torchvision")
    datasets.OxfordIIITPet(root, split="trainval", download=True)


def _download_hymenoptera(root: Path) -> None:
    utils = require("torchvision.datasets.utils", "torchvision")
    utils.download_and_extract_archive(HYMENOPTERA_URL, download_root=str(root))


def _idx_files(folder: str) -> tuple[str, ...]:
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    return tuple(f"{folder}/raw/{name}" for name in names)


SPECS: dict[str, Spec] = {
    "MNIST": Spec("MNIST", "MNIST", _idx_files("MNIST"), _download_mnist,
                  "torchvision.datasets.MNIST"),
    "FashionMNIST": Spec("Fashion-MNIST", "FashionMNIST", _idx_files("FashionMNIST"),
                         _download_fashion_mnist, "torchvision.datasets.FashionMNIST"),
    "hymenoptera_data": Spec(
        "bees vs ants (hymenoptera_data)", "hymenoptera_data",
        tuple(f"hymenoptera_data/{split}/{kind}" for split in ("train", "val")
              for kind in ("ants", "bees")),
        _download_hymenoptera, HYMENOPTERA_URL),
    "OxfordIIITPet": Spec("Oxford-IIIT Pet", "oxford-iiit-pet",
                          ("oxford-iiit-pet/images", "oxford-iiit-pet/annotations"),
                          _download_pets, "torchvision.datasets.OxfordIIITPet"),
}


# --------------------------------------------------------------------------- files


def entries(folder: Path) -> list[Path]:
    """Every file and link under ``folder`` (links not followed), the marker left out."""
    found = []
    for parent, _folders, files in os.walk(folder):
        found += [Path(parent) / name for name in files if not name.startswith(MARKER_PREFIXES)]
    return sorted(found)


def has_all(root: Path, spec: Spec) -> bool:
    return all((root / relative).exists() for relative in spec.required)


def folder_size(root: Path, spec: Spec) -> int:
    return sum(path.stat().st_size for path in entries(root / spec.folder) if path.exists())


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_checksums(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` from ``root/SHA256SUMS``; empty when there is none."""
    listing = root / "SHA256SUMS"
    if not listing.is_file():
        return {}
    checksums = {}
    for line in listing.read_text().splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) == 2:
            checksums[parts[1].lstrip("*")] = parts[0].lower()
    return checksums


def _idx_size_problem(path: Path) -> str | None:
    """An idx file's header says how many bytes follow: catch truncated MNIST files."""
    with open(path, "rb") as stream:
        header = stream.read(4)
        n_dims = header[3] if len(header) == 4 else 0
        dims = stream.read(4 * n_dims)
    if len(header) < 4 or len(dims) < 4 * n_dims:
        expected = "a valid idx header"
    else:
        count = 1
        for k in range(n_dims):
            count *= int.from_bytes(dims[4 * k:4 * k + 4], "big")
        expected = 4 + 4 * n_dims + count
    actual = path.stat().st_size
    if expected == actual:
        return None
    shown = f"{expected:,} bytes" if isinstance(expected, int) else expected
    return f"is truncated or damaged: its header promises {shown}, it has {actual:,} bytes"


def verify(root: Path, spec: Spec, where: str, remedy: str) -> None:
    """Check the data set under ``root`` against ``root/SHA256SUMS`` (when there is one)
    and the sizes its idx headers promise; raise :class:`CorruptDataError` on a mismatch."""
    checksums = read_checksums(root)
    for path in entries(root / spec.folder):
        problem = None
        expected = checksums.get(path.relative_to(root).as_posix())
        if expected is not None and sha256(path) != expected:
            problem = (f"does not match its checksum in {root / 'SHA256SUMS'}, so it is damaged "
                       f"or truncated ({path.stat().st_size:,} bytes)")
        elif path.name.endswith("ubyte"):
            problem = _idx_size_problem(path)
        if problem:
            raise CorruptDataError(f"{spec.name}: the file {path} ({where}) {problem}.", remedy)


# --------------------------------------------------------------------------- the mark


def _read_marker(folder: Path) -> dict | None:
    try:
        marker = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and isinstance(marker.get("files"), dict) else None


def _write_marker(root: Path, spec: Spec, source: str, mirror: Path | None = None) -> None:
    """Record every file of the data set with its size; written last, atomically."""
    folder = root / spec.folder
    files = {path.relative_to(root).as_posix(): path.stat().st_size for path in entries(folder)}
    marker = {"data_set": spec.name, "source": source,
              "mirror": str(mirror) if mirror else None, "files": files}
    temporary = folder / f".{MARKER}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(marker, indent=1))
    os.replace(temporary, folder / MARKER)


def _remove_marker(folder: Path) -> None:
    (folder / MARKER).unlink(missing_ok=True)


@dataclass(frozen=True)
class CacheState:
    """What the data folder holds for one data set."""

    status: str  # COMPLETE, MISSING, UNMARKED, DANGLING or DAMAGED
    detail: str  # a few words for messages
    links: int = 0  # how many of its files are links
    marker: dict = field(default_factory=dict)


def check_cache(root: Path, spec: Spec) -> CacheState:
    """Look at the data set's folder under ``root``; changes nothing."""
    folder = root / spec.folder
    found = entries(folder) if folder.is_dir() else []
    if not found:
        return CacheState(MISSING, "not there")
    links = sum(path.is_symlink() for path in found)
    dangling = [path for path in found if path.is_symlink() and not path.exists()]
    if dangling:
        return CacheState(DANGLING, (
            f"{len(dangling)} of its {len(found)} files are links to files that are gone "
            f"(e.g. {dangling[0].name} -> {os.readlink(dangling[0])}): the mirror has "
            "moved or was removed"), links)
    marker = _read_marker(folder)
    if marker is None:
        return CacheState(UNMARKED, (
            f"{len(found)} files but no mark of completion (a first use that was "
            "interrupted, or files put there by hand)"), links)
    changed = []
    for relative, size in marker["files"].items():
        path = root / relative
        if not path.exists():
            changed.append(f"{relative} is missing")
        elif path.stat().st_size != size:
            changed.append(f"{relative} has {path.stat().st_size:,} bytes instead of {size:,}")
    if changed or not has_all(root, spec):
        first = changed[0] if changed else "a required folder is missing"
        return CacheState(DAMAGED, f"changed since it was complete: {first}", links, marker)
    return CacheState(COMPLETE, "complete", links, marker)


# --------------------------------------------------------------------------- the decision


@dataclass
class Diagnosis:
    """What :func:`prepare` will do for a data set, decided without changing anything."""

    action: str  # USE, LINK, ADOPT, DOWNLOAD or FAIL
    detail: str  # one line: where the data is, or what is wrong
    looked: list[str]  # the places looked in, for an error message
    remedy: str = ""  # what to do, when action is FAIL (or a download fails)
    mirror: Path | None = None
    error: type[Exception] = DataNotFoundError

    def exception(self, spec: Spec, extra: str = "") -> Exception:
        places = "\n".join(f"  - {place}" for place in self.looked + ([extra] if extra else []))
        if self.error is CorruptDataError:
            return CorruptDataError(f"{spec.name}: the copy in the data folder is damaged.\n"
                                    f"{places}", self.remedy)
        return DataNotFoundError(f"Could not find the {spec.name} data set. Looked in:\n"
                                 f"{places}", self.remedy)


def _mirror_suggestion(spec: Spec) -> str:
    """The value to give ``LABUTILS_DATA_MIRROR``: the course mirror when it is there."""
    if (relative_base() / COURSE_MIRROR / spec.folder).is_dir():
        return COURSE_MIRROR
    return f"<a folder holding {spec.folder}/>"


def _general_remedy(spec: Spec, folder: Path) -> str:
    return (f"connect to the internet and run this cell again (it downloads the data), or "
            f"use a mirror that holds {spec.folder}/: "
            f"{how_to_set(MIRROR_VARIABLE, _mirror_suggestion(spec))}; then run this cell "
            f"again. Or put the files under {folder} yourself.")


def diagnose(key: str, download: bool | None = None) -> Diagnosis:
    """Decide how data set ``key`` (a key of :data:`SPECS`) will be made ready."""
    spec = SPECS[key]
    root = data_dir(create=False)
    folder = root / spec.folder
    state = check_cache(root, spec)
    if state.status == COMPLETE:
        mirror = state.marker.get("mirror")  # the mirror it was linked from, if any
        detail = f"the data folder {folder}" + (f" (links to the mirror {mirror})"
                                                 if state.links and mirror else "")
        return Diagnosis(USE, detail, [], mirror=Path(mirror) if mirror else None)

    origin = describe_setting(DATA_DIR_VARIABLE).replace(" is not set", " unset: the default")
    looked = [f"the data folder {folder} ({origin}): {state.detail}"]
    mirror = mirror_dir()
    if mirror is None:
        looked.append(f"no mirror: {MIRROR_VARIABLE} is not set")
    elif not has_all(mirror, spec):
        looked.append(f"the mirror {mirror / spec.folder} ({describe_setting(MIRROR_VARIABLE)}): "
                      "not there")
    else:
        repair = "" if state.status == MISSING else f"; repairs {folder} ({state.detail})"
        return Diagnosis(LINK, f"the mirror {mirror / spec.folder}, linked on first use{repair}",
                         looked, mirror=mirror)

    found = entries(folder) if folder.is_dir() else []
    only_links = bool(found) and state.links == len(found)
    if state.status == UNMARKED and state.links == 0 and has_all(root, spec):
        return Diagnosis(ADOPT, f"the data folder {folder} (files put there by hand)", looked)
    allowed = not offline() if download is None else download
    if allowed and (state.status == MISSING or only_links):
        return Diagnosis(DOWNLOAD, f"a download from {spec.source} on first use", looked,
                         remedy=_general_remedy(spec, folder))
    return _failure(spec, folder, state, looked, allowed)


def _failure(spec: Spec, folder: Path, state: CacheState, looked: list[str],
             allowed: bool) -> Diagnosis:
    """Why data set ``spec`` cannot be had, and what to do: :func:`diagnose`'s last word."""
    if not allowed:
        looked.append(f"download: skipped ({OFFLINE_VARIABLE}=1 or download=False)")
    else:
        looked.append(f"download: not tried, {folder} holds files that labutils did not put "
                      "there")
    if state.status == DAMAGED:
        return Diagnosis(FAIL, f"{folder}: {state.detail}", looked, error=CorruptDataError,
                         remedy=f"delete the folder {folder} and run this cell again "
                         "(labutils links or downloads a fresh copy).")
    if state.status in (DANGLING, UNMARKED) and state.links:
        remedy = (f"set {MIRROR_VARIABLE} to the mirror's current place: "
                  f"{how_to_set(MIRROR_VARIABLE, _mirror_suggestion(spec))}; then run this "
                  f"cell again (labutils remakes the links). Or delete the folder {folder} "
                  "and run this cell again online to download the data.")
        return Diagnosis(FAIL, f"{folder}: {state.detail}", looked, remedy=remedy)
    if state.status == UNMARKED:
        return Diagnosis(FAIL, f"{folder}: {state.detail}", looked,
                         remedy=f"the folder {folder} is incomplete: delete it and run this "
                         "cell again online (or with a mirror) to get a complete copy.")
    return Diagnosis(FAIL, f"{spec.name}: not in the data folder nor in a mirror", looked,
                     remedy=_general_remedy(spec, folder))


def verify_copy(spec: Spec, root: Path, diagnosis: Diagnosis, in_a_cell: bool = True) -> None:
    """Verify the copy of the data set that ``diagnosis`` uses, with what to tell the student.

    The copy is the mirror's when the data folder links to it (or is about to), otherwise
    the one in the data folder ``root``. ``in_a_cell=False`` words the remedy for
    ``make doctor``, which runs in a terminal. Raises :class:`CorruptDataError`.
    """
    mirror = diagnosis.mirror
    if mirror is None:
        again = "run this cell again" if in_a_cell else "load the data again"
        verify(root, spec, "in the data folder", f"delete the folder {root / spec.folder} and "
               f"{again}.")
    elif in_a_cell:
        verify(mirror, spec, "in the read-only mirror", f"the mirror {mirror} is damaged: "
               f"restore it, or unset {MIRROR_VARIABLE} and let labutils download the data.")
    else:
        verify(mirror, spec, "in the read-only mirror", f"restore the mirror {mirror}, or "
               f"unset {MIRROR_VARIABLE} and let the labs download the data.")


# --------------------------------------------------------------------------- doing it


@contextlib.contextmanager
def locked(root: Path, key: str) -> Iterator[None]:
    """Hold the lock of data set ``key`` in the data folder ``root`` (waits for others)."""
    with open(root / f".{key}.lock", "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        else:
            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:  # LK_LOCK gives up after 10 s: keep waiting
                    continue
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            else:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)


def _link(source: Path, target: Path) -> None:
    """Make ``target`` a link to ``source`` in one step (a copy where links are impossible)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        os.symlink(source, temporary)
    except OSError as error:
        if error.errno in READ_ONLY_ERRNOS - {errno.EPERM} or error.errno in FULL_DISK_ERRNOS:
            raise
        shutil.copyfile(source, temporary)  # no symbolic links here (some Windows set-ups)
    os.replace(temporary, target)


def _link_from_mirror(root: Path, spec: Spec, mirror: Path) -> int:
    """Make the data folder's copy of the data set match the mirror; return the links made."""
    folder = root / spec.folder
    _remove_marker(folder)
    wanted, made = set(), 0
    for source in entries(mirror / spec.folder):
        target = root / source.relative_to(mirror)
        wanted.add(target)
        if target.is_symlink():
            if os.readlink(target) == str(source):
                continue
        elif target.exists():  # a real file: someone put it there, keep it if it fits
            if target.stat().st_size != source.stat().st_size:
                raise CorruptDataError(
                    f"{spec.name}: {target} in the data folder has {target.stat().st_size:,} "
                    f"bytes, the mirror's copy {source} has {source.stat().st_size:,}.",
                    f"delete {target} and run this cell again (it is linked from the mirror).")
            continue
        _link(source, target)
        made += 1
    for stale in entries(folder):  # links the mirror does not have any more
        if stale not in wanted and stale.is_symlink():
            stale.unlink()
    _write_marker(root, spec, "mirror", mirror)
    return made


def _clear_links(folder: Path) -> None:
    """Remove a folder that holds nothing but links (ours), and its empty folders."""
    for path in entries(folder):
        if path.is_symlink():
            path.unlink()
    _remove_marker(folder)
    for parent, _folders, _files in sorted(os.walk(folder), reverse=True):
        with contextlib.suppress(OSError):
            os.rmdir(parent)


def _download(root: Path, spec: Spec) -> None:
    """Download into a temporary folder, then move the data set into place and mark it."""
    staging = root / f".download-{spec.folder}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        with network_timeout(DOWNLOAD_TIMEOUT_S):
            spec.download(staging)
        if not has_all(staging, spec):
            raise RuntimeError("it finished, but files are missing")
        folder = root / spec.folder
        if folder.exists():
            _clear_links(folder)
        os.replace(staging / spec.folder, folder)
        _write_marker(root, spec, "download")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _folder_error(error: OSError, root: Path, spec: Spec) -> DataFolderError:
    if error.errno in FULL_DISK_ERRNOS:
        what = "the disk is full"
        todo = "free some space, or use a data folder on another disk: "
    else:
        what = "the data folder is read-only or not yours"
        todo = "use a data folder you can write: "
    return DataFolderError(
        f"{spec.name}: could not write into the data folder {root}: {what} "
        f"({type(error).__name__}: {error.strerror or error}). Nothing was marked complete, "
        "so nothing half-made will be used.",
        todo + how_to_set(DATA_DIR_VARIABLE, "~/cnn-data") + "; then run this cell again.")


_verified: set[tuple[str, str]] = set()  # (data set, data folder) verified this session


def _verify(key: str, spec: Spec, root: Path, diagnosis: Diagnosis) -> None:
    """Verify the copy that ``diagnosis`` uses: each time before it is linked or adopted and
    after it is downloaded; a complete cache only once a session."""
    if diagnosis.action == USE and (key, str(root)) in _verified:
        return
    verify_copy(spec, root, diagnosis)
    _verified.add((key, str(root)))


def prepare(key: str, download: bool | None = None) -> tuple[Path, str]:
    """Make data set ``key`` (a key of :data:`SPECS`) ready in the data folder.

    Returns ``(root, where)``: the root to hand to torchvision, and a few words saying
    where the data came from. Raises :class:`DataNotFoundError` when it cannot be had,
    :class:`CorruptDataError` when a file is damaged and :class:`DataFolderError` when the
    data folder cannot be written.
    """
    spec = SPECS[key]
    diagnosis = diagnose(key, download)
    root = data_dir(create=diagnosis.action != USE)
    where = diagnosis.detail
    if diagnosis.action != USE:
        try:
            with locked(root, key):
                diagnosis = diagnose(key, download)  # another kernel may have done it meanwhile
                where = _carry_out(key, spec, root, diagnosis)
        except (DataNotFoundError, DataFolderError):
            raise
        except OSError as error:
            if error.errno in READ_ONLY_ERRNOS | FULL_DISK_ERRNOS:
                raise _folder_error(error, root, spec) from None
            raise
    if diagnosis.action in (USE, DOWNLOAD):  # a link or an adoption was verified before
        _verify(key, spec, root, diagnosis)
    return root, where


def _carry_out(key: str, spec: Spec, root: Path, diagnosis: Diagnosis) -> str:
    folder = root / spec.folder
    if diagnosis.action == USE:
        return diagnosis.detail
    if diagnosis.action == LINK:
        mirror = diagnosis.mirror
        _verify(key, spec, root, diagnosis)
        repairing = folder.exists()
        made = _link_from_mirror(root, spec, mirror)
        if repairing and made:
            return f"the mirror {mirror}, {made} links remade in {folder}"
        return f"the mirror {mirror}, linked into {folder}"
    if diagnosis.action == ADOPT:
        _verify(key, spec, root, diagnosis)
        _write_marker(root, spec, "data folder")
        return f"the data folder {folder}"
    if diagnosis.action == DOWNLOAD:
        try:
            _download(root, spec)
        except OSError as error:
            if error.errno in READ_ONLY_ERRNOS | FULL_DISK_ERRNOS:
                raise
            failure = error
        except Exception as error:  # no network, a server down, a proxy, a bad archive...
            failure = error
        else:
            return f"a download from {spec.source} into {folder}"
        reason = str(failure).splitlines()[0] if str(failure) else "no details"
        raise diagnosis.exception(
            spec, f"download from {spec.source}: failed ({type(failure).__name__}: {reason})"
        ) from None
    raise diagnosis.exception(spec)
