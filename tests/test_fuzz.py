"""Fuzz labutils' public face: every name in ``labutils.__all__``, with generated arguments.

For each public function (and class) a strategy below draws a call: good arguments, with
one or two of them replaced by something odd: the wrong type, shape, dtype or size, an
empty tensor, a value out of range, NaN or inf. The property every call must keep:

- it works, or it raises an error of labutils' family (:class:`labutils.LabutilsError`)
  whose message has three parts (what was given, ``Expected:``, ``What to do:``); no
  other exception escapes, whether from torch, numpy, PIL, matplotlib or pycm;
- it ends within ``TIME_LIMIT`` seconds;
- torch's global state is the same afterwards: grad mode, default dtype, threads, and
  the random state, except for the names in ``DRAW_RANDOM_NUMBERS``, whose docstrings
  say that they draw random numbers.

A public name without an entry in ``STRATEGIES``, ``SKIPPED`` or ``CONSTANTS`` fails
:func:`test_every_public_name_is_fuzzed`. The data loaders are fuzzed on their arguments
only: their search for the data (``prepare``) is replaced by a stand-in that stops there.

CI runs the "ci" profile of ``tests/conftest.py`` (fixed seed, few examples); ``make fuzz``
runs the "long" one.
"""

from __future__ import annotations

import contextlib
import math
import signal
from collections.abc import Callable, Iterator

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import labutils
from labutils import pretrained
from labutils.data import datasets

# Generated titles hold characters no font has; matplotlib says so, which is no failure.
pytestmark = pytest.mark.filterwarnings("ignore:Glyph .* missing from font")

TIME_LIMIT = 20  # seconds per call; the slowest good call (EfficientNet-Lite0) takes about 1 s

# --- Values of every kind -----------------------------------------------------------------

NUMBERS = st.one_of(st.integers(-3, 12), st.sampled_from([0, -1, 10**12, -(2**63)]),
                    st.floats(allow_nan=True, allow_infinity=True, width=32),
                    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.5, 1e300]))
DTYPES = st.sampled_from([torch.float32, torch.float64, torch.float16, torch.bfloat16,
                          torch.int64, torch.int32, torch.uint8, torch.bool])
FILLS = st.sampled_from(["random", "random", "zeros", "nan", "inf", "huge"])


def filled(shape: tuple[int, ...], dtype: torch.dtype = torch.float32, fill: str = "random",
           seed: int = 0) -> torch.Tensor:
    """A tensor of ``shape`` and ``dtype`` whose numbers are chosen by ``fill``; drawn from
    its own generator, so that fuzzing leaves torch's random state alone."""
    values = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    if fill == "zeros":
        values = torch.zeros(shape)
    elif fill in ("nan", "inf") and values.numel():
        values.view(-1)[0] = math.nan if fill == "nan" else math.inf
    elif fill == "huge":
        values = values * 1e30
    if not dtype.is_floating_point:
        values = torch.nan_to_num(values.abs() * 3, posinf=3.0, neginf=0.0)  # small whole numbers
    return values.to(dtype)


@st.composite
def tensors(draw, shapes=None, dtypes=DTYPES, fills=FILLS) -> torch.Tensor:
    """Any tensor (0 to 4 dimensions of 0 to 5), or one of the given shapes."""
    if shapes is None:
        shape = tuple(draw(st.lists(st.integers(0, 5), max_size=4)))
    else:
        shape = draw(shapes)
    return filled(shape, draw(dtypes), draw(fills), draw(st.integers(0, 99)))


