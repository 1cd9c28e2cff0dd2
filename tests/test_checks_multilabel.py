"""The checks of lab 08 against right answers and the typical wrong ones."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from labutils.checks import CheckFailed, NotImplementedYet
from labutils.checks.multilabel import check_bce_with_logits, check_multilabel_metrics

# The checks alone, without the guard of their registration (reference.exercise), which
# would name the workbook's own answers these tests use instead of checking them.
check_bce_with_logits = check_bce_with_logits.__wrapped__
check_multilabel_metrics = check_multilabel_metrics.__wrapped__

# --------------------------------------------------------------------------- the loss


def good_bce(logits, targets):
    return (logits.clamp(min=0) - logits * targets
            + torch.log1p(torch.exp(-logits.abs()))).mean()


def naive_bce(logits, targets):
    p = torch.sigmoid(logits)
    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()


def summed_bce(logits, targets):
    return good_bce(logits, targets) * targets.numel()


def per_image_bce(logits, targets):
    return (logits.clamp(min=0) - logits * targets
            + torch.log1p(torch.exp(-logits.abs()))).mean(dim=1)


def per_entry_bce(logits, targets):
    return logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))


def label_sum_bce(logits, targets):
    return per_entry_bce(logits, targets).sum(dim=1).mean()


def negative_bce(logits, targets):
    return -good_bce(logits, targets)


def swapped_bce(logits, targets):
    return good_bce(logits, 1 - targets)


def softmax_bce(logits, targets):
    return -(targets * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()


def clamped_bce(logits, targets):
    """Stable but wrong for large logits: clips the probabilities."""
    p = torch.sigmoid(logits).clamp(1e-7, 1 - 1e-7)
    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()


def detached_bce(logits, targets):
    return good_bce(logits.detach(), targets)


def numpy_bce(logits, targets):
    return float(good_bce(logits, targets))


def stub_bce(logits, targets):
    raise NotImplementedError()


def test_bce_right_answer_passes(capsys):
    check_bce_with_logits(good_bce)
    assert "bce_with_logits: all" in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "message"), [
    (naive_bce, "rounds to exactly 1 in float32"),
    (summed_bce, "Your loss is the sum over all entries"),
    (per_image_bce, "you averaged per image only"),
    (per_entry_bce, "average the per-entry losses into one number"),
    (label_sum_bce, "sums over the labels and averages over the images"),
    (negative_bce, "mind the minus sign"),
    (swapped_bce, "y and 1 - y are swapped"),
    (softmax_bce, "softmax cross-entropy"),
    (clamped_bce, "saturates for large z"),
    (detached_bce, "raised RuntimeError"),
    (numpy_bce, "returned a float"),
])
def test_bce_wrong_answers_are_named(wrong, message):
    with pytest.raises(CheckFailed) as error:
        check_bce_with_logits(wrong)
    assert message in str(error.value)


def test_bce_stub_says_not_done():
    with pytest.raises(NotImplementedYet):
        check_bce_with_logits(stub_bce)


# --------------------------------------------------------------------------- the metrics


def counts(preds, targets):
    tp = (preds * targets).sum(dim=0)
    fp = (preds * (1 - targets)).sum(dim=0)
    fn = ((1 - preds) * targets).sum(dim=0)
    return tp, fp, fn


def good_metrics(preds, targets):
    tp, fp, fn = counts(preds, targets)
    precision = tp / (tp + fp).clamp(min=1)
    recall = tp / (tp + fn).clamp(min=1)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    return {"precision": precision, "recall": recall, "f1": f1, "macro_f1": f1.mean().item(),
            "exact_match": (preds == targets).all(dim=1).float().mean().item()}


def with_changes(**changes):
    def metrics(preds, targets):
        result = good_metrics(preds, targets)
        for key, change in changes.items():
            result[key] = change(preds, targets, result)
        return result
    return metrics


def nan_precision(preds, targets, result):
    tp, fp, _ = counts(preds, targets)
    return tp / (tp + fp)


def per_canvas_precision(preds, targets, result):
    tp = (preds * targets).sum(dim=1)
    fp = (preds * (1 - targets)).sum(dim=1)
    return tp / (tp + fp).clamp(min=1)


def micro_f1(preds, targets, result):
    tp, fp, fn = (c.sum() for c in counts(preds, targets))
    return (2 * tp / (2 * tp + fp + fn)).item()


def f1_of_means(preds, targets, result):
    p, r = result["precision"].mean(), result["recall"].mean()
    return (2 * p * r / (p + r)).item()


def hamming(preds, targets, result):
    return (preds == targets).float().mean().item()


def swapped(preds, targets):
    result = good_metrics(preds, targets)
    result["precision"], result["recall"] = result["recall"], result["precision"]
    return result


def missing_key(preds, targets):
    result = good_metrics(preds, targets)
    del result["exact_match"]
    return result


def test_metrics_right_answer_passes(capsys):
    check_multilabel_metrics(good_metrics)
    assert "multilabel_metrics: all" in capsys.readouterr().out


def test_metrics_accept_numpy_and_lists(capsys):
    def as_numpy(preds, targets):
        result = good_metrics(preds, targets)
        return {key: value.numpy() if isinstance(value, torch.Tensor) else value
                for key, value in result.items()}

    check_multilabel_metrics(as_numpy)
    assert "all" in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "message"), [
    (with_changes(precision=nan_precision), "holds nan for label(s) [1]"),
    (with_changes(precision=per_canvas_precision), "one value per canvas"),
    (swapped, "Your precision is the recall"),
    (with_changes(f1=lambda p, t, r: (r["precision"] + r["recall"]) / 2),
     "plain average of precision and recall"),
    (with_changes(macro_f1=micro_f1), "is the micro F1"),
    (with_changes(macro_f1=f1_of_means), "F1 of the mean precision and the mean recall"),
    (with_changes(exact_match=hamming), "(the Hamming accuracy)"),
    (with_changes(exact_match=lambda p, t, r: 0.5), "metrics['exact_match'] is 0.5000"),
    (missing_key, "The dict has no key 'exact_match'"),
    (lambda preds, targets: list(good_metrics(preds, targets).values()), "returned a list"),
])
def test_metrics_wrong_answers_are_named(wrong, message):
    with pytest.raises(CheckFailed) as error:
        check_multilabel_metrics(wrong)
    assert message in str(error.value)


def test_metrics_stub_says_not_done():
    def stub(preds, targets):
        raise NotImplementedError()

    with pytest.raises(NotImplementedYet):
        check_multilabel_metrics(stub)


# ------------------------------------------------------------------ answers written by others


def softplus_bce(logits, targets):
    """Right, another style: softplus(z) - z * y, which PyTorch computes stably."""
    return torch.mean(F.softplus(logits) - logits * targets)


def logsigmoid_bce(logits, targets):
    """Right, another style: log-sigmoid of z and of -z."""
    return -(targets * F.logsigmoid(logits) + (1 - targets) * F.logsigmoid(-logits)).mean()


@pytest.mark.parametrize("right", [softplus_bce, logsigmoid_bce])
def test_bce_in_other_right_styles_passes(right, capsys):
    check_bce_with_logits(right)
    assert "bce_with_logits: all" in capsys.readouterr().out


def test_bce_that_returns_nan_on_ordinary_logits():
    def nan_bce(logits, targets):
        return good_bce(logits, targets) * float("nan")

    with pytest.raises(CheckFailed, match=r"gave nan"):
        check_bce_with_logits(nan_bce)


def loop_metrics(preds, targets):
    """Right, another style: one label at a time, plain Python floats."""
    precision, recall, f1 = [], [], []
    for label in range(targets.shape[1]):
        p, t = preds[:, label].bool(), targets[:, label].bool()
        tp, fp, fn = (p & t).sum().item(), (p & ~t).sum().item(), (~p & t).sum().item()
        precision.append(tp / (tp + fp) if tp + fp else 0.0)
        recall.append(tp / (tp + fn) if tp + fn else 0.0)
        total = precision[-1] + recall[-1]
        f1.append(2 * precision[-1] * recall[-1] / total if total else 0.0)
    exact = sum(bool((preds[i] == targets[i]).all()) for i in range(len(preds))) / len(preds)
    return {"precision": precision, "recall": recall, "f1": f1,
            "macro_f1": sum(f1) / len(f1), "exact_match": exact}


def sklearn_metrics(preds, targets):
    """Right, another style: scikit-learn, NumPy arrays and 0-d tensors."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(targets.int().numpy(), preds.int().numpy(),
                                                 average=None, zero_division=0)
    return {"precision": p, "recall": r, "f1": f, "macro_f1": torch.tensor(f.mean()),
            "exact_match": (preds == targets).all(dim=1).float().mean()}


