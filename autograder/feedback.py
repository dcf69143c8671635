"""Feedback that does not give the hidden tests away.

nbgrader's feedback shows each graded cell as it was autograded: the hidden tests' source,
and, when one fails, a traceback quoting their lines. :class:`RedactHiddenTests` runs in
``GenerateFeedback`` before the HTML export and removes both: the hidden block is cut from
the cell (a comment says hidden tests ran there), and every error in such a cell is reduced
to the exception type and its message, e.g. ``AssertionError: softmax on (2, 3) differs at
[1, 2]: got 0.1, expected 0.3 (...)``.
"""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.filters.markdown import markdown2html
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

HIDDEN_NOTE = "# (hidden tests ran here when your notebook was graded)"


def short_error(output: NotebookNode) -> str:
    """``"ExceptionType: message"`` of an error output, without the traceback."""
    evalue = str(output.get("evalue", "")).strip()
    ename = str(output.get("ename", "Error"))
    if ename == "CellTimeoutError" and not evalue:
        evalue = "the cell ran past the time limit and was interrupted"
    return f"{ename}: {evalue}" if evalue else ename


class RedactHiddenTests(ClearHiddenTests):
    """Strip hidden-test blocks and their tracebacks from graded cells (feedback only).

    Uses nbgrader's own ``BEGIN HIDDEN TESTS`` / ``END HIDDEN TESTS`` delimiters (configurable
    as in ``ClearHiddenTests``). Cells without a hidden block are left as they are.
    """

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        if not self._remove_hidden_test_region(cell):
            return cell, resources
        cell.source = cell.source.rstrip() + "\n" + HIDDEN_NOTE
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [short_error(output)]
        return cell, resources


class SanitizeStudentContent(SanitizeHTML):
    """nbconvert's bleach sanitizer, with Markdown rendered before it is cleaned.

    ``SanitizeHTML`` cleans the HTML *inside* a Markdown cell, but Markdown syntax is rendered
    after it: ``[link](javascript:...)`` would become a live link. Rendering first lets bleach
    see every tag and URL the page will hold (its protocol allowlist drops ``javascript:``);
    the clean HTML then goes back as one ``<div>`` block without blank lines, which Markdown
    passes through as it is. Outputs (HTML, SVG, JavaScript) are cleaned or dropped by
    ``SanitizeHTML`` itself.
    """

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type == "markdown":
            clean = self.sanitize_html_tags(markdown2html(cell.source)).strip()
            lines = [line if line.strip() else "&#32;" for line in clean.splitlines()]
            cell.source = "<div>\n" + "\n".join(lines) + "\n</div>"
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)