def as_numpy(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """The same tensors, sometimes as numpy arrays (students pass both)."""
    return st.one_of(strategy, strategy.map(lambda t: t.float().numpy()))


JUNK = st.one_of(
    st.none(), st.booleans(), NUMBERS, st.text(max_size=6), st.binary(max_size=3),
    st.lists(st.integers(-3, 12), max_size=4), st.tuples(NUMBERS, NUMBERS),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    tensors(), as_numpy(tensors(dtypes=st.just(torch.float32))), st.just(object()),
    st.builds(lambda: nn.Linear(3, 2)), st.just(print), st.just(torch.device("cpu")),
)


# --- Calls: good arguments, one or two of them replaced --------------------------------------

@st.composite
def calls(draw, good: dict[str, st.SearchStrategy], odd: dict[str, st.SearchStrategy] | None = None,
          positional: tuple[str, ...] = (), changed: int = 2,
          joint: st.SearchStrategy | None = None) -> tuple[tuple, dict]:
    """``(args, kwargs)``: a draw of each of ``good`` (and the arguments that must fit
    together, as one dict drawn from ``joint``), then up to ``changed`` of them replaced by
    a draw of their own ``odd`` strategy or of :data:`JUNK`. The names in ``positional``
    are passed by position, in that order."""
    odd = odd or {}
    arguments = {name: draw(strategy) for name, strategy in good.items()}
    if joint is not None:
        arguments.update(draw(joint))
    if arguments:
        names = sorted(arguments)
        for name in draw(st.lists(st.sampled_from(names), max_size=changed, unique=True)):
            arguments[name] = draw(st.one_of(odd[name], JUNK) if name in odd else JUNK)
    args = tuple(arguments.pop(name) for name in positional)
    return args, arguments


# Small, good values the strategies share.
SMALL_INT = st.integers(0, 8)
BOOL = st.booleans()
TEXT = st.text(max_size=12)
IMAGES = tensors(shapes=st.tuples(st.integers(1, 4), st.sampled_from([1, 3]), st.integers(1, 6),
                                  st.integers(1, 6)), dtypes=st.just(torch.float32),
                 fills=st.just("random"))
ODD_IMAGES = as_numpy(tensors(shapes=st.one_of(
    st.tuples(st.integers(0, 3), st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)),
    st.lists(st.integers(0, 4), max_size=5).map(tuple))))
GREY_DIGITS = tensors(shapes=st.tuples(st.integers(1, 3), st.just(28), st.just(28)),
                      dtypes=st.sampled_from([torch.uint8, torch.float32]), fills=st.just("zeros"))
ODD_DIGITS = as_numpy(tensors(shapes=st.one_of(
    st.tuples(st.integers(0, 3), st.integers(1, 30), st.integers(1, 30)),
    st.tuples(st.integers(0, 3), st.integers(1, 3), st.integers(1, 30), st.integers(1, 30)),
    st.lists(st.integers(0, 4), max_size=5).map(tuple))))
STATS = st.one_of(st.tuples(st.floats(-1, 1), st.floats(0.1, 2)),
                  st.tuples(st.tuples(*[st.floats(-1, 1)] * 3),
                            st.tuples(*[st.floats(0.1, 2)] * 3)))
ODD_STATS = st.one_of(st.tuples(NUMBERS, NUMBERS), st.lists(NUMBERS, max_size=4),
                      st.tuples(st.lists(NUMBERS, max_size=4), st.lists(NUMBERS, max_size=4)))


# --- Models and data for fit, evaluate and predict -------------------------------------------

def small_model(kind: str) -> nn.Module:
    """A linear classifier of 3 numbers, or a tiny CNN of (1, 8, 8) images; 2 classes."""
    with torch.random.fork_rng(devices=[]):  # building a model draws its weights
        torch.manual_seed(0)
        if kind == "linear":
            return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(),
                             nn.Linear(128, 2))


@st.composite
def model_and_batches(draw, loader_name: str = "train_loader") -> dict[str, object]:
    """``{"model": ..., loader_name: ...}``: a model and a loader of (inputs, targets) batches
    that may not fit it (shape, dtype, labels, emptiness, the loader's own form). With
    ``loader_name="data"`` (predict), the loader or its inputs alone."""
    kind = draw(st.sampled_from(["linear", "cnn"]))
    good_shape = (3,) if kind == "linear" else (1, 8, 8)
    n = draw(st.integers(0, 6))
    shape = draw(st.sampled_from([good_shape, good_shape, good_shape, (4,), (1,), (3, 8, 8),
                                  (1, 2, 2), ()]))
    dtype = draw(st.sampled_from([torch.float32] * 4 + [torch.float64, torch.float16,
                                                        torch.bfloat16, torch.uint8,
                                                        torch.int64]))
    inputs = filled((n, *shape), dtype, draw(FILLS), draw(st.integers(0, 99)))
    label_kind = draw(st.sampled_from(["good", "good", "good", "too big", "negative", "float",
                                       "one-hot", "int32", "bool", "column"]))
    labels = {
        "good": lambda: torch.arange(n) % 2, "too big": lambda: torch.arange(n) + 1,
        "negative": lambda: -torch.ones(n, dtype=torch.long), "float": lambda: torch.rand(n),
        "one-hot": lambda: torch.eye(2)[torch.arange(n) % 2], "bool": lambda: torch.ones(n) > 0,
        "int32": lambda: (torch.arange(n) % 2).int(),
        "column": lambda: (torch.arange(n) % 2)[:, None],
    }[label_kind]()
    form = draw(st.sampled_from(["loader", "loader", "loader", "list", "inputs only",
                                 "three", "iterator", "tensor"]))
    batch_size = draw(st.integers(1, 4))
    loader = {
        "loader": lambda: labutils.TensorLoader(inputs, labels, batch_size=batch_size),
        "list": lambda: [(inputs, labels)],
        "inputs only": lambda: [inputs],
        "three": lambda: [(inputs, labels, labels)],
        "iterator": lambda: iter([(inputs, labels)]),
        "tensor": lambda: inputs,
    }[form]()
    if loader_name == "data" and draw(BOOL):
        loader = inputs
    return {"model": small_model(kind), loader_name: loader}


