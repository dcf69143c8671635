"""Running a graded test cell in the grader, on the student's names brought from the kernel.

:func:`run_test_cell` executes a test cell's source in this process: the checks, NumPy, torch
and the reference library are the grader's own, out of the student's reach. The names the
cell reads but does not define itself (the student's functions, classes, variables) are
fetched from the kernel through a :class:`~autograder.proxy.KernelSession` (data by value,
anything else as a :class:`~autograder.proxy.Remote`). A module the kernel holds under such a
name is replaced by the grader's own import of it when it is one of :data:`GRADER_MODULES`.

The cell's outcome is what nbgrader reads: printed text, an error (the cell scores 0), and the
value of the last expression (a number is a partial score, see :class:`course_lib.grading.Score`).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import io
import symtable
import traceback
from dataclasses import dataclass, field
from typing import Any

from nbformat import NotebookNode

from autograder.course import is_autograded_test
from autograder.proxy import KernelLost, KernelSession, Remote

#: Top-level modules a test may name without importing them (the grader imports its own).
GRADER_MODULES = ("numpy", "torch", "math", "course_lib", "scipy", "random", "itertools",
                  "functools", "collections")


@dataclass
class CellRun:
    """What running a test cell produced.

    Attributes:
        stdout: text the cell printed.
        error: ``(ename, evalue, traceback lines)`` when it raised, else None.
        value: the last expression's value (None when there is none).
        lost: the kernel died or stopped answering (a :class:`KernelLost`) during the cell.
    """

    stdout: str = ""
    error: tuple[str, str, list[str]] | None = None
    value: Any = None
    lost: KernelLost | None = None
    names: list[str] = field(default_factory=list)


def free_names(source: str) -> list[str]:
    """Names the cell reads as globals without binding them at its top level, builtins out.

    Raises:
        SyntaxError: the source does not parse.
    """
    top = symtable.symtable(source, "<test cell>", "exec")
    bound = {s.get_name() for s in top.get_symbols()
             if s.is_assigned() or s.is_imported() or s.is_namespace()}
    wanted: list[str] = []

    def visit(table: symtable.SymbolTable, is_top: bool) -> None:
        for symbol in table.get_symbols():
            name = symbol.get_name()
            referenced = symbol.is_referenced()
            global_here = is_top or symbol.is_global()
            if referenced and global_here and name not in bound and \
                    not hasattr(builtins, name) and name not in wanted:
                wanted.append(name)
        for child in table.get_children():
            visit(child, False)

    visit(top, True)
    return wanted


def test_cell_imports(notebook: NotebookNode) -> tuple[str, ...]:
    """The modules a lab's autograded test cells import (absolute imports, first use first):
    what the grader loads to run them. A cell that does not parse is skipped."""
    names: dict[str, None] = {}
    for cell in notebook.cells:
        if cell.cell_type != "code" or not is_autograded_test(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names[node.module] = None
    return tuple(names)


def _grader_module(remote: Remote, session: KernelSession) -> Any:
    """The grader's own import of a module the kernel holds, if it is one tests may use."""
    name = session.module_names.get(remote._r_id, "")
    if name.split(".")[0] in GRADER_MODULES:
        try:
            return importlib.import_module(name)
        except ImportError:
            return remote
    return remote


def _traceback_lines(err: BaseException, filename: str) -> list[str]:
    """The test cell's own frames (line numbers) and the error, nothing of the grader."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == filename]
    lines = [f"  test cell, line {f.lineno}" for f in frames[-3:]]
    return ["Traceback (most recent call last):", *lines, f"{type(err).__name__}: {err}"]


def run_test_cell(source: str, session: KernelSession, grade_id: str) -> CellRun:
    """Run one test cell here (see the module doc); never raises for a failing test."""
    filename = f"<test cell {grade_id}>"
    run = CellRun()
    out = io.StringIO()
    try:
        tree = ast.parse(source, filename)
        names = free_names(source)
    except SyntaxError as err:
        run.error = ("SyntaxError", str(err), [f"SyntaxError: {err}"])
        return run
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    namespace: dict[str, Any] = {"__name__": "__test_cell__", "__builtins__": builtins}
    try:
        with contextlib.redirect_stdout(out):
            if names:
                fetched = session.names(names)
                for name, value in fetched.items():
                    if isinstance(value, Remote) and value._r_type == "module":
                        value = _grader_module(value, session)
                    namespace[name] = value
                run.names = sorted(fetched)
            exec(compile(tree, filename, "exec"), namespace)  # noqa: S102 (the instructor's test)
            if last is not None:
                run.value = eval(compile(ast.Expression(last.value), filename, "eval"),  # noqa: S307
                                 namespace)
    except KernelLost as err:
        run.lost = err
        run.error = (type(err).__name__, str(err), [f"{type(err).__name__}: {err}"])
    except Exception as err:
        run.error = (type(err).__name__, str(err), _traceback_lines(err, filename))
    run.stdout = out.getvalue()
    return run
