"""Checks for lab 01, convolutions and pooling.

Every check compares your function with what PyTorch really does (``F.conv2d``, the
parameters and output shapes of ``nn.Conv2d``, gradients through a stack of layers),
so the right answers come from PyTorch, not from a formula written here. The formulas
below are the *typical mistakes*: when your answers match one of them, the message says
which mistake it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .core import Check, Mistake, float_tensor, one_thread, own_random_state, which_mistake
from .reference import exercise
from .registry import lab_targets

__all__ = ["check_conv2d_loop", "check_conv_output_size", "check_conv_param_count",
           "check_receptive_field"]

HINTS: dict[str, tuple[str, ...]] = {
    "conv2d_loop": (
        "Start with the size of the answer: at how many rows and how many columns does a "
        "kH x kW kernel fit completely inside an H x W image? Make an array of zeros that size.",
        "Two loops, over the output rows i and the output columns j. At (i, j) the window "
        "is the piece of the image whose top-left corner is (i, j), as big as the kernel.",
        "Each output value is the window times the kernel, element by element, added up "
        "(np.sum), with the kernel used as it is (no flip). Return the array after the loops.",
    ),
    "conv_param_count": (
        "Look at the shape of layer.weight printed above: (C_out, C_in, k, k). How many "
        "numbers does a tensor of that shape hold?",
        "The weights are the product of the four numbers of that shape. Then the biases: one "
        "per output channel, or none at all when bias is False.",
        "out_channels times in_channels times kernel_size squared, plus out_channels only "
        "when bias is true.",
    ),
    "conv_output_size": (
        "Count the positions along one axis: where can the window start, and what is the "
        "last start at which it still fits?",
        "The padded input is n + 2p pixels wide and the dilated kernel spans d(k - 1) + 1 of "
        "them, so the starts are 0, s, 2s, ... and the last one is at most "
        "n + 2p - d(k - 1) - 1.",
        "The number of starts is that last possible start divided by s, rounded down (//), "
        "plus 1 for the start at 0.",
    ),
    "receptive_field": (
        "Work out small stacks by hand first: one 3 x 3 layer sees 3 pixels, two see 5. What "
        "does each extra layer add, and what changes when a layer before it has stride 2?",
        "Keep two numbers while you walk through the layers, first to last: the field r "
        "(start at 1) and the jump j, how many input pixels lie between two neighbouring "
        "pixels of the current layer (start at 1).",
        "For each layer (k, s): r grows by (k - 1) * j, then j is multiplied by s. A layer "
        "adds k - 1 neighbours, each j input pixels apart; its stride spreads out only the "
        "layers that come after it.",
    ),
}
TARGETS = lab_targets(1, ())  # nothing is trained in lab 01


# --------------------------------------------------------------------------- loop convolution


def _correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """What ``F.conv2d`` gives for one channel, no padding, stride 1."""
    result = F.conv2d(torch.from_numpy(image)[None, None], torch.from_numpy(kernel)[None, None])
    return result[0, 0].numpy()


def _to_array(value: Any) -> np.ndarray | None:
    array = float_tensor(value)
    return array.numpy() if array is not None and array.dim() == 2 else None


FLIPPED_BOTH = ("you flipped the kernel, which is true convolution. "
                "torch.nn.functional.conv2d (and this exercise) computes cross-correlation: "
                "out[i, j] = sum of image[i + u, j + v] * kernel[u, v], with no flip.")
FLIPPED_ROWS = ("the kernel is flipped upside down (rows reversed): use kernel[u, v] with "
                "the same u as in image[i + u, j + v].")
FLIPPED_COLUMNS = ("the kernel is flipped left to right (columns reversed): use kernel[u, v] "
                   "with the same v as in image[i + u, j + v].")
TRANSPOSED = ("rows and columns of the kernel are swapped: use kernel[u, v] with "
              "image[i + u, j + v] (u walks down the rows, v along the columns).")
LOOP_FORMULA = ("out[i, j] = sum over u < kH and v < kW of image[i + u, j + v] * kernel[u, v]: "
                "the kernel's top-left weight meets the window's top-left pixel.")


def _shape_hint(found: tuple, image: tuple, kernel: tuple) -> str:
    (h, w), (kh, kw) = image, kernel
    if found == (h - kh, w - kw):
        return ("your loops stop one position early. The last window starts at row "
                "H - kH, so there are H - kH + 1 rows of windows: range(H - kH + 1), and "
                "likewise range(W - kW + 1) for the columns.")
    if found == (h, w):
        return ("the output has the size of the input. Without padding the kernel fits "
                "inside the image at only H - kH + 1 rows and W - kW + 1 columns of "
                "positions; this exercise asks for exactly those ('valid', no padding).")
    if kh != kw and found in ((h - kh + 1, w - kh + 1), (h - kw + 1, w - kw + 1)):
        return ("you used one kernel size for both directions. The kernel is kH x kW = "
                f"{kh} x {kw}: rows need H - kH + 1, columns W - kW + 1.")
    if found == (w - kw + 1, h - kh + 1):
        return ("rows and columns are swapped: the first axis of image and output is the "
                "row (height), the second is the column (width).")
    return ("one output value per position where the whole kernel fits inside the image: "
            "(H - kH + 1, W - kW + 1) for an H x W image and a kH x kW kernel.")


def _loop_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Images and kernels of several shapes; square kernels made neither symmetric nor
    flip-symmetric, so that every flip of the kernel gives a different answer."""
    rng = np.random.default_rng(0)
    shapes = [((5, 5), (3, 3)), ((6, 8), (2, 3)), ((7, 5), (3, 1)), ((4, 4), (4, 4)),
              ((5, 6), (1, 1)), ((9, 7), (3, 3))]
    cases = []
    for image_shape, kernel_shape in shapes:
        image = rng.integers(-4, 5, size=image_shape).astype(float)
        kernel = rng.integers(-3, 4, size=kernel_shape).astype(float)
        if kernel_shape[0] == kernel_shape[1] and kernel_shape[0] > 1:
            kernel[0, -1] = kernel[-1, 0] + 2
            kernel[0, 0] = kernel[-1, -1] + 3
        cases.append((image, kernel))
    return cases


