"""Cells that are not graded but crashed, explained: where, a short traceback, the likely cause.

A demo or training cell that raises costs no points, yet a student wants to know why it did,
and the raw traceback (thirty lines of matplotlib after a wrong gradient made the loss
overflow, then ``NameError`` in every cell after) hides the one line that matters. Used by
``validate`` (a CRASH line per cell) and by the feedback (:class:`ExplainCrashes`).

The likely cause is read from the error and from what happened before it, never guessed
from the student's code: an unanswered exercise above, an earlier crash that left a name
undefined, numbers that overflowed, or the student's own function named in the traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.preprocessors import Preprocessor
from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader import utils

#: ANSI colour codes IPython puts in tracebacks.
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Lines of traceback kept (the end, where the error is raised).
SHORT_TRACEBACK_LINES = 8
#: Errors that mean numbers left the float range.
NUMERIC = ("OverflowError", "FloatingPointError")
NUMERIC_WORDS = ("nan", "inf", "overflow", "infinity", "not finite", "non-finite")


@dataclass
class Crash:
    """One ungraded code cell that raised."""

    index: int  # position in the notebook
    label: str  # its id or first line
    error: str  # "ExceptionType: message"
    traceback: list[str]  # the last lines, without colour codes
    cause: str  # the likely cause, in plain words ("" when nothing is known)


def _label(cell: NotebookNode, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    if grade_id:
        return grade_id
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    return f"cell {index + 1} ({first[:50]}{'...' if len(first) > 50 else ''})"


def _defined_names(source: str) -> set[str]:
    """Top-level functions a cell defines (``def name(``)."""
    return set(re.findall(r"^def\s+([A-Za-z_]\w*)\s*\(", source, flags=re.MULTILINE))


def _cause(error: NotebookNode, tb: str, unanswered: list[str], earlier: list[Crash],
           own: dict[str, str]) -> str:
    ename, evalue = str(error.get("ename", "")), str(error.get("evalue", ""))
    if ename == "NotImplementedError" or "NotImplementedError" in tb:
        if unanswered:
            return (f"exercise {unanswered[0]} is not answered yet: this cell calls it "
                    "(fill in the answer cell, then run the notebook again)")
        return "it calls an exercise that is not answered yet"
    if ename == "NameError" and earlier:
        return (f"the name was to be defined by a cell that crashed before it "
                f"({earlier[0].label}): fix that one first, this one follows from it")
    if ename == "NameError":
        return ("a name from a cell above is missing: run the notebook from the top, in "
                "order (Run > Run All Cells)")
    numeric = ename in NUMERIC or any(w in evalue.lower() for w in NUMERIC_WORDS)
    called = [name for name in own if re.search(rf"\b{re.escape(name)}\b", tb)]
    if numeric:
        where = f" (your {called[0]} is in the traceback)" if called else ""
        return ("numbers became too large, inf or NaN" + where + ": usually a wrong gradient "
                "or too large a learning rate in the steps before; check that the exercises "
                "above pass their tests")
    if called:
        return (f"raised inside your {called[0]} (answer cell {own[called[0]]}), although its "
                "test may pass: this cell calls it with other inputs")
    if earlier:
        return f"perhaps a consequence of the crash in {earlier[0].label} above"
    return ""


def find_crashes(nb: NotebookNode) -> list[Crash]:
    """Every code cell that is not graded and has an error output, in notebook order."""
    crashes: list[Crash] = []
    unanswered: list[str] = []
    own: dict[str, str] = {}  # function -> answer cell that defines it
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if utils.is_solution(cell):
            for name in _defined_names(cell.source):
                own[name] = meta.get("grade_id", str(index))
            if errors and errors[0].get("ename") == "NotImplementedError":
                unanswered.append(meta.get("grade_id", str(index)))
                continue
        if utils.is_grade(cell) or not errors:
            continue
        lines = [ANSI.sub("", line) for line in errors[0].get("traceback", [])]
        text = "\n".join(lines)
        short = [line for line in text.splitlines() if line.strip()]
        crashes.append(Crash(
            index=index, label=_label(cell, index),
            error=f"{errors[0].get('ename', 'Error')}: {errors[0].get('evalue', '')}".rstrip(
                ": "),
            traceback=short[-SHORT_TRACEBACK_LINES:],
            cause=_cause(errors[0], text, unanswered, crashes, own),
        ))
    return crashes


class ExplainCrashes(Preprocessor):
    """Feedback: a summary of the ungraded cells that crashed at the top, and in each of
    them a short traceback and the likely cause instead of the full traceback."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):  # noqa: D102
        crashes = find_crashes(nb)
        if not crashes:
            return nb, resources
        for crash in crashes:
            cell = nb.cells[crash.index]
            for output in cell.outputs:
                if output.get("output_type") == "error":
                    output["traceback"] = [*crash.traceback] + (
                        [f"Likely cause: {crash.cause}"] if crash.cause else [])
                    break
        items = "\n".join(
            f"- {crash.label}: `{crash.error[:200]}`" + (f". Likely cause: {crash.cause}."
                                                         if crash.cause else "")
            for crash in crashes)
        summary = from_dict({
            "cell_type": "markdown", "metadata": {}, "id": "autograder-crashes",
            "source": f"**{len(crashes)} cell(s) that are not graded crashed** (no points "
                      f"depend on them, but what they show is missing):\n\n{items}",
        })
        nb.cells.insert(0, summary)
        return nb, resources
