"""A course on disk, and the nbgrader configuration every command is driven by.

Layout (nbgrader's ``directory_structure`` with the student id ``.``)::

    solutions/<lab>/<lab>.ipynb   nbgrader source: solutions and hidden tests (``--source``)
    labs/<lab>/<lab>.ipynb        nbgrader release: what students open (``--labs``)

Grading state (submitted, autograded, feedback, the gradebook) never lives in the course
folders: each command works in its own temporary course directory or in the ``--out``
folder it is given.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbgrader.api
import zmq
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import GetGrades
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from autograder.bubblewrap import THREAD_VARS
from autograder.crashes import ExplainCrashes
from autograder.feedback import (
    FeedbackHTMLExporter,
    RedactHiddenTests,
    SanitizeStudentContent,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_SOURCE = "solutions"
DEFAULT_LABS = "labs"
#: Seconds one cell may run before nbgrader interrupts the kernel.
DEFAULT_TIMEOUT = 120
#: The course id when ``course.toml`` names none.
COURSE_ID = "course_lib"
#: The course's settings file, at the course root (see :class:`CourseSettings`).
SETTINGS_FILE = "course.toml"
#: The course part of every hidden-test seed (see course_lib.grading.hidden_rng).
COURSE_SEED_ID = "course_lib"
#: Address-space limit of a grading kernel (bytes).
DEFAULT_MEMORY = 4 * 1024**3
#: Text output one cell may produce while graded before the rest is dropped (bytes).
DEFAULT_MAX_OUTPUT = 100_000
#: Processes (and threads) one grading kernel may run at once.
DEFAULT_PROCESSES = 64
#: Largest submission folder graded (bytes); a bigger one gets a status instead.
DEFAULT_MAX_SUBMISSION = 20 * 1024**2


@dataclass(frozen=True)
class Limits:
    """Per-submission limits while grading (``grade --timeout/--memory/--max-output/...``).

    Attributes:
        timeout: seconds one cell may run before it is interrupted (nbgrader's
            ``Execute.timeout``); a trusted test cell's calls into the kernel share it.
        memory: address-space limit of the kernel process in bytes (``RLIMIT_AS``; 0: none).
        max_output: bytes of output one cell may produce; the rest is dropped (0: no cap).
        processes: processes and threads the kernel may run at once (0: no limit).
        max_submission: largest submission folder graded, bytes (0: no limit).
        sandbox: run each kernel in a bubblewrap sandbox (see :mod:`autograder.bubblewrap`).
        trusted: run test cells in the grader (:mod:`autograder.trusted`); False runs them in
            the kernel as plain nbgrader does, with the answer key left in (for comparisons
            only: student code can then change its own verdicts).
    """

    timeout: int = DEFAULT_TIMEOUT
    memory: int = DEFAULT_MEMORY
    max_output: int = DEFAULT_MAX_OUTPUT
    processes: int = DEFAULT_PROCESSES
    max_submission: int = DEFAULT_MAX_SUBMISSION
    sandbox: bool = True
    trusted: bool = True


# nbgrader's gradebook code trips SQLAlchemy 2's autoflush warnings; they are harmless.
warnings.filterwarnings("ignore", category=SAWarning, module=r"nbgrader\.")


class CourseError(Exception):
    """A problem the person running the command can fix (message says how)."""


def parse_due(text: str, lab: str) -> dt.datetime:
    """A due date from ``course.toml``: ISO 8601, UTC when no zone is given; naive UTC out
    (nbgrader keeps naive UTC datetimes in the gradebook)."""
    try:
        when = dt.datetime.fromisoformat(str(text))
    except ValueError as err:
        raise CourseError(f"{SETTINGS_FILE}: due date of {lab} is not ISO 8601 "
                          f"(2027-01-18T23:59:00+00:00): {text!r}") from err
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when


@dataclass(frozen=True)
class CourseSettings:
    """What an instructor sets once (``course.toml`` at the course root).

    Attributes:
        course_id: nbgrader's course id (exchange, formgrader, gradebook rows).
        install_from: what a lab's first cell gives ``pip install`` when course_lib is missing.
        due: due date per lab (naive UTC); labs not listed are never late.
        late_per_day: share of a notebook's score lost per started day late.
        late_zero_after_days: later than this many days, the score is 0 (0: never).
    """

    course_id: str = COURSE_ID
    install_from: str = "course_lib"
    due: Mapping[str, dt.datetime] = field(default_factory=dict)
    late_per_day: float = 0.0
    late_zero_after_days: float = 0.0

    @classmethod
    def read(cls, path: Path) -> CourseSettings:
        """The settings in ``path`` (defaults when the file does not exist)."""
        if not path.is_file():
            return cls()
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as err:
            raise CourseError(f"{path}: not valid TOML: {err}") from err
        course, late = data.get("course", {}), data.get("late", {})
        return cls(
            course_id=str(course.get("id", COURSE_ID)),
            install_from=str(course.get("install_from", "course_lib")),
            due={lab: parse_due(when, lab) for lab, when in data.get("due", {}).items()},
            late_per_day=float(late.get("per_day", 0.0)),
            late_zero_after_days=float(late.get("zero_after_days", 0.0)),
        )


@dataclass(frozen=True)
class Course:
    """Where a course's source and release folders are, and its settings.

    Attributes:
        root: the course root (absolute), normally the repository.
        source: absolute path of the nbgrader source folder (``solutions/``).
        labs: absolute path of the nbgrader release folder (``labs/``).
        settings: ``course.toml`` (course id, due dates, late policy, install location).
    """

    root: Path
    source: Path
    labs: Path
    settings: CourseSettings = CourseSettings()

    @classmethod
    def at(
        cls, root: str | Path = ".", source: str | Path = DEFAULT_SOURCE,
        labs: str | Path = DEFAULT_LABS,
    ) -> Course:
        """The course rooted at ``root``; relative ``source``/``labs`` are taken from it."""
        root = Path(root).resolve()
        return cls(root=root, source=(root / source).resolve(), labs=(root / labs).resolve(),
                   settings=CourseSettings.read(root / SETTINGS_FILE))

    @property
    def course_id(self) -> str:
        return self.settings.course_id

    def lab_ids(self) -> list[str]:
        """Every lab in the source folder: each ``<lab>/<lab>.ipynb``, sorted by name."""
        if not self.source.is_dir():
            raise CourseError(f"source folder {self.source} does not exist (see --source)")
        return sorted(
            d.name for d in self.source.iterdir()
            if d.is_dir() and not d.name.startswith(".") and (d / f"{d.name}.ipynb").is_file()
        )

    def select(self, wanted: Sequence[str] | None) -> list[str]:
        """``wanted`` labs checked against the source folder; all labs when empty."""
        known = self.lab_ids()
        if not known:
            raise CourseError(f"no labs in {self.source}: expected <lab>/<lab>.ipynb folders")
        if not wanted:
            return known
        unknown = [lab for lab in wanted if lab not in known]
        if unknown:
            raise CourseError(
                f"unknown lab(s) {', '.join(unknown)}; labs in {self.display(self.source)}: "
                + ", ".join(known)
            )
        return list(dict.fromkeys(wanted))

    def source_notebook(self, lab: str) -> Path:
        return self.source / lab / f"{lab}.ipynb"

    def release_notebook(self, lab: str) -> Path:
        return self.labs / lab / f"{lab}.ipynb"

    def display(self, path: Path) -> str:
        """``path`` relative to the course root when inside it (for messages)."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


