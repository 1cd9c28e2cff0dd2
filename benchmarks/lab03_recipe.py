"""Time two ways of training lab 03's classifier to the same test accuracy.

The *plain recipe* is what most tutorials write: ``DataLoader(TensorDataset(X, y))`` with
batches of 16, Adam at a constant learning rate of 1e-3, the default memory layout, float32.

The *labs' recipe* is the one lab 03 uses: batches of 128 sliced from in-memory tensors
by ``labutils.TensorLoader``, AdamW with a one-cycle schedule over the lab's number of
epochs, ``channels_last``, and ``labutils.fit``'s default numerics (bfloat16 mixed
precision on a CPU with native bfloat16, float32 on one without). It also runs with
``mixed_precision=False`` ("lab-f32"), to show what the numerics alone bring.

Every recipe stops after the first epoch whose test accuracy reaches the threshold. How
many epochs that takes depends on the seed (the plain recipe needed 5 or 6 epochs here,
the labs' recipe 3 or 4), so the script runs the recipes for several seeds and reports
the ratio for each seed, its median, and the ratio of the total times.

Everything else is the same: the model (the very classes of the lab-03 solution
notebook, read from it), the training split, the random shifts of up to two pixels (the
same augmentation as the lab), the 10,000 test images (always measured in float32) and
the threshold (98.5%). Only training time is counted; the test evaluations after each
epoch are left out.

Run from the repository root::

    python benchmarks/lab03_recipe.py            # seeds 0, 1, 2: times and ratios
    python benchmarks/lab03_recipe.py --threads 2 --seeds 1 --only lab
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import labutils
from labutils import random_shift
from labutils.precision import choose_numerics

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "solutions" / "03_residual_networks.ipynb"
MODEL_CLASSES = ("ResidualBlock", "CNNBackBone", "CNNClassifier")
THRESHOLD = 0.985

# The labs' recipe, as in the training cell of lab 03.
LAB_BATCH_SIZE = 128
LAB_MAX_LR = 3e-3
LAB_WEIGHT_DECAY = 1e-4
LAB_EPOCHS = 8

# The plain recipe.
PLAIN_BATCH_SIZE = 16
PLAIN_LR = 1e-3
PLAIN_MAX_EPOCHS = 30


def load_lab03_classifier() -> type[nn.Module]:
    """``CNNClassifier`` exactly as the lab-03 solution notebook defines it.

    Runs the notebook's code cells that define ``ResidualBlock``, ``CNNBackBone`` and
    ``CNNClassifier`` (and nothing else), so the benchmark can never drift from the lab.
    """
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    namespace: dict = {"torch": torch, "nn": nn, "__name__": "lab03"}
    for name in MODEL_CLASSES:
        sources = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
        matching = [s for s in sources if f"class {name}(" in s]
        if len(matching) != 1:
            raise RuntimeError(f"expected one cell defining {name} in {NOTEBOOK}, "
                               f"found {len(matching)}")
        exec(compile(matching[0], f"{NOTEBOOK.name}:{name}", "exec"), namespace)  # noqa: S102
    return namespace["CNNClassifier"]


def load_data() -> tuple[torch.Tensor, ...]:
    """The lab's training split and the test set, as tensors."""
    train_set, test_set = labutils.load_mnist(verbose=False)
    train_part, _ = labutils.train_val_split(train_set, val_size=0.1, seed=0)
    return (*labutils.as_tensors(train_part), *labutils.as_tensors(test_set))


def test_accuracy(model: nn.Module, X_test: torch.Tensor, y_test: torch.Tensor) -> float:
    loader = labutils.TensorLoader(X_test, y_test, batch_size=1000)
    return labutils.evaluate(model, loader, mixed_precision=False)["accuracy"]


class Clock:
    """Adds up wall-clock and CPU seconds of the timed sections only."""

    def __init__(self):
        self.wall = self.cpu = 0.0

    def __enter__(self):
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu


def train_until(name: str, one_epoch, model: nn.Module, X_test: torch.Tensor,
                y_test: torch.Tensor, max_epochs: int) -> dict:
    """Call ``one_epoch()`` until the test accuracy reaches THRESHOLD (or ``max_epochs``).

    Only the calls to ``one_epoch`` are timed; the test after each epoch is not.
    """
    clock, accuracies = Clock(), []
    for epoch in range(1, max_epochs + 1):
        with clock:
            one_epoch()
        accuracies.append(test_accuracy(model, X_test, y_test))
        print(f"  {name}, epoch {epoch}: test accuracy {accuracies[-1]:.2%} "
              f"({clock.wall:.1f} s wall, {clock.cpu:.1f} s CPU so far)", flush=True)
        if accuracies[-1] >= THRESHOLD:
            break
    return {"wall": clock.wall, "cpu": clock.cpu, "epochs": len(accuracies),
            "accuracy": accuracies[-1]}


