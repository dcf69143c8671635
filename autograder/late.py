"""Late submissions: nbgrader's late-penalty plugin interface, with a per-day policy.

nbgrader's ``AssignLatePenalties`` preprocessor (part of every autograde, native or through
``python -m autograder grade``) asks the configured plugin for each late notebook's penalty.
The policy comes from ``course.toml`` (``[late]``)::

    penalty = score * min(1, per_day * ceil(seconds_late / 86400))   (0 when on time)
    penalty = score                                   when later than zero_after_days days
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

SECONDS_PER_DAY = 86400.0


def late_penalty(score: float, seconds_late: float, per_day: float,
                 zero_after_days: float) -> float:
    """Points taken off a notebook worth ``score`` submitted ``seconds_late`` seconds late.

    Args:
        score: the notebook's score before the penalty (auto + manual points).
        seconds_late: seconds after the due date (<= 0: on time, no penalty).
        per_day: share of the score lost per started day late (0.1: 10 % a day).
        zero_after_days: later than this many days the whole score is lost (0: never).
    Returns:
        the penalty, between 0 and ``score``.
    """
    if seconds_late <= 0 or score <= 0:
        return 0.0
    days = math.ceil(seconds_late / SECONDS_PER_DAY)
    if zero_after_days and seconds_late > zero_after_days * SECONDS_PER_DAY:
        return float(score)
    return round(float(score) * min(1.0, per_day * days), 4)


class PenaltyPerDay(LateSubmissionPlugin):
    """nbgrader plugin: ``per_day`` of the score per started day late, all of it after
    ``zero_after_days`` days (``c.AssignLatePenalties.plugin_class``)."""

    per_day = Float(0.1, help="share of the score lost per started day late").tag(config=True)
    zero_after_days = Float(7.0, help="days late after which the score is 0 (0: never)").tag(
        config=True)

    def late_submission_penalty(self, student_id: str, score: float,
                                total_seconds_late: float) -> float:
        return late_penalty(score, total_seconds_late, self.per_day, self.zero_after_days)
