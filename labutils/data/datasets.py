"""The real data sets of the labs: MNIST, Fashion-MNIST, bees and ants, Oxford-IIIT Pet.

Every ``load_*`` function finds its data set (the data folder, then the read-only
mirror, then a download: see :mod:`labutils.data.cache`), prints one line saying where
it came from (unless ``verbose=False``), and returns ``(train, test)``. When the data
cannot be had you get a :class:`~labutils.data.errors.DataNotFoundError` that names the
data set, every place looked in and what to do. There is no fallback to made-up data.

Turn a data set into tensors with :func:`labutils.as_tensors`.
"""

from __future__ import annotations

from pathlib import Path

from torch.utils.data import Dataset

from ..arguments import describe, need_bool, need_int
from ..errors import ArgumentValueError
from ..install import require
from .cache import SPECS, folder_size, prepare
from .errors import CorruptDataError
from .tensors import ImageTensors

# Official normalisation constants (mean, std) of the training sets, pixels in [0, 1].
MNIST_STATS = (0.1307, 0.3081)
FASHION_MNIST_STATS = (0.2860, 0.3530)
IMAGENET_STATS = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))

FULL_TRAIN_SIZE = {"MNIST": 60_000, "FashionMNIST": 60_000}
MAX_IMAGE_SIZE = 1024  # pixels a side: ImageNet models use 224; more costs gigabytes
PET_TARGETS = ("category", "binary-category", "segmentation")


def _need_loading_options(where: str, download: object, verbose: object) -> None:
    """``download``: True, False or None; ``verbose``: True or False."""
    need_bool(download, "download", where, optional=True)
    need_bool(verbose, "verbose", where)


def _report(key: str, root: Path, where: str, counts: str, verbose: bool) -> None:
    """Print the one line that tells the student where the data came from."""
    if verbose:
        spec = SPECS[key]
        size_mb = folder_size(root, spec) / 1e6
        print(f"Data: {spec.name} from {where}: {counts}, {size_mb:.1f} MB on disk.")


# --------------------------------------------------------------------------- digits


def _load_idx_family(key: str, stats: tuple[float, float], normalize: bool,
                     download: bool | None, verbose: bool) -> tuple[ImageTensors, ImageTensors]:
    """Read an MNIST-style data set with torchvision and keep it as tensors."""
    datasets = require("torchvision.datasets", "torchvision")
    root, where = prepare(key, download)
    parts = []
    for train in (True, False):
        try:
            raw = getattr(datasets, key)(root, train=train, download=False)
        except Exception as error:
            raise CorruptDataError(
                f"{SPECS[key].name}: torchvision could not read the files in "
                f"{root / SPECS[key].folder} ({type(error).__name__}: {error}).",
                "delete that folder and run this cell again to fetch it afresh.") from None
        images = raw.data.unsqueeze(1).float() / 255  # (N, 1, 28, 28) in [0, 1]
        if normalize:
            images = (images - stats[0]) / stats[1]
        parts.append(ImageTensors(images, raw.targets.long(), raw.classes))
    train_set, test_set = parts
    full = FULL_TRAIN_SIZE[key]
    note = "" if len(train_set) >= full else f" (reduced: the full set has {full:,})"
    _report(key, root, where, f"{len(train_set):,} training{note} + {len(test_set):,} test images",
            verbose)
    return train_set, test_set


def load_mnist(normalize: bool = True, download: bool | None = None,
               verbose: bool = True) -> tuple[ImageTensors, ImageTensors]:
    """MNIST handwritten digits as ``(train, test)``, held in memory as tensors.

    Each item is ``(image, label)``: ``image`` a float tensor ``(1, 28, 28)`` normalised
    with :data:`MNIST_STATS`, or in [0, 1] when ``normalize=False``. ``download=False``
    never downloads (``None``: unless ``LABUTILS_OFFLINE=1``).
    """
    need_bool(normalize, "normalize", "load_mnist")
    _need_loading_options("load_mnist", download, verbose)
    return _load_idx_family("MNIST", MNIST_STATS, normalize, download, verbose)


def load_fashion_mnist(normalize: bool = True, download: bool | None = None,
                       verbose: bool = True) -> tuple[ImageTensors, ImageTensors]:
    """Fashion-MNIST clothes as ``(train, test)``; items as in :func:`load_mnist`,
    normalised with :data:`FASHION_MNIST_STATS`; ``train.classes`` names the garments."""
    need_bool(normalize, "normalize", "load_fashion_mnist")
    _need_loading_options("load_fashion_mnist", download, verbose)
    return _load_idx_family("FashionMNIST", FASHION_MNIST_STATS, normalize, download, verbose)


# --------------------------------------------------------------------------- photos


