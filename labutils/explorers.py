"""Explorers: sliders that redraw a figure, for the ideas a slider teaches best.

- :func:`conv_explorer` (lab 01): input size, kernel, stride, padding and dilation of a
  convolution -> its output size and the input pixels one output pixel sees;
- :func:`transposed_conv_explorer` (lab 05): the same for a transposed convolution ->
  its output size and how many copies of the kernel land on each output pixel;
- :func:`threshold_explorer` (lab 08): a decision threshold -> precision, recall and F1.

Each returns an :class:`Explorer`. Put it on the last line of a cell: in JupyterLab (or
Colab) you get sliders, a line of numbers and a figure that follows the sliders. Where no
slider can be shown (a notebook run by nbval or CI, a static viewer) the same output holds
a picture of the starting values instead.

Every number is computed by a short function of its own (``conv_output_size``,
``seen_pixels``, ``overlap_counts``, ``threshold_scores``...), and each figure is drawn by a
``draw_...`` function that returns ``(summary, figure)``: read them to see how it works.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from torch import nn

from .arguments import describe, need_choice, need_int, need_number, need_tensor
from .errors import ArgumentValueError

# A draw function gets the slider values by name and returns (one line of text, figure).
DrawFunction = Callable[..., tuple[str, Figure]]

# Colours shared by the figures: what one output pixel sees, and the padding.
SEEN = "tab:orange"
PADDING = "0.85"
FIRST_COPY, SECOND_COPY = "tab:orange", "tab:purple"


def figure_to_png(figure: Figure, dpi: int = 80) -> bytes:
    """The figure as PNG bytes. (A plain ``Figure`` is never shown by itself in a notebook,
    so the explorer decides where the picture goes.)"""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


class Explorer:
    """Sliders, one line of numbers and a figure, redrawn whenever a slider moves.

    ``sliders`` maps the names of ``draw``'s arguments to the widgets that set them;
    ``draw(**values)`` returns ``(summary, figure)``. ``explorer.summary`` is the current
    line of numbers, ``explorer.png`` the current picture, and ``explorer.widget`` the
    whole panel (``ipywidgets.VBox``).
    """

    def __init__(self, sliders: dict[str, widgets.ValueWidget], draw: DrawFunction):
        self.sliders = sliders
        self.draw = draw
        self.summary = ""
        self.png = b""
        self._summary_box = widgets.HTML()
        self._summary_box.add_class("labutils-explorer-summary")  # the browser test finds it
        self._picture = widgets.Image(format="png")
        controls = widgets.HBox(list(sliders.values()),
                                layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = widgets.VBox([controls, self._summary_box, self._picture])
        self.widget.add_class("labutils-explorer")
        for slider in sliders.values():
            slider.observe(self.redraw, names="value")
        self.redraw()

    @property
    def values(self) -> dict:
        """The slider values by name, as ``draw`` receives them."""
        return {name: slider.value for name, slider in self.sliders.items()}

    def redraw(self, change: dict | None = None) -> None:
        """Draw again with the current slider values (called whenever a slider moves)."""
        summary, figure = self.draw(**self.values)
        self.summary, self.png = summary, figure_to_png(figure)
        self._summary_box.value = f"<b>{html.escape(summary)}</b>"
        self._picture.value = self.png

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # One output, three forms: JupyterLab and Colab show the live widget; a notebook run
        # without a browser (nbval, CI) or a static viewer shows the picture; a terminal
        # shows the line of numbers.
        bundle = self.widget._repr_mimebundle_()
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        bundle["text/plain"] = self.summary
        return bundle


def _slider(value: int, low: int, high: int, description: str) -> widgets.IntSlider:
    return widgets.IntSlider(value=value, min=low, max=max(high, value), description=description,
                             continuous_update=False, style={"description_width": "initial"})


def _grid(ax: Axes, rows: int, columns: int, first: int = 0) -> None:
    """Draw a ``rows x columns`` grid of unit squares on ``ax``; pixel ``(r, c)`` is the
    square centred on ``(c, r)``, with row numbers growing downwards from ``first``."""
    for r in range(rows):
        for c in range(columns):
            ax.add_patch(Rectangle((first + c - 0.5, first + r - 0.5), 1, 1, fill=False,
                                   edgecolor="0.6", linewidth=0.6))
    ax.set_xlim(first - 0.5, first + columns - 0.5)
    ax.set_ylim(first + rows - 0.5, first - 0.5)
    ax.set_aspect("equal")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # pixel numbers, never 0.5
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _fill(ax: Axes, row: int, column: int, colour: str, **style) -> None:
    ax.add_patch(Rectangle((column - 0.5, row - 0.5), 1, 1, facecolor=colour,
                           edgecolor="0.4", linewidth=0.6, **style))


# --- Lab 01: the convolution -------------------------------------------------------------

def conv_output_size(n: int, k: int, p: int = 0, s: int = 1, d: int = 1) -> int:
    """Output width of a convolution, floor((n + 2p - d(k - 1) - 1) / s) + 1, or 0 when the
    dilated kernel does not fit into the padded input at all."""
    return max((n + 2 * p - d * (k - 1) - 1) // s + 1, 0)


def measured_conv_output_size(n: int, k: int, p: int = 0, s: int = 1, d: int = 1) -> int:
    """The output width of a real ``nn.Conv2d`` on an ``n x n`` input (0 when PyTorch
    refuses because the output would be empty)."""
    with torch.random.fork_rng(devices=[]):  # its random weights must not move the lab's seed
        conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
    try:
        with torch.no_grad():
            return conv(torch.zeros(1, 1, n, n)).shape[-1]
    except RuntimeError:
        return 0


def seen_pixels(index: int, k: int, p: int = 0, s: int = 1, d: int = 1) -> list[int]:
    """The input positions (along one axis) that output position ``index`` sees.

    The window of output ``index`` starts at ``index * s`` in the padded input, which is
    ``index * s - p`` in input coordinates, and takes every ``d``-th pixel, ``k`` of them.
    A position below 0 or at ``n`` and beyond falls on the zero padding. In 2D, output
    pixel ``(r, c)`` sees every pair of ``seen_pixels(r)`` and ``seen_pixels(c)``.
    """
    return [index * s - p + d * i for i in range(k)]


def draw_convolution(n: int, k: int, p: int, s: int, d: int, row: int,
                     column: int) -> tuple[str, Figure]:
    """The padded ``n x n`` input with the pixels output pixel ``(row, column)`` sees, next
    to the output grid, and a line comparing the formula with ``nn.Conv2d``."""
    size = conv_output_size(n, k, p, s, d)
    measured = measured_conv_output_size(n, k, p, s, d)
    span = d * (k - 1) + 1  # how many input pixels the dilated kernel covers
    formula = (f"floor(({n} + 2·{p} − {d}·({k}−1) − 1) / {s}) + 1 = "
               f"{(n + 2 * p - d * (k - 1) - 1) // s + 1}")
    figure = Figure(figsize=(9, 4.6), layout="constrained")
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [n + 2 * p, max(size, 1)]})

    _grid(left, n + 2 * p, n + 2 * p, first=-p)
    for r in range(-p, n + p):
        for c in range(-p, n + p):
            if not (0 <= r < n and 0 <= c < n):
                _fill(left, r, c, PADDING)  # zero padding
    left.set_title(f"input {n}×{n}, padding {p} (grey cells are zeros)")
    left.set_xlabel("input column")
    left.set_ylabel("input row")

    if size == 0:
        summary = (f"No output: the kernel spans {span} pixels (d·(k−1) + 1), but the padded "
                   f"input is only {n + 2 * p} wide. nn.Conv2d refuses too. Formula: {formula}.")
        right.axis("off")
        right.set_title("no output")
        figure.suptitle("The kernel does not fit: make it smaller or pad more")
        return summary, figure

    row, column = min(row, size - 1), min(column, size - 1)  # the sliders may still be larger
    rows, columns = seen_pixels(row, k, p, s, d), seen_pixels(column, k, p, s, d)
    for r in rows:
        for c in columns:
            _fill(left, r, c, SEEN, alpha=0.9)
    left.add_patch(Rectangle((columns[0] - 0.5, rows[0] - 0.5), span, span, fill=False,
                             edgecolor="black", linewidth=2))

    _grid(right, size, size)
    _fill(right, row, column, SEEN)
    right.set_title(f"output {size}×{size}")
    right.set_xlabel("output column")
    right.set_ylabel("output row")
    figure.suptitle(f"Output pixel ({row}, {column}) sees the {k}×{k} orange input pixels "
                    f"(a window {span} pixels wide, moved {s} per output pixel)")
    agree = "agrees" if measured == size else f"DISAGREES ({measured})"
    summary = (f"Output {size}×{size}: formula {formula}; a real nn.Conv2d {agree}. "
               f"Output pixel ({row}, {column}) sees input rows {rows} and columns {columns}.")
    return summary, figure


def conv_explorer(n: int = 7, k: int = 3, p: int = 0, s: int = 1, d: int = 1) -> Explorer:
    """Sliders for a convolution on an ``n x n`` input (kernel ``k``, padding ``p``, stride
    ``s``, dilation ``d``) and for one output pixel: shows the output size (the formula and
    a real ``nn.Conv2d``) and which input pixels that output pixel sees. Each value must
    lie in its slider's range: ``n`` 1-16, ``k`` 1-7, ``p`` 0-4, ``s`` 1-4, ``d`` 1-4."""
    for name, value, high in (("n", n, 16), ("k", k, 7), ("p", p, 4), ("s", s, 4), ("d", d, 4)):
        need_int(value, name, "conv_explorer", low=0 if name == "p" else 1, high=high)
    sliders = {"n": _slider(n, 1, 16, "input size n"), "k": _slider(k, 1, 7, "kernel k"),
               "p": _slider(p, 0, 4, "padding p"), "s": _slider(s, 1, 4, "stride s"),
               "d": _slider(d, 1, 4, "dilation d")}
    size = conv_output_size(n, k, p, s, d)
    sliders["row"] = _slider(size // 2, 0, max(size - 1, 0), "output row")
    sliders["column"] = _slider(size // 2, 0, max(size - 1, 0), "output column")

    def fit_pixel_sliders(change: dict) -> None:
        # The output pixel must stay inside the output when the output shrinks.
        largest = max(conv_output_size(*(sliders[key].value for key in "nkpsd")) - 1, 0)
        for key in ("row", "column"):
            sliders[key].max = largest

    for key in "nkpsd":  # registered before the explorer's own redraw
        sliders[key].observe(fit_pixel_sliders, names="value")
    return Explorer(sliders, draw_convolution)


# --- Lab 05: the transposed convolution --------------------------------------------------

def transposed_output_size(n: int, k: int, s: int = 1, p: int = 0) -> int:
    """Output width of a transposed convolution, (n - 1)s - 2p + k, or 0 when the padding
    removes everything."""
    return max((n - 1) * s - 2 * p + k, 0)


def measured_transposed_output_size(n: int, k: int, s: int = 1, p: int = 0) -> int:
    """The output width of a real ``nn.ConvTranspose2d`` on an ``n x n`` input (0 when
    PyTorch refuses because the output would be empty)."""
    with torch.random.fork_rng(devices=[]):  # its random weights must not move the lab's seed
        up = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p)
    try:
        with torch.no_grad():
            return up(torch.zeros(1, 1, n, n)).shape[-1]
    except RuntimeError:
        return 0


def overlap_counts(n: int, k: int, s: int = 1, p: int = 0) -> np.ndarray:
    """How many copies of the kernel land on each output position, along one axis.

    Input pixel ``i`` stamps a copy of the kernel at output positions ``i*s ... i*s + k - 1``
    of the full output; the padding ``p`` then cuts ``p`` positions off each end. In 2D the
    count of pixel ``(r, c)`` is ``counts[r] * counts[c]``, the same numbers as
    ``F.conv_transpose2d`` of an all-ones input with an all-ones kernel.
    """
    full = np.zeros((n - 1) * s + k, dtype=int)
    for i in range(n):
        full[i * s:i * s + k] += 1
    return full[p:len(full) - p]


def inner_counts(k: int, s: int) -> list[int]:
    """The overlap counts far from the border, along one axis, as a sorted list of the
    distinct values: ``[k // s]`` when ``k`` is a multiple of ``s`` (an even overlap), else
    ``[k // s, k // s + 1]`` (a checkerboard; ``0`` among them means gaps).

    Far from the border every input pixel exists, so position ``x`` receives one copy for
    each whole number ``m`` with ``x - k < m * s <= x``; the pattern repeats every ``s``
    positions, so one period ``x = 0 ... s - 1`` holds every value.
    """
    counts = {sum(1 for m in range(-k, k + 1) if x - k < m * s <= x) for x in range(s)}
    return sorted(counts)


def draw_transposed_convolution(n: int, k: int, s: int, p: int) -> tuple[str, Figure]:
    """The ``n x n`` input next to the output grid coloured by its overlap count, with the
    copies stamped by two neighbouring input pixels outlined."""
    size = transposed_output_size(n, k, s, p)
    measured = measured_transposed_output_size(n, k, s, p)
    formula = f"({n} − 1)·{s} − 2·{p} + {k} = {(n - 1) * s - 2 * p + k}"
    figure = Figure(figsize=(10, 4.8), layout="constrained")
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [n, max(size, n, 1)]})

    middle = (n - 1) // 2
    pixels = [(middle, middle, FIRST_COPY)]
    if n > 1:
        pixels.append((middle, middle + 1, SECOND_COPY))  # its right-hand neighbour
    _grid(left, n, n)
    for r, c, colour in pixels:
        _fill(left, r, c, colour)
    left.set_title(f"input {n}×{n}")
    left.set_xlabel("input column")
    left.set_ylabel("input row")

    if size == 0:
        summary = (f"No output: the padding removes {2 * p} positions, more than the "
                   f"{(n - 1) * s + k} the copies cover. nn.ConvTranspose2d refuses too. "
                   f"Formula: {formula}.")
        right.axis("off")
        figure.suptitle("The padding removes the whole output: make it smaller")
        return summary, figure

    _draw_overlaps(right, n, k, s, p, pixels)
    verdict = _overlap_verdict(k, s)
    figure.suptitle(f"Each input pixel stamps a {k}×{k} copy of the kernel, {s} pixels apart: "
                    f"{verdict.split(':')[0]}")
    agree = "agrees" if measured == size else f"DISAGREES ({measured})"
    summary = f"Output {size}×{size}: formula {formula}; a real nn.ConvTranspose2d {agree}. " \
              f"{verdict[0].upper()}{verdict[1:]}."
    return summary, figure


