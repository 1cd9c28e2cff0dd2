"""State is given back: labutils' functions leave torch's global state as they found it
(random state, grad mode, default dtype, threads), or their docstrings say otherwise."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import labutils
from labutils.data import ImageTensors


def global_state() -> dict[str, object]:
    return {"random state": torch.get_rng_state(), "grad mode": torch.is_grad_enabled(),
            "default dtype": torch.get_default_dtype(), "threads": torch.get_num_threads()}


def same(before: dict, after: dict) -> list[str]:
    """The names of the parts of the state that changed."""
    changed = []
    for name, value in before.items():
        equal = torch.equal(value, after[name]) if isinstance(value, torch.Tensor) \
            else value == after[name]
        if not equal:
            changed.append(name)
    return changed


IMAGES = torch.rand(6, 1, 28, 28)
LABELS = torch.arange(6) % 2
MODEL = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 2))
SCORES, WEIGHTS = torch.rand(6, 2), torch.rand(4, 1, 3, 3)
CALLS = {
    "evaluate": lambda: labutils.evaluate(MODEL, labutils.TensorLoader(IMAGES, LABELS)),
    "predict": lambda: labutils.predict(MODEL, IMAGES),
    "accuracy": lambda: labutils.accuracy(SCORES, LABELS),
    "TensorLoader": lambda: list(labutils.TensorLoader(IMAGES, LABELS, shuffle=True, seed=1)),
    "as_tensors": lambda: labutils.as_tensors(list(zip(IMAGES, LABELS))),
    "train_val_split": lambda: labutils.train_val_split(ImageTensors(IMAGES, LABELS), 2),
    "mean_std": lambda: labutils.mean_std(IMAGES),
    "make_mnist_m": lambda: labutils.make_mnist_m(IMAGES[:2]),
    "make_segmentation_set": lambda: labutils.make_segmentation_set(IMAGES[:2]),
    "show_images": lambda: labutils.show_images(IMAGES[:2]),
    "show_filters": lambda: labutils.show_filters(WEIGHTS),
    "conv_explorer": lambda: labutils.conv_explorer(),
    "denormalize": lambda: labutils.denormalize(IMAGES, *labutils.MNIST_STATS),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_call_leaves_torch_global_state_alone(name):
    before = global_state()
    CALLS[name]()
    plt.close("all")
    assert same(before, global_state()) == []


def test_fit_draws_random_numbers_as_training_does_and_says_so():
    assert "random state" in labutils.fit.__doc__
    assert "global state" in labutils.set_seed.__doc__