def _loop_answer(check: Check, conv2d_loop: Callable, image: np.ndarray, kernel: np.ndarray,
                 description: str) -> np.ndarray:
    """Your output as a 2D array; your function must leave its inputs as they were."""
    given_image, given_kernel = image.copy(), kernel.copy()
    found = check.call(conv2d_loop, given_image, given_kernel, description=description)
    if not (np.array_equal(given_image, image) and np.array_equal(given_kernel, kernel)):
        check.fail(f"{description} changed its input arrays.",
                   "the image and the kernel to stay as they were.",
                   "write the results into a new array, e.g. np.zeros((out_h, out_w)).")
    result = _to_array(found)
    if result is None:
        check.fail(f"{description} returned {type(found).__name__}"
                   + (f" of shape {np.shape(found)}" if np.ndim(found) else "") + ".",
                   "a 2D NumPy array (rows, columns).",
                   "create the output with np.zeros((out_h, out_w)), fill it in the "
                   "loops, then `return` it.")
    return result


def _flip_hint(result: np.ndarray, image: np.ndarray, kernel: np.ndarray) -> str:
    """Which flip of the kernel your output matches, else the formula."""
    flips = [(kernel[::-1, ::-1], FLIPPED_BOTH), (kernel[::-1, :], FLIPPED_ROWS),
             (kernel[:, ::-1], FLIPPED_COLUMNS), (kernel.T, TRANSPOSED)]
    for other_kernel, other_hint in flips:
        if other_kernel.shape == kernel.shape and np.allclose(
                result, _correlate(image, np.ascontiguousarray(other_kernel)), atol=1e-6):
            return other_hint
    return LOOP_FORMULA


