"""Checks for lab 05: transposed convolution by hand, zero insertion, output sizes, U-Net.

Each check runs your code on a few cases, compares it with PyTorch, and when something
is off it tries the usual mistakes one by one to tell you which one it is. The lab's
exercises, their hints and its target are listed first.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from .core import (
    Check,
    Mistake,
    float_tensor,
    own_random_state,
    recording,
    shape_of,
    which_mistake,
)
from .reference import exercise
from .registry import Target, lab_targets

HINTS: dict[str, tuple[str, ...]] = {
    "result_by_hand": (
        "Draw a 3x3 grid of zeros. The top-left input pixel, 1, lays 1 x kernel onto the "
        "top-left 2x2 block of the grid: that is its stamp.",
        "Each input pixel has its own 2x2 block: 5 the top-right one, 3 the bottom-left one, "
        "2 the bottom-right one. Write the four stamps down, each on a 3x3 grid of its own, "
        "the kernel as it is (not flipped).",
        "Add the four grids entry by entry. A corner gets one stamp, an edge middle two, and "
        "the centre all four: 1*3 + 5*2 + 3*1 + 2*0.",
    ),
    "conv_transpose_by_hand": (
        "Start from an output full of zeros, (H - 1) * stride + kh rows by "
        "(W - 1) * stride + kw columns, and visit the input pixels one at a time.",
        "Input pixel (i, j) stamps x[i, j] * kernel onto the output block whose top-left "
        "corner is (i * stride, j * stride); the kernel is not flipped.",
        "Add each stamp into its block with +=, not =: where blocks overlap, the values "
        "sum. A slice of the output, out[top:top + kh, left:left + kw], is that block.",
    ),
    "zero_insert_and_pad": (
        "Try stride 1 first: no zeros go between the pixels, yet the output is k - 1 pixels "
        "wider than the input. How much padding makes a valid k x k convolution grow a row "
        "by k - 1? Then stride 2: how far apart must two pixels be for their stamps to "
        "start 2 pixels apart?",
        "Between neighbouring pixels go stride - 1 zeros. Around the result go k - 1 rings "
        "of zeros, less the `padding` p that the transposed convolution crops from each "
        "side: p' = k - p - 1.",
        "Make a zero tensor of (H - 1) * stride + 1 rows and (W - 1) * stride + 1 columns "
        "(x.new_zeros keeps the batch and channels), copy x into every stride-th row and "
        "column with step slicing, then F.pad it by p' on all four sides.",
    ),
    "conv_transpose_output_size": (
        "Start from the simplest case, s = 1, p = 0, d = 1, no output padding: by hand you "
        "found n + k - 1. With a stride, the n input pixels are placed s apart.",
        "Dilation makes the kernel span d(k - 1) + 1 pixels; padding p now crops p pixels "
        "from each side of the output; output_padding adds its rows on one side only.",
        "All together: (n - 1) s - 2p + d(k - 1) + output_padding + 1, with whole numbers "
        "only (no division).",
    ),
    "UNet": (
        "Make every layer in __init__ from the four arguments and keep each kind in an "
        "nn.ModuleList: depth encoder blocks, one bottleneck block, depth upsampling layers "
        "and depth decoder blocks, then the 1x1 head.",
        "Level i has base_channels * 2**i channels, the bottleneck base_channels * "
        "2**depth. Each ConvTranspose2d(kernel_size=2, stride=2) halves the channels it "
        "gets; the decoder block after it takes twice its output, because the skip is "
        "joined to it.",
        "forward: going down, run a block, save its output in a list, max-pool; then the "
        "bottleneck; going up, from the deepest level: upsample, torch.cat with the saved "
        "map of the same size (the list read backwards), decoder block; last, the head, "
        "with no sigmoid.",
    ),
}
TARGETS = lab_targets(5, (
    Target("U-Net test foreground IoU", goal=0.80, percent=False,
           advice="train the full 5 epochs with the one-cycle schedule of the lab; check "
           "that UNet returns logits (no sigmoid) and that the masks are compared as "
           "logits > 0; more epochs or base_channels=16 give the network more to work with."),
))

EXAMPLE_INPUT = [[1.0, 5.0], [3.0, 2.0]]
EXAMPLE_KERNEL = [[0.0, 1.0], [2.0, 3.0]]


# --------------------------------------------------------------------------- helpers


def _reference_transpose(x: torch.Tensor, kernel: torch.Tensor, stride: int = 1) -> torch.Tensor:
    """``F.conv_transpose2d`` for one 2-D input and one 2-D kernel."""
    return F.conv_transpose2d(x[None, None], kernel[None, None], stride=stride)[0, 0]


def _scatter(x: torch.Tensor, kernel: torch.Tensor, stride: int, place_with_stride: bool,
             accumulate: bool) -> torch.Tensor:
    """A transposed convolution written as a scatter, optionally with a typical mistake."""
    kh, kw = kernel.shape
    out = torch.zeros((x.shape[0] - 1) * stride + kh, (x.shape[1] - 1) * stride + kw,
                      dtype=torch.float64)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            top, left = (i * stride, j * stride) if place_with_stride else (i, j)
            if accumulate:
                out[top:top + kh, left:left + kw] += x[i, j] * kernel
            else:
                out[top:top + kh, left:left + kw] = x[i, j] * kernel
    return out


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def _grid(t: torch.Tensor) -> str:
    """A small 2-D tensor as text, e.g. [[0, 1, 5], [2, 16, 17], [6, 13, 6]]."""
    rows = t.tolist()
    return "[" + ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in rows) + "]"


# --------------------------------------------------------------------------- by hand, on paper


def _overwritten(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """The example with each stamp overwriting the one before (row by row), not added."""
    return _scatter(x, kernel, 1, place_with_stride=True, accumulate=False)


def _hand_grid(check: Check, answer: Any) -> torch.Tensor:
    """Your nine numbers as a float64 tensor of shape (3, 3)."""
    what = "result_by_hand() returned" if callable(answer) else "Your result is"
    raw = check.call(answer, description="result_by_hand()") if callable(answer) else answer
    form = "a grid of three rows, e.g. return [[a, b, c], [d, e, f], [g, h, i]]"
    if raw is None:
        check.fail(f"{what} None: no numbers.", f"{form}.",
                   "write `return` in front of your grid.")
    grid = float_tensor(raw)
    if grid is None:
        rows = [len(row) for row in raw] if isinstance(raw, (list, tuple)) and all(
            isinstance(row, (list, tuple)) for row in raw) else None
        check.fail(f"{what} {raw!r}, which is not a grid of numbers"
                   + (f" (its rows have {rows} entries)." if rows else "."),
                   f"{form}: three rows of three numbers.",
                   "write each entry as a number (such as 4 or 2.5), each row in its own brackets.")
    if grid.dim() == 1 and grid.numel() == 9:
        check.fail(f"{what} nine numbers in one row.", f"{form}.",
                   "put the three rows of the output in their own brackets, top row first.")
    if tuple(grid.shape) != (3, 3):
        words = {
            (1, 1): ": one number, the size of an ordinary (valid) convolution of a 2x2 "
                    "input with a 2x2 kernel",
            (2, 2): ": the size of the input",
            (4, 4): ": the size of the output with stride 2, where the stamps do not overlap",
        }.get(tuple(grid.shape), "")
        check.fail(f"{what} of shape {tuple(grid.shape)}{words}.",
                   "shape (3, 3): (n - 1) * stride + k = (2 - 1) * 1 + 2 = 3 rows and "
                   "columns.",
                   "a transposed convolution makes the map larger: each of the four input "
                   "pixels stamps a whole 2x2 copy of the kernel, one pixel apart, onto a 3x3 "
                   "grid.")
    if not bool(torch.isfinite(grid).all()):
        check.fail(f"{what} a grid that holds nan or inf.", "nine finite numbers.",
                   "every entry is a small sum of products of the numbers given.")
    return grid


def _hand_mistake(grid: torch.Tensor, x: torch.Tensor, kernel: torch.Tensor,
                  expected: torch.Tensor) -> tuple[str, str] | None:
    """What a known wrong grid shows, and the hint for it; None when it is no known one."""
    if _same(grid, _reference_transpose(x, kernel.flip(0, 1))):
        return ("it is the result of the kernel flipped by 180 degrees (true convolution).",
                "each input pixel stamps the kernel as it is: x[i, j] * kernel, with the "
                "kernel's top-left weight on the block's top-left corner.")
    if _same(grid, _overwritten(x, kernel)):
        return ("where stamps overlap, only the last stamp is left.",
                "overlapping stamps add up: an entry covered by two or four stamps is their "
                "sum.")
    if _same(grid, expected.T):
        return ("its rows are the columns of the right result: the grid is transposed.",
                "write the output row by row: the first inner list is the top row.")
    if _same(grid, _reference_transpose(x.T, kernel)) or _same(grid, _reference_transpose(
            x, kernel.T)):
        return ("it is the result of an input or kernel read column by column.",
                "x[i, j] and kernel[u, v] have their row first: x = [[1, 5], [3, 2]] has 1 "
                "and 5 in its top row.")
    for i in range(2):
        for j in range(2):
            stamp = torch.zeros(3, 3, dtype=torch.float64)
            stamp[i:i + 2, j:j + 2] = x[i, j] * kernel
            if _same(grid, expected - stamp):
                return (f"the stamp of input pixel x[{i}, {j}] = {x[i, j].item():g} is "
                        "missing.",
                        "all four input pixels stamp a scaled kernel onto the grid; add the "
                        "four stamps.")
    return None


@exercise(5, "result_by_hand", hints=HINTS["result_by_hand"])
def check_result_by_hand(result_by_hand: Any) -> None:
    """Check your 3x3 result of the transposed convolution of [[1, 5], [3, 2]] with the
    kernel [[0, 1], [2, 3]], stride 1, against ``F.conv_transpose2d``. ``result_by_hand``
    is a function that returns the grid, or the grid itself (nested lists, a tensor or a
    NumPy array)."""
    check = Check("result_by_hand")
    x = torch.tensor(EXAMPLE_INPUT, dtype=torch.float64)
    kernel = torch.tensor(EXAMPLE_KERNEL, dtype=torch.float64)
    grid = _hand_grid(check, result_by_hand)
    check.ok()
    expected = _reference_transpose(x, kernel)
    if _same(grid, expected):
        check.passed("your 3x3 result is right: it equals F.conv_transpose2d.")
        return
    known = _hand_mistake(grid, x, kernel, expected)
    if known is not None:
        check.fail(f"Your grid {_grid(grid)} is not the transposed convolution: {known[0]}",
                   "the sum of the four stamps.", known[1])
    wrong = [(i, j) for i in range(3) for j in range(3)
             if abs(grid[i, j].item() - expected[i, j].item()) > 1e-4]
    places = ", ".join(f"({i}, {j})" for i, j in wrong)
    differ = "differs" if len(wrong) == 1 else "differ"
    check.fail(f"{len(wrong)} of the 9 entries of your grid {_grid(grid)} {differ} from "
               f"F.conv_transpose2d: at (row, column) {places}, counting from 0.",
               "each of them to be the sum of the stamps that cover it (your other "
               "entries are right).",
               "an entry is the sum of the stamps that cover it: list which of the four "
               "2x2 blocks contain it, and add x[i, j] * kernel[u, v] for each.")


# --------------------------------------------------------------------------- exercise 1


def _transpose_answer(check: Check, conv_transpose_by_hand: Callable, x: torch.Tensor,
                      kernel: torch.Tensor, stride: int, call: str) -> torch.Tensor:
    """Your output as a float64 tensor of the right shape."""
    found_raw = check.call(conv_transpose_by_hand, x.clone(), kernel.clone(), stride,
                           description=call)
    found = float_tensor(found_raw)
    if found is None:
        check.fail(f"{call} returned a {type(found_raw).__name__}, not numbers.",
                   "a tensor (or array) holding the output.",
                   "create the output with torch.zeros(...) and return it.")
    size = tuple((n - 1) * stride + k for n, k in zip(x.shape, kernel.shape))
    if tuple(found.shape) != size:
        valid = (x.shape[0] - kernel.shape[0] + 1, x.shape[1] - kernel.shape[1] + 1)
        if tuple(found.shape) == valid:
            check.fail(f"{call} returned shape {shape_of(found)}: the size of an ordinary "
                       "(valid) convolution, which makes the map smaller.",
                       f"shape {size}.",
                       "a transposed convolution makes the map larger: every input pixel "
                       "spreads a whole copy of the kernel onto the output, so the output "
                       "has (n - 1) * stride + k rows and columns.")
        check.fail(f"{call} returned shape {shape_of(found)}.", f"shape {size}.",
                   "the output has (n - 1) * stride + k rows (and the same rule for "
                   "columns).")
    if not bool(torch.isfinite(found).all()):
        check.fail(f"{call} holds nan or inf values.", "finite numbers.",
                   "start from torch.zeros(...), not torch.empty(...), and add each "
                   "x[i, j] * kernel into it.")
    return found


def _transpose_mistake(found: torch.Tensor, x: torch.Tensor, kernel: torch.Tensor,
                       stride: int) -> tuple[str, str]:
    """What your wrong output shows, and the hint for it."""
    if _same(found, _reference_transpose(x, kernel.flip(0, 1), stride)):
        return (": the result of the flipped kernel.",
                "do not flip the kernel here: input pixel (i, j) adds x[i, j] * kernel to "
                "the output block that starts at (i * stride, j * stride), kernel as it is.")
    if _same(found, _scatter(x, kernel, stride, place_with_stride=True, accumulate=False)):
        return (": where two copies of the kernel overlap, only the last one survived.",
                "overlapping contributions add up: use += when you write a block into the "
                "output, not =.")
    if stride > 1 and _same(found, _scatter(x, kernel, stride, place_with_stride=False,
                                            accumulate=True)):
        return (": the copies of the kernel were placed one pixel apart although the stride "
                "is 2.",
                "input pixel (i, j) writes to the block starting at (i * stride, j * stride).")
    worst = (found - _reference_transpose(x, kernel, stride)).abs().max().item()
    return (f", off by up to {worst:g}.",
            "for every input pixel (i, j): output[i*s : i*s + kh, j*s : j*s + kw] "
            "+= x[i, j] * kernel.")


@exercise(5, "conv_transpose_by_hand", hints=HINTS["conv_transpose_by_hand"])
def check_conv_transpose_by_hand(conv_transpose_by_hand: Callable) -> None:
    """Check ``conv_transpose_by_hand(x, kernel, stride=1)`` for 2-D tensors against
    ``F.conv_transpose2d``: the lab's example, random sizes, then stride 2."""
    check = Check("conv_transpose_by_hand")
    generator = torch.Generator().manual_seed(5)
    cases = [
        (torch.tensor(EXAMPLE_INPUT), torch.tensor(EXAMPLE_KERNEL), 1),
        (torch.randint(-3, 4, (3, 4), generator=generator).double(),
         torch.randint(-3, 4, (2, 3), generator=generator).double(), 1),
        (torch.tensor(EXAMPLE_INPUT), torch.tensor(EXAMPLE_KERNEL), 2),
        (torch.randint(-3, 4, (3, 2), generator=generator).double(),
         torch.randint(-3, 4, (3, 3), generator=generator).double(), 2),
    ]
    for x, kernel, stride in cases:
        x, kernel = x.double(), kernel.double()
        call = (f"conv_transpose_by_hand(x={_grid(x)}, kernel={_grid(kernel)}, "
                f"stride={stride})")
        found = _transpose_answer(check, conv_transpose_by_hand, x, kernel, stride, call)
        expected = _reference_transpose(x, kernel, stride)
        if _same(found, expected):
            check.ok()
            continue
        shows, hint = _transpose_mistake(found, x, kernel, stride)
        check.fail(f"{call} gave {_grid(found)}{shows}", f"{_grid(expected)}.", hint)
    check.passed()


