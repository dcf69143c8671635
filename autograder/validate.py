"""``validate``: what a student runs before submitting.

Runs the notebook from the top with nbgrader's ``Validator`` (the same execution the Validate
button uses, without drawing plots), then lists every test cell with its points and, for
each one that fails, the assertion message. Unlike ``nbgrader validate`` the exit status
says whether everything passed, so it can be scripted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, Execute
from nbgrader.validator import Validator
from traitlets import Any as AnyTrait
from traitlets import List

from autograder.course import DEFAULT_TIMEOUT, CourseError, execution_config
from autograder.crashes import Crash, find_crashes
from autograder.early_kernel import VALIDATE_ARGUMENTS
from autograder.feedback import short_error


class _ExecuteIn(Execute):
    """nbgrader's Execute, in the kernel the validator was given when it has one."""

    def preprocess(self, nb, resources=None, km=None):  # noqa: D102 (nbconvert's method)
        return super().preprocess(nb, resources, km=km or self.parent.kernel)


class _KeepingValidator(Validator):
    """nbgrader's Validator that keeps the executed notebook for a per-cell report."""

    preprocessors = List([CheckCellMetadata, ClearOutput, _ExecuteIn])
    kernel = AnyTrait(None, help="an already started kernel manager to run the notebook in")
    executed: NotebookNode | None = None

    def _preprocess(self, nb: NotebookNode) -> NotebookNode:
        self.executed = super()._preprocess(nb)
        return self.executed


@dataclass
class CellOutcome:
    """One test cell after running the notebook."""

    grade_id: str
    points: float
    earned: float
    message: str


def _explain(cell: NotebookNode, timeout: int) -> str:
    errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
    if any(o.get("ename") == "CellTimeoutError" for o in errors):
        return f"ran longer than {timeout} s and was interrupted (an endless loop?)"
    for output in errors:
        if output.get("ename") == "NotImplementedError":
            return "not answered yet (the answer still raises NotImplementedError)"
        return short_error(output)
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stderr":
            lines = output.text.strip().splitlines()
            return "printed to stderr (graded as a failure): " + (lines[-1] if lines else "")
    return "partial credit"


def validate_notebook(
    path: Path, timeout: int = DEFAULT_TIMEOUT, kernel: object = None
) -> tuple[list[CellOutcome], list[str], list[Crash]]:
    """Execute a notebook and check its test cells.

    Args:
        path: the notebook.
        timeout: seconds a cell may run.
        kernel: a kernel manager already started for it (:mod:`autograder.early_kernel`);
            the caller shuts it down. Default: one is started and shut down here.
    Returns:
        ``(outcomes, problems, crashes)``: one outcome per test cell, problem lines that are
        not a single test (answer cells that raise, edited test cells), and the ungraded
        cells that crashed (:func:`autograder.crashes.find_crashes`).
    Raises:
        CourseError: the file is missing or not a notebook.
    """
    if not path.is_file():
        raise CourseError(f"{path}: no such notebook")
    try:
        nbformat.read(path, as_version=4)
    except Exception as err:
        raise CourseError(f"{path}: not a readable notebook ({err})") from err
    config = execution_config(timeout)
    config.Execute.extra_arguments = list(VALIDATE_ARGUMENTS)
    validator = _KeepingValidator(config=config, kernel=kernel)
    try:
        results = validator.validate(str(path))
    except Exception as err:  # corrupted nbgrader metadata, kernel failures
        raise CourseError(f"{path}: could not validate: {err}") from err

    problems = [
        f"cell {c['source'].splitlines()[0] if c['source'] else ''!r}... changed type from "
        f"{c['old_type']} to {c['new_type']}; change it back"
        for c in results.get("type_changed", [])
    ]
    if validator.executed is None:
        return [], problems, []
    outcomes = []
    for cell in validator.executed.cells:
        meta = cell.metadata.get("nbgrader", {})
        if utils.is_grade(cell):
            earned, points = utils.determine_grade(cell, validator.log)
            earned = points if earned is None else earned
            outcomes.append(CellOutcome(meta["grade_id"], points, earned,
                                        "" if earned >= points else _explain(cell, timeout)))
        elif utils.is_solution(cell) and cell.cell_type == "code":
            errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
            if errors and errors[0].get("ename") != "NotImplementedError":
                problems.append(f"answer cell {meta['grade_id']} raised {short_error(errors[0])}")
        if utils.is_locked(cell) and "checksum" in meta:
            if meta["checksum"] != utils.compute_checksum(cell):
                problems.append(
                    f"cell {meta['grade_id']} is read-only but was edited; grading uses the "
                    "original, so restore it (copy it from a fresh labs/ notebook)"
                )
    return outcomes, problems, find_crashes(validator.executed)


def report(path: Path, outcomes: list[CellOutcome], problems: list[str],
           crashes: list[Crash] = ()) -> tuple[str, bool]:
    """The text a student reads, and whether every test passed (cells that crashed outside
    the tests are reported, with their likely cause, but grade nothing)."""
    lines = []
    for o in outcomes:
        mark = "ok  " if not o.message else "FAIL"
        line = f"{mark} {o.grade_id} ({o.earned:g}/{o.points:g} points)"
        lines.append(line + (f": {o.message}" if o.message else ""))
    lines += [f"FAIL {p}" for p in problems]
    for crash in crashes:
        lines.append(f"CRASH {crash.label} (not graded): {crash.error}"
                     + (f"\n      likely cause: {crash.cause}" if crash.cause else ""))
        lines += [f"      | {line}" for line in crash.traceback[-4:]]
    passed = sum(1 for o in outcomes if not o.message)
    earned = sum(o.earned for o in outcomes)
    total = sum(o.points for o in outcomes)
    ok = passed == len(outcomes) and not problems
    if ok:
        lines.append(
            f"{path.name}: all {len(outcomes)} test cells pass ({earned:g}/{total:g} points "
            "from the visible tests; hidden tests also run when it is graded)"
        )
    else:
        lines.append(
            f"{path.name}: {passed} of {len(outcomes)} test cells pass ({earned:g}/{total:g} "
            "points from the visible tests); fix the FAIL lines above"
        )
    return "\n".join(lines), ok