@functools.cache
def gradebook_schema_version() -> str:
    """The schema version (alembic head) nbgrader writes into every new gradebook.

    nbgrader asks the ``alembic heads`` command for it, in a subprocess, each time it creates
    a gradebook: about 4 s on two cores (a Python start and alembic's imports), twice per
    ``grade`` run and once per test that grades. It is a constant of the installed nbgrader,
    so it is read once per process with alembic's own API, from the same scripts.
    """
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import _temp_alembic_ini

    with _temp_alembic_ini("sqlite://") as ini:
        return str(ScriptDirectory.from_config(AlembicConfig(ini)).get_current_head())


#: nbgrader's own function, kept for the test that compares the two
nbgrader_schema_version = nbgrader.api.get_alembic_version
nbgrader.api.get_alembic_version = gradebook_schema_version


def is_autograded_test(cell: NotebookNode) -> bool:
    """A test cell the grader scores (graded, not an answer: written answers are manual)."""
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def automatic_points(nb: NotebookNode) -> dict[str, float]:
    """Points of each test cell the grader scores, by grade id, in notebook order."""
    return {c.metadata.nbgrader["grade_id"]: float(c.metadata.nbgrader["points"])
            for c in nb.cells if is_autograded_test(c)}


def scripts_on_path() -> None:
    """Put this interpreter's script folder on ``PATH`` (idempotent).

    nbgrader stamps a new gradebook by running the ``alembic`` executable, which a venv
    has in its ``bin/`` folder; that folder is not on ``PATH`` when the venv's Python is run
    without activating the venv (``.venv/bin/python -m autograder``, the Makefile).
    """
    scripts = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ["PATH"] = scripts + (os.pathsep + path if path else "")


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of an SQLite file."""
    return f"sqlite:///{Path(path).resolve()}"


#: The kernel argument that draws a graded notebook's figures without trimming them.
GRADED_FIGURES = "--InlineBackend.print_figure_kwargs={'bbox_inches': None}"


def execution_config(timeout: int = DEFAULT_TIMEOUT) -> Config:
    """How nbgrader runs notebooks (autograde and validate): the per-cell time limit."""
    c = Config()
    # nbgrader's Execute preprocessor redefines `timeout` with its own default (30 s), so
    # `Execute.timeout` is the option nbgrader honours; `ExecutePreprocessor.timeout` is
    # ignored (jupyter/nbgrader#1463). On timeout Execute interrupts the kernel, records a
    # CellTimeoutError in that cell and goes on with the next cell.
    c.Execute.timeout = int(timeout)
    # Once the last cell has run, the kernel is killed rather than asked to shut down and
    # waited for (a second per notebook): everything it had to say has been collected.
    c.Execute.shutdown_kernel = "immediate"
    # Figures are drawn once, at the size they were made: inline's default trims each one to
    # its contents (bbox_inches="tight"), which draws it twice, a third of lab 00's run.
    c.Execute.extra_arguments = [GRADED_FIGURES]
    # Encrypt kernel traffic (CurveZMQ) when libzmq and the kernelspec support it.
    if zmq.has("curve"):
        c.KernelManager.transport_encryption = "auto"
    return c


def nbgrader_config(
    *,
    root: Path,
    source: Path,
    db_url: str,
    release: Path | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    limits: Limits | None = None,
    answer_key_dir: Path | None = None,
    work_root: Path | None = None,
    settings: CourseSettings | None = None,
) -> Config:
    """The traitlets ``Config`` for nbgrader's converters and validator.

    Args:
        root: nbgrader's course root (``CourseDirectory.root``); submitted/, autograded/ and
            feedback/ are created under it.
        source: the source folder (absolute paths work as ``source_directory``).
        db_url: the gradebook (SQLAlchemy URL).
        release: the release folder, for generate_assignment.
        timeout: seconds a cell may run (when ``limits`` is not given).
        limits: grading limits; given, autograding runs each kernel under them through
            :class:`autograder.sandbox.TrustedExecute` (sandbox, trusted test cells,
            kernel restarts).
        answer_key_dir: a course_lib without the lab's answer key, for the sandbox.
        work_root: where kernels get their private working folders (default: /tmp).
        settings: the course's settings (course id, late policy); defaults when None.
    Returns:
        the configuration.
    """
    scripts_on_path()
    settings = settings or CourseSettings()
    c = execution_config(limits.timeout if limits else timeout)
    if limits is not None:
        _sandbox_config(c, limits, answer_key_dir, work_root)
    late_config(c, settings)
    # the course's release steps after nbgrader's (autograder/release_steps.py)
    from nbgrader.converters import GenerateAssignment

    from autograder.release_steps import CanonicalCells, InsertInstallCell, RecordDueDate

    defaults = GenerateAssignment.class_traits()["preprocessors"].default()
    c.GenerateAssignment.preprocessors = [*defaults, InsertInstallCell, RecordDueDate,
                                          CanonicalCells]
    c.InsertInstallCell.install_from = settings.install_from
    c.RecordDueDate.due_dates = {lab: f"{when.isoformat()} UTC"
                                 for lab, when in settings.due.items()}
    c.RecordDueDate.course_id = settings.course_id
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = settings.course_id
    c.CourseDirectory.source_directory = str(source)
    if release is not None:
        c.CourseDirectory.release_directory = str(release)
    c.CourseDirectory.db_url = db_url
    # A test cell a student deleted is put back (and run) rather than scored as missing.
    c.OverwriteCells.add_missing_cells = True
    # Feedback: hidden tests' source and tracebacks never reach the student, ungraded cells
    # that crashed are summed up with their likely cause, and what the student wrote
    # (Markdown, HTML outputs, SVG, error messages) goes through bleach before it is HTML.
    c.GenerateFeedback.preprocessors = [GetGrades, RedactHiddenTests, ExplainCrashes,
                                        SanitizeStudentContent, CSSHTMLHeaderPreprocessor]
    c.GenerateFeedback.exporter_class = FeedbackHTMLExporter
    c.SanitizeStudentContent.enabled = True  # nbconvert's preprocessors are off unless enabled
    c.SanitizeStudentContent.strip = True
    c.SanitizeStudentContent.tags = [
        "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table",
        "tbody", "td", "th", "thead", "tr", "ul"]
    c.SanitizeStudentContent.attributes = {"a": ["href", "title"], "img": ["src", "alt"],
                                           "span": ["class"], "code": ["class"]}
    c.HTMLExporter.sanitize_html = True
    return c


def late_config(c: Config, settings: CourseSettings) -> None:
    """Late penalties through nbgrader's plugin interface (:mod:`autograder.late`)."""
    c.AssignLatePenalties.plugin_class = "autograder.late.PenaltyPerDay"
    c.PenaltyPerDay.per_day = settings.late_per_day
    c.PenaltyPerDay.zero_after_days = settings.late_zero_after_days


