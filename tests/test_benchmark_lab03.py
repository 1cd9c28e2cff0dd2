"""benchmarks/lab03_recipe.py must time the lab's own model with the lab's own recipe."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("lab03_recipe",
                                                  ROOT / "benchmarks" / "lab03_recipe.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_model_comes_from_the_lab03_solution():
    benchmark = load_benchmark()
    CNNClassifier = benchmark.load_lab03_classifier()
    model = CNNClassifier().eval()
    assert sum(p.numel() for p in model.parameters()) < 100_000
    with torch.no_grad():
        assert model(torch.randn(3, 1, 28, 28)).shape == (3, 10)


def short(number: float) -> str:
    """3e-3 as the notebook writes it (not 0.003)."""
    return f"{number:.0e}".replace("e-0", "e-")


def test_the_labs_recipe_is_the_one_in_the_notebook():
    benchmark = load_benchmark()
    cells = json.loads((ROOT / "solutions" / "03_residual_networks.ipynb").read_text())["cells"]
    training = ["".join(c["source"]) for c in cells
                if c["cell_type"] == "code" and "OneCycleLR" in "".join(c["source"])
                and "CNNClassifier" not in "".join(c["source"])
                and "EPOCHS = " in "".join(c["source"])]
    assert len(training) == 1, "expected one training cell with EPOCHS = ... in lab 03"
    cell = training[0]
    for text in [f"EPOCHS = {benchmark.LAB_EPOCHS}\n",
                 f"batch_size={benchmark.LAB_BATCH_SIZE},",
                 f"lr={short(benchmark.LAB_MAX_LR)}", f"max_lr={short(benchmark.LAB_MAX_LR)}",
                 f"weight_decay={short(benchmark.LAB_WEIGHT_DECAY)}", "transform=random_shift",
                 "channels_last=True", "torch.optim.AdamW"]:
        assert text in cell, f"the lab-03 training cell no longer contains {text!r}"
