"""Feedback that does not give the hidden tests away.

nbgrader's feedback shows each graded cell as it was autograded: the hidden tests' source,
and, when one fails, a traceback quoting their lines. :class:`RedactHiddenTests` runs in
``GenerateFeedback`` before the HTML export and removes both: the hidden block is cut from
the cell (a comment says hidden tests ran there), and every error in such a cell is reduced
to the exception type and its message, e.g. ``AssertionError: softmax on (2, 3) differs at
[1, 2]: got 0.1, expected 0.3 (...)``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import jinja2
from jinja2.bccache import Bucket, BytecodeCache
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.markdown import markdown2html
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

HIDDEN_NOTE = "# (hidden tests ran here when your notebook was graded)"
#: Alternative text of a plot or image that has none (what nbconvert's HTML export gives).
NO_ALT = "No description has been provided for this image"
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)(?=[\s>/])", re.IGNORECASE)


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


class _Remembered:
    """Text made from keys, kept for the process up to ``limit`` characters in all (the
    least recently used goes first; a value over a sixteenth of the limit is not kept)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._values: OrderedDict[tuple, str] = OrderedDict()
        self._size = 0

    def get(self, key: tuple) -> str | None:
        value = self._values.get(key)
        if value is not None:
            self._values.move_to_end(key)
        return value

    def put(self, key: tuple, value: str) -> None:
        if len(value) > self.limit // 16 or key in self._values:
            return
        self._values[key] = value
        self._size += len(value)
        while self._size > self.limit:
            _, oldest = self._values.popitem(last=False)
            self._size -= len(oldest)


#: Characters of highlighted code a grading process keeps (a lab's code cells: about 0.2 MB).
HIGHLIGHTS_KEPT = 8_000_000
_HIGHLIGHTED = _Remembered(HIGHLIGHTS_KEPT)


class RememberedHighlight(Highlight2HTML):
    """nbconvert's code highlighting, with each result kept for the process.

    Most code cells of a lab read the same in every submission (only the answers differ),
    and pygments' lexer is most of a feedback page's export (0.25 of 0.42 CPU-s on lab 00).
    The key is all the HTML depends on: the source, the language (the cell's
    ``magics_language`` included) and the formatter's options.
    """

    def __call__(self, source: str, language: str | None = None,
                 metadata: dict | None = None) -> str:
        magics = (metadata or {}).get("magics_language")
        if not isinstance(magics, str):  # a student's metadata: only a lexer's name counts
            magics, metadata = None, {}
        key = (source, language or self.pygments_lexer, magics,
               repr(sorted(self.extra_formatter_options.items())))
        html = _HIGHLIGHTED.get(key)
        if html is None:
            html = super().__call__(source, language, metadata)
            _HIGHLIGHTED.put(key, html)
        return html


class _CompiledTemplates(BytecodeCache):
    """Compiled Jinja templates kept in memory for the process (keyed by name and source)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


class FeedbackHTMLExporter(HTMLExporter):
    """nbconvert's HTML export of a feedback page, without its second pass over the page.

    ``HTMLExporter`` renders the page, then parses it again with BeautifulSoup to give images
    alternative text and JupyterLab-template cells a tab stop, and writes it out again: on a
    lab's feedback page that pass is two thirds of the export (the page holds every plot).
    The feedback template is nbgrader's classic one (no JupyterLab cells), so the alt text is
    all it needs; it is added here with one substitution. Compiled templates and highlighted
    code (:class:`RememberedHighlight`) are kept for the process, since a grading worker
    exports one page per submission. The page's content
    is the same; its sanitising is done before (:class:`SanitizeStudentContent` and
    ``sanitize_html``), not by this pass.
    """

    def _create_environment(self) -> jinja2.Environment:
        environment = super()._create_environment()
        environment.bytecode_cache = _COMPILED
        return environment

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """The feedback page of ``nb`` (HTML text) and the export's resources."""
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name"))
        resources = self._init_resources(resources)
        self.register_filter("highlight_code", self.filters.get(
            "highlight_code", RememberedHighlight(pygments_lexer=lexer, parent=self)))
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _IMG_WITHOUT_ALT.sub(f'<img alt="{NO_ALT}"', html), resources
