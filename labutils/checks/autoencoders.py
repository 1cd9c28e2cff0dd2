"""Checks for lab 07: a convolutional decoder that works for any encoder output shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .core import Check, own_random_state, parameter_count, shape_of
from .reference import exercise
from .registry import Target, lab_targets

HINTS: dict[str, tuple[str, ...]] = {
    "build_decoder": (
        "Work backwards from 28x28. Which size reaches 28 after two doublings? Once you "
        "know it, the question is how an h x w code grows to that size; lab 05's formula "
        "(in - 1) * stride - 2 * padding + kernel_size gives the size after each layer.",
        "Mirror the encoder: a first transposed convolution with stride 1 and kernel size "
        "(8 - h, 8 - w) takes h x w to 7x7, since (h - 1) + (8 - h - 1) + 1 = 7. Then two "
        "layers double the size, 7 -> 14 -> 28: kernel_size=4, stride=2, padding=1 does "
        "it. Between the layers, batch norm and ReLU; at the end, one channel.",
        "The whole plan in words: read C, h and w from latent_shape; transposed convolution "
        "from C to hidden channels with kernel (8 - h, 8 - w), batch norm, ReLU; a stride-2 "
        "transposed convolution from hidden to hidden (kernel 4, padding 1), batch norm, "
        "ReLU; a 3x3 convolution (padding 1) from hidden to hidden, batch norm, ReLU; a "
        "last stride-2 transposed convolution from hidden to 1 channel; a sigmoid, so that "
        "every pixel lies in [0, 1]. Put them in an nn.Sequential and return it.",
    ),
}
TARGETS = lab_targets(7, (
    Target("16-number autoencoders, worst test MSE / baseline", goal=0.25, percent=False,
           higher_is_better=False,
           advice="check that the training loss falls in every epoch (if it stalls, try "
           "a smaller MAX_LR) and that the decoder ends with a sigmoid; more EPOCHS, say 8, "
           "usually lowers every error."),
    Target("Denoising autoencoder, test MSE / baseline", goal=0.25, percent=False,
           higher_is_better=False,
           advice="make sure the noise goes into the input only, never into the target, and "
           "that the model gets the roomier 8x4x4 code; more EPOCHS (say 8) helps too."),
))

# Encoder output shapes (channels, height, width) the decoder must accept.
LATENT_SHAPES = [(16, 1, 1), (4, 2, 2), (8, 4, 4), (3, 3, 3), (32, 7, 7)]
IMAGE_SHAPE = (1, 28, 28)


def _check_decoder_layers(check: Check, call: str, decoder: Any) -> nn.Module:
    """An nn.Module that grows the map with ConvTranspose2d or Upsample, no Linear."""
    if not isinstance(decoder, nn.Module):
        check.fail(f"{call} returned {type(decoder).__name__}.",
                   "an nn.Module, e.g. nn.Sequential(...) of layers.",
                   "return the module you built (did you forget `return`?).")
    layers = list(decoder.modules())
    if any(isinstance(m, (nn.Linear, nn.Flatten, nn.Unflatten)) for m in layers):
        check.fail(f"{call} contains a Linear, Flatten or Unflatten layer.",
                   "a decoder made of convolutions only, which keeps the spatial layout.",
                   "to go from h x w to 7x7 without flattening, use "
                   "nn.ConvTranspose2d(channels, width, kernel_size=8 - h) (or "
                   "nn.Upsample(size=7) then a convolution).")
    if not any(isinstance(m, (nn.ConvTranspose2d, nn.Upsample)) for m in layers):
        check.fail(f"{call} contains no nn.ConvTranspose2d and no nn.Upsample layer.",
                   "the feature map to grow through ConvTranspose2d and/or Upsample "
                   "layers.",
                   "for example nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, "
                   "padding=1) doubles the height and width.")
    return decoder


def _check_decoder_output(check: Check, call: str, decoder: nn.Module,
                          latent_shape: tuple[int, int, int]) -> None:
    """Images (N, 1, 28, 28) in [0, 1] that depend on the code."""
    codes = torch.randn(4, *latent_shape)
    where = f"The decoder of {call}, given codes of shape {tuple(codes.shape)},"
    output = check.call(decoder, codes, description=where.rstrip(","),
                        hint=f"its first layer must take {latent_shape[0]} channels.")
    expected = (len(codes), *IMAGE_SHAPE)
    if not isinstance(output, torch.Tensor) or tuple(output.shape) != expected:
        check.fail(f"{where} returned {shape_of(output)}.", f"shape {expected}.",
                   f"grow {latent_shape[1]}x{latent_shape[2]} to 7x7 first, then double "
                   "twice (7 -> 14 -> 28) with stride-2 layers, and end with 1 channel. "
                   "Lab 05's conv_transpose_output_size tells you each layer's size.")
    check.ok()
    if not bool(torch.isfinite(output).all()):
        check.fail(f"{where} returned nan or inf values.", "pixel values between 0 and 1.",
                   "end the decoder with nn.Sigmoid(), and keep every layer finite.")
    low, high = float(output.detach().min()), float(output.detach().max())
    if low < 0 or high > 1:
        check.fail(f"{where} returned values from {low:.2f} to {high:.2f}.",
                   "pixel values between 0 and 1, like the images.",
                   "end the decoder with nn.Sigmoid().")
    check.ok()
    other = check.call(decoder, torch.randn(4, *latent_shape), description=where.rstrip(","))
    if isinstance(other, torch.Tensor) and torch.allclose(output, other):
        check.fail(f"{where} gives the same images for different codes.",
                   "the output to depend on the code.",
                   "pass the input through every layer: x = layer(x), in order.")
    check.ok()


def _check_hidden_is_used(check: Check, build_decoder: Callable) -> None:
    """``build_decoder(latent_shape, hidden=8)`` works and is narrower than the default."""
    latent_shape = LATENT_SHAPES[2]
    call = f"build_decoder({latent_shape}, hidden=8)"
    narrow = check.call(build_decoder, latent_shape, hidden=8, description=call)
    _check_decoder_layers(check, call, narrow)
    output = check.call(narrow, torch.randn(2, *latent_shape), description=f"The decoder of "
                        f"{call}, given codes of shape (2, {', '.join(map(str, latent_shape))})")
    if not isinstance(output, torch.Tensor) or tuple(output.shape) != (2, *IMAGE_SHAPE):
        check.fail(f"The decoder of {call} returned {shape_of(output)}.",
                   f"shape {(2, *IMAGE_SHAPE)}, whatever the width inside.",
                   "hidden sets the channels between the layers; the first layer takes the "
                   "code's channels and the last gives 1 channel.")
    default = check.call(build_decoder, latent_shape, description=f"build_decoder({latent_shape})")
    if parameter_count(narrow) == parameter_count(default):
        check.fail(f"{call} has as many parameters as build_decoder({latent_shape}) with "
                   "hidden=32: the hidden argument is not used.",
                   "`hidden` channels inside the decoder.",
                   "use hidden for the channels between the layers, e.g. "
                   "nn.ConvTranspose2d(channels, hidden, ...).")


@exercise(7, "build_decoder", hints=HINTS["build_decoder"])
def check_decoder(build_decoder: Callable) -> None:
    """Check ``build_decoder(latent_shape)`` for several encoder output shapes ``(C, h, w)``:
    it must return an ``nn.Module`` that maps ``(N, C, h, w)`` to images ``(N, 1, 28, 28)``
    in [0, 1], grows the map with ``ConvTranspose2d`` or ``Upsample`` (no flattening, no
    ``Linear``), and depends on its input."""
    check = Check("build_decoder")
    with own_random_state():
        for latent_shape in LATENT_SHAPES:
            call = f"build_decoder({latent_shape})"
            decoder = check.call(build_decoder, latent_shape, description=call,
                                 hint="read channels, height and width from latent_shape: "
                                 "channels, height, width = latent_shape.")
            _check_decoder_layers(check, call, decoder)
            _check_decoder_output(check, call, decoder, latent_shape)
        _check_hidden_is_used(check, build_decoder)
    check.passed()
