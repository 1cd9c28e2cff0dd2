"""The sandbox a graded submission runs in: bubblewrap, as a user that owns nothing.

A submitted notebook is somebody else's code. While it is graded, everything it runs
(the notebook's kernel, and the grader's re-run of its checks, ``tools/recheck.py``) runs
inside a sandbox made by bubblewrap (Debian's ``bubblewrap``), an existing tool built for
exactly this:

- its own view of the files: the system's programs and libraries, Python and the
  workbook's virtual environment, the installed ``labutils`` (never ``labutils_answers``,
  never the workbook checkout with its solutions), the data sets, all read-only; a
  private copy of the submission's folder, the one place it may write; a private ``/tmp``.
  It sees no course folder, no gradebook, no other submission, no exchange;
- no network (a network namespace of its own: even 127.0.0.1 refuses);
- a process namespace of its own: when its first process ends, every process it started
  ends too, a detached, forked child included;
- user ``nobody`` (uid 65534), with no capabilities and ``no_new_privs``, when the grader
  runs as root; under another account, bubblewrap's user namespace maps it to
  ``nobody`` inside;
- limits on memory (address space), processes and time (``prlimit``, ``timeout``).

Where bubblewrap is missing the grader refuses to grade (:class:`SandboxMissing`): never
silently less safe.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

NOBODY = 65534
# What every sandbox may read: the system, Python, the virtual environment.
SYSTEM_FOLDERS = ("/usr", "/etc", "/opt/conda")
SYSTEM_LINKS = {"/bin": "usr/bin", "/sbin": "usr/sbin", "/lib": "usr/lib",
                "/lib64": "usr/lib64"}


class SandboxMissing(RuntimeError):
    """bubblewrap is not installed (or cannot make a sandbox here): nothing is graded."""


@dataclass(frozen=True)
class Limits:
    """What one sandbox may use: address space (bytes), processes (and threads) of the
    sandbox's user, and wall-clock seconds (``None``: no limit of its own)."""

    memory_bytes: int = 16 * 2**30
    processes: int = 512
    seconds: float | None = None


@dataclass
class Sandbox:
    """How to build one sandbox's command line.

    ``writable`` maps a folder on the host to the path the sandbox sees it at (the
    private copy of the submission); ``readable`` lists extra host paths shown read-only
    at the same path, ``shown`` maps host paths to where they are shown read-only;
    ``hidden`` lists paths that the sandbox sees as empty folders.
    """

    writable: dict[Path, Path] = field(default_factory=dict)
    readable: list[Path] = field(default_factory=list)
    shown: dict[Path, Path] = field(default_factory=dict)
    hidden: list[Path] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    workdir: Path | None = None

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` run inside the sandbox (raises :class:`SandboxMissing`)."""
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxMissing(
                "Grading needs bubblewrap, the sandbox each submission runs in, and it is "
                "not installed. Install it (Debian/Ubuntu: sudo apt-get install bubblewrap), "
                "then grade again. Nothing was graded.")
        args = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session",
                "--hostname", "grading", "--clearenv"]
        root = os.geteuid() == 0
        if not root:  # an ordinary account: a user namespace maps it to nobody inside
            args += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
        for folder in SYSTEM_FOLDERS:
            if Path(folder).exists():
                args += ["--ro-bind", folder, folder]
        for link, target in SYSTEM_LINKS.items():
            if Path(link).is_symlink():
                args += ["--symlink", target, link]
            elif Path(link).exists():
                args += ["--ro-bind", link, link]
        args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
        made: set[str] = {"/tmp"}  # the folders above each path shown: open to read
        for target in self._targets():
            for parent in reversed(Path(target).parents):
                if str(parent) != "/" and str(parent) not in made:
                    made.add(str(parent))
                    args += ["--perms", "0755", "--dir", str(parent)]
        for path in self.readable:
            if Path(path).exists():
                args += ["--ro-bind", str(path), str(path)]
        for host, inside in self.shown.items():
            args += ["--ro-bind", str(host), str(inside)]
        for path in self.hidden:
            args += ["--tmpfs", str(path)]
        for host, inside in self.writable.items():
            args += ["--bind", str(host), str(inside)]
        if self.workdir is not None:
            args += ["--chdir", str(self.workdir)]
        for name, value in self.environment.items():
            args += ["--setenv", name, value]
        inner = ["prlimit", f"--as={self.limits.memory_bytes}",
                 f"--nproc={self.limits.processes}", "--core=0", "--"]
        if self.limits.seconds is not None:
            inner = ["timeout", "--signal=KILL", str(int(self.limits.seconds))] + inner
        if root:  # become nobody, with no capabilities, before running anything
            inner = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"] + inner
        return args + ["--"] + inner + list(argv)

    def _targets(self) -> list[str]:
        paths = [*map(str, self.readable), *map(str, self.hidden),
                 *map(str, self.writable.values()), *map(str, self.shown.values())]
        return [path for path in paths if not path.startswith(("/usr/", "/etc/"))]


def give_to_sandbox_user(path: Path) -> None:
    """Let the sandbox's user write ``path`` (a folder made for it alone)."""
    if os.geteuid() == 0:
        for folder, _, files in os.walk(path):
            os.chown(folder, NOBODY, NOBODY)
            for name in files:
                os.chown(os.path.join(folder, name), NOBODY, NOBODY)


def python_folders() -> list[Path]:
    """Python and the virtual environment this grader runs in: the sandbox runs the same."""
    places = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent,
              Path(sysconfig.get_paths()["stdlib"]).resolve().parent}
    return sorted(place for place in places if not str(place).startswith(("/usr", "/etc")))


def answers_folder() -> Path | None:
    """Where ``labutils_answers`` is installed, when it is: the sandbox hides it."""
    spec = importlib.util.find_spec("labutils_answers")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def labutils_folder() -> Path:
    """The installed ``labutils`` package the grader trusts."""
    spec = importlib.util.find_spec("labutils")
    if spec is None or spec.origin is None:
        raise RuntimeError("labutils is not installed in the grader's Python.")
    return Path(spec.origin).resolve().parent


def works() -> str | None:
    """None when a sandbox can be made here; otherwise why not, in one sentence."""
    try:
        command = Sandbox(readable=python_folders()).command([sys.executable, "-c", "pass"])
    except SandboxMissing as missing:
        return str(missing)
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        return f"bubblewrap could not make a sandbox here: {result.stderr.strip()[-300:]}"
    return None
