"""Runs at the start of every kernel that nbgrader starts to grade a submission.

A submitted notebook is somebody else's code. While it is graded it may write only inside
its own folder (nbgrader's copy under ``autograded/``), the temporary folder and the
folders named in ``LABUTILS_GRADING_WRITABLE`` (the course's data folder); it may not start
other programs. Anything else raises ``PermissionError`` in the student's cell, which the
feedback shows like any other error. The guard is a Python audit hook (PEP 578): it
cannot be removed from inside the kernel.

This file is executed by the kernel (``--IPKernelApp.exec_files``), so it defines only
private names.
"""

import os as _os
import sys as _sys
import tempfile as _tempfile


def _labutils_grading_guard() -> None:
    start = _os.getcwd()
    extra = _os.environ.get("LABUTILS_GRADING_WRITABLE", "")
    roots = [start, _tempfile.gettempdir(), "/dev/null", "/dev/shm"]
    roots += [folder for folder in extra.split(_os.pathsep) if folder]
    roots = [_os.path.realpath(folder) for folder in roots]
    writing = _os.O_WRONLY | _os.O_RDWR | _os.O_APPEND | _os.O_CREAT | _os.O_TRUNC
    path_events = {"os.remove", "os.rename", "os.replace", "os.rmdir", "os.mkdir",
                   "os.symlink", "os.link", "os.truncate", "os.chmod", "os.chown",
                   "os.utime", "shutil.rmtree", "shutil.move"}
    program_events = {"os.system", "subprocess.Popen", "os.exec", "os.posix_spawn",
                      "os.spawn", "pty.spawn"}

    def allowed(path) -> bool:
        if isinstance(path, int):
            return True  # an open file descriptor: it was checked when opened
        if isinstance(path, bytes):
            path = _os.fsdecode(path)
        full = _os.path.realpath(_os.path.join(start, _os.fspath(path)))
        return any(full == root or full.startswith(root + _os.sep) for root in roots)

    def refuse(what: str) -> None:
        raise PermissionError(
            "While grading, a notebook may write only inside its own folder and may not "
            f"start other programs: {what} was refused.")

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, 0))[:3]
            wants_write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                (isinstance(flags, int) and flags & writing)
            if wants_write and path is not None and not allowed(path):
                refuse(f"writing to {path}")
        elif event in path_events:
            for value in args[:2]:
                if isinstance(value, (str, bytes, _os.PathLike)) and not allowed(value):
                    refuse(f"{event} on {value}")
        elif event == "shutil.copyfile" and not allowed(args[1]):
            refuse(f"copying a file to {args[1]}")
        elif event in program_events:
            refuse(f"starting another program ({event})")

    _sys.addaudithook(hook)


_labutils_grading_guard()
del _labutils_grading_guard
