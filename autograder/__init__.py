"""The course pipeline: nbgrader configuration and the instructor CLI (``python -m autograder``).

A submission flows through these modules, in order: :mod:`autograder.intake` (find, read and
repair the notebook, refuse what is not one), :mod:`autograder.bubblewrap` and
:mod:`autograder.answer_key` (the kernel's sandbox and its course_lib without the lab's
answer key), :mod:`autograder.sandbox` (nbgrader's execution step: the kernel under limits,
restarts, test cells handed to the grader), :mod:`autograder.trusted`,
:mod:`autograder.proxy`, :mod:`autograder.wire` and :mod:`autograder.kernel_agent` (test
cells run in the grader on data brought from the kernel), then the gradebook and exports in
:mod:`autograder.grade` (which orchestrates, with :mod:`autograder.workers`) and
:mod:`autograder.feedback` (hidden tests redacted).

Around it: :mod:`autograder.course` (layout and nbgrader config), :mod:`autograder.release`,
:mod:`autograder.verify`, :mod:`autograder.validate` (its kernel started early by
:mod:`autograder.early_kernel`), :mod:`autograder.demo`, :mod:`autograder.student_mode` and
:mod:`autograder.collect` (``nbgrader collect`` with submission times checked against the
files' ctime).
"""

import sys

# nbformat's jsonschema imports rfc3987_syntax, which builds about 35 Lark parsers as it is
# imported: 2.2 s of every grader, worker and `validate` start on two cores, for the "iri"
# string format that no notebook or nbgrader schema uses. Marked missing, it is skipped and
# jsonschema leaves that one format unchecked (python-jsonschema/jsonschema#1428).
sys.modules.setdefault("rfc3987_syntax", None)