@exercise(1, "conv2d_loop", hints=HINTS["conv2d_loop"])
@one_thread()
def check_conv2d_loop(conv2d_loop: Callable[[np.ndarray, np.ndarray], Any]) -> None:
    """Check ``conv2d_loop(image, kernel)`` (2D arrays) against ``F.conv2d``: a 'valid'
    cross-correlation, output ``(H - kH + 1, W - kW + 1)``."""
    check = Check("conv2d_loop")
    for image, kernel in _loop_cases():
        description = (f"conv2d_loop(image of shape {image.shape}, "
                       f"kernel of shape {kernel.shape})")
        result = _loop_answer(check, conv2d_loop, image, kernel, description)
        expected = _correlate(image, kernel)
        check.that(result.shape == expected.shape,
                   f"{description} returned shape {result.shape}.",
                   f"shape {expected.shape}.",
                   _shape_hint(result.shape, image.shape, kernel.shape))
        if not np.isfinite(result).all():
            check.fail(f"{description} holds nan or inf values.",
                       "the same values as F.conv2d (cross-correlation) everywhere.",
                       "start from np.zeros((out_h, out_w)), not np.empty, and add up "
                       "image[i + u, j + v] * kernel[u, v].")
        if np.allclose(result, expected, atol=1e-6):
            check.ok()
            continue
        i, j = np.unravel_index(np.abs(result - expected).argmax(), expected.shape)
        check.fail(f"{description} gave {result[i, j]:g} at position ({i}, {j}), "
                   f"where F.conv2d gives {expected[i, j]:g}.",
                   "the same values as F.conv2d (cross-correlation) everywhere.",
                   _flip_hint(result, image, kernel))
    check.passed()


# --------------------------------------------------------------------------- parameters


def _weights(cin: int, cout: int, k: int) -> int:
    return cin * cout * k * k


PARAM_MISTAKES = [
    Mistake(lambda cin, cout, k, bias: _weights(cin, cout, k),
            "you forgot the biases: a conv layer has one bias per output channel "
            "(out_channels of them) on top of its weights."),
    Mistake(lambda cin, cout, k, bias: _weights(cin, cout, k) + cout,
            "with bias=False the layer has no biases at all: count the weights only."),
    Mistake(lambda cin, cout, k, bias: _weights(cin, cout, k) + (1 if bias else 0),
            "there is one bias per output channel, not one for the whole layer."),
    Mistake(lambda cin, cout, k, bias: _weights(cin, cout, k) + (cin if bias else 0),
            "biases belong to the output channels: out_channels of them, not in_channels."),
    Mistake(lambda cin, cout, k, bias: cout * k * k + (cout if bias else 0),
            "each filter looks at every input channel: its weights have shape "
            "(in_channels, k, k), so multiply by in_channels too."),
    Mistake(lambda cin, cout, k, bias: cin * k * k + (cout if bias else 0),
            "there is one filter per output channel: multiply the weights of one filter "
            "by out_channels."),
    Mistake(lambda cin, cout, k, bias: cin * cout * k + (cout if bias else 0),
            "a k x k kernel has k * k weights per input channel, not k."),
]


