"""Data sets for the labs: find them, check them, and load them.

Every ``load_*`` function looks for its data set in this order:

1. the data folder: ``LABUTILS_DATA_DIR``, by default the workbook's ``data/``;
2. a read-only mirror named by ``LABUTILS_DATA_MIRROR`` (torchvision's layout): the
   files are linked (or, where links are impossible, copied) into the data folder;
3. a download with torchvision, unless ``download=False`` or ``LABUTILS_OFFLINE=1``.

When all three fail you get a :class:`DataNotFoundError` that names the data set, every
place looked in and what to do. There is no fallback to made-up data.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, Subset, random_split
from torchvision import datasets, transforms

DATA_DIR_VARIABLE = "LABUTILS_DATA_DIR"
MIRROR_VARIABLE = "LABUTILS_DATA_MIRROR"
OFFLINE_VARIABLE = "LABUTILS_OFFLINE"

# Official normalisation constants (mean, std) of the training sets, pixels in [0, 1].
MNIST_STATS = (0.1307, 0.3081)
FASHION_MNIST_STATS = (0.2860, 0.3530)
IMAGENET_STATS = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
CIFAR10_STATS = ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))

HYMENOPTERA_URL = "https://download.pytorch.org/tutorial/hymenoptera_data.zip"
FULL_TRAIN_SIZE = {"MNIST": 60_000, "FashionMNIST": 60_000}


class DataNotFoundError(FileNotFoundError):
    """A data set is in none of the places labutils looks, and could not be downloaded."""


class CorruptDataError(RuntimeError):
    """A data file exists but is damaged: wrong checksum, truncated or unreadable."""


# --------------------------------------------------------------------------- places


def data_dir() -> Path:
    """The folder where data sets are kept (created if missing).

    ``LABUTILS_DATA_DIR`` when set; otherwise the ``data/`` folder of the workbook
    checkout; otherwise (labutils installed on its own, e.g. on Colab)
    ``~/.cache/labutils/data``.
    """
    chosen = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    if chosen:
        folder = Path(chosen).expanduser()
    else:
        checkout_data = Path(__file__).resolve().parent.parent / "data"
        if (checkout_data / "README.md").exists():
            folder = checkout_data
        else:
            folder = Path.home() / ".cache" / "labutils" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def mirror_dir() -> Path | None:
    """The read-only mirror named by ``LABUTILS_DATA_MIRROR``, or ``None`` when unset."""
    chosen = os.environ.get(MIRROR_VARIABLE, "").strip()
    return Path(chosen).expanduser().resolve() if chosen else None


def _offline() -> bool:
    return os.environ.get(OFFLINE_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class _Spec:
    """What a data set looks like on disk and how to download it."""

    name: str  # the name shown to students
    folder: str  # its folder under the data root, as torchvision lays it out
    required: tuple[str, ...]  # files or folders (relative to the root) that must exist
    download: Callable[[Path], None]  # downloads into the given root
    source: str  # where a download comes from, for messages


def _download_mnist(root: Path) -> None:
    datasets.MNIST(root, train=True, download=True)


def _download_fashion_mnist(root: Path) -> None:
    datasets.FashionMNIST(root, train=True, download=True)


def _download_cifar10(root: Path) -> None:
    datasets.CIFAR10(root, train=True, download=True)


def _download_pets(root: Path) -> None:
    datasets.OxfordIIITPet(root, split="trainval", download=True)


def _download_hymenoptera(root: Path) -> None:
    from torchvision.datasets.utils import download_and_extract_archive

    download_and_extract_archive(HYMENOPTERA_URL, download_root=str(root))


def _idx_files(folder: str) -> tuple[str, ...]:
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    return tuple(f"{folder}/raw/{name}" for name in names)


SPECS: dict[str, _Spec] = {
    "MNIST": _Spec("MNIST", "MNIST", _idx_files("MNIST"), _download_mnist,
                   "torchvision.datasets.MNIST (yann.lecun.com mirrors)"),
    "FashionMNIST": _Spec("Fashion-MNIST", "FashionMNIST", _idx_files("FashionMNIST"),
                          _download_fashion_mnist, "torchvision.datasets.FashionMNIST"),
    "hymenoptera_data": _Spec(
        "bees vs ants (hymenoptera_data)", "hymenoptera_data",
        tuple(f"hymenoptera_data/{split}/{kind}" for split in ("train", "val")
              for kind in ("ants", "bees")),
        _download_hymenoptera, HYMENOPTERA_URL),
    "CIFAR10": _Spec("CIFAR-10", "cifar-10-batches-py",
                     ("cifar-10-batches-py/data_batch_1", "cifar-10-batches-py/test_batch"),
                     _download_cifar10, "torchvision.datasets.CIFAR10"),
    "OxfordIIITPet": _Spec("Oxford-IIIT Pet", "oxford-iiit-pet",
                           ("oxford-iiit-pet/images", "oxford-iiit-pet/annotations"),
                           _download_pets, "torchvision.datasets.OxfordIIITPet"),
}


# --------------------------------------------------------------------------- checks


def _sha256(path: Path) -> str:
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


def _files_of(root: Path, spec: _Spec) -> list[Path]:
    """Every file of the data set under ``root`` (following links)."""
    folder = root / spec.folder
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _verify(root: Path, spec: _Spec, checksums: dict[str, str], what: str, remedy: str) -> None:
    """Compare each listed file of the data set under ``root`` with its SHA-256."""
    for path in _files_of(root, spec):
        relative = path.relative_to(root).as_posix()
        expected = checksums.get(relative)
        if expected is not None and _sha256(path) != expected:
            raise CorruptDataError(
                f"{spec.name}: the file {path} ({what}) does not match its checksum in "
                f"SHA256SUMS, so it is damaged or truncated ({path.stat().st_size:,} bytes).\n"
                f"What to do: {remedy}"
            )


def _check_idx_sizes(root: Path, spec: _Spec) -> None:
    """An idx file's header says how many bytes must follow: catch truncated files."""
    for relative in spec.required:
        path = root / relative
        if not path.name.endswith("ubyte"):
            continue
        with open(path, "rb") as stream:
            header = stream.read(4)
            if len(header) < 4:
                expected = None
            else:
                n_dims = header[3]
                dims = np.frombuffer(stream.read(4 * n_dims), dtype=">u4")
                expected = 4 + 4 * n_dims + int(np.prod(dims)) if len(dims) == n_dims else None
        actual = path.stat().st_size
        if expected != actual:
            raise CorruptDataError(
                f"{spec.name}: the file {path} is truncated or damaged: its header promises "
                f"{expected if expected is not None else 'a valid idx header'} bytes, "
                f"it has {actual:,}.\n"
                f"What to do: delete the folder {root / spec.folder} and run this cell again "
                "to fetch it afresh (from the mirror or a download)."
            )


