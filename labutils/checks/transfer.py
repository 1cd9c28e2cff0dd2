"""Checks for lab 06: transfer learning.

Each check builds fresh networks (EfficientNet-Lite0 and ResNet-18, without their
pretrained weights, which the checks do not need), hands them to your function and
inspects what comes back: which parameters require gradients, what the new head
outputs, and which learning rate each parameter gets.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from labutils import efficientnet_lite0

from .core import Check, own_random_state
from .reference import exercise
from .registry import Target, lab_targets

HINTS: dict[str, tuple[str, ...]] = {
    "make_feature_extractor": (
        "A nudge: the head is an ordinary attribute of the model, but its name reaches you "
        "as a string, head_name. Python has two built-ins that read and set an attribute "
        "whose name is in a variable.",
        "Closer: getattr(model, head_name) gives the old head; its in_features tells you "
        "how many inputs the new head needs. setattr(model, head_name, new_layer) puts a "
        "layer in its place.",
        "Nearly the answer: first set requires_grad = False on every parameter of the "
        "model, then build nn.Linear(old_head.in_features, num_classes) and set it as the "
        "head, then return the model. The order matters: a freshly made layer requires "
        "gradients, so made last it stays trainable; made first, your loop would freeze "
        "it too.",
    ),
    "fine_tuning_optimizer": (
        "A nudge: an optimizer accepts a list of parameter groups instead of one list of "
        "parameters; each group is a dict with its own 'lr'. The real work is putting "
        "every parameter in exactly one group.",
        "Closer: the head's parameters are getattr(model, head_name).parameters(). For the "
        "backbone you need all the others: tell them apart by identity, with a set of "
        "id(p) for the head's parameters, or by name, with model.named_parameters() and "
        "name.startswith(head_name + '.').",
        "Nearly the answer: set requires_grad = True on every parameter of the model; "
        "collect the head's parameters and a set of their ids; keep every other "
        "parameter for the backbone; return torch.optim.AdamW given two dicts, one per "
        "group, each with its 'params' list and its 'lr' (backbone_lr, head_lr).",
    ),
}
TARGETS = lab_targets(6, (
    Target("bees/ants validation accuracy, frozen backbone", goal=0.90,
           advice="train only the new head, on features of the pretrained network in "
                  "evaluation mode, with the photos prepared as that network expects "
                  "(LITE0_STATS for EfficientNet-Lite0); keep the lab's recipe: Adam, "
                  "lr 1e-3, 10 epochs. If your head is more than one layer, try the single "
                  "nn.Linear the exercise asks for."),
))

HEAD_HINT = ("read the old head with getattr(model, head_name) and put the new one in its "
             "place with setattr(model, head_name, new_head), so that the same code works "
             "for any network.")


def _networks() -> list[tuple[str, Callable[[], nn.Module], str]]:
    """(name shown in messages, builder, name of the head attribute)."""
    from torchvision.models import resnet18

    return [("EfficientNet-Lite0", lambda: efficientnet_lite0(pretrained=False), "_fc"),
            ("ResNet-18", resnet18, "fc")]


def _head_parameter_names(model: nn.Module, head_name: str) -> set[str]:
    return {f"{head_name}.{name}" for name, _ in getattr(model, head_name).named_parameters()}


def _examples(names: list[str], count: int = 3) -> str:
    shown = ", ".join(names[:count])
    return shown + (f" and {len(names) - count} more" if len(names) > count else "")


@exercise(6, "make_feature_extractor", hints=HINTS["make_feature_extractor"])
def check_feature_extractor(make_feature_extractor: Callable) -> None:
    """Check ``make_feature_extractor(model, head_name, num_classes)``: it must freeze every
    pretrained parameter, replace the head by a new trainable layer with ``num_classes``
    outputs, and keep the pretrained weights."""
    check = Check("make_feature_extractor")
    with own_random_state():
        for (label, build, head_name), num_classes in zip(_networks(), (2, 5)):
            _check_one_feature_extractor(check, make_feature_extractor, label, build(),
                                         head_name, num_classes)
    check.passed("the backbone is frozen and the new head is trainable, for "
                 "EfficientNet-Lite0 and ResNet-18.")


def _check_one_feature_extractor(check: Check, make_feature_extractor: Callable, label: str,
                                 model: nn.Module, head_name: str, num_classes: int) -> None:
    old_head = getattr(model, head_name)
    old_head_text = repr(old_head)  # as it was, before your function could change it
    before = {name: p.detach().clone() for name, p in model.named_parameters()
              if not name.startswith(f"{head_name}.")}
    call = f"make_feature_extractor({label}, {head_name!r}, num_classes={num_classes})"
    result = check.call(make_feature_extractor, model, head_name, num_classes,
                        description=call)
    check.that(result is not None, f"{call} returned None.",
               "the model with its new head.", "end your function with `return model`.")
    check.that(isinstance(result, nn.Module),
               f"{call} returned a {type(result).__name__}, not a network.",
               "the model (an nn.Module) with its new head.")
    check.that(result is model or hasattr(result, head_name),
               f"{call} returned a {type(result).__name__} that has no {head_name!r}: "
               "not the model it was given.",
               f"the whole model, with its new head in model.{head_name}.",
               "end your function with `return model`, not the new head.")
    _check_new_head(check, call, result, head_name, old_head, old_head_text, num_classes)
    _check_frozen(check, call, result, head_name)
    changed = [name for name, p in result.named_parameters()
               if name in before and not torch.equal(p.detach(), before[name])]
    missing = [name for name in before if name not in dict(result.named_parameters())]
    check.that(not changed and not missing,
               f"After {call}, the pretrained weights are not the ones passed in: "
               f"{_examples(changed or missing)} changed.",
               "the same weights as before, with only the head replaced.",
               "change the model you are given in place (or return it); don't build a "
               "new network or re-initialise its layers.")


def _frozen_with_new_head(build: Callable[[], nn.Module], head_name: str,
                          num_classes: int) -> nn.Module:
    """A network as it is after the feature-extraction exercise."""
    model = build()
    for parameter in model.parameters():
        parameter.requires_grad = False
    old_head = getattr(model, head_name)
    setattr(model, head_name, nn.Linear(old_head.in_features, num_classes))
    return model


def _check_new_head(check: Check, call: str, result: nn.Module, head_name: str,
                    old_head: nn.Module, old_head_text: str, num_classes: int) -> None:
    """A new head in place of the old one, giving num_classes scores."""
    head = getattr(result, head_name, None)
    check.that(head is not None,
               f"After {call}, the model has no attribute {head_name!r} any more.",
               f"a new layer with {num_classes} outputs in model.{head_name}.", HEAD_HINT)
    check.that(head is not old_head,
               f"After {call}, model.{head_name} is still the original ImageNet head "
               f"({old_head_text}).",
               f"a new layer with {num_classes} outputs in place of model.{head_name}.",
               HEAD_HINT)
    result.eval()
    with torch.no_grad():
        outputs = check.call(result, torch.randn(2, 3, 32, 32),
                             description=f"The model returned by {call}, on 2 images,",
                             hint="the new head must take as many inputs as the old one: "
                                  f"{old_head.in_features} here, i.e. "
                                  f"getattr(model, head_name).in_features.")
    found = tuple(outputs.shape) if isinstance(outputs, torch.Tensor) else None
    check.that(found == (2, num_classes),
               f"The model returned by {call} gives outputs of shape {found} "
               "for 2 images.",
               f"shape (2, {num_classes}): one score per class, num_classes={num_classes}.",
               "build the head as nn.Linear(old_head.in_features, num_classes), using "
               "the num_classes argument rather than a fixed number.")


def _check_frozen(check: Check, call: str, result: nn.Module, head_name: str) -> None:
    """Every pretrained parameter frozen, every parameter of the new head trainable."""
    trainable = [name for name, p in result.named_parameters() if p.requires_grad]
    head_names = _head_parameter_names(result, head_name)
    backbone = [name for name, _ in result.named_parameters() if name not in head_names]
    check.that(bool(trainable),
               f"After {call}, no parameter requires gradients: the new head is frozen "
               "too, so an optimizer would have nothing to train.",
               f"the parameters of model.{head_name} ({_examples(sorted(head_names))}) "
               "to require gradients.",
               "freeze the pretrained parameters first, then create the new head: a new "
               "layer's parameters require gradients by default.")
    trainable_backbone = [name for name in trainable if name not in head_names]
    check.that(len(trainable_backbone) < len(backbone),
               f"After {call}, nothing is frozen: all {len(backbone)} pretrained "
               "parameter tensors still require gradients.",
               "requires_grad=False for every parameter except those of the new head.",
               "loop over model.parameters() and set p.requires_grad = False before "
               "you replace the head.")
    check.that(not trainable_backbone,
               f"After {call}, {len(trainable_backbone)} of {len(backbone)} pretrained "
               f"parameter tensors still require gradients: "
               f"{_examples(trainable_backbone)}.",
               "requires_grad=False for every parameter except those of the new head.",
               "freeze all of model.parameters(), batch-norm weights and biases included, "
               "not only the convolutions.")
    frozen_head = sorted(name for name in head_names if name not in trainable)
    check.that(not frozen_head,
               f"After {call}, part of the new head is frozen: {_examples(frozen_head)}.",
               "every parameter of the new head to require gradients.")


def _learning_rates(check: Check, call: str, optimizer: torch.optim.Optimizer,
                    model: nn.Module) -> dict[int, float]:
    """The learning rate of each parameter (by id); every parameter in exactly one group."""
    rate: dict[int, float] = {}
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            rate[id(parameter)] = group["lr"]
    named = list(model.named_parameters())
    absent = [name for name, p in named if id(p) not in rate]
    check.that(not absent,
               f"The optimizer returned by {call} leaves {len(absent)} of the model's "
               f"{len(named)} parameter tensors out of every group: {_examples(absent)}.",
               "every parameter in one of the two groups, or it is never updated.",
               "make one group of the head's parameters and one of all the others.")
    return rate


def _check_rates(check: Check, call: str, model: nn.Module, head_name: str,
                 rate: dict[int, float], backbone_lr: float, head_lr: float) -> None:
    named = list(model.named_parameters())
    head_names = _head_parameter_names(model, head_name)
    wrong_head = [f"{name} (lr={rate[id(p)]:g})" for name, p in named
                  if name in head_names and rate[id(p)] != head_lr]
    check.that(not wrong_head,
               f"{call} gives the head a wrong learning rate: {_examples(wrong_head)}.",
               f"lr={head_lr:g} (head_lr) for the parameters of model.{head_name}.",
               "give each group its own learning rate: {'params': ..., 'lr': head_lr}.")
    backbone_rates = {rate[id(p)] for name, p in named if name not in head_names}
    check.that(backbone_rates != {head_lr},
               f"{call} trains the whole network with one learning rate, lr={head_lr:g}.",
               f"the pretrained layers at the smaller backbone_lr={backbone_lr:g}, so "
               "that they change only a little.",
               "use two parameter groups with different learning rates.")
    wrong_backbone = [f"{name} (lr={rate[id(p)]:g})" for name, p in named
                      if name not in head_names and rate[id(p)] != backbone_lr]
    check.that(not wrong_backbone,
               f"{call} gives pretrained parameters a wrong learning rate: "
               f"{_examples(wrong_backbone)}.",
               f"lr={backbone_lr:g} (backbone_lr) for everything outside "
               f"model.{head_name}.")


@exercise(6, "fine_tuning_optimizer", hints=HINTS["fine_tuning_optimizer"])
@own_random_state()
def check_fine_tuning_optimizer(fine_tuning_optimizer: Callable) -> None:
    """Check ``fine_tuning_optimizer(model, head_name, backbone_lr, head_lr)``: every
    parameter trainable again, each in exactly one group, the head at ``head_lr`` and
    everything else at ``backbone_lr``."""
    check = Check("fine_tuning_optimizer")
    cases = zip(_networks(), ((1e-4, 1e-3), (3e-5, 3e-3)))
    for (label, build, head_name), (backbone_lr, head_lr) in cases:
        torch.manual_seed(0)
        model = _frozen_with_new_head(build, head_name, num_classes=2)
        call = (f"fine_tuning_optimizer({label} with a frozen backbone, {head_name!r}, "
                f"backbone_lr={backbone_lr:g}, head_lr={head_lr:g})")
        optimizer = check.call(
            fine_tuning_optimizer, model, head_name, backbone_lr, head_lr, description=call,
            hint="each parameter may appear in one parameter group only: leave the head's "
                 "parameters out of the backbone's group.")
        check.that(optimizer is not None, f"{call} returned None.",
                   "an optimizer, e.g. torch.optim.AdamW([...two groups...]).",
                   "end your function with `return optimizer`.")
        check.that(isinstance(optimizer, torch.optim.Optimizer),
                   f"{call} returned a {type(optimizer).__name__}, not an optimizer.",
                   "a torch.optim optimizer such as torch.optim.AdamW.")
        frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
        check.that(not frozen,
                   f"After {call}, {len(frozen)} parameter tensors still have "
                   f"requires_grad=False: {_examples(frozen)}.",
                   "every parameter to require gradients: fine-tuning trains them all.",
                   "set p.requires_grad = True for every p in model.parameters().")
        rate = _learning_rates(check, call, optimizer, model)
        _check_rates(check, call, model, head_name, rate, backbone_lr, head_lr)
    check.passed("everything is trainable, with a small learning rate for the pretrained "
                 "layers and a larger one for the head.")