# --------------------------------------------------------------------------- exercise 2


def _zero_insert_and_pad(x: torch.Tensor, stride: int, kernel_size: int, padding: int,
                         zeros: int | None = None, pad: int | None = None,
                         trailing: bool = False) -> torch.Tensor:
    """The right answer, or (with ``zeros``, ``pad``, ``trailing``) a typical wrong one."""
    zeros = stride - 1 if zeros is None else zeros
    pad = kernel_size - padding - 1 if pad is None else pad
    n, c, h, w = x.shape
    step = zeros + 1
    rows = (h - 1) * step + 1 + (zeros if trailing else 0)
    cols = (w - 1) * step + 1 + (zeros if trailing else 0)
    spread = x.new_zeros(n, c, rows, cols)
    spread[:, :, ::step, ::step] = x
    return F.pad(spread, (pad, pad, pad, pad))


def _zero_insert_shape_mistake(found: torch.Tensor, x: torch.Tensor, stride: int, k: int,
                               p: int) -> str | None:
    """Which typical mistake gives your (wrong) shape, in words."""
    mistakes = [
        ({"zeros": stride}, f"you put stride = {stride} zeros between pixels"),
        ({"trailing": True}, "you also put zeros after the last row and column"),
        ({"pad": 0}, "you did not pad at all"
         + (f" (or padded by p = {p} instead of p')" if p == 0 else "")),
        ({"pad": p}, f"you padded by p = {p} instead of p'"),
        ({"pad": k - 1}, f"you padded by k - 1 = {k - 1}, ignoring the padding p"),
    ]
    guesses = [(_zero_insert_and_pad(x, stride, k, p, **change), words)
               for change, words in mistakes]
    for guess, words in guesses:
        if _same(found, guess):
            return words
    for guess, words in guesses:
        if guess.shape == found.shape:
            return words
    return None


