"""One grade run of a lab: several submissions at once, one run at a time, resumable.

``tools/course.py grade`` decides *what* grading a submission means (``grade_one``);
this module decides *which* submissions to grade and *where*:

- **One run per lab.** A lock file (``grades/.lab03.lock``, held with ``flock``) refuses a
  second ``grade`` of the same lab while one runs; the lock goes with the process that
  held it, so a run that was killed leaves nothing to clean up.
- **Only what is missing.** ``grades/lab03_state.json`` keeps, per student, a fingerprint
  of the submitted files and what grading them gave, written the moment each one is
  done. A run grades the submissions that are new or changed since (or the students
  named), so an interrupted run resumes where it stopped: nothing graded twice, nothing
  half-graded kept (a submission counts as done only once nbgrader has finished it).
- **In parallel, on Dask.** With more than one worker, the submissions go to a Dask
  cluster (``dask.distributed``): a local one with that many worker processes, or the
  scheduler at ``--scheduler tcp://HOST:8786`` whose workers (on other machines, started
  by ``dask worker``, dask-jobqueue on SLURM or dask-kubernetes) see the course folder at
  the same path. Dask reschedules the submission of a worker that was lost.
- **No process left behind.** Each submission's ``nbgrader autograde`` runs in a process
  group of its own that dies with the worker that started it; Ctrl-C ends every one.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1  # prctl(2): a signal for this process when its parent thread ends


class GradingBusy(RuntimeError):
    """Another grade run of the same lab holds the lock."""


@contextmanager
def only_run(course: Path, lab: str) -> Iterator[None]:
    """Hold the lab's grading lock for the ``with`` block, or raise :class:`GradingBusy`."""
    path = course / "grades" / f".{lab}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as stream:
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stream.seek(0)
            holder = stream.read().strip() or "another process"
            raise GradingBusy(
                f"{lab} is being graded already ({holder}). Wait until that run ends; "
                f"stopping it is safe, and running the same command again then grades "
                f"only what it left.") from None
        stream.seek(0)
        stream.truncate()
        stream.write(f"process {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        stream.flush()
        try:
            yield
        finally:
            stream.seek(0)
            stream.truncate()


def fingerprint(folder: Path) -> str:
    """A checksum of every file of a submission folder (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What grading one submission gave: the status note (``None``: plain "graded") and
    how long it took."""

    student: str
    problem: str | None
    seconds: float
    final: bool = True  # False: not graded this time, to be graded by the next run


class State:
    """``grades/LAB_state.json``: per student, the fingerprint graded and its outcome."""

    def __init__(self, course: Path, lab: str):
        self.course, self.lab = course, lab
        self.path = course / "grades" / f"{lab}_state.json"
        self.found: dict[str, dict] = json.loads(self.path.read_text()) \
            if self.path.exists() else {}

    def folder(self, student: str) -> Path:
        return self.course / "submitted" / student / self.lab

    def pending(self, students: list[str], named: list[str] | None = None) -> list[str]:
        """The students to grade: those ``named`` (all of them, graded again), or else
        those whose submission is new or changed since it was last graded."""
        if named:
            return [student for student in students if student in named]
        return [student for student in students
                if self.found.get(student, {}).get("fingerprint")
                != fingerprint(self.folder(student))]

    def record(self, outcome: Outcome, print_line: bool = True) -> None:
        """Write one student's outcome down at once (atomically), so a run stopped later
        keeps it."""
        self.found[outcome.student] = {
            "fingerprint": fingerprint(self.folder(outcome.student)) if outcome.final else "",
            "problem": outcome.problem, "seconds": outcome.seconds,
            "graded_at": time.strftime("%Y-%m-%d %H:%M:%S")}
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(self.found, indent=1, sort_keys=True))
        os.replace(temporary, self.path)
        if print_line:
            print(f"{outcome.student}: {outcome.problem or 'graded'} "
                  f"({outcome.seconds:.1f} s)", flush=True)

    def problems(self, students: list[str]) -> dict[str, str]:
        return {student: self.found[student]["problem"] for student in students
                if self.found.get(student, {}).get("problem")}

    def seconds(self, students: list[str]) -> dict[str, float]:
        return {student: self.found[student]["seconds"] for student in students
                if student in self.found}


def die_with_parent() -> None:
    """For ``preexec_fn``: the child is killed when the thread that started it ends (a
    Dask worker that is lost or stopped takes its nbgrader with it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def timed(grade: Callable[[str], str | None], student: str) -> Outcome:
    """Grade one student and time it (what runs on a worker)."""
    start = time.perf_counter()
    try:
        problem = grade(student)
    except Exception as error:  # noqa: BLE001 - every submission gets a row
        problem = f"the grader failed on this submission ({type(error).__name__}: {error})"
    return Outcome(student, problem, round(time.perf_counter() - start, 2))


def run(students: list[str], grade: Callable[[str], str | None],
        done: Callable[[Outcome], None], workers: int = 1,
        scheduler: str | None = None) -> None:
    """Grade ``students`` with ``grade(student)``, calling ``done`` as each one ends.

    One worker and no scheduler: one after another in this process. Otherwise on Dask,
    the workers of a local cluster or of the scheduler at ``scheduler``.
    """
    if not students:
        return
    if workers <= 1 and scheduler is None:
        for student in students:
            done(timed(grade, student))
        return
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, memory_limit=0)
    client = Client(cluster if cluster is not None else scheduler)
    try:
        futures = {client.submit(timed, grade, student, key=f"grade-{student}", pure=False):
                   student for student in students}
        for future in as_completed(futures):
            if future.status == "finished":
                done(future.result())
            else:  # Dask gave up on it: its workers were lost again and again
                done(Outcome(futures[future], "not graded: the workers grading it were lost "
                             f"({future.exception()}); run grade again", 0.0, final=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
