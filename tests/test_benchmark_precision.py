"""benchmarks/precision.py must read what the labs really assert, and count FLOPs right."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def load_benchmark():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("precision_benchmark",
                                                      ROOT / "benchmarks" / "precision.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return module


def lab_code(lab: str) -> str:
    path = next((ROOT / "solutions").glob(f"{lab}_*.ipynb"))
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_every_target_expression_uses_names_the_lab_asserts_on():
    benchmark = load_benchmark()
    assert set(benchmark.TARGETS) == set(benchmark.LABS)
    for lab, targets in benchmark.TARGETS.items():
        asserts = "\n".join(line for line in lab_code(lab).splitlines()
                            if line.lstrip().startswith("assert"))
        for expression in targets.values():
            names = {node.id for node in ast.walk(ast.parse(expression))
                     if isinstance(node, ast.Name)}
            for name in names:
                assert name in asserts, f"lab {lab} asserts nothing on {name!r} ({expression})"


def test_the_recorder_and_report_cells_are_valid_python():
    benchmark = load_benchmark()
    compile(benchmark.RECORDER, "recorder", "exec")
    compile(benchmark.REPORT.replace("{targets!r}", repr({"a": "1"})), "report", "exec")


def test_lab03_training_step_is_counted_and_timed():
    benchmark = load_benchmark()
    from labutils.precision import Numerics

    flops, seconds = benchmark.lab03_step(Numerics("cpu", None, False, "test"), batch=8, steps=2)
    assert 25e6 < flops / 8 < 32e6  # about 28 MFLOP per image, forward and backward
    assert seconds > 0
    assert benchmark.matmul_gflops(torch.float32, n=128, repeats=2) > 0.1