def _has_all(root: Path, spec: _Spec) -> bool:
    return all((root / relative).exists() for relative in spec.required)


def _link_or_copy(source_root: Path, target_root: Path, spec: _Spec) -> None:
    """Recreate the data set's folder tree under ``target_root`` with links to the files."""
    for source in _files_of(source_root, spec):
        target = target_root / source.relative_to(source_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        try:
            target.symlink_to(source)
        except OSError:  # no symlinks on this file system (e.g. some Windows set-ups)
            shutil.copyfile(source, target)


def _folder_size(root: Path, spec: _Spec) -> int:
    return sum(path.stat().st_size for path in _files_of(root, spec))


# --------------------------------------------------------------------------- finding


_verified: set[tuple[str, str]] = set()  # (data set, root) pairs already verified this session


def prepare(key: str, download: bool | None = None) -> tuple[Path, str]:
    """Make data set ``key`` (a key of ``SPECS``) available in the data folder.

    Returns ``(root, where)``: the root to hand to torchvision, and a few words saying
    where the data came from. Raises :class:`DataNotFoundError` when it can't be found
    and :class:`CorruptDataError` when a file is damaged.
    """
    spec = SPECS[key]
    root = data_dir()
    mirror = mirror_dir()
    checksums = read_checksums(mirror) if mirror is not None else {}

    if _has_all(root, spec):
        where = f"local cache {root / spec.folder}"
        if any(path.is_symlink() for path in (root / spec.folder).rglob("*")):
            where += " (links to a mirror)"
        if (key, str(root)) not in _verified:
            _verify(root, spec, checksums, "in the data folder",
                    f"delete the folder {root / spec.folder} and run this cell again.")
            _verified.add((key, str(root)))
        return root, where

    origin = f"from {DATA_DIR_VARIABLE}" if os.environ.get(DATA_DIR_VARIABLE, "").strip() \
        else "the default"
    looked = [f"the data folder {root / spec.folder} ({origin}): not there"]
    if mirror is None:
        looked.append(f"no mirror: {MIRROR_VARIABLE} is not set")
    elif not _has_all(mirror, spec):
        looked.append(f"the mirror {mirror / spec.folder} ({MIRROR_VARIABLE}): not there")
    else:
        _verify(mirror, spec, checksums, "in the read-only mirror",
                f"the mirror {mirror} itself is damaged: restore it, or unset "
                f"{MIRROR_VARIABLE} and let labutils download the data.")
        _link_or_copy(mirror, root, spec)
        _verified.add((key, str(root)))
        return root, f"local cache {root / spec.folder}, linked from the mirror {mirror}"

    if download is None:
        download = not _offline()
    if not download:
        looked.append(f"download: skipped ({OFFLINE_VARIABLE}=1 or download=False)")
    else:
        try:
            spec.download(root)
        except Exception as error:  # no network, a server down, a proxy...
            looked.append(f"download from {spec.source}: failed ({type(error).__name__}: "
                          f"{str(error).splitlines()[0] if str(error) else 'no details'})")
        else:
            if _has_all(root, spec):
                return root, f"downloaded into {root / spec.folder}"
            looked.append(f"download from {spec.source}: finished but files are missing")

    places = "\n".join(f"  - {place}" for place in looked)
    raise DataNotFoundError(
        f"Could not find the {spec.name} data set. Looked in:\n{places}\n"
        f"What to do: connect to the internet and run this cell again (it downloads the "
        f"data), or set {MIRROR_VARIABLE} to a folder that holds {spec.folder}/ in "
        f"torchvision's layout (e.g. export {MIRROR_VARIABLE}=../shared/datasets), or put "
        f"the files under {root / spec.folder} yourself."
    )


def _report(spec: _Spec, where: str, root: Path, counts: str) -> None:
    size_mb = _folder_size(root, spec) / 1e6
    print(f"Data: {spec.name} from the {where}: {counts}, {size_mb:.1f} MB on disk.")


# --------------------------------------------------------------------------- transforms


class ToNormalizedTensor:
    """PIL image -> float tensor ``(C, H, W)``, scaled to [0, 1], then ``(x - mean) / std``."""

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]):
        self.mean, self.std = mean, std
        self._steps = transforms.Compose([transforms.ToTensor(), transforms.Normalize(
            _as_tuple(mean), _as_tuple(std))])

    def __call__(self, image: Image.Image) -> torch.Tensor:
        return self._steps(image)

    def __repr__(self) -> str:
        return f"ToNormalizedTensor(mean={self.mean}, std={self.std})"


