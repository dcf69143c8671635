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
* metadata of the wrong type (``tags`` that is not a list, ...) is dropped (noted), rather
  than nbgrader refusing the whole notebook;
* a cell pasted twice (the same ``grade_id``) is graded once: later copies lose their
  nbgrader metadata and run as the student's own code (noted);
* deleted answer cells and edited read-only cells (nbgrader grades the original) are noted;
* a notebook or lab folder that is a symbolic link is refused (it could point at another
  student's work or at the course's solutions), and so is a folder over the size limit.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbformat.validator import iter_validate
from nbgrader import utils


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


def _files_in(folder: Path) -> list[Path]:
    """Every file under ``folder``; symbolic links are listed, never followed."""
    found = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if d != ".ipynb_checkpoints"]
        found += [Path(top) / name for name in files]
        found += [Path(top) / d for d in dirs if (Path(top) / d).is_symlink()]
    return sorted(found)


def _notebooks_in(folder: Path) -> list[Path]:
    return [p for p in _files_in(folder) if p.name.endswith(".ipynb")]


def folder_size(folder: Path) -> int:
    """Bytes of the regular files under ``folder`` (links not followed)."""
    return sum(p.lstat().st_size for p in _files_in(folder) if not p.is_symlink())


def drop_duplicates(nb: NotebookNode) -> list[str]:
    """Keep the first cell of each ``grade_id``; later copies become plain student cells.

    Returns:
        the grade_ids that were duplicated.
    """
    seen: set[str] = set()
    duplicated = []
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid is None:
            continue
        if gid in seen:
            cell.metadata.pop("nbgrader", None)
            duplicated.append(gid)
        seen.add(gid)
    return list(dict.fromkeys(duplicated))


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


#: Most metadata entries dropped from one notebook (each costs one validation pass).
MAX_METADATA_REPAIRS = 200


def drop_invalid_metadata(nb: NotebookNode) -> list[str]:
    """Drop the metadata entries (the notebook's or a cell's) that the nbformat schema
    rejects, e.g. ``tags`` that is not a list: nbgrader refuses a whole notebook for one, and
    the grader needs none of them (nbgrader's own metadata is checked against the lab's).
    Returns the names of the entries dropped, in the order found."""
    dropped: list[str] = []
    for _ in range(MAX_METADATA_REPAIRS):
        error = next(iter_validate(nb), None)
        if error is None:
            break
        path = list(error.absolute_path)
        if len(path) >= 2 and path[0] == "metadata" and path[1] in nb.metadata:
            del nb.metadata[path[1]]
            dropped.append(str(path[1]))
        elif len(path) >= 4 and path[0] == "cells" and path[2] == "metadata" and \
                path[3] in nb.cells[path[1]].metadata:
            del nb.cells[path[1]].metadata[path[3]]
            dropped.append(str(path[3]))
        else:  # not metadata: nbgrader says what is wrong
            break
    return dropped


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


#: The source of an answer cell put back in a submission that had deleted it.
UNANSWERED = {"code": "# deleted from the submission: put back unanswered\n"
                      "raise NotImplementedError()",
              "markdown": "(deleted from the submission: no answer)"}


def put_back_answers(nb: NotebookNode, source_nb: NotebookNode, missing: list[str],
                     order: list[str]) -> None:
    """Put each deleted answer cell back, unanswered, after the lab cell before it.

    nbgrader puts deleted test cells back after the cell that precedes them in the source,
    which may be the deleted answer: without it the whole notebook would fail to grade, where
    the deletion should cost that exercise only.
    """
    rank = {gid: i for i, gid in enumerate(order)}
    for cell in source_nb.cells:
        gid = _grade_id(cell)
        if gid not in missing:
            continue
        stub = nbformat.from_dict({
            "cell_type": cell.cell_type, "metadata": copy.deepcopy(dict(cell.metadata)),
            "source": UNANSWERED.get(cell.cell_type, ""), "id": gid,
            **({"outputs": [], "execution_count": None} if cell.cell_type == "code" else {}),
        })
        at = 0
        for i, present in enumerate(nb.cells):
            other = _grade_id(present)
            if other in rank and rank[other] < rank[gid]:
                at = i + 1
        nb.cells.insert(at, stub)


def load_submission(
    folder: Path, lab: str, source_nb: NotebookNode, max_bytes: int = 0
) -> Intake:
    """Read the submission of ``lab`` in ``folder`` (see the module doc).

    Args:
        folder: ``<submissions>/<student>/<lab>``.
        lab: the lab id.
        source_nb: the lab's source notebook (cell order, answer cells).
        max_bytes: largest folder accepted (0: any).
    """
    expected = folder / f"{lab}.ipynb"
    notes: list[str] = []
    for path in (folder.parent, folder):
        if path.is_symlink():
            return Intake(None, fatal=f"{path.name} is a symbolic link: not graded")
    if max_bytes and folder.is_dir():
        size = folder_size(folder)
        if size > max_bytes:
            return Intake(None, fatal=f"submission larger than {max_bytes / 1024**2:g} MB "
                                      "(notebook outputs or data files?): not graded")
    if expected.is_symlink():
        return Intake(None, fatal=f"{expected.name} is a symbolic link, not a notebook: "
                                  "not graded")
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
        if path.is_symlink():
            return Intake(None, fatal=f"{path.name} is a symbolic link, not a notebook: "
                                      "not graded")
        notes.append(f"graded {path.relative_to(folder)} (expected {lab}.ipynb)")
    nb, note, fatal = read_notebook(path)
    if nb is None:
        return Intake(None, notes, fatal)
    if note:
        notes.append(note)

    dropped = drop_invalid_metadata(nb)
    if dropped:
        notes.append(f"metadata the notebook format does not allow dropped "
                     f"({', '.join(sorted(set(dropped)))}; {len(dropped)} entries)")
    duplicated = drop_duplicates(nb)
    if duplicated:
        notes.append(f"cell {', '.join(duplicated)} pasted twice: graded once (the copy "
                     "runs as your own code)")
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
        put_back_answers(nb, source_nb, missing_answers, order)
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
    return Intake(nb, notes)
