"""The lab 06 checks, fed the right answers and the typical wrong ones."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from labutils.checks import CheckFailed, NotImplementedYet
from labutils.checks.transfer import check_feature_extractor, check_fine_tuning_optimizer

# The checks alone, without the guard of their registration (reference.exercise), which
# would name the workbook's own answers these tests use instead of checking them.
check_feature_extractor = check_feature_extractor.__wrapped__
check_fine_tuning_optimizer = check_fine_tuning_optimizer.__wrapped__

# --------------------------------------------------------------------------- feature extractor


def right_feature_extractor(model, head_name, num_classes):
    for parameter in model.parameters():
        parameter.requires_grad = False
    old_head = getattr(model, head_name)
    setattr(model, head_name, nn.Linear(old_head.in_features, num_classes))
    return model


def nothing_frozen(model, head_name, num_classes):
    old_head = getattr(model, head_name)
    setattr(model, head_name, nn.Linear(old_head.in_features, num_classes))
    return model


def everything_frozen(model, head_name, num_classes):
    old_head = getattr(model, head_name)
    setattr(model, head_name, nn.Linear(old_head.in_features, num_classes))
    for parameter in model.parameters():  # after the new head: it is frozen too
        parameter.requires_grad = False
    return model


def fixed_number_of_outputs(model, head_name, num_classes):
    for parameter in model.parameters():
        parameter.requires_grad = False
    old_head = getattr(model, head_name)
    setattr(model, head_name, nn.Linear(old_head.in_features, 2))
    return model


def imagenet_sized_head(model, head_name, num_classes):
    for parameter in model.parameters():
        parameter.requires_grad = False
    old_head = getattr(model, head_name)
    setattr(model, head_name, nn.Linear(old_head.in_features, 1000))
    return model


def head_not_replaced(model, head_name, num_classes):
    for parameter in model.parameters():
        parameter.requires_grad = False
    return model


def out_features_edited(model, head_name, num_classes):
    for parameter in model.parameters():
        parameter.requires_grad = False
    getattr(model, head_name).out_features = num_classes  # the weight keeps 1000 rows
    return model


def efficientnet_only(model, head_name, num_classes):
    for parameter in model.parameters():
        parameter.requires_grad = False
    model._fc = nn.Linear(1280, num_classes)
    return model


def fixed_input_size(model, head_name, num_classes):
    for parameter in model.parameters():
        parameter.requires_grad = False
    setattr(model, head_name, nn.Linear(1280, num_classes))
    return model


def convolutions_only_frozen(model, head_name, num_classes):
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            for parameter in module.parameters():
                parameter.requires_grad = False
    old_head = getattr(model, head_name)
    setattr(model, head_name, nn.Linear(old_head.in_features, num_classes))
    return model


def reinitialised(model, head_name, num_classes):
    fresh = type(model).__new__(type(model))
    fresh.__dict__ = model.__dict__.copy()
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    return right_feature_extractor(model, head_name, num_classes)


def no_return(model, head_name, num_classes):
    right_feature_extractor(model, head_name, num_classes)


def stub(model, head_name, num_classes):
    raise NotImplementedError()


def failure(function) -> str:
    with pytest.raises(CheckFailed) as caught:
        check_feature_extractor(function)
    return str(caught.value)


def test_the_right_feature_extractor_passes(capsys):
    check_feature_extractor(right_feature_extractor)
    printed = capsys.readouterr().out
    assert "make_feature_extractor: the backbone is frozen and the new head is trainable" in printed
    assert printed.count("\n") == 1


def test_the_feature_extractor_check_leaves_the_random_numbers_alone():
    torch.manual_seed(123)
    check_feature_extractor(right_feature_extractor)
    after_check = torch.rand(3)
    torch.manual_seed(123)
    assert torch.equal(after_check, torch.rand(3))


def test_a_stub_is_not_done_yet():
    with pytest.raises(NotImplementedYet, match="not done yet"):
        check_feature_extractor(stub)


def test_nothing_frozen():
    message = failure(nothing_frozen)
    assert "nothing is frozen" in message
    assert "all 147 pretrained parameter tensors still require gradients" in message
    assert "Expected requires_grad=False for every parameter except those of the new head" \
        in message
    assert "Hint: loop over model.parameters()" in message


def test_everything_frozen_including_the_head():
    message = failure(everything_frozen)
    assert "no parameter requires gradients: the new head is frozen too" in message
    assert "_fc.weight" in message
    assert "Hint: freeze the pretrained parameters first, then create the new head" in message


def test_a_fixed_number_of_outputs():
    message = failure(fixed_number_of_outputs)
    assert "make_feature_extractor(ResNet-18, 'fc', num_classes=5)" in message
    assert "outputs of shape (2, 2)" in message
    assert "Expected shape (2, 5)" in message
    assert "the num_classes argument rather than a fixed number" in message


def test_a_head_with_imagenet_s_1000_outputs():
    message = failure(imagenet_sized_head)
    assert "outputs of shape (2, 1000)" in message
    assert "Expected shape (2, 2)" in message


@pytest.mark.parametrize("function", [head_not_replaced, out_features_edited])
def test_head_not_replaced(function):
    message = failure(function)
    assert "model._fc is still the original ImageNet head" in message
    assert "out_features=1000" in message
    assert "Hint: read the old head with getattr(model, head_name)" in message
    assert message.endswith("so that the same code works for any network.")


def test_a_head_name_written_into_the_code():
    message = failure(efficientnet_only)
    assert "make_feature_extractor(ResNet-18, 'fc', num_classes=5)" in message
    assert "model.fc is still the original ImageNet head" in message
    assert "setattr(model, head_name, new_head)" in message


def test_a_head_input_size_written_into_the_code():
    message = failure(fixed_input_size)
    assert "raised RuntimeError" in message
    assert "Hint: the new head must take as many inputs as the old one: 512 here" in message


def test_batch_norm_left_trainable():
    message = failure(convolutions_only_frozen)
    assert "of 147 pretrained parameter tensors still require gradients: _bn0.weight" in message
    assert "batch-norm weights and biases included" in message


def test_the_pretrained_weights_were_reset():
    message = failure(reinitialised)
    assert "the pretrained weights are not the ones passed in" in message
    assert "don't build a new network or re-initialise its layers" in message


def test_nothing_returned():
    message = failure(no_return)
    assert "returned None" in message
    assert "Hint: end your function with `return model`." in message


# --------------------------------------------------------------------------- fine-tuning optimizer


def head_and_backbone(model, head_name):
    head = list(getattr(model, head_name).parameters())
    chosen = {id(p) for p in head}
    return head, [p for p in model.parameters() if id(p) not in chosen]


def right_optimizer(model, head_name, backbone_lr, head_lr):
    for parameter in model.parameters():
        parameter.requires_grad = True
    head, backbone = head_and_backbone(model, head_name)
    return torch.optim.AdamW([{"params": backbone, "lr": backbone_lr},
                              {"params": head, "lr": head_lr}])


def still_frozen(model, head_name, backbone_lr, head_lr):
    head, backbone = head_and_backbone(model, head_name)
    return torch.optim.AdamW([{"params": backbone, "lr": backbone_lr},
                              {"params": head, "lr": head_lr}])


def one_learning_rate(model, head_name, backbone_lr, head_lr):
    for parameter in model.parameters():
        parameter.requires_grad = True
    return torch.optim.AdamW(model.parameters(), lr=head_lr)


def head_in_both_groups(model, head_name, backbone_lr, head_lr):
    for parameter in model.parameters():
        parameter.requires_grad = True
    return torch.optim.AdamW([{"params": model.parameters(), "lr": backbone_lr},
                              {"params": getattr(model, head_name).parameters(), "lr": head_lr}])


def swapped_rates(model, head_name, backbone_lr, head_lr):
    return right_optimizer(model, head_name, head_lr, backbone_lr)


def convolutions_only(model, head_name, backbone_lr, head_lr):
    for parameter in model.parameters():
        parameter.requires_grad = True
    convolutions = [m.weight for m in model.modules() if isinstance(m, nn.Conv2d)]
    return torch.optim.AdamW([{"params": convolutions, "lr": backbone_lr},
                              {"params": getattr(model, head_name).parameters(), "lr": head_lr}])


def fixed_rates(model, head_name, backbone_lr, head_lr):
    return right_optimizer(model, head_name, 1e-4, 1e-3)


def no_optimizer(model, head_name, backbone_lr, head_lr):
    right_optimizer(model, head_name, backbone_lr, head_lr)


def optimizer_failure(function) -> str:
    with pytest.raises(CheckFailed) as caught:
        check_fine_tuning_optimizer(function)
    return str(caught.value)


def test_the_right_optimizer_passes(capsys):
    check_fine_tuning_optimizer(right_optimizer)
    printed = capsys.readouterr().out
    assert "fine_tuning_optimizer: everything is trainable" in printed
    assert printed.count("\n") == 1


def test_an_optimizer_stub_is_not_done_yet():
    with pytest.raises(NotImplementedYet, match="not done yet"):
        check_fine_tuning_optimizer(stub_optimizer)


def stub_optimizer(model, head_name, backbone_lr, head_lr):
    raise NotImplementedError()


def test_the_backbone_left_frozen():
    message = optimizer_failure(still_frozen)
    assert "147 parameter tensors still have requires_grad=False: _conv_stem.weight" in message
    assert "Hint: set p.requires_grad = True for every p in model.parameters()." in message


def test_one_learning_rate_for_everything():
    message = optimizer_failure(one_learning_rate)
    assert "trains the whole network with one learning rate, lr=0.001" in message
    assert "the smaller backbone_lr=0.0001" in message


def test_the_head_in_two_groups():
    message = optimizer_failure(head_in_both_groups)
    assert "raised ValueError" in message
    assert "Hint: each parameter may appear in one parameter group only" in message


def test_swapped_learning_rates():
    message = optimizer_failure(swapped_rates)
    assert "gives the head a wrong learning rate: _fc.weight (lr=0.0001)" in message
    assert "Expected lr=0.001 (head_lr)" in message


def test_parameters_left_out():
    message = optimizer_failure(convolutions_only)
    assert "leaves 98 of the model's 149 parameter tensors out of every group: _bn0.weight" \
        in message
    assert "or it is never updated" in message


def test_learning_rates_written_into_the_code():
    message = optimizer_failure(fixed_rates)
    assert "backbone_lr=3e-05, head_lr=0.003" in message
    assert "gives the head a wrong learning rate: fc.weight (lr=0.001)" in message


def test_no_optimizer_returned():
    message = optimizer_failure(no_optimizer)
    assert "returned None" in message
    assert "return optimizer" in message


def test_checks_leave_the_notebooks_random_numbers_alone(capsys):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    check_fine_tuning_optimizer(right_optimizer)
    assert torch.equal(torch.get_rng_state(), before)


# ------------------------------------------------------------------ answers written by others


def extractor_with_requires_grad_(model, head_name, num_classes):
    """Right, another style: requires_grad_ on the whole model, the head built by keyword."""
    model.requires_grad_(False)
    in_features = getattr(model, head_name).in_features
    setattr(model, head_name, nn.Linear(in_features=in_features, out_features=num_classes))
    return model


def extractor_with_dropout_head(model, head_name, num_classes):
    """Right, another style: freezing through the modules, a dropout before the new head."""
    for module in model.modules():
        for parameter in module.parameters(recurse=False):
            parameter.requires_grad_(False)
    old = model.get_submodule(head_name)
    model.add_module(head_name, nn.Sequential(nn.Dropout(0.2), nn.Linear(old.in_features,
                                                                         num_classes)))
    return model


@pytest.mark.parametrize("right", [extractor_with_requires_grad_, extractor_with_dropout_head])
def test_feature_extractor_in_other_right_styles_passes(right, capsys):
    check_feature_extractor(right)
    assert "the backbone is frozen and the new head is trainable" in capsys.readouterr().out


def test_feature_extractor_that_returns_a_new_network():
    def fresh_network(model, head_name, num_classes):
        from torchvision.models import resnet18

        model = resnet18() if head_name == "fc" else model
        return right_feature_extractor(model, head_name, num_classes)

    assert "the pretrained weights are not the ones passed in" in failure(fresh_network)


def optimizer_by_names(model, head_name, backbone_lr, head_lr):
    """Right, another style: groups from the parameter names, head group first."""
    model.requires_grad_(True)
    head, backbone = [], []
    for name, parameter in model.named_parameters():
        (head if name.startswith(head_name + ".") else backbone).append(parameter)
    return torch.optim.AdamW([{"params": head, "lr": head_lr},
                              {"params": backbone}], lr=backbone_lr, weight_decay=0.01)


def optimizer_by_id_filter(model, head_name, backbone_lr, head_lr):
    """Right, another style: a set of ids and filter()."""
    for parameter in model.parameters():
        parameter.requires_grad_()
    head_ids = set(map(id, getattr(model, head_name).parameters()))
    backbone = filter(lambda p: id(p) not in head_ids, model.parameters())
    return torch.optim.AdamW([dict(params=list(backbone), lr=backbone_lr),
                              dict(params=getattr(model, head_name).parameters(), lr=head_lr)])


@pytest.mark.parametrize("right", [optimizer_by_names, optimizer_by_id_filter])
def test_optimizer_in_other_right_styles_passes(right, capsys):
    check_fine_tuning_optimizer(right)
    assert "everything is trainable" in capsys.readouterr().out


def test_optimizer_that_returns_the_groups_instead_of_an_optimizer():
    def groups_only(model, head_name, backbone_lr, head_lr):
        right_optimizer(model, head_name, backbone_lr, head_lr)
        head, backbone = head_and_backbone(model, head_name)
        return [{"params": backbone, "lr": backbone_lr}, {"params": head, "lr": head_lr}]

    assert "returned a list, not an optimizer" in optimizer_failure(groups_only)


def test_feature_extractor_that_returns_the_new_head():
    def head_returned(model, head_name, num_classes):
        right_feature_extractor(model, head_name, num_classes)
        return getattr(model, head_name)

    message = failure(head_returned)
    assert "returned a Linear that has no '_fc': not the model it was given" in message
    assert "Hint: end your function with `return model`, not the new head." in message


def test_optimizer_for_the_head_alone():
    def head_only(model, head_name, backbone_lr, head_lr):
        model.requires_grad_(True)
        return torch.optim.AdamW(getattr(model, head_name).parameters(), lr=head_lr)

    message = optimizer_failure(head_only)
    assert "leaves 147 of the model's 149 parameter tensors out of every group" in message


def test_optimizer_from_a_used_up_generator():
    def generator_used_twice(model, head_name, backbone_lr, head_lr):
        parameters = model.parameters()
        for parameter in parameters:  # this loop uses the generator up
            parameter.requires_grad = True
        head = list(getattr(model, head_name).parameters())
        return torch.optim.AdamW([{"params": [p for p in parameters], "lr": backbone_lr},
                                  {"params": head, "lr": head_lr}])

    message = optimizer_failure(generator_used_twice)
    assert "leaves 147 of the model's 149 parameter tensors out of every group" in message