@exercise(1, "conv_param_count", hints=HINTS["conv_param_count"])
@one_thread()
@own_random_state()
def check_conv_param_count(conv_param_count: Callable[..., Any]) -> None:
    """Check ``conv_param_count(in_channels, out_channels, kernel_size, bias=True)``
    against ``sum(p.numel() for p in nn.Conv2d(...).parameters())``."""
    check = Check("conv_param_count")
    cases = [(3, 16, 3, True), (1, 6, 5, True), (16, 32, 3, True), (64, 128, 1, True),
             (8, 4, 3, False), (32, 32, 5, False), (3, 64, 7, True)]
    found, expected = [], []
    for cin, cout, k, bias in cases:
        description = f"conv_param_count({cin}, {cout}, {k}, bias={bias})"
        answer = check.whole_number(
            check.call(conv_param_count, cin, cout, k, bias=bias, description=description),
            description, "`return` the count you computed.",
            fraction_hint="a count of parameters is a product and a sum of whole numbers: "
            "no division is needed.")
        layer = nn.Conv2d(cin, cout, k, bias=bias)
        found.append(answer)
        expected.append(sum(p.numel() for p in layer.parameters()))
    for index, (case, answer, right) in enumerate(zip(cases, found, expected)):
        if answer == right:
            check.ok()
            continue
        cin, cout, k, bias = case
        hint = which_mistake(cases, found, index, PARAM_MISTAKES) or (
            "weights: out_channels * in_channels * k * k; biases: out_channels when "
            "bias=True, none when bias=False.")
        check.fail(f"conv_param_count({cin}, {cout}, {k}, bias={bias}) gave {answer!r}.",
                   f"{right}, which is sum(p.numel() for p in nn.Conv2d({cin}, {cout}, {k}, "
                   f"bias={bias}).parameters()).", hint)
    check.passed()


# --------------------------------------------------------------------------- output size


def _right_size(n: int, k: int, p: int, s: int, d: int) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