def _check_zero_insert_case(check: Check, zero_insert_and_pad: Callable, x: torch.Tensor,
                            stride: int, k: int, p: int, generator: torch.Generator) -> None:
    call = (f"zero_insert_and_pad(x of shape {tuple(x.shape)}, stride={stride}, "
            f"kernel_size={k}, padding={p})")
    found_raw = check.call(zero_insert_and_pad, x.clone(), stride, k, p, description=call)
    found = float_tensor(found_raw)
    if found is None or found.dim() != 4:
        check.fail(f"{call} returned {shape_of(found_raw)}.",
                   "a tensor of shape (N, C, H', W'), like its input.",
                   "keep the batch and channel dimensions: build the result with "
                   "x.new_zeros(N, C, rows, cols).")
    expected = _zero_insert_and_pad(x, stride, k, p)
    rule = (f"z = stride - 1 = {stride - 1} zeros between neighbouring pixels, then "
            f"p' = k - p - 1 = {k - p - 1} rows and columns of zeros on every side")
    if found.shape != expected.shape:
        words = _zero_insert_shape_mistake(found, x, stride, k, p)
        check.fail(f"{call} returned shape {shape_of(found)}"
                   + (f": it looks like {words}." if words else "."),
                   f"shape {tuple(expected.shape)}.", f"the rule is {rule}.")
    if not _same(found, expected):
        check.fail(f"{call} has the right shape {tuple(expected.shape)} but the pixels "
                   "are not where they should be.",
                   f"x[..., i, j] at row p' + i * stride, column p' + j * stride, and "
                   f"zeros everywhere else ({rule}).",
                   "assign with a step: spread[..., ::stride, ::stride] = x, then pad.")
    # And the point of it all: an ordinary convolution now gives the transposed one.
    weight = torch.randn(x.shape[1], 3, k, k, generator=generator, dtype=torch.float64)
    via_conv = F.conv2d(found, weight.flip(2, 3).transpose(0, 1))
    direct = F.conv_transpose2d(x, weight, stride=stride, padding=p)
    check.that(_same(via_conv, direct),
               f"conv2d of {call} with the flipped kernel differs from conv_transpose2d.",
               "them to be equal.", f"the rule is {rule}.")


