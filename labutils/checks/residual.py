"""Checks for lab 03: the residual block, the CNN backbone and the classifier.

``check_residual_block(ResidualBlock)`` builds blocks of several sizes and checks that
each keeps the shape of its input, really adds the input at the end (switch the branch
off and the block must become the identity) and lets gradients reach the input.
``check_cnn_backbone`` and ``check_cnn_classifier`` look at the layers of your models
and run batches of several sizes through them.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from labutils import count_parameters

from .core import Check, described, leaf_layers, own_random_state, recording, shape_of
from .reference import exercise
from .registry import Target, lab_targets

HINTS: dict[str, tuple[str, ...]] = {
    "ResidualBlock": (
        "The block returns f(x) + x, so f(x) must have exactly the shape of x: the same "
        "channels, the same height and width. Which arguments of nn.Conv2d decide that?",
        "In __init__, make four layers and keep them as attributes: a convolution from "
        "hidden_dim to hidden_dim channels with padding kernel_size // 2, an nn.ReLU, an "
        "nn.Dropout2d(0.1) and an nn.BatchNorm2d(hidden_dim).",
        "In forward, send x through the convolution, the activation, the dropout and the "
        "batch norm, in that order, then add the untouched x to the result and return the "
        "sum, with nothing after it.",
    ),
    "CNNBackBone": (
        "Think in stages: a plain convolution sets the number of channels, residual blocks "
        "then work at that width (they cannot change it), and a max-pool halves the size "
        "before the next stage.",
        "Two stages are enough: one at 14x14 with 32 channels and one at 7x7 with 64. "
        "Remember to pass in_channels on to the very first convolution.",
        "A layout that works well: a 3x3 convolution from in_channels to 32 channels with "
        "batch norm and ReLU, max-pool, ResidualBlock(32, kernel_size=3), max-pool, a 3x3 "
        "convolution from 32 to 64 channels with batch norm and ReLU, and "
        "ResidualBlock(64, kernel_size=3). An nn.Sequential holds it all, and forward "
        "returns its output: (N, 64, 7, 7) maps, not flattened.",
    ),
    "CNNClassifier": (
        "The backbone gives maps of shape (N, C, H, W); the head must turn each image's "
        "maps into num_classes scores. Count the weights of a linear layer on the flattened "
        "maps before you choose one.",
        "Two small heads: global average pooling (nn.AdaptiveAvgPool2d(1)), flatten and "
        "nn.Linear(C, num_classes); or one more nn.MaxPool2d(2) (7x7 to 3x3), flatten, "
        "dropout and nn.Linear(C * 3 * 3, num_classes).",
        "In __init__: self.backbone = CNNBackBone() and self.head = nn.Sequential(...) "
        "with one of the heads above, ending in nn.Linear(..., num_classes). In forward: "
        "return self.head(self.backbone(x)), raw scores, no softmax.",
    ),
}
TARGETS = lab_targets(3, (
    Target("MNIST test accuracy", goal=0.985,
           advice="run the training cell again from a fresh model (re-run the cell that "
           "builds it); check that the head ends in raw scores with no softmax and that "
           "the backbone shrinks the maps with pooling. A few more epochs (EPOCHS) help "
           "a model that is still improving."),
))

# (hidden_dim, kernel_size, input height/width) of the blocks the check builds
BLOCK_SIZES = [(8, 3, 16), (16, 5, 12), (4, 7, 9), (12, 3, 7)]
MAX_PARAMETERS = 100_000
POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.ELU, nn.Mish, nn.Tanh,
               nn.PReLU, nn.ReLU6, nn.Hardswish, nn.SELU, nn.CELU, nn.Sigmoid)


def _last_layer_with_weights(check: Check, block: nn.Module, x: torch.Tensor,
                             what: str) -> nn.Module:
    """The layer with parameters that runs last in ``block(x)``: the end of the branch."""
    weighted = [layer for layer in leaf_layers(block) if any(True for _ in layer.parameters())]
    with recording(weighted) as calls, torch.no_grad():
        check.call(block, x, description=f"{what} applied to a batch of shape "
                   f"{tuple(x.shape)}")
    check.that(bool(calls), f"{what} applied no layer with weights to its input.",
               "the branch f(x) to hold at least a convolution and a batch norm.",
               "create the layers in __init__ (self.conv = nn.Conv2d(...)) and use them "
               "in forward.")
    return calls[-1].layer


def _check_branch_layers(check: Check, what: str, layers: list[nn.Module], hidden_dim: int,
                         kernel_size: int) -> list[nn.Conv2d]:
    """The branch holds the layers the exercise names; returns its convolutions."""
    convs = [layer for layer in layers if isinstance(layer, nn.Conv2d)]
    check.that(bool(convs), f"{what} holds no nn.Conv2d.",
               "a convolution in the branch f(x).",
               "nn.Conv2d(hidden_dim, hidden_dim, kernel_size, padding=kernel_size // 2).")
    for conv in convs:
        check.that(conv.kernel_size == (kernel_size, kernel_size),
                   f"{what} holds a convolution with kernel_size={conv.kernel_size}.",
                   f"kernel_size=({kernel_size}, {kernel_size}), taken from the argument.",
                   "pass the kernel_size argument on to nn.Conv2d.")
        check.that(conv.in_channels == hidden_dim and conv.out_channels == hidden_dim,
                   f"{what} holds nn.Conv2d({conv.in_channels}, {conv.out_channels}, ...).",
                   f"nn.Conv2d({hidden_dim}, {hidden_dim}, ...): the skip adds x to f(x), so "
                   "f must keep the number of channels.",
                   "use hidden_dim for both in_channels and out_channels.")
    norms = [layer for layer in layers if isinstance(layer, nn.BatchNorm2d)]
    check.that(bool(norms), f"{what} holds no nn.BatchNorm2d.",
               f"a batch norm at the end of the branch: nn.BatchNorm2d({hidden_dim}).")
    check.that(any(isinstance(layer, (nn.Dropout, nn.Dropout2d)) for layer in layers),
               f"{what} holds no dropout layer.",
               "nn.Dropout (or nn.Dropout2d) between the activation and the batch norm.")
    check.that(any(isinstance(layer, ACTIVATIONS) for layer in layers),
               f"{what} holds no activation layer.",
               "an activation such as nn.ReLU() after the convolution.",
               "make it a layer in __init__ (self.act = nn.ReLU()) so that it shows up.")
    return convs


def _check_shape_kept(check: Check, what: str, block: nn.Module, convs: list[nn.Conv2d],
                      x: torch.Tensor) -> None:
    """The block keeps the shape and leaves its input alone; a convolution that changes
    height or width is named before any crash it causes."""
    block.train()
    x_in = x.clone()
    with recording(convs) as calls:
        try:
            out = block(x_in)
        except Exception:  # reported below, after looking at what the convolutions did
            out = None
    for call in calls:
        before, after = call.input_shape, call.output_shape
        check.that(before[2:] == after[2:],
                   f"In {what}, the convolution turns a batch of shape {before} into {after}, "
                   "so f(x) and x have different shapes and f(x) + x is impossible.",
                   "a convolution that keeps height and width (\"same\" padding).",
                   "use padding = kernel_size // 2 (or padding=\"same\").")
    if out is None:
        out = check.call(block, x.clone(), description=f"{what} applied to a batch of shape "
                         f"{tuple(x.shape)}")
    check.that(torch.equal(x_in, x),
               f"{what} changed its input tensor in place (for example with x += ...).",
               "forward to leave x as it is and return a new tensor.",
               "write `return self.branch(x) + x` instead of adding into x.")
    check.that(isinstance(out, torch.Tensor) and out.shape == x.shape,
               f"{what} returned {described(out)} for an input of shape {tuple(x.shape)}.",
               "the same shape as the input, so that f(x) + x is possible.",
               "return the sum branch + x, with a branch that keeps the shape.")


BRANCH_ORDER = [(nn.Conv2d, "Conv2d"), (ACTIVATIONS, "activation"),
                ((nn.Dropout, nn.Dropout2d), "dropout"), (nn.BatchNorm2d, "BatchNorm2d")]


def _check_branch_order(check: Check, what: str, calls: list) -> None:
    """The branch runs conv, activation, dropout, batch norm, in that order."""
    ran = []
    for call in calls:
        for kinds, name in BRANCH_ORDER:
            if isinstance(call.layer, kinds) and name not in ran:
                ran.append(name)
    expected = [name for _, name in BRANCH_ORDER]
    check.that(ran == expected,
               f"{what} runs its branch in this order: {' -> '.join(ran)}.",
               f"{' -> '.join(expected)}, as the exercise asks.",
               "apply the layers in that order in forward: "
               "self.norm(self.drop(self.act(self.conv(x)))) + x.")


def _check_branch_matters(check: Check, what: str, block: nn.Module, x: torch.Tensor) -> None:
    block.eval()
    with torch.no_grad(), recording(leaf_layers(block)) as calls:
        out = check.call(block, x.clone(), description=f"{what} in eval mode")
    check.that(not torch.allclose(out, x, atol=1e-6),
               f"{what} returned its input unchanged, so the branch f(x) adds nothing.",
               "y = f(x) + x, where f(x) is conv -> activation -> dropout -> batch norm.",
               "forward should compute the branch and return branch + x.")
    _check_branch_order(check, what, calls)


def _switched_off(check: Check, what: str, block: nn.Module, x: torch.Tensor) -> nn.Module:
    """A copy of the block whose branch gives zeros: the weights and bias of its last layer
    are zero. Then y = f(x) + x must be x itself."""
    switched_off = copy.deepcopy(block).eval()
    last = _last_layer_with_weights(check, switched_off, x.clone(), what)
    with torch.no_grad():
        for parameter in last.parameters():
            parameter.zero_()
        out = switched_off(x.clone())
    off = f"With the weight and bias of its last layer ({type(last).__name__}) set to zero"
    if torch.allclose(out, torch.zeros_like(out), atol=1e-6):
        check.fail(f"{off}, {what} returned zeros instead of its input.\n"
                   "So the input is not added at the end: there is no skip connection.",
                   "y = f(x) + x: with f(x) = 0 the block must return x itself.",
                   "keep the input and add it last: `return self.branch(x) + x` "
                   "(apply nothing after the sum).")
    if torch.allclose(out, torch.relu(x), atol=1e-6):
        check.fail(f"{off}, {what} returned relu(x) instead of x: an activation comes "
                   "after the sum.",
                   "y = f(x) + x exactly, with nothing applied after the addition.",
                   "move the activation inside the branch, before dropout and batch norm.")
    worst = (out - x).abs().max().item()
    check.that(worst < 1e-5,
               f"{off}, {what} returned something other than its input (differences up to "
               f"{worst:.3g}).",
               "y = f(x) + x: with f(x) = 0 the block must return x itself.",
               "add the unchanged input x to the branch's output, as the very last step.")
    return switched_off


def _check_gradients(check: Check, what: str, model: nn.Module, x: torch.Tensor, label: str,
                     layers: list[nn.Module], through_skip_only: bool) -> None:
    """Gradients reach the input; through the skip alone the gradient of sum(y) is 1."""
    x_grad = x.clone().requires_grad_(True)
    out = check.call(model, x_grad, description=f"{what} applied to a batch")
    if not out.requires_grad:
        check.fail(f"{what} ({label}) returned a tensor that is cut off from the input: "
                   "no gradient can flow back.",
                   "an output that autograd connects to the input.",
                   "avoid torch.no_grad(), .detach(), .data and torch.tensor(x) in forward.")
    check.call(out.sum().backward, description=f"Backpropagating through {what} "
               f"({label})", hint="in-place changes (x += ..., relu_(...)) can break "
               "backpropagation; write new tensors instead.")
    check.that(x_grad.grad is not None,
               f"{what} ({label}): no gradient reached the input.",
               "gradients to flow back to x, through the branch and through the skip.",
               "avoid .detach(), .data and torch.tensor(x) in forward.")
    if through_skip_only:
        ones = torch.ones_like(x_grad.grad)
        check.that(torch.allclose(x_grad.grad, ones, atol=1e-5),
                   f"{what} ({label}): the gradient of sum(y) with respect to x is not 1 "
                   "everywhere (largest difference "
                   f"{(x_grad.grad - ones).abs().max().item():.3g}), so the skip does not "
                   "carry gradients back.",
                   "dy/dx = 1 through the skip: y = f(x) + x.",
                   "add x itself, not x.detach() or a copy of its values.")
        return
    check.that(bool(x_grad.grad.abs().sum() > 0),
               f"{what} ({label}): the gradient reaching the input is zero everywhere.",
               "a non-zero gradient with respect to x.")
    frozen = [type(layer).__name__ for layer in layers
              if any(p.grad is None for p in layer.parameters())]
    check.that(not frozen,
               f"{what} ({label}): the weights of {', '.join(frozen)} got no gradient, "
               "so the branch cannot learn.",
               "every layer of the branch to receive gradients.",
               "compute the branch normally: no torch.no_grad() and no .detach().")


def _check_block(check: Check, ResidualBlock: type, hidden_dim: int, kernel_size: int,
                 size: int) -> None:
    what = f"ResidualBlock(hidden_dim={hidden_dim}, kernel_size={kernel_size})"
    block = check.call(ResidualBlock, hidden_dim=hidden_dim, kernel_size=kernel_size,
                       description=what)
    check.that(isinstance(block, nn.Module), f"{what} made a {type(block).__name__}.",
               "an nn.Module.", "class ResidualBlock(nn.Module), and call super().__init__().")
    layers = leaf_layers(block)
    convs = _check_branch_layers(check, what, layers, hidden_dim, kernel_size)
    x = torch.randn(2, hidden_dim, size, size)
    _check_shape_kept(check, what, block, convs, x)
    _check_branch_matters(check, what, block, x)
    switched_off = _switched_off(check, what, block, x)
    _check_gradients(check, what, block.train(), x, "in training mode", layers,
                     through_skip_only=False)
    _check_gradients(check, what, switched_off, x,
                     "with the branch switched off (last layer zeroed)", layers,
                     through_skip_only=True)


@exercise(3, "ResidualBlock", hints=HINTS["ResidualBlock"])
@own_random_state()
def check_residual_block(ResidualBlock: type) -> None:
    """Build ``ResidualBlock`` at several sizes: shape kept, skip present, gradients flow."""
    check = Check("ResidualBlock")
    check.is_class(ResidualBlock, "ResidualBlock")
    for hidden_dim, kernel_size, size in BLOCK_SIZES:
        _check_block(check, ResidualBlock, hidden_dim, kernel_size, size)
    check.passed(f"shape, skip and gradients checked for {len(BLOCK_SIZES)} sizes "
                 f"({check.count} checks passed).")


@exercise(3, "CNNBackBone", hints=HINTS["CNNBackBone"])
@own_random_state()
def check_cnn_backbone(CNNBackBone: type, ResidualBlock: type) -> None:
    """``CNNBackBone()``: >= 3 convolutions, residual blocks, pooling; returns feature maps.
    ``CNNBackBone(in_channels=3)`` must take 3-channel images."""
    check = Check("CNNBackBone")
    check.is_class(CNNBackBone, "CNNBackBone")
    backbone = check.call(CNNBackBone, description="CNNBackBone()")
    check.that(isinstance(backbone, nn.Module), f"CNNBackBone() made a "
               f"{type(backbone).__name__}.", "an nn.Module.")
    layers = leaf_layers(backbone)
    n_convs = sum(isinstance(layer, nn.Conv2d) for layer in layers)
    check.that(n_convs >= 3, f"CNNBackBone() holds {n_convs} convolutions (counting those "
               "inside residual blocks).", "at least 3.",
               "stack a first convolution and two or more residual blocks.")
    n_blocks = sum(isinstance(m, ResidualBlock) for m in backbone.modules())
    check.that(n_blocks >= 1, "CNNBackBone() holds no ResidualBlock.",
               "at least one ResidualBlock, the class you wrote above.",
               "use ResidualBlock(hidden_dim, kernel_size) inside the backbone.")
    pools = [layer for layer in layers if isinstance(layer, POOLS)]
    check.that(bool(pools), "CNNBackBone() holds no pooling layer.",
               "nn.MaxPool2d (or nn.AvgPool2d / nn.AdaptiveAvgPool2d) to shrink the maps.",
               "pooling between the blocks makes later layers cheaper and see more.")
    out = _backbone_features(check, backbone, "CNNBackBone()", in_channels=1)
    check.that(out.shape[2] * out.shape[3] < 28 * 28,
               f"CNNBackBone() keeps the full 28x28 resolution: {tuple(out.shape)}.",
               "smaller maps: the pooling layers must be used in forward.")
    coloured = check.call(CNNBackBone, in_channels=3, description="CNNBackBone(in_channels=3)")
    _backbone_features(check, coloured, "CNNBackBone(in_channels=3)", in_channels=3,
                       hint="pass in_channels on to the first convolution: "
                       "nn.Conv2d(in_channels, ...).")
    check.passed(f"{n_convs} convolutions, {n_blocks} residual blocks, {len(pools)} pooling "
                 f"layers; features of shape {tuple(out.shape)} for a batch of 4.")


def _backbone_features(check: Check, backbone: nn.Module, what: str, in_channels: int,
                       hint: str | None = None) -> torch.Tensor:
    """Feature maps (4, C, H, W) for a batch of four 28x28 images."""
    backbone.eval()
    x = torch.randn(4, in_channels, 28, 28)
    with torch.no_grad():
        out = check.call(backbone, x, description=f"{what} applied to a batch of shape "
                         f"{tuple(x.shape)}", hint=hint)
    check.that(isinstance(out, torch.Tensor) and out.dim() == 4 and out.shape[0] == 4,
               f"{what} turned a batch of shape {tuple(x.shape)} into {shape_of(out)}.",
               "feature maps of shape (4, C, H, W).",
               "the backbone stops at feature maps; flattening belongs to the classifier.")
    return out


def _check_logits(check: Check, model: nn.Module, what: str, num_classes: int,
                  batch: torch.Tensor) -> torch.Tensor:
    """Logits (N, num_classes) for batches of 1, 5 and 64; returns those of ``batch`` (5)."""
    model.eval()
    together = None
    with torch.no_grad():
        for n in (1, 5, 64):
            x = batch if n == 5 else torch.randn(n, 1, 28, 28)
            out = check.call(model, x, description=f"{what} applied to a batch of "
                             f"shape {tuple(x.shape)}",
                             hint="flatten with x.flatten(1) or nn.Flatten(), which keep "
                             "the batch dimension whatever its size.")
            if isinstance(out, torch.Tensor) and out.dim() == 2 and out.shape[0] == n \
                    and num_classes != 10 and out.shape[1] == 10:
                check.fail(f"{what} returned shape {tuple(out.shape)}: 10 scores per image, "
                           f"although num_classes={num_classes}.",
                           f"logits of shape ({n}, {num_classes}).",
                           "use the num_classes argument for the last layer's outputs: "
                           "nn.Linear(..., num_classes).")
            check.that(isinstance(out, torch.Tensor) and tuple(out.shape) == (n, num_classes),
                       f"{what} turned a batch of shape {tuple(x.shape)} into "
                       f"{shape_of(out)}.", f"logits of shape ({n}, {num_classes}).",
                       "flatten with x.flatten(1) or nn.Flatten(); never write the batch "
                       "size into view(...) or reshape(...).")
            if n == 5:
                together = out
    return together


def _check_independent_rows(check: Check, model: nn.Module, batch: torch.Tensor,
                            together: torch.Tensor) -> None:
    """Each image's scores depend on that image only, and are not probabilities."""
    with torch.no_grad():
        alone = torch.cat([model(batch[i:i + 1]) for i in range(len(batch))])
    worst = (together - alone).abs().max().item()
    check.that(worst < 1e-4,
               f"In eval mode, CNNClassifier() gives an image different scores when it comes "
               f"with others than when it comes alone (differences up to {worst:.3g}).",
               "each image's scores to depend on that image only.",
               "a reshape that mixes images of the batch, e.g. view(-1, k) with the wrong k; "
               "use x.flatten(1).")
    row_sums = together.sum(dim=1)
    probabilities = bool((together >= 0).all()
                         and torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-4))
    check.that(not probabilities,
               "CNNClassifier() returns probabilities (each row is positive and sums to 1).",
               "raw scores (logits): nn.CrossEntropyLoss applies the softmax itself.",
               "remove the softmax at the end of forward.")