def seed_call(**arguments) -> None:
    """set_seed, then deterministic algorithms off again: switching them on is what it is
    for, so it is not a lost state, but the calls after it must not inherit it."""
    try:
        labutils.set_seed(**arguments)
    finally:
        torch.use_deterministic_algorithms(False)


# No optimizer (fit makes one), or one over another model's parameters.
OPTIMIZERS = st.sampled_from(["none", "other model"]).map(
    lambda which: None if which == "none" else torch.optim.SGD(nn.Linear(2, 2).parameters()))


LOSSES = st.sampled_from([None, nn.CrossEntropyLoss(), nn.MSELoss(), nn.BCEWithLogitsLoss()])
METRICS = st.sampled_from([None, {}, {"accuracy": labutils.accuracy}])
ODD_METRICS = st.sampled_from([{"accuracy": 3}, {1: labutils.accuracy}, [labutils.accuracy]])


# --- Histories, confusion matrices, datasets -------------------------------------------------

HISTORY = st.fixed_dictionaries({"loss": st.lists(st.floats(0, 3), min_size=1, max_size=4)}).map(
    lambda h: {**h, "val_loss": list(h["loss"])})
ODD_HISTORY = st.one_of(
    st.just({}), st.just({"loss": []}), st.just({"loss": [1.0], "val_loss": [1.0, 2.0]}),
    st.just({"loss": [math.nan, math.inf]}), st.just({"loss": "0.5"}),
    st.just({"loss": [1.0, "x"]}),
    st.just({"accuracy": [0.5]}), st.just({"loss": [[1.0, 2.0]]}))
LABELS = st.lists(st.integers(0, 3), min_size=1, max_size=8)


def confusion(y_true: list[int], y_pred: list[int]):
    return labutils.confusion_matrix(y_true, y_pred)


CONFUSION = st.tuples(LABELS, LABELS).filter(lambda pair: len(pair[0]) == len(pair[1])).map(
    lambda pair: confusion(*pair))


def image_set(n: int) -> labutils.data.ImageTensors:
    return labutils.data.ImageTensors(filled((n, 1, 4, 4)), torch.arange(n) % 3)


DATASETS = st.integers(0, 12).map(image_set)
ODD_DATASETS = st.one_of(
    st.just([]), st.just([(torch.zeros(2), 1), (torch.zeros(3), 2)]),
    st.just([(torch.zeros(2), 1), "x"]), st.just([1, 2, 3]), st.just([(torch.zeros(2),)]),
    st.just(torch.utils.data.TensorDataset(torch.zeros(3, 2))),
    st.just([(np.zeros((2, 2)), "cat")]), st.just([("a", 0), ("b", 1)]))


# --- The registry ------------------------------------------------------------------------

class Case:
    """How to fuzz one public name: a function that takes the drawn arguments, the
    strategy of ``(args, kwargs)``, and its share of the profile's examples."""

    def __init__(self, function: Callable, strategy: st.SearchStrategy, share: float = 1.0):
        self.function, self.strategy, self.share = function, strategy, share


def data_loader_case(function: Callable, good: dict, odd: dict | None = None,
                     share: float = 1.0) -> Case:
    """A data loader, fuzzed on its arguments only (see :func:`no_data_search`)."""
    return Case(function, calls(good, odd), share)


