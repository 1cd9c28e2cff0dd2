"""Checks for lab 04: batch normalisation from scratch and the ResNet family.

``check_batch_norm(BatchNorm2d)`` runs your layer next to ``torch.nn.BatchNorm2d`` with
the same scale and shift, for several training steps and then in eval mode, and compares
outputs, running averages and gradients to 1e-5. When they differ it tries the usual
mistakes (unbiased variance, eps in the wrong place, reversed momentum, ...) and names
the one that matches your numbers.

``check_basic_block``, ``check_bottleneck`` and ``check_resnet`` compare your blocks and
networks with torchvision's: output shapes, parameter counts, and, for whole networks,
the stem, every stage and the head one by one, so that a message can say which part
differs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torchvision import models
from torchvision.models.resnet import BasicBlock as TorchvisionBasicBlock
from torchvision.models.resnet import Bottleneck as TorchvisionBottleneck

from .core import (
    Check,
    CheckFailed,
    NotImplementedYet,
    described,
    own_random_state,
    parameter_count,
    recording,
    shape_of,
)
from .reference import exercise
from .registry import Target, lab_targets

HINTS: dict[str, tuple[str, ...]] = {
    "BatchNorm2d": (
        "Batch norm keeps one mean and one variance per channel. Over which dimensions of "
        "(N, C, H, W) do you average, and which one do you keep?",
        "In training mode: mean and biased variance of the batch over dim=(0, 2, 3); update "
        "the running averages with (1 - momentum) * old + momentum * new, storing the "
        "unbiased variance (multiply by n / (n - 1), n = N * H * W). In eval mode: use the "
        "running averages and change nothing.",
        "Both modes end the same way: (x - mean) / sqrt(var + eps), then times weight plus "
        "bias, every per-channel vector reshaped with .view(1, -1, 1, 1). Make weight and "
        "bias nn.Parameter(torch.ones / torch.zeros(num_features)) and the running averages "
        "buffers with self.register_buffer.",
    ),
    "BasicBlock": (
        "Two 3x3 convolutions, each followed by batch norm; the input is added back before "
        "the last ReLU. When can the input be added as it is, and when must it be changed?",
        "Only the first convolution has the block's stride. The shortcut is nn.Identity() "
        "when stride == 1 and in_channels == channels; otherwise a 1x1 convolution with "
        "that stride and `channels` outputs, then a batch norm.",
        "forward: out = relu(bn1(conv1(x))); out = bn2(conv2(out)); return "
        "relu(out + shortcut(x)). Every convolution has bias=False and padding 1 (3x3) or "
        "0 (1x1).",
    ),
    "Bottleneck": (
        "Three convolutions: narrow, work, widen. The output has 4 * channels channels, "
        "which is what decides whether the shortcut needs a projection.",
        "1x1 from in_channels to channels, 3x3 from channels to channels with the block's "
        "stride and padding 1, 1x1 from channels to 4 * channels; a batch norm after each, "
        "all convolutions with bias=False.",
        "ReLU after the first two batch norms only; then return relu(out + shortcut(x)), "
        "where the shortcut is the identity if stride == 1 and in_channels == 4 * channels, "
        "else a 1x1 convolution (with the stride) to 4 * channels and a batch norm.",
    ),
    "ResNet": (
        "Keep one variable for the number of channels the next block receives: it starts "
        "at widths[0] (the stem's output) and becomes width * block.expansion after every "
        "block.",
        "Two loops: over the stages (zip(stage_sizes, widths)) and over the blocks of a "
        "stage. The first block of every stage but the first gets stride 2; all others 1.",
        "Collect each stage's blocks in an nn.Sequential, all stages in "
        "self.stages = nn.Sequential(...), and make self.head = nn.Sequential("
        "nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes)). forward "
        "is head(stages(stem(x))).",
    ),
    "DenseBlock": (
        "A residual block adds its new features to its input; a dense block concatenates "
        "them along the channels. So how many channels come out after num_layers layers "
        "that each add growth_rate?",
        "Layer i (counting from 0) receives everything so far: in_channels + i * "
        "growth_rate channels. It is batch norm, ReLU, then a 3x3 convolution (padding 1, "
        "bias=False) to growth_rate channels. Keep the layers in an nn.ModuleList so that "
        "PyTorch sees their weights.",
        "forward: features = [x]; for each layer, new = layer(torch.cat(features, dim=1)) "
        "and features.append(new); return torch.cat(features, dim=1): the input first, then "
        "the new features in the order they were made.",
    ),
}
TARGETS = lab_targets(4, (
    Target("Fashion-MNIST test accuracy", goal=0.90,
           advice="train the narrow ResNet again from a fresh model (re-run the cell that "
           "builds it); check that your blocks pass their checks. A model that is still "
           "improving at the last epoch gains from one or two more (epochs)."),
))

# ------------------------------------------------------------------------ batch norm

# (channels, eps, momentum) of each run; the large eps first, where its mistakes show best
BN_SETTINGS = [(3, 0.1, 0.3), (4, 1e-5, 0.1)]
BN_INPUT = (6, 4, 4)  # batch size, height, width of the inputs the check feeds
TOLERANCE = 1e-5


def _bn_input(channels: int, generator: torch.Generator) -> torch.Tensor:
    """A batch whose channels have clearly different means and spreads."""
    n, h, w = BN_INPUT
    scale = torch.tensor([0.5, 1.0, 2.0, 3.0][:channels]).view(1, -1, 1, 1)
    shift = torch.tensor([1.0, -1.0, 0.5, 2.0][:channels]).view(1, -1, 1, 1)
    return torch.randn(n, channels, h, w, generator=generator) * scale + shift


def _normalise(x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, eps: float,
               gamma: torch.Tensor, beta: torch.Tensor, eps_outside: bool = False) -> torch.Tensor:
    shape = (1, -1, 1, 1)
    mean, var = mean.reshape(shape) if mean.dim() == 1 else mean, \
        var.reshape(shape) if var.dim() == 1 else var
    spread = var.sqrt() + eps if eps_outside else (var + eps).sqrt()
    return (x - mean) / spread * gamma.view(shape) + beta.view(shape)


def _training_mistakes(x: torch.Tensor, eps: float, gamma: torch.Tensor,
                       beta: torch.Tensor) -> list[tuple[torch.Tensor, str, str]]:
    """Outputs of typical wrong training-mode layers: (output, what went wrong, hint)."""
    x, gamma, beta = x.double(), gamma.double(), beta.double()
    dims = (0, 2, 3)
    mean = x.mean(dim=dims)
    biased, unbiased = x.var(dim=dims, unbiased=False), x.var(dim=dims, unbiased=True)
    ones, zeros = torch.ones_like(gamma), torch.zeros_like(beta)
    return [
        (_normalise(x, mean, unbiased, eps, gamma, beta),
         "Your output matches a layer that divides by the unbiased variance (sum / (n - 1)).",
         "normalise with the biased variance of the batch, "
         "x.var(dim=(0, 2, 3), unbiased=False); the unbiased one is only for the running "
         "average."),
        (_normalise(x, mean, biased, eps, gamma, beta, eps_outside=True),
         "Your output matches (x - mean) / (sqrt(var) + eps): eps is outside the square root.",
         "divide by torch.sqrt(var + eps)."),
        (_normalise(x, mean, biased, 1e-5 if eps != 1e-5 else 0.0, gamma, beta),
         f"Your output matches a layer that does not use the eps it was given (eps={eps:g}): "
         "eps is missing or fixed to another value.",
         "store the argument (self.eps = eps) and divide by torch.sqrt(var + self.eps)."),
        (_normalise(x, mean, biased, eps, ones, zeros),
         "Your output is the normalised input without the learnable scale and shift.",
         "finish with self.weight * x_hat + self.bias (gamma and beta, shaped (1, C, 1, 1))."),
        (_normalise(x, x.mean(dim=(2, 3), keepdim=True),
                    x.var(dim=(2, 3), unbiased=False, keepdim=True), eps, gamma, beta),
         "Your output matches statistics taken per image and channel, over (H, W) only.",
         "batch norm averages over the batch and the positions: dim=(0, 2, 3), one mean "
         "and one variance per channel."),
        (_normalise(x, x.mean(dim=(1, 2, 3), keepdim=True),
                    x.var(dim=(1, 2, 3), unbiased=False, keepdim=True), eps, gamma, beta),
         "Your output matches statistics taken per image, over (C, H, W).",
         "batch norm averages over the batch and the positions: dim=(0, 2, 3), one mean "
         "and one variance per channel."),
        (_normalise(x, x.mean(), x.var(unbiased=False), eps, gamma, beta),
         "Your output matches a single mean and variance for the whole batch.",
         "keep one mean and one variance per channel: dim=(0, 2, 3)."),
    ]


def _check_bn_parts(check: Check, layer: nn.Module, channels: int, what: str) -> None:
    """Learnable weight and bias, running statistics as buffers, all with their start values."""
    check.that(isinstance(layer, nn.Module), f"{what} made a {type(layer).__name__}.",
               "an nn.Module.", "class BatchNorm2d(nn.Module), and call super().__init__().")
    parts = (("weight", 1.0, "gamma, the scale"), ("bias", 0.0, "beta, the shift"))
    for name, start, role in parts:
        value = getattr(layer, name, None)
        check.that(isinstance(value, nn.Parameter),
                   f"{what} has no nn.Parameter called {name} "
                   f"(found {type(value).__name__}).",
                   f"self.{name} = nn.Parameter(torch.{'ones' if start else 'zeros'}"
                   f"(num_features)): {role}, one per channel, learned by the optimizer.")
        check.that(tuple(value.shape) == (channels,),
                   f"{what}.{name} has shape {tuple(value.shape)}.", f"({channels},).",
                   "one number per channel: torch.ones(num_features) or torch.zeros(...).")
        check.that(bool(torch.all(value.detach() == start)),
                   f"{what}.{name} starts at {value.detach().flatten()[:4].tolist()}...",
                   f"all {start:g}s, so that the layer starts as plain normalisation.")
    n_learnable = sum(p.numel() for p in layer.parameters())
    check.that(n_learnable == 2 * channels,
               f"{what} has {n_learnable} learnable numbers.",
               f"{2 * channels}: gamma and beta, one of each per channel.",
               "the running averages are not learned: register them as buffers, "
               "self.register_buffer('running_mean', torch.zeros(num_features)).")
    buffers = dict(layer.named_buffers())
    for name, start in (("running_mean", 0.0), ("running_var", 1.0)):
        check.that(name in buffers,
                   f"{what} has no buffer called {name} "
                   f"({'it is a plain attribute' if hasattr(layer, name) else 'not found'}).",
                   f"self.register_buffer('{name}', torch.{'zeros' if start == 0 else 'ones'}"
                   "(num_features)).",
                   "buffers are saved with the model and moved by .to(device), "
                   "but not trained.")
        value = buffers[name]
        check.that(tuple(value.shape) == (channels,) and bool(torch.all(value == start)),
                   f"{what}.{name} starts as {value.flatten()[:4].tolist()} "
                   f"(shape {tuple(value.shape)}).",
                   f"{channels} {'zeros' if start == 0 else 'ones'}.")


def _compare_output(check: Check, ours: nn.Module, ref: nn.BatchNorm2d, x: torch.Tensor,
                    step: int, what: str) -> None:
    """One training step's output against nn.BatchNorm2d's, naming a known mistake."""
    x_ours = x.clone().requires_grad_(True)
    out = check.call(ours, x_ours, description=f"{what} in training mode, on a batch of "
                     f"shape {tuple(x.shape)}")
    expected = ref(x)
    check.that(isinstance(out, torch.Tensor), f"{what} returned a {type(out).__name__}.",
               "a tensor.")
    check.that(tuple(out.shape) == tuple(x.shape),
               f"{what} returned shape {tuple(out.shape)} for input {tuple(x.shape)}.",
               "the shape of the input: batch norm changes values, not shapes.")
    found = out.detach().double()
    if not torch.allclose(found, expected.detach().double(), atol=TOLERANCE, rtol=TOLERANCE):
        check.no_mistake_among(found, _training_mistakes(x, ref.eps, ours.weight.detach(),
                                                         ours.bias.detach()))
        check.numbers_close(found, expected.detach(), f"Training step {step}: {what}'s output",
                            atol=TOLERANCE, rtol=TOLERANCE,
                            hint="normalise with the batch's mean and biased variance over "
                            "dim=(0, 2, 3), then scale by weight and shift by bias.")
    check.ok()


def _running_mistakes(old_mean: torch.Tensor, old_var: torch.Tensor, x: torch.Tensor,
                      momentum: float) -> dict[str, list[tuple[torch.Tensor, str, str]]]:
    """Typical wrong running averages after one step: (value, what went wrong, hint)."""
    dims = (0, 2, 3)
    batch_mean = x.mean(dim=dims)
    biased, unbiased = x.var(dim=dims, unbiased=False), x.var(dim=dims, unbiased=True)
    return {
        "running_mean": [
            (old_mean, "running_mean did not change during a training step.",
             "in training mode, update it: running_mean = (1 - momentum) * running_mean "
             "+ momentum * batch_mean."),
            (momentum * old_mean + (1 - momentum) * batch_mean,
             "running_mean moved by (1 - momentum) towards the batch mean: the momentum "
             "is reversed.",
             "PyTorch's convention: running = (1 - momentum) * running + momentum * batch "
             "(momentum=0.1 keeps 90% of the old value)."),
            (batch_mean, "running_mean was replaced by the batch mean.",
             "keep a moving average: (1 - momentum) * running_mean + momentum * batch_mean."),
        ],
        "running_var": [
            (old_var, "running_var did not change during a training step.",
             "running_var = (1 - momentum) * running_var + momentum * unbiased batch variance."),
            ((1 - momentum) * old_var + momentum * biased,
             "running_var was updated with the biased batch variance.",
             "PyTorch keeps the unbiased variance (divide by n - 1) in the running average: "
             "x.var(dim=(0, 2, 3), unbiased=True)."),
            (momentum * old_var + (1 - momentum) * unbiased,
             "running_var moved by (1 - momentum) towards the batch variance: the momentum "
             "is reversed.",
             "running = (1 - momentum) * running + momentum * batch."),
            (unbiased, "running_var was replaced by the batch variance.",
             "keep a moving average: (1 - momentum) * running_var + momentum * batch_var."),
        ],
    }


RUNNING_RULES = {
    "running_mean": "running_mean = (1 - momentum) * running_mean + momentum * batch_mean",
    "running_var": "running_var = (1 - momentum) * running_var + momentum * (unbiased "
                   "batch variance)",
}


def _compare_training_step(check: Check, ours: nn.Module, ref: nn.BatchNorm2d,
                           x: torch.Tensor, step: int, what: str) -> None:
    """The output of one training step, then the running averages it leaves behind."""
    old_mean, old_var = ref.running_mean.clone(), ref.running_var.clone()
    _compare_output(check, ours, ref, x, step, what)
    for name in ("running_mean", "running_var"):
        value = getattr(ours, name)
        check.that(not value.requires_grad,
                   f"After a training step {what}.{name} requires a gradient: it is part "
                   "of the autograd graph.",
                   "a plain tensor.",
                   "update the running averages inside `with torch.no_grad():` "
                   "(or use mean.detach()).")
    mistakes = _running_mistakes(old_mean, old_var, x, ref.momentum)
    for name in ("running_mean", "running_var"):
        found, expected = getattr(ours, name).detach().double(), getattr(ref, name)
        if not torch.allclose(found, expected.double(), atol=TOLERANCE, rtol=TOLERANCE):
            check.no_mistake_among(found, mistakes[name])
            check.numbers_close(found, expected, f"After training step {step}, {name}",
                                atol=TOLERANCE, rtol=TOLERANCE, hint=RUNNING_RULES[name])
        check.ok()


def _compare_gradients(check: Check, ours: nn.Module, ref: nn.BatchNorm2d, x: torch.Tensor,
                       what: str, generator: torch.Generator) -> None:
    weights = torch.randn(x.shape, generator=generator)
    x_ours, x_ref = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    out = check.call(ours, x_ours, description=f"{what} in training mode")
    check.call(lambda: (out * weights).sum().backward(),
               description=f"backward() through {what}'s output",
               hint="build the output from torch operations on x only (no .item(), .numpy(), "
               "in-place changes of x).")
    (ref(x_ref) * weights).sum().backward()
    check.that(x_ours.grad is not None,
               f"No gradient reached the input of {what}.",
               "gradients to flow back through the layer to the layers before it.",
               "don't use .detach(), .data, .item() or .numpy() on x or its statistics.")
    if not torch.allclose(x_ours.grad, x_ref.grad, atol=1e-4, rtol=1e-4):
        worst = (x_ours.grad - x_ref.grad).abs().max().item()
        check.fail(f"The gradient with respect to the input of {what} differs from "
                   f"nn.BatchNorm2d's by up to {worst:.3g}.",
                   "the same gradient (the batch mean and variance depend on x too).",
                   "compute mean and variance from x without .detach() in training mode.")
    for name in ("weight", "bias"):
        grad = getattr(ours, name).grad
        check.that(grad is not None and torch.allclose(grad, getattr(ref, name).grad,
                                                       atol=1e-4, rtol=1e-4),
                   f"The gradient of {what}.{name} differs from nn.BatchNorm2d's "
                   f"(found {None if grad is None else grad.tolist()}).",
                   f"{getattr(ref, name).grad.tolist()}.",
                   "use self.weight and self.bias themselves in forward, not copies.")


def _check_eval_mode(check: Check, ours: nn.Module, ref: nn.BatchNorm2d, x: torch.Tensor,
                     what: str) -> None:
    """Eval mode reads the running averages and leaves them alone."""
    ours.eval()
    ref.eval()
    before = (ours.running_mean.clone(), ours.running_var.clone())
    with torch.no_grad():
        out = check.call(ours, x, description=f"{what} in eval mode")
        expected = ref(x)
    check.that(isinstance(out, torch.Tensor) and out.shape == x.shape,
               f"{what} in eval mode returned {shape_of(out)} for input {tuple(x.shape)}.",
               "a tensor of the input's shape.",
               "return the normalised tensor in both modes.")
    check.that(torch.equal(ours.running_mean, before[0])
               and torch.equal(ours.running_var, before[1]),
               f"{what} changed its running averages in eval mode.",
               "eval mode to only read them.",
               "update the running averages only `if self.training:`.")
    if not torch.allclose(out.double(), expected.double(), atol=TOLERANCE, rtol=TOLERANCE):
        gamma_now, beta_now = ours.weight.detach(), ours.bias.detach()
        candidates = [
            (_normalise(x, x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False),
                        ref.eps, gamma_now, beta_now),
             "In eval mode your layer still uses the statistics of the batch.",
             "when not self.training, normalise with self.running_mean and "
             "self.running_var."),
            (_normalise(x, ref.running_mean, ref.running_var, 0.0, gamma_now, beta_now),
             "In eval mode your layer leaves out eps.",
             "divide by torch.sqrt(self.running_var + self.eps)."),
        ]
        check.no_mistake_among(out.double(), candidates)
        check.numbers_close(out, expected, f"{what}'s output in eval mode", atol=TOLERANCE,
                            rtol=TOLERANCE, hint="in eval mode use the running averages: "
                            "(x - running_mean) / sqrt(running_var + eps) * weight + bias.")
    check.ok()


def _set_affine(layers: tuple[nn.Module, ...], gamma: torch.Tensor, beta: torch.Tensor) -> None:
    with torch.no_grad():
        for layer in layers:
            layer.weight.copy_(gamma)
            layer.bias.copy_(beta)


@exercise(4, "BatchNorm2d", hints=HINTS["BatchNorm2d"])
@own_random_state()
def check_batch_norm(BatchNorm2d: type) -> None:
    """Your ``BatchNorm2d(num_features, eps=1e-5, momentum=0.1)`` against ``nn.BatchNorm2d``.

    Compares, to 1e-5: the outputs and the running averages after each of three
    training steps, the outputs in eval mode (which must leave the running averages
    alone), and the gradients of input, weight and bias.
    """
    check = Check("BatchNorm2d")
    check.is_class(BatchNorm2d, "BatchNorm2d")
    generator = torch.Generator().manual_seed(4)
    for channels, eps, momentum in BN_SETTINGS:
        what = f"BatchNorm2d({channels}, eps={eps:g}, momentum={momentum:g})"
        ours = check.call(BatchNorm2d, channels, eps=eps, momentum=momentum, description=what)
        _check_bn_parts(check, ours, channels, what)
        ref = nn.BatchNorm2d(channels, eps=eps, momentum=momentum)
        gamma = torch.rand(channels, generator=generator) + 0.5
        beta = torch.randn(channels, generator=generator)
        _set_affine((ours, ref), gamma, beta)

        ours.train()
        ref.train()
        check.that(ours.training, f"{what}.train() did not switch it to training mode.",
                   "self.training to be True after .train().",
                   "don't override train() or the attribute self.training.")
        for step in (1, 2, 3):
            _compare_training_step(check, ours, ref, _bn_input(channels, generator), step, what)
        x = _bn_input(channels, generator) * 1.5 + 0.3  # statistics unlike the training data
        _check_eval_mode(check, ours, ref, x, what)

        fresh = check.call(BatchNorm2d, channels, eps=eps, momentum=momentum, description=what)
        fresh_ref = nn.BatchNorm2d(channels, eps=eps, momentum=momentum)
        _set_affine((fresh, fresh_ref), gamma, beta)
        _compare_gradients(check, fresh, fresh_ref, _bn_input(channels, generator), what,
                           generator)
    check.passed(f"matches nn.BatchNorm2d to {TOLERANCE:g} in training and eval mode "
                 f"({check.count} checks passed).")


# ------------------------------------------------------------------------ blocks

def _projection(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                         nn.BatchNorm2d(out_channels))


def _torchvision_block(kind: str, in_channels: int, channels: int, stride: int) -> nn.Module:
    block = TorchvisionBasicBlock if kind == "BasicBlock" else TorchvisionBottleneck
    out_channels = channels * block.expansion
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = _projection(in_channels, out_channels, stride)
    return block(in_channels, channels, stride, downsample)


def _block_param_hint(block: nn.Module, found: int, expected: int, in_channels: int,
                      out_channels: int, needs_projection: bool) -> str:
    """Name the likely cause of a difference in parameter counts."""
    diff = found - expected
    biases = sum(m.bias.numel() for m in block.modules()
                 if isinstance(m, nn.Conv2d) and m.bias is not None)
    projection = in_channels * out_channels + 2 * out_channels  # 1x1 conv + batch norm
    if biases and diff == biases:
        return ("a convolution followed by batch norm needs no bias (the batch norm's shift "
                "replaces it): use bias=False.")
    if not needs_projection and diff == projection:
        return ("this block keeps the shape, so its shortcut is the identity: add x itself, "
                "no 1x1 convolution.")
    if needs_projection and diff == -projection:
        return ("this block changes the shape, so its shortcut needs a projection: "
                "a 1x1 convolution (with the block's stride) and a batch norm.")
    if needs_projection and diff == -2 * out_channels:
        return "the projection shortcut needs a batch norm after its 1x1 convolution."
    if needs_projection and diff == 8 * in_channels * out_channels:
        return "the projection shortcut is a 1x1 convolution, not a 3x3 one."
    return ("every convolution has bias=False and is followed by a batch norm; the shortcut "
            "is the identity, or a 1x1 convolution and a batch norm when the shape changes.")


def _run_block(check: Check, block: nn.Module, x: torch.Tensor, what: str,
               needs_projection: bool) -> torch.Tensor:
    """``block(x)``; when it crashes, the message lists the shapes its convolutions gave."""
    hint = ("the main path and the shortcut must give the same shape: only the first 3x3 "
            "convolution of the main path has the block's stride"
            + ("; when the shape changes, the shortcut is a 1x1 convolution with that stride "
               "and out_channels, then a batch norm." if needs_projection else "."))
    return _call_showing_shapes(check, block, x, what, hint)


def _call_showing_shapes(check: Check, block: nn.Module, x: torch.Tensor, what: str,
                         hint: str, convs: list[nn.Module] | None = None) -> torch.Tensor:
    """``block(x)`` without gradients; when it crashes, the message lists the shapes that
    its convolutions gave, in the order they ran."""
    if convs is None:
        convs = [module for module in block.modules() if isinstance(module, nn.Conv2d)]
    with recording(convs) as calls:
        try:
            with torch.no_grad():
                return check.call(block, x, description=f"{what} applied to a batch of shape "
                                  f"{tuple(x.shape)}", hint=hint)
        except NotImplementedYet:
            raise
        except CheckFailed as error:
            if calls:
                error.message += ("\nYour convolutions gave these shapes, in the order they "
                                  "ran: " + ", ".join(str(c.output_shape) for c in calls) + ".")
                error.args = (error.message,)
            raise


def _check_block_shape(check: Check, block: nn.Module, x: torch.Tensor, what: str,
                       channels: int, expansion: int, stride: int) -> None:
    out_channels = channels * expansion
    needs_projection = stride != 1 or x.shape[1] != out_channels
    out = _run_block(check, block, x, what, needs_projection)
    size = x.shape[-1]
    expected_shape = (2, out_channels, size // stride, size // stride)
    check.that(isinstance(out, torch.Tensor), f"{what} returned a {type(out).__name__}.",
               "a tensor.")
    if tuple(out.shape) != expected_shape:
        if out.shape[1] != out_channels:
            hint = (f"the block's output has channels * expansion = {channels} * {expansion} "
                    "channels" + ("; the last 1x1 convolution widens to it." if expansion > 1
                                  else "."))
        else:
            hint = ("the stride goes on one 3x3 convolution of the main path (padding=1) and "
                    "on the 1x1 convolution of the shortcut; the other convolutions keep "
                    "the size.")
        check.fail(f"{what} returned shape {tuple(out.shape)} for input {tuple(x.shape)}.",
                   f"{expected_shape}.", hint)
    check.ok()


def _check_identity_skip(check: Check, block: nn.Module, x: torch.Tensor, what: str) -> None:
    """With every convolution at zero, a block that keeps the shape returns relu(x)."""
    with torch.no_grad():
        for module in block.modules():
            if isinstance(module, nn.Conv2d):
                module.weight.zero_()
                if module.bias is not None:
                    module.bias.zero_()
        out = check.call(block, x, description=f"{what} with its convolutions set to zero")
    if not torch.allclose(out, torch.relu(x), atol=1e-5):
        if torch.allclose(out, x, atol=1e-5):
            check.fail(f"With every convolution set to zero, {what} returns its input "
                       "unchanged, negative values included.",
                       "relu(x): the ReLU comes after the addition.",
                       "return self.relu(out + self.shortcut(x)).")
        if out.abs().max() < 1e-6:
            check.fail(f"With every convolution set to zero, {what} returns zeros: "
                       "the input is not added back.",
                       "relu(x): the skip connection carries x around the convolutions.",
                       "end forward with relu(main_path + shortcut(x)).")
        check.fail(f"With every convolution set to zero, {what} does not return relu(x).",
                   "relu(x): the main path gives zeros and the skip adds x.",
                   "the main path is conv, batch norm, ReLU, conv, batch norm; then add "
                   "shortcut(x) and apply ReLU.")
    check.ok()


def _check_block(check: Check, Block: type, kind: str, in_channels: int, channels: int,
                 stride: int, size: int = 8) -> None:
    expansion = 1 if kind == "BasicBlock" else 4
    out_channels = channels * expansion
    what = f"{kind}({in_channels}, {channels}, stride={stride})"
    block = check.call(Block, in_channels, channels, stride, description=what)
    check.that(isinstance(block, nn.Module), f"{what} made a {type(block).__name__}.",
               "an nn.Module.", f"class {kind}(nn.Module), and call super().__init__().")
    block.eval()
    x = torch.randn(2, in_channels, size, size, generator=torch.Generator().manual_seed(1))
    _check_block_shape(check, block, x, what, channels, expansion, stride)
    needs_projection = stride != 1 or in_channels != out_channels
    reference = _torchvision_block(kind, in_channels, channels, stride)
    found, expected = parameter_count(block), parameter_count(reference)
    check.that(found == expected,
               f"{what} has {found:,} parameters.",
               f"{expected:,}, as torchvision's {kind} with the same settings.",
               _block_param_hint(block, found, expected, in_channels, out_channels,
                                 needs_projection))
    if stride != 1:
        strided = [module for module in block.modules() if isinstance(module, nn.Conv2d)
                   and module.kernel_size == (3, 3) and module.stride == (stride, stride)]
        check.that(bool(strided), f"In {what}, no 3x3 convolution has stride {stride}.",
                   "the stride on the 3x3 convolution of the main path, as torchvision does; "
                   "the 1x1 convolutions of the main path keep stride 1.",
                   "nn.Conv2d(channels, channels, 3, stride=stride, padding=1, bias=False).")
    if not needs_projection:
        _check_identity_skip(check, block, x, what)


def _check_expansion(check: Check, Block: type, kind: str, expected: int) -> None:
    found = getattr(Block, "expansion", None)
    check.that(found == expected, f"{kind}.expansion is {found!r}.",
               f"{expected}: the output has channels * {expected} channels.",
               f"set the class attribute `expansion = {expected}` in {kind}.")


@exercise(4, "BasicBlock", hints=HINTS["BasicBlock"])
@own_random_state()
def check_basic_block(BasicBlock: type) -> None:
    """Your ``BasicBlock(in_channels, channels, stride)``: shapes, parameters, the skip."""
    check = Check("BasicBlock")
    check.is_class(BasicBlock, "BasicBlock")
    _check_expansion(check, BasicBlock, "BasicBlock", 1)
    for in_channels, channels, stride in [(16, 16, 1), (16, 32, 2), (8, 16, 1), (16, 16, 2)]:
        _check_block(check, BasicBlock, "BasicBlock", in_channels, channels, stride)
    check.passed()


@exercise(4, "Bottleneck", hints=HINTS["Bottleneck"])
@own_random_state()
def check_bottleneck(Bottleneck: type) -> None:
    """Your ``Bottleneck(in_channels, channels, stride)``: shapes, parameters, the skip."""
    check = Check("Bottleneck")
    check.is_class(Bottleneck, "Bottleneck")
    _check_expansion(check, Bottleneck, "Bottleneck", 4)
    for in_channels, channels, stride in [(32, 8, 1), (16, 8, 1), (32, 16, 2), (32, 8, 2)]:
        _check_block(check, Bottleneck, "Bottleneck", in_channels, channels, stride)
    check.passed()


# ------------------------------------------------------------------------ whole networks

RESNETS: dict[str, tuple[str, list[int], Callable[..., nn.Module], int]] = {
    "ResNet-18": ("BasicBlock", [2, 2, 2, 2], models.resnet18, 11_689_512),
    "ResNet-34": ("BasicBlock", [3, 4, 6, 3], models.resnet34, 21_797_672),
    "ResNet-50": ("Bottleneck", [3, 4, 6, 3], models.resnet50, 25_557_032),
}


def _parts(check: Check, model: nn.Module, what: str) -> tuple[nn.Module, list[nn.Module]]:
    """The stem and the list of stages of your model."""
    for name in ("stem", "stages"):
        check.that(isinstance(getattr(model, name, None), nn.Module),
                   f"{what} has no module called `{name}`.",
                   "self.stem, self.stages (an nn.Sequential with one nn.Sequential of blocks "
                   "per stage) and self.head, as in the skeleton.",
                   f"assign self.{name} = ... in __init__.")
    stages = list(model.stages.children())
    return model.stem, stages


def _stage_hint(stage: nn.Module, reference: nn.Module, n_blocks: int, index: int,
                kind: str) -> str:
    blocks = list(stage.children())
    if len(blocks) != n_blocks:
        return (f"your stage {index} holds {len(blocks)} blocks, the configuration asks "
                f"for {n_blocks}.")
    projection = getattr(list(reference.children())[0], "downsample", None)
    if projection is not None and \
            parameter_count(reference) - parameter_count(stage) == parameter_count(projection):
        return (f"the first block of stage {index} changes the shape, so its shortcut needs a "
                "projection: a 1x1 convolution (with the block's stride) and a batch norm. "
                "Your block has none; add it in the block class, `if stride != 1 or "
                "in_channels != channels * expansion:`.")
    if index == 1:
        return ("the first stage keeps the size: all its blocks have stride 1"
                + (". With bottlenecks its first block goes from 64 to 256 channels (so it "
                   "needs a projection), and the blocks after it receive 256 channels, "
                   "width * block.expansion." if kind == "Bottleneck" else "."))
    return ("the first block of this stage has stride 2 and receives the previous stage's "
            "output channels (width * block.expansion); the others have stride 1 and "
            "in_channels = width * block.expansion.")


def _compare_parameters(check: Check, model: nn.Module, reference: nn.Module, name: str,
                        kind: str, sizes: list[int], total: int) -> None:
    """Your parameter count against torchvision's; a difference is traced to its part."""
    stem, stages = _parts(check, model, name)
    found = parameter_count(model)
    if found == total:
        check.ok()
        return
    parts = [("the stem", nn.Sequential(reference.conv1, reference.bn1), stem,
              "use the stem of the skeleton.")]
    parts += [(f"stage {i + 1} (torchvision's layer{i + 1})", getattr(reference, f"layer{i + 1}"),
               stage, _stage_hint(stage, getattr(reference, f"layer{i + 1}"), n, i + 1, kind))
              for i, (stage, n) in enumerate(zip(stages, sizes))]
    for label, ref_part, our_part, hint in parts:
        if parameter_count(our_part) != parameter_count(ref_part):
            check.fail(f"{name} has {found:,} parameters; the difference is in {label}, "
                       f"which has {parameter_count(our_part):,}.",
                       f"{parameter_count(ref_part):,} there, as torchvision's, "
                       f"{total:,} in all.", hint)
    check.fail(f"{name} has {found:,} parameters; the stem and the stages match "
               "torchvision's, so the difference is in the head.",
               f"{total:,}, with a head of {parameter_count(reference.fc):,} parameters.",
               "the head is global average pooling, flatten, and one nn.Linear from "
               "the last stage's channels (width * block.expansion) to num_classes.")


