"""A PostgreSQL gradebook on this machine, for grading several submissions at once.

nbgrader's default gradebook is one SQLite file, which takes one writer at a time. For
parallel grading (``tools/course.py grade --workers N``) the course needs a database
server; a university's PostgreSQL will do (``init --db-url postgresql://...``). On one
grading machine without one, this starts Debian's PostgreSQL (``apt-get install
postgresql``) as a private server in a folder of its own, on 127.0.0.1 only::

    python -m tools.gradebook_db start ~/cnn-course/.postgres   # prints the db_url
    python -m tools.course init ~/cnn-course --db-url postgresql://grader@127.0.0.1:54329/gradebook
    python -m tools.gradebook_db stop ~/cnn-course/.postgres

Only the account that started it, and root, should be on that machine: the server trusts
connections from 127.0.0.1 (no password).
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import socket
import subprocess
import sys
from pathlib import Path

USER = "grader"
DATABASE = "gradebook"
DEFAULT_PORT = 54329


class PostgresMissing(RuntimeError):
    """PostgreSQL's server programs are not installed here."""


def programs() -> Path:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda path: int(path.parent.parent.name)
                   if path.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise PostgresMissing("PostgreSQL's server is not installed (no pg_ctl). Debian and "
                          "Ubuntu: sudo apt-get install postgresql")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run as its own account then."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *command]


def _run(command: list[str], folder: Path) -> None:
    result = subprocess.run(_as_owner(command), capture_output=True, text=True, cwd=folder)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed:\n{result.stdout}{result.stderr}")


def url(port: int) -> str:
    return f"postgresql://{USER}@127.0.0.1:{port}/{DATABASE}"


def start(folder: Path, port: int | None = None) -> str:
    """Start a private server whose files live in ``folder`` (made on first use); returns
    the gradebook's ``db_url``."""
    bin_dir = programs()
    folder = folder.expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    port = port or DEFAULT_PORT
    fresh = not data.exists()
    if fresh:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
              "--encoding=UTF8", "--locale=C"], folder)
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
          "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}", "start"], folder)
    (folder / "port").write_text(str(port))
    if fresh:
        _run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER,
              DATABASE], folder)
    return url(port)


def stop(folder: Path) -> None:
    """Stop the server of ``folder`` (its data stays, for the next ``start``)."""
    folder = folder.expanduser().resolve()
    _run([str(programs() / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "-w",
          "stop"], folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("folder", type=Path, help="where the server keeps its files")
    parser.add_argument("--port", type=int, help=f"default: {DEFAULT_PORT}")
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            print(start(args.folder, args.port))
        else:
            stop(args.folder)
    except (PostgresMissing, RuntimeError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
