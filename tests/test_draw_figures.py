"""The diagrams in img/: drawn by ``make figures`` (tools/draw_figures.py), committed."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from tools import draw_figures as figures

ROOT = Path(__file__).resolve().parents[1]
# The labs reference exactly these names.
EXPECTED = {"conv_sliding_window.png", "residual_block.png", "resnet_blocks.png",
            "vgg_block.png", "vgg_block_2014.png", "unet.png",
            "transposed_conv_zero_insertion.png"}


def test_make_figures_draws_exactly_the_committed_diagrams(tmp_path):
    assert "-m tools.draw_figures" in (ROOT / "Makefile").read_text()
    subprocess.run([sys.executable, "-m", "tools.draw_figures", "--out", str(tmp_path)],
                   check=True, capture_output=True, cwd=ROOT, timeout=300)
    drawn = {path.name for path in tmp_path.iterdir()}
    committed = {path.name for path in (ROOT / "img").glob("*.png")}
    assert drawn == EXPECTED
    assert committed == EXPECTED, "run `make figures` and commit img/"
    for folder in (tmp_path, ROOT / "img"):
        for name in EXPECTED:
            path = folder / name
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
            with Image.open(path) as image:
                image.verify()
            with Image.open(path) as image:
                width, height = image.size
            assert width >= 800 and height >= 400, f"{path} is too small: {image.size}"


def test_importing_the_figure_script_leaves_the_backend_alone():
    """Only the script's main() switches matplotlib to files-only drawing."""
    before = matplotlib.get_backend()
    try:
        matplotlib.use("svg")
        importlib.reload(figures)  # runs the module's top level again
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)


def test_the_sliding_window_is_what_conv2d_computes():
    image = np.arange(30).reshape(5, 6) % 7
    kernel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    expected = F.conv2d(torch.tensor(image[None, None], dtype=torch.float64),
                        torch.tensor(kernel[None, None], dtype=torch.float64))[0, 0]
    assert np.array_equal(figures.cross_correlate(image, kernel), expected.numpy())


def test_the_zero_insertion_route_is_a_transposed_convolution():
    image, kernel = np.array([[1, 5], [3, 2]]), np.array([[0, 1], [2, 3]])
    for stride in (1, 2, 3):
        expected = F.conv_transpose2d(torch.tensor(image[None, None], dtype=torch.float64),
                                      torch.tensor(kernel[None, None], dtype=torch.float64),
                                      stride=stride)[0, 0]
        assert np.array_equal(figures.transposed_conv(image, kernel, stride), expected.numpy())
        padded = np.pad(figures.zero_insert(image, stride), kernel.shape[0] - 1)
        assert np.array_equal(figures.cross_correlate(padded, kernel[::-1, ::-1]),
                              expected.numpy())