def _compare_shapes(check: Check, model: nn.Module, reference: nn.Module, name: str) -> None:
    """The stem and every stage give torchvision's shapes on a (2, 3, 64, 64) batch."""
    stem, stages = _parts(check, model, name)
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    model.eval()
    reference.eval()
    with torch.no_grad():
        h = check.call(stem, x, description=f"{name}'s stem on a batch of shape {tuple(x.shape)}")
        r = x.to("meta")
        r = reference.maxpool(reference.relu(reference.bn1(reference.conv1(r))))
        check.that(isinstance(h, torch.Tensor) and tuple(h.shape) == tuple(r.shape),
                   f"{name}'s stem returned {shape_of(h)}.", f"{tuple(r.shape)}.")
        for i, stage in enumerate(stages):
            h = _run_stage(check, stage, h, f"stage {i + 1} of {name}")
            r = getattr(reference, f"layer{i + 1}")(r)
            check.that(isinstance(h, torch.Tensor) and tuple(h.shape) == tuple(r.shape),
                       f"Stage {i + 1} of {name} returned {described(h)} for an input "
                       f"of {tuple(x.shape)}.",
                       f"{tuple(r.shape)}, as torchvision's layer{i + 1}.",
                       "every stage after the first halves the size with its first block "
                       "(stride 2); the others keep it.")
        out = check.call(model, x, description=f"{name} on a batch of shape {tuple(x.shape)}")
    check.that(isinstance(out, torch.Tensor) and tuple(out.shape) == (2, 1000),
               f"{name} returned {described(out)}.",
               "(2, 1000): one score per class.",
               "forward is stem, stages, then the head.")


