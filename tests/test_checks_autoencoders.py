"""The check of lab 07 accepts decoders that work and names each typical mistake."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from labutils.checks import CheckFailed, NotImplementedYet
from labutils.checks.autoencoders import LATENT_SHAPES, check_decoder

# The checks alone, without the guard of their registration (reference.exercise), which
# would name the workbook's own answers these tests use instead of checking them.
check_decoder = check_decoder.__wrapped__


def fails_with(answer, *phrases):
    with pytest.raises(CheckFailed) as error:
        check_decoder(answer)
    message = str(error.value)
    for phrase in phrases:
        assert phrase in message, f"{phrase!r} not in:\n{message}"
    return message


def transposed_decoder(latent_shape, sigmoid=True, out_channels=1, final_size=28, hidden=16):
    channels, height, width = latent_shape
    layers = [nn.ConvTranspose2d(channels, hidden, kernel_size=(8 - height, 8 - width)),
              nn.BatchNorm2d(hidden), nn.ReLU(),
              nn.ConvTranspose2d(hidden, hidden, 4, stride=2, padding=1), nn.ReLU(),
              nn.ConvTranspose2d(hidden, 8, 4, stride=2, padding=1), nn.ReLU(),
              nn.Conv2d(8, out_channels, 3, padding=1)]
    if final_size != 28:
        layers.append(nn.Upsample(size=final_size))
    if sigmoid:
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def upsample_decoder(latent_shape, hidden=16):
    channels = latent_shape[0]
    return nn.Sequential(nn.Upsample(size=7), nn.Conv2d(channels, hidden, 3, padding=1),
                         nn.ReLU(), nn.Upsample(scale_factor=2),
                         nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(),
                         nn.Upsample(scale_factor=2), nn.Conv2d(hidden, 1, 3, padding=1),
                         nn.Sigmoid())


@pytest.mark.parametrize("answer", [transposed_decoder, upsample_decoder])
def test_accepts_working_decoders(answer, capsys):
    check_decoder(answer)
    assert f"all {3 * len(LATENT_SHAPES)} checks passed" in capsys.readouterr().out


def test_stub():
    def stub(latent_shape):
        raise NotImplementedError()

    with pytest.raises(NotImplementedYet):
        check_decoder(stub)


def test_forgot_to_return():
    def no_return(latent_shape):
        transposed_decoder(latent_shape)

    fails_with(no_return, "returned NoneType", "forget `return`")


def test_flattening_decoder():
    def flat(latent_shape):
        c, h, w = latent_shape
        return nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, 784), nn.Unflatten(1, (1, 28, 28)),
                             nn.Upsample(size=28), nn.Sigmoid())

    fails_with(flat, "Linear, Flatten or Unflatten", "kernel_size=8 - h")


def test_no_upsampling_layer():
    def convs_only(latent_shape):
        return nn.Sequential(nn.Conv2d(latent_shape[0], 1, 1, padding=13), nn.Sigmoid())

    fails_with(convs_only, "no nn.ConvTranspose2d and no nn.Upsample")


def test_hard_coded_channels():
    def fixed(latent_shape):
        return transposed_decoder((16, *latent_shape[1:]))

    fails_with(fixed, "build_decoder((4, 2, 2))", "raised RuntimeError", "take 4 channels")


def test_hard_coded_size():
    def fixed(latent_shape):
        return transposed_decoder((latent_shape[0], 1, 1))

    fails_with(fixed, "build_decoder((4, 2, 2))", "returned (4, 1, 32, 32)",
               "Expected shape (4, 1, 28, 28)", "7 -> 14 -> 28")


def test_wrong_number_of_channels():
    fails_with(lambda shape: transposed_decoder(shape, out_channels=3), "returned (4, 3, 28, 28)",
               "end with 1 channel")


def test_wrong_final_size():
    fails_with(lambda shape: transposed_decoder(shape, final_size=32), "(4, 1, 32, 32)")


def test_missing_sigmoid():
    fails_with(lambda shape: transposed_decoder(shape, sigmoid=False), "returned values from",
               "nn.Sigmoid()")


def test_ignores_its_input():
    class Constant(nn.Module):
        def __init__(self, latent_shape):
            super().__init__()
            self.grow = nn.Upsample(size=28)
            self.image = nn.Parameter(torch.zeros(1, 1, 1, 1))

        def forward(self, codes):
            return torch.sigmoid(self.grow(self.image)).expand(len(codes), 1, 28, 28)

    fails_with(Constant, "same images for different codes")


def test_check_leaves_the_random_state_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    check_decoder(transposed_decoder)
    assert torch.equal(before, torch.get_rng_state())


# ------------------------------------------------------------------ answers written by others


class ClassDecoder(nn.Module):
    """Right, another style: a module class that grows h x w to 7x7, then upsamples by 4."""

    def __init__(self, latent_shape, hidden=32):
        super().__init__()
        channels, height, width = latent_shape
        self.to_seven = nn.ConvTranspose2d(channels, hidden, (8 - height, 8 - width))
        self.grow = nn.Upsample(scale_factor=4, mode="nearest")
        self.smooth = nn.Conv2d(hidden, 1, kernel_size=5, padding=2)

    def forward(self, code):
        return torch.sigmoid(self.smooth(self.grow(torch.relu(self.to_seven(code)))))


def padded_decoder(latent_shape, hidden=32):
    """Right, another style: upsample to 7x7 by size, then transposed convolutions with
    output_padding."""
    channels = latent_shape[0]
    return nn.Sequential(
        nn.Upsample(size=(7, 7)), nn.Conv2d(channels, hidden, 1), nn.ReLU(),
        nn.ConvTranspose2d(hidden, hidden // 2, 3, stride=2, padding=1, output_padding=1),
        nn.ReLU(),
        nn.ConvTranspose2d(hidden // 2, 1, 3, stride=2, padding=1, output_padding=1),
        nn.Sigmoid())


@pytest.mark.parametrize("answer", [ClassDecoder, padded_decoder])
def test_accepts_decoders_in_other_right_styles(answer, capsys):
    check_decoder(answer)
    assert "build_decoder: all" in capsys.readouterr().out


def test_ignores_hidden():
    def fixed_width(latent_shape, hidden=32):
        return transposed_decoder(latent_shape)

    fails_with(fixed_width, "build_decoder((8, 4, 4), hidden=8) has as many parameters",
               "the hidden argument is not used")


def test_hidden_used_for_the_output_channels():
    def hidden_out(latent_shape, hidden=32):
        return transposed_decoder(latent_shape, hidden=hidden,
                                  out_channels=1 if hidden == 32 else hidden)

    fails_with(hidden_out, "The decoder of build_decoder((8, 4, 4), hidden=8) returned "
               "(2, 8, 28, 28)", "whatever the width inside")


def test_decoder_that_gives_nan():
    def nan_decoder(latent_shape, hidden=32):
        class Nan(nn.Module):
            def __init__(self):
                super().__init__()
                self.decoder = transposed_decoder(latent_shape)

            def forward(self, code):
                return self.decoder(code) * float("nan")
        return Nan()

    fails_with(nan_decoder, "returned nan or inf values")


# ------------------------------------------------------------------ hints, reference, targets


def test_lab_07_lists_its_exercise_with_two_or_three_hints():
    from labutils.checks.registry import exercises

    (exercise,) = exercises(7)
    assert exercise.name == "build_decoder" and exercise.check.__wrapped__ is check_decoder
    hints = exercise.hints
    assert 2 <= len(hints) <= 3 and all(len(text.split()) >= 15 for text in hints)


def test_the_workbook_decoder_passes_its_check(capsys):
    from labutils_answers.lab07 import build_decoder

    check_decoder(build_decoder)
    assert "build_decoder: all" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "ratio", "reached"), [
    ("16-number autoencoders, worst test MSE / baseline", 0.19, True),
    ("Denoising autoencoder, test MSE / baseline", 0.25, True),
    ("16-number autoencoders, worst test MSE / baseline", 0.31, False),
    ("Denoising autoencoder, test MSE / baseline", float("nan"), False),
])
def test_lab_07_targets_want_a_low_error(name, ratio, reached, monkeypatch, capsys):
    from labutils.checks import progress, registry

    monkeypatch.setattr(registry, "_measured", {})
    if reached:
        progress.assert_target(name, ratio)
        assert "at most 0.250: reached" in capsys.readouterr().out
    else:
        with pytest.raises(progress.TargetMissed) as missed:
            progress.assert_target(name, ratio)
        assert "the target is at most 0.250" in str(missed.value)
        assert "What usually helps: " in str(missed.value)
    assert progress.scorecard(7, show=False).reached(name) is reached
