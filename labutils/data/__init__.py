"""The labs' data: real data sets, and the ones the workbook makes from real digits and photos.

Read the module named after what you want to know:

- ``datasets.py``: the ``load_*`` functions (MNIST, Fashion-MNIST, bees and ants,
  Oxford-IIIT Pet) and the ImageNet preprocessing;
- ``tensors.py``: a data set as tensors ``(X, y)`` (:func:`as_tensors`), splits;
- ``photos.py``: real photos that ship with scikit-image and scikit-learn;
- ``canvases.py``: canvases of several MNIST digits, for multi-label classification;
- ``segmentation.py``: digits pasted onto photos, with exact masks;
- ``domain_shift.py``: MNIST-M-style digits blended with photos;
- ``places.py``, ``cache.py``, ``errors.py``: where data sets are looked for, how the
  data folder is kept complete and verified, and what is raised when something is wrong;
- ``network.py``: a quick probe of a server, and a time limit on every download step.
"""

from .canvases import describe_digits, load_digit_canvases
from .datasets import (
    IMAGENET_STATS,
    MNIST_STATS,
    imagenet_transform,
    load_fashion_mnist,
    load_hymenoptera,
    load_mnist,
    load_oxford_pets,
)
from .domain_shift import make_mnist_m
from .errors import CorruptDataError, DataFolderError, DataNotFoundError
from .photos import photo
from .segmentation import make_segmentation_set, pets_to_tensors
from .tensors import ImageTensors, as_tensors, mean_std, to_unit_floats, train_val_split

# What labutils exports from here, the other errors, and the tensors' own types.
__all__ = [
    "IMAGENET_STATS", "MNIST_STATS", "CorruptDataError", "DataFolderError", "DataNotFoundError",
    "ImageTensors", "as_tensors", "describe_digits", "imagenet_transform", "load_digit_canvases",
    "load_fashion_mnist", "load_hymenoptera", "load_mnist", "load_oxford_pets", "make_mnist_m",
    "make_segmentation_set", "mean_std", "pets_to_tensors", "photo", "to_unit_floats",
    "train_val_split",
]