@pytest.mark.parametrize("right", [loop_metrics, sklearn_metrics])
def test_metrics_in_other_right_styles_pass(right, capsys):
    check_multilabel_metrics(right)
    assert "multilabel_metrics: all" in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "message"), [
    (with_changes(macro_f1=lambda preds, targets, result: float("nan")),
     "metrics['macro_f1'] is nan"),
    (with_changes(exact_match=lambda preds, targets, result: None),
     "metrics['exact_match'] is a NoneType, not numbers"),
    (with_changes(f1=lambda preds, targets, result: "f1"), "metrics['f1'] is a str"),
])
def test_metrics_unexpected_values_get_a_message(wrong, message):
    with pytest.raises(CheckFailed) as error:
        check_multilabel_metrics(wrong)
    assert message in str(error.value)


# ------------------------------------------------------------------ hints, reference, targets


def test_lab_08_lists_its_exercises_with_two_or_three_hints():
    from labutils.checks.registry import exercises

    assert [exercise.name for exercise in exercises(8)] == ["bce_with_logits",
                                                           "multilabel_metrics"]
    for exercise in exercises(8):
        hints = exercise.hints
        assert 2 <= len(hints) <= 3 and all(len(text.split()) >= 15 for text in hints)


def test_the_workbook_answers_pass_their_checks(capsys):
    from labutils_answers import lab08

    check_bce_with_logits(lab08.bce_with_logits)
    check_multilabel_metrics(lab08.multilabel_metrics)
    out = capsys.readouterr().out
    assert "bce_with_logits: all" in out and "multilabel_metrics: all" in out


@pytest.mark.parametrize(("name", "value", "reached"), [
    ("Held-out exact-match ratio", 0.912, True),
    ("Held-out exact-match ratio", 0.799, False),
    ("Held-out macro F1", 0.975, True),
    ("Held-out macro F1", 0.85, False),
])
def test_lab_08_targets(name, value, reached, monkeypatch, capsys):
    from labutils.checks import progress, registry

    monkeypatch.setattr(registry, "_measured", {})
    if reached:
        progress.assert_target(name, value)
        assert f"{value:.3f}, target at least" in capsys.readouterr().out
    else:
        with pytest.raises(progress.TargetMissed) as missed:
            progress.assert_target(name, value)
        assert f"This run measured {value:.3f}" in str(missed.value)
        assert "What usually helps: " in str(missed.value)
    assert progress.scorecard(8, show=False).reached(name) is reached