def plain_recipe(model: nn.Module, X: torch.Tensor, y: torch.Tensor, X_test: torch.Tensor,
                 y_test: torch.Tensor, seed: int) -> dict:
    """Batches of 16 from a DataLoader, Adam at a constant 1e-3, the default memory layout."""
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=PLAIN_BATCH_SIZE, shuffle=True,
                        generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=PLAIN_LR)
    loss_fn = nn.CrossEntropyLoss()

    def one_epoch() -> None:
        model.train()
        for images, labels in loader:
            loss = loss_fn(model(random_shift(images)), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return train_until("plain recipe", one_epoch, model, X_test, y_test, PLAIN_MAX_EPOCHS)


def lab_recipe(model: nn.Module, X: torch.Tensor, y: torch.Tensor, X_test: torch.Tensor,
               y_test: torch.Tensor, seed: int, mixed_precision: bool = True) -> dict:
    """Lab 03's recipe: TensorLoader, batches of 128, AdamW + one-cycle, channels_last.

    The one-cycle schedule spans the lab's LAB_EPOCHS; like the plain recipe, training
    stops after the first epoch that reaches the threshold. ``mixed_precision`` as in fit.
    """
    loader = labutils.TensorLoader(X, y, batch_size=LAB_BATCH_SIZE, shuffle=True, seed=seed,
                                   transform=random_shift)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LAB_MAX_LR,
                                  weight_decay=LAB_WEIGHT_DECAY)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LAB_MAX_LR,
                                                    epochs=LAB_EPOCHS,
                                                    steps_per_epoch=len(loader))

    def one_epoch() -> None:
        labutils.fit(model, loader, epochs=1, optimizer=optimizer, scheduler=scheduler,
                     channels_last=True, verbose=False, mixed_precision=mixed_precision)

    name = "labs' recipe" + ("" if mixed_precision else " in float32")
    return train_until(name, one_epoch, model, X_test, y_test, LAB_EPOCHS)


def lab_recipe_float32(*args) -> dict:
    """The labs' recipe with ``mixed_precision=False``."""
    return lab_recipe(*args, mixed_precision=False)


RECIPES = {"plain": plain_recipe, "lab-f32": lab_recipe_float32, "lab": lab_recipe}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch (default: torch's choice)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="+", choices=list(RECIPES), default=list(RECIPES),
                        help="run only these recipes")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    CNNClassifier = load_lab03_classifier()
    X, y, X_test, y_test = load_data()
    print(f"Model: lab 03's CNNClassifier, "
          f"{sum(p.numel() for p in CNNClassifier().parameters()):,} parameters; "
          f"{len(X):,} training images, {len(X_test):,} test images; "
          f"threshold {THRESHOLD:.1%}; {torch.get_num_threads()} CPU threads; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.")
    print(f"labs' recipe: {choose_numerics('cpu').describe()}")

    rows = []  # (seed, recipe name, result)
    for seed in args.seeds:
        for name in args.only:
            recipe = RECIPES[name]
            labutils.set_seed(seed)
            model = CNNClassifier()
            print(f"seed {seed}, {name} recipe:", flush=True)
            rows.append((seed, name, recipe(model, X, y, X_test, y_test, seed)))
    return 0 if print_results(rows, args.seeds, args.only) else 1


def print_results(rows: list[tuple[int, str, dict]], seeds: list[int], only: list[str]) -> bool:
    """Print the table of ``rows`` (seed, recipe, result) and how much faster the labs'
    recipes are; return whether every run reached the threshold."""
    print()
    print(f"{'seed':>4}  {'recipe':<8}{'epochs':>7}{'test acc':>10}{'wall s':>9}{'CPU s':>9}")
    for seed, name, result in rows:
        print(f"{seed:>4}  {name:<8}{result['epochs']:>7}{result['accuracy']:>10.2%}"
              f"{result['wall']:>9.1f}{result['cpu']:>9.1f}")
    missed = [f"{name} (seed {seed})" for seed, name, result in rows
              if result["accuracy"] < THRESHOLD]
    if missed:
        print(f"Not comparable: {', '.join(missed)} did not reach {THRESHOLD:.1%}.")
    by_seed = {(seed, name): result for seed, name, result in rows}
    for fast in ("lab-f32", "lab"):
        if not {"plain", fast} <= set(only) or any(
                name in ("plain", fast) and result["accuracy"] < THRESHOLD
                for _, name, result in rows):
            continue
        ratios = [by_seed[seed, "plain"]["wall"] / by_seed[seed, fast]["wall"]
                  for seed in seeds]
        total = {name: sum(by_seed[seed, name]["wall"] for seed in seeds)
                 for name in ("plain", fast)}
        print(f"\nwall-clock ratio plain / {fast}, per seed: "
              + ", ".join(f"{ratio:.1f}x" for ratio in ratios))
        print(f"{fast} is {statistics.median(ratios):.1f}x faster than plain (median over "
              f"{len(ratios)} seeds); {total['plain'] / total[fast]:.1f}x in total time "
              f"({total['plain']:.0f} s against {total[fast]:.0f} s). Goal for lab: 3x.")
    return not missed


if __name__ == "__main__":
    raise SystemExit(main())
