"""nbgrader's own pages for this course, in Chromium, the way an instructor and a student on
JupyterHub use them: the formgrader lists every lab and lets the instructor score a written
answer (the total changes), and JupyterLab's Assignment List shows every released lab.

One JupyterLab serves a copy of the course (``nbgrader_config.py``, ``course.toml``,
``solutions/``, ``labs/``) with every lab released to a temporary exchange and one student's
submission of the first lab with a written question graded by ``python -m autograder grade``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import LABS, ROOT, SOLUTIONS, discover_labs, jupyter_lab
from nbgrader.api import Gradebook

from autograder.course import CourseSettings
from autograder.demo import solved_notebook

STUDENT = "ada"
NBGRADER_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:assignment-list",
                    "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:create-assignment")
NBGRADER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",
                       "nbgrader.server_extensions.assignment_list",
                       "nbgrader.server_extensions.course_list")


def written_cells(nb) -> list[str]:
    """grade_ids of a notebook's written answers (graded Markdown answer cells)."""
    return [c.metadata.nbgrader["grade_id"] for c in nb.cells
            if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
            and c.metadata.nbgrader.get("solution")]


def first_lab_with_a_written_answer() -> str:
    for lab in discover_labs():
        if written_cells(nbformat.read(SOLUTIONS / lab / f"{lab}.ipynb", as_version=4)):
            return lab
    pytest.fail("no lab has a written answer (a graded Markdown answer cell)")


def _nbgrader(args: list[str], cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (args, done.stderr[-3000:])


@pytest.fixture(scope="module")
def course_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nbgrader-views")
    root, exchange, home = tmp / "course", tmp / "exchange", tmp / "jupyter"
    root.mkdir()
    for name in ("nbgrader_config.py", "course.toml"):
        shutil.copyfile(ROOT / name, root / name)
    shutil.copytree(SOLUTIONS, root / "solutions")
    shutil.copytree(LABS, root / "labs")
    exchange.mkdir()
    exchange.chmod(0o777)
    # the hub's configuration: where the exchange is, and nbgrader's tools all on (student
    # mode may have switched them off in this environment)
    config = home / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
    (config / "labconfig" / "page_config.json").write_text(json.dumps({
        "disabledExtensions": dict.fromkeys(NBGRADER_PLUGINS, False),
        "lockedExtensions": dict.fromkeys(NBGRADER_PLUGINS, False)}))
    (config / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": dict.fromkeys(NBGRADER_EXTENSIONS, True)}}))

    labs = discover_labs()
    for lab in labs:
        _nbgrader(["db", "assignment", "add", lab], root)
        _nbgrader(["release_assignment", lab, f"--Exchange.root={exchange}"], root)

    lab = first_lab_with_a_written_answer()
    source = nbformat.read(root / "solutions" / lab / f"{lab}.ipynb", as_version=4)
    release = nbformat.read(root / "labs" / lab / f"{lab}.ipynb", as_version=4)
    path = root / "submitted" / STUDENT / lab / f"{lab}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(solved_notebook(release, source), path)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "submitted", "--out", ".",
                           "--assignment", lab, "--workers", "1"], cwd=root,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with jupyter_lab(root, home) as server:
        yield {**server, "lab": lab, "labs": labs, "written": written_cells(source)[0],
               "db": f"sqlite:///{root / 'gradebook.db'}"}


@pytest.fixture
def tab(browser, course_server):
    # the formgrader's own requests carry no token: every request of this tab sends it
    context = browser.new_context(
        viewport={"width": 1600, "height": 1000},
        extra_http_headers={"Authorization": f"token {course_server['token']}"})
    page = context.new_page()
    yield page
    context.close()


def _submission(server) -> tuple[str, float, float | None]:
    """(submitted notebook id, total score, the written answer's manual score)."""
    course_id = CourseSettings.read(ROOT / "course.toml").course_id
    with Gradebook(server["db"], course_id) as gb:
        notebook = gb.find_submission_notebook(server["lab"], server["lab"], STUDENT)
        manual = next(g.manual_score for g in notebook.grades if g.name == server["written"])
        return notebook.id, float(notebook.score), manual


def test_the_formgrader_lists_every_lab(tab, course_server, screenshots):
    tab.goto(f"{course_server['url']}/formgrader/manage_assignments"
             f"?token={course_server['token']}")
    table = tab.locator("#main-table")
    for lab in course_server["labs"]:
        table.locator("td", has_text=re.compile(f"^\\s*{lab}\\s*$")).first.wait_for(
            timeout=60_000)
    tab.screenshot(path=str(screenshots / "formgrader-assignments.png"))
    assert len(course_server["labs"]) == 6


def test_an_instructor_scores_a_written_answer_and_the_total_changes(tab, course_server,
                                                                     screenshots):
    notebook_id, before, manual = _submission(course_server)
    assert manual is None  # nobody has scored it yet
    tab.goto(f"{course_server['url']}/formgrader/submissions/{notebook_id}/"
             f"?token={course_server['token']}")
    box = tab.locator(f"input.score#{course_server['written']}")
    box.wait_for(timeout=60_000)
    box.fill("1.5")
    box.press("Tab")  # the formgrader saves on change
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, after, manual = _submission(course_server)
        if manual is not None:
            break
        time.sleep(0.5)
    tab.screenshot(path=str(screenshots / "formgrader-written-answer.png"))
    assert manual == 1.5
    assert after == before + 1.5
    # the instructor sees the new total in the formgrader's list of submissions
    lab = course_server["lab"]
    tab.goto(f"{course_server['url']}/formgrader/gradebook/{lab}/{lab}"
             f"?token={course_server['token']}")
    row = tab.locator("tr", has_text=STUDENT).first
    row.wait_for(timeout=60_000)
    assert f"{after:g}" in row.inner_text().replace(".00", "")


def test_the_assignment_list_shows_every_released_lab(tab, course_server, screenshots):
    tab.goto(f"{course_server['url']}/lab?token={course_server['token']}")
    tab.locator(".lm-MenuBar-item", has_text=re.compile("^Nbgrader$")).click()
    label = tab.locator(".lm-Menu-itemLabel", has_text=re.compile("^Assignment List$"))
    tab.locator(".lm-Menu-item", has=label).first.click()
    released = tab.locator("#released_assignments_list")
    for lab in course_server["labs"]:
        released.get_by_text(lab, exact=True).first.wait_for(timeout=60_000)
    tab.screenshot(path=str(screenshots / "assignment-list.png"))
