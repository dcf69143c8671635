"""``grade``: autograde every submission in parallel, then write one gradebook serially.

SQLite has a single writer, so workers never share a gradebook. Each worker autogrades one
(student, lab) with nbgrader's ``Autograde`` converter in a private course directory (a
temporary folder with its own copy of a template gradebook that already holds the
assignments), makes the feedback there with ``GenerateFeedback``, and returns the per-cell
scores. The parent alone then writes every result into the final gradebook (``--db``:
SQLite by default, any SQLAlchemy URL such as PostgreSQL for a large course), then
``grades.csv``, and prints a student x lab table.

A submission that cannot be graded (missing, not JSON, kernel died) still gets a row: score
0 and a status that says why.
"""

from __future__ import annotations

import csv
import importlib
import os
import shutil
import tempfile
import threading
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.utils import parse_utc

from autograder.answer_key import redacted_course_lib
from autograder.bubblewrap import sandbox_problem
from autograder.course import (
    COURSE_ID,
    COURSE_SEED_ID,
    DEFAULT_TIMEOUT,
    Course,
    CourseError,
    CourseSettings,
    Limits,
    captured_nbgrader_log,
    course_directory,
    first_error,
    nbgrader_config,
    scripts_on_path,
    sqlite_url,
)
from autograder.early_kernel import DEFAULT_KERNEL_IMPORTS, kernel_imports
from autograder.feedback import short_error
from autograder.intake import load_submission
from autograder.late import late_penalty
from autograder.release import generate_release
from autograder.trusted import test_cell_imports
from autograder.workers import Workers
from course_lib.grading import seed_text

#: grades.csv: ``score`` is what counts (raw score less the late penalty, never below 0), as
#: in ``nbgrader export``; ``timestamp`` is the submission's (timestamp.txt), UTC.
CSV_COLUMNS = ["student_id", "assignment", "score", "max_score", "raw_score", "late_penalty",
               "timestamp", "seconds_late", "manual_pending", "status", "seconds", "feedback"]
#: Largest timestamp.txt read (nbgrader writes one line).
MAX_TIMESTAMP_BYTES = 200


@dataclass
class CellResult:
    """One graded cell: its grade_id, points earned and possible, why points were lost.

    ``manual`` cells (written answers) are scored by a person in the formgrader; the grader
    leaves their score alone.
    """

    grade_id: str
    score: float
    max_score: float
    error: str = ""
    manual: bool = False


@dataclass
class GradeResult:
    """The outcome of grading one student's notebook for one lab."""

    student: str
    lab: str
    score: float
    max_score: float
    status: str
    seconds: float
    cells: list[CellResult] = field(default_factory=list)
    feedback: str = ""
    timestamp: str = ""  # when it was submitted (timestamp.txt), as nbgrader read it
    extra_files: tuple[str, ...] = ()  # nbgrader's submission files copied beside feedback

    @property
    def auto_score(self) -> float:
        return sum(c.score for c in self.cells if not c.manual)

    @property
    def auto_max_score(self) -> float:
        """Points the grader decides (the total less written answers)."""
        return sum(c.max_score for c in self.cells if not c.manual) if self.cells \
            else self.max_score


@dataclass(frozen=True)
class GradeJob:
    """Everything a worker needs to grade one submission (picklable)."""

    student: str
    lab: str
    notebook: Path
    source: Path
    template_db: Path
    out: Path
    max_score: float
    feedback: bool = True
    limits: Limits = Limits()
    answer_key: Path | None = None  # the lab's course_lib without its answer key
    nbgrader_id: str = ""  # the student's id inside nbgrader's folders (safe for its globs)
    settings: CourseSettings = CourseSettings()  # course id, late policy
    prestart: bool = False  # start the next submission's kernel while this one is graded


