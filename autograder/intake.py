"""What a submission folder holds, before it is graded: find, read, repair, explain.

Students submit notebooks under the wrong name, several notebooks, empty or half-written
files, notebooks saved by an old Jupyter (nbformat 3), with cells deleted, moved or edited.
:func:`load_submission` turns a folder into one nbformat-4 notebook to grade (or a reason why
there is none) and a list of notes for the ``status`` column:

* ``<lab>.ipynb`` is graded; without it a single other ``.ipynb`` in the folder is graded and
  the status says so; several other notebooks are not guessed between (score 0);
* an empty file, a file that is not JSON or not a notebook: score 0 with the reason;
* nbformat 3 is converted to 4 (said in the status);
* cells of the lab (answer, test and locked cells, known by their ``grade_id``) that were
  moved are put back in the lab's order, each with the student's own cells that followed it;
* deleted answer cells, edited read-only cells (nbgrader grades the original) and student code
  that assigns attributes of numpy, builtins or course_lib are noted.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils

#: Names whose attributes student code has no business assigning.
PROTECTED_MODULES = ("numpy", "builtins", "course_lib", "math", "sys", "functools", "operator")


@dataclass
class Intake:
    """A submission folder read for grading.

    Attributes:
        notebook: the notebook to grade (nbformat 4), or None when there is none.
        notes: things the status should say (may be set with a notebook or without).
        fatal: why nothing can be graded (set when ``notebook`` is None).
    """

    notebook: NotebookNode | None
    notes: list[str] = field(default_factory=list)
    fatal: str = ""


def _notebooks_in(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*.ipynb")
        if p.is_file() and ".ipynb_checkpoints" not in p.relative_to(folder).parts
    )


def read_notebook(path: Path) -> tuple[NotebookNode | None, str, str]:
    """``(notebook as v4, note, fatal reason)`` of a file."""
    raw = path.read_bytes()
    if not raw.strip():
        return None, "", f"empty file {path.name} (0 bytes of notebook)"
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as err:
        return None, "", f"invalid notebook (not readable JSON: {err})"
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        return None, "", f"invalid notebook ({path.name} is JSON but not a notebook)"
    major = data.get("nbformat")
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as err:  # nbformat raises several types
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return None, "", f"invalid notebook ({reason})"
    note = f"converted from nbformat {major} to 4" if isinstance(major, int) and major < 4 else ""
    return nb, note, ""


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def restore_order(nb: NotebookNode, order: list[str]) -> bool:
    """Put the lab's cells back in ``order`` (student cells travel with the one above).

    Returns:
        whether anything moved.
    """
    rank = {gid: i for i, gid in enumerate(order)}
    groups: list[tuple[float, list[NotebookNode]]] = [(-1.0, [])]
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid in rank:
            groups.append((float(rank[gid]), [cell]))
        else:
            groups[-1][1].append(cell)
    ranks = [r for r, _ in groups]
    if ranks == sorted(ranks):
        return False
    nb.cells = [cell for _, cells in sorted(groups, key=lambda g: g[0]) for cell in cells]
    return True


def _module_aliases(tree: ast.AST) -> dict[str, str]:
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _protected(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in PROTECTED_MODULES)


def scan_for_patches(sources: list[str], context: Sequence[str] = ()) -> list[str]:
    """What student code assigns in library modules (``np.allclose = ...``, ``setattr(np, ..)``,
    ``sys.modules[...] = ...``, ``__builtins__``, ``.__code__ =``), as short descriptions.

    Args:
        sources: the student's cells (scanned).
        context: other cells of the notebook (only their imports are read: ``np``).
    """
    aliases: dict[str, str] = {}
    for source in context:
        try:
            aliases.update(_module_aliases(ast.parse(source)))
        except SyntaxError:
            continue
    trees = []
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        trees.append(tree)
        aliases.update(_module_aliases(tree))
    aliases.setdefault("__builtins__", "builtins")

    def resolve(dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        full = aliases.get(head, head if head in ("builtins", "sys") else "")
        return f"{full}.{rest}" if full and rest else full

    found = []
    for tree in trees:
        for node in ast.walk(tree):
            targets: list[ast.AST] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            elif isinstance(node, ast.Delete):
                targets = list(node.targets)
            for target in targets:
                if isinstance(target, ast.Attribute):
                    dotted = _dotted(target)
                    full = resolve(dotted) if dotted else ""
                    if full and _protected(full.rsplit(".", 1)[0]):
                        found.append(f"assigns {full}")
                    elif target.attr in ("__code__", "__defaults__", "__kwdefaults__"):
                        found.append(f"assigns {dotted or '...'}")
                elif isinstance(target, ast.Subscript):
                    base = _dotted(target.value) or ""
                    if resolve(base) in ("sys.modules", "builtins") or base == "__builtins__":
                        found.append(f"assigns {base}[...]")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("setattr", "delattr") and node.args:
                dotted = _dotted(node.args[0]) or ""
                full = resolve(dotted) if dotted else ""
                if full and _protected(full):
                    found.append(f"calls {node.func.id}({dotted}, ...)")
    return list(dict.fromkeys(found))


def load_submission(folder: Path, lab: str, source_nb: NotebookNode) -> Intake:
    """Read the submission of ``lab`` in ``folder`` (see the module doc)."""
    expected = folder / f"{lab}.ipynb"
    notes: list[str] = []
    if expected.is_file():
        path = expected
    else:
        found = _notebooks_in(folder) if folder.is_dir() else []
        if not found:
            return Intake(None, fatal=f"missing notebook {expected}")
        if len(found) > 1:
            names = ", ".join(str(p.relative_to(folder)) for p in found)
            return Intake(None, fatal=f"several notebooks ({names}) and none named "
                                      f"{lab}.ipynb: not graded")
        path = found[0]
        notes.append(f"graded {path.relative_to(folder)} (expected {lab}.ipynb)")
    nb, note, fatal = read_notebook(path)
    if nb is None:
        return Intake(None, notes, fatal)
    if note:
        notes.append(note)

    order = [gid for c in source_nb.cells if (gid := _grade_id(c))]
    present = {_grade_id(c) for c in nb.cells}
    if restore_order(nb, order):
        notes.append("moved cells put back in the lab's order")
    missing_answers = [
        _grade_id(c) for c in source_nb.cells
        if utils.is_solution(c) and _grade_id(c) not in present
    ]
    if missing_answers:
        notes.append(f"deleted answer cell {', '.join(missing_answers)}")
    edited = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if utils.is_locked(cell) and "checksum" in meta and _grade_id(cell):
            try:
                if meta["checksum"] != utils.compute_checksum(cell):
                    edited.append(_grade_id(cell))
            except Exception:  # malformed metadata: nbgrader reports it
                continue
    if edited:
        notes.append(f"edited read-only cell {', '.join(edited)}: graded with the original")
    student_code = [
        c.source for c in nb.cells
        if c.cell_type == "code" and not utils.is_locked(c)
    ]
    patches = scan_for_patches(student_code, [
        c.source for c in nb.cells if c.cell_type == "code" and utils.is_locked(c)])
    if patches:
        notes.append("suspicious code: " + ", ".join(patches[:3])
                     + (f" (+{len(patches) - 3} more)" if len(patches) > 3 else ""))
    return Intake(nb, notes)