def _as_tuple(value: float | Sequence[float]) -> tuple[float, ...]:
    return tuple(value) if isinstance(value, Sequence) else (float(value),)


def mean_std(images: torch.Tensor) -> tuple[float, float]:
    """Mean and standard deviation over all pixels of ``images`` (any shape)."""
    images = images.float()
    return images.mean().item(), images.std().item()


# --------------------------------------------------------------------------- loaders


def _load_idx_family(key: str, cls: type, stats: tuple[float, float], normalize: bool,
                     download: bool | None) -> tuple[Dataset, Dataset]:
    spec = SPECS[key]
    root, where = prepare(key, download)
    _check_idx_sizes(root, spec)
    transform = ToNormalizedTensor(*stats) if normalize else transforms.ToTensor()
    try:
        train = cls(root, train=True, download=False, transform=transform)
        test = cls(root, train=False, download=False, transform=transform)
    except Exception as error:
        raise CorruptDataError(
            f"{spec.name}: torchvision could not read the files in {root / spec.folder} "
            f"({type(error).__name__}: {error}).\nWhat to do: delete that folder and run "
            "this cell again to fetch it afresh."
        ) from None
    full = FULL_TRAIN_SIZE[key]
    note = "" if len(train) >= full else f" (reduced: the full set has {full:,})"
    _report(spec, where, root, f"{len(train):,} training{note} + {len(test):,} test images")
    return train, test


def load_mnist(normalize: bool = True, download: bool | None = None):
    """MNIST handwritten digits as two torchvision datasets: ``(train, test)``.

    Each item is ``(image, label)`` with ``image`` a float tensor ``(1, 28, 28)``,
    normalised with :data:`MNIST_STATS` unless ``normalize=False`` (then in [0, 1]).
    """
    return _load_idx_family("MNIST", datasets.MNIST, MNIST_STATS, normalize, download)


def load_fashion_mnist(normalize: bool = True, download: bool | None = None):
    """Fashion-MNIST clothes as two torchvision datasets: ``(train, test)``.

    Items as in :func:`load_mnist`, normalised with :data:`FASHION_MNIST_STATS`.
    """
    return _load_idx_family("FashionMNIST", datasets.FashionMNIST, FASHION_MNIST_STATS,
                            normalize, download)


def _is_photo(path: str) -> bool:
    """Keep JPEG and PNG photos; skip strays such as ``imageNotFound.gif``."""
    return path.lower().endswith((".jpg", ".jpeg", ".png"))


def imagenet_transform(image_size: int = 224, augment: bool = False) -> transforms.Compose:
    """The usual ImageNet preprocessing: resize/crop to ``image_size``, tensor, normalise."""
    if augment:
        steps = [transforms.RandomResizedCrop(image_size), transforms.RandomHorizontalFlip()]
    else:
        steps = [transforms.Resize(int(image_size * 256 / 224)), transforms.CenterCrop(image_size)]
    return transforms.Compose(steps + [transforms.ToTensor(),
                                       transforms.Normalize(*IMAGENET_STATS)])