def _draw_overlaps(axes: Axes, n: int, k: int, s: int, p: int,
                   pixels: list[tuple[int, int, str]]) -> None:
    """The output grid coloured (and, when small, labelled) by how many copies of the
    kernel cover each pixel, with the copies stamped by ``pixels`` outlined."""
    size = transposed_output_size(n, k, s, p)
    counts = overlap_counts(n, k, s, p)
    grid = np.outer(counts, counts)
    axes.imshow(grid, cmap="Blues", vmin=0, vmax=max(grid.max(), 1) * 1.3,
                extent=(-0.5, size - 0.5, size - 0.5, -0.5))
    _grid(axes, size, size)
    if size <= 16:
        for (r, c), count in np.ndenumerate(grid):
            axes.text(c, r, str(count), ha="center", va="center", fontsize=8)
    for r, c, colour in pixels:  # each copy covers k x k output pixels, less the padding
        axes.add_patch(Rectangle((c * s - p - 0.5, r * s - p - 0.5), k, k, fill=False,
                                 edgecolor=colour, linewidth=2.5))
    axes.set_xlim(-0.5, size - 0.5)
    axes.set_ylim(size - 0.5, -0.5)
    axes.set_title(f"output {size}×{size}: copies of the kernel on each pixel")
    axes.set_xlabel("output column")
    axes.set_ylabel("output row")