SIZE_MISTAKES = [
    Mistake(lambda n, k, p, s, d: (n + 2 * p - d * (k - 1) - 1) // s,
            "off by one: you forgot the final + 1. The first position of the kernel counts "
            "too: an n=5 input and a k=3 kernel give 3 positions, not 2."),
    Mistake(lambda n, k, p, s, d: (n + 2 * p - d * (k - 1)) // s + 1,
            "off by one: the formula subtracts 1 inside the floor, "
            "floor((n + 2p - d(k-1) - 1) / s) + 1."),
    Mistake(lambda n, k, p, s, d: n + 2 * p - d * (k - 1) - (1 // s) + 1,
            "operator precedence: `... - 1 // s + 1` divides only the 1 by s. Put the whole "
            "numerator in parentheses: (n + 2*p - d*(k - 1) - 1) // s + 1."),
    Mistake(lambda n, k, p, s, d: n + 2 * p - d * (k - 1),
            "the stride is ignored: with stride s the kernel jumps s pixels, so divide the "
            "room it can move in by s (and round down)."),
    Mistake(lambda n, k, p, s, d: (n + 2 * p - (k - 1) - 1) // s + 1,
            "the dilation is ignored: a kernel of size k with dilation d spans d(k-1) + 1 "
            "input pixels, so use d*(k - 1) where you used k - 1."),
    Mistake(lambda n, k, p, s, d: (n + 2 * p - d * k) // s + 1,
            "a dilated kernel spans d(k-1) + 1 pixels, not d*k: with k=3, d=2 it covers "
            "5 pixels (weights at 0, 2 and 4)."),
    Mistake(lambda n, k, p, s, d: (n + p - d * (k - 1) - 1) // s + 1,
            "padding is added on both sides of the image: use 2*p, not p."),
    Mistake(lambda n, k, p, s, d: (n - d * (k - 1) - 1) // s + 1,
            "the padding is ignored: p zeros on each side make the input n + 2p long."),
    Mistake(lambda n, k, p, s, d: -((-(n + 2 * p - d * (k - 1) - 1)) // s) + 1,
            "you rounded up. A last partial step does not fit, so round down: use // "
            "(floor division)."),
    Mistake(lambda n, k, p, s, d: round((n + 2 * p - d * (k - 1) - 1) / s) + 1,
            "you rounded to the nearest whole number. Round down instead: use // "
            "(floor division)."),
]


def _conv_width(n: int, k: int, p: int, s: int, d: int) -> int:
    """The output width of a real ``nn.Conv2d`` on an ``n x n`` image."""
    layer = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
    with torch.no_grad():
        return layer(torch.zeros(1, 1, n, n)).shape[-1]


def _size_cases(count: int = 200, seed: int = 1) -> list[tuple[int, int, int, int, int]]:
    named = [(28, 3, 0, 1, 1), (5, 3, 0, 1, 1), (28, 3, 1, 1, 1), (28, 5, 2, 1, 1),
             (28, 3, 1, 2, 1), (32, 3, 1, 2, 1), (27, 4, 0, 3, 1), (28, 3, 0, 1, 2),
             (28, 3, 2, 1, 2), (30, 5, 1, 2, 3), (224, 7, 3, 2, 1), (10, 1, 0, 3, 1)]
    rng = np.random.default_rng(seed)
    cases = list(named)
    while len(cases) < len(named) + count:
        n, k = int(rng.integers(1, 41)), int(rng.integers(1, 8))
        p, s, d = int(rng.integers(0, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 4))
        if d * (k - 1) + 1 <= n + 2 * p:
            cases.append((n, k, p, s, d))
    return cases


@exercise(1, "conv_output_size", hints=HINTS["conv_output_size"])
@one_thread()
@own_random_state()
def check_conv_output_size(conv_output_size: Callable[..., Any]) -> None:
    """Check ``conv_output_size(n, k, p=0, s=1, d=1)`` against the output widths of real
    ``nn.Conv2d`` layers, on hand-picked and many random configurations."""
    check = Check("conv_output_size")
    cases = _size_cases()
    widths = [_conv_width(*case) for case in cases]
    found = []
    for (n, k, p, s, d), right in zip(cases, widths):
        description = f"conv_output_size(n={n}, k={k}, p={p}, s={s}, d={d})"
        answer = check.whole_number(
            check.call(conv_output_size, n, k, p, s, d, description=description),
            description, "`return` the size you computed.", right=right,
            fraction_hint="a size counts positions, so round down: use // (floor division) "
            "instead of /.")
        found.append(answer)
    for index, (case, answer, right) in enumerate(zip(cases, found, widths)):
        n, k, p, s, d = case
        if answer == right:
            check.ok()
            continue
        hint = which_mistake(cases, found, index, SIZE_MISTAKES) or (
            "floor((n + 2p - d(k-1) - 1) / s) + 1: in Python (n + 2*p - d*(k - 1) - 1) // s + 1.")
        check.fail(f"conv_output_size(n={n}, k={k}, p={p}, s={s}, d={d}) gave {answer!r}.",
                   f"{right}: nn.Conv2d(1, 1, kernel_size={k}, stride={s}, padding={p}, "
                   f"dilation={d}) turns a {n}x{n} image into {right}x{right}.", hint)
    check.passed(f"all {check.count} configurations agree with nn.Conv2d.")


# --------------------------------------------------------------------------- receptive field


def measured_receptive_field(layers: Sequence[tuple[int, int]]) -> int:
    """How many input pixels (along one axis) one output pixel of a stack of layers
    depends on, measured with autograd. ``layers`` is a list of ``(kernel_size, stride)``.

    Every layer becomes a 1D convolution with all-one weights; the gradient of the first
    output pixel is non-zero exactly on the input pixels that reach it.
    """
    if not layers:
        return 1
    length = (sum(k for k, _ in layers) + 1) * math.prod(s for _, s in layers) + 1
    x = torch.ones(1, 1, length, requires_grad=True)
    y = x
    for k, s in layers:
        y = F.conv1d(y, torch.ones(1, 1, k), stride=s)
    y[0, 0, 0].backward()
    reached = torch.nonzero(x.grad[0, 0]).flatten()
    return int(reached.max() - reached.min() + 1)


def _rf_ignoring_strides(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def _rf_sum_of_kernels(layers):
    return sum(k for k, _ in layers)


def _rf_from_zero(layers):
    size, jump = 0, 1
    for k, s in layers:
        size += (k - 1) * jump
        jump *= s
    return size


def _rf_stride_too_early(layers):
    size, jump = 1, 1
    for k, s in layers:
        jump *= s
        size += (k - 1) * jump
    return size


def _rf_backward_in_forward_order(layers):
    size = 1
    for k, s in layers:
        size = s * size + (k - s)
    return size


def _rf_product(layers):
    return math.prod(k for k, _ in layers)


RF_MISTAKES = [
    Mistake(_rf_ignoring_strides,
            "the strides are ignored. After a layer with stride s, one step of the next "
            "layer moves s input pixels, so its k - 1 extra pixels count s times: keep a "
            "running product of the strides so far (the 'jump') and add (k - 1) * jump."),
    Mistake(_rf_from_zero,
            "start from 1: with no layers an output pixel sees exactly one input pixel; each "
            "layer then adds (k - 1) * jump."),
    Mistake(_rf_sum_of_kernels,
            "each layer adds k - 1 pixels, not k (neighbouring windows overlap), and the "
            "strides of earlier layers multiply that: start from 1, add (k - 1) * jump."),
    Mistake(_rf_stride_too_early,
            "a layer's stride spreads out the layers after it, not the layer itself: add "
            "(k - 1) * jump first, then multiply the jump by s."),
    Mistake(_rf_backward_in_forward_order,
            "the recursion r = s * r + (k - s) runs from the last layer back to the first: "
            "walk the layers in reverse, `for k, s in reversed(layers)`."),
    Mistake(_rf_product,
            "receptive fields do not multiply: each layer adds (k - 1) * jump pixels, where "
            "jump is the product of the strides of the layers before it."),
]


def _rf_cases(count: int = 40, seed: int = 3) -> list[list[tuple[int, int]]]:
    named = [[(3, 1)], [(3, 1), (3, 1)], [(3, 1), (3, 1), (3, 1)], [(2, 2), (3, 1)],
             [(3, 2), (3, 2)], [(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)],
             [(7, 2), (3, 2), (3, 1), (3, 1)], [(5, 1), (2, 2), (5, 1), (2, 2), (3, 1)],
             [(1, 1)], []]
    rng = np.random.default_rng(seed)
    random_stacks = [[(int(rng.integers(1, 8)), int(rng.integers(1, 4)))
                      for _ in range(int(rng.integers(1, 7)))] for _ in range(count)]
    return named + random_stacks


@exercise(1, "receptive_field", hints=HINTS["receptive_field"])
@one_thread()
def check_receptive_field(receptive_field: Callable[[list[tuple[int, int]]], Any]) -> None:
    """Check ``receptive_field(layers)``, ``layers`` a list of ``(kernel_size, stride)``,
    against the receptive field measured with gradients through real convolutions."""
    check = Check("receptive_field")
    cases = _rf_cases()
    found = []
    for layers in cases:
        description = f"receptive_field({layers})"
        answer = check.whole_number(
            check.call(receptive_field, [tuple(layer) for layer in layers],
                       description=description),
            description, "`return` the size you computed.",
            expected="a whole number (an int): the width of the region, in input pixels.",
            fraction_hint="the receptive field only adds and multiplies whole numbers: "
            "no division is needed.")
        found.append(answer)
    for index, (layers, answer) in enumerate(zip(cases, found)):
        right = measured_receptive_field(layers)
        if answer == right:
            check.ok()
            continue
        hint = which_mistake([(c,) for c in cases], found, index, RF_MISTAKES) or (
            "start with size = 1 and jump = 1; for each (k, s): size += (k - 1) * jump, "
            "then jump *= s.")
        check.fail(f"receptive_field({layers}) gave {answer!r}.",
                   f"{right}: one output pixel of that stack depends on a {right} x {right} "
                   "region of the input (measured with gradients).", hint)
    check.passed(f"all {check.count} stacks agree with the measured receptive field.")
