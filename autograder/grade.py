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
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde, GenerateFeedback

from autograder.course import (
    COURSE_ID,
    DEFAULT_TIMEOUT,
    Course,
    CourseError,
    captured_nbgrader_log,
    course_directory,
    first_error,
    limit_threads,
    nbgrader_config,
    scripts_on_path,
    sqlite_url,
)
from autograder.feedback import short_error
from autograder.release import generate_release

CSV_COLUMNS = ["student_id", "assignment", "score", "max_score", "status", "seconds", "feedback"]


@dataclass
class CellResult:
    """One graded cell: its grade_id, points earned and possible, why points were lost."""

    grade_id: str
    score: float
    max_score: float
    error: str = ""


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
    timeout: int = DEFAULT_TIMEOUT
    feedback: bool = True


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


def _notes_from_autograded(nb: nbformat.NotebookNode, timeout: int) -> list[str]:
    """Unusual events worth a status: cells that timed out, test cells put back."""
    notes = []
    timed_out = [
        _cell_label(cell, i) for i, cell in enumerate(nb.cells)
        if any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))
    ]
    if timed_out:
        notes.append(f"timeout in cell {', '.join(timed_out)} (over {timeout} s)")
    restored = [
        _cell_label(cell, i) for i, cell in enumerate(nb.cells)
        if "was missing from the submission" in cell.source.split("\n", 1)[0]
    ]
    if restored:
        notes.append(f"deleted cell {', '.join(restored)} put back")
    return notes


def _failed(job: GradeJob, status: str, start: float, max_score: float) -> GradeResult:
    return GradeResult(job.student, job.lab, 0.0, max_score, status, time.perf_counter() - start)


def grade_one(job: GradeJob) -> GradeResult:
    """Autograde one submission in a private nbgrader course directory.

    Args:
        job: the submission and where things are.
    Returns:
        the result; never raises for a bad submission (the status says what went wrong).
    """
    start = time.perf_counter()
    max_score = job.max_score
    if not job.notebook.is_file():
        return _failed(job, f"missing notebook {job.notebook}", start, max_score)
    try:
        nbformat.read(job.notebook, as_version=4)
    except Exception as err:  # nbformat raises several types for bad files
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return _failed(job, f"invalid notebook (not readable JSON: {reason})", start, max_score)

    with tempfile.TemporaryDirectory(prefix="autograder-grade-") as tmp:
        root = Path(tmp)
        shutil.copyfile(job.template_db, root / "gradebook.db")
        submitted = root / "submitted" / job.student / job.lab
        shutil.copytree(
            job.notebook.parent, submitted,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
        config = nbgrader_config(
            root=root, source=job.source, db_url=sqlite_url(root / "gradebook.db"),
            timeout=job.timeout,
        )
        coursedir = course_directory(config, job.lab, job.student)
        with captured_nbgrader_log() as log:
            try:
                Autograde(coursedir=coursedir, config=config, force=True).start()
            except Exception as err:
                reason = first_error([*log, str(err)])
                return _failed(job, f"autograding failed: {reason}", start, max_score)
        autograded = root / "autograded" / job.student / job.lab / f"{job.lab}.ipynb"
        nb = nbformat.read(autograded, as_version=4)
        problems = {
            cell.metadata.nbgrader["grade_id"]: _cell_problem(cell)
            for cell in nb.cells if utils.is_grade(cell)
        }
        with Gradebook(sqlite_url(root / "gradebook.db"), COURSE_ID) as gb:
            submission = gb.find_submission_notebook(job.lab, job.lab, job.student)
            cells = [
                CellResult(
                    g.name, float(g.auto_score or 0.0), float(g.max_score),
                    "" if (g.auto_score or 0.0) >= g.max_score else problems.get(g.name, ""),
                )
                for g in submission.grades
            ]
        notes = _notes_from_autograded(nb, job.timeout)
        result = GradeResult(
            job.student, job.lab, sum(c.score for c in cells), sum(c.max_score for c in cells),
            "; ".join(notes) or "ok", 0.0, cells,
        )
        archive = job.out / "autograded" / job.student / job.lab
        archive.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(autograded, archive / autograded.name)
        if job.feedback:
            with captured_nbgrader_log() as log:
                try:
                    GenerateFeedback(coursedir=coursedir, config=config, force=True).start()
                except Exception as err:
                    reason = first_error([*log, str(err)])
                    result.status = f"{result.status}; feedback failed: {reason}"
            html = root / "feedback" / job.student / job.lab / f"{job.lab}.html"
            if html.is_file():
                target = job.out / "feedback" / job.student / job.lab / html.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(html, target)
                result.feedback = str(target)
    result.seconds = time.perf_counter() - start
    return result


def run_jobs(
    jobs: Sequence[GradeJob],
    workers: int,
    on_done: Callable[[GradeResult, int, int], None] | None = None,
) -> list[GradeResult]:
    """Grade ``jobs`` with ``workers`` processes (in this process when 1); input order kept."""
    results: list[GradeResult | None] = [None] * len(jobs)
    if workers <= 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            results[i] = grade_one(job)
            if on_done:
                on_done(results[i], i + 1, len(jobs))
        return [r for r in results if r is not None]
    threads = max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=limit_threads, initargs=(threads,)
    ) as pool:
        futures = {pool.submit(grade_one, job): i for i, job in enumerate(jobs)}
        for done, future in enumerate(as_completed(futures), start=1):
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception as err:  # a worker crashed: the row still exists
                job = jobs[i]
                results[i] = GradeResult(
                    job.student, job.lab, 0.0, 0.0, f"grader crashed: {err!r}", 0.0
                )
            if on_done:
                on_done(results[i], done, len(jobs))
    return [r for r in results if r is not None]


