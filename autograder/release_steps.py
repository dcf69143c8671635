"""The course's own steps of nbgrader's ``generate_assignment`` (after nbgrader's own).

:func:`autograder.course.nbgrader_config` chains them, so ``python -m autograder release``
and ``nbgrader generate_assignment`` give byte-identical labs and the same gradebook rows:

* :class:`InsertInstallCell`: a released lab starts with a cell that installs course_lib
  where it is missing (Colab, a bare Jupyter; Binder, JupyterHub and ``make lab`` have it),
  from the location the instructor sets once (``course.toml``: ``install_from``);
* :class:`RecordDueDate`: the lab's due date (``course.toml``: ``[due]``) on its assignment
  row, where autograde's lateness and ``nbgrader export`` read it;
* :class:`CanonicalCells`: no outputs or execution counts, stable cell ids.
"""

from __future__ import annotations

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import parse_utc
from traitlets import Dict, Unicode

#: The id of the cell put before a lab's first code cell.
INSTALL_CELL_ID = "install-course-lib"

INSTALL_CELL = """\
# Run me first. On Colab or a bare Jupyter, this installs course_lib (and what it needs);
# on Binder, JupyterHub or after `make lab` it is already there and nothing happens.
import importlib.util
import subprocess
import sys

COURSE_LIB_SOURCE = {source!r}  # set once by the instructor (course.toml: install_from)
if importlib.util.find_spec("course_lib") is None:
    print(f"course_lib is not installed here: installing it from {{COURSE_LIB_SOURCE}} ...")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                           COURSE_LIB_SOURCE], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("pip could not install course_lib from " + COURSE_LIB_SOURCE
                           + ":\\n" + done.stderr[-2000:] + "\\nAsk your instructor for the "
                           "right location, or install it yourself and run this cell again.")
    importlib.invalidate_caches()
    print("course_lib installed. If an import below fails, restart the kernel once.")
else:
    print("course_lib is installed: nothing to do.")
"""


def install_cell(source: str) -> nbformat.NotebookNode:
    """The cell that installs course_lib from ``source`` when a lab runs where it is missing."""
    cell = nbformat.v4.new_code_cell(INSTALL_CELL.format(source=source))
    cell["id"] = INSTALL_CELL_ID
    return cell


class InsertInstallCell(NbGraderPreprocessor):
    """Put :func:`install_cell` before a notebook's first code cell (once)."""

    install_from = Unicode("course_lib", help="what the cell gives `pip install`").tag(
        config=True)

    def preprocess(self, nb, resources):  # noqa: D102 (nbconvert's hook)
        if not any(cell.get("id") == INSTALL_CELL_ID for cell in nb.cells):
            first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), 0)
            nb.cells.insert(first_code, install_cell(self.install_from))
        return nb, resources


class RecordDueDate(NbGraderPreprocessor):
    """Set the assignment's due date in the gradebook (naive UTC, as nbgrader keeps it)."""

    due_dates = Dict({}, help="lab id -> due date (ISO 8601, UTC)").tag(config=True)
    course_id = Unicode("", help="the course the assignment row belongs to").tag(config=True)

    def preprocess(self, nb, resources):  # noqa: D102 (nbconvert's hook)
        lab = resources["nbgrader"]["assignment"]
        due = self.due_dates.get(lab)
        with Gradebook(resources["nbgrader"]["db_url"], self.course_id) as gb:
            gb.update_or_create_assignment(lab, duedate=parse_utc(due) if due else None)
        return nb, resources


class CanonicalCells(NbGraderPreprocessor):
    """No outputs, no execution counts, a stable id on every cell (the grade_id, else the
    source's id, else its position), notebook format 4.5 at least."""

    def preprocess(self, nb, resources):  # noqa: D102 (nbconvert's hook)
        seen: set[str] = set()
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            cell_id = cell.get("id") or grade_id or f"cell-{index}"
            if cell_id in seen:
                cell_id = f"{cell_id}-{index}"
            seen.add(cell_id)
            cell["id"] = cell_id
        nb.nbformat_minor = max(nb.nbformat_minor, 5)
        return nb, resources
