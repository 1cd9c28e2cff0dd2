"""nbgrader's exchange, with the checks a class of strangers needs.

The course's ``nbgrader_config.py`` (``tools/course.py init``) names these classes in
``c.ExchangeFactory``, so nbgrader's own commands use them:

- :class:`CheckedReleaseAssignment`: the course's folders as nbgrader's documentation
  sets them out, plus the sticky bit on ``inbound`` (a student may add a submission, and
  may rename or delete only their own);
- :class:`CheckedSubmit`: a student id is a plain name (letters, digits, ``._@-``); one
  with ``/`` or ``..`` is refused, so nothing is written outside ``inbound``;
- :class:`CheckedCollect`: a submission whose student id is not a plain name, or whose
  files belong to another account than the one it names, is not collected and is listed
  in ``grades/ASSIGNMENT_refused.json``. (On one machine where every student is the
  instructor's own account, as in the tests, the owner cannot tell students apart and
  is not checked.)
"""

from __future__ import annotations

import glob
import json
import os
import re
import stat
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect, groupby
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from nbgrader.exchange.default.submit import ExchangeSubmit

try:
    import pwd
except ImportError:  # pragma: no cover - Windows has no owners to check
    pwd = None  # type: ignore[assignment]

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


def valid_student_id(student_id: str) -> bool:
    """A student id is a plain name: letters, digits and ``._@-``, starting with a letter
    or digit, at most 64 characters (so never ``..`` or a path)."""
    return bool(STUDENT_ID.fullmatch(student_id)) and ".." not in student_id


def owner_name(path: str) -> str | None:
    """The account that owns ``path`` (None where that cannot be told)."""
    if pwd is None:
        return None
    try:
        return pwd.getpwuid(os.stat(path).st_uid).pw_name
    except KeyError:
        return str(os.stat(path).st_uid)


class CheckedReleaseAssignment(ExchangeReleaseAssignment):
    """``release_assignment`` that also makes ``inbound`` sticky."""

    def init_dest(self) -> None:
        super().init_dest()
        mode = os.stat(self.inbound_path).st_mode
        os.chmod(self.inbound_path, stat.S_IMODE(mode) | stat.S_ISVTX)


class CheckedSubmit(ExchangeSubmit):
    """``submit`` that refuses a student id which is not a plain name."""

    def init_dest(self) -> None:
        student_id = self.coursedir.student_id
        if student_id not in ("", "*") and not valid_student_id(student_id):
            self.fail(f"The student id {student_id!r} is not a plain name: use letters, "
                      "digits and . _ @ - only (your login name). Nothing was submitted.")
        super().init_dest()
        inbound = os.path.realpath(self.inbound_path)
        target = os.path.realpath(os.path.join(inbound, self.assignment_filename))
        if os.path.dirname(target) != inbound:
            self.fail(f"The submission would land outside the course's inbound folder "
                      f"({target}). Nothing was submitted.")


class CheckedCollect(ExchangeCollect):
    """``collect`` that leaves out submissions with a bad student id or another owner."""

    def init_src(self) -> None:
        super().init_src()
        pattern = os.path.join(self.inbound_path, f"*+{self.coursedir.assignment_id}+*")
        wanted = self.coursedir.student_id or "*"
        records, refused = [], {}
        myself = owner_name(self.inbound_path)
        for path in glob.glob(pattern):
            record = self._path_to_record(path)
            student = record["username"]
            if wanted != "*" and student != wanted:
                continue
            owner = owner_name(path)
            if not valid_student_id(student):
                refused[record["filename"]] = "the student id is not a plain name"
            elif owner not in (None, student, myself):
                refused[record["filename"]] = (f"submitted as {student} but owned by "
                                               f"{owner}")
            else:
                records.append(record)
        self.src_records = []
        for group in groupby(records, lambda item: item["username"]).values():
            ordered = self._sort_by_timestamp(group)
            if self.duedate is not None and self.before_duedate:
                on_time = [r for r in ordered if r["timestamp"] <= self.duedate]
                ordered = on_time or ordered
            self.src_records.append(ordered[0])
        if refused:
            for name, why in sorted(refused.items()):
                self.log.error("Not collected: %s (%s)", name, why)
            report = Path(self.coursedir.root) / "grades" / \
                f"{self.coursedir.assignment_id}_refused.json"
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text(json.dumps(refused, indent=1, sort_keys=True))
