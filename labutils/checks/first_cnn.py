"""Checks for lab 02 (your first CNN): the VGG-style block builder.

``check_vgg_block(vgg_block)`` builds several blocks with your function, looks at the
layers inside each one (their order, channels, kernel size and padding) and runs a batch
through it to check the output shape.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .core import Check, leaf_layers, own_random_state, shape_of
from .reference import exercise
from .registry import Target, lab_targets

HINTS: dict[str, tuple[str, ...]] = {
    "vgg_block": (
        "Collect the layers in a Python list, one at a time, and make the block from the "
        "list at the end: nn.Sequential(*layers).",
        "A loop that runs num_convs times adds three things each time: a 3x3 convolution "
        "with padding 1, a batch norm only when batch_norm is true, then a new activation "
        "layer. The max-pool comes once, after the loop, only when pool is true.",
        "Only the first convolution reads in_channels; every later one reads the "
        "out_channels of the one before, and all of them make out_channels. The batch norm "
        "normalises out_channels; the activation is activation(), a new layer made from "
        "the class each time; the pool is nn.MaxPool2d(2).",
    ),
}
TARGETS = lab_targets(2, (
    Target("MNIST test accuracy (lab 02)", goal=0.985,
           advice="run the training cell again from a fresh model (re-run the cell that "
           "builds it), and check that vgg_block passes its check with batch_norm=True "
           "honoured: the network relies on its batch norms. If you changed the recipe, go "
           "back to 10 epochs with the one-cycle schedule and random shifts."),
))

# (in_channels, out_channels, num_convs, batch_norm, activation, pool, input height/width)
CONFIGURATIONS = [
    (1, 8, 1, False, nn.ReLU, True, 28),
    (3, 16, 2, True, nn.SiLU, False, 10),
    (8, 4, 3, True, nn.GELU, True, 9),
    (16, 16, 2, False, nn.Tanh, True, 12),
]


def _describe(in_channels: int, out_channels: int, num_convs: int, batch_norm: bool,
              activation: type[nn.Module], pool: bool) -> str:
    return (f"vgg_block({in_channels}, {out_channels}, num_convs={num_convs}, "
            f"batch_norm={batch_norm}, activation=nn.{activation.__name__}, pool={pool})")


def _build(check: Check, vgg_block: Callable, description: str, *args, **kwargs) -> nn.Module:
    """Call the student's builder; name the two construction mistakes we know well."""

    def build() -> nn.Module:
        try:
            return vgg_block(*args, **kwargs)
        except TypeError as error:
            text = str(error)
            if "is not a Module subclass" in text:
                check.fail(
                    f"{description} raised TypeError: {text}\n"
                    "The activation class itself (nn.ReLU) was put into the block, not a "
                    "layer made from it.",
                    "a layer instance, e.g. nn.ReLU(), in the list of layers.",
                    "`activation` holds a class; call it to make a layer: activation().")
            if "kernel_size" in text:
                check.fail(
                    f"{description} raised TypeError: {text}",
                    "every nn.Conv2d to get a kernel size.",
                    "nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1).")
            raise

    return check.call(build, description=description)


def _names(layers: list[nn.Module]) -> str:
    return "[" + ", ".join(type(layer).__name__ for layer in layers) + "]"


def _expected_layers(num_convs: int, batch_norm: bool, activation: type[nn.Module],
                     pool: bool) -> list[str]:
    names = []
    for _ in range(num_convs):
        names += ["Conv2d", *(["BatchNorm2d"] if batch_norm else []), activation.__name__]
    return names + (["MaxPool2d"] if pool else [])


