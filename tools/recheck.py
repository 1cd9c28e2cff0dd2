"""The grade comes from the grader's own run of each check, not from the student's kernel.

nbgrader runs a submitted notebook and reads each graded cell's outputs: whatever the
notebook did before that cell (rebinding ``check_*``, patching labutils) would decide the
points. This nbgrader preprocessor, which runs right after nbgrader's ``Execute`` (the
course's ``nbgrader_config.py`` puts it there, so every nbgrader command and page uses
it), grades again instead:

1. it reads each exercise cell the student wrote and refuses, for points, an answer that
   uses what no exercise needs (``tools/answer_scan.py``): the report lists it;
2. it runs each graded check that passed in the student's kernel again, in a fresh
   sandboxed process (``tools/recheck_runner.py`` in ``tools/sandbox.py``), on the
   student's exercise cells and the instructor's given cells, nothing else (a check that
   failed in the kernel stays failed, with its own message);
3. it puts that run's verdict and message in place of the graded cell's outputs, so the
   points, the feedback and the CSV all come from it. A check that passed in the
   student's kernel but not in the grader's run says so in the feedback.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer, Unicode

from tools.answer_scan import scan
from tools.sandbox import (
    Limits,
    Sandbox,
    answers_folder,
    labutils_folder,
    python_folders,
)

TOOLS = Path(__file__).resolve().parent
INSIDE = Path("/opt/grading")  # where the sandbox sees the grader's files


def manifest(package: Path) -> dict[str, str]:
    """The checksum of every Python file of ``package``."""
    return {path.relative_to(package).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(package.rglob("*.py"))}


def workbook_answers(lab: int) -> list[str]:
    """labutils' own objects that answer an exercise of lab ``lab`` (lab 04's BasicBlock,
    say): withheld while that lab's checks run."""
    import labutils
    from labutils.checks.reference import WORKBOOK_PACKAGES
    from labutils.checks.registry import exercises
    names = []
    for exercise in exercises(lab):
        value = getattr(labutils, exercise.name, None)
        owner = getattr(value, "__module__", "") or ""
        if value is not None and owner.split(".")[0] in WORKBOOK_PACKAGES:
            names.append(exercise.name)
    return names


