"""``demo``: the whole pipeline on made-up students, with its expected outcome checked.

For every lab three submissions are built from a fresh release:

* ``perfect``: every answer filled in with the source's solution -> full marks;
* ``untouched``: the release as a student gets it -> 0;
* ``one-wrong``: perfect, except that the last answer is wrong (its first function returns
  ``None``, or a top-level answer raises) -> below full marks, and at least full marks minus
  the points of the test cells after it (an answer cell with two functions keeps the credit
  of the one still right). (Test cells give each exercise reference inputs, so a wrong early
  answer costs its own exercise only; ``tests/test_lab_cases.py`` checks that for every lab.)

They are graded in parallel like real submissions (``grade``), into the embedded SQLite
gradebook, and the scores are compared with these expectations.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils

from autograder.course import Course, automatic_points, is_autograded_test, sqlite_url
from autograder.grade import GradeResult, format_table, grade_submissions
from autograder.release import generate_release

STUDENTS = ("perfect", "untouched", "one-wrong")
_BEGIN, _END = "BEGIN SOLUTION", "END SOLUTION"


def fill_solution(source: str) -> str:
    """An answer cell as a student who found the solution would write it (markers dropped)."""
    return "\n".join(line for line in source.split("\n") if _BEGIN not in line and _END not in line)


def break_solution(source: str) -> str:
    """The cell with its first solution block replaced by a wrong answer.

    Inside a function the block becomes ``return None`` (the test then reports a missing
    result); at top level it raises.
    """
    out, state = [], "before"
    for line in source.split("\n"):
        if state == "before" and _BEGIN in line:
            indent = re.match(r"\s*", line).group(0)
            wrong = "return None" if indent else 'raise ValueError("wrong answer")'
            out.append(f"{indent}{wrong}  # wrong on purpose (autograder demo)")
            state = "inside"
        elif state == "inside":
            if _END in line:
                state = "after"
        else:
            out.append(line)
    return fill_solution("\n".join(out))


@dataclass
class Expectation:
    """Expected score of one demo submission: ``score``, or with ``below`` set, at least
    ``score`` and less than ``below``."""

    student: str
    lab: str
    score: float
    why: str
    below: float | None = None

    def held(self, got: float) -> bool:
        if self.below is None:
            return abs(got - self.score) < 1e-9
        return self.score - 1e-9 <= got < self.below

    def text(self) -> str:
        if self.below is None:
            return f"expected {self.score:g}"
        return f"expected {self.score:g} or more, below {self.below:g}"


def _answers(source: NotebookNode) -> dict[str, str]:
    """The source notebook's answer cells by ``grade_id``, markers included."""
    return {cell.metadata.nbgrader["grade_id"]: cell.source
            for cell in source.cells if utils.is_solution(cell)}


def solved_notebook(release: NotebookNode, source: NotebookNode) -> NotebookNode:
    """A copy of the release notebook with every answer cell filled in from the source, as a
    student who found every solution would submit it (full marks)."""
    answers = _answers(source)
    solved = nbformat.from_dict(release)
    for cell in solved.cells:
        if utils.is_solution(cell):
            cell.source = fill_solution(answers[cell.metadata.nbgrader["grade_id"]])
    return solved


def build_submissions(
    release: NotebookNode, source: NotebookNode, lab: str
) -> tuple[dict[str, NotebookNode], list[Expectation]]:
    """The three demo notebooks of a lab and the score each should get."""
    # written answers are scored by a person later: the expectations are automatic points
    max_score = sum(automatic_points(release).values())
    perfect = solved_notebook(release, source)
    wrong = nbformat.from_dict(perfect)
    last_answer, lost = None, 0.0
    for cell in wrong.cells:
        if utils.is_solution(cell) and cell.cell_type == "code":
            last_answer, last_wrong_cell = cell.metadata.nbgrader["grade_id"], cell
            lost = 0.0
        if is_autograded_test(cell) and last_answer is not None:
            lost += float(cell.metadata.nbgrader["points"])
    if last_answer is not None:
        last_wrong_cell.source = break_solution(_answers(source)[last_answer])
    notebooks = {"perfect": perfect, "untouched": release, "one-wrong": wrong}
    expectations = [
        Expectation("perfect", lab, max_score, "full marks"),
        Expectation("untouched", lab, 0.0, "nothing answered"),
        Expectation("one-wrong", lab, max_score - lost,
                    f"full marks minus at most {lost:g} for {last_answer}", below=max_score),
    ]
    return notebooks, expectations


def demo(
    course: Course, out: Path, workers: int | None, timeout: int,
    log: Callable[[str], None] = print,
) -> bool:
    """Build, grade and check the demo submissions of every lab.

    Returns:
        whether every expectation held.
    """
    labs = course.select(None)
    submissions = out / "submissions"
    for generated in ("submissions", "feedback", "autograded"):
        shutil.rmtree(out / generated, ignore_errors=True)
    expectations: list[Expectation] = []
    with tempfile.TemporaryDirectory(prefix="autograder-demo-") as tmp:
        generate_release(course, labs, Path(tmp), sqlite_url(Path(tmp) / "gradebook.db"))
        for lab in labs:
            release = nbformat.read(Path(tmp) / lab / f"{lab}.ipynb", as_version=4)
            source = nbformat.read(course.source_notebook(lab), as_version=4)
            notebooks, expected = build_submissions(release, source, lab)
            expectations += expected
            for student, nb in notebooks.items():
                path = submissions / student / lab / f"{lab}.ipynb"
                path.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, path)
    log(f"demo: {len(STUDENTS)} submissions x {len(labs)} lab(s) in {submissions}")
    results = grade_submissions(course, submissions, out, workers=workers, timeout=timeout,
                                progress=log)
    log("")
    log(format_table(results))
    log("")
    got = {(r.student, r.lab): r for r in results}
    ok = True
    for e in expectations:
        r: GradeResult = got[(e.student, e.lab)]
        held = e.held(r.score)
        ok &= held
        log(f"{'ok  ' if held else 'FAIL'} {e.student}/{e.lab}: {r.score:g}/{r.max_score:g}, "
            f"{e.text()} ({e.why})")
    log("")
    log(f"feedback (HTML, one per student and lab): {out / 'feedback'}")
    log(f"grades: {out / 'grades.csv'}; gradebook: {out / 'gradebook.db'}")
    log("demo: every expectation held" if ok else "demo: SOME EXPECTATIONS FAILED")
    return ok