def _overlap_verdict(k: int, s: int) -> str:
    """How the copies of a ``k x k`` kernel, ``s`` pixels apart, overlap away from the
    border: gaps, even overlap, or uneven overlap (a checkerboard)."""
    one_axis = inner_counts(k, s)
    inner = sorted({a * b for a in one_axis for b in one_axis})  # row count x column count
    if inner[0] == 0:
        return (f"gaps: some pixels get no copy at all (k = {k} is smaller than "
                f"s = {s}), others {inner[-1]}")
    if len(inner) == 1:
        return (f"even overlap: every pixel away from the border gets {inner[0]} "
                f"cop{'y' if inner[0] == 1 else 'ies'}")
    return (f"uneven overlap: pixels away from the border get "
            f"{', '.join(map(str, inner))} copies, "
            f"a checkerboard (k = {k} is not a multiple of s = {s})")


def transposed_conv_explorer(n: int = 4, k: int = 3, s: int = 2, p: int = 0) -> Explorer:
    """Sliders for a transposed convolution on an ``n x n`` input (kernel ``k``, stride
    ``s``, padding ``p``): shows the output size (the formula and a real
    ``nn.ConvTranspose2d``) and how many kernel copies overlap on each output pixel."""
    for name, value, high in (("n", n, 8), ("k", k, 6), ("s", s, 4), ("p", p, 3)):
        need_int(value, name, "transposed_conv_explorer", low=0 if name == "p" else 1, high=high)
    sliders = {"n": _slider(n, 1, 8, "input size n"), "k": _slider(k, 1, 6, "kernel k"),
               "s": _slider(s, 1, 4, "stride s"), "p": _slider(p, 0, 3, "padding p")}
    return Explorer(sliders, draw_transposed_convolution)


