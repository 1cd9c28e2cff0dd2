"""Checks for lab 08: the binary cross-entropy of a multi-label model and its metrics.

``check_bce_with_logits(bce_with_logits)`` compares your loss with PyTorch's
``F.binary_cross_entropy_with_logits`` on ordinary and on huge logits (where the
textbook formula overflows), and compares the gradients too.

``check_multilabel_metrics(multilabel_metrics)`` compares your per-label precision,
recall and F1, macro F1 and exact-match ratio with scikit-learn's on random and on
hand-made predictions, including labels that are never predicted or never present.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import accuracy_score, f1_score, hamming_loss, precision_recall_fscore_support

from .core import Check, float_tensor
from .reference import exercise
from .registry import Target, lab_targets

HINTS: dict[str, tuple[str, ...]] = {
    "bce_with_logits": (
        "Write the loss of one entry with the logit z instead of p = sigmoid(z). Two facts "
        "help: log sigmoid(z) = -log(1 + exp(-z)) and log(1 - sigmoid(z)) = -z - "
        "log(1 + exp(-z)). Put them into -[y log p + (1 - y) log(1 - p)] and simplify.",
        "You should reach (1 - y) * z + log(1 + exp(-z)). It is exact, but exp(-z) "
        "overflows when z is very negative. For z < 0, use log(1 + exp(-z)) = -z + "
        "log(1 + exp(z)): then, whatever the sign of z, exp only ever sees -|z|.",
        "Put together, the loss of one entry is max(z, 0) - z * y + log(1 + exp(-|z|)). "
        "In PyTorch: clamp(min=0), abs(), torch.exp and torch.log1p, then .mean() over "
        "every entry.",
    ),
    "multilabel_metrics": (
        "Count, for each label, over all canvases (sum over dim=0): true positives are "
        "where preds and targets are both 1 (their product); false positives and false "
        "negatives are similar products with 1 - targets or 1 - preds.",
        "precision = TP / (TP + FP) and recall = TP / (TP + FN). Where a denominator is 0, "
        "TP is 0 too, so dividing by the denominator clamped to at least 1 gives the 0 "
        "that scikit-learn gives. F1 = 2PR / (P + R) needs the same care when P + R = 0.",
        "macro_f1 is the mean of the per-label F1 scores, as a number (.item()). "
        "exact_match compares whole rows: (preds == targets).all(dim=1), as floats, then "
        "the mean over the canvases, also as a number.",
    ),
}
TARGETS = lab_targets(8, (
    Target("Held-out exact-match ratio", goal=0.80, percent=False,
           advice="check that the loss is the mean binary cross-entropy over every entry "
           "and that the threshold was chosen on the validation canvases; a few more "
           "epochs (epochs = 6) usually add a little."),
    Target("Held-out macro F1", goal=0.90, percent=False,
           advice="look at the per-digit table: a digit with a low recall is missed "
           "too often (a lower threshold helps it), one with a low precision is named "
           "too often; a few more epochs (epochs = 6) usually add a little."),
))

TOLERANCE = 1e-5
METRIC_KEYS = ("precision", "recall", "f1", "macro_f1", "exact_match")
# logits as large as +-200 and their targets: where the textbook formula takes log(0)
HUGE = (torch.tensor([[100.0, -100.0, 50.0, -50.0, 0.5], [30.0, -30.0, 200.0, -200.0, 5.0]]),
        torch.tensor([[1.0, 0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0, 0.0]]))


# ------------------------------------------------------------------------ the loss

def _scalar(check: Check, value, what: str, n: int, labels: int) -> torch.Tensor:
    """The loss as a 0-d float64 tensor, or a message about its shape."""
    check.that(isinstance(value, torch.Tensor),
               f"{what} returned a {type(value).__name__}.",
               "a tensor (so that loss.backward() works).",
               "build the loss from torch operations on logits and targets.")
    shape = tuple(value.shape)
    if value.numel() != 1:
        if shape == (n, labels):
            hint = "average the per-entry losses into one number: .mean()."
        elif shape in ((n,), (n, 1)):
            hint = ("you averaged per image only: take the mean over every entry "
                    "(images and labels), as nn.BCEWithLogitsLoss does.")
        else:
            hint = "take the mean over every entry (images and labels)."
        check.fail(f"{what} returned a tensor of shape {shape}.", "a single number.", hint)
    return value.reshape(()).double()


def _loss_mistakes(logits: torch.Tensor, targets: torch.Tensor,
                   reference: torch.Tensor) -> list[tuple[torch.Tensor, str, str]]:
    n, labels = logits.shape
    return [
        (reference * n * labels, "Your loss is the sum over all entries.",
         "take the mean over every entry (divide by N * labels), as nn.BCEWithLogitsLoss."),
        (reference * labels, "Your loss sums over the labels and averages over the images.",
         "take the mean over every entry (images and labels)."),
        (-reference, "Your loss is the right size but negative.",
         "BCE = -[y log p + (1 - y) log(1 - p)]: mind the minus sign in front."),
        (F.binary_cross_entropy_with_logits(logits, 1 - targets),
         "Your loss matches one where y and 1 - y are swapped.",
         "y multiplies log p (p = sigmoid(z)) and 1 - y multiplies log(1 - p)."),
        (F.cross_entropy(logits, targets),
         "Your loss matches a softmax cross-entropy: the labels compete with each other.",
         "multi-label needs an independent sigmoid per label: p = sigmoid(z), then the "
         "binary cross-entropy of every entry."),
    ]


def _check_loss_value(check: Check, bce_with_logits: Callable) -> None:
    """The mean loss on ordinary logits, naming a known mistake."""
    generator = torch.Generator().manual_seed(8)
    logits = torch.randn(8, 5, generator=generator) * 3
    targets = (torch.rand(8, 5, generator=generator) < 0.4).float()
    what = "bce_with_logits(logits, targets) with logits and targets of shape (8, 5)"
    found = _scalar(check, check.call(bce_with_logits, logits.clone(), targets.clone(),
                                      description=what), what, 8, 5)
    expected = F.binary_cross_entropy_with_logits(logits.double(), targets.double())
    if not torch.allclose(found, expected, atol=TOLERANCE, rtol=TOLERANCE):
        for candidate, message, hint in _loss_mistakes(logits.double(), targets.double(),
                                                       expected):
            if torch.allclose(found, candidate, atol=1e-4, rtol=1e-4):
                check.fail(f"{message} It gave {found.item():.5f}.",
                           f"{expected.item():.5f}.", hint)
        check.fail(f"{what} gave {found.item():.5f}.", f"{expected.item():.5f}.",
                   "mean over every entry of -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))].")
    check.ok()


def _check_huge_logits(check: Check, bce_with_logits: Callable) -> None:
    """Logits as large as +-200: the textbook formula takes log(0)."""
    huge, huge_targets = HUGE
    what = "bce_with_logits on logits as large as +-200"
    found = _scalar(check, check.call(bce_with_logits, huge.clone(), huge_targets.clone(),
                                      description=what), what, 2, 5)
    expected = F.binary_cross_entropy_with_logits(huge.double(), huge_targets.double())
    check.that(bool(torch.isfinite(found)),
               f"{what} gave {found.item()}.",
               f"{expected.item():.4f}: a confident wrong answer costs a large but finite loss.",
               "sigmoid(100) rounds to exactly 1 in float32, so log(1 - p) is log(0). Rewrite "
               "the loss with the logit z itself: max(z, 0) - z * y + log(1 + exp(-|z|)).")
    check.that(bool(torch.allclose(found, expected, atol=1e-3, rtol=1e-4)),
               f"{what} gave {found.item():.4f}.",
               f"{expected.item():.4f}.",
               "log(1 - sigmoid(z)) saturates for large z; use the stable form "
               "max(z, 0) - z * y + log(1 + exp(-|z|)) (torch.log1p helps).")


def _check_loss_gradient(check: Check, bce_with_logits: Callable, z: torch.Tensor,
                         y: torch.Tensor, label: str) -> None:
    """The gradient: sigmoid(z) - y, divided by the number of entries."""
    z = z.clone().requires_grad_(True)
    loss = check.call(bce_with_logits, z, y.clone(), description=f"bce_with_logits on "
                      f"{label} logits that require a gradient")
    check.call(lambda: loss.backward(), description="loss.backward()",
               hint="build the loss from torch operations only (no .item(), .numpy()).")
    expected_grad = (torch.sigmoid(z.detach()) - y) / y.numel()
    check.that(z.grad is not None and bool(torch.isfinite(z.grad).all()),
               f"The gradient of your loss with respect to {label} logits is "
               f"{'missing' if z.grad is None else 'not finite (nan or inf)'}.",
               "(sigmoid(z) - y) / number of entries.",
               "use the stable form max(z, 0) - z * y + log(1 + exp(-|z|)) and no "
               ".detach().")
    check.that(bool(torch.allclose(z.grad, expected_grad, atol=1e-6, rtol=1e-4)),
               f"The gradient of your loss with respect to {label} logits differs from "
               f"(sigmoid(z) - y) / N by up to "
               f"{(z.grad - expected_grad).abs().max().item():.3g}.",
               "the same gradient as nn.BCEWithLogitsLoss.")


@exercise(8, "bce_with_logits", hints=HINTS["bce_with_logits"])
def check_bce_with_logits(bce_with_logits: Callable) -> None:
    """Your ``bce_with_logits(logits, targets)`` against ``F.binary_cross_entropy_with_logits``:
    the value (mean over every entry), stability for huge logits, and the gradient."""
    check = Check("bce_with_logits")
    _check_loss_value(check, bce_with_logits)
    _check_huge_logits(check, bce_with_logits)
    generator = torch.Generator().manual_seed(8)
    logits = torch.randn(8, 5, generator=generator) * 3
    targets = (torch.rand(8, 5, generator=generator) < 0.4).float()
    for z, y, label in ((logits, targets, "ordinary"), (*HUGE, "huge")):
        _check_loss_gradient(check, bce_with_logits, z, y, label)
    check.passed()


# ------------------------------------------------------------------------ the metrics

def _metric_cases() -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """(description, preds, targets): random ones, and hand-made edge cases."""
    generator = torch.Generator().manual_seed(3)
    targets = (torch.rand(60, 6, generator=generator) < 0.35).float()
    flips = (torch.rand(60, 6, generator=generator) < 0.15).float()
    preds = (targets + flips) % 2
    edge_targets = torch.tensor([[1, 0, 0, 1], [1, 1, 0, 0], [0, 1, 0, 1], [0, 0, 0, 1],
                                 [1, 0, 0, 0]], dtype=torch.float32)
    edge_preds = torch.tensor([[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1],
                               [0, 0, 1, 0]], dtype=torch.float32)
    return [
        ("60 random canvases with 6 labels", preds, targets),
        ("5 hand-made canvases in which label 1 is never predicted and label 2 never "
         "present", edge_preds, edge_targets),
    ]


def _as_array(check: Check, value: Any, key: str) -> np.ndarray:
    array = float_tensor(value)
    if array is None:
        check.fail(f"metrics['{key}'] is a {type(value).__name__}, not numbers.",
                   "a tensor (per label) or a number.")
    return array.numpy()


def _check_per_label(check: Check, description: str, found: dict, expected: dict,
                     n: int, labels: int) -> None:
    """Per-label precision, recall and F1: shapes, nan, then values."""
    for key in ("precision", "recall", "f1"):
        value = found[key]
        if value.shape == (n,):
            check.fail(f"metrics['{key}'] has shape {value.shape}: one value per canvas.",
                       f"shape ({labels},): one value per label.",
                       "count TP, FP and FN per label by summing over the canvases "
                       "(dim=0).")
        check.that(value.shape == (labels,),
                   f"metrics['{key}'] has shape {value.shape}.", f"({labels},), one per label.")
        if np.isnan(value).any():
            check.fail(f"metrics['{key}'] holds nan for label(s) "
                       f"{np.flatnonzero(np.isnan(value)).tolist()} on {description}.",
                       f"{np.round(expected[key], 4).tolist()}: 0 where the denominator "
                       "is 0.",
                       "divide by the denominator clamped to at least 1 (TP + FP = 0 "
                       "means TP = 0 too), e.g. tp / (tp + fp).clamp(min=1).")
    if not np.allclose(found["precision"], expected["precision"], atol=TOLERANCE) \
            and np.allclose(found["precision"], expected["recall"], atol=TOLERANCE):
        check.fail("Your precision is the recall, and the other way round.",
                   "precision = TP / (TP + FP): of the labels you predicted, how many "
                   "are right; recall = TP / (TP + FN): of the true labels, how many "
                   "you found.")
    for key, formula in (("precision", "TP / (TP + FP)"), ("recall", "TP / (TP + FN)")):
        check.that(np.allclose(found[key], expected[key], atol=TOLERANCE),
                   f"On {description}, metrics['{key}'] is "
                   f"{np.round(found[key], 4).tolist()}.",
                   f"{np.round(expected[key], 4).tolist()}.",
                   f"{key} = {formula} per label, 0 when the denominator is 0.")
    if not np.allclose(found["f1"], expected["f1"], atol=TOLERANCE):
        mean = (expected["precision"] + expected["recall"]) / 2
        if np.allclose(found["f1"], mean, atol=TOLERANCE):
            check.fail("Your F1 is the plain average of precision and recall.",
                       "the harmonic mean: F1 = 2 * P * R / (P + R), 0 when P + R = 0.",
                       "the harmonic mean punishes a label with good precision but "
                       "poor recall (or the reverse).")
        check.fail(f"On {description}, metrics['f1'] is {np.round(found['f1'], 4).tolist()}.",
                   f"{np.round(expected['f1'], 4).tolist()}.",
                   "F1 = 2 * P * R / (P + R) per label, 0 when P + R = 0.")
    check.ok()


def _single(check: Check, found: np.ndarray, key: str, words: str) -> float:
    """A one-number metric as a float."""
    check.that(found.size == 1, f"metrics['{key}'] has shape {found.shape}.",
               f"a single number: {words}.")
    value = float(found.reshape(-1)[0])
    check.that(bool(np.isfinite(value)), f"metrics['{key}'] is {value}.",
               f"a single number: {words}.",
               "a denominator of 0 gives nan: clamp it to at least 1.")
    return value


def _check_macro_f1(check: Check, description: str, found: np.ndarray, expected: dict,
                    t: np.ndarray, p: np.ndarray) -> None:
    macro = _single(check, found, "macro_f1", "the mean of the per-label F1 scores")
    if not np.isclose(macro, expected["macro_f1"], atol=TOLERANCE):
        micro = f1_score(t, p, average="micro", zero_division=0)
        mp, mr = expected["precision"].mean(), expected["recall"].mean()
        f1_of_means = 2 * mp * mr / (mp + mr) if mp + mr > 0 else 0.0
        if np.isclose(macro, micro, atol=TOLERANCE):
            check.fail(f"Your macro F1 ({macro:.4f}) is the micro F1: TP, FP and FN "
                       "pooled over all labels.",
                       f"{expected['macro_f1']:.4f}, the mean of the per-label F1 scores.",
                       "macro averaging gives every label the same weight, rare or not: "
                       "f1.mean().")
        if np.isclose(macro, f1_of_means, atol=TOLERANCE):
            check.fail(f"Your macro F1 ({macro:.4f}) is the F1 of the mean precision and "
                       "the mean recall.",
                       f"{expected['macro_f1']:.4f}, the mean of the per-label F1 scores.",
                       "average the F1 scores themselves: f1.mean().")
        check.fail(f"On {description}, metrics['macro_f1'] is {macro:.4f}.",
                   f"{expected['macro_f1']:.4f}, the mean of the per-label F1 scores.")
    check.ok()


def _check_exact_match(check: Check, description: str, found: np.ndarray, expected: dict,
                       t: np.ndarray, p: np.ndarray, labels: int) -> None:
    exact = _single(check, found, "exact_match",
                    "the fraction of canvases whose labels are all right")
    if not np.isclose(exact, expected["exact_match"], atol=TOLERANCE):
        if np.isclose(exact, 1 - hamming_loss(t, p), atol=TOLERANCE):
            check.fail(f"Your exact-match ratio ({exact:.4f}) is the fraction of single "
                       "labels that are right (the Hamming accuracy).",
                       f"{expected['exact_match']:.4f}: a canvas counts only when all "
                       f"{labels} of its labels are right.",
                       "(preds == targets).all(dim=1) per canvas, then the mean.")
        check.fail(f"On {description}, metrics['exact_match'] is {exact:.4f}.",
                   f"{expected['exact_match']:.4f}: the fraction of canvases whose labels "
                   "are all right.",
                   "(preds == targets).all(dim=1).float().mean().")
    check.ok()


def _metrics_dict(check: Check, multilabel_metrics: Callable, preds: torch.Tensor,
                  targets: torch.Tensor, what: str) -> dict[str, np.ndarray]:
    """Your dict of metrics, every key present, every value as an array."""
    result = check.call(multilabel_metrics, preds.clone(), targets.clone(), description=what)
    check.that(isinstance(result, dict), f"{what} returned a {type(result).__name__}.",
               f"a dict with the keys {', '.join(METRIC_KEYS)}.")
    missing = [key for key in METRIC_KEYS if key not in result]
    check.that(not missing, f"The dict has no key {', '.join(repr(k) for k in missing)} "
               f"(it has {', '.join(repr(k) for k in result) or 'none'}).",
               f"the keys {', '.join(METRIC_KEYS)}.")
    return {key: _as_array(check, result[key], key) for key in METRIC_KEYS}


@exercise(8, "multilabel_metrics", hints=HINTS["multilabel_metrics"])
def check_multilabel_metrics(multilabel_metrics: Callable) -> None:
    """Your ``multilabel_metrics(preds, targets)`` against scikit-learn.

    ``preds`` and ``targets`` are 0/1 tensors ``(N, L)``. Expected: a dict with per-label
    ``precision``, ``recall`` and ``f1`` (shape ``(L,)``; 0 where a denominator is 0),
    ``macro_f1`` (their mean) and ``exact_match`` (fraction of rows entirely right).
    """
    check = Check("multilabel_metrics")
    for description, preds, targets in _metric_cases():
        n, labels = targets.shape
        what = f"multilabel_metrics on {description}"
        found = _metrics_dict(check, multilabel_metrics, preds, targets, what)
        t, p = targets.numpy().astype(int), preds.numpy().astype(int)
        precision, recall, f1, _ = precision_recall_fscore_support(t, p, average=None,
                                                                   zero_division=0)
        expected = {"precision": precision, "recall": recall, "f1": f1,
                    "macro_f1": f1_score(t, p, average="macro", zero_division=0),
                    "exact_match": accuracy_score(t, p)}
        _check_per_label(check, description, found, expected, n, labels)
        _check_macro_f1(check, description, found["macro_f1"], expected, t, p)
        _check_exact_match(check, description, found["exact_match"], expected, t, p, labels)
    check.passed()
