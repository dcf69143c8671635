"""``verify``: the course is consistent and gradeable.

For every lab (or those named):

* ``labs/<lab>/`` is byte-identical to a fresh release of the source (not stale);
* nbgrader's metadata validation passes on the source and the release, and the course's
  conventions hold (schema version 3, points on every test cell, solution markers in every
  answer cell, hidden tests in every test cell, kernel ``python3``, no committed outputs);
* no solution code, hidden-test code or nbgrader marker appears anywhere under ``labs/``;
* the solution notebook earns full marks when autograded, the untouched release earns zero.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import SchemaMismatchError

from autograder.bubblewrap import sandbox_problem
from autograder.course import Course, CourseError, Limits, is_autograded_test, sqlite_url
from autograder.grade import (
    GradeJob,
    GradeResult,
    answer_key_for,
    assignment_max_scores,
    run_jobs,
)
from autograder.release import compare_trees, generate_release

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
#: Lines nbgrader itself writes into released answer cells.
STUB_LINES = {"# YOUR CODE HERE", "raise NotImplementedError()"}
#: Secret lines shorter than this (``return out``, ``else:``) are too common to count.
MIN_SECRET_LENGTH = 10


@dataclass
class LabReport:
    """What verify found for one lab."""

    lab: str
    problems: list[str]
    in_sync: bool | None  # None: could not be released, so not compared
    solution: GradeResult | None = None
    untouched: GradeResult | None = None

    def summary(self) -> str:
        state = "ok" if not self.problems else f"{len(self.problems)} problem(s)"
        sync = {True: "labs/ in sync", False: "labs/ STALE", None: "not released"}[self.in_sync]
        parts = [f"{self.lab}: {state}", sync]
        for label, r in (("solution", self.solution), ("untouched release", self.untouched)):
            if r is not None:
                written = r.max_score - r.auto_max_score
                by_hand = f" + {written:g} written" if written else ""
                parts.append(f"{label} {r.auto_score:g}/{r.auto_max_score:g}{by_hand} "
                             f"({r.seconds:.1f} s)")
        return "; ".join(parts)


def split_secret_lines(nb: NotebookNode) -> tuple[set[str], set[str], set[str]]:
    """``(solution lines, hidden-test lines, public lines)`` of a source notebook, stripped."""
    solution, hidden, public = set(), set(), set()
    for cell in nb.cells:
        region: set[str] | None = None
        for line in cell.source.splitlines():
            text = line.strip()
            if "BEGIN SOLUTION" in text:
                region = solution
            elif "BEGIN HIDDEN TESTS" in text:
                region = hidden
            elif "END SOLUTION" in text or "END HIDDEN TESTS" in text:
                region = None
            else:
                (public if region is None else region).add(text)
    return solution, hidden, public


def _is_secret(line: str, public: set[str]) -> bool:
    return (
        len(line) >= MIN_SECRET_LENGTH and not line.startswith("#") and line not in public
        and line not in STUB_LINES
    )


def _released_text(path: Path) -> str | None:
    """Searchable text of a released file: a notebook's sources and outputs, else the file."""
    if path.suffix == ".ipynb":
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:
            return path.read_text(errors="replace")
        parts = []
        for cell in nb.cells:
            parts.append(cell.source)
            for output in cell.get("outputs", []):
                parts.append(str(output.get("text", "")))
                parts.append(str(output.get("data", {}).get("text/plain", "")))
        return "\n".join(parts)
    try:
        return path.read_text()
    except (UnicodeDecodeError, OSError):
        return None


def check_leaks(course: Course, labs: Sequence[str]) -> list[tuple[str | None, str]]:
    """Secret lines of a lab in its release folder, and markers anywhere in labs/.

    Returns:
        ``(lab or None, problem line)`` pairs.
    """
    notebooks = {lab: nbformat.read(course.source_notebook(lab), as_version=4) for lab in labs}
    public: set[str] = set()
    split = {}
    for lab, nb in notebooks.items():
        split[lab] = split_secret_lines(nb)
        public |= split[lab][2]
    problems = []
    if not course.labs.is_dir():
        return problems
    for path in sorted(p for p in course.labs.rglob("*") if p.is_file()):
        rel = path.relative_to(course.labs)
        if ".ipynb_checkpoints" in rel.parts or "__pycache__" in rel.parts:
            continue
        text = _released_text(path)
        if text is None:
            continue
        lab = rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in split else None
        found = [m for m in MARKERS if m in text]
        if found:
            problems.append(
                (lab, f"{course.display(path)}: contains the marker(s) {', '.join(found)}")
            )
        if lab is None:
            continue
        solution, hidden, _ = split[lab]
        for kind, lines in (("solution", solution), ("hidden test", hidden)):
            leaked = sorted(line for line in lines if _is_secret(line, public) and line in text)
            if leaked:
                more = f" (and {len(leaked) - 1} more)" if len(leaked) > 1 else ""
                problems.append((
                    lab, f"{course.display(path)}: contains {kind} code of {lab}: "
                    f"{leaked[0]!r}{more}",
                ))
    return problems


def _cell_label(cell: NotebookNode, index: int) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id") or f"#{index + 1}"