def _source(cell: NotebookNode) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def _nbgrader(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_checks(nb: NotebookNode) -> list[tuple[int, list[int]]]:
    """``(check cell, [its exercise cells])`` for each graded check of ``nb`` (a graded
    cell whose grade id names a check of the register): the exercise cells are the
    solution cells since the previous graded cell."""
    from labutils.checks.registry import exercises
    checks = {exercise.check_name for exercise in exercises()}
    pairs, exercise_cells = [], []
    for index, cell in enumerate(nb.cells):
        meta = _nbgrader(cell)
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            exercise_cells.append(index)
        elif meta.get("grade") and meta.get("grade_id") in checks:
            pairs.append((index, exercise_cells))
            exercise_cells = []
    return pairs


def tasks_and_findings(nb: NotebookNode, lab: int) -> tuple[list[dict], dict[str, list]]:
    """The grader's run of each graded check of lab ``lab``, and what was refused (by
    grade id)."""
    withheld = workbook_answers(lab)
    answers = frozenset(withheld)
    tasks, refused = [], {}
    kinds = {}  # the cells the grader runs: given (locked) and the student's solution cells
    for index, cell in enumerate(nb.cells):
        meta = _nbgrader(cell)
        if cell.cell_type == "code" and meta.get("solution"):
            kinds[index] = "earlier"
        elif cell.cell_type == "code" and meta.get("locked"):
            kinds[index] = "given"
    for check, exercise_cells in graded_checks(nb):
        grade_id = _nbgrader(nb.cells[check]).get("grade_id")
        findings = [str(finding) for index in exercise_cells
                    for finding in scan(_source(nb.cells[index]), answers)]
        if findings:
            refused[grade_id] = findings
            continue
        cells = [[_source(nb.cells[i]), "exercise" if i in exercise_cells else kind]
                 for i, kind in kinds.items() if i < check]
        tasks.append({"grade_id": grade_id, "cells": cells, "check": _source(nb.cells[check]),
                      "withheld": withheld})
    return tasks, refused


def run_tasks(tasks: list[dict], seconds: int, limits: Limits) -> list[dict]:
    """Run the grader's checks in the sandbox, in one process; one verdict per task."""
    if not tasks:
        return []
    package = labutils_folder()
    with tempfile.TemporaryDirectory(prefix="recheck-") as folder:
        job = Path(folder) / "job.json"
        job.write_text(json.dumps({
            "labutils": str(INSIDE / "site" / "labutils"), "manifest": manifest(package),
            "seconds": seconds, "tasks": tasks}))
        hidden = [answers_folder()] if answers_folder() else []
        sandbox = Sandbox(
            readable=python_folders(),
            shown={package: INSIDE / "site" / "labutils", TOOLS: INSIDE / "tools",
                   job: INSIDE / "job.json"},
            hidden=[path for path in hidden if path is not None],
            environment={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                         "HOME": "/tmp", "PYTHONPATH": str(INSIDE / "site"),
                         "MPLCONFIGDIR": "/tmp", "MPLBACKEND": "Agg",
                         "LABUTILS_GRADING": "1", "LABUTILS_OFFLINE": "1",
                         "OMP_NUM_THREADS": "1"},
            limits=limits, workdir=Path("/tmp"))
        command = sandbox.command([sys.executable, str(INSIDE / "tools" / "recheck_runner.py"),
                                   str(INSIDE / "job.json")])
        timeout = seconds * len(tasks) + 120
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return [{"passed": False, "grade_id": task["grade_id"], "output": "", "lines": [
                f"The grader's run of the checks stopped after {timeout} s."]}
                for task in tasks]
    text = result.stdout
    if "\nRESULTS\n" not in text:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return [{"passed": False, "grade_id": task["grade_id"], "output": "", "lines": [
            f"The grader could not run this check ({reason})."]} for task in tasks]
    return json.loads(text.rsplit("\nRESULTS\n", 1)[1])


def _passed_in_kernel(cell: NotebookNode) -> bool:
    return not any(output.output_type == "error" for output in cell.get("outputs", []))


def verdict_outputs(verdict: dict, passed_before: bool) -> list[NotebookNode]:
    """The graded cell's outputs, from the grader's run."""
    outputs = []
    if verdict.get("output"):
        outputs.append(new_output("stream", name="stdout", text=verdict["output"]))
    if verdict["passed"]:
        return outputs
    lines = list(verdict["lines"])
    if passed_before:
        lines = ["This check passed in your notebook, but not when the grader ran it again "
                 "on your exercise code alone:", *lines]
    outputs.append(new_output("error", ename="CheckFailed", evalue=lines[0] if lines else "",
                              traceback=lines))
    return outputs


def refused_outputs(findings: list[str]) -> list[NotebookNode]:
    if all("use_reference" in finding for finding in findings):
        lines = ["This exercise uses the workbook's answer (use_reference), so it earns no "
                 "points. Expected your own code: remove the use_reference line and answer "
                 "the exercise yourself."]
        return [new_output("error", ename="CheckFailed", evalue=lines[0], traceback=lines)]
    lines = ["The grader did not run this exercise: an answer needs only PyTorch, NumPy and "
             "plain Python, and this one reaches further:", *(f"  {f}" for f in findings),
             "No points for it; your instructor sees this in the grade report."]
    return [new_output("error", ename="CheckFailed", evalue=lines[0], traceback=lines)]


class RecheckGradedCells(NbGraderPreprocessor):
    """Grade every check cell from the grader's own sandboxed run (see the module)."""

    enabled = Bool(True).tag(config=True)
    seconds_per_check = Integer(120, help="Time limit of one check, in seconds").tag(
        config=True)
    memory_bytes = Integer(8 * 2**30, help="Address space of the grader's run").tag(config=True)
    report_folder = Unicode("", help="A folder where checks/ASSIGNMENT/STUDENT.json lists "
                            "the refused exercises and the checks that passed only in the "
                            "student's kernel").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        digits = "".join(ch for ch in assignment if ch.isdigit())
        lab = int(digits) if digits else 0
        tasks, refused = tasks_and_findings(nb, lab)
        # A check that failed in the student's kernel stays failed, with its own message:
        # only what passed there is run again, which is what faking would have to pass.
        passed = {_nbgrader(nb.cells[check]).get("grade_id")
                  for check, _ in graded_checks(nb) if _passed_in_kernel(nb.cells[check])}
        tasks = [task for task in tasks if task["grade_id"] in passed]
        verdicts = {v["grade_id"]: v for v in run_tasks(
            tasks, self._seconds(), Limits(memory_bytes=self.memory_bytes))}
        differ = []
        for check, _ in graded_checks(nb):
            cell = nb.cells[check]
            grade_id = _nbgrader(cell).get("grade_id")
            before = _passed_in_kernel(cell)
            if grade_id in refused:
                cell.outputs = refused_outputs(refused[grade_id])
            elif grade_id in verdicts:
                cell.outputs = verdict_outputs(verdicts[grade_id], before)
                if before and not verdicts[grade_id]["passed"]:
                    differ.append(grade_id)
        self._write_report(resources, assignment, refused, differ)
        return nb, resources

    def _seconds(self) -> int:
        """The limit of one check: nbgrader's per-cell limit when it is lower (an exercise
        cell that looped in the notebook loops here too)."""
        cell = self.config.Execute.get("timeout") if "Execute" in self.config else None
        if isinstance(cell, int | float) and cell > 0:
            return int(min(self.seconds_per_check, cell))
        return self.seconds_per_check

    def _write_report(self, resources: dict, assignment: str, refused: dict,
                      differ: list[str]) -> None:
        if not self.report_folder:
            return
        # One file per student: submissions graded at once never write the same file.
        student = Path(resources.get("nbgrader", {}).get("student", "") or "unknown").name
        path = Path(self.report_folder) / "checks" / assignment / f"{student}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps({"refused": refused,
                                         "passed_only_in_the_notebook": differ},
                                        indent=1, sort_keys=True))
        os.replace(temporary, path)
