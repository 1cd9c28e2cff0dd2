"""Run every solution notebook once, as CI does, and compare its time with its budget.

Run: python benchmarks/notebooks.py [--keep DIR] [NN ...]   (default: every lab)

Each lab runs twice: its solution notebook, and its student notebook with every exercise
left as a stub and every way forward taken (tools/way_forward.py), as a student who was
stuck everywhere would run it. Both must fit the lab's budget.

Each notebook is executed top to bottom in a fresh kernel started in its own folder
(what nbval and "Restart & Run All" do). The budget comes from the notebook's own
metadata (``labutils.cpu_budget_s``). The table is printed and written to
benchmarks/RESULTS.md together with the date and the machine. With ``--keep DIR`` the
executed notebooks (with their outputs) are saved in DIR, to read the figures they printed.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import nbformat
from common import machine
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.way_forward import taking_every_way_forward  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")


def cell_seconds(cell: nbformat.NotebookNode) -> float:
    """How long a cell ran, from the timestamps nbclient records in its metadata."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = dt.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def first_line(cell: nbformat.NotebookNode) -> str:
    line = next((text for text in cell["source"].splitlines() if text.strip()), "")
    return (line[:40] + "...") if len(line) > 43 else line


def run(path: Path, keep: Path | None = None, stuck: bool = False) -> dict:
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata["labutils"]
    if stuck:
        taking_every_way_forward(nb)
    client = NotebookClient(nb, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, keep / (("stuck_" if stuck else "") + path.name))
    code = [(i, c) for i, c in enumerate(c for c in nb.cells if c["cell_type"] == "code")]
    slowest = sorted(code, key=lambda pair: -cell_seconds(pair[1]))[:3]
    return {
        "lab": f"{meta['lab']:02d} {meta['title']}",
        "budget": float(meta["cpu_budget_s"]),
        "wall": wall,
        "slowest": [f"cell {i} `{first_line(c)}` {cell_seconds(c):.1f} s" for i, c in slowest],
    }


def table(rows: list[dict]) -> str:
    lines = ["| lab | budget (s) | solution (s) | solution / budget | stuck student (s) "
             "| slowest cells (solution) |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for row in rows:
        lines.append(f"| {row['lab']} | {row['budget']:.0f} | {row['wall']:.1f} | "
                     f"{row['wall'] / row['budget']:.0%} | {row['stuck']:.1f} | "
                     f"{'<br>'.join(row['slowest'])} |")
    total_wall = sum(row["wall"] for row in rows)
    total_stuck = sum(row["stuck"] for row in rows)
    total_budget = sum(row["budget"] for row in rows)
    lines.append(f"| **all** | {total_budget:.0f} | {total_wall:.1f} | "
                 f"{total_wall / total_budget:.0%} | {total_stuck:.1f} | |")
    return "\n".join(lines)


def main(selected: list[str]) -> int:
    keep = None
    if "--keep" in selected:
        where = selected.index("--keep")
        keep = Path(selected[where + 1])
        selected = selected[:where] + selected[where + 2:]
    paths = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    if selected:
        paths = [p for p in paths if p.name[:2] in selected]
    rows = []
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        rows.append(run(path, keep))
        student = ROOT / "notebooks" / path.name
        rows[-1]["stuck"] = run(student, keep, stuck=True)["wall"]
        print(f"  solution {rows[-1]['wall']:.1f} s, stuck student {rows[-1]['stuck']:.1f} s"
              f" of {rows[-1]['budget']:.0f} s", flush=True)
    text = table(rows)
    print("\n" + text)
    over = [row["lab"] for row in rows if max(row["wall"], row["stuck"]) > row["budget"]]
    RESULTS.write_text(
        "# Benchmark results\n\n"
        f"Measured {dt.date.today().isoformat()} on {machine()}, "
        "by `make bench` (benchmarks/notebooks.py and the scripts below).\n\n"
        "## Each lab against its CPU budget (Restart & Run All, data cached; the solution, "
        "and the student notebook with every way forward taken)\n\n"
        f"{text}\n")
    if over:
        print(f"\nOver budget: {', '.join(over)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
