"""labutils: the helper package of the CNN workbook.

A lab needs two imports: ``import labutils`` for everything below, and
``from labutils.checks import ...`` for the exercise checks. Each name lives in a small
module named after what it holds; read that module when you are stuck:

- ``seed.py``, ``device.py``: reproducible runs, and the CPU or GPU to run on;
- ``data/``: the data sets (real ones, and the ones made from real digits and photos);
- ``loaders.py``: a fast loader for tensors, and random shifts for augmentation;
- ``train.py``: the training loop, evaluation and prediction (``precision.py`` picks the
  numbers they compute with: mixed precision where the device does it well);
- ``plots.py``: images, curves, filters and confusion matrices;
- ``models.py``: the workbook's ResNet (lab 04), reused in lab 08;
- ``pretrained.py``: ImageNet-pretrained backbones (lab 06);
- ``explorers.py``: sliders that redraw a figure (labs 01, 05 and 08);
- ``errors.py``: what labutils raises when it cannot do what was asked (each message says
  what was given, what was expected and what to do), ``settings.py``: the ``LABUTILS_*``
  environment variables.
"""

from .data import (
    IMAGENET_STATS,
    MNIST_STATS,
    DataNotFoundError,
    as_tensors,
    describe_digits,
    imagenet_transform,
    load_digit_canvases,
    load_fashion_mnist,
    load_hymenoptera,
    load_mnist,
    load_oxford_pets,
    make_mnist_m,
    make_segmentation_set,
    mean_std,
    pets_to_tensors,
    photo,
    train_val_split,
)
from .device import get_device
from .errors import (
    ArgumentTypeError,
    ArgumentValueError,
    LabutilsError,
    ModelInputError,
    SettingError,
)
from .explorers import conv_explorer, threshold_explorer, transposed_conv_explorer
from .install import installed_version
from .loaders import TensorLoader, random_shift
from .models import (
    BasicBlock,
    ResNet,
    count_parameters,
    shortcut,
    small_stem,
    use_avg_down,
    zero_init_last_bn,
)
from .plots import (
    compare_histories,
    confusion_matrix,
    denormalize,
    most_confused,
    plot_confusion_matrix,
    plot_history,
    show_filters,
    show_images,
)
from .pretrained import (
    LITE0_STATS,
    efficientnet_lite0,
    efficientnet_lite0_weights_path,
    imagenet_categories,
    load_resnet18,
    renormalize,
)
from .seed import set_seed
from .train import accuracy, evaluate, fit, predict

# The version has one source, `version` in pyproject.toml, read from the installed package.
__version__ = installed_version("labutils") or "unknown"

# Exactly the names the labs use (tests/test_public_api.py keeps this list honest).
__all__ = [
    "IMAGENET_STATS", "LITE0_STATS", "MNIST_STATS", "BasicBlock", "DataNotFoundError",
    "ResNet", "TensorLoader", "accuracy", "as_tensors", "compare_histories",
    "confusion_matrix", "count_parameters", "denormalize", "describe_digits", "efficientnet_lite0",
    "efficientnet_lite0_weights_path", "evaluate", "fit", "get_device", "imagenet_categories",
    "imagenet_transform", "load_digit_canvases", "load_fashion_mnist", "load_hymenoptera",
    "load_mnist", "load_oxford_pets", "load_resnet18", "make_mnist_m",
    "make_segmentation_set", "mean_std", "most_confused", "pets_to_tensors", "photo",
    "plot_confusion_matrix", "plot_history", "predict", "random_shift", "renormalize",
    "set_seed", "shortcut", "show_filters", "show_images", "small_stem", "train_val_split",
    "use_avg_down", "zero_init_last_bn",
]
__all__ += ["conv_explorer", "threshold_explorer", "transposed_conv_explorer"]  # explorers.py
# The error family (errors.py), for a student's `except labutils.LabutilsError:`.
__all__ += ["ArgumentTypeError", "ArgumentValueError", "LabutilsError", "ModelInputError",
            "SettingError"]