STRATEGIES: dict[str, Case] = {
    # train.py
    "fit": Case(labutils.fit, calls(
        {"val_loader": st.none(), "epochs": st.integers(1, 2),
         "optimizer": OPTIMIZERS, "loss_fn": LOSSES, "metrics": METRICS,
         "scheduler": st.none(), "channels_last": BOOL, "live": st.just(False),
         "verbose": st.just(False), "mixed_precision": BOOL},
        {"metrics": ODD_METRICS, "epochs": st.sampled_from([0, -1, 10**9]),
         "val_loader": model_and_batches().map(lambda d: d["train_loader"])},
        joint=model_and_batches()), 1.5),
    "evaluate": Case(labutils.evaluate, calls(
        {"loss_fn": LOSSES, "metrics": METRICS,
         "channels_last": st.sampled_from([None, False, True]), "mixed_precision": BOOL},
        {"metrics": ODD_METRICS}, joint=model_and_batches("loader"))),
    "predict": Case(labutils.predict, calls(
        {"batch_size": st.integers(1, 5), "mixed_precision": BOOL},
        {"batch_size": st.sampled_from([0, -2, 2.5])}, joint=model_and_batches("data"))),
    "accuracy": Case(labutils.accuracy, calls(
        {"outputs": tensors(shapes=st.tuples(st.integers(1, 4), st.just(3))),
         "targets": tensors(shapes=st.tuples(st.integers(1, 4)), dtypes=st.just(torch.int64))},
        {"outputs": as_numpy(tensors()), "targets": as_numpy(tensors())})),
    # loaders.py
    "TensorLoader": Case(lambda *tensors, **options: list(labutils.TensorLoader(*tensors,
                                                                                **options)),
                         calls({"X": IMAGES, "batch_size": st.integers(1, 5), "shuffle": BOOL,
                                "seed": st.one_of(st.none(), st.integers(0, 9)),
                                "drop_last": BOOL, "transform": st.sampled_from(
                                    [None, labutils.random_shift]),
                                "device": st.sampled_from([None, "cpu"])},
                               {"X": ODD_IMAGES, "batch_size": st.sampled_from([0, -1, 2.0]),
                                "device": st.sampled_from(["gpu", "cuda:7", 3]),
                                "transform": st.just(lambda x: "not a tensor")},
                               positional=("X",))),
    "random_shift": Case(labutils.random_shift, calls(
        {"images": IMAGES, "max_shift": st.integers(0, 3)},
        {"images": ODD_IMAGES, "max_shift": st.sampled_from([-1, 10**6, 1.5])})),
    # plots.py
    "show_images": Case(labutils.show_images, calls(
        {"images": IMAGES, "labels": st.none(), "title": TEXT, "ncols": st.integers(1, 8),
         "cmap": st.just("gray"), "size": st.floats(0.5, 2)},
        {"images": st.one_of(ODD_IMAGES, st.lists(IMAGES, max_size=2)),
         "labels": st.lists(st.integers(), max_size=6), "cmap": st.just("no such map"),
         "size": st.sampled_from([0.0, -1.0, 1e6, math.nan])}), 0.5),
    "show_filters": Case(labutils.show_filters, calls(
        {"weight": tensors(shapes=st.tuples(st.integers(1, 4), st.sampled_from([1, 3]),
                                             st.integers(1, 3), st.integers(1, 3)),
                           dtypes=st.just(torch.float32)),
         "title": TEXT, "ncols": st.integers(1, 8)}, {"weight": ODD_IMAGES}), 0.5),
    "denormalize": Case(labutils.denormalize, calls(
        {"images": IMAGES, "stats": STATS}, {"images": ODD_IMAGES, "stats": ODD_STATS}).map(
        lambda call: ((), {"images": call[1]["images"],
                           **dict(zip(("mean", "std"), _pair(call[1]["stats"])))}))),
    "plot_history": Case(labutils.plot_history, calls(
        {"history": HISTORY, "title": TEXT, "names": st.none()},
        {"history": ODD_HISTORY, "names": st.sampled_from([[], ["nothing"], "loss"])}), 0.5),
    "compare_histories": Case(labutils.compare_histories, calls(
        {"histories": st.dictionaries(st.text(min_size=1, max_size=4), HISTORY, min_size=1,
                                      max_size=3),
         "name": st.sampled_from(["loss", "val_loss"]), "title": st.none()},
        {"histories": st.one_of(st.just({}), st.dictionaries(st.text(max_size=2), ODD_HISTORY,
                                                             min_size=1, max_size=2)),
         "name": st.just("accuracy")}), 0.5),
    "confusion_matrix": Case(labutils.confusion_matrix, calls(
        {"pair": st.tuples(LABELS, LABELS), "class_names": st.none()},
        {"class_names": st.lists(TEXT, max_size=5)}).map(
        lambda call: ((), {"y_true": _pair(call[1]["pair"])[0], "y_pred": _pair(call[1]["pair"])[1],
                           "class_names": call[1]["class_names"]}))),
    "plot_confusion_matrix": Case(labutils.plot_confusion_matrix, calls(
        {"cm": CONFUSION, "title": TEXT}), 0.5),
    "most_confused": Case(labutils.most_confused, calls(
        {"cm": CONFUSION, "top": st.integers(0, 5)}, {"top": st.sampled_from([-1, 2.5])})),
    # data/tensors.py
    "as_tensors": Case(labutils.as_tensors, calls(
        {"dataset": DATASETS, "batch_size": st.integers(1, 5)},
        {"dataset": ODD_DATASETS, "batch_size": st.sampled_from([0, -1, 1.5])})),
    "train_val_split": Case(labutils.train_val_split, calls(
        {"dataset": st.integers(2, 12).map(image_set), "val_size": st.sampled_from([1, 0.5]),
         "seed": st.integers(0, 9)},
        {"dataset": ODD_DATASETS, "val_size": NUMBERS})),
    "mean_std": Case(labutils.mean_std, calls({"images": IMAGES}, {"images": ODD_IMAGES})),
    # data/canvases.py, segmentation.py, domain_shift.py, photos.py
    "describe_digits": Case(labutils.describe_digits, calls(
        {"target": tensors(shapes=st.just((10,)), dtypes=st.just(torch.float32),
                           fills=st.just("zeros"))},
        {"target": as_numpy(tensors())})),
    "make_mnist_m": Case(labutils.make_mnist_m, calls(
        {"digits": GREY_DIGITS, "seed": st.integers(0, 9)},
        {"digits": ODD_DIGITS, "seed": st.sampled_from([-1, 2**70])}), 0.5),
    "make_segmentation_set": Case(labutils.make_segmentation_set, calls(
        {"glyphs": GREY_DIGITS, "size": st.integers(28, 40), "seed": st.integers(0, 9),
         "glyph_size": st.just((20, 28))},
        {"glyphs": ODD_DIGITS, "size": st.sampled_from([0, 5, 10**6]),
         "glyph_size": st.tuples(NUMBERS, NUMBERS)}), 0.5),
    "photo": Case(labutils.photo, calls(
        {"name": st.sampled_from(["camera", "chelsea", "coins", "china"]), "gray": BOOL},
        {"name": st.sampled_from(["kitten", "__init__", "download_all", "lfw_subset", ""])}),
        0.5),
    "pets_to_tensors": Case(labutils.pets_to_tensors, calls(
        {"dataset": st.just([]), "image_size": st.integers(8, 16), "limit": st.none()},
        {"dataset": ODD_DATASETS, "image_size": st.sampled_from([0, -1, 2.5]),
         "limit": st.sampled_from([-1, 1.5])})),
    # data/datasets.py: arguments only (see no_data_search)
    "load_mnist": data_loader_case(labutils.load_mnist, {
        "normalize": BOOL, "download": st.sampled_from([None, False]), "verbose": BOOL}),
    "load_fashion_mnist": data_loader_case(labutils.load_fashion_mnist, {
        "normalize": BOOL, "download": st.sampled_from([None, False]), "verbose": BOOL}),
    "load_hymenoptera": data_loader_case(labutils.load_hymenoptera, {
        "image_size": st.integers(8, 224), "augment": BOOL,
        "download": st.sampled_from([None, False]), "verbose": BOOL}),
    "load_oxford_pets": data_loader_case(labutils.load_oxford_pets, {
        "image_size": st.integers(8, 224), "target_types": st.sampled_from(
            ["category", "segmentation", ["category", "segmentation"]]),
        "download": st.sampled_from([None, False]), "verbose": BOOL},
        {"target_types": st.sampled_from(["breed", [], ["category", 3]])}),
    "load_digit_canvases": data_loader_case(labutils.load_digit_canvases, {
        "n_train": st.integers(1, 50), "n_val": st.integers(1, 50), "n_test": st.integers(1, 50),
        "val_digits": st.integers(1, 100), "seed": st.integers(0, 9), "verbose": BOOL},
        {"n_train": st.sampled_from([0, -5, 10**12])}),
    "imagenet_transform": Case(labutils.imagenet_transform, calls(
        {"image_size": st.integers(1, 300), "augment": BOOL},
        {"image_size": st.sampled_from([0, -3, 2.5, 10**9])}), 0.5),
    # pretrained.py
    "imagenet_categories": Case(labutils.imagenet_categories, st.just(((), {}))),
    "efficientnet_lite0_weights_path": Case(labutils.efficientnet_lite0_weights_path,
                                            st.just(((), {}))),
    "efficientnet_lite0": Case(labutils.efficientnet_lite0, calls({"pretrained": BOOL}), 0.2),
    "load_resnet18": Case(labutils.load_resnet18, calls(
        {"timeout": st.floats(0.01, 1), "cache_dir": st.none()},
        {"timeout": st.sampled_from([0, -1, math.nan, math.inf, 10**9])}), 0.3),
    "renormalize": Case(labutils.renormalize, calls(
        {"images": IMAGES.map(lambda x: x.expand(-1, 3, -1, -1)),
         "from_stats": st.just(labutils.IMAGENET_STATS), "to_stats": st.just(labutils.LITE0_STATS)},
        {"images": ODD_IMAGES, "from_stats": ODD_STATS, "to_stats": ODD_STATS})),
    # seed.py, device.py
    "set_seed": Case(seed_call, calls({"seed": st.integers(0, 2**32 - 1),
                                               "deterministic": st.just(False)},
                                              {"seed": st.sampled_from([-1, 2**64, 1.5])})),
    "get_device": Case(labutils.get_device, calls({"verbose": BOOL})),
    # explorers.py
    "conv_explorer": Case(labutils.conv_explorer, calls(
        {"n": st.integers(1, 9), "k": st.integers(1, 5), "p": st.integers(0, 2),
         "s": st.integers(1, 3), "d": st.integers(1, 2)},
        {"n": st.sampled_from([0, 10**6]), "k": st.sampled_from([0, 40])}, changed=1), 0.3),
    "transposed_conv_explorer": Case(labutils.transposed_conv_explorer, calls(
        {"n": st.integers(1, 6), "k": st.integers(1, 5), "s": st.integers(1, 3),
         "p": st.integers(0, 2)},
        {"n": st.sampled_from([0, 10**6]), "p": st.sampled_from([-1, 50])}, changed=1), 0.3),
    "threshold_explorer": Case(labutils.threshold_explorer, calls(
        {"probs": tensors(shapes=st.just((6, 3)), dtypes=st.just(torch.float32)).map(torch.sigmoid),
         "targets": tensors(shapes=st.just((6, 3)), dtypes=st.just(torch.int64)).map(
             lambda t: t.clamp(0, 1)),
         "threshold": st.floats(0.01, 0.99), "average": st.sampled_from(["macro", "micro"])},
        {"probs": as_numpy(tensors()), "targets": as_numpy(tensors()),
         "threshold": st.sampled_from([-1.0, 2.0, math.nan])}, changed=1), 0.3),
}


