"""The numbers the explorers show, against PyTorch's own layers, hand counts and
scikit-learn; and the explorer itself redrawing when a slider moves (no browser here:
tests/test_jupyterlab.py moves a slider in a real one)."""

from __future__ import annotations

import base64
import itertools
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import precision_recall_fscore_support
from torch import nn

from labutils import explorers
from labutils.explorers import (
    conv_output_size,
    inner_counts,
    measured_conv_output_size,
    measured_transposed_output_size,
    overlap_counts,
    seen_pixels,
    threshold_scores,
    transposed_output_size,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _conv_configs(count: int, seed: int = 0) -> list[tuple[int, int, int, int, int]]:
    rng = random.Random(seed)
    return [(rng.randint(1, 16), rng.randint(1, 7), rng.randint(0, 4), rng.randint(1, 4),
             rng.randint(1, 4)) for _ in range(count)]


def test_conv_output_size_matches_nn_conv2d_including_configurations_without_output():
    empty = 0
    for n, k, p, s, d in _conv_configs(300):
        conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
        try:
            with torch.no_grad():
                expected = conv(torch.zeros(1, 1, n, n)).shape[-1]
        except RuntimeError:  # PyTorch refuses a convolution whose output would be empty
            expected, empty = 0, empty + 1
        assert conv_output_size(n, k, p, s, d) == expected, (n, k, p, s, d)
        assert measured_conv_output_size(n, k, p, s, d) == expected, (n, k, p, s, d)
    assert 0 < empty < 300, "the random configurations should include some without output"


def test_conv_output_size_by_hand():
    # 7 pixels, 3x3 kernel, padding 1, stride 2: windows start at padded columns 0, 2, 4, 6.
    assert conv_output_size(7, 3, p=1, s=2) == 4
    # A 3x3 kernel with dilation 2 spans 5 pixels: 5 positions fit into 9 pixels.
    assert conv_output_size(9, 3, d=2) == 5
    assert conv_output_size(4, 3, d=2) == 0  # span 5 > 4: no output


def test_seen_pixels_by_hand():
    # Output 2 of (k=3, p=1, s=2): its window starts at padded column 4 = input column 3.
    assert seen_pixels(2, k=3, p=1, s=2) == [3, 4, 5]
    # Output 0 with padding 2 and dilation 2: every other pixel, the first two are padding.
    assert seen_pixels(0, k=3, p=2, d=2) == [-2, 0, 2]


FITTING = [(n, k, p, s, d) for n, k, p, s, d in _conv_configs(60, seed=1)
           if n + 2 * p >= d * (k - 1) + 1][:30]  # the dilated kernel fits: an output exists


@pytest.mark.parametrize("config", FITTING)
def test_seen_pixels_are_where_the_gradient_of_one_output_pixel_is_non_zero(config):
    n, k, p, s, d = config
    size = conv_output_size(n, k, p, s, d)
    conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    image = torch.rand(1, 1, n, n, requires_grad=True)
    row, column = random.Random(str(config)).randrange(size), size - 1
    conv(image)[0, 0, row, column].backward()
    touched = {tuple(index) for index in image.grad[0, 0].nonzero().tolist()}
    inside = {(r, c) for r in seen_pixels(row, k, p, s, d) for c in seen_pixels(column, k, p, s, d)
              if 0 <= r < n and 0 <= c < n}
    assert touched == inside


def test_transposed_output_size_matches_nn_conv_transpose2d():
    every = list(itertools.product(range(1, 9), range(1, 7), range(1, 5), range(0, 4)))
    empty = 0
    for n, k, s, p in random.Random(2).sample(every, 200):
        up = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p)
        try:
            with torch.no_grad():
                expected = up(torch.zeros(1, 1, n, n)).shape[-1]
        except RuntimeError:
            expected, empty = 0, empty + 1
        assert transposed_output_size(n, k, s, p) == expected, (n, k, s, p)
        assert measured_transposed_output_size(n, k, s, p) == expected, (n, k, s, p)
    assert empty > 0


def test_overlap_counts_by_hand():
    # Four input pixels, kernel 3, stride 2: copies on 0-2, 2-4, 4-6, 6-8.
    assert overlap_counts(4, 3, s=2).tolist() == [1, 1, 2, 1, 2, 1, 2, 1, 1]
    # Padding 1 cuts one position off each end.
    assert overlap_counts(4, 3, s=2, p=1).tolist() == [1, 2, 1, 2, 1, 2, 1]
    # Kernel 4, stride 2: copies on 0-3, 2-5, 4-7, 6-9: two copies everywhere inside.
    assert overlap_counts(4, 4, s=2).tolist() == [1, 1, 2, 2, 2, 2, 2, 2, 1, 1]


@pytest.mark.parametrize("n, k, s, p", [(4, 3, 2, 0), (4, 3, 2, 1), (5, 4, 2, 1), (3, 5, 3, 2),
                                        (6, 1, 2, 0), (2, 6, 4, 3), (8, 2, 2, 0)])
def test_overlap_counts_equal_a_transposed_convolution_of_ones_with_ones(n, k, s, p):
    counts = overlap_counts(n, k, s, p)
    stamped = F.conv_transpose2d(torch.ones(1, 1, n, n), torch.ones(1, 1, k, k), stride=s,
                                 padding=p)[0, 0]
    assert np.array_equal(np.outer(counts, counts), stamped.numpy().astype(int))


