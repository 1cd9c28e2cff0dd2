"""Time limits for grading that fit the machine that grades.

A lab's CPU budget (``metadata.labutils.cpu_budget_s`` of its notebook) was measured on
the workbook's reference machine (2 cores, AVX-512, idle). A grading machine may be
slower, or busy with other submissions: limits copied from the budget as they are would
then stop the training of complete, correct submissions. So each grade run first times
a small, fixed piece of PyTorch work (a few training steps of a small CNN, in a fresh
process, as busy as the machine is at that moment) and scales the limits by how much
longer it took here than on the reference machine (never below the budget).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

# Seconds the calibration took on the reference machine, idle, on 2026-12-07: the median
# of five runs (0.225, 0.188, 0.141, 0.191 and 0.205 s).
REFERENCE_SECONDS = 0.19
CALIBRATION = """
import time, torch
from torch import nn
torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                      nn.Flatten(), nn.Linear(32, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
images, labels = torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    for _ in range(10):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(images), labels).backward()
        optimizer.step()
    best = min(best, time.perf_counter() - start)
print(best)
"""


@dataclass(frozen=True)
class Limits:
    """Seconds per cell and per notebook, and where they came from (for the log)."""

    cell: int
    notebook: int
    reason: str


def calibrate() -> float:
    """Seconds the calibration takes on this machine now (best of three rounds)."""
    result = subprocess.run([sys.executable, "-c", CALIBRATION], capture_output=True,
                            text=True, timeout=600, check=True)
    return float(result.stdout.strip())


def fitted(budget: int, measured: float | None = None) -> Limits:
    """The limits for a lab of CPU budget ``budget`` s: per cell the budget, per notebook
    three budgets and a minute, both times the slowdown against the reference machine."""
    measured = calibrate() if measured is None else measured
    factor = max(1.0, measured / REFERENCE_SECONDS)
    cell = int(budget * factor + 0.5)
    return Limits(cell, int((3 * budget + 60) * factor + 0.5),
                  f"the lab's budget of {budget} s x {factor:.2f}: the calibration took "
                  f"{measured:.2f} s here, {REFERENCE_SECONDS:.2f} s on the reference "
                  "machine")
