"""The workbook's answers to lab 06's exercises: the code of the exercise cells
of solutions/06_transfer_learning.ipynb, without the solution markers.

Written by `make notebooks` (tools/lesson_code.py): edit the notebook, never this file.
"""

import torch
from torch import nn

__all__ = ["make_feature_extractor", "fine_tuning_optimizer"]


# Defined in solutions/06_transfer_learning.ipynb, cell 17 (id 5695f97b).
def make_feature_extractor(model: nn.Module, head_name: str, num_classes: int) -> nn.Module:
    """Freeze all of `model`, then give it a new, trainable head with `num_classes` outputs."""
    for parameter in model.parameters():
        parameter.requires_grad = False
    old_head = getattr(model, head_name)
    setattr(model, head_name, nn.Linear(old_head.in_features, num_classes))
    return model


# Defined in solutions/06_transfer_learning.ipynb, cell 36 (id a0238d8e).
def fine_tuning_optimizer(model: nn.Module, head_name: str, backbone_lr: float,
                          head_lr: float) -> torch.optim.Optimizer:
    """Unfreeze `model`; return AdamW with `head_lr` for the head and `backbone_lr` for the rest."""
    for parameter in model.parameters():
        parameter.requires_grad = True
    head_parameters = list(getattr(model, head_name).parameters())
    head_ids = {id(p) for p in head_parameters}
    backbone_parameters = [p for p in model.parameters() if id(p) not in head_ids]
    return torch.optim.AdamW([{"params": backbone_parameters, "lr": backbone_lr},
                              {"params": head_parameters, "lr": head_lr}])
