"""Ungraded cells that crashed: found, shortened, and explained by their likely cause."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.crashes import ExplainCrashes, find_crashes


def _error(ename: str, evalue: str, frames: int = 30, mention: str = "") -> dict:
    tb = [f"\x1b[0;31mFile /usr/lib/python3/matplotlib/frame{i}.py:{i}\x1b[0m" for i in
          range(frames)]
    if mention:
        tb.insert(frames - 2, f"Cell In[7], line 3, in {mention}")
    return new_output("error", ename=ename, evalue=evalue, traceback=tb + [f"{ename}: {evalue}"])


def _answer(grade_id: str, source: str, outputs=()) -> nbformat.NotebookNode:
    cell = new_code_cell(source, outputs=list(outputs))
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": True, "grade": False,
                                 "locked": False, "schema_version": 3}
    return cell


def _test(grade_id: str, outputs=()) -> nbformat.NotebookNode:
    cell = new_code_cell("score.result()", outputs=list(outputs))
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": False, "grade": True,
                                 "points": 2, "locked": True, "schema_version": 3}
    return cell


def lab() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell("# a lab"),
        _answer("relu", "def relu_forward(x):\n    raise NotImplementedError()",
                [_error("NotImplementedError", "")]),
        _test("test_relu", [_error("NotImplementedError", "")]),
        new_code_cell("plt.plot(relu_forward(x))",
                      outputs=[_error("NotImplementedError", "", mention="relu_forward")]),
        _answer("grad", "def mlp_backward(cache):\n    return 4 * dz"),
        new_code_cell("history = train(mlp_backward)\nplt.semilogy(history)",
                      outputs=[_error("OverflowError", "cannot convert float infinity to "
                                      "integer", mention="mlp_backward")]),
        new_code_cell("print(test_accuracy)",
                      outputs=[_error("NameError", "name 'test_accuracy' is not defined", 3)]),
    ])


def test_each_crashed_ungraded_cell_is_found_with_its_likely_cause():
    crashes = find_crashes(lab())
    assert [c.index for c in crashes] == [3, 5, 6]  # not the answer, not the test cell
    assert crashes[0].error == "NotImplementedError"
    assert crashes[0].cause.startswith("exercise relu is not answered yet")
    assert crashes[1].error == "OverflowError: cannot convert float infinity to integer"
    assert crashes[1].cause.startswith("numbers became too large, inf or NaN (your "
                                       "mlp_backward is in the traceback)")
    assert "cell 4 (plt.plot(relu_forward(x)))" == crashes[0].label
    assert crashes[2].cause.startswith("the name was to be defined by a cell that crashed "
                                       "before it (cell 4")


def test_a_traceback_is_cut_to_its_last_lines_without_colour_codes():
    crash = find_crashes(lab())[1]
    assert len(crash.traceback) == 8
    assert crash.traceback[-1] == "OverflowError: cannot convert float infinity to integer"
    assert not any("\x1b" in line for line in crash.traceback)


def test_feedback_gets_a_summary_and_short_tracebacks():
    nb, _ = ExplainCrashes().preprocess(lab(), {})
    summary = nb.cells[0]
    assert summary.cell_type == "markdown"
    assert summary.source.startswith("**3 cell(s) that are not graded crashed**")
    assert "Likely cause: numbers became too large" in summary.source
    overflow = nb.cells[6].outputs[0]
    assert len(overflow.traceback) == 9  # 8 lines and the likely cause
    assert overflow.traceback[-1].startswith("Likely cause: numbers became too large")


def test_a_notebook_without_crashes_is_left_alone():
    nb = new_notebook(cells=[new_code_cell("x = 1", outputs=[])])
    out, _ = ExplainCrashes().preprocess(nbformat.from_dict(nb), {})
    assert out == nb
