"""``release``: generate the student notebooks (labs/) from the source with nbgrader.

nbgrader's ``GenerateAssignment`` converter does the work (solutions replaced by
``raise NotImplementedError()``, hidden tests removed, outputs cleared, cells locked,
checksums), followed by the course's own steps (:mod:`autograder.release_steps`: the install
cell, the due date, canonical cells), so that releasing twice, or with ``nbgrader
generate_assignment``, gives byte-identical files, which is what the staleness check compares.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbgrader.converters import GenerateAssignment
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import SchemaMismatchError

from autograder.course import (
    Course,
    CourseError,
    captured_nbgrader_log,
    course_directory,
    first_error,
    nbgrader_config,
    sqlite_url,
)


def _check_source_metadata(course: Course, lab: str) -> None:
    """Raise ``CourseError`` with nbgrader's own reason when a source notebook is invalid."""
    path = course.source_notebook(lab)
    try:
        nb = nbformat.read(path, as_version=4)
        MetadataValidator().validate_nb(nb)
    except (ValidationError, SchemaMismatchError) as err:
        reason = getattr(err, "message", None) or str(err).splitlines()[0]
        raise CourseError(f"{course.display(path)}: nbgrader metadata invalid: {reason}") from err
    except Exception as err:  # not JSON, not a notebook
        raise CourseError(f"{course.display(path)}: not a readable notebook: {err}") from err


def generate_release(course: Course, labs: Sequence[str], dest: Path, db_url: str) -> None:
    """Release ``labs`` into ``dest/<lab>/`` and record them in the gradebook ``db_url``.

    Args:
        course: the course (its source folder is read).
        labs: lab ids.
        dest: folder that receives ``<lab>/<lab>.ipynb`` and the lab's other files.
        db_url: gradebook that receives the assignments (nbgrader needs one to grade).
    Raises:
        CourseError: nbgrader could not release a lab (the message says why).
    """
    for lab in labs:
        _check_source_metadata(course, lab)
        with tempfile.TemporaryDirectory(prefix="autograder-release-") as tmp:
            raw = Path(tmp) / "release"
            config = nbgrader_config(
                root=course.root, source=course.source, release=raw, db_url=db_url,
                settings=course.settings,
            )
            coursedir = course_directory(config, lab)
            with captured_nbgrader_log() as log:
                try:
                    GenerateAssignment(coursedir=coursedir, config=config, force=True).start()
                except Exception as err:
                    reason = first_error([*log, str(err)]) if log else str(err)
                    raise CourseError(f"{lab}: nbgrader could not release it: {reason}") from err
            out = dest / lab
            if out.exists():
                shutil.rmtree(out)
            for path in sorted((raw / lab).rglob("*")):
                if path.is_dir():
                    continue
                target = out / path.relative_to(raw / lab)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


def compare_trees(expected: Path, actual: Path) -> list[str]:
    """Relative paths that differ between two folders (missing, extra or changed)."""
    want = {p.relative_to(expected) for p in expected.rglob("*") if p.is_file()}
    have = {p.relative_to(actual) for p in actual.rglob("*") if p.is_file()}
    have = {p for p in have if ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts}
    changed = [p for p in want & have if not filecmp.cmp(expected / p, actual / p, shallow=False)]
    return sorted(str(p) for p in (want ^ have) | set(changed))


def release(course: Course, labs: Sequence[str]) -> list[tuple[str, str]]:
    """Regenerate ``labs/<lab>/`` for each lab; files already up to date are not touched.

    Returns:
        ``(path relative to the course root, "written" | "unchanged" | "removed")`` per file.
    """
    report: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        fresh = Path(tmp) / "release"
        generate_release(course, labs, fresh, sqlite_url(Path(tmp) / "gradebook.db"))
        for lab in labs:
            new, old = fresh / lab, course.labs / lab
            stale = set(compare_trees(new, old))
            for path in sorted(p for p in new.rglob("*") if p.is_file()):
                rel = path.relative_to(new)
                target = old / rel
                if str(rel) in stale:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target)
                    report.append((course.display(target), "written"))
                else:
                    report.append((course.display(target), "unchanged"))
            for rel in sorted(stale):
                if not (new / rel).exists():
                    (old / rel).unlink()
                    report.append((course.display(old / rel), "removed"))
    return report
