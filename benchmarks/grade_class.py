"""Grade a simulated class of one lab with nbgrader and print what it costs.

    python benchmarks/grade_class.py [--students 30] [--lab 02] [--workers 1 2]
                                     [--scheduler] [--rounds 1]

Makes a course folder (tools/course.py init), releases the lab, puts one submission per
student where ``nbgrader collect`` leaves them (a third correct, a third untouched
stubs, a third with typical wrong answers), then times ``tools/course.py grade``:
nbgrader's autograde in the sandbox, the grader's re-run of the checks, feedback and the
CSV. Each figure of ``--workers`` is one run (alternating, ``--rounds`` times): one
worker on a SQLite gradebook, several on a local Dask cluster and a PostgreSQL gradebook
(tools/gradebook_db.py, on 127.0.0.1). ``--scheduler`` adds a run through a Dask
scheduler with two workers, started here as separate processes on 127.0.0.1, as a
cluster's would be. Prints, per run, the wall time, the time per notebook (median and
slowest), the throughput and the peak memory of one grading process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import course as course_tool  # noqa: E402
from tools import gradebook_db  # noqa: E402

WRONG = {  # typical slips of lab 01 and lab 02, by the name each exercise defines
    "conv_param_count": "def conv_param_count(in_channels, out_channels, kernel_size, bias=True):\n"
           "    return in_channels * out_channels * kernel_size * kernel_size\n",
    "conv_output_size": "def conv_output_size(n, k, p=0, s=1, d=1):\n"
           "    return (n + 2 * p - k) // s + 1\n",
    "vgg_block": "def vgg_block(in_channels, out_channels, num_convs=2, batch_norm=True,\n"
                 "              activation=nn.ReLU, pool=True):\n"
                 "    layers = []\n"
                 "    for _ in range(num_convs):\n"
                 "        layers.append(nn.Conv2d(in_channels, out_channels, 3, padding=1))\n"
                 "        layers.append(activation())\n"
                 "    if pool:\n"
                 "        layers.append(nn.MaxPool2d(2))\n"
                 "    return nn.Sequential(*layers)\n",
}


def submissions(release: dict, lab: str, count: int) -> list[dict]:
    right = course_tool.exercise_code(course_tool.labs()[lab])
    wrong = {grade_id: WRONG[name] for grade_id, code in right.items()
             if (name := course_tool.defined_name(code)) in WRONG}
    kinds = [right, {}, {**right, **wrong}]
    result = []
    for index in range(count):
        notebook = json.loads(json.dumps(release))
        answers = kinds[index % 3]
        for cell in notebook["cells"]:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell["source"] = answers[grade_id]
        result.append(notebook)
    return result


def class_of(folder: Path, lab: str, students: int, db_url: str | None) -> Path:
    course = folder / "course"
    course_tool.init(course, db_url=db_url)
    course_tool.release(course, lab)
    name = course_tool.labs()[lab].name
    release = json.loads((course / "release" / lab / name).read_text())
    for index, notebook in enumerate(submissions(release, lab, students)):
        target = course / "submitted" / f"student{index:03d}" / lab
        target.mkdir(parents=True)
        (target / name).write_text(json.dumps(notebook))
        (target / "timestamp.txt").write_text("2026-12-02 12:00:00.000000 UTC")
    return course


def dask_cluster(workers: int) -> tuple[str, list[subprocess.Popen]]:
    """A Dask scheduler and ``workers`` workers, each a process of its own on 127.0.0.1."""
    port = gradebook_db.free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    bin_dir = Path(sys.executable).parent
    processes = [subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1",
                                   "--port", str(port), "--dashboard-address", ":0"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    address = f"tcp://127.0.0.1:{port}"
    time.sleep(3)
    for _ in range(workers):
        processes.append(subprocess.Popen(
            [str(bin_dir / "dask"), "worker", address, "--nthreads", "1", "--nworkers", "1",
             "--memory-limit", "0", "--host", "127.0.0.1", "--dashboard-address", ":0"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from dask.distributed import Client
    with Client(address) as client:
        client.wait_for_workers(workers, timeout=60)
    return address, processes


def one_run(lab: str, students: int, workers: int, scheduler: bool) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(tempfile.mkdtemp(prefix="gradebook-", dir="/tmp"))
        db_url = gradebook_db.start(database, gradebook_db.free_port()) \
            if workers > 1 or scheduler else None
        cluster: list[subprocess.Popen] = []
        try:
            course = class_of(Path(folder), lab, students, db_url)
            address = None
            if scheduler:
                address, cluster = dask_cluster(workers)
            start = time.perf_counter()
            csv_path = course_tool.grade(course, lab, workers=workers, scheduler=address)
            wall = time.perf_counter() - start
            times = list(json.loads((course / "grades" / f"{lab}_times.json").read_text())
                         .values())
            rows = len(csv_path.read_text().splitlines()) - 1
        finally:
            for process in cluster:
                process.terminate()
                process.wait(timeout=30)
            if db_url:
                gradebook_db.stop(database)
            subprocess.run(["rm", "-rf", str(database)], check=False)
    return {"workers": workers, "scheduler": scheduler, "wall": wall, "times": times,
            "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--lab", default="02")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--scheduler", action="store_true",
                        help="also grade through a Dask scheduler with two workers")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    lab = course_tool.lab_id(args.lab)
    plan = [(workers, False) for workers in args.workers]
    if args.scheduler:
        plan.append((2, True))
    results = [one_run(lab, args.students, workers, scheduler)
               for _ in range(args.rounds) for workers, scheduler in plan]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\nGraded {args.students} submissions of {lab} on this machine "
          f"({os.cpu_count()} cores), runs in the order made:")
    single = [r["wall"] for r in results if r["workers"] == 1 and not r["scheduler"]]
    for r in results:
        how = "Dask scheduler, 2 worker processes" if r["scheduler"] else \
            f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}"
        rate = args.students / r["wall"] * 3600
        speedup = f", {min(single) / r['wall']:.2f} x one worker's best" if single else ""
        print(f"  {how}: wall {r['wall']:.0f} s ({rate:.0f} notebooks/hour{speedup}); per "
              f"notebook median {statistics.median(r['times']):.1f} s, slowest "
              f"{max(r['times']):.1f} s; CSV rows {r['rows']}")
    print(f"  peak memory of one grading process (kernel included): {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
