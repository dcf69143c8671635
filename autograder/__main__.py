"""``python -m autograder`` (also the ``autograder`` command): the course pipeline.

Run from the course root (the repository). See ``python -m autograder COMMAND --help``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from autograder import early_kernel

# `validate`: the notebook's kernel starts now and boots while the imports below run
EARLY_NOTEBOOK = early_kernel.notebook_to_validate(sys.argv[1:])
EARLY_KERNEL = early_kernel.start(EARLY_NOTEBOOK) if EARLY_NOTEBOOK else None

from autograder.course import (  # noqa: E402 (after the early kernel, on purpose)
    DEFAULT_LABS,
    DEFAULT_MAX_OUTPUT,
    DEFAULT_MAX_SUBMISSION,
    DEFAULT_MEMORY,
    DEFAULT_PROCESSES,
    DEFAULT_SOURCE,
    DEFAULT_TIMEOUT,
    Course,
    CourseError,
    Limits,
)

EPILOG = """\
typical use:
  python -m autograder release              regenerate labs/ from solutions/
  python -m autograder verify               everything consistent? (make test runs it)
  python -m autograder grade subs --out grading_work
  python -m autograder validate labs/00_warmup/00_warmup.ipynb
  python -m autograder demo                 grade made-up students end to end
"""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _size(text: str) -> int:
    """Bytes from ``4G``, ``512M``, ``100k`` or a plain number (0: no limit)."""
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    text = text.strip().lower().removesuffix("b")
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 4G, 512M)") from None


def _add_course_options(p: argparse.ArgumentParser, labs: bool = True) -> None:
    p.add_argument("--source", default=DEFAULT_SOURCE, metavar="DIR",
                   help="folder of the instructor notebooks <lab>/<lab>.ipynb (nbgrader's "
                        "source; may live in a private repository) [default: %(default)s]")
    if labs:
        p.add_argument("--labs", default=DEFAULT_LABS, metavar="DIR",
                       help="folder of the student notebooks (nbgrader's release) "
                            "[default: %(default)s]")


def _add_grading_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 1, metavar="N",
                   help="notebooks graded in parallel [default: os.cpu_count() = %(default)s]")
    p.add_argument("--timeout", type=_positive_int, default=DEFAULT_TIMEOUT, metavar="S",
                   help="seconds one cell may run before it is interrupted and that cell "
                        "fails [default: %(default)s]")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Release, verify, grade and validate the course's labs with nbgrader.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("release", help="regenerate labs/ from the source notebooks",
                       description="Generate the student notebooks (labs/<lab>/<lab>.ipynb) "
                                   "from the source with nbgrader: solutions and hidden tests "
                                   "removed, outputs cleared. Deterministic.")
    p.add_argument("lab", nargs="*", help="lab ids [default: every lab in the source]")
    _add_course_options(p)

    p = sub.add_parser("verify", help="check that labs/ is current and every lab grades right",
                       description="Exit non-zero, with one line per problem, unless labs/ "
                                   "matches a fresh release, the nbgrader metadata is valid, "
                                   "labs/ holds no solution or hidden-test text, every "
                                   "solution earns full marks and every untouched release 0.")
    p.add_argument("lab", nargs="*", help="lab ids [default: every lab in the source]")
    p.add_argument("--quick", action="store_true",
                   help="skip autograding (only sync, metadata and leak checks)")
    _add_course_options(p)
    _add_grading_options(p)

    p = sub.add_parser("grade", help="autograde SUBMISSIONS/<student>/<lab>/<lab>.ipynb",
                       description="Autograde every student's notebooks in parallel, write "
                                   "the gradebook, OUT/grades.csv and feedback HTML under "
                                   "OUT/feedback/<student>/<lab>/, and print a table.")
    p.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                   help="folder with one sub-folder per student")
    p.add_argument("--out", type=Path, default=Path("grading_work"), metavar="DIR",
                   help="output folder [default: %(default)s]")
    p.add_argument("--db", metavar="URL",
                   help="gradebook as an SQLAlchemy URL, e.g. postgresql://user@host/course "
                        "[default: sqlite:///OUT/gradebook.db]")
    p.add_argument("--memory", type=_size, default=DEFAULT_MEMORY, metavar="SIZE",
                   help="memory (address space) one kernel may use, e.g. 4G; 0: no limit "
                        "[default: 4G]")
    p.add_argument("--max-output", type=_size, default=DEFAULT_MAX_OUTPUT, metavar="SIZE",
                   help="text one cell may print while graded (plots 20x, the whole "
                        "notebook 200x); the rest is dropped [default: %(default)s bytes]")
    p.add_argument("--processes", type=_positive_int, default=DEFAULT_PROCESSES, metavar="N",
                   help="processes and threads one kernel may run at once "
                        "[default: %(default)s]")
    p.add_argument("--max-submission", type=_size, default=DEFAULT_MAX_SUBMISSION,
                   metavar="SIZE", help="largest submission folder graded, e.g. 20M; a bigger "
                                        "one gets 0 and a status [default: 20M]")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade without the bubblewrap sandbox (where it cannot run: macOS, no "
                        "user namespaces); student code then shares the grader's files and "
                        "processes, and every row's status says so")
    p.add_argument("--student", action="append", metavar="ID",
                   help="grade only this student's folder (repeatable): a regrade of those "
                        "rows; grades.csv still lists the whole class from the gradebook")
    p.add_argument("--assignment", action="append", metavar="LAB",
                   help="grade only this lab (repeatable) [default: every lab]")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="grade on a Dask cluster, e.g. tcp://scheduler:8786 (pip install "
                        "'.[scale]'; needs --db postgresql://... and shared folders)")
    _add_course_options(p, labs=False)
    _add_grading_options(p)

    p = sub.add_parser("export", help="write the gradebook for an LMS: Canvas, Moodle or CSV",
                       description="Final scores (automatic and written answers' points, "
                                   "less late penalties) of every student and lab, as Canvas's "
                                   "gradebook import, Moodle's grade import or plain CSV.")
    p.add_argument("--format", choices=("canvas", "moodle", "csv"), default="csv",
                   help="[default: %(default)s]")
    p.add_argument("--roster", type=Path, metavar="FILE",
                   help="CSV with student_id and optional first_name, last_name, email, "
                        "sis_user_id, sis_login_id, section, canvas_id")
    p.add_argument("--db", default="sqlite:///gradebook.db", metavar="URL",
                   help="the gradebook [default: %(default)s, nbgrader's in the course root]")
    p.add_argument("--to", type=Path, metavar="FILE",
                   help="output file [default: grades-FORMAT.csv]")
    p.add_argument("--assignment", action="append", metavar="LAB", help="only this lab "
                                                                      "(repeatable)")
    p.add_argument("--student", action="append", metavar="ID", help="only this student "
                                                                    "(repeatable)")

    p = sub.add_parser("validate", help="run a notebook's tests before you submit it",
                       description="Run the notebook from the top and report every test "
                                   "cell; exit 1 if any fails.")
    p.add_argument("notebook", type=Path, metavar="NOTEBOOK",
                   help="the notebook to check, e.g. labs/00_warmup/00_warmup.ipynb")
    p.add_argument("--timeout", type=_positive_int, default=DEFAULT_TIMEOUT, metavar="S",
                   help="seconds one cell may run [default: %(default)s]")

    p = sub.add_parser("demo", help="grade made-up students (perfect, untouched, one wrong)",
                       description="For every lab build three submissions (perfect, "
                                   "untouched, one wrong answer), grade them in parallel and "
                                   "check the scores. Exit 1 if an expectation fails.")
    p.add_argument("--out", type=Path, default=Path("demo_out"), metavar="DIR",
                   help="output folder [default: %(default)s]")
    _add_course_options(p, labs=False)
    _add_grading_options(p)

    p = sub.add_parser("student-mode", help="set up nbgrader's JupyterLab extensions for "
                                            "students (make lab, Binder)",
                       description="Disable and lock nbgrader's formgrader, "
                                   "create-assignment, assignment-list and course-list in this "
                                   "environment; keep the Validate button and give it the "
                                   "grading time limit per cell (nbgrader_config.py).")
    p.add_argument("--level", choices=("sys_prefix", "user"), default="sys_prefix",
                   help="this environment (sys_prefix) or $JUPYTER_CONFIG_DIR (user) "
                        "[default: %(default)s]")
    p.add_argument("--undo", action="store_true", help="re-enable the instructor extensions")
    return parser


def _cmd_release(args: argparse.Namespace, course: Course) -> int:
    from autograder.release import release

    start = time.perf_counter()
    report = release(course, course.select(args.lab))
    for path, state in report:
        print(f"{state:9} {path}")
    written = sum(state != "unchanged" for _, state in report)
    seconds = time.perf_counter() - start
    print(f"release: {len(report)} file(s), {written} changed ({seconds:.1f} s)")
    return 0


def _cmd_verify(args: argparse.Namespace, course: Course) -> int:
    from autograder.verify import verify

    return 1 if verify(course, args.lab, args.workers, args.timeout, grade=not args.quick) else 0


def _cmd_grade(args: argparse.Namespace, course: Course) -> int:
    from autograder.grade import format_summary, format_table, grade_submissions, summarize

    limits = Limits(timeout=args.timeout, memory=args.memory, max_output=args.max_output,
                    processes=args.processes, max_submission=args.max_submission,
                    sandbox=not args.no_sandbox)
    start = time.perf_counter()
    results = grade_submissions(course, args.submissions, args.out, workers=args.workers,
                                db_url=args.db, limits=limits, dask=args.dask,
                                assignments=args.assignment, students=args.student)
    elapsed = time.perf_counter() - start
    print()
    print(format_table(results))
    print()
    print(format_summary(summarize(results)))
    print(f"(plot: {args.out / 'summary.png'})")
    print()
    where = f"Dask at {args.dask}" if args.dask else f"{args.workers} worker(s)"
    print(f"grade: {len(results)} submission(s) in {elapsed:.1f} s with {where}; "
          f"{args.out / 'grades.csv'}, feedback in {args.out / 'feedback'}")
    return 0


def _cmd_export(args: argparse.Namespace, course: Course) -> int:
    from autograder.export import export_grades

    dest = args.to or Path(f"grades-{args.format}.csv")
    count = export_grades(args.db, course.course_id, args.format, dest, args.roster,
                          args.assignment or (), args.student or ())
    print(f"export: {count} student(s) as {args.format} in {dest}")
    return 0


def _cmd_validate(args: argparse.Namespace, course: Course) -> int:
    from autograder.validate import report, validate_notebook

    early = EARLY_KERNEL if EARLY_NOTEBOOK is not None and \
        EARLY_NOTEBOOK.resolve() == args.notebook.resolve() else None
    try:
        outcomes, problems, crashes = validate_notebook(args.notebook, args.timeout, early)
    finally:
        early_kernel.stop(EARLY_KERNEL)
    text, ok = report(args.notebook, outcomes, problems, crashes)
    print(text)
    return 0 if ok else 1


def _cmd_demo(args: argparse.Namespace, course: Course) -> int:
    from autograder.demo import demo

    return 0 if demo(course, args.out, args.workers, args.timeout) else 1


def _cmd_student_mode(args: argparse.Namespace, course: Course) -> int:
    from autograder.student_mode import apply_student_mode

    for line in apply_student_mode(args.level, args.undo):
        print(f"student-mode ({args.level}): {line}")
    return 0


COMMANDS = {
    "release": _cmd_release, "verify": _cmd_verify, "grade": _cmd_grade,
    "export": _cmd_export,
    "validate": _cmd_validate, "demo": _cmd_demo, "student-mode": _cmd_student_mode,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m autograder`` and the ``autograder`` script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        course = Course.at(".", getattr(args, "source", DEFAULT_SOURCE),
                           getattr(args, "labs", DEFAULT_LABS))
        return COMMANDS[args.command](args, course)
    except CourseError as err:
        print(f"{parser.prog} {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog} {args.command}: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The ``autograder`` command and ``python -m autograder``: :func:`main`, then exit with
    its status. Everything the command loaded is frozen first (``gc.freeze``), so that the
    interpreter's last garbage collection skips it: with nbgrader, NumPy and matplotlib
    loaded, that collection took 0.6-1 s after the work was done (``validate`` and ``grade``
    alike). The exit handlers still run."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