def _run_stage(check: Check, stage: nn.Module, h: torch.Tensor, label: str) -> torch.Tensor:
    """Run a stage block by block, so that a crash names the block and its shapes."""
    blocks = list(stage.children()) if isinstance(stage, nn.Sequential) else [stage]
    for number, block in enumerate(blocks, start=1):
        where = f"block {number} of {label}" if len(blocks) > 1 else label
        h = _run_block(check, block, h, where, needs_projection=True)
    return h


def _check_small_resnet(check: Check, ResNet: type, BasicBlock: type) -> None:
    """A small network: ``widths``, ``num_classes``, ``in_channels`` and ``stem`` are used."""
    what = ("ResNet(BasicBlock, [1, 2], widths=(8, 16), num_classes=3, in_channels=1, "
            "stem=<one conv 1 -> 8>)")
    stem = nn.Conv2d(1, 8, kernel_size=3, padding=1)
    model = check.call(ResNet, BasicBlock, [1, 2], widths=(8, 16), num_classes=3,
                       in_channels=1, stem=stem, description=what)
    check.that(isinstance(model, nn.Module), f"{what} made a {type(model).__name__}.",
               "an nn.Module.")
    our_stem, stages = _parts(check, model, what)
    check.that(our_stem is stem, f"{what} did not keep the stem it was given.",
               "self.stem to be the `stem` argument when one is given.",
               "keep the lines of the skeleton that choose the stem.")
    check.that(len(stages) == 2, f"{what}: model.stages holds {len(stages)} stages.",
               "2, one per entry of stage_sizes.")
    check.that([len(list(s.children())) for s in stages] == [1, 2],
               f"{what}: the stages hold {[len(list(s.children())) for s in stages]} blocks.",
               "[1, 2], as stage_sizes says.")
    x = torch.randn(2, 1, 12, 12)
    model.eval()
    with torch.no_grad():
        h = check.call(our_stem, x, description=f"the stem of {what}")
        for i, stage in enumerate(stages):
            h = _run_stage(check, stage, h, f"stage {i + 1} of {what}")
        out = check.call(model, x, description=f"{what} on a batch of shape (2, 1, 12, 12)")
    check.that(isinstance(out, torch.Tensor) and tuple(out.shape) == (2, 3),
               f"{what} returned {described(out)}.",
               "(2, 3): num_classes scores per image.",
               "the head's nn.Linear maps widths[-1] * block.expansion features to "
               "num_classes.")


