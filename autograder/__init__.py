"""The course pipeline: nbgrader configuration and the instructor CLI (``python -m autograder``).

Modules: :mod:`autograder.course` (layout and nbgrader config), :mod:`autograder.release`,
:mod:`autograder.verify`, :mod:`autograder.grade` (parallel autograding, one gradebook
writer), :mod:`autograder.feedback` (feedback without hidden tests),
:mod:`autograder.validate`, :mod:`autograder.demo`, :mod:`autograder.student_mode`,
:mod:`autograder.intake` (broken submissions), :mod:`autograder.sandbox` (kernel limits,
restarts) and :mod:`autograder.kernel_guard` (tampering checks inside the kernel).
"""
