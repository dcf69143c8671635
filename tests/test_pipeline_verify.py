"""The repository's own course verifies, and a stale labs/ folder is caught.

``python -m autograder verify`` releases every lab afresh and compares it with labs/, checks
nbgrader's metadata, scans labs/ for solution and hidden-test code, and autogrades every
solution (full marks expected) and every untouched release (0 expected).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from autograder.course import Course

REPO = Path(__file__).resolve().parents[1]


def autograder(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=1800)


def test_repository_course_verifies():
    done = autograder("verify", cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    labs = Course.at(REPO).lab_ids()
    assert labs, "no labs in solutions/"
    for lab in labs:
        assert f"{lab}: ok; labs/ in sync; solution " in done.stdout, done.stdout
    assert f"verify: {len(labs)} lab(s), 0 problem(s)" in done.stdout


def test_stale_labs_are_caught_with_the_source_in_another_folder(tmp_path: Path):
    lab = Course.at(REPO).lab_ids()[0]
    private, course = tmp_path / "private", tmp_path / "course"
    shutil.copytree(REPO / "solutions" / lab, private / "solutions" / lab)
    shutil.copytree(REPO / "labs" / lab, course / "labs" / lab)
    shutil.copyfile(REPO / "course.toml", course / "course.toml")  # the public course's settings
    source = ("--source", str(private / "solutions"))

    fresh = autograder("verify", "--quick", lab, *source, cwd=course)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr

    path = private / "solutions" / lab / f"{lab}.ipynb"
    nb = nbformat.read(path, as_version=4)
    first_markdown = next(c for c in nb.cells if c.cell_type == "markdown")
    first_markdown.source += "\n\nOne more sentence, added after the last release."
    nbformat.write(nb, path)

    stale = autograder("verify", "--quick", lab, *source, cwd=course)
    assert stale.returncode == 1
    problems = [line for line in stale.stdout.splitlines() if line.startswith("problem: ")]
    assert problems == [
        f"problem: labs/{lab} is stale (a fresh release changes {lab}.ipynb); "
        f"run `python -m autograder release {lab}`"
    ]
    assert f"{lab}: 1 problem(s); labs/ STALE" in stale.stdout