def _sandbox_config(
    c: Config, limits: Limits, answer_key_dir: Path | None, work_root: Path | None
) -> None:
    """Autograde through :class:`~autograder.sandbox.TrustedExecute` under ``limits``."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    from autograder.sandbox import TrustedExecute

    c.Autograde.autograde_preprocessors = [
        TrustedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
        AssignLatePenalties, CheckCellMetadata,
    ]
    c.TrustedExecute.max_output_bytes = int(limits.max_output)
    c.TrustedExecute.trusted = bool(limits.trusted)
    c.TrustedExecute.course_id = COURSE_SEED_ID
    c.SandboxedKernelManager.memory_limit = int(limits.memory)
    c.SandboxedKernelManager.process_limit = int(limits.processes)
    c.SandboxedKernelManager.sandbox = bool(limits.sandbox)
    c.SandboxedKernelManager.answer_key_course_lib = str(answer_key_dir or "") \
        if limits.trusted else ""
    c.SandboxedKernelManager.work_root = str(work_root or "")
    c.SandboxedKernelManager.threads = os.environ.get(KERNEL_THREADS, "")


def course_directory(config: Config, assignment: str, student: str = ".") -> CourseDirectory:
    """nbgrader's ``CourseDirectory`` for one lab (its notebook is ``<lab>.ipynb``)."""
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    coursedir.notebook_id = assignment
    coursedir.student_id = student
    return coursedir