def _cell_problem(cell: nbformat.NotebookNode) -> str:
    """Why a graded cell lost points, from its outputs (first error, else stderr)."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return short_error(output)
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stderr":
            lines = output.text.strip().splitlines()
            return "wrote to stderr: " + (lines[-1] if lines else "")
    return ""


def _cell_label(cell: nbformat.NotebookNode, index: int) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id") or f"#{index + 1}"


#: Error names the grading kernel writes into a cell, and what the status says about them.
_EVENTS = (
    ("CellTimeoutError", "timeout in cell {cells} (over {timeout} s)"),
    ("MemoryError", "memory limit hit in cell {cells}"),
    ("DeadKernelError", "kernel died in cell {cells} (restarted)"),
    ("KernelUnresponsive", "kernel stopped answering in cell {cells} (restarted)"),
    ("NotRun", "cells not run after repeated kernel deaths: {cells}"),
    ("GraderConnectionError", "the kernel refused the grader in {cells} (no points for "
                              "those cells)"),
    ("KernelProtocolError", "the kernel broke the grading protocol in {cells} (no points for "
                            "those cells)"),
)


#: Cells a status names before "and N more".
CELLS_NAMED = 5


def _notes_from_autograded(nb: nbformat.NotebookNode, timeout: int) -> list[str]:
    """Unusual events worth a status: limits hit, kernel deaths, tampering, cells put back."""
    notes = []
    for ename, text in _EVENTS:
        hits = [
            (_cell_label(cell, i), o) for i, cell in enumerate(nb.cells)
            for o in cell.get("outputs", []) if o.get("ename") == ename
        ]
        if hits:
            cells = ", ".join(dict.fromkeys(label for label, _ in hits))
            detail = str(hits[0][1].get("evalue", ""))
            notes.append(text.format(cells=cells, timeout=timeout, detail=detail))
    cut = [
        _cell_label(cell, i) for i, cell in enumerate(nb.cells)
        if any(o.get("output_type") == "stream" and "[autograder: output over" in o.get("text", "")
               for o in cell.get("outputs", []))
    ]
    if cut:
        named = ", ".join(cut[:CELLS_NAMED]) + (f" and {len(cut) - CELLS_NAMED} more"
                                                if len(cut) > CELLS_NAMED else "")
        notes.append(f"output cut in cell {named} (over the size limit)")
    restored = [
        _cell_label(cell, i) for i, cell in enumerate(nb.cells)
        if "was missing from the submission" in cell.source.split("\n", 1)[0]
    ]
    if restored:
        notes.append(f"deleted cell {', '.join(restored)} put back")
    return notes


def answer_key_for(course: Course, lab: str, into: Path) -> Path:
    """The lab's course_lib without its answer key, for the sandbox (built once per run)."""
    source_nb = nbformat.read(course.source_notebook(lab), as_version=4)
    return redacted_course_lib(source_nb, lab, into)


def copy_atomic(source: Path, target: Path) -> None:
    """Copy a file so that ``target`` is never seen half-written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


#: Said in the status of every row graded with ``--no-sandbox``.
NO_SANDBOX = "graded without sandbox"


def _failed(job: GradeJob, status: str, start: float, max_score: float) -> GradeResult:
    if not job.limits.sandbox:
        status = f"{status}; {NO_SANDBOX}"
    return GradeResult(job.student, job.lab, 0.0, max_score, status, time.perf_counter() - start)


def grade_one(job: GradeJob) -> GradeResult:
    """Autograde one submission in a private nbgrader course directory.

    Args:
        job: the submission and where things are.
    Returns:
        the result; never raises for a bad submission (the status says what went wrong).
    """
    start = time.perf_counter()
    try:
        return _grade_one(job, start)
    except Exception as err:  # never a missing row
        return _failed(job, f"grader error: {type(err).__name__}: {err}", start, job.max_score)


#: nbgrader's files beside a submitted notebook that feedback needs (release_feedback).
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


def submission_files(folder: Path) -> dict[str, str]:
    """nbgrader's small files of a submission folder (regular files only, a few bytes)."""
    found = {}
    for name in SUBMISSION_FILES:
        path = folder / name
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_TIMESTAMP_BYTES:
            found[name] = path.read_text(errors="replace")
    return found


