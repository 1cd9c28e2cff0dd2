"""labutils: the helper package of the CNN workbook.

Everything a lab needs is importable from here, e.g. ``from labutils import set_seed, fit``.
Each function lives in a small module named after what it does; read them when stuck.
"""

from .data import (
    CorruptDataError,
    DataNotFoundError,
    as_tensors,
    data_dir,
    imagenet_transform,
    load_cifar10,
    load_fashion_mnist,
    load_hymenoptera,
    load_mnist,
    load_oxford_pets,
    mean_std,
    mirror_dir,
    train_val_split,
)
from .device import get_device
from .loaders import TensorLoader
from .plots import (
    compare_histories,
    confusion_matrix,
    denormalize,
    most_confused,
    plot_confusion_matrix,
    plot_history,
    show_feature_maps,
    show_filters,
    show_images,
)
from .seed import make_generator, seed_worker, set_seed
from .train import accuracy, evaluate, fit, predict

__version__ = "0.1.0"

__all__ = [
    "CorruptDataError", "DataNotFoundError", "TensorLoader", "accuracy", "as_tensors",
    "compare_histories", "confusion_matrix", "data_dir", "denormalize", "evaluate", "fit",
    "get_device", "imagenet_transform", "load_cifar10", "load_fashion_mnist",
    "load_hymenoptera", "load_mnist", "load_oxford_pets", "make_generator", "mean_std",
    "mirror_dir", "most_confused", "plot_confusion_matrix", "plot_history", "predict",
    "seed_worker", "set_seed", "show_feature_maps", "show_filters", "show_images",
    "train_val_split",
]