@exercise(4, "ResNet", hints=HINTS["ResNet"])
@own_random_state()
def check_resnet(ResNet: type, BasicBlock: type, Bottleneck: type) -> None:
    """Your ``ResNet`` built as ResNet-18, -34 and -50, against torchvision's models.

    Parameter counts must equal torchvision's (11,689,512 / 21,797,672 / 25,557,032 at
    1000 classes), and so must the output shapes of the stem and of every stage. A small
    network checks that ``widths``, ``num_classes``, ``in_channels`` and ``stem`` are used.
    """
    check = Check("ResNet")
    check.is_class(ResNet, "ResNet")
    _check_small_resnet(check, ResNet, BasicBlock)
    blocks = {"BasicBlock": BasicBlock, "Bottleneck": Bottleneck}
    for name, (kind, sizes, builder, total) in RESNETS.items():
        what = f"{name} = ResNet({kind}, {sizes})"
        model = check.call(ResNet, blocks[kind], sizes, description=what)
        _, stages = _parts(check, model, name)
        check.that(len(stages) == len(sizes),
                   f"{name}: model.stages holds {len(stages)} stages.",
                   f"{len(sizes)}, one per entry of the stage configuration {sizes}.",
                   "append one nn.Sequential of blocks per entry of stage_sizes.")
        with torch.device("meta"):  # torchvision's network as shapes only: no memory, no time
            reference = builder(weights=None)
        _compare_parameters(check, model, reference, name, kind, sizes, total)
        _compare_shapes(check, model, reference, name)
    check.passed("ResNet-18, -34 and -50 match torchvision's parameter counts "
                 "(11,689,512 / 21,797,672 / 25,557,032) and stage shapes.")


