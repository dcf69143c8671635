"""nbgrader's configuration for this course (read by every `nbgrader ...` command run here,
by the formgrader and by the Assignment List).

It loads the same pipeline `python -m autograder` runs (autograder/native.py): the sandbox,
trusted test cells, hidden tests kept out of feedback, late penalties from course.toml, and
the gradebook `gradebook.db` in this folder. Set the course id, due dates and late policy in
course.toml; the exchange folder (`c.Exchange.root`) in JupyterHub's own nbgrader config.
"""

from pathlib import Path

from autograder.native import course_config

c = get_config()  # noqa: F821 (given by traitlets when it loads this file)
c.merge(course_config(Path(__file__).resolve().parent))