@exercise(5, "zero_insert_and_pad", hints=HINTS["zero_insert_and_pad"])
def check_zero_insert_and_pad(zero_insert_and_pad: Callable) -> None:
    """Check ``zero_insert_and_pad(x, stride, kernel_size, padding)`` on ``(N, C, H, W)``
    tensors: the tensor itself, and that an ordinary convolution of it with the flipped
    kernel equals ``F.conv_transpose2d``."""
    check = Check("zero_insert_and_pad")
    generator = torch.Generator().manual_seed(7)
    example = torch.tensor(EXAMPLE_INPUT, dtype=torch.float64)[None, None]
    cases = [(example, 1, 2, 0), (example, 2, 3, 0), (example, 2, 3, 1),
             (torch.randn(2, 3, 3, 4, generator=generator, dtype=torch.float64), 3, 4, 1),
             (torch.randn(1, 2, 4, 3, generator=generator, dtype=torch.float64), 2, 4, 3)]
    for x, stride, k, p in cases:
        _check_zero_insert_case(check, zero_insert_and_pad, x, stride, k, p, generator)
    check.passed()


# --------------------------------------------------------------------------- exercise 3


def _right_size(n: int, k: int, s: int, p: int, d: int, op: int) -> int:
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


# Typical wrong formulas, each with what it tells the student.
_WRONG_SIZES = [
    Mistake(lambda n, k, s, p, d, op: (n + 2 * p - d * (k - 1) - 1) // s + 1,
            ("this is the size of an ordinary convolution (lab 01), which shrinks the map; a "
             "transposed convolution runs that formula backwards: (n - 1)s - 2p + d(k - 1) + "
             "output_padding + 1")),
    Mistake(lambda n, k, s, p, d, op: (n - 1) * s - 2 * p + (k - 1) + op + 1,
            "dilation is missing: a dilated kernel spans d(k - 1) + 1 pixels, so write d(k - 1)"),
    Mistake(lambda n, k, s, p, d, op: (n - 1) * s - 2 * p + d * (k - 1) + 1,
            "output_padding is missing: it adds that many rows/columns on one side, so add it"),
    Mistake(lambda n, k, s, p, d, op: (n - 1) * s + 2 * p + d * (k - 1) + op + 1,
            ("padding has the wrong sign: in a transposed convolution padding removes 2p pixels "
             "from the output instead of adding them")),
    Mistake(lambda n, k, s, p, d, op: (n - 1) * s - p + d * (k - 1) + op + 1,
            "padding is removed on both sides, so subtract 2p, not p"),
    Mistake(lambda n, k, s, p, d, op: (n - 1) * s - 2 * p + d * (k - 1) + op,
            "the final + 1 is missing"),
    Mistake(lambda n, k, s, p, d, op: n * s - 2 * p + d * (k - 1) + op + 1,
            "use (n - 1) * s: the n input pixels are n - 1 strides apart"),
]