# ------------------------------------------------------------------------ DenseNet

# (in_channels, growth_rate, num_layers, input height, width) of the blocks the check builds
DENSE_SETTINGS = [(5, 3, 4, 6, 7), (8, 4, 2, 5, 5)]


def _dense_expected_parameters(in_channels: int, growth: int, layers: int) -> int:
    """Batch norm (2 per channel) and a bias-free 3x3 convolution in every layer."""
    total = 0
    for i in range(layers):
        seen = in_channels + i * growth
        total += 2 * seen + 9 * seen * growth
    return total


def _dense_output(check: Check, block: nn.Module, x: torch.Tensor, what: str,
                  convs: list[nn.Module]) -> torch.Tensor:
    """``block(x)`` in eval mode; a crash lists the shapes the convolutions gave."""
    block.eval()
    return _call_showing_shapes(
        check, block, x.clone(), what, convs=convs,
        hint="torch.cat joins tensors along one dimension, and they must agree in all the "
        "others: join along the channels (dim=1), and keep height and width with 3x3 "
        "convolutions and padding=1.")


def _check_dense_shape(check: Check, out: object, x: torch.Tensor, what: str,
                       growth: int, layers: int) -> None:
    """Shape (N, in + layers * growth, H, W), with the input as its first channels."""
    n, c, h, w = x.shape
    expected = (n, c + layers * growth, h, w)
    check.that(isinstance(out, torch.Tensor),
               f"{what} returned {described(out)}.", f"a tensor of shape {expected}.",
               "return torch.cat(features, dim=1).")
    found = tuple(out.shape)
    if found == expected:
        check.ok()
    elif len(found) != 4 or found[0] != n:
        check.fail(f"{what} turned a batch of shape {tuple(x.shape)} into {found}.",
                   f"{expected}.",
                   "join the features along the channels: torch.cat(features, dim=1); "
                   "dim=0 would stack them as more images.")
    elif found[2:] != (h, w):
        check.fail(f"{what} returned height and width {found[2:]} for an input of "
                   f"{(h, w)}.", f"{expected}: a dense block keeps the size.",
                   "3x3 convolutions with padding=1.")
    elif found[1] == c:
        check.fail(f"{what} returned {c} channels, as many as it received: the new features "
                   "were added to the input, as in a residual block.",
                   f"{expected[1]} channels = in_channels + num_layers * growth_rate "
                   f"= {c} + {layers} * {growth}: a dense block concatenates.",
                   "torch.cat([x, new_features], dim=1) instead of x + new_features.")
    elif found[1] == c + growth:
        check.fail(f"{what} returned {found[1]} channels = in_channels + growth_rate: only "
                   "one layer's new features reached the output.",
                   f"{expected[1]} channels = in_channels + num_layers * growth_rate "
                   f"= {c} + {layers} * {growth}.",
                   "keep the output of every layer in a list (features.append(new)) and "
                   "concatenate them all at the end.")
    elif found[1] == layers * growth:
        check.fail(f"{what} returned {found[1]} channels = num_layers * growth_rate: the "
                   "block's own input is left out of the output.",
                   f"{expected[1]} channels: the input first, then every layer's "
                   "new features.", "start the list with the input: features = [x].")
    elif (found[1] - c) % layers == 0 and found[1] > c:
        check.fail(f"{what} returned {found[1]} channels: each of its {layers} layers made "
                   f"{(found[1] - c) // layers} new channels, not growth_rate = {growth}.",
                   f"{expected[1]} = in_channels + num_layers * growth_rate "
                   f"= {c} + {layers} * {growth}.",
                   "give every convolution growth_rate outputs, the argument, not a number "
                   "of your own.")
    else:
        check.fail(f"{what} returned {found[1]} channels.",
                   f"{expected[1]} = in_channels + num_layers * growth_rate "
                   f"= {c} + {layers} * {growth}.",
                   "every layer makes growth_rate new channels, and the output is the "
                   "input and all of them, concatenated.")
    if not torch.equal(out[:, :c], x):
        at_end = tuple(out.shape) == expected and torch.equal(out[:, -c:], x)
        check.fail(f"The first {c} channels of {what}'s output are not its input"
                   + (" (the input comes last)." if at_end else "."),
                   "the input itself first, unchanged, then the new features in the order "
                   "they were made.",
                   "start with features = [x] and return torch.cat(features, dim=1).")
    check.ok()