def _check_convs(check: Check, what: str, layers: list[nn.Module], in_channels: int,
                 out_channels: int, num_convs: int) -> None:
    """As many new 3x3 convolutions as asked, keeping the size, with the right channels."""
    convs = [layer for layer in layers if isinstance(layer, nn.Conv2d)]
    check.that(len(convs) == num_convs,
               f"{what} holds {len(convs)} nn.Conv2d layers.",
               f"{num_convs} (one per convolution asked for).",
               "loop `for i in range(num_convs):` and add one convolution each time.")
    check.that(len({id(conv) for conv in convs}) == len(convs),
               f"{what} uses the same nn.Conv2d object {len(convs)} times, so the "
               "convolutions share one set of weights.",
               "a new nn.Conv2d for every convolution.",
               "create the layer inside the loop, not once before it.")
    for index, conv in enumerate(convs):
        ordinal = f"convolution {index + 1}"
        check.that(conv.kernel_size == (3, 3),
                   f"In {what}, {ordinal} has kernel_size={conv.kernel_size}.",
                   "3x3 kernels, as in VGG.", "nn.Conv2d(..., kernel_size=3, padding=1).")
        check.that(conv.dilation == (1, 1),
                   f"In {what}, {ordinal} has dilation={conv.dilation}.",
                   "an ordinary 3x3 convolution (dilation 1).",
                   "leave out the dilation argument.")
        check.that(conv.padding in ((1, 1), "same"),
                   f"In {what}, {ordinal} has padding={conv.padding!r}, so it does not keep "
                   "the height and width of its input.",
                   "padding=1 (or padding=\"same\"), which keeps height and width unchanged "
                   "with a 3x3 kernel.",
                   "nn.Conv2d(..., kernel_size=3, padding=1).")
        check.that(conv.stride == (1, 1),
                   f"In {what}, {ordinal} has stride={conv.stride}.",
                   "stride 1: in a VGG block only the max-pool shrinks the image.",
                   "leave out the stride argument (it defaults to 1).")
        _check_conv_channels(check, what, index, conv, in_channels, out_channels)


def _check_conv_channels(check: Check, what: str, index: int, conv: nn.Conv2d,
                         in_channels: int, out_channels: int) -> None:
    ordinal = f"convolution {index + 1}"
    wanted_in = in_channels if index == 0 else out_channels
    if conv.in_channels != wanted_in:
        if index == 0:
            check.fail(f"In {what}, convolution 1 takes {conv.in_channels} input channels.",
                       f"in_channels={in_channels}, the channels of the block's input.",
                       "the first convolution goes from in_channels to out_channels.")
        check.fail(f"In {what}, {ordinal} takes {conv.in_channels} input channels, but "
                   f"the convolution before it produces {out_channels}.",
                   f"in_channels={out_channels} for every convolution after the first.",
                   "only the first convolution reads in_channels; the next ones read the "
                   "out_channels made by the previous one.")
    check.that(conv.out_channels == out_channels,
               f"In {what}, {ordinal} produces {conv.out_channels} channels.",
               f"out_channels={out_channels} for every convolution of the block.")
    check.that(conv.groups == 1,
               f"In {what}, {ordinal} has groups={conv.groups}.",
               "an ordinary convolution (groups=1): every output channel sees every input "
               "channel.", "leave out the groups argument.")


def _check_norms(check: Check, what: str, layers: list[nn.Module], out_channels: int,
                 num_convs: int, batch_norm: bool) -> None:
    """One nn.BatchNorm2d(out_channels) per convolution when asked, none otherwise."""
    norms = [layer for layer in layers if isinstance(layer, nn.modules.batchnorm._BatchNorm)]
    if not batch_norm:
        check.that(not norms, f"{what} holds {len(norms)} batch-norm layers.",
                   "none when batch_norm=False.", "add batch norm only `if batch_norm:`.")
        return
    check.that(len(norms) == num_convs,
               f"{what} holds {len(norms)} batch-norm layers.",
               f"{num_convs}: one nn.BatchNorm2d after each convolution.",
               "when batch_norm is True, add nn.BatchNorm2d(out_channels) after each conv.")
    for norm in norms:
        check.that(isinstance(norm, nn.BatchNorm2d),
                   f"{what} uses {type(norm).__name__}.",
                   "nn.BatchNorm2d, the batch norm for images (N, C, H, W).")
        check.that(norm.num_features == out_channels,
                   f"In {what}, a batch norm normalises {norm.num_features} channels.",
                   f"nn.BatchNorm2d({out_channels}): it follows a convolution that "
                   f"makes {out_channels} channels.")