@exercise(3, "CNNClassifier", hints=HINTS["CNNClassifier"])
@own_random_state()
def check_cnn_classifier(CNNClassifier: type, CNNBackBone: type) -> None:
    """``CNNClassifier()``: a backbone plus a head, logits ``(N, 10)`` for any ``N``,
    fewer than 100,000 parameters; ``CNNClassifier(num_classes=7)`` gives 7 scores."""
    check = Check("CNNClassifier")
    check.is_class(CNNClassifier, "CNNClassifier")
    model = check.call(CNNClassifier, description="CNNClassifier()")
    check.that(isinstance(model, nn.Module), f"CNNClassifier() made a "
               f"{type(model).__name__}.", "an nn.Module.")
    check.that(any(isinstance(m, CNNBackBone) for m in model.modules()),
               "CNNClassifier() holds no CNNBackBone.",
               "the backbone you wrote above, followed by a small head.",
               "self.backbone = CNNBackBone() in __init__.")
    n_parameters = count_parameters(model)
    check.that(n_parameters < MAX_PARAMETERS,
               f"CNNClassifier() has {n_parameters:,} trainable parameters.",
               f"fewer than {MAX_PARAMETERS:,}.",
               "global average pooling (nn.AdaptiveAvgPool2d(1)) before the linear layer "
               "keeps the head tiny; big linear layers on flattened maps cost the most.")
    batch = torch.randn(5, 1, 28, 28)
    together = _check_logits(check, model, "CNNClassifier()", 10, batch)
    _check_independent_rows(check, model, batch, together)
    model.train()
    out = check.call(model, torch.randn(2, 1, 28, 28), description="CNNClassifier() in "
                     "training mode applied to a batch of shape (2, 1, 28, 28)")
    check.that(isinstance(out, torch.Tensor) and tuple(out.shape) == (2, 10),
               f"In training mode, CNNClassifier() returned {shape_of(out)} for a batch of 2.",
               "logits of shape (2, 10).")
    seven = check.call(CNNClassifier, num_classes=7, description="CNNClassifier(num_classes=7)")
    _check_logits(check, seven, "CNNClassifier(num_classes=7)", 7, batch)
    check.passed(f"{n_parameters:,} parameters (< {MAX_PARAMETERS:,}); logits (N, 10) for "
                 "batches of 1, 5 and 64, and (N, 7) with num_classes=7.")
