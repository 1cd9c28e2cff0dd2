"""labutils.data.canvases: shapes, labels, determinism, and the train/test separation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from labutils.data import ImageTensors, canvases
from labutils.data.canvases import describe_digits, make_canvases


def fake_digits(n: int = 40) -> tuple[torch.Tensor, torch.Tensor]:
    """Digit-sized squares whose brightness encodes the class, for testing the layout only."""
    labels = torch.arange(n) % 10
    images = torch.zeros(n, 28, 28, dtype=torch.uint8)
    for i, label in enumerate(labels):
        images[i, 8:20, 8:20] = 100 + 10 * int(label)
    return images, labels


def test_shapes_ranges_and_counts():
    images, labels = fake_digits()
    X, Y = make_canvases(images, labels, n=200, seed=1)
    assert X.shape == (200, 1, 56, 56) and X.dtype == torch.float32
    assert Y.shape == (200, 10)
    assert 0.0 <= X.min() and X.max() <= 1.0
    assert set(Y.unique().tolist()) <= {0.0, 1.0}
    n_labels = Y.sum(dim=1)
    assert n_labels.min() >= 1 and n_labels.max() <= 4
    assert {int(k) for k in n_labels} == {1, 2, 3, 4}


def test_targets_name_exactly_the_digits_drawn():
    images, labels = fake_digits()
    X, Y = make_canvases(images, labels, n=100, seed=2, jitter=0)
    levels = {round((100 + 10 * d) / 255, 4): d for d in range(10)}
    for canvas, target in zip(X, Y):
        drawn = {levels[round(v, 4)] for v in canvas.unique().tolist() if v > 0}
        assert drawn == set(torch.nonzero(target).flatten().tolist())


def test_same_seed_same_canvases_other_seed_other_canvases():
    images, labels = fake_digits()
    a = make_canvases(images, labels, n=50, seed=7)
    b = make_canvases(images, labels, n=50, seed=7)
    c = make_canvases(images, labels, n=50, seed=8)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_float_images_and_numpy_inputs_are_accepted():
    images, labels = fake_digits()
    X_uint8, _ = make_canvases(images, labels, n=10, seed=3)
    X_float, _ = make_canvases(images.numpy() / 255, labels.numpy(), n=10, seed=3)
    assert torch.allclose(X_uint8, X_float)


def test_jitter_keeps_digits_inside_the_canvas():
    images = torch.full((5, 28, 28), 255, dtype=torch.uint8)
    labels = torch.arange(5)
    X, _ = make_canvases(images, labels, n=100, seed=4, jitter=10)
    # every digit is a full 28x28 square, so at most 4 * 784 pixels and at least 784 are lit
    lit = (X > 0).sum(dim=(1, 2, 3))
    assert lit.min() >= 784 and lit.max() <= 4 * 784


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"images": torch.zeros(3, 32, 32)}, "must be 28x28 digits, (M, 28, 28)"),
    ({"labels": torch.zeros(2)}, "3 images but 2 labels"),
    ({"max_digits": 5}, "max_digits = 5.\nExpected: a whole number from 1 to 4"),
    ({"n": -1}, "n = -1."),
    ({"jitter": -1}, "jitter = -1."),
])
def test_bad_arguments_are_explained(kwargs, message):
    arguments = {"images": torch.zeros(3, 28, 28), "labels": torch.zeros(3), "n": 2, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_canvases(**arguments)


def test_describe_digits():
    assert describe_digits(torch.tensor([0, 0, 0, 1, 0, 0, 0, 1, 0, 0])) == "{3, 7}"
    assert describe_digits(torch.zeros(10)) == "{}"


def test_load_digit_canvases_keeps_test_digits_apart(monkeypatch, capsys):
    """Training and validation canvases use training digits only; test canvases test digits."""
    train_images = torch.zeros(30, 1, 28, 28)
    train_images[:, 0, 0, 0] = 50 / 255  # marks a training digit
    test_images = torch.zeros(20, 1, 28, 28)
    test_images[:, 0, 0, 1] = 200 / 255  # marks a test digit
    labels_train, labels_test = torch.arange(30) % 10, torch.arange(20) % 10

    def fake_load_mnist(normalize=True, verbose=True):
        assert normalize is False
        return ImageTensors(train_images, labels_train), ImageTensors(test_images, labels_test)

    monkeypatch.setattr(canvases, "load_mnist", fake_load_mnist)
    (X_train, _), (X_val, _), (X_test, _) = canvases.load_digit_canvases(
        n_train=40, n_val=10, n_test=15, val_digits=10, jitter=0)
    assert X_train.shape == (40, 1, 56, 56) and X_val.shape[0] == 10 and X_test.shape[0] == 15
    for X, marker in ((X_train, 50), (X_val, 50), (X_test, 200)):
        values = set(np.round(X.unique().numpy() * 255).astype(int).tolist())
        assert values <= {0, marker}
    assert "40 training from 20 MNIST training digits" in capsys.readouterr().out
    canvases.load_digit_canvases(n_train=4, n_val=2, n_test=2, val_digits=10, verbose=False)
    assert capsys.readouterr().out == ""
