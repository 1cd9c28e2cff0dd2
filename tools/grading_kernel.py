"""The kernel nbgrader grades a submission with, started inside the sandbox.

The course's ``nbgrader_config.py`` names :class:`SandboxedKernelManager` as the kernel
manager of nbgrader's ``Execute`` step, so every ``nbgrader autograde`` (ours, the
instructor's own, formgrader's) runs a submitted notebook in ``tools/sandbox.py``:

- the kernel sees a private copy of the submission's folder at the folder's own path (what
  it writes there is thrown away), a private data folder, the data sets read-only, and
  nothing else of the course;
- it talks to nbgrader over Unix sockets in a folder made for it alone (the sandbox has no
  network, not even 127.0.0.1);
- when the kernel ends, every process it started ends with it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, List, Unicode

from tools.sandbox import (
    NOBODY,
    Limits,
    Sandbox,
    answers_folder,
    give_to_sandbox_user,
    labutils_folder,
    python_folders,
)

SITE = Path("/opt/grading/site")  # where the sandbox sees the installed labutils


class SandboxedKernelManager(AsyncKernelManager):
    """A Jupyter kernel manager whose kernels run in the grading sandbox."""

    memory_bytes = Integer(16 * 2**30, help="Address space of a grading kernel (bytes)").tag(
        config=True)
    processes = Integer(512, help="Processes and threads of a grading kernel").tag(config=True)
    seconds = Integer(3600, help="Wall-clock limit of a grading kernel, a backstop beside "
                      "nbgrader's per-cell timeout (0: none)").tag(config=True)
    data_mirror = Unicode("", help="Data sets shown read-only (default: "
                          "LABUTILS_DATA_MIRROR, else LABUTILS_DATA_DIR)").tag(config=True)
    readable = List(Unicode(), help="More paths shown read-only, e.g. a guard file").tag(
        config=True)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._scratch = Path(tempfile.mkdtemp(prefix="grading-kernel-"))
        os.chmod(self._scratch, 0o711)
        self.transport = "ipc"
        sockets = self._scratch / "sockets"
        sockets.mkdir()
        give_to_sandbox_user(sockets)
        self.ip = str(sockets / "kernel")

    def _mirror(self) -> Path | None:
        for value in (self.data_mirror, os.environ.get("LABUTILS_DATA_MIRROR", ""),
                      os.environ.get("LABUTILS_DATA_DIR", "")):
            if value and Path(value).expanduser().is_dir():
                return Path(value).expanduser().resolve()
        return None

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        # A signal would reach bubblewrap, not the kernel: interrupt it with a message
        # (nbgrader interrupts a cell that runs past its time limit, and goes on).
        self.kernel_spec.interrupt_mode = "message"
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        workdir = Path(kw.get("cwd") or os.getcwd()).resolve()
        private = self._scratch / "work"
        if private.exists():
            shutil.rmtree(private)
        shutil.copytree(workdir, private, symlinks=True)
        data = self._scratch / "data"
        data.mkdir(exist_ok=True)
        for folder in (private, data):
            give_to_sandbox_user(folder)
        connection = Path(self.connection_file)
        os.chmod(connection, 0o644)  # inside the private scratch folder's parent, 0700
        mirror = self._mirror()
        readable = [*python_folders(), connection, *map(Path, self.readable)]
        environment = {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": "/tmp",
            "TMPDIR": "/tmp", "MPLCONFIGDIR": "/tmp/matplotlib", "MPLBACKEND": "Agg",
            "PYTHONPATH": str(SITE), "LABUTILS_GRADING": "1", "LABUTILS_OFFLINE": "1",
            "LABUTILS_DATA_DIR": "/opt/grading/data"}
        shown = {labutils_folder(): SITE / "labutils"}
        if mirror is not None:
            shown[mirror] = Path("/opt/grading/mirror")
            environment["LABUTILS_DATA_MIRROR"] = "/opt/grading/mirror"
        hidden = answers_folder()
        sandbox = Sandbox(
            writable={private: workdir, data: Path("/opt/grading/data"),
                      Path(self.ip).parent: Path(self.ip).parent},
            readable=readable, shown=shown, hidden=[hidden] if hidden else [],
            environment=environment, workdir=workdir,
            limits=Limits(memory_bytes=self.memory_bytes, processes=self.processes,
                          seconds=self.seconds or None))
        kw.pop("env", None)  # the sandbox sets the kernel's environment itself
        return sandbox.command(kernel_cmd), kw

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._scratch, ignore_errors=True)


__all__ = ["NOBODY", "SandboxedKernelManager"]