def _pair(value: object) -> tuple[object, object]:
    """The two halves of a drawn pair, or the odd value twice when it is no pair."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value[0], value[1]
    return value, value


# The error family: each is built with three texts, or a single message.
for _name in ("LabutilsError", "ArgumentTypeError", "ArgumentValueError", "ModelInputError",
              "SettingError", "DataNotFoundError"):
    STRATEGIES[_name] = Case(getattr(labutils, _name), st.one_of(
        st.tuples(st.tuples(TEXT, TEXT, TEXT), st.just({})),
        st.tuples(st.tuples(TEXT), st.just({}))))

# Public names that are not called here, each with its reason.
CONSTANTS = {"IMAGENET_STATS", "LITE0_STATS", "MNIST_STATS"}  # numbers, nothing to call
SKIPPED = {name: "labutils/models.py is lab 04's solution code, owned by another engineer "
                 "this round (make notebooks writes it from the notebook); fuzzed "
                 "by hand for the report, not here"
           for name in ("BasicBlock", "ResNet", "count_parameters", "shortcut", "small_stem",
                        "use_avg_down", "zero_init_last_bn")}


# --- The property ------------------------------------------------------------------------

class TookTooLong(BaseException):
    """A call ran past the time limit (a BaseException, so that no ``except Exception``
    inside labutils can swallow it)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def stop(signum, frame):
        raise TookTooLong(f"the call took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class DataSearchReached(Exception):
    """The stand-in for the data search: the arguments passed every check."""


@contextlib.contextmanager
def no_data_search() -> Iterator[None]:
    """The loaders stop where they would look for their data; ResNet-18 sees no network."""
    def stop(*args, **kwargs):
        raise DataSearchReached()

    saved = datasets.prepare, pretrained.why_unreachable
    datasets.prepare = stop
    pretrained.why_unreachable = lambda url, timeout: "the fuzz test allows no network"
    try:
        yield
    finally:
        datasets.prepare, pretrained.why_unreachable = saved


# Public names whose docstrings say that they draw from torch's random state.
DRAW_RANDOM_NUMBERS = {"fit", "set_seed", "TensorLoader", "random_shift", "efficientnet_lite0",
                       "load_resnet18"}


def global_state(name: str) -> dict[str, object]:
    state = {"grad mode": torch.is_grad_enabled(), "default dtype": torch.get_default_dtype(),
             "threads": torch.get_num_threads()}
    if name not in DRAW_RANDOM_NUMBERS:
        state["random state"] = torch.get_rng_state().tolist()
    return state


def check_call(name: str, args: tuple, kwargs: dict) -> None:
    """Run one drawn call and assert the property (see the module text)."""
    before = global_state(name)
    try:
        with no_data_search(), time_limit(TIME_LIMIT):
            STRATEGIES[name].function(*args, **kwargs)
    except (DataSearchReached, labutils.DataNotFoundError):
        pass  # the arguments were accepted; finding the data is not fuzzed
    except labutils.LabutilsError as error:
        message = str(error)
        assert "\nExpected: " in message and "\nWhat to do: " in message and error.given, \
            f"{name}: the message lacks its three parts:\n{message}"
    except TookTooLong:
        pytest.fail(f"{name} ran past {TIME_LIMIT} s")
    except Exception as error:
        pytest.fail(f"{name} let a raw {type(error).__module__}.{type(error).__name__} "
                    f"escape: {error}")
    finally:
        plt.close("all")
    after = global_state(name)
    changed = [part for part in before if before[part] != after[part]]
    assert not changed, f"{name} changed torch's global state: {', '.join(changed)}"


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_call_works_or_explains_itself(name):
    examples = max(2, round(settings.default.max_examples * STRATEGIES[name].share))

    @settings(max_examples=examples)
    @given(call=STRATEGIES[name].strategy)
    def run(call: tuple[tuple, dict]) -> None:
        check_call(name, *call)

    run()


def test_every_public_name_is_fuzzed():
    covered = set(STRATEGIES) | set(SKIPPED) | CONSTANTS
    assert sorted(set(labutils.__all__) - covered) == [], "public names without a strategy"
    assert sorted(covered - set(labutils.__all__)) == [], "strategies for names not public"
    assert all(reason for reason in SKIPPED.values())


def test_the_property_catches_a_raw_error_and_a_lost_state():
    """The checker itself: a raw torch error and a changed grad mode both fail it."""
    STRATEGIES["_raw"] = Case(lambda: torch.zeros(2) @ torch.zeros(3), st.just(((), {})))
    STRATEGIES["_state"] = Case(lambda: torch.set_grad_enabled(False), st.just(((), {})))
    STRATEGIES["_random"] = Case(lambda: torch.rand(1), st.just(((), {})))
    try:
        with pytest.raises(pytest.fail.Exception, match="raw builtins.RuntimeError"):
            check_call("_raw", (), {})
        with pytest.raises(AssertionError, match="grad mode"):
            check_call("_state", (), {})
        with pytest.raises(AssertionError, match="random state"):
            check_call("_random", (), {})
    finally:
        torch.set_grad_enabled(True)
        for name in ("_raw", "_state", "_random"):
            del STRATEGIES[name]