def _grade_one(job: GradeJob, start: float) -> GradeResult:
    max_score = job.max_score
    source_nb = nbformat.read(job.source / job.lab / f"{job.lab}.ipynb", as_version=4)
    intake = load_submission(job.notebook.parent, job.lab, source_nb,
                             job.limits.max_submission)
    if intake.notebook is None:
        return _failed(job, "; ".join([*intake.notes, intake.fatal]), start, max_score)

    limits = job.limits
    student_id = job.nbgrader_id or job.student
    with tempfile.TemporaryDirectory(prefix="autograder-grade-") as tmp:
        root = Path(tmp)
        shutil.copyfile(job.template_db, root / "gradebook.db")
        submitted = root / "submitted" / student_id / job.lab
        submitted.mkdir(parents=True)
        # only the notebook: nothing else a student ships reaches the kernel (nbgrader reads
        # timestamp.txt beside it, for lateness)
        nbformat.write(intake.notebook, submitted / f"{job.lab}.ipynb")
        extra = submission_files(job.notebook.parent)
        for name, text in extra.items():
            (submitted / name).write_text(text)
        config = nbgrader_config(
            root=root, source=job.source, db_url=sqlite_url(root / "gradebook.db"),
            limits=limits, answer_key_dir=job.answer_key, work_root=root / "kernels",
            settings=job.settings,
        )
        config.TrustedExecute.student = job.student  # seeds use the real id
        config.TrustedExecute.prestart_next = job.prestart
        config.TrustedExecute.kernel_imports = list(kernel_imports(source_nb.metadata))
        coursedir = course_directory(config, job.lab, student_id)
        with captured_nbgrader_log() as log:
            try:
                Autograde(coursedir=coursedir, config=config, force=True).start()
            except Exception as err:
                reason = first_error([*log, str(err)])
                return _failed(job, "; ".join([*intake.notes, f"autograding failed: {reason}"]),
                               start, max_score)
        autograded = root / "autograded" / student_id / job.lab / f"{job.lab}.ipynb"
        nb = nbformat.read(autograded, as_version=4)
        problems = {
            cell.metadata.nbgrader["grade_id"]: _cell_problem(cell)
            for cell in nb.cells if utils.is_grade(cell)
        }
        with Gradebook(sqlite_url(root / "gradebook.db"), job.settings.course_id) as gb:
            submission = gb.find_submission_notebook(job.lab, job.lab, student_id)
            cells = [
                CellResult(
                    g.name, float(g.auto_score or 0.0), float(g.max_score),
                    "" if (g.auto_score or 0.0) >= g.max_score else problems.get(g.name, ""),
                    manual=g.auto_score is None,
                )
                for g in submission.grades
            ]
            stamp = gb.find_submission(job.lab, student_id).timestamp
        notes = intake.notes + _notes_from_autograded(nb, limits.timeout)
        if not limits.sandbox:
            notes.append(NO_SANDBOX)
        result = GradeResult(
            job.student, job.lab, sum(c.score for c in cells), sum(c.max_score for c in cells),
            "; ".join(notes) or "ok", 0.0, cells,
            timestamp=stamp.isoformat() if stamp and "timestamp.txt" in extra else "",
            extra_files=tuple(extra),
        )
        copy_atomic(autograded, job.out / "autograded" / job.student / job.lab / autograded.name)
        for name in extra:
            copy_atomic(submitted / name, job.out / "autograded" / job.student / job.lab / name)
        if job.feedback:
            with captured_nbgrader_log() as log:
                try:
                    GenerateFeedback(coursedir=coursedir, config=config, force=True).start()
                except Exception as err:
                    reason = first_error([*log, str(err)])
                    result.status = f"{result.status}; feedback failed: {reason}"
            html = root / "feedback" / student_id / job.lab / f"{job.lab}.html"
            if html.is_file():
                target = job.out / "feedback" / job.student / job.lab / html.name
                # nbgrader's release_feedback needs the submission's timestamp and secret
                # beside the HTML: the output folder is an nbgrader course folder
                for name in extra:
                    copy_atomic(submitted / name, target.parent / name)
                copy_atomic(html, target)
                result.feedback = str(target)
    result.seconds = time.perf_counter() - start
    return result


