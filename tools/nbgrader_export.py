"""An nbgrader export plugin: one CSV row per student, one column per exercise.

nbgrader's own ``nbgrader export`` writes one total per student and assignment. An
instructor of this workbook also wants to see *which* exercises a class finds hard, so
this plugin reads the same gradebook and writes, for one assignment (a lab)::

    student_id,name,email,status,check_conv2d_loop,...,total,hours_late,late_penalty,
    total_after_penalty,max_total

``status`` is ``graded``, ``no submission`` (a student of the course who did not hand this
lab in) or, for a submission that could not be graded, the reason that
``tools/course.py grade`` wrote into a JSON file (``ExerciseCsvExport.problems_file``).
``late_penalty`` is the penalty nbgrader's autograde gave a submission handed in after the
lab's due date (``tools/late_penalty.py``); ``total_after_penalty`` is what the student
gets. Hidden tests (worth 0 points) get no column. Used by ``tools/course.py grade``; by
hand::

    nbgrader export --exporter=tools.nbgrader_export.ExerciseCsvExport \\
        --ExerciseCsvExport.assignment=lab01 --ExerciseCsvExport.to=lab01.csv
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Unicode


@dataclass
class Scores:
    """One student's points on one lab, as nbgrader's gradebook holds them."""

    student_id: str
    first_name: str
    last_name: str
    email: str
    lms_user_id: str
    submitted: bool
    points: dict[str, float | None] = field(default_factory=dict)  # by grade id; None: no grade
    seconds_late: float = 0.0
    late_penalty: float = 0.0

    @property
    def total(self) -> float:
        """The points of every exercise, before any late penalty."""
        return sum(score or 0 for score in self.points.values())

    @property
    def final(self) -> float:
        """The points after the late penalty: what the student gets."""
        return self.total - self.late_penalty

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


def graded_cells(gradebook: Gradebook, lab: str) -> list[tuple[str, str, float]]:
    """``(notebook, grade id, points)`` of every check of ``lab`` worth points."""
    assignment = gradebook.find_assignment(lab)
    return [(notebook.name, cell.name, cell.max_score) for notebook in assignment.notebooks
            for cell in notebook.grade_cells if cell.max_score > 0]


def lab_scores(gradebook: Gradebook, lab: str) -> list[Scores]:
    """Every student of the course, by id, with their points on ``lab`` (none for a
    student who did not submit it) and nbgrader's late penalty."""
    cells = graded_cells(gradebook, lab)
    found = []
    for student in sorted(gradebook.students, key=lambda s: s.id):
        row = Scores(student.id, student.first_name or "", student.last_name or "",
                     student.email or "", student.lms_user_id or "", submitted=False)
        found.append(row)
        try:
            submission = gradebook.find_submission(lab, student.id)
        except MissingEntry:
            row.points = {cell: 0.0 for _, cell, _ in cells}
            continue
        row.submitted = True
        row.seconds_late = float(submission.total_seconds_late)
        row.late_penalty = float(submission.late_submission_penalty or 0)
        for notebook, cell, _ in cells:
            try:
                row.points[cell] = gradebook.find_grade(cell, notebook, lab, student.id).score
            except MissingEntry:
                row.points[cell] = None
    return found


def _number(value: float) -> str:
    """``3`` for 3.0, ``2.5`` for 2.5: points as a person writes them."""
    return f"{round(value, 2):g}"


class ExerciseCsvExport(ExportPlugin):
    """Points per student and exercise for each assignment named in ``assignment``."""

    problems_file = Unicode("", help="JSON {student_id: reason} of ungradable submissions"
                            ).tag(config=True)

    def _problems(self) -> dict[str, str]:
        if self.problems_file and os.path.exists(self.problems_file):
            return json.loads(Path(self.problems_file).read_text())
        return {}

    def export(self, gradebook: Gradebook) -> None:
        names = [str(name) for name in self.assignment] or \
            [assignment.name for assignment in gradebook.assignments]
        problems = self._problems()
        for name in names:
            checks = graded_cells(gradebook, name)
            cells = [cell for _, cell, _ in checks]
            max_total = _number(sum(points for _, _, points in checks))
            rows = []
            for scores in lab_scores(gradebook, name):
                if not scores.submitted:  # or handed in but never reached nbgrader
                    status = problems.get(scores.student_id) or "no submission"
                else:
                    graded = all(score is not None for score in scores.points.values())
                    status = problems.get(scores.student_id) or \
                        ("graded" if graded else "not graded")
                rows.append([scores.student_id, scores.name, scores.email, status,
                             *[_number(scores.points[cell] or 0) for cell in cells],
                             _number(scores.total), _number(scores.seconds_late / 3600),
                             _number(scores.late_penalty), _number(scores.final), max_total])
            target = self.to or f"{name}.csv"
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(["student_id", "name", "email", "status", *cells, "total",
                                 "hours_late", "late_penalty", "total_after_penalty",
                                 "max_total"])
                writer.writerows(rows)
            self.log.info("Wrote points per exercise to %s", target)