def write_gradebook(db_url: str, results: Sequence[GradeResult]) -> dict[tuple[str, str], float]:
    """Write results into the final gradebook, one after the other (the only writer).

    Mirrors nbgrader's ``SaveAutoGrades``: sets ``auto_score`` of every graded cell (0 for
    submissions that could not be graded), leaves manual scores alone.

    Returns:
        ``{(student, lab): total score}`` as the gradebook computes it.
    """
    totals = {}
    scripts_on_path()
    with Gradebook(db_url, COURSE_ID) as gb:
        for r in results:
            gb.update_or_create_student(r.student)
            gb.update_or_create_submission(r.lab, r.student)
            notebook = gb.find_submission_notebook(r.lab, r.lab, r.student)
            earned = {c.grade_id: c.score for c in r.cells}
            for grade in notebook.grades:
                grade.auto_score = earned.get(grade.name, 0.0)
                grade.needs_manual_grade = grade.manual_score is not None
            gb.db.commit()
            totals[(r.student, r.lab)] = float(gb.find_submission(r.lab, r.student).score)
    return totals


def assignment_max_scores(db: Path) -> dict[str, float]:
    """``{lab: points}`` of every assignment in an SQLite gradebook."""
    with Gradebook(sqlite_url(db), COURSE_ID) as gb:
        return {a.name: float(a.max_score) for a in gb.assignments}


def find_students(submissions: Path) -> list[str]:
    """Student ids: the folders of ``submissions``."""
    if not submissions.is_dir():
        raise CourseError(f"submissions folder {submissions} does not exist")
    students = sorted(
        d.name for d in submissions.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))
    )
    if not students:
        raise CourseError(
            f"no student folders in {submissions}: expected <student>/<lab>/<lab>.ipynb"
        )
    bad = [s for s in students if "+" in s or s.strip() != s]
    if bad:
        raise CourseError(f"student ids may not contain '+' or surrounding spaces: {bad}")
    return students


def format_table(results: Sequence[GradeResult]) -> str:
    """A student x lab table of ``score/max``, with a mark where the status is not ok."""
    labs = sorted({r.lab for r in results})
    students = sorted({r.student for r in results})
    cell = {(r.student, r.lab): r for r in results}
    width = max([len("student"), *(len(s) for s in students)])
    widths = [max(len(lab), 11) for lab in labs]
    header = [lab.rjust(w) for lab, w in zip(labs, widths, strict=True)]
    lines = ["  ".join(["student".ljust(width), *header])]
    for s in students:
        row = [s.ljust(width)]
        for lab, w in zip(labs, widths, strict=True):
            r = cell.get((s, lab))
            text = "-" if r is None else f"{r.score:g}/{r.max_score:g}"
            if r is not None and r.status != "ok":
                text += " !"
            row.append(text.rjust(w))
        lines.append("  ".join(row))
    notes = [f"  ! {r.student}/{r.lab}: {r.status}" for r in results if r.status != "ok"]
    return "\n".join(lines + notes)


def grade_submissions(
    course: Course,
    submissions: Path,
    out: Path,
    workers: int | None = None,
    db_url: str | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = print,
) -> list[GradeResult]:
    """Grade ``submissions/<student>/<lab>/<lab>.ipynb`` for every student and lab.

    Args:
        course: the course (source folder = the answers and hidden tests).
        submissions: one folder per student.
        out: receives ``grades.csv``, ``feedback/<student>/<lab>/<lab>.html``,
            ``autograded/`` and, by default, ``gradebook.db``.
        workers: parallel grading processes (default: ``os.cpu_count()``).
        db_url: final gradebook (default ``sqlite:///<out>/gradebook.db``).
        timeout: seconds a cell may run.
        progress: called with one line per graded submission (None: silent).
    Returns:
        one result per (student, lab), sorted by student then lab.
    """
    labs = course.select(None)
    students = find_students(submissions)
    out.mkdir(parents=True, exist_ok=True)
    db_url = db_url or sqlite_url(out / "gradebook.db")
    workers = workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        template = Path(tmp) / "template.db"
        generate_release(course, labs, Path(tmp) / "release", sqlite_url(template))
        max_scores = assignment_max_scores(template)
        jobs = [
            GradeJob(s, lab, submissions / s / lab / f"{lab}.ipynb", course.source, template,
                     out.resolve(), max_scores[lab], timeout)
            for s in students for lab in labs
        ]

        def report(r: GradeResult, done: int, total: int) -> None:
            if progress:
                progress(f"[{done}/{total}] {r.student} {r.lab}: {r.score:g}/{r.max_score:g} "
                         f"{r.status} ({r.seconds:.1f} s)")

        results = run_jobs(jobs, workers, report)
        generate_release(course, labs, Path(tmp) / "final-release", db_url)
    totals = write_gradebook(db_url, results)
    for r in results:
        r.score = totals[(r.student, r.lab)]
    write_csv(out / "grades.csv", results, out)
    return results


def write_csv(path: Path, results: Sequence[GradeResult], out: Path) -> None:
    """``grades.csv``: one row per student and lab (see :data:`CSV_COLUMNS`)."""
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for r in sorted(results, key=lambda r: (r.student, r.lab)):
            feedback = os.path.relpath(r.feedback, out) if r.feedback else ""
            writer.writerow([r.student, r.lab, f"{r.score:g}", f"{r.max_score:g}", r.status,
                             f"{r.seconds:.2f}", feedback])