def _import_quietly(names: Sequence[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # the test cell that imports it will say so
            pass


@dataclass(frozen=True)
class KernelAhead:
    """A worker's first step (picklable): start the kernel its first submission will take,
    and import what the grader's side of the test cells imports (``test_imports``:
    :func:`test_cell_imports`), while the parent is still setting the run up (releases,
    gradebooks). The kernel imports ``kernel_imports`` (the first lab's
    :func:`~autograder.early_kernel.kernel_imports`). Settings as in :class:`GradeJob`."""

    source: Path
    answer_key: Path | None
    limits: Limits
    settings: CourseSettings
    test_imports: tuple[str, ...] = ()
    kernel_imports: tuple[str, ...] = DEFAULT_KERNEL_IMPORTS

    def __call__(self) -> None:
        from autograder.sandbox import TrustedExecute

        # the kernel's settings only: no course folder or gradebook is opened
        config = nbgrader_config(root=Path(tempfile.gettempdir()), source=self.source,
                                 db_url="sqlite://", limits=self.limits,
                                 answer_key_dir=self.answer_key, settings=self.settings)
        config.TrustedExecute.kernel_imports = list(self.kernel_imports)
        TrustedExecute(config=config).start_kernel_ahead()
        # in the background as the first submission comes in (Python's import lock makes the
        # test cells' own imports wait for these)
        threading.Thread(target=_import_quietly, args=(self.test_imports,), daemon=True).start()


def _worker_died(job: GradeJob, reason: str) -> GradeResult:
    return GradeResult(job.student, job.lab, 0.0, job.max_score, reason, 0.0)


def grading_workers(workers: int, ahead: KernelAhead | None = None) -> Workers:
    """``workers`` grading processes, started now (each starting its first kernel ``ahead``),
    the cores shared out between them; :meth:`Workers.run` grades jobs on them.

    A worker that dies costs only the submission it was grading: that submission is graded
    once more by a fresh worker, then recorded with the reason (:mod:`autograder.workers`).
    """
    workers = max(1, workers)
    threads = max(1, (os.cpu_count() or 1) // workers)
    return Workers(grade_one, _worker_died, workers, threads, ahead)


def run_jobs(
    jobs: Sequence[GradeJob],
    workers: int,
    on_done: Callable[[GradeResult, int, int], None] | None = None,
) -> list[GradeResult]:
    """Grade ``jobs`` in ``workers`` worker processes (:func:`grading_workers`); input order
    kept."""
    if not jobs:
        return []
    with grading_workers(min(workers, len(jobs))) as pool:
        return pool.run(jobs, on_done)


def write_gradebook(
    db_url: str, results: Sequence[GradeResult], attempts: int = 8,
    settings: CourseSettings | None = None,
) -> dict[tuple[str, str], float]:
    """Write results into the final gradebook, one after the other.

    Mirrors nbgrader's ``Autograde`` and its preprocessors: the submission's timestamp (its
    lateness follows from the assignment's due date), ``auto_score`` of every autograded cell
    (0 for submissions that could not be graded), written answers' scores left alone (a
    person gives them in the formgrader), and the late penalty of ``AssignLatePenalties``
    computed on the notebook's score with the course's plugin (:mod:`autograder.late`).
    Locally the parent process is the only writer (SQLite has a single writer); Dask workers
    write into a shared PostgreSQL gradebook concurrently, so a write that collides with
    another (two workers creating the same student row) is rolled back and retried. The
    grader's own columns (status, seconds, feedback, hidden-test seeds) go into tables of
    their own beside nbgrader's.

    Returns:
        ``{(student, lab): score}`` after the late penalty, as ``nbgrader export`` computes it.
    """
    from sqlalchemy.exc import DBAPIError, IntegrityError

    settings = settings or CourseSettings()
    totals = {}
    scripts_on_path()
    with Gradebook(db_url, settings.course_id) as gb:
        for r in results:
            for attempt in range(attempts):
                try:
                    gb.update_or_create_student(r.student)
                    stamp = parse_utc(r.timestamp) if r.timestamp else None
                    submission = gb.update_or_create_submission(r.lab, r.student,
                                                                timestamp=stamp)
                    notebook = gb.find_submission_notebook(r.lab, r.lab, r.student)
                    earned = {c.grade_id: c.score for c in r.cells if not c.manual}
                    # written answers: graded cells that are also answer cells
                    manual = {c.name for c in notebook.notebook.solution_cells}
                    for grade in notebook.grades:
                        if grade.name in manual:
                            grade.needs_manual_grade = grade.manual_score is None
                            continue
                        grade.auto_score = earned.get(grade.name, 0.0)
                        grade.needs_manual_grade = grade.manual_score is not None
                    gb.db.flush()
                    notebook.late_submission_penalty = late_penalty(
                        float(notebook.score), float(submission.total_seconds_late),
                        settings.late_per_day, settings.late_zero_after_days,
                    ) if submission.total_seconds_late > 0 else None
                    record_seeds(gb.db, r)
                    record_outcome(gb.db, r)
                    gb.db.commit()
                    done = gb.find_submission(r.lab, r.student)
                    totals[(r.student, r.lab)] = final_score(done)
                    break
                except (IntegrityError, DBAPIError):
                    gb.db.rollback()
                    if attempt == attempts - 1:
                        raise
                    time.sleep(0.05 * (attempt + 1))
    return totals


def final_score(submission: object) -> float:
    """What counts, as ``nbgrader export`` computes it: the score less the late penalty."""
    return max(0.0, float(submission.score) - float(submission.late_submission_penalty or 0.0))


#: The grader's own per-submission columns, beside nbgrader's tables.
OUTCOMES_TABLE = "autograder_outcomes"


def record_outcome(db: object, result: GradeResult) -> None:
    """Keep a submission's status, grading time and feedback path in the gradebook (table
    ``autograder_outcomes``), so that ``grades.csv`` can always be rebuilt for the whole class
    from the gradebook alone."""
    from sqlalchemy import text

    db.execute(text(f"CREATE TABLE IF NOT EXISTS {OUTCOMES_TABLE} (student VARCHAR(1024), "
                    "assignment VARCHAR(1024), status TEXT, seconds FLOAT, feedback TEXT, "
                    "PRIMARY KEY (student, assignment))"))
    db.execute(text(f"DELETE FROM {OUTCOMES_TABLE} WHERE student = :s AND assignment = :a"),
               {"s": result.student, "a": result.lab})
    db.execute(text(f"INSERT INTO {OUTCOMES_TABLE} VALUES (:s, :a, :t, :x, :f)"),
               {"s": result.student, "a": result.lab, "t": result.status,
                "x": float(result.seconds), "f": result.feedback})


def record_seeds(db: object, result: GradeResult) -> None:
    """Keep each test cell's hidden-input seed in the gradebook (table
    ``autograder_hidden_seeds``), so that an instructor can replay a failure::

        with course_lib.grading.grading_context(seed_text): ...the test cell...
    """
    from sqlalchemy import text

    db.execute(text("CREATE TABLE IF NOT EXISTS autograder_hidden_seeds (student VARCHAR(1024), "
                    "assignment VARCHAR(1024), cell VARCHAR(1024), seed_text VARCHAR(4096), "
                    "PRIMARY KEY (student, assignment, cell))"))
    db.execute(text("DELETE FROM autograder_hidden_seeds WHERE student = :s AND "
                    "assignment = :a"), {"s": result.student, "a": result.lab})
    for cell in result.cells:
        db.execute(text("INSERT INTO autograder_hidden_seeds VALUES (:s, :a, :c, :t)"),
                   {"s": result.student, "a": result.lab, "c": cell.grade_id,
                    "t": seed_text(COURSE_SEED_ID, result.lab, cell.grade_id, result.student)})


def ensure_course_row(db_url: str, course_id: str) -> None:
    """Create the course's row in a shared gradebook (two graders starting at once may both
    try: the second one's insert is the one that yields)."""
    from nbgrader.api import Course as CourseRow
    from sqlalchemy.exc import IntegrityError

    scripts_on_path()
    with Gradebook(db_url, course_id) as gb:
        if gb.db.query(CourseRow).filter(CourseRow.id == course_id).one_or_none() is None:
            gb.db.add(CourseRow(id=course_id))
            try:
                gb.db.commit()
            except IntegrityError:  # created meanwhile by another grader
                gb.db.rollback()


def read_totals(db_url: str, keys: Sequence[tuple[str, str]],
                course_id: str) -> dict[tuple[str, str], float]:
    """``{(student, lab): score after the late penalty}`` read back from a gradebook."""
    with Gradebook(db_url, course_id) as gb:
        return {(s, lab): final_score(gb.find_submission(lab, s)) for s, lab in keys}


def grade_and_record(job: GradeJob, db_url: str) -> GradeResult:
    """Grade one submission and write it into the shared gradebook (a Dask task)."""
    result = grade_one(job)
    result.score = write_gradebook(db_url, [result], settings=job.settings)[
        (result.student, result.lab)]
    return result


def run_dask(
    jobs: Sequence[GradeJob], address: str, db_url: str,
    on_done: Callable[[GradeResult, int, int], None] | None = None,
) -> list[GradeResult]:
    """Grade ``jobs`` on the Dask cluster at ``address``; each worker records its results in
    the shared gradebook ``db_url``. Input order kept; a task that fails still gets a row."""
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError as err:
        raise CourseError("--dask needs the scale extra: pip install '.[scale]'") from err
    results: list[GradeResult | None] = [None] * len(jobs)
    with Client(address, timeout=60) as client:
        futures = client.map(grade_and_record, jobs, db_url=db_url, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for done, future in enumerate(dask_completed(futures), start=1):
            i = index[future.key]
            try:
                results[i] = future.result()
            except Exception as err:  # the worker died: the row still exists
                job = jobs[i]
                results[i] = GradeResult(job.student, job.lab, 0.0, job.max_score,
                                         f"grader crashed: {err!r}", 0.0)
                write_gradebook(db_url, [results[i]], settings=job.settings)
            if on_done:
                on_done(results[i], done, len(jobs))
    return [r for r in results if r is not None]


def assignment_max_scores(db: Path, course_id: str = COURSE_ID) -> dict[str, float]:
    """``{lab: points}`` of every assignment in an SQLite gradebook."""
    with Gradebook(sqlite_url(db), course_id) as gb:
        return {a.name: float(a.max_score) for a in gb.assignments}


def find_students(submissions: Path) -> list[str]:
    """Student ids: every folder of ``submissions``, whatever it is called.

    Names nbgrader could not take (brackets, ``+``, newlines, a leading dot) are fine: nbgrader
    only ever sees a neutral id per student (:attr:`GradeJob.nbgrader_id`).
    """
    if not submissions.is_dir():
        raise CourseError(f"submissions folder {submissions} does not exist")
    students = sorted(d.name for d in submissions.iterdir() if d.is_dir() or d.is_symlink())
    if not students:
        raise CourseError(
            f"no student folders in {submissions}: expected <student>/<lab>/<lab>.ipynb"
        )
    return students


def printable(text: str) -> str:
    """``text`` with control characters (ANSI escapes, newlines) shown as escapes."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def format_table(results: Sequence[GradeResult]) -> str:
    """A student x lab table of ``score/max``, with a mark where the status is not ok."""
    labs = sorted({r.lab for r in results})
    students = sorted({r.student for r in results})
    cell = {(r.student, r.lab): r for r in results}
    width = max([len("student"), *(len(printable(s)) for s in students)])
    widths = [max(len(lab), 11) for lab in labs]
    header = [lab.rjust(w) for lab, w in zip(labs, widths, strict=True)]
    lines = ["  ".join(["student".ljust(width), *header])]
    for s in students:
        row = [printable(s).ljust(width)]
        for lab, w in zip(labs, widths, strict=True):
            r = cell.get((s, lab))
            text = "-" if r is None else f"{r.score:g}/{r.max_score:g}"
            if r is not None and r.status != "ok":
                text += " !"
            row.append(text.rjust(w))
        lines.append("  ".join(row))
    notes = [f"  ! {printable(r.student)}/{r.lab}: {printable(r.status)}"
             for r in results if r.status != "ok"]
    return "\n".join(lines + notes)


def grade_submissions(
    course: Course,
    submissions: Path,
    out: Path,
    workers: int | None = None,
    db_url: str | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = print,
    limits: Limits | None = None,
    dask: str | None = None,
    assignments: Sequence[str] | None = None,
    students: Sequence[str] | None = None,
) -> list[GradeResult]:
    """Grade ``submissions/<student>/<lab>/<lab>.ipynb`` for every student and lab.

    ``submissions`` is laid out as nbgrader's ``submitted/`` folder (what ``nbgrader collect``
    fills): a ``timestamp.txt`` beside a notebook is its submission time, and lateness and
    late penalties follow from the due dates in ``course.toml``. Grading a subset
    (``assignments``, ``students``) is a regrade of those rows only: the gradebook keeps
    everyone else's, and ``grades.csv`` is rebuilt from the gradebook for the whole class.

    Args:
        course: the course (source folder = the answers and hidden tests).
        submissions: one folder per student.
        out: receives ``grades.csv``, ``feedback/<student>/<lab>/<lab>.html``,
            ``autograded/``, the summary (``summary.csv``, ``summary.png``) and, by default,
            ``gradebook.db``.
        workers: parallel grading processes (default: ``os.cpu_count()``).
        db_url: final gradebook (default ``sqlite:///<out>/gradebook.db``).
        timeout: seconds a cell may run (when ``limits`` is not given).
        progress: called with one line per graded submission (None: silent).
        limits: per-kernel limits (default: ``Limits(timeout=timeout)``).
        dask: address of a Dask scheduler: grade there (needs a PostgreSQL ``db_url`` and
            ``submissions``/``out``/the source on a file system the workers share).
        assignments: the labs to grade (default: every lab of the course).
        students: the students to grade (default: every folder of ``submissions``).
    Returns:
        one result per (student, lab) graded now, sorted by student then lab.
    """
    labs = course.select(assignments)
    found = find_students(submissions)
    if students:
        unknown = [s for s in students if s not in found]
        if unknown:
            raise CourseError(f"no submission folder for student(s) {', '.join(unknown)} in "
                              f"{submissions}")
        found = [s for s in found if s in set(students)]
    students = found
    out.mkdir(parents=True, exist_ok=True)
    db_url = db_url or sqlite_url(out / "gradebook.db")
    if dask and not db_url.startswith("postgres"):
        raise CourseError("--dask needs a gradebook every worker can write: "
                          "--db postgresql://user@host/course")
    workers = workers or os.cpu_count() or 1
    limits = limits or Limits(timeout=timeout)
    if limits.sandbox and (problem := sandbox_problem()):
        raise CourseError(
            f"no grading sandbox on this machine: {problem}. Grading without one lets student "
            "code read the course, the gradebook and classmates' work: run the grader on a "
            "Linux machine with bubblewrap, or pass --no-sandbox to grade anyway (every "
            "row's status will say so)")
    # With Dask the template gradebook must be where the workers can read it: under --out.
    work = Path(tempfile.mkdtemp(prefix="autograder-", dir=out.resolve() if dask else None))
    pool = None
    try:
        keys = {lab: answer_key_for(course, lab, work / "answer-keys" / lab) for lab in labs}
        if not dask and students and labs:
            # the workers start now, each with its first submission's kernel, while the
            # releases and gradebooks below are made
            first = nbformat.read(course.source_notebook(labs[0]), as_version=4)
            pool = grading_workers(min(workers, len(students) * len(labs)), KernelAhead(
                course.source, keys[labs[0]], limits, course.settings,
                test_cell_imports(first), kernel_imports(first.metadata)))
        template = work / "template.db"
        generate_release(course, labs, work / "release", sqlite_url(template))
        max_scores = assignment_max_scores(template, course.course_id)
        # one lab after the other, so that each worker's next submission can use the kernel
        # it starts while grading this one (the last ones of a lab start none)
        jobs = [
            GradeJob(s, lab, submissions.absolute() / s / lab / f"{lab}.ipynb",
                     course.source, template, out.resolve(), max_scores[lab],
                     limits=limits, answer_key=keys[lab], nbgrader_id=f"student{i:05d}",
                     settings=course.settings, prestart=len(students) - i > workers)
            for lab in labs for i, s in enumerate(students)
        ]

        def report(r: GradeResult, done: int, total: int) -> None:
            if progress:
                progress(f"[{done}/{total}] {printable(r.student)} {r.lab}: "
                         f"{r.score:g}/{r.max_score:g} {printable(r.status)} "
                         f"({r.seconds:.1f} s)")

        if not db_url.startswith("sqlite"):
            ensure_course_row(db_url, course.course_id)
        generate_release(course, labs, work / "final-release", db_url)
        if pool is not None:
            # the summary plot's imports while the workers grade (this process only waits
            # for them), not after the last submission: about 1 s less at the end of a run
            threading.Thread(target=_pyplot, daemon=True).start()
            results = pool.run(jobs, report)
            pool.finish()  # the workers shut their last kernels down as the gradebook is written
        elif dask:
            results = run_dask(jobs, dask, db_url, report)
        else:
            results = []
        if dask:
            totals = read_totals(db_url, [(r.student, r.lab) for r in results],
                                 course.course_id)
        else:
            totals = write_gradebook(db_url, results, settings=course.settings)
        results.sort(key=lambda r: (r.student, r.lab))
        for r in results:
            r.score = totals[(r.student, r.lab)]
        write_grades_csv(out / "grades.csv", db_url, course.course_id, out)
        write_summary(results, out)
        return results
    finally:
        if pool is not None:
            pool.close()
        shutil.rmtree(work, ignore_errors=True)


def summarize(results: Sequence[GradeResult]) -> list[dict]:
    """Per lab and exercise (graded cell): mean, share of full/partial/zero marks.

    Returns:
        rows ``{lab, exercise, max_score, mean, full, partial, zero, n}`` (shares in 0..1).
    """
    cells: dict[tuple[str, str], list[CellResult]] = {}
    order: list[tuple[str, str]] = []
    for r in sorted(results, key=lambda r: (r.lab, r.student)):
        for c in r.cells:
            key = (r.lab, c.grade_id)
            if key not in cells:
                cells[key] = []
                order.append(key)
            cells[key].append(c)
    rows = []
    for lab, exercise in order:
        graded = cells[(lab, exercise)]
        # submissions that could not be graded at all count as zero for every exercise
        missing = sum(1 for r in results if r.lab == lab and not r.cells)
        n = len(graded) + missing
        top = graded[0].max_score
        full = sum(1 for c in graded if c.score >= c.max_score)
        zero = sum(1 for c in graded if c.score <= 0) + missing
        rows.append({
            "lab": lab, "exercise": exercise, "max_score": top,
            "mean": sum(c.score for c in graded) / n if n else 0.0,
            "full": full / n if n else 0.0, "partial": (n - full - zero) / n if n else 0.0,
            "zero": zero / n if n else 0.0, "n": n,
        })
    return rows


def format_summary(rows: Sequence[dict]) -> str:
    """The summary as a table (one line per exercise)."""
    head = f"{'lab':<18} {'exercise':<32} {'mean':>11} {'full':>6} {'partial':>8} {'zero':>6}"
    lines = [head]
    for row in rows:
        mean = f"{row['mean']:.2f}/{row['max_score']:g}"
        lines.append(f"{row['lab']:<18} {row['exercise']:<32} {mean:>11} "
                     f"{row['full']:>6.0%} {row['partial']:>8.0%} {row['zero']:>6.0%}")
    return "\n".join(lines)


def _pyplot() -> types.ModuleType:
    """matplotlib's pyplot on the Agg backend (the summary plot is a file, never a window)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def write_summary(results: Sequence[GradeResult], out: Path) -> list[dict]:
    """``summary.csv`` and ``summary.png`` (share of full/partial/zero marks per exercise)."""
    rows = summarize(results)
    fields = ["lab", "exercise", "max_score", "mean", "full", "partial", "zero", "n"]
    write_csv_rows(out / "summary.csv", fields, [
        [f"{row[k]:.4g}" if isinstance(row[k], float) else row[k] for k in fields]
        for row in rows])
    if rows:
        plt = _pyplot()
        labels = [f"{r['lab']}\n{r['exercise']}" for r in rows]
        fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(rows) + 2), 4.5))
        bottom = [0.0] * len(rows)
        for key, color in (("full", "#2a9d8f"), ("partial", "#e9c46a"), ("zero", "#e76f51")):
            values = [r[key] for r in rows]
            ax.bar(range(len(rows)), values, bottom=bottom, color=color, label=f"{key} marks")
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        for i, r in enumerate(rows):
            ax.text(i, 1.02, f"mean {r['mean']:.3g}/{r['max_score']:g}", ha="center",
                    fontsize=7)
        ax.set_xticks(range(len(rows)), labels, rotation=60, ha="right", fontsize=7)
        ax.set_ylim(0, 1.12)
        ax.set_ylabel("share of submissions")
        ax.set_title(f"Scores per exercise ({max(r['n'] for r in rows)} submissions)")
        ax.legend(loc="lower right", fontsize=7)
        fig.tight_layout()
        partial = out / ".summary.png.part"
        fig.savefig(partial, dpi=110, format="png")
        os.replace(partial, out / "summary.png")
        plt.close(fig)
    return rows


#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ``'`` before a formula start.

    Numbers written by the grader (``-0.5`` never occurs; scores are >= 0) pass unchanged.
    """
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv_rows(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Write a CSV atomically (a temporary file renamed over ``path``), cells made safe."""
    partial = path.with_name(f".{path.name}.part")
    with open(partial, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([spreadsheet_safe(v) for v in row])
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, path)


def gradebook_rows(db_url: str, course_id: str) -> list[dict[str, object]]:
    """One row per submission in the gradebook (every student, every lab), with the
    grader's status, time and feedback where it graded it (see :data:`CSV_COLUMNS`)."""
    from sqlalchemy import inspect, text

    with Gradebook(db_url, course_id) as gb:
        outcomes = {}
        if inspect(gb.db.get_bind()).has_table(OUTCOMES_TABLE):
            for student, lab, status, seconds, feedback in gb.db.execute(text(
                    f"SELECT student, assignment, status, seconds, feedback FROM "
                    f"{OUTCOMES_TABLE}")):
                outcomes[(student, lab)] = (status, seconds, feedback)
        rows = []
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                student = submission.student.id
                status, seconds, feedback = outcomes.get((student, assignment.name),
                                                         ("graded by nbgrader", None, ""))
                pending = sum(float(g.max_score) for nb in submission.notebooks
                              for g in nb.grades if g.needs_manual_grade)
                rows.append({
                    "student_id": student, "assignment": assignment.name,
                    "score": final_score(submission), "max_score": float(assignment.max_score),
                    "raw_score": float(submission.score),
                    "late_penalty": float(submission.late_submission_penalty or 0.0),
                    "timestamp": submission.timestamp.isoformat() if submission.timestamp
                    else "",
                    "seconds_late": float(submission.total_seconds_late),
                    "manual_pending": pending, "status": status, "seconds": seconds,
                    "feedback": feedback,
                })
    return sorted(rows, key=lambda r: (r["student_id"], r["assignment"]))


def write_grades_csv(path: Path, db_url: str, course_id: str, out: Path) -> None:
    """``grades.csv`` rebuilt from the gradebook: the whole class, whatever was graded now."""
    rows = []
    for r in gradebook_rows(db_url, course_id):
        feedback = os.path.relpath(r["feedback"], out) if r["feedback"] else ""
        rows.append([r["student_id"], r["assignment"], f"{r['score']:g}",
                     f"{r['max_score']:g}", f"{r['raw_score']:g}", f"{r['late_penalty']:g}",
                     r["timestamp"], f"{r['seconds_late']:g}", f"{r['manual_pending']:g}",
                     r["status"], "" if r["seconds"] is None else f"{r['seconds']:.2f}",
                     feedback])
    write_csv_rows(path, CSV_COLUMNS, rows)
