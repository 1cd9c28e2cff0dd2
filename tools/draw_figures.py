"""Draw the diagrams the labs show into ``img/`` (``make figures``).

Each diagram is one small function that draws with matplotlib only: boxes, arrows and
grids of numbers. The numbers in the convolution diagrams are computed here, not typed.
Run ``python -m tools.draw_figures`` (or ``make figures``) after changing one, then
``make notebooks``, which attaches the figures to the notebooks that show them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

IMG = Path(__file__).resolve().parent.parent / "img"
DPI = 150

BLUE, ORANGE, GREEN, RED, GREY = "#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8C8C8C"
LIGHT = {BLUE: "#DCE6F2", ORANGE: "#F8E0CF", GREEN: "#DDEFE2", RED: "#F3D9DA", GREY: "#EEEEEE"}


# --------------------------------------------------------------------------- drawing helpers


def _canvas(width: float, height: float, title: str) -> tuple[plt.Figure, plt.Axes]:
    """A figure whose axes use inches as data units, y pointing down, no frame."""
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    ax.text(width / 2, 0.35, title, ha="center", va="center", fontsize=14, weight="bold")
    return fig, ax


def _grid(ax: plt.Axes, values: np.ndarray, x: float, y: float, cell: float = 0.45,
          colour: str = GREY, highlight: set[tuple[int, int]] = frozenset(),
          highlight_colour: str = ORANGE, label: str = "", fmt: str = "{:g}") -> None:
    """A matrix as a grid of squares with its numbers; ``(x, y)`` is the top-left corner."""
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            marked = (i, j) in highlight
            ax.add_patch(Rectangle((x + j * cell, y + i * cell), cell, cell,
                                   facecolor=LIGHT[highlight_colour if marked else colour],
                                   edgecolor="#333333", linewidth=1))
            ax.text(x + (j + 0.5) * cell, y + (i + 0.5) * cell, fmt.format(values[i, j]),
                    ha="center", va="center", fontsize=11)
    if label:
        ax.text(x + cols * cell / 2, y - 0.2, label, ha="center", va="bottom", fontsize=11)


def _outline(ax: plt.Axes, x: float, y: float, width: float, height: float, colour: str,
             style: str = "-") -> None:
    ax.add_patch(Rectangle((x, y), width, height, fill=False, edgecolor=colour,
                           linewidth=3, linestyle=style))


def _box(ax: plt.Axes, x: float, y: float, width: float, height: float, text: str,
         colour: str = BLUE, fontsize: float = 11) -> None:
    """A rounded box centred on ``(x, y)``."""
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=LIGHT[colour], edgecolor=colour, linewidth=1.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax: plt.Axes, start: tuple[float, float], end: tuple[float, float],
           colour: str = "#333333", style: str = "-", connection: str = "arc3",
           width: float = 1.6) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16,
                                 color=colour, linewidth=width, linestyle=style,
                                 connectionstyle=connection, shrinkA=0, shrinkB=0))


# --------------------------------------------------------------------------- the maths shown


def cross_correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """What ``nn.Conv2d`` computes (stride 1, no padding): a sliding weighted sum."""
    k_rows, k_cols = kernel.shape
    rows, cols = image.shape[0] - k_rows + 1, image.shape[1] - k_cols + 1
    out = np.zeros((rows, cols), dtype=image.dtype)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = np.sum(image[i:i + k_rows, j:j + k_cols] * kernel)
    return out


def transposed_conv(image: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    """A transposed convolution (no padding) the direct way: each input pixel adds a copy
    of the kernel, scaled by the pixel, into the output at ``stride`` steps."""
    k = kernel.shape[0]
    n = image.shape[0]
    out = np.zeros(((n - 1) * stride + k,) * 2, dtype=image.dtype)
    for i in range(n):
        for j in range(n):
            out[i * stride:i * stride + k, j * stride:j * stride + k] += image[i, j] * kernel
    return out


def zero_insert(image: np.ndarray, stride: int) -> np.ndarray:
    """``stride - 1`` zeros between neighbouring pixels."""
    n = image.shape[0]
    out = np.zeros(((n - 1) * stride + 1,) * 2, dtype=image.dtype)
    out[::stride, ::stride] = image
    return out


# --------------------------------------------------------------------------- the diagrams


def conv_sliding_window() -> plt.Figure:
    image = np.array([[3, 1, 0, 2, 1],
                      [1, 4, 2, 0, 3],
                      [0, 2, 5, 1, 0],
                      [2, 0, 1, 3, 1],
                      [1, 3, 0, 2, 4]])
    kernel = np.array([[1, 0, -1],
                       [2, 0, -2],
                       [1, 0, -1]])
    out = cross_correlate(image, kernel)
    row, col = 1, 0  # the output pixel explained
    cell = 0.55
    fig, ax = _canvas(11, 5.4, "Convolution as a sliding window (what nn.Conv2d computes)")
    window = {(row + i, col + j) for i in range(3) for j in range(3)}
    _grid(ax, image, 0.5, 1.2, cell, highlight=window, label="input (5×5)")
    _outline(ax, 0.5 + col * cell, 1.2 + row * cell, 3 * cell, 3 * cell, ORANGE)
    _outline(ax, 0.5 + (col + 1) * cell, 1.2 + row * cell, 3 * cell, 3 * cell, GREY, "--")
    ax.text(0.5 + 2.5 * cell, 1.2 + 5 * cell + 0.12, "dashed: the next position,\none step "
            "right (stride 1)", ha="center", va="top", fontsize=10, color="#555555")

    ax.text(3.85, 1.2 + 2.5 * cell, "⊙", ha="center", va="center", fontsize=22)
    _grid(ax, kernel, 4.3, 1.2 + cell, cell, colour=BLUE, label="kernel (3×3)")
    _arrow(ax, (6.2, 1.2 + 2.5 * cell), (7.7, 1.2 + 2.5 * cell))
    ax.text(6.95, 1.2 + 2.5 * cell - 0.15, "sum", ha="center", va="bottom", fontsize=11)
    _grid(ax, out, 8.1, 1.2 + cell, cell, colour=GREEN, highlight={(row, col)},
          label="output (3×3)")

    patch = image[row:row + 3, col:col + 3]
    terms = " + ".join(f"{a}·{b}" if b >= 0 else f"{a}·({b})"
                       for a, b in zip(patch.ravel(), kernel.ravel()) if b != 0)
    ax.text(5.5, 4.6, f"output[{row}, {col}] = {terms} = {out[row, col]}   (zero weights "
            "left out)", ha="center", va="center", fontsize=11, family="monospace")
    ax.text(5.5, 5.05, "Each output pixel is the weighted sum of the 3×3 patch under the "
            "kernel; the kernel then slides on.", ha="center", va="center", fontsize=10.5)
    return fig


def residual_block() -> plt.Figure:
    fig, ax = _canvas(6.5, 7.6, "Residual block: y = f(x) + x")
    x0 = 2.6
    steps = [("convolution k×k, padding \"same\"", BLUE), ("activation (ReLU)", ORANGE),
             ("dropout", GREY), ("batch norm", GREEN)]
    ax.text(x0, 1.0, "x   (N, C, H, W)", ha="center", va="center", fontsize=12)
    ys = [2.0 + 0.95 * i for i in range(len(steps))]
    _arrow(ax, (x0, 1.2), (x0, ys[0] - 0.3))
    for (text, colour), y in zip(steps, ys):
        _box(ax, x0, y, 3.4, 0.6, text, colour)
    for above, below in zip(ys, ys[1:]):
        _arrow(ax, (x0, above + 0.3), (x0, below - 0.3))
    plus_y = ys[-1] + 1.05
    ax.add_patch(plt.Circle((x0, plus_y), 0.25, facecolor="white", edgecolor="#333333",
                            linewidth=1.8))
    ax.text(x0, plus_y, "+", ha="center", va="center", fontsize=18)
    _arrow(ax, (x0, ys[-1] + 0.3), (x0, plus_y - 0.25))
    _arrow(ax, (x0, plus_y + 0.25), (x0, plus_y + 0.85))
    ax.text(x0, plus_y + 1.05, "y   (N, C, H, W): same shape as x", ha="center", va="center",
            fontsize=12)
    # The skip connection: from x, down the right-hand side, into the sum.
    right = x0 + 2.6
    ax.plot([x0, right, right], [1.45, 1.45, plus_y], color=RED, linewidth=2)
    _arrow(ax, (right, plus_y), (x0 + 0.25, plus_y), colour=RED, width=2)
    ax.text(right + 0.12, (1.45 + plus_y) / 2, "identity\n(skip)", ha="left", va="center",
            fontsize=11, color=RED)
    ax.text(x0 - 1.95, (ys[0] + ys[-1]) / 2, "f(x)", ha="right", va="center", fontsize=14,
            color=BLUE, style="italic")
    ax.plot([x0 - 1.85] * 2, [ys[0] - 0.3, ys[-1] + 0.3], color=BLUE, linewidth=1.5)
    ax.text(3.25, 7.35, "The shapes of f(x) and x must match: same channels, padding \"same\", "
            "stride 1.", ha="center", va="center", fontsize=9.5, color="#555555")
    return fig


def _resnet_column(ax: plt.Axes, x: float, title: str, given: str,
                   steps: list[tuple[str, str]], result: str,
                   projection: str | None) -> None:
    """One ResNet block drawn top to bottom at ``x``: its layers, the sum with the
    shortcut (the identity, or a ``projection`` box on the shortcut) and the last ReLU."""
    ax.text(x, 1.0, title, ha="center", va="center", fontsize=12.5, weight="bold")
    ax.text(x, 1.55, given, ha="center", va="center", fontsize=11)
    ys = [2.6 + 1.05 * i for i in range(len(steps))]
    _arrow(ax, (x, 1.75), (x, ys[0] - 0.38))
    for (text, colour), y in zip(steps, ys):
        _box(ax, x, y, 3.0, 0.76, text, colour, 10.5)
    for above, below in zip(ys, ys[1:]):
        _arrow(ax, (x, above + 0.38), (x, below - 0.38))
    plus_y = ys[-1] + 1.0
    ax.add_patch(plt.Circle((x, plus_y), 0.25, facecolor="white", edgecolor="#333333",
                            linewidth=1.8))
    ax.text(x, plus_y, "+", ha="center", va="center", fontsize=18)
    _arrow(ax, (x, ys[-1] + 0.38), (x, plus_y - 0.25))
    relu_y = plus_y + 0.85
    _arrow(ax, (x, plus_y + 0.25), (x, relu_y - 0.27))
    _box(ax, x, relu_y, 1.3, 0.54, "ReLU", ORANGE, 10.5)
    _arrow(ax, (x, relu_y + 0.27), (x, relu_y + 0.75))
    ax.text(x, relu_y + 0.95, result, ha="center", va="center", fontsize=11)
    # The shortcut: from x, down the right-hand side, into the sum.
    right, top = x + (2.15 if projection is None else 2.55), 1.9
    if projection is None:
        ax.plot([x, right, right], [top, top, plus_y], color=RED, linewidth=2)
        ax.text(right + 0.1, (top + plus_y) / 2, "identity\nshortcut", ha="left",
                va="center", fontsize=10.5, color=RED)
    else:
        middle = (top + plus_y) / 2
        ax.plot([x, right, right], [top, top, middle - 0.45], color=RED, linewidth=2)
        _box(ax, right, middle, 1.55, 0.9, projection, RED, 9.5)
        ax.plot([right, right], [middle + 0.45, plus_y], color=RED, linewidth=2)
    _arrow(ax, (right, plus_y), (x + 0.25, plus_y), colour=RED, width=2)


def resnet_blocks() -> plt.Figure:
    fig, ax = _canvas(12, 8.7, "ResNet's two blocks: y = ReLU(f(x) + shortcut(x))")
    _resnet_column(
        ax, 3.0, "basic block (ResNet-18, -34)", "x   (N, C_in, H, W)",
        [("3×3 conv, stride s: C_in → C\nbatch norm, ReLU", BLUE),
         ("3×3 conv: C → C\nbatch norm", BLUE)],
        "y   (N, C, H/s, W/s)", None)
    _resnet_column(
        ax, 8.2, "bottleneck block (ResNet-50 and deeper)", "x   (N, C_in, H, W)",
        [("1×1 conv: C_in → C (narrow)\nbatch norm, ReLU", BLUE),
         ("3×3 conv, stride s: C → C\nbatch norm, ReLU", BLUE),
         ("1×1 conv: C → 4C (widen)\nbatch norm", BLUE)],
        "y   (N, 4C, H/s, W/s)", "projection:\n1×1 conv, stride s\nC_in → 4C\nbatch norm")
    ax.text(6.0, 7.95, "The shortcut is the identity when the block keeps the shape. When it "
            "changes the channels or the size (stride s = 2),", ha="center", va="center",
            fontsize=10, color="#555555")
    ax.text(6.0, 8.3, "the shortcut is a projection (1×1 conv with the block's stride, then "
            "batch norm), in the basic block too. Convolutions use bias=False.",
            ha="center", va="center", fontsize=10, color="#555555")
    return fig


def vgg_block(batch_norm: bool = True) -> plt.Figure:
    """Lab 02's builder (batch norm and pooling optional), or with ``batch_norm=False`` the
    block of the 2014 paper that lab 04 writes: convolutions and ReLUs, then max pooling."""
    if batch_norm:
        title = "VGG block: n × (3×3 convolution → batch norm → activation), then max pooling"
        boxes = [("3×3 conv\npadding 1", BLUE, 2.55, 1.45),  # text, colour, centre, width
                 ("batch norm\n(optional)", GREEN, 4.25, 1.45),
                 ("activation\n(ReLU, SiLU, ...)", ORANGE, 6.05, 1.75)]
        pool = "2×2 max pool\n(optional)"
        note = ("Padding 1 keeps H and W through the convolutions; the pooling (stride 2) "
                "halves them.")
    else:
        title = "VGG block (2014): n × (3×3 convolution → ReLU), then max pooling"
        boxes = [("3×3 conv\npadding 1", BLUE, 3.1, 1.6),
                 ("ReLU", ORANGE, 5.3, 1.6)]
        pool = "2×2 max pool\nstride 2"
        note = ("Padding 1 keeps H and W through the convolutions; the pooling halves them. "
                "No batch norm: it came out the following year, 2015.")
    fig, ax = _canvas(12, 3.9, title)
    y = 1.9
    ax.text(0.75, y, "input\n(N, C_in, H, W)", ha="center", va="center", fontsize=11)
    _arrow(ax, (1.55, y), (boxes[0][2] - boxes[0][3] / 2, y))
    for text, colour, x, width in boxes:
        _box(ax, x, y, width, 0.85, text, colour)
    for (_, _, x, width), (_, _, x_next, width_next) in zip(boxes, boxes[1:]):
        _arrow(ax, (x + width / 2, y), (x_next - width_next / 2, y))
    # The bracket that says "repeat n times".
    left = boxes[0][2] - 0.95 if batch_norm else 1.95
    right = boxes[-1][2] + 1.1 if batch_norm else 6.65
    ax.add_patch(FancyBboxPatch((left, y - 0.8), right - left, 1.6,
                                boxstyle="round,pad=0.02,rounding_size=0.15", fill=False,
                                edgecolor=GREY, linestyle="--", linewidth=1.5))
    ax.text((left + right) / 2, y + 1.0, "repeated n times (the first conv maps C_in → C_out "
            "channels, the others C_out → C_out)", ha="center", va="center", fontsize=10,
            color="#555555")
    _arrow(ax, (right, y), (8.1, y))
    _box(ax, 8.85, y, 1.5, 0.85, pool, RED)
    _arrow(ax, (9.6, y), (10.2, y))
    ax.text(11.05, y, "output\n(N, C_out, H/2, W/2)", ha="center", va="center", fontsize=11)
    ax.text(6, 3.55, note, ha="center", va="center", fontsize=10, color="#555555")
    return fig


def unet() -> plt.Figure:
    fig, ax = _canvas(12, 7.3, "U-Net: encoder, bottleneck, decoder with skip connections")
    levels = [(16, 64), (32, 32), (64, 16)]  # (channels, height = width) at each depth
    top, step, width, height, shift = 1.55, 1.3, 1.75, 0.75, 0.9

    def place(depth: int, side: int) -> tuple[float, float]:
        """Centre of a block: side -1 for the encoder, +1 for the decoder."""
        return 6.0 + side * (4.3 - shift * depth), top + depth * step

    for depth, (channels, size) in enumerate(levels):
        (ex, y), (dx, _) = place(depth, -1), place(depth, +1)
        text = f"conv block\n{channels} × {size}×{size}"
        _box(ax, ex, y, width, height, text, BLUE, 10)
        _box(ax, dx, y, width, height, text, BLUE, 10)
        _arrow(ax, (ex + width / 2, y), (dx - width / 2, y), colour=GREY, style="--")
        ax.text(6.0, y - 0.08, "copy and concatenate", ha="center", va="bottom", fontsize=10,
                color="#555555")
        if depth + 1 < len(levels):
            (ex2, y2), (dx2, _) = place(depth + 1, -1), place(depth + 1, +1)
        else:
            ex2, y2, dx2 = 6.0 - 0.7, top + len(levels) * step, 6.0 + 0.7
        _arrow(ax, (ex, y + height / 2), (ex2, y2 - height / 2), colour=RED)
        _arrow(ax, (dx2, y2 - height / 2), (dx, y + height / 2), colour=GREEN)
    _box(ax, 6.0, top + len(levels) * step, 2.3, height, "bottleneck\n128 × 8×8", ORANGE, 10)

    (ex, y), (dx, _) = place(0, -1), place(0, +1)
    ax.text(ex, y - 0.75, "encoder", ha="center", fontsize=12, weight="bold")
    ax.text(dx, y - 0.75, "decoder", ha="center", fontsize=12, weight="bold")
    ax.text(0.1, y + 0.95, "input image\n1 × 64×64", ha="left", va="center", fontsize=10)
    _arrow(ax, (0.5, y + 0.6), (ex - width / 2 + 0.2, y + height / 2), colour="#333333")
    ax.text(11.9, y + 0.95, "mask (1×1 conv)\n1 × 64×64", ha="right", va="center",
            fontsize=10)
    _arrow(ax, (dx + width / 2 - 0.2, y + height / 2), (11.5, y + 0.6), colour="#333333")

    legend_y, x = 6.45, 0.7
    for colour, style, text in [(RED, "-", "2×2 max pool: halves H and W"),
                                (GREEN, "-", "upsample or transposed conv: doubles H and W"),
                                (GREY, "--", "skip connection")]:
        _arrow(ax, (x, legend_y), (x + 0.6, legend_y), colour=colour, style=style)
        ax.text(x + 0.75, legend_y, text, ha="left", va="center", fontsize=10)
        x += 1.2 + 0.075 * len(text)
    ax.text(6.0, 6.95, "Channels × height×width for a 64×64 input; any size that divides "
            "by 2^depth = 8 works.", ha="center", va="center", fontsize=10, color="#555555")
    return fig


def transposed_conv_zero_insertion() -> plt.Figure:
    image = np.array([[1, 5], [3, 2]])
    kernel = np.array([[0, 1], [2, 3]])
    stride, padding, k = 2, 0, 2
    inserted = zero_insert(image, stride)
    pad = k - padding - 1
    padded = np.pad(inserted, pad)
    flipped = kernel[::-1, ::-1]
    out = cross_correlate(padded, flipped)
    as_batch = lambda a: torch.tensor(a, dtype=torch.float64)[None, None]  # noqa: E731
    reference = F.conv_transpose2d(as_batch(image), as_batch(kernel), stride=stride)[0, 0]
    if not (np.array_equal(out, transposed_conv(image, kernel, stride))
            and np.array_equal(out, reference.numpy())):
        raise AssertionError("the zero-insertion route must equal the transposed convolution "
                             "(direct and F.conv_transpose2d)")

    fig, ax = _canvas(13, 5.6, "Transposed convolution (stride 2) as an ordinary convolution")
    cell, y = 0.45, 1.5
    _grid(ax, image, 0.4, y + 1.5 * cell, cell, colour=BLUE, label="input (2×2)")
    _arrow(ax, (1.45, y + 2.5 * cell), (2.05, y + 2.5 * cell))
    originals = {(i * stride + pad, j * stride + pad) for i in range(2) for j in range(2)}
    _grid(ax, inserted, 2.25, y + cell, cell, colour=GREY, highlight={(i * 2, j * 2)
          for i in range(2) for j in range(2)}, highlight_colour=BLUE,
          label=f"① {stride - 1} zero between pixels")
    _arrow(ax, (3.75, y + 2.5 * cell), (4.35, y + 2.5 * cell))
    _grid(ax, padded, 4.55, y, cell, colour=GREY, highlight=originals, highlight_colour=BLUE,
          label=f"② pad k − p − 1 = {pad}")
    _outline(ax, 4.55 + pad * cell, y + pad * cell, 3 * cell, 3 * cell, GREY, "--")
    ax.text(7.25, y + 2.5 * cell, "⊛", ha="center", va="center", fontsize=22)
    _grid(ax, flipped, 7.6, y + 2 * cell, cell, colour=ORANGE,
          label="③ kernel flipped")
    ax.text(7.6 + cell, y + 4.3 * cell, f"kernel = {kernel.tolist()}", ha="center",
            va="center", fontsize=9.5, color="#555555")
    _arrow(ax, (8.7, y + 2.5 * cell), (9.5, y + 2.5 * cell))
    ax.text(9.1, y + 2.5 * cell - 0.12, "stride 1", ha="center", va="bottom", fontsize=9.5)
    _grid(ax, out, 9.8, y + 0.5 * cell, cell, colour=GREEN, label="output (4×4)")

    ax.text(6.5, 4.35, f"output size = (n − 1)·s − 2p + k = (2 − 1)·{stride} − 2·{padding} "
            f"+ {k} = {out.shape[0]}", ha="center", va="center", fontsize=11,
            family="monospace")
    ax.text(6.5, 4.85, "Same result as F.conv_transpose2d(input, kernel, stride=2): each "
            "input pixel spreads a scaled copy of the kernel.", ha="center", va="center",
            fontsize=10.5)
    ax.text(6.5, 5.25, "With stride s: insert s − 1 zeros, pad by k − p − 1, then convolve "
            "with the flipped kernel at stride 1.", ha="center", va="center", fontsize=10.5,
            color="#555555")
    return fig


FIGURES: dict[str, Callable[[], plt.Figure]] = {
    "conv_sliding_window.png": conv_sliding_window,
    "residual_block.png": residual_block,
    "resnet_blocks.png": resnet_blocks,
    "vgg_block.png": vgg_block,
    "vgg_block_2014.png": lambda: vgg_block(batch_norm=False),
    "unet.png": unet,
    "transposed_conv_zero_insertion.png": transposed_conv_zero_insertion,
}


def draw_all(folder: Path = IMG) -> list[Path]:
    """Draw every diagram into ``folder``; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in FIGURES.items():
        fig = draw()
        path = folder / name
        fig.savefig(path, dpi=DPI, facecolor="white", metadata={"Software": None})
        plt.close(fig)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the workbook's diagrams.")
    parser.add_argument("--out", type=Path, default=IMG, help="folder to write (default img/)")
    args = parser.parse_args(argv)
    matplotlib.use("Agg")  # files only, no window; chosen here so that importing draws nothing
    for path in draw_all(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
