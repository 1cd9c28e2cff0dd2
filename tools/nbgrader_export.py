"""An nbgrader export plugin: one CSV row per student, one column per exercise.

nbgrader's own ``nbgrader export`` writes one total per student and assignment. An
instructor of this workbook also wants to see *which* exercises a class finds hard, so
this plugin reads the same gradebook and writes, for one assignment (a lab)::

    student_id,status,check_conv2d_loop,check_conv_param_count,...,total,max_total

``status`` is ``graded``, ``no submission`` (a student of the course who did not hand this
lab in) or, for a submission that could not be graded, the reason that
``tools/course.py grade`` wrote into a JSON file (``ExerciseCsvExport.problems_file``).
Hidden tests (worth 0 points) get no column. Used by ``tools/course.py grade``; by hand::

    nbgrader export --exporter=tools.nbgrader_export.ExerciseCsvExport \\
        --ExerciseCsvExport.assignment=lab01 --ExerciseCsvExport.to=lab01.csv
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Unicode


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
        rows = []
        for name in names:
            assignment = gradebook.find_assignment(name)
            cells = [(notebook.name, cell.name, cell.max_score)
                     for notebook in assignment.notebooks for cell in notebook.grade_cells
                     if cell.max_score > 0]
            header = ["student_id", "status", *[cell for _, cell, _ in cells], "total",
                      "max_total"]
            max_total = sum(points for _, _, points in cells)
            for student in sorted(gradebook.students, key=lambda s: s.id):
                try:
                    gradebook.find_submission(name, student.id)
                except MissingEntry:
                    rows.append([student.id, "no submission", *[0] * len(cells), 0, max_total])
                    continue
                scores = []
                for notebook, cell, _ in cells:
                    try:
                        grade = gradebook.find_grade(cell, notebook, name, student.id)
                        scores.append(grade.score)
                    except MissingEntry:
                        scores.append(None)
                graded = all(score is not None for score in scores)
                status = problems.get(student.id) or ("graded" if graded else "not graded")
                values = [0 if score is None else score for score in scores]
                rows.append([student.id, status, *values, sum(values), max_total])
            target = self.to or f"{name}.csv"
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(header)
                writer.writerows(rows)
            self.log.info("Wrote points per exercise to %s", target)
            rows = []
