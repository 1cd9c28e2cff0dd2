"""Inside the grading sandbox: every graded check again, on the student's own code alone.

``tools/recheck.py`` starts this script in the sandbox (``tools/sandbox.py``) after the
submitted notebook has run, with a job file that holds, for each graded check, the cells
before it (the instructor's own given cells, and the student's exercise cells) and the
check cell. For each check, in a fresh child process (``fork``), it runs:

1. the instructor's given cells' imports, ``def``s, ``class``es and call-free
   assignments (as nbgrader restored them), and the student's earlier exercise cells the
   same way; cells a student added are not run;
2. the student's exercise cell for this check, whole;
3. the check, from labutils as installed (its files' checksums verified first), called
   through a reference taken before any student code ran: no cell can rebind it.

Nothing else the student wrote runs: no added cell, no cell that rebinds or patches.
Student code runs with guarded built-ins: ``__import__`` only for the modules an answer
may use, ``getattr`` and ``setattr`` never for double-underscore names or for the ways out
of PyTorch that ``tools/answer_scan.py`` lists; no ``open``, ``eval`` or ``exec``. After the
check, the grader's functions (labutils, PyTorch's and NumPy's top level, the built-ins)
must be the very ones it started with, or the check counts as failed.

The result, one JSON object per check, is written to this process's standard output after
the line ``RESULTS``; the children's own output goes to a file, never there.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import json
import os
import select
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.answer_scan import (  # noqa: E402
    ALLOWED_DUNDERS,
    FORBIDDEN_ATTRIBUTES,
    module_allowed,
)

MARK = "RESULTS"
WATCHED_MODULES = ("torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "numpy",
                   "builtins")


def verify(package: Path, manifest: dict[str, str]) -> None:
    """Stop unless every file of the installed labutils has the checksum the grader took."""
    found = {path.relative_to(package).as_posix():
             hashlib.sha256(path.read_bytes()).hexdigest()
             for path in sorted(package.rglob("*.py"))}
    if found != manifest:
        changed = sorted(set(found.items()) ^ set(manifest.items()))
        raise SystemExit(f"labutils is not the installed copy the grader checked: {changed[:3]}")


def run_definitions(source: str, namespace: dict, where: str, strict: bool = True) -> None:
    """Run the imports, ``def``s, ``class``es and call-free assignments of a cell: what
    later cells may rely on, without running anything slow. An assignment that needs a
    value a skipped statement would have made (``crop = photo[10:20]`` after
    ``photo = load()``) is left out. Not ``strict`` (a student's earlier exercise cell,
    judged by its own check), a statement that fails is left out too."""
    for node in ast.parse(source).body:
        is_definition = isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef |
                                   ast.AsyncFunctionDef | ast.ClassDef)
        is_plain_value = isinstance(node, ast.Assign | ast.AnnAssign) and not any(
            isinstance(child, ast.Call) for child in ast.walk(node))
        if not (is_definition or is_plain_value):
            continue
        code = compile(ast.Module(body=[node], type_ignores=[]), where, "exec")
        try:
            exec(code, namespace)  # noqa: S102
        except (NameError, KeyError, IndexError, AttributeError, TypeError, ImportError,
                PermissionError):
            if is_definition and strict:
                raise
            # a plain value that needs one a skipped statement would have made, or what
            # an earlier exercise may not use (that exercise's own check says so)


def python_of(cell: str) -> str:
    """A cell's source as plain Python (IPython's ``%magics`` and ``!commands`` turned into
    calls, which a definition-only run then skips)."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(cell)


def _allowed_name(name: Any) -> bool:
    return not (isinstance(name, str) and ((name.startswith("__") and name not in ALLOWED_DUNDERS)
                                           or name in FORBIDDEN_ATTRIBUTES))


