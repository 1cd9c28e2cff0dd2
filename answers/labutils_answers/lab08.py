"""The workbook's answers to lab 08's exercises: the code of the exercise cells
of solutions/08_multilabel_resnets.ipynb, without the solution markers.

Written by `make notebooks` (tools/lesson_code.py): edit the notebook, never this file.
"""

import torch

__all__ = ["bce_with_logits", "multilabel_metrics"]


# Defined in solutions/08_multilabel_resnets.ipynb, cell 16 (id 399d4eb3).
def bce_with_logits(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    losses = logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))
    return losses.mean()


# Defined in solutions/08_multilabel_resnets.ipynb, cell 34 (id 592d7b16).
def multilabel_metrics(preds: torch.Tensor, targets: torch.Tensor) -> dict:
    tp = (preds * targets).sum(dim=0)
    fp = (preds * (1 - targets)).sum(dim=0)
    fn = ((1 - preds) * targets).sum(dim=0)
    precision = tp / (tp + fp).clamp(min=1)
    recall = tp / (tp + fn).clamp(min=1)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    exact_match = (preds == targets).all(dim=1).float().mean()
    return {"precision": precision, "recall": recall, "f1": f1,
            "macro_f1": f1.mean().item(), "exact_match": exact_match.item()}
