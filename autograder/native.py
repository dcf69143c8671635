"""nbgrader's own commands on this course: the configuration ``nbgrader_config.py`` loads.

``nbgrader generate_assignment``, ``autograde``, ``generate_feedback``, the formgrader and
the exchange (release_assignment, fetch, submit, collect, release_feedback, fetch_feedback)
then run the same pipeline as ``python -m autograder``: kernels in the bubblewrap sandbox
without the lab's answer key, test cells run in the grader (trusted verdicts), hidden tests
redacted from feedback and student content sanitised, nbgrader's late-penalty plugin with
the course's policy, and the same gradebook (``gradebook.db`` at the course root, or
``COURSE_LIB_DB``).
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets.config import Config

from autograder.bubblewrap import sandbox_problem
from autograder.course import (
    DEFAULT_LABS,
    DEFAULT_SOURCE,
    SETTINGS_FILE,
    CourseSettings,
    Limits,
    nbgrader_config,
    sqlite_url,
)


def course_config(root: Path) -> Config:
    """The nbgrader configuration of the course rooted at ``root``.

    The sandbox is on wherever bubblewrap works; where it cannot (macOS, no user namespaces)
    autograde still runs, with the sandbox off, and says so in its log.
    """
    root = Path(root).resolve()
    settings = CourseSettings.read(root / SETTINGS_FILE)
    problem = sandbox_problem()
    db_url = os.environ.get("COURSE_LIB_DB") or sqlite_url(root / "gradebook.db")
    c = nbgrader_config(root=root, source=root / DEFAULT_SOURCE, db_url=db_url,
                        release=root / DEFAULT_LABS, limits=Limits(sandbox=problem is None),
                        settings=settings)
    # nbgrader's folder names, relative to the root, as its apps and the formgrader expect
    c.CourseDirectory.source_directory = DEFAULT_SOURCE
    c.CourseDirectory.release_directory = DEFAULT_LABS
    c.TrustedExecute.answer_key_source = str(root / DEFAULT_SOURCE)
    c.ExchangeFactory.collect = "autograder.collect.CheckedTimeCollect"  # ctime-checked times
    if problem:
        c.Application.log_level = "WARN"
        print(f"course_lib: no grading sandbox here ({problem}); autograde runs student code "
              "unsandboxed")
    return c