def guarded_builtins() -> dict[str, Any]:
    """Python's built-ins, less what runs or reaches code by name."""
    guarded = dict(vars(builtins))
    for name in ("eval", "exec", "compile", "globals", "locals", "vars", "open", "breakpoint",
                 "input", "memoryview", "delattr", "exit", "quit", "help"):
        guarded.pop(name, None)

    def refuse(what: str) -> PermissionError:
        return PermissionError(f"The grader does not run answers that use {what}: an "
                               "exercise needs only PyTorch, NumPy and plain Python.")

    def getattr_(obj: Any, name: str, *default: Any) -> Any:
        if not _allowed_name(name):
            raise refuse(f"the attribute {name}")
        return getattr(obj, name, *default)

    def setattr_(obj: Any, name: str, value: Any) -> None:
        if not _allowed_name(name) or type(obj).__name__ == "module":
            raise refuse(f"setattr on {name}")
        setattr(obj, name, value)

    def hasattr_(obj: Any, name: str) -> bool:
        if not _allowed_name(name):
            raise refuse(f"the attribute {name}")
        return hasattr(obj, name)

    def import_(name: str, globals_: Any = None, locals_: Any = None, fromlist: Any = (),
                level: int = 0) -> Any:
        if level or not module_allowed(name) or any(
                not _allowed_name(item) or not module_allowed(f"{name}.{item}")
                for item in (fromlist or ()) if name != "labutils"):
            raise refuse(f"import {name}")
        return __import__(name, globals_, locals_, fromlist, level)

    guarded.update(getattr=getattr_, setattr=setattr_, hasattr=hasattr_, __import__=import_)
    return guarded


def fingerprint() -> dict[str, int]:
    """The identity of every function and class the checks rely on, to see them changed."""
    marks: dict[str, int] = {}
    for name, module in list(sys.modules.items()):
        if module is None or not (name.split(".")[0] == "labutils" or name in WATCHED_MODULES):
            continue
        for attribute, value in list(vars(module).items()):
            if callable(value):
                marks[f"{name}.{attribute}"] = id(value)
                code = getattr(value, "__code__", None)
                if code is not None:
                    marks[f"{name}.{attribute}.__code__"] = id(code)
    import torch
    for attribute, value in list(vars(torch.Tensor).items()):
        marks[f"torch.Tensor.{attribute}"] = id(value)
    return marks


def _withheld(name: str) -> Any:
    def withheld(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(f"labutils.{name} is the workbook's own answer to an exercise "
                              "of this lab: a graded answer must be your own code.")
    return withheld


def withhold(names: list[str]) -> None:
    """Make labutils' own answers to this lab's exercises unusable (in this child only)."""
    for module_name, module in list(sys.modules.items()):
        if module is not None and module_name.split(".")[0] == "labutils":
            for name in names:
                if name in vars(module):
                    setattr(module, name, _withheld(name))


def failure_lines(error: BaseException) -> list[str]:
    """What the feedback shows for an error: a check's own message, else the error and the
    lines of the student's cells it went through."""
    render = getattr(type(error), "_render_traceback_", None)
    if render is not None:
        try:
            return [str(line) for line in render(error)]
        except Exception:  # noqa: BLE001 - a student's exception class may break this
            pass
    frames = [f"  {frame.filename}, line {frame.lineno}, in {frame.name}"
              for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename.startswith("<")]
    return [*frames, "".join(traceback.format_exception_only(type(error), error)).strip()]


def run_task(task: dict, checks: dict[str, Any], withheld: list[str]) -> dict:
    """In this child process: the cells, then the check; returns the verdict."""
    withhold(withheld)
    before = fingerprint()
    guarded = guarded_builtins()
    namespace: dict[str, Any] = {"__name__": "__main__"}
    where = "the given cells"
    try:
        for index, (source, kind) in enumerate(task["cells"]):
            # The instructor's given cells run with Python's own built-ins, the student's
            # with the guarded ones; both only their definitions, but for the exercise.
            namespace["__builtins__"] = vars(builtins) if kind == "given" else guarded
            where = {"given": "a given cell", "earlier": "an earlier exercise cell",
                     "exercise": "your exercise cell"}[kind]
            if kind == "exercise":
                exec(compile(python_of(source), f"<cell {index}>", "exec"), namespace)  # noqa: S102
            else:
                run_definitions(python_of(source), namespace, f"<cell {index}>",
                                strict=kind == "given")
        where = "the check"
        namespace["__builtins__"] = guarded
        namespace.update(checks)  # the grader's checks, whatever the cells bound
        exec(compile(python_of(task["check"]), "<check>", "exec"), namespace)  # noqa: S102
    except BaseException as error:  # noqa: BLE001 - every way a student's code can fail
        return {"passed": False, "lines": failure_lines(error), "where": where}
    after = fingerprint()
    changed = sorted(key for key, value in before.items() if after.get(key, value) != value)
    if changed:
        return {"passed": False, "where": "the check", "tampered": changed[:5], "lines": [
            "While this check ran, code of the grader (labutils, PyTorch or Python's "
            f"built-ins) was changed: {', '.join(changed[:3])}. The check counts as failed."]}
    return {"passed": True, "lines": [], "where": where}


def preload(tasks: list[dict]) -> None:
    """Import, once before the children fork, the modules the given cells import, so that
    each child finds them loaded (only the instructor's cells: a student's import runs in
    the child, through the guarded ``__import__``)."""
    seen: set[str] = set()
    for task in tasks:
        for source, kind in task["cells"]:
            if kind != "given" or source in seen:
                continue
            seen.add(source)
            for node in ast.parse(python_of(source)).body:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    try:
                        exec(compile(ast.Module(body=[node], type_ignores=[]), "<preload>",  # noqa: S102
                                     "exec"), {})
                    except Exception:  # noqa: BLE001 - the child will say what went wrong
                        pass


def _wait(pid: int, read_end: int, seconds: float) -> tuple[bytes, bool]:
    """What child ``pid`` wrote to the pipe, and whether it ended within ``seconds``
    (else it is killed)."""
    data, deadline, reaped, closed = b"", time.monotonic() + seconds, False, False
    while not (reaped or closed) and time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], 0.2)
        chunk = os.read(read_end, 1 << 16) if ready else b""
        data += chunk
        closed = bool(ready) and not chunk
        # The child may have ended while a process it forked still holds the pipe open.
        reaped = os.waitpid(pid, os.WNOHANG)[0] == pid
    ended = reaped or closed
    if not ended:
        os.kill(pid, signal.SIGKILL)
    if not reaped:
        os.waitpid(pid, 0)
    while select.select([read_end], [], [], 0)[0]:
        chunk = os.read(read_end, 1 << 16)
        if not chunk:
            break
        data += chunk
    os.close(read_end)
    return data, ended