@contextlib.contextmanager
def captured_nbgrader_log() -> Iterator[list[str]]:
    """Collect nbgrader's warnings and errors (its ``traitlets`` logger) instead of printing.

    Yields:
        a list that fills with one formatted message per record.
    """
    logger = logging.getLogger("traitlets")
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = _Collect(level=logging.WARNING)
    old_propagate, old_level = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = old_propagate, old_level


def first_error(messages: Sequence[str]) -> str:
    """The most telling line of a captured nbgrader log (the last exception line)."""
    lines = [line.strip() for m in messages for line in m.splitlines() if line.strip()]
    for line in reversed(lines):
        if ("Error" in line or "Exception" in line) and not line.startswith(("File ", "^")):
            return line
    return lines[-1] if lines else "unknown error"


#: Where a grading worker keeps its kernels' share of the cores (threads per kernel).
KERNEL_THREADS = "AUTOGRADER_KERNEL_THREADS"


def limit_threads(threads: int) -> None:
    """Share the cores out in a grading worker: each kernel it starts gets ``threads``
    BLAS/OpenMP threads (or the grader's ``OMP_NUM_THREADS``, when set), and its own work (the
    trusted test cells, on small arrays) runs on one: a thread pool whose threads wait for
    busy cores costs more than it saves (torch's ``max_pool2d`` on a small input took 1-2.6 ms
    with two threads beside a running kernel, 15 us with one)."""
    os.environ.setdefault(KERNEL_THREADS,
                          os.environ.get("OMP_NUM_THREADS") or str(max(1, threads)))
    for var in THREAD_VARS:
        os.environ[var] = "1"