def _check_dense_layers(check: Check, block: nn.Module, what: str, x: torch.Tensor,
                        growth: int, layers: int) -> tuple[list, list]:
    """The convolutions and batch norms, in the order they ran, with the sizes they need."""
    c = x.shape[1]
    watched = [m for m in block.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    with recording(watched) as calls, torch.no_grad():
        check.call(block.eval(), x.clone(), description=f"{what} applied to a batch")
    convs = [call.layer for call in calls if isinstance(call.layer, nn.Conv2d)]
    norms = [call.layer for call in calls if isinstance(call.layer, nn.BatchNorm2d)]
    check.that(len(convs) == layers,
               f"{what} ran {len(convs)} convolutions.",
               f"{layers}, one per layer (num_layers={layers}).",
               "make num_layers layers in a loop in __init__, and use each once in forward.")
    for i, conv in enumerate(convs):
        seen = c + i * growth
        label = f"layer {i + 1} of {what}"
        check.that(conv.kernel_size == (3, 3) and conv.out_channels == growth,
                   f"The convolution of {label} is {conv.kernel_size[0]}x"
                   f"{conv.kernel_size[1]} with {conv.out_channels} outputs.",
                   f"3x3 with growth_rate = {growth} outputs.",
                   "nn.Conv2d(channels_so_far, growth_rate, 3, padding=1, bias=False).")
        if conv.in_channels != seen:
            if conv.in_channels == c and i > 0:
                hint = ("each layer sees the block's input *and* the features of every layer "
                        "before it: apply it to torch.cat(features, dim=1), and build it "
                        "with in_channels + i * growth_rate inputs.")
            elif conv.in_channels == growth and i > 0:
                hint = ("each layer sees everything before it, not only the previous layer's "
                        "output: in_channels + i * growth_rate inputs.")
            else:
                hint = "layer i (from 0) receives in_channels + i * growth_rate channels."
            check.fail(f"The convolution of {label} takes {conv.in_channels} channels.",
                       f"{seen} = in_channels + {i} * growth_rate.", hint)
        check.that(conv.bias is None,
                   f"The convolution of {label} has a bias.",
                   "bias=False: it follows a batch norm and a ReLU here, but DenseNet leaves "
                   "the bias out, and so does the parameter count the check expects.",
                   "nn.Conv2d(..., bias=False).")
    check.that(len(norms) == layers,
               f"{what} ran {len(norms)} batch norms.",
               f"{layers}, one at the start of every layer.",
               "each layer is nn.BatchNorm2d, nn.ReLU, then the convolution.")
    for i, norm in enumerate(norms):
        seen = c + i * growth
        if norm.num_features != seen:
            after = norm.num_features == growth
            check.fail(f"The batch norm of layer {i + 1} of {what} has {norm.num_features} "
                       "channels" + (", the convolution's outputs: it comes after the "
                                     "convolution." if after else "."),
                       f"{seen}: in a dense layer batch norm and ReLU come first, on all "
                       "the features so far, and the convolution last.",
                       "each layer is nn.BatchNorm2d(channels_so_far), nn.ReLU(), then "
                       "nn.Conv2d(channels_so_far, growth_rate, 3, padding=1, bias=False).")
    return convs, norms


def _check_dense_values(check: Check, block: nn.Module, what: str, x: torch.Tensor,
                        convs: list, norms: list) -> None:
    """Each layer's new features are conv(relu(bn(everything so far))), with your layers."""
    generator = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for norm in norms:  # statistics and scales far from the defaults, so mistakes show
            size = norm.num_features
            norm.running_mean.copy_(torch.randn(size, generator=generator) * 0.5)
            norm.running_var.copy_(torch.rand(size, generator=generator) + 0.5)
            norm.weight.copy_(torch.rand(size, generator=generator) + 0.5)
            norm.bias.copy_(torch.randn(size, generator=generator) * 0.5)
        out = check.call(block.eval(), x.clone(), description=f"{what} in eval mode")
        features = x
        for i, (norm, conv) in enumerate(zip(norms, convs)):
            expected = conv(torch.relu(norm(features)))
            found = out[:, features.shape[1]:features.shape[1] + expected.shape[1]]
            if not torch.allclose(found, expected, atol=1e-5):
                without_relu = conv(norm(features))
                hint = ("apply the ReLU between the batch norm and the convolution."
                        if torch.allclose(found, without_relu, atol=1e-5) else
                        "layer i computes conv(relu(bn(torch.cat(features, dim=1)))), and "
                        "its output is appended to features.")
                check.fail(f"The new features of layer {i + 1} of {what} are not "
                           "conv(relu(batch_norm(all the features before it))) "
                           f"(differences up to {(found - expected).abs().max().item():.3g}).",
                           "batch norm, ReLU, convolution, applied to the input and all "
                           "earlier layers' outputs, concatenated.", hint)
            features = torch.cat([features, expected], dim=1)
    check.ok()


def _check_dense_gradients(check: Check, block: nn.Module, what: str, x: torch.Tensor) -> None:
    x_grad = x.clone().requires_grad_(True)
    out = check.call(block.train(), x_grad, description=f"{what} in training mode")
    check.call(lambda: out.sum().backward(), description=f"backward() through {what}",
               hint="build the output from torch operations only (no .detach(), .numpy(), "
               "in-place changes of x).")
    frozen = [type(p).__name__ for p in block.parameters() if p.grad is None]
    check.that(x_grad.grad is not None and not frozen,
               f"In {what}, "
               + ("no gradient reached the input." if x_grad.grad is None
                  else f"{len(frozen)} weight tensors got no gradient."),
               "gradients for the input and every weight.",
               "avoid torch.no_grad(), .detach() and .data in forward.")


@exercise(4, "DenseBlock", hints=HINTS["DenseBlock"])
@own_random_state()
def check_dense_block(DenseBlock: type) -> None:
    """Your ``DenseBlock(in_channels, growth_rate, num_layers)``: concatenation, channel
    growth, each layer batch norm -> ReLU -> 3x3 convolution on all earlier features."""
    check = Check("DenseBlock")
    check.is_class(DenseBlock, "DenseBlock")
    for in_channels, growth, layers, height, width in DENSE_SETTINGS:
        what = (f"DenseBlock(in_channels={in_channels}, growth_rate={growth}, "
                f"num_layers={layers})")
        block = check.call(DenseBlock, in_channels, growth, layers, description=what)
        check.that(isinstance(block, nn.Module), f"{what} made a {type(block).__name__}.",
                   "an nn.Module.", "class DenseBlock(nn.Module), and call super().__init__().")
        found, expected = parameter_count(block), _dense_expected_parameters(in_channels,
                                                                                growth, layers)
        check.that(found > 0, f"{what} has no parameters that PyTorch can see.",
                   f"{expected:,}: a batch norm and a convolution in each layer.",
                   "keep the layers in nn.ModuleList([...]) (or nn.Sequential), not in a "
                   "plain Python list, and assign it to self.")
        x = torch.randn(2, in_channels, height, width,
                        generator=torch.Generator().manual_seed(in_channels))
        convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
        out = _dense_output(check, block, x, what, convs)
        _check_dense_shape(check, out, x, what, growth, layers)
        ran_convs, norms = _check_dense_layers(check, block, what, x, growth, layers)
        check.that(found == expected, f"{what} has {found:,} parameters.",
                   f"{expected:,}: in every layer a batch norm (2 per channel) and a bias-free "
                   "3x3 convolution.",
                   "make each layer once in __init__ and use it once in forward.")
        _check_dense_values(check, block, what, x, ran_convs, norms)
        _check_dense_gradients(check, block, what, x)
    check.passed(f"channels grow by growth_rate per layer, input kept and concatenated "
                 f"({check.count} checks passed).")