def in_child(task: dict, checks: dict[str, Any], withheld: list[str],
             seconds: float) -> dict:
    """``run_task`` in a forked child with its output captured and a time limit."""
    output = tempfile.TemporaryFile()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its output goes to the file, its verdict to the pipe
        os.close(read_end)
        os.dup2(output.fileno(), 1)
        os.dup2(output.fileno(), 2)
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = sys.stdout
        try:
            verdict = run_task(task, checks, withheld)
        except BaseException as error:  # noqa: BLE001
            verdict = {"passed": False, "lines": failure_lines(error), "where": "the check"}
        sys.stdout.flush()
        os.write(write_end, json.dumps(verdict).encode())
        os._exit(0)
    os.close(write_end)
    data, ended = _wait(pid, read_end, seconds)
    try:
        verdict = json.loads(data.decode() or "null") or {}
    except ValueError:
        verdict = {}
    if not ended:
        verdict = {"passed": False, "where": "the check", "lines": [
            f"Stopped after {seconds:.0f} s, the grader's limit for one check."]}
    elif "passed" not in verdict:
        verdict = {"passed": False, "where": "the check",
                   "lines": ["The check's process ended before it gave a result."]}
    output.seek(0)
    verdict["output"] = output.read().decode(errors="replace")[-20000:]
    verdict["grade_id"] = task["grade_id"]
    return verdict


def main(job_file: str) -> int:
    job = json.loads(Path(job_file).read_text())
    verify(Path(job["labutils"]), job["manifest"])
    os.environ["LABUTILS_GRADING"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    from labutils.checks.registry import exercises
    checks = {exercise.check_name: exercise.check for exercise in exercises()}
    python_of("")  # IPython's transformer, loaded once before the children fork
    preload(job["tasks"])
    results = [in_child(task, checks, task["withheld"], job["seconds"]) for task in job["tasks"]]
    sys.stdout.write(f"\n{MARK}\n{json.dumps(results)}\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