def check_metadata(course: Course, lab: str) -> list[str]:
    """nbgrader's metadata validation and the course's conventions, as problem lines."""
    problems = []
    src = course.source_notebook(lab)
    shown = course.display(src)
    try:
        nb = nbformat.read(src, as_version=4)
    except Exception as err:  # not JSON, not a notebook
        return [f"{shown}: not a readable notebook: {err}"]
    release = course.release_notebook(lab)
    for path in (src, release):
        if not path.is_file():
            continue
        try:
            MetadataValidator().validate_nb(nbformat.read(path, as_version=4))
        except (ValidationError, SchemaMismatchError) as err:
            reason = getattr(err, "message", None) or str(err).splitlines()[0]
            problems.append(f"{course.display(path)}: nbgrader metadata invalid: {reason}")
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"{shown}: kernelspec name is {kernel!r}; it must be 'python3'")
    graded = 0
    for i, cell in enumerate(nb.cells):
        label = _cell_label(cell, i)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"{shown}: cell {label} has outputs; clear them before committing")
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        if meta.get("schema_version") != 3:
            problems.append(f"{shown}: cell {label} has schema_version "
                            f"{meta.get('schema_version')!r}; it must be 3")
        if utils.is_solution(cell) and cell.cell_type == "code":
            if "BEGIN SOLUTION" not in cell.source or "END SOLUTION" not in cell.source:
                problems.append(f"{shown}: answer cell {label} lacks ### BEGIN/END SOLUTION")
        if is_autograded_test(cell):
            graded += 1
            if not float(meta.get("points", 0)) > 0:
                problems.append(f"{shown}: test cell {label} has no points")
            if "BEGIN HIDDEN TESTS" not in cell.source:
                problems.append(f"{shown}: test cell {label} has no hidden tests")
    if graded == 0:
        problems.append(f"{shown}: no test cells (grade: true)")
    return problems


def _grading_problems(lab: str, solution: GradeResult, untouched: GradeResult) -> list[str]:
    problems = []
    if solution.status != "ok":
        problems.append(f"{lab}: autograding the solution: {solution.status}")
    # written answers are graded by a person: verify checks the points the grader decides
    if solution.auto_score < solution.auto_max_score:
        problems.append(f"{lab}: the solution scores {solution.auto_score:g}/"
                        f"{solution.auto_max_score:g} automatic points, expected full marks")
        problems += [f"{lab}: the solution fails {c.grade_id}: {c.error or 'no points'}"
                     for c in solution.cells if c.score < c.max_score and not c.manual]
    if untouched.score != 0:
        passing = [c.grade_id for c in untouched.cells if c.score > 0]
        problems.append(f"{lab}: the untouched release scores {untouched.score:g}/"
                        f"{untouched.max_score:g}, expected 0 (passing without an answer: "
                        f"{', '.join(passing)})")
    return problems


def verify(
    course: Course, labs: Sequence[str] | None, workers: int, timeout: int,
    log: Callable[[str], None] = print, grade: bool = True,
) -> int:
    """Run every check; print one line per problem and a summary per lab.

    Args:
        course: the course.
        labs: lab ids (all when empty).
        workers: notebooks autograded in parallel.
        timeout: seconds a cell may run.
        log: receives each output line.
        grade: also autograde the solutions and the untouched releases (slow part).
    Returns:
        the number of problems (0: the course is consistent).
    """
    selected = course.select(labs)
    reports = {lab: LabReport(lab, [], True) for lab in selected}
    extra: list[str] = []
    if not labs and course.labs.is_dir():
        extra = [
            f"{course.display(d)}: not generated from any source lab (delete it, or add "
            f"{course.display(course.source_notebook(d.name))})"
            for d in sorted(course.labs.iterdir())
            if d.is_dir() and not d.name.startswith(".") and d.name not in selected
        ]
    with tempfile.TemporaryDirectory(prefix="autograder-verify-") as tmp:
        fresh, template = Path(tmp) / "release", Path(tmp) / "template.db"
        jobs = []
        for lab in selected:
            report = reports[lab]
            try:
                generate_release(course, [lab], fresh, sqlite_url(template))
            except CourseError as err:
                report.in_sync = None
                report.problems += check_metadata(course, lab) or [str(err)]
                continue
            stale = compare_trees(fresh / lab, course.labs / lab)
            if stale:
                report.in_sync = False
                report.problems.append(
                    f"{course.display(course.labs / lab)} is stale (a fresh release changes "
                    f"{', '.join(stale)}); run `python -m autograder release {lab}`"
                )
            report.problems += check_metadata(course, lab)
            release_nb = course.release_notebook(lab)
            if not release_nb.is_file():
                release_nb = fresh / lab / f"{lab}.ipynb"
            if grade:
                key = answer_key_for(course, lab, Path(tmp) / "answer-keys" / lab)
            # the course's own notebooks: graded in the sandbox where there is one
            limits = Limits(timeout=timeout, sandbox=sandbox_problem() is None)
            for student, notebook in (("solution", course.source_notebook(lab)),
                                      ("untouched", release_nb)):
                jobs.append(GradeJob(student, lab, notebook, course.source, template,
                                     Path(tmp) / "out", 0.0, feedback=False,
                                     limits=limits, answer_key=key if grade else None,
                                     settings=course.settings))
        max_scores = assignment_max_scores(template, course.course_id) if jobs else {}
        jobs = [replace(job, max_score=max_scores[job.lab]) for job in jobs]
        started = time.perf_counter()
        results = run_jobs(jobs, workers) if grade else []
        elapsed = time.perf_counter() - started
    for solution, untouched in zip(results[::2], results[1::2], strict=True):
        report = reports[solution.lab]
        report.solution, report.untouched = solution, untouched
        report.problems += _grading_problems(solution.lab, solution, untouched)
    released = [lab for lab in selected if reports[lab].in_sync is not None]
    for lab, line in check_leaks(course, released):
        (reports[lab].problems if lab else extra).append(line)

    problems = extra + [p for r in reports.values() for p in r.problems]
    for line in problems:
        log(f"problem: {line}")
    for report in reports.values():
        log(report.summary())
    graded = f"grading took {elapsed:.1f} s with {workers} worker(s)" if grade else "not graded"
    log(f"verify: {len(selected)} lab(s), {len(problems)} problem(s), {graded}")
    return len(problems)