def test_inner_counts_are_even_exactly_when_the_kernel_is_a_multiple_of_the_stride():
    for k, s in itertools.product(range(1, 7), range(1, 5)):
        values = inner_counts(k, s)
        if k % s == 0:
            assert values == [k // s], (k, s)
        else:
            assert values == [k // s, k // s + 1], (k, s)
        # ... and they are the counts in the middle of a large input, counted copy by copy.
        middle = overlap_counts(40, k, s)[10 * s:30 * s]
        assert sorted(set(middle.tolist())) == values, (k, s)


def _probabilities(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    targets = (rng.random((400, 6)) < [0.05, 0.1, 0.2, 0.3, 0.4, 0.02]).astype(float)
    probs = np.clip(0.5 * targets + 0.6 * rng.random(targets.shape), 0, 1)
    return probs, targets


@pytest.mark.parametrize("average", ["macro", "micro"])
@pytest.mark.parametrize("threshold", [0.05, 0.3, 0.5, 0.75, 0.95, 0.99])
def test_threshold_scores_match_scikit_learn(average, threshold):
    probs, targets = _probabilities()
    precision, recall, f1, _ = precision_recall_fscore_support(
        targets, probs >= threshold, average=average, zero_division=0)
    found = threshold_scores(probs, targets, threshold, average)
    assert found["precision"] == pytest.approx(precision)
    assert found["recall"] == pytest.approx(recall)
    assert found["f1"] == pytest.approx(f1)
    assert found["predicted"] == int((probs >= threshold).sum())
    assert found["present"] == int(targets.sum())


def test_threshold_scores_by_hand_and_from_tensors():
    probs = torch.tensor([[0.9, 0.2], [0.6, 0.7], [0.1, 0.4]])
    targets = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # At 0.5: label 0 predicted for canvases 0, 1 (TP 1, FP 1, FN 1); label 1 for canvas 1
    # (TP 1, FP 0, FN 1). Precision 1/2 and 1, recall 1/2 and 1/2.
    macro = threshold_scores(probs, targets, 0.5)
    assert macro["precision"] == pytest.approx((0.5 + 1.0) / 2)
    assert macro["recall"] == pytest.approx(0.5)
    assert macro["f1"] == pytest.approx((0.5 + 2 / 3) / 2)
    micro = threshold_scores(probs, targets, 0.5, average="micro")
    assert micro["precision"] == pytest.approx(2 / 3) and micro["recall"] == pytest.approx(0.5)


def test_threshold_scores_refuse_what_they_cannot_average():
    probs, targets = _probabilities()
    with pytest.raises(ValueError, match="one of 'macro', 'micro'"):
        threshold_scores(probs, targets, 0.5, average="weighted")
    with pytest.raises(ValueError, match=r"\(N, L\)"):
        threshold_scores(probs[:, 0], targets[:, 0], 0.5)


def test_moving_a_slider_redraws_the_conv_explorer_and_keeps_the_output_pixel_inside():
    explorer = explorers.conv_explorer(n=7, k=3, p=0, s=1, d=1)
    assert explorer.summary.startswith("Output 5×5")
    before = explorer.png
    explorer.sliders["s"].value = 2
    assert explorer.summary.startswith("Output 3×3") and "nn.Conv2d agrees" in explorer.summary
    assert explorer.png != before and explorer.png.startswith(PNG_SIGNATURE)
    explorer.sliders["row"].value = 2
    explorer.sliders["s"].value = 4  # output 2x2: row 2 no longer exists
    assert explorer.sliders["row"].max == 1 and explorer.sliders["row"].value == 1
    assert "Output pixel (1, 1)" in explorer.summary
    explorer.sliders["d"].value = 4  # span 9 > 7
    assert explorer.summary.startswith("No output")


def test_transposed_conv_explorer_names_the_checkerboard():
    explorer = explorers.transposed_conv_explorer(n=4, k=3, s=2, p=0)
    assert explorer.summary.startswith("Output 9×9") and "checkerboard" in explorer.summary
    explorer.sliders["k"].value = 4
    assert explorer.summary.startswith("Output 10×10") and "Even overlap" in explorer.summary


def test_threshold_explorer_follows_the_slider_and_carries_a_picture_for_static_runs():
    probs, targets = _probabilities()
    explorer = explorers.threshold_explorer(torch.tensor(probs), torch.tensor(targets), 0.5)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # JupyterLab: the sliders
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_SIGNATURE)  # nbval: the picture
    assert bundle["text/plain"] == explorer.summary
    explorer.sliders["threshold"].value = 0.8
    expected = threshold_scores(probs, targets, 0.8)
    assert explorer.summary.startswith(f"Threshold 0.80: macro precision "
                                       f"{expected['precision']:.3f}")


def test_the_explorers_leave_the_random_state_alone_and_refuse_values_off_their_sliders():
    import labutils

    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    labutils.conv_explorer(n=5, k=3)
    labutils.transposed_conv_explorer(n=3, k=3, s=2)
    assert torch.equal(torch.rand(3), expected)  # nn.Conv2d's random weights drew nothing
    for call, match in [(lambda: labutils.conv_explorer(n=10**6), "from 1 to 16"),
                        (lambda: labutils.transposed_conv_explorer(p=-1), "from 0 to 3"),
                        (lambda: labutils.threshold_explorer(torch.ones(2, 2) * 3,
                                                             torch.ones(2, 2)), "sigmoid")]:
        with pytest.raises(labutils.LabutilsError, match=match):
            call()