def load_hymenoptera(image_size: int = 224, augment: bool = False,
                     download: bool | None = None):
    """Bees versus ants photos as two ``ImageFolder`` datasets: ``(train, val)``.

    Items are ``(image, label)``, ``image`` a float tensor ``(3, image_size, image_size)``
    with ImageNet normalisation; labels follow ``train.classes`` (``['ants', 'bees']``).
    ``augment=True`` adds random crops and flips to the training set only.
    """
    spec = SPECS["hymenoptera_data"]
    root, where = prepare("hymenoptera_data", download)
    folder = root / spec.folder
    train = datasets.ImageFolder(folder / "train", imagenet_transform(image_size, augment),
                                 is_valid_file=_is_photo)
    val = datasets.ImageFolder(folder / "val", imagenet_transform(image_size),
                               is_valid_file=_is_photo)
    _report(spec, where, root, f"{len(train)} training + {len(val)} validation photos")
    return train, val


def load_cifar10(normalize: bool = True, download: bool | None = None):
    """CIFAR-10 (32x32 colour photos, 10 classes) as ``(train, test)``. Online only here."""
    spec = SPECS["CIFAR10"]
    root, where = prepare("CIFAR10", download)
    transform = ToNormalizedTensor(*CIFAR10_STATS) if normalize else transforms.ToTensor()
    train = datasets.CIFAR10(root, train=True, transform=transform)
    test = datasets.CIFAR10(root, train=False, transform=transform)
    _report(spec, where, root, f"{len(train):,} training + {len(test):,} test images")
    return train, test


def load_oxford_pets(image_size: int = 224, target_types: str | list[str] = "category",
                     download: bool | None = None):
    """Oxford-IIIT Pet (37 cat and dog breeds) as ``(trainval, test)``. Online only here.

    ``target_types`` is passed to torchvision: ``"category"``, ``"binary-category"``
    (cat or dog) or ``"segmentation"`` (trimaps, returned as PIL images).
    """
    spec = SPECS["OxfordIIITPet"]
    root, where = prepare("OxfordIIITPet", download)
    transform = imagenet_transform(image_size)
    trainval = datasets.OxfordIIITPet(root, split="trainval", target_types=target_types,
                                      transform=transform)
    test = datasets.OxfordIIITPet(root, split="test", target_types=target_types,
                                  transform=transform)
    _report(spec, where, root, f"{len(trainval):,} training + {len(test):,} test photos")
    return trainval, test


# --------------------------------------------------------------------------- tensors


def as_tensors(dataset: Dataset, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """All of ``dataset`` as two tensors ``(X, y)``: ``X`` is ``(N, C, H, W)``, ``y`` is ``(N,)``.

    MNIST-style datasets loaded by labutils (normalised or not) are converted in one
    vectorised step; any other dataset is read item by item through its transform.
    """
    base, indices = dataset, None
    if isinstance(dataset, Subset) and not isinstance(dataset.dataset, Subset):
        base, indices = dataset.dataset, torch.as_tensor(dataset.indices)
    transform = getattr(base, "transform", None)
    pixels = getattr(base, "data", None)
    if isinstance(transform, (ToNormalizedTensor, transforms.ToTensor)) \
            and isinstance(pixels, torch.Tensor) and pixels.dtype == torch.uint8 \
            and pixels.dim() == 3:
        labels = torch.as_tensor(base.targets)
        if indices is not None:
            pixels, labels = pixels[indices], labels[indices]
        images = pixels.unsqueeze(1).float() / 255
        if isinstance(transform, ToNormalizedTensor):
            mean, std = _as_tuple(transform.mean)[0], _as_tuple(transform.std)[0]
            images = (images - mean) / std
        return images, labels.long()
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False)
    xs, ys = zip(*[(x, torch.as_tensor(y)) for x, y in loader])
    return torch.cat(xs), torch.cat(ys)


def train_val_split(dataset: Dataset, val_size: int | float = 0.1,
                    seed: int = 0) -> tuple[Subset, Subset]:
    """Split ``dataset`` at random into ``(train, val)``; the same ``seed`` gives the same split.

    ``val_size`` is a number of items (int) or a fraction of the dataset (float < 1).
    """
    n = len(dataset)
    n_val = round(val_size * n) if isinstance(val_size, float) else int(val_size)
    if not 0 < n_val < n:
        raise ValueError(f"val_size={val_size} leaves {n - n_val} of {n} items for training: "
                         "choose a fraction between 0 and 1, or a count between 1 and "
                         f"{n - 1}.")
    generator = torch.Generator().manual_seed(seed)
    train, val = random_split(dataset, [n - n_val, n_val], generator=generator)
    return train, val