def random_transpose_configs(count: int = 200, seed: int = 0) -> list[tuple[int, ...]]:
    """Random valid ``(n, k, s, p, d, output_padding)`` for ``nn.ConvTranspose2d``."""
    rng = random.Random(seed)
    configs = [(2, 2, 1, 0, 1, 0), (4, 3, 2, 1, 1, 1), (7, 4, 2, 1, 1, 0), (5, 3, 1, 1, 2, 0)]
    while len(configs) < count:
        n, k, s, d = rng.randint(1, 12), rng.randint(1, 6), rng.randint(1, 4), rng.randint(1, 3)
        p = rng.randint(0, 3)
        op = rng.randint(0, max(s, d) - 1)
        if _right_size(n, k, s, p, d, op) >= 1:
            configs.append((n, k, s, p, d, op))
    return configs


def _torch_size(n: int, k: int, s: int, p: int, d: int, op: int) -> int:
    layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, dilation=d, output_padding=op,
                               bias=False)
    with torch.no_grad():
        return layer(torch.zeros(1, 1, n, n)).shape[-1]


@exercise(5, "conv_transpose_output_size", hints=HINTS["conv_transpose_output_size"])
@own_random_state()
def check_conv_transpose_output_size(conv_transpose_output_size: Callable) -> None:
    """Check ``conv_transpose_output_size(n, k, s, p, d, output_padding)`` on many random
    configurations against the output width of a real ``nn.ConvTranspose2d``."""
    check = Check("conv_transpose_output_size")
    configs = random_transpose_configs()
    names = ("n", "k", "s", "p", "d", "output_padding")
    found, expected = [], []
    for config in configs:
        words = ", ".join(f"{name}={value}" for name, value in zip(names, config))
        description = f"conv_transpose_output_size({words})"
        value = check.call(conv_transpose_output_size, *config, description=description)
        expected.append(_torch_size(*config))
        found.append(check.whole_number(
            value, description, "return the number, e.g. return (n - 1) * s + ...",
            right=expected[-1],
            fraction_hint="the formula has no division: only products, sums and differences."))
    wrong = [i for i, (f, e) in enumerate(zip(found, expected)) if f != e]
    if not wrong:
        check.passed(f"all {len(configs)} configurations agree with nn.ConvTranspose2d.")
        return
    first = wrong[0]
    words = ", ".join(f"{name}={value}" for name, value in zip(names, configs[first]))
    summary = (f"{len(wrong)} of {len(configs)} configurations disagree with "
               f"nn.ConvTranspose2d; the first: conv_transpose_output_size({words}) gave "
               f"{found[first]!r}.")
    hint = which_mistake(configs, found, first, _WRONG_SIZES)
    check.fail(summary, f"{expected[first]}.",
               hint + "." if hint is not None
               else "(n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1.")