def _check_activations(check: Check, what: str, layers: list[nn.Module],
                       activation: type[nn.Module], num_convs: int) -> None:
    """One layer of the class passed as ``activation`` per convolution."""
    acts = [layer for layer in layers if type(layer) is activation]
    if len(acts) == num_convs:
        check.ok()
        return
    others = sorted({type(layer).__name__ for layer in layers if type(layer).__module__
                     == nn.ReLU.__module__ and type(layer) is not activation})
    if not acts and others:
        check.fail(f"{what} uses {', '.join(others)} but no {activation.__name__}.",
                   f"nn.{activation.__name__} layers, the class passed as `activation`.",
                   "build each activation with activation(), not a fixed nn.ReLU().")
    check.fail(f"{what} holds {len(acts)} {activation.__name__} layers.",
               f"{num_convs}: one activation after each convolution.")


def _check_pool(check: Check, what: str, layers: list[nn.Module], pool: bool) -> None:
    pools = [layer for layer in layers if isinstance(layer, nn.MaxPool2d)]
    if pool:
        check.that(len(pools) == 1, f"{what} holds {len(pools)} nn.MaxPool2d layers.",
                   "exactly one, at the end of the block.",
                   "after the loop: if pool, add nn.MaxPool2d(2).")
    else:
        check.that(not pools, f"{what} holds {len(pools)} nn.MaxPool2d layers.",
                   "none when pool=False.", "add the max-pool only `if pool:`.")


def _check_output(check: Check, what: str, block: nn.Module, in_channels: int,
                  out_channels: int, pool: bool, size: int) -> None:
    """A batch goes through: (N, out_channels, H, W), halved with the pool."""
    x = torch.randn(2, in_channels, size, size)
    block.train()
    out = check.call(block, x, description=f"{what} applied to a batch of shape "
                     f"{tuple(x.shape)}")
    side = size // 2 if pool else size
    check.that(isinstance(out, torch.Tensor) and tuple(out.shape) == (2, out_channels, side, side),
               f"{what} turned a batch of shape {tuple(x.shape)} into {shape_of(out)}.",
               f"shape {(2, out_channels, side, side)}.",
               "3x3 convolutions with padding=1 keep the size; nn.MaxPool2d(2) halves it.")


def _check_one(check: Check, vgg_block: Callable, in_channels: int, out_channels: int,
               num_convs: int, batch_norm: bool, activation: type[nn.Module], pool: bool,
               size: int) -> None:
    what = _describe(in_channels, out_channels, num_convs, batch_norm, activation, pool)
    block = _build(check, vgg_block, what, in_channels, out_channels, num_convs=num_convs,
                   batch_norm=batch_norm, activation=activation, pool=pool)
    check.that(isinstance(block, nn.Module),
               f"{what} returned a {type(block).__name__}, not a PyTorch module.",
               "an nn.Module that holds the layers, e.g. nn.Sequential(*layers).",
               "collect the layers in a list, then return nn.Sequential(*layers).")
    layers = leaf_layers(block, repeats=True)
    _check_convs(check, what, layers, in_channels, out_channels, num_convs)
    _check_norms(check, what, layers, out_channels, num_convs, batch_norm)
    _check_activations(check, what, layers, activation, num_convs)
    _check_pool(check, what, layers, pool)
    expected = _expected_layers(num_convs, batch_norm, activation, pool)
    found = [type(layer).__name__ for layer in layers]
    check.that(found == expected, f"{what} has its layers in this order: {_names(layers)}.",
               f"[{', '.join(expected)}].",
               "each convolution is followed by its batch norm (if any), then the "
               "activation; the max-pool comes last.")
    _check_output(check, what, block, in_channels, out_channels, pool, size)


@exercise(2, "vgg_block", hints=HINTS["vgg_block"])
@own_random_state()
def check_vgg_block(vgg_block: Callable) -> None:
    """Build several VGG blocks with ``vgg_block`` and check their layers and output shapes."""
    check = Check("vgg_block")
    for configuration in CONFIGURATIONS:
        _check_one(check, vgg_block, *configuration)
    check.passed(f"all {len(CONFIGURATIONS)} configurations built and checked "
                 f"({check.count} checks passed).")
