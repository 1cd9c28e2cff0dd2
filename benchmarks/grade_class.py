"""Grade a simulated class of one lab with nbgrader and print what it costs.

    python benchmarks/grade_class.py [--students 40] [--lab 01]

Makes a course folder (tools/course.py init), releases the lab, puts one submission per
student where ``nbgrader collect`` leaves them (a third correct, a third untouched
stubs, a third with two typical wrong answers), then times ``tools/course.py grade``:
nbgrader's autograde, one student at a time, feedback and the CSV. Prints the wall time,
the time per notebook (median and slowest), and the peak memory of one grading process.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import course as course_tool  # noqa: E402

WRONG = {  # lab 01's two most common slips
    "ex2": "def conv_param_count(in_channels, out_channels, kernel_size, bias=True):\n"
           "    return in_channels * out_channels * kernel_size * kernel_size\n",
    "ex3": "def conv_output_size(n, k, p=0, s=1, d=1):\n"
           "    return (n + 2 * p - k) // s + 1\n",
}


def submissions(release: dict, lab: str, count: int) -> list[dict]:
    right = course_tool.exercise_code(course_tool.labs()[lab])
    kinds = [right, {}, {**right, **{k: v for k, v in WRONG.items() if k in right}}]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--lab", default="01")
    args = parser.parse_args(argv)
    lab = course_tool.lab_id(args.lab)
    name = course_tool.labs()[lab].name
    with tempfile.TemporaryDirectory() as folder:
        course = Path(folder) / "course"
        course_tool.init(course)
        course_tool.release(course, lab)
        release = json.loads((course / "release" / lab / name).read_text())
        for index, notebook in enumerate(submissions(release, lab, args.students)):
            target = course / "submitted" / f"student{index:03d}" / lab
            target.mkdir(parents=True)
            (target / name).write_text(json.dumps(notebook))
            (target / "timestamp.txt").write_text("2026-12-02 12:00:00.000000 UTC")
        start = time.perf_counter()
        csv_path = course_tool.grade(course, lab)
        wall = time.perf_counter() - start
        times = list(json.loads((course / "grades" / f"{lab}_times.json").read_text()).values())
        rows = csv_path.read_text().splitlines()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\nGraded {args.students} submissions of {lab} ({name}) on this machine:")
    print(f"  wall time (collect, autograde, feedback, CSV): {wall:.0f} s")
    print(f"  per notebook: median {statistics.median(times):.1f} s, slowest {max(times):.1f} s,"
          f" mean {statistics.mean(times):.1f} s")
    print(f"  peak memory of one grading process (kernel included): {peak_mb:.0f} MB")
    print(f"  CSV rows: {len(rows) - 1}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