# --- Lab 08: the decision threshold ------------------------------------------------------

def threshold_scores(probs, targets, threshold: float, average: str = "macro") -> dict:
    """Precision, recall and F1 when every label whose probability reaches ``threshold``
    is predicted. ``probs`` and ``targets`` are ``(N, L)`` (tensors or arrays, targets 0/1).

    ``average="macro"``: compute each label's scores, then their mean (every label counts
    the same; a score whose denominator is 0 counts as 0, as in lab 08's metrics).
    ``average="micro"``: add up true positives, false positives and false negatives over
    all labels first (every single yes/no answer counts the same).
    Returns ``{"precision", "recall", "f1", "predicted", "present"}``.
    """
    need_choice(average, "average", "threshold_scores", ("macro", "micro"))
    probs, targets = np.asarray(probs, dtype=float), np.asarray(targets, dtype=float)
    if probs.shape != targets.shape or probs.ndim != 2:
        raise ArgumentValueError(f"threshold_scores() got probs {probs.shape} and targets "
                                 f"{targets.shape}.",
                                 "probs and targets must both have shape (N, L).",
                                 "pass torch.sigmoid(logits) and the 0/1 targets of the same "
                                 "items.")
    preds = (probs >= threshold).astype(float)
    tp = (preds * targets).sum(axis=0)          # one count per label
    fp = (preds * (1 - targets)).sum(axis=0)
    fn = ((1 - preds) * targets).sum(axis=0)
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(both), where=both > 0)
    return {"precision": float(np.mean(precision)), "recall": float(np.mean(recall)),
            "f1": float(np.mean(f1)), "predicted": int(preds.sum()),
            "present": int(targets.sum())}