# --------------------------------------------------------------------------- exercise 4


class _CatRecorder(TorchFunctionMode):
    """Records every concatenation (``torch.cat``, ``torch.concat``, ``torch.concatenate``,
    however it was imported) while active: the shapes joined, the dimension, and how
    recently each joined tensor was made (larger is newer), which tells the freshly
    upsampled map from the skip saved long before."""

    FUNCTIONS = (torch.cat, torch.concat, torch.concatenate)

    def __init__(self):
        super().__init__()
        self.calls: list[tuple[list[tuple[int, ...]], int, list[int]]] = []
        self._made: dict[int, int] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in self.FUNCTIONS and args:
            tensors = [t for t in args[0] if isinstance(t, torch.Tensor)]
            shapes = [tuple(t.shape) for t in tensors]
            dim = args[1] if len(args) > 1 else kwargs.get("dim", kwargs.get("axis", 0))
            if shapes and isinstance(dim, int):
                ages = [self._made.get(id(t), -1) for t in tensors]
                self.calls.append((shapes, dim % len(shapes[0]) if shapes[0] else dim, ages))
        result = func(*args, **kwargs)
        if isinstance(result, torch.Tensor):
            self._made[id(result)] = len(self._made)
        return result


def _crash_hint(calls: list[tuple[list[tuple[int, ...]], int, list[int]]], height: int,
                width: int, depth: int) -> str:
    """Why ``UNet.forward`` may have crashed, from the concatenations it tried."""
    levels = [(height // 2 ** level, width // 2 ** level) for level in range(depth + 1)]
    joins = [(shapes, dim, ages) for shapes, dim, ages in calls
             if dim == 1 and len(shapes) >= 2 and all(len(s) == 4 for s in shapes)]
    for step, (shapes, _, ages) in enumerate(joins):
        sizes = [tuple(shape[-2:]) for shape in shapes]
        if len(set(sizes)) == 1:
            continue
        newest = max(range(len(sizes)), key=lambda i: ages[i])
        upsampled = sizes[newest]
        skips = [size for i, size in enumerate(sizes) if i != newest]
        wanted = levels[depth - 1 - step] if step < depth else None
        joined = " and ".join(f"{h}x{w}" for h, w in sizes)
        if upsampled == wanted and all(size in levels for size in skips):
            return (f"you joined feature maps of {joined}: the skip you concatenate must have "
                    "the same height and width as the upsampled map, so use the saved "
                    "encoder maps in reverse order (the last one saved first).")
        where = f"{wanted[0]}x{wanted[1]}" if wanted else "the skip's size"
        return (f"you joined feature maps of {joined}: at this step of the decoder the "
                f"upsampled map is {upsampled[0]}x{upsampled[1]} where this input "
                f"({height}x{width}) needs {where}. Compute every size from the input (no "
                "fixed numbers such as 64 or 32): max-pool by 2 on the way down, upsample by "
                "2 on the way up.")
    return ("build every layer from the four arguments (the widths are base_channels * "
            "2**level) and every size from the input: the check tries several depths and "
            "input sizes, not only the lab's. Each decoder block takes the channels of "
            "both the upsampled map and the skip.")


def _run_unet(check: Check, model: nn.Module, x: torch.Tensor, where: str,
              depth: int) -> tuple[Any, list[tuple[int, int]], list]:
    """``model(x)``, the (H, W) of every convolution's output, and the concatenations."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with _CatRecorder() as recorder, recording(layers) as calls:
        try:
            output = model(x)
        except NotImplementedError:
            output = check.call(model, x, description=where)  # says "not done yet"
        except Exception:
            check.call(model, x, description=where,
                       hint=_crash_hint(recorder.calls, x.shape[-2], x.shape[-1], depth))
    sizes = [tuple(call.output_shape[-2:]) for call in calls]
    return output, sizes, recorder.calls


def _check_skips(check: Check, where: str, cats: list, height: int, width: int,
                 depth: int) -> None:
    """One concatenation along the channels at every level."""
    joined = [(shapes, dim) for shapes, dim, _ in cats if len(shapes) >= 2
              and all(len(s) == 4 for s in shapes)]
    if not joined:
        check.fail(f"{where}: no torch.cat of feature maps happened in forward.",
                   "one concatenation per level: the upsampled decoder map joined with "
                   "the encoder map of the same size, along the channels.",
                   "keep each encoder block's output in a list on the way down, then on "
                   "the way up: x = torch.cat([x, skip], dim=1). (Adding them, x + skip, "
                   "is another design; U-Net concatenates.)")
    wrong_dims = [dim for _, dim in joined if dim != 1]
    if wrong_dims:
        check.fail(f"{where}: feature maps were concatenated along dim={wrong_dims[0]}.",
                   "dim=1, the channels: (N, C1, H, W) and (N, C2, H, W) give "
                   "(N, C1 + C2, H, W).", "torch.cat([x, skip], dim=1).")
    levels = {shapes[0][-2:] for shapes, _ in joined}
    wanted = [(height // 2 ** level, width // 2 ** level) for level in range(depth)]
    missing = [hw for hw in wanted if hw not in levels]
    if missing:
        check.fail(f"{where}: no skip concatenation at "
                   + ", ".join(f"{h}x{w}" for h, w in missing) + ".",
                   "one at every level: " + ", ".join(f"{h}x{w}" for h, w in wanted) + ".",
                   "each of the `depth` decoder steps upsamples, then concatenates the "
                   "encoder map of that size.")
    check.ok()


def _check_one_unet(check: Check, UNet: type, c_in: int, c_out: int, base: int, depth: int,
                    height: int, width: int) -> None:
    build = (f"UNet(in_channels={c_in}, out_channels={c_out}, base_channels={base}, "
             f"depth={depth})")
    model = check.call(UNet, c_in, c_out, base, depth, description=build,
                       hint="build every layer from the four arguments; the widths "
                       "are base_channels * 2**level.")
    if not isinstance(model, nn.Module) or not any(True for _ in model.parameters()):
        check.fail(f"{build} has no parameters.",
                   "an nn.Module whose layers are set up in __init__.",
                   "call super().__init__() first and store layers in attributes, "
                   "nn.ModuleList or nn.Sequential.")
    x = torch.randn(2, c_in, height, width)
    where = f"{build} on an input of shape {tuple(x.shape)}"
    output, sizes, cats = _run_unet(check, model, x, where, depth)
    expected = (2, c_out, height, width)
    if not isinstance(output, torch.Tensor) or tuple(output.shape) != expected:
        check.fail(f"{where} returned {shape_of(output)}.", f"shape {expected}.",
                   "the decoder must climb back to the input size (one upsampling per "
                   "pooling) and end with a 1x1 convolution to out_channels.")
    check.ok()
    bottom = (height // 2 ** depth, width // 2 ** depth)
    smallest = min(sizes, key=lambda hw: hw[0] * hw[1]) if sizes else (height, width)
    if smallest != bottom:
        check.fail(f"{where}: the smallest feature map inside the network is "
                   f"{smallest[0]}x{smallest[1]}.",
                   f"the bottleneck at {bottom[0]}x{bottom[1]}, i.e. the input halved "
                   f"depth = {depth} times.",
                   "use one 2x2 max-pool after each of the `depth` encoder blocks, and "
                   "one upsampling step before each of the `depth` decoder blocks.")
    check.ok()
    _check_skips(check, where, cats, height, width, depth)
    if float(output.detach().min()) >= 0:
        check.fail(f"{where}: no output is negative, as after a sigmoid or a ReLU.",
                   "raw scores (logits), positive and negative.",
                   "end with the 1x1 convolution and no sigmoid: "
                   "nn.BCEWithLogitsLoss applies the sigmoid itself.")
    check.ok()


@exercise(5, "UNet", hints=HINTS["UNet"])
def check_unet(UNet: type) -> None:
    """Check ``UNet(in_channels, out_channels, base_channels, depth)``: output shapes for
    several configurations and input sizes, the depth of the bottleneck, one skip
    concatenation per level, and logits (no sigmoid) at the end."""
    check = Check("UNet")
    check.is_class(UNet, "UNet")
    with own_random_state():
        configs = [  # (in, out, base, depth, input height, input width)
            (3, 1, 8, 2, 32, 32), (3, 1, 8, 3, 48, 64), (1, 2, 4, 4, 32, 48), (3, 3, 6, 1, 20, 12)]
        for config in configs:
            _check_one_unet(check, UNet, *config)
    check.passed()
