"""Float32 against mixed precision: the machine's peak, lab 03's share of it, every lab's training.

Run from the repository root::

    python benchmarks/precision.py                    # peak, fraction of peak, labs 02-08
    python benchmarks/precision.py --labs 03 --seeds 0  # quicker: one lab, one seed
    python benchmarks/precision.py --no-labs          # only the peak and lab 03's fraction

1. **Peak**: the speed of a 2048 x 2048 matrix product in float32 and in the 16-bit type
   that ``labutils.precision`` chooses for this device (fastest of 5), in GFLOP/s.
2. **Fraction of peak**: one training step of lab 03's classifier (batch 128,
   channels_last, AdamW), counted by ``torch.utils.flop_counter`` (forward and backward)
   and timed (fastest of 20 steps: on a shared machine the least disturbed one), in the
   same two numerics. Its FLOPs per second over
   the peak above is the share of the machine that training uses.
3. **Labs**: each solution notebook runs top to bottom in a fresh kernel, once in float32
   (``LABUTILS_PRECISION=float32``, seed 0) and once per seed with the new default. Every
   call of ``labutils.fit`` is a training section: its time and its last validation
   metrics are recorded. The quantities the lab asserts its targets on are read at the end;
   a run whose assertion fails is marked ``MISSED``. The seed is changed by replacing
   ``labutils.set_seed(0)`` in the notebook (the data splits keep their own seeds).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch
from common import machine
from lab03_recipe import load_lab03_classifier
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from labutils.precision import choose_numerics

ROOT = Path(__file__).resolve().parents[1]
LABS = ("02", "03", "04", "05", "06", "07", "08")

# What each lab asserts its targets on (expressions in the lab's own names).
TARGETS = {
    "02": {"test accuracy": "test_acc"},
    "03": {"test accuracy": "test_acc",
           "plain / residual loss": 'plain["loss"][-1] / residual["loss"][-1]'},
    "04": {"test accuracy": "test_acc"},
    "05": {"test IoU": "test_iou"},
    "06": {"frozen accuracy": "acc_frozen",
           "frozen - scratch, 128 px": "acc_frozen_small - acc_scratch",
           "shift gain": "acc_shift_after - acc_shift_before"},
    "07": {"worst 16-number MSE / baseline": "worst",
           "denoising MSE / baseline": 'mse["denoising 8x4x4"] / baseline_mse'},
    "08": {"exact match": 'scores["exact_match"]', "macro F1": 'scores["macro_f1"]'},
}

RECORDER = '''
import labutils as _labutils, time as _time
_fit_records, _plain_fit = [], _labutils.fit
def _recording_fit(*args, **kwargs):
    start = _time.perf_counter()
    history = _plain_fit(*args, **kwargs)
    last = {k: v[-1] for k, v in history.items() if k not in ("lr", "seconds")}
    source = get_ipython().user_ns["_ih"][-1]  # the cell running now
    _fit_records.append({"cell": source, "epochs": len(history["loss"]),
                         "seconds": _time.perf_counter() - start, "last": last})
    return history
_labutils.fit = _recording_fit
'''

REPORT = '''
import json as _json
def _value(expression):
    try:
        return float(eval(expression))
    except Exception as error:
        return repr(error)
print("BENCHMARK-RECORDS" + _json.dumps({"fits": _fit_records,
      "targets": {name: _value(e) for name, e in {targets!r}.items()}}))
'''


# --- 1 and 2: peak and fraction of peak -----------------------------------------------------

def matmul_gflops(dtype: torch.dtype, n: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of an n x n matrix product in ``dtype`` on the CPU (fastest of ``repeats``)."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n**3 / min(times) / 1e9


def lab03_step(numerics, batch: int = 128, steps: int = 20) -> tuple[float, float]:
    """(FLOPs of one training step, fastest seconds per step) of lab 03's classifier."""
    torch.manual_seed(0)
    model = load_lab03_classifier()().to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    images = torch.randn(batch, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 10, (batch,))

    def step() -> None:
        with numerics.autocast():
            outputs = model(images)
        loss = nn.functional.cross_entropy(outputs.float(), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    with FlopCounterMode(display=False) as counter:
        step()
    times = []
    for _ in range(steps + 3):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return counter.get_total_flops(), min(times[3:])


def peak_report() -> None:
    mixed = choose_numerics("cpu")
    print(f"Mixed precision here: {mixed.describe()}")
    rows = [("float32", choose_numerics("cpu", mixed_precision=False), torch.float32)]
    if mixed.dtype is not None:
        rows.append((str(mixed.dtype).removeprefix("torch."), mixed, mixed.dtype))
    print(f"\n{'numerics':<10}{'matmul GFLOP/s':>16}{'step ms':>9}{'step GFLOP/s':>14}"
          f"{'of peak':>9}")
    flops = None
    for name, numerics, dtype in rows:
        peak = matmul_gflops(dtype)
        flops, seconds = lab03_step(numerics)
        achieved = flops / seconds / 1e9
        print(f"{name:<10}{peak:>16.0f}{seconds * 1e3:>9.1f}{achieved:>14.1f}"
              f"{achieved / peak:>9.0%}")
    print(f"(lab 03's CNNClassifier, batch 128, channels_last: {flops / 1e9:.2f} GFLOP per "
          f"training step, {flops / 128 / 1e6:.1f} MFLOP per image; peak = 2048 x 2048 matmul)")


# --- 3: every lab, float32 against mixed precision -----------------------------------------

def run_lab(path: Path, precision: str, seed: int) -> dict:
    """Execute one solution notebook; return its fit records, targets, errors and wall time."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = cell.source.replace("labutils.set_seed(0)", f"labutils.set_seed({seed})")
    lab = path.name[:2]
    nb.cells.insert(0, nbformat.v4.new_code_cell(RECORDER))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT.replace("{targets!r}",
                                                             repr(TARGETS.get(lab, {})))))
    os.environ["LABUTILS_PRECISION"] = precision
    try:
        client = NotebookClient(nb, timeout=1800, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        wall = time.perf_counter() - start
    finally:
        os.environ.pop("LABUTILS_PRECISION", None)
    errors, records = [], {"fits": [], "targets": {}}
    for cell in nb.cells[1:-1]:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(f"{output['ename']}: {output['evalue']}"[:200])
    for output in nb.cells[-1].get("outputs", []):
        text = output.get("text", "")
        if "BENCHMARK-RECORDS" in text:
            records = json.loads(text.split("BENCHMARK-RECORDS", 1)[1])
    for record in records["fits"]:
        code = [line for line in record["cell"].splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
        first = next((line for line in code if "fit(" in line), code[0] if code else "?")
        record["where"] = first.strip()[:34]
    return {"wall": wall, "errors": errors, **records}


def metric_text(last: dict) -> str:
    """The last validation metric of a fit (or the training one when there is no validation)."""
    names = [n for n in last if n.startswith("val_") and n != "val_loss"] or \
            [n for n in last if n != "loss" and not n.startswith("val_")] or \
            (["val_loss"] if "val_loss" in last else ["loss"])
    return ", ".join(f"{n} {last[n]:.4g}" for n in names[:2])


def labs_report(labs: list[str], seeds: list[int], float32: bool = True) -> int:
    paths = {p.name[:2]: p for p in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))}
    also = " in float32 (seed 0) and" if float32 else ""
    print(f"\nEach lab{also} in the default mixed precision (seeds {', '.join(map(str, seeds))}).")
    missed = 0
    for lab in labs:
        runs = {("float32", 0): None} if float32 else {}
        runs.update({("mixed", seed): None for seed in seeds})
        for key in runs:
            print(f"  running lab {lab}, {key[0]}, seed {key[1]} ...", file=sys.stderr, flush=True)
            runs[key] = run_lab(paths[lab], *key)
        first = runs["mixed", seeds[0]]
        base = runs.get(("float32", 0))
        walls = ", ".join(f"{runs['mixed', s]['wall']:.0f}" for s in seeds)
        f32_wall = f"float32 {base['wall']:.0f} s, " if base else ""
        print(f"\n### Lab {paths[lab].stem} (notebook wall: {f32_wall}mixed {walls} s)")
        if base:
            print(f"{'training section (fit line)':<36}{'f32 s':>7}{'mixed s':>8}{'x':>6}  "
                  "float32 result | mixed result (first seed)")
            for f32, mix in zip(base["fits"], first["fits"]):
                print(f"{f32['where']:<36}{f32['seconds']:>7.1f}{mix['seconds']:>8.1f}"
                      f"{f32['seconds'] / mix['seconds']:>6.2f}  {metric_text(f32['last'])} | "
                      f"{metric_text(mix['last'])}")
            f32_total = sum(f["seconds"] for f in base["fits"])
            mix_total = sum(f["seconds"] for f in first["fits"])
            print(f"{'all training':<36}{f32_total:>7.1f}{mix_total:>8.1f}"
                  f"{f32_total / max(mix_total, 1e-9):>6.2f}")
        else:
            print(f"{'training section (fit line)':<36}{'mixed s':>8}  mixed result (first seed)")
            for mix in first["fits"]:
                print(f"{mix['where']:<36}{mix['seconds']:>8.1f}  {metric_text(mix['last'])}")
            print(f"{'all training':<36}{sum(f['seconds'] for f in first['fits']):>8.1f}")
        for name in TARGETS.get(lab, {}):
            values = [runs["mixed", s]["targets"].get(name) for s in seeds]
            numbers = [v for v in values if isinstance(v, float)]
            spread = (f"min {min(numbers):.4f}, max {max(numbers):.4f}, "
                      f"spread {max(numbers) - min(numbers):.4f}") if numbers else "n/a"
            shown = ", ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in values)
            f32_value = base["targets"].get(name) if base else None
            f32_text = (f"float32 {f32_value:.4f}; " if isinstance(f32_value, float)
                        else f"float32 {f32_value}; " if base else "")
            print(f"  {name}: {f32_text}mixed by seed {shown} ({spread})")
        for key, run in runs.items():
            for error in run["errors"]:
                missed += 1
                print(f"  MISSED ({key[0]}, seed {key[1]}): {error}")
    return 1 if missed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labs", nargs="+", default=list(LABS), choices=LABS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--no-labs", action="store_true", help="only the peak figures")
    parser.add_argument("--mixed-only", action="store_true",
                        help="skip the float32 run of each lab (e.g. for more seeds)")
    args = parser.parse_args(argv)
    print(f"Machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    peak_report()
    if args.no_labs:
        return 0
    return labs_report(args.labs, args.seeds, float32=not args.mixed_only)


if __name__ == "__main__":
    sys.exit(main())