def draw_threshold(threshold: float, curve: dict[str, np.ndarray], probs, targets,
                   average: str) -> tuple[str, Figure]:
    """Precision, recall and F1 against the threshold, and precision against recall, with
    the scores at ``threshold`` marked. ``curve`` holds the scores over a grid of thresholds
    (from :func:`threshold_curve`)."""
    now = threshold_scores(probs, targets, threshold, average)
    figure = Figure(figsize=(10, 3.9), layout="constrained")
    left, right = figure.subplots(1, 2)
    for name, colour in [("precision", "tab:blue"), ("recall", "tab:green"), ("f1", "tab:red")]:
        left.plot(curve["threshold"], curve[name], color=colour, label=name.replace("f1", "F1"))
        left.plot([threshold], [now[name]], "o", color=colour, markersize=8)
    left.axvline(threshold, color="gray", linestyle="--")
    left.set_title(f"{average} averages against the threshold")
    left.set_xlabel("threshold on the probability")
    left.set_ylabel("score")
    left.set_ylim(0, 1.02)
    left.legend(loc="lower center")

    right.plot(curve["recall"], curve["precision"], color="0.3")
    right.plot([now["recall"]], [now["precision"]], "o", color="tab:red", markersize=9,
               label=f"threshold {threshold:.2f}")
    right.set_title(f"{average} precision against recall, one point per threshold")
    right.set_xlabel("recall")
    right.set_ylabel("precision")
    right.legend(loc="lower left")
    summary = (f"Threshold {threshold:.2f}: {average} precision {now['precision']:.3f}, "
               f"recall {now['recall']:.3f}, F1 {now['f1']:.3f} "
               f"({now['predicted']} labels predicted, {now['present']} present).")
    return summary, figure


