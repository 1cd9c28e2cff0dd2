"""Late submissions cost a share of the points per day late (an nbgrader plugin).

nbgrader's own :class:`~nbgrader.plugins.LateSubmissionPlugin` either does nothing or
takes every point (``penalty_method = "zero"``). A course more often takes a share per
started day: with ``percent_per_day = 10``, a submission one minute late keeps 90 % of
its points, 25 hours late 80 %, ten days late none (100 takes every point, as nbgrader's
"zero"; 0 takes none). The course's ``nbgrader_config.py``
names this class (``tools/course.py init``), so ``nbgrader autograde`` stores the penalty
in the gradebook, where the CSV of ``tools/nbgrader_export.py`` reads it. The due dates
come from ``python -m tools.course due COURSE LAB WHEN`` (nbgrader's
``db assignment add LAB --duedate=WHEN``).
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

SECONDS_PER_DAY = 24 * 3600


class DailyLatePenalty(LateSubmissionPlugin):
    """A penalty of ``percent_per_day`` of the points for each started day late."""

    percent_per_day = Float(10.0, min=0.0, help="The share of the points, in percent, "
                            "that each started day late costs").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float,
                                total_seconds_late: float) -> float | None:
        if total_seconds_late <= 0:
            return None
        days = math.ceil(total_seconds_late / SECONDS_PER_DAY)
        return score * min(1.0, days * self.percent_per_day / 100)