def imagenet_resize(image_size: int = 224, nearest: bool = False):
    """The ImageNet resize rule: shorter side to ``image_size * 256 / 224``, then the
    centre ``image_size`` x ``image_size`` crop. ``nearest=True`` for label maps (masks),
    so that no new label values appear between two labels."""
    transforms = require("torchvision.transforms", "torchvision")
    interpolation = (transforms.InterpolationMode.NEAREST if nearest
                     else transforms.InterpolationMode.BILINEAR)
    return transforms.Compose([transforms.Resize(int(image_size * 256 / 224), interpolation),
                               transforms.CenterCrop(image_size)])


def imagenet_transform(image_size: int = 224, augment: bool = False):
    """The usual ImageNet preprocessing of a PIL photo: :func:`imagenet_resize` (or, with
    ``augment=True``, a random crop and flip), then a tensor ``(3, image_size, image_size)``
    normalised with :data:`IMAGENET_STATS`. ``image_size`` is 1 to 1024."""
    need_int(image_size, "image_size", "imagenet_transform", low=1, high=MAX_IMAGE_SIZE)
    need_bool(augment, "augment", "imagenet_transform")
    transforms = require("torchvision.transforms", "torchvision")
    if augment:
        resize = [transforms.RandomResizedCrop(image_size), transforms.RandomHorizontalFlip()]
    else:
        resize = [imagenet_resize(image_size)]
    return transforms.Compose(resize + [transforms.ToTensor(),
                                        transforms.Normalize(*IMAGENET_STATS)])


def _is_photo(path: str) -> bool:
    """Keep JPEG and PNG photos; skip strays such as ``imageNotFound.gif``."""
    return path.lower().endswith((".jpg", ".jpeg", ".png"))


def load_hymenoptera(image_size: int = 224, augment: bool = False,
                     download: bool | None = None, verbose: bool = True):
    """Bees versus ants photos as two ``ImageFolder`` datasets: ``(train, val)``.

    Items are ``(image, label)``, ``image`` a float tensor ``(3, image_size, image_size)``
    with ImageNet normalisation; labels follow ``train.classes`` (``['ants', 'bees']``).
    ``augment=True`` adds random crops and flips to the training set only.
    """
    need_int(image_size, "image_size", "load_hymenoptera", low=1, high=MAX_IMAGE_SIZE)
    need_bool(augment, "augment", "load_hymenoptera")
    _need_loading_options("load_hymenoptera", download, verbose)
    datasets = require("torchvision.datasets", "torchvision")
    root, where = prepare("hymenoptera_data", download)
    folder = root / SPECS["hymenoptera_data"].folder
    train = datasets.ImageFolder(folder / "train", imagenet_transform(image_size, augment),
                                 is_valid_file=_is_photo)
    val = datasets.ImageFolder(folder / "val", imagenet_transform(image_size),
                               is_valid_file=_is_photo)
    _report("hymenoptera_data", root, where,
            f"{len(train)} training + {len(val)} validation photos", verbose)
    return train, val


def load_oxford_pets(image_size: int = 224, target_types: str | list[str] = "category",
                     download: bool | None = None, verbose: bool = True) -> tuple[Dataset,
                                                                                  Dataset]:
    """Oxford-IIIT Pet (37 cat and dog breeds) as ``(trainval, test)``. Online only here.

    Images as in :func:`imagenet_transform`. ``target_types`` is passed to torchvision:
    ``"category"``, ``"binary-category"`` (cat or dog) or ``"segmentation"`` (trimaps,
    as PIL images; :func:`labutils.pets_to_tensors` turns them into masks), or a list of them.
    """
    need_int(image_size, "image_size", "load_oxford_pets", low=1, high=MAX_IMAGE_SIZE)
    chosen = [target_types] if isinstance(target_types, str) else target_types
    if not isinstance(chosen, (list, tuple)) or not chosen or not all(
            isinstance(t, str) and t in PET_TARGETS for t in chosen):
        raise ArgumentValueError(f"load_oxford_pets() got target_types = "
                                 f"{describe(target_types)}.",
                                 f"one of {', '.join(PET_TARGETS)}, or a list of them.",
                                 "pass e.g. target_types='segmentation'.")
    _need_loading_options("load_oxford_pets", download, verbose)
    datasets = require("torchvision.datasets", "torchvision")
    root, where = prepare("OxfordIIITPet", download)
    transform = imagenet_transform(image_size)
    trainval = datasets.OxfordIIITPet(root, split="trainval", target_types=target_types,
                                      transform=transform)
    test = datasets.OxfordIIITPet(root, split="test", target_types=target_types,
                                  transform=transform)
    _report("OxfordIIITPet", root, where, f"{len(trainval):,} training + {len(test):,} test photos",
            verbose)
    return trainval, test