def threshold_curve(probs, targets, average: str = "macro",
                    thresholds: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """:func:`threshold_scores` at every threshold of a grid (0.01, 0.02, ..., 0.99 by
    default): ``{"threshold", "precision", "recall", "f1"}``, arrays of the same length."""
    if thresholds is None:
        thresholds = np.round(np.arange(1, 100) / 100, 2)
    scores = [threshold_scores(probs, targets, t, average) for t in thresholds]
    return {"threshold": np.asarray(thresholds, dtype=float),
            **{name: np.array([s[name] for s in scores]) for name in ("precision", "recall", "f1")}}


def threshold_explorer(probs, targets, threshold: float = 0.5,
                       average: str = "macro") -> Explorer:
    """A threshold slider over ``(N, L)`` probabilities and their 0/1 targets: precision,
    recall and F1 (``"macro"`` or ``"micro"`` averages, see :func:`threshold_scores`) move
    with it, on their curves. ``threshold`` lies in the slider's range, 0.01 to 0.99."""
    probs = need_tensor(probs, "probs", "threshold_explorer", dims=(2,), finite=True,
                        shape_text="(N, L)")
    targets = need_tensor(targets, "targets", "threshold_explorer", dims=(2,),
                          shape_text="(N, L)")
    if probs.shape != targets.shape:
        raise ArgumentValueError(f"threshold_explorer() got probs {tuple(probs.shape)} and "
                                 f"targets {tuple(targets.shape)}.",
                                 "probs and targets must both have shape (N, L).",
                                 "pass torch.sigmoid(logits) and the targets of the same items.")
    if not bool(((probs >= 0) & (probs <= 1)).all()) or not bool(
            ((targets == 0) | (targets == 1)).all()):
        raise ArgumentValueError(f"threshold_explorer() got probs from {float(probs.min()):.3g} "
                                 f"to {float(probs.max()):.3g} and targets "
                                 f"{describe(targets)} with values other than 0 and 1.",
                                 "probabilities in [0, 1] and targets of 0 and 1.",
                                 "pass torch.sigmoid(logits), not the logits, and 0/1 targets.")
    need_number(threshold, "threshold", "threshold_explorer", low=0.01, high=0.99)
    need_choice(average, "average", "threshold_explorer", ("macro", "micro"))
    probs = probs.detach().cpu().double().numpy()
    targets = targets.detach().cpu().double().numpy()
    curve = threshold_curve(probs, targets, average)
    slider = widgets.FloatSlider(value=threshold, min=0.01, max=0.99, step=0.01,
                                 description="threshold", continuous_update=False,
                                 readout_format=".2f")

    def draw(threshold: float) -> tuple[str, Figure]:
        return draw_threshold(threshold, curve, probs, targets, average)

    return Explorer({"threshold": slider}, draw)
