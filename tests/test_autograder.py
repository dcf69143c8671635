"""The course pipeline on a tiny course built here: release, grade, feedback, validate, demo.

The tiny lab has three exercises (double: 2 points, wait: 1 point, square: 2 points), each
with a visible and a hidden test, and needs nothing but Python, so kernels start and finish
in about a second.
"""

from __future__ import annotations

import csv
import html
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.api import Gradebook

from autograder.course import Course, is_autograded_test
from autograder.demo import fill_solution
from autograder.early_kernel import (
    DEFAULT_KERNEL_IMPORTS,
    MAX_KERNEL_IMPORTS,
    kernel_imports,
    warm_imports_line,
)
from autograder.feedback import HIDDEN_NOTE, RedactHiddenTests
from autograder.release import release
from autograder.student_mode import (
    KEPT,
    LAB_PLUGINS_OFF,
    SERVER_EXTENSIONS_OFF,
    apply_student_mode,
)
from autograder.verify import check_leaks

REPO = Path(__file__).resolve().parents[1]
LAB = "tiny"
HIDDEN_DOUBLE_LINE = "for v in [3, -1.5, 10]:"


def _meta(kind: str, grade_id: str, points: int | None = None) -> dict:
    meta = {"grade": kind == "test", "solution": kind == "answer", "locked": kind != "answer",
            "task": False, "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _answer(name: str, arg: str, body: str) -> nbformat.NotebookNode:
    source = f"def {name}({arg}):\n    ### BEGIN SOLUTION\n    {body}\n    ### END SOLUTION"
    return new_code_cell(source, id=name, metadata=_meta("answer", name))


def _test(name: str, points: int, visible: str, hidden: str) -> nbformat.NotebookNode:
    source = f"{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"
    return new_code_cell(source, id=f"test_{name}", metadata=_meta("test", f"test_{name}", points))


def build_tiny_course(root: Path) -> Course:
    """solutions/tiny/tiny.ipynb under ``root``, released into labs/."""
    cells = [
        new_markdown_cell("# A tiny lab", id="intro"),
        new_code_cell("import sys\nimport time\n\nprint(sys.prefix)\n"
                      "print('colorsys' in sys.modules, 'torch' in sys.modules)", id="setup",
                      metadata=_meta("locked", "setup")),
        _answer("double", "x", "return 2 * x"),
        _test("double", 2, 'assert double(2) == 4, "double(2) should be 4"',
              f'{HIDDEN_DOUBLE_LINE}\n    assert double(v) == 2 * v, f"double({{v}}) should be '
              '{2 * v}"'),
        _answer("wait", "seconds", "return seconds"),
        _test("wait", 1, 'assert wait(0) == 0, "wait(0) should return 0"',
              'assert wait(1) == 1, "wait(1) should return 1"'),
        _answer("square", "x", "return x * x"),
        _test("square", 2, 'assert square(3) == 9, "square(3) should be 9"',
              'assert square(-4) == 16, "square(-4) should be 16"'),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    # what a kernel started ahead imports for this lab (colorsys: a marker no kernel loads
    # by itself), instead of the default numpy, matplotlib, torch and course_lib
    nb.metadata["course_lib"] = {"kernel_imports": ["colorsys"]}
    path = root / "solutions" / LAB / f"{LAB}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    course = Course.at(root)
    release(course, [LAB])
    return course


def submission(course: Course, **answers: str) -> nbformat.NotebookNode:
    """The released notebook with every answer from the source, except those given."""
    source = nbformat.read(course.source_notebook(LAB), as_version=4)
    solved = {
        c.id: fill_solution(c.source) for c in source.cells if c.id in {"double", "wait", "square"}
    }
    nb = nbformat.read(course.release_notebook(LAB), as_version=4)
    for cell in nb.cells:
        if cell.id in solved:
            cell.source = answers.get(cell.id, solved[cell.id])
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def autograder(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def visible_text(html_file: Path) -> str:
    """What a browser shows of an HTML file: styles, scripts and tags dropped."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", html_file.read_text(), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    return build_tiny_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """``grade`` on five students, two workers, a 5 s cell timeout."""
    subs = tmp_path_factory.mktemp("submissions")
    write(submission(course), subs / "alice" / LAB / f"{LAB}.ipynb")
    (subs / "bob" / LAB).mkdir(parents=True)  # the folder, but no notebook
    (subs / "carol" / LAB).mkdir(parents=True)
    (subs / "carol" / LAB / f"{LAB}.ipynb").write_text('{"cells": [ not json')
    # right on the visible input only: the hidden tests fail
    write(submission(course, double="def double(x):\n    return 4 if x == 2 else x"),
          subs / "dave" / LAB / f"{LAB}.ipynb")
    write(submission(course, wait="def wait(seconds):\n    time.sleep(60)\n    return seconds"),
          subs / "erin" / LAB / f"{LAB}.ipynb")
    out = tmp_path_factory.mktemp("out")
    done = autograder("grade", str(subs), "--out", str(out), "--workers", "2", "--timeout", "5",
                      cwd=course.root)
    assert done.returncode == 0, done.stderr
    return out, done


def rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


# --- release -----------------------------------------------------------------------------------


def test_release_is_deterministic_and_strips_answers(course: Course):
    first = course.release_notebook(LAB).read_bytes()
    report = release(course, [LAB])
    assert report == [(f"labs/{LAB}/{LAB}.ipynb", "unchanged")]
    assert course.release_notebook(LAB).read_bytes() == first
    nb = nbformat.read(course.release_notebook(LAB), as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "return 2 * x" not in text and HIDDEN_DOUBLE_LINE not in text
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert text.count("raise NotImplementedError()") == 3
    assert all(c.get("outputs", []) == [] and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")


def test_leak_scan_finds_solution_code_in_labs(course: Course, tmp_path: Path):
    assert check_leaks(course, [LAB]) == []
    leaky = Course(course.root, course.source, tmp_path / "labs")
    notes = leaky.labs / LAB / "notes.py"
    notes.parent.mkdir(parents=True)
    notes.write_text(f"# scratch\n{HIDDEN_DOUBLE_LINE}\n    pass\n")
    assert check_leaks(leaky, [LAB]) == [
        (LAB, f"{notes}: contains hidden test code of {LAB}: {HIDDEN_DOUBLE_LINE!r}")
    ]


# --- grade ---------------------------------------------------------------------------------


def test_grades_csv_has_a_row_for_every_student_with_a_status(graded):
    out, _ = graded
    with open(out / "grades.csv", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["student_id", "assignment", "score", "max_score", "raw_score",
                      "late_penalty", "timestamp", "seconds_late", "manual_pending", "status",
                      "seconds", "feedback"]
    table = rows(out)
    assert sorted(table) == ["alice", "bob", "carol", "dave", "erin"]
    assert {s: (r["assignment"], r["score"], r["max_score"]) for s, r in table.items()} == {
        "alice": (LAB, "5", "5"), "bob": (LAB, "0", "5"), "carol": (LAB, "0", "5"),
        "dave": (LAB, "3", "5"), "erin": (LAB, "4", "5"),
    }
    assert table["alice"]["status"] == "ok"
    assert table["bob"]["status"].startswith("missing notebook ")
    assert table["carol"]["status"].startswith("invalid notebook (not readable JSON")
    assert table["dave"]["status"] == "ok"


def test_grade_prints_a_student_by_lab_table(graded):
    _, done = graded
    lines = done.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == ["student", LAB])
    assert lines[header + 1].split() == ["alice", "5/5"]
    assert lines[header + 4].split() == ["dave", "3/5"]


def test_gradebook_holds_the_scores(graded):
    out, _ = graded
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", "") as gb:
        scores = {s: gb.find_submission(LAB, s).score for s in ("alice", "bob", "dave", "erin")}
        dave = {g.name: g.auto_score for g in gb.find_submission_notebook(LAB, LAB, "dave").grades}
    assert scores == {"alice": 5.0, "bob": 0.0, "dave": 3.0, "erin": 4.0}
    assert dave == {"test_double": 0.0, "test_wait": 1.0, "test_square": 2.0}


def test_hidden_input_seeds_are_recorded_in_the_gradebook(graded):
    import sqlite3

    out, _ = graded
    with sqlite3.connect(out / "gradebook.db") as db:
        rows_ = db.execute("SELECT cell, seed_text FROM autograder_hidden_seeds WHERE "
                           "student = 'dave' ORDER BY cell").fetchall()
    assert rows_ == [(f"test_{name}", f"course_lib/{LAB}/test_{name}/dave")
                     for name in ("double", "square", "wait")]


def test_feedback_shows_the_failed_hidden_test_message_but_not_its_code(graded):
    out, _ = graded
    feedback = out / "feedback" / "dave" / LAB / f"{LAB}.html"
    text = visible_text(feedback)
    assert "double(3) should be 6" in text  # the assertion message
    assert 'assert double(2) == 4, "double(2) should be 4"' in text  # visible tests stay
    assert HIDDEN_DOUBLE_LINE not in text
    assert "assert double(v) == 2 * v" not in text
    assert "HIDDEN TESTS" not in text
    assert "Traceback" not in text and "Cell In[" not in text
    assert HIDDEN_NOTE in text


def test_a_cell_past_the_timeout_costs_only_its_own_exercise(graded):
    out, _ = graded
    erin = rows(out)["erin"]
    assert erin["score"] == "4"
    assert erin["status"] == "timeout in cell test_wait (over 5 s)"
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", "") as gb:
        erin = gb.find_submission_notebook(LAB, LAB, "erin")
        grades = {g.name: g.auto_score for g in erin.grades}
    assert grades == {"test_double": 2.0, "test_wait": 0.0, "test_square": 2.0}


def test_grading_kernel_runs_in_this_environment(graded):
    out, _ = graded
    nb = nbformat.read(out / "autograded" / "alice" / LAB / f"{LAB}.ipynb", as_version=4)
    setup = next(c for c in nb.cells if c.id == "setup")
    assert setup.outputs[0]["text"].splitlines()[0] == sys.prefix


def test_a_workers_first_submission_takes_the_kernel_it_started_while_the_run_was_set_up(
        graded):
    out, _ = graded
    # alice's is the run's first submission, so no notebook before hers started it: her
    # kernel had the lab's kernel_imports loaded, and only those (a kernel started cold has
    # none: the tiny lab's cells import neither)
    nb = nbformat.read(out / "autograded" / "alice" / LAB / f"{LAB}.ipynb", as_version=4)
    setup = next(c for c in nb.cells if c.id == "setup")
    assert setup.outputs[0]["text"].splitlines()[1] == "True False"


# --- feedback preprocessor ------------------------------------------------------------------


def test_redact_hidden_tests_strips_source_and_traceback():
    cell = _test("f", 1, "assert f(1) == 1", "assert f(2) == 4, 'f(2) should be 4'")
    cell.outputs = [new_output("error", ename="AssertionError", evalue="f(2) should be 4",
                               traceback=["Traceback ...", "----> 4 assert f(2) == 4, ...",
                                          "AssertionError: f(2) should be 4"])]
    nb = new_notebook(cells=[cell])
    nb, _ = RedactHiddenTests().preprocess(nb, {})
    assert nb.cells[0].source == f"assert f(1) == 1\n{HIDDEN_NOTE}"
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: f(2) should be 4"]


# --- validate ------------------------------------------------------------------------------


def test_new_gradebooks_carry_the_schema_version_nbgrader_itself_computes(tmp_path: Path):
    import sqlalchemy

    from autograder.course import (
        gradebook_schema_version,
        nbgrader_schema_version,
        scripts_on_path,
    )

    scripts_on_path()  # nbgrader's way runs the `alembic` command
    assert gradebook_schema_version() == nbgrader_schema_version()
    url = f"sqlite:///{tmp_path / 'new.db'}"
    with Gradebook(url, "course_lib"):
        pass
    with sqlalchemy.create_engine(url).connect() as db:
        stored = db.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).all()
    assert stored == [(nbgrader_schema_version(),)]


def test_feedback_export_matches_nbconvert_and_gives_every_image_alt_text():
    import base64
    import html as html_lib
    import re

    from nbconvert.exporters import HTMLExporter

    from autograder.feedback import NO_ALT, FeedbackHTMLExporter

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(64))).decode()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n\nSome *text* & <img src='x.png'> here."),
        nbformat.v4.new_code_cell("plot()", outputs=[
            nbformat.v4.new_output("display_data", data={"image/png": png,
                                                         "text/plain": "<Figure>"}),
            nbformat.v4.new_output("stream", name="stdout", text="a < b\n")]),
    ])

    def visible(page: str) -> tuple[list[str], str]:
        images = re.findall(r"<img[^>]*>", page)
        text = html_lib.unescape(re.sub(r"<[^>]+>|\s+", " ", page.split("<body")[1]))
        sources = [re.search(r"src=[\"']([^\"']*)", i).group(1) for i in images]
        return sources, " ".join(text.split())

    ours, _ = FeedbackHTMLExporter(template_name="classic").from_notebook_node(nb)
    theirs, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    assert visible(ours) == visible(theirs)
    images = re.findall(r"<img[^>]*>", ours)
    assert len(images) == 2 and all(f'alt="{NO_ALT}"' in i for i in images)
    again, _ = FeedbackHTMLExporter(template_name="classic").from_notebook_node(nb)
    assert again == ours  # a second exporter (compiled templates reused) writes the same page


def test_the_grader_loads_ahead_what_the_labs_test_cells_import_and_nothing_else():
    from autograder.trusted import test_cell_imports

    def test_cell(source: str, grade_id: str) -> nbformat.NotebookNode:
        cell = new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                     "grade_id": grade_id, "points": 1}
        return cell

    nb = new_notebook(cells=[
        new_code_cell("import matplotlib.pyplot as plt\nimport pandas"),  # not a test cell
        test_cell("import numpy as np\nfrom course_lib.grading import check_close\n"
                  "def f():\n    import torch.nn.functional as F", "test_a"),
        test_cell("from . import here\nimport numpy, json\nfrom course_lib.grading import x",
                  "test_b"),
        test_cell("import this is not python", "test_c"),
    ])
    assert test_cell_imports(nb) == ("numpy", "course_lib.grading", "torch.nn.functional",
                                     "json")


def test_remembered_highlighting_is_nbconverts_and_keyed_on_all_it_depends_on():
    from nbconvert.filters.highlight import Highlight2HTML

    from autograder.feedback import RememberedHighlight

    plain = Highlight2HTML(pygments_lexer="ipython3")
    remembered = RememberedHighlight(pygments_lexer="ipython3")
    cases = [("x = f(1)  # one\n", None, {}),
             ("x = f(1)  # one\n", None, {"magics_language": "bash"}),
             ("x = f(1)  # one\n", "python", {"execution": {"started": "now"}}),
             ("x = f(2)  # two\n", None, {"execution": {"started": "later"}})]
    first = [remembered(*case) for case in cases]
    assert first == [plain(*case) for case in cases]
    assert len(set(first)) == 4  # each depends on what differs (not on other metadata)
    assert [remembered(*case) for case in cases] == first  # served from memory: the same
    # a student's magics_language that is not a lexer's name is ignored (nbconvert crashes)
    assert remembered("y = 2\n", None, {"magics_language": ["bash"]}) == plain("y = 2\n")


def test_remembered_values_stay_under_their_limit_least_recently_used_first_out():
    from autograder.feedback import _Remembered

    kept = _Remembered(limit=160)  # values of up to 10 characters are kept
    kept.put(("too long",), "x" * 11)
    assert kept.get(("too long",)) is None
    for i in range(16):
        kept.put((i,), f"{i:010d}")
    assert kept.get((0,)) == "0000000000"  # now the most recently used
    kept.put((16,), "s" * 10)  # over 160 characters: the least recently used (1) goes
    assert kept.get((1,)) is None and kept.get((0,)) is not None
    assert kept.get((16,)) == "s" * 10 and kept.get((15,)) == f"{15:010d}"


def test_validate_passes_a_right_notebook(course: Course, tmp_path: Path):
    path = write(submission(course), tmp_path / f"{LAB}.ipynb")
    done = autograder("validate", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   test_double (2/2 points)" in done.stdout
    assert f"{LAB}.ipynb: all 3 test cells pass" in done.stdout


def test_validate_fails_a_wrong_answer_with_its_message(course: Course, tmp_path: Path):
    path = write(submission(course, square="def square(x):\n    return 2 * x"),
                 tmp_path / f"{LAB}.ipynb")
    done = autograder("validate", str(path), cwd=tmp_path)
    assert done.returncode == 1
    assert "FAIL test_square (0/2 points): AssertionError: square(3) should be 9" in done.stdout
    assert "ok   test_double (2/2 points)" in done.stdout


def test_validate_reports_unanswered_exercises(course: Course, tmp_path: Path):
    done = autograder("validate", str(course.release_notebook(LAB)), cwd=tmp_path)
    assert done.returncode == 1
    assert "FAIL test_wait (0/1 points): not answered yet" in done.stdout


def test_validate_reports_a_crashed_ungraded_cell_with_its_likely_cause(course: Course,
                                                                        tmp_path: Path):
    nb = submission(course, square="def square(x):\n    if x < 0:\n        raise ValueError("
                                   "'no negatives')\n    return x * x")
    nb.cells.append(new_code_cell("table = [square(v) for v in range(-2, 3)]"))
    path = write(nb, tmp_path / f"{LAB}.ipynb")
    done = autograder("validate", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout  # every test passes; the crash grades nothing
    assert ("CRASH cell 10 (table = [square(v) for v in range(-2, 3)]) (not graded): "
            "ValueError: no negatives") in done.stdout
    assert ("likely cause: raised inside your square (answer cell square), although its test "
            "may pass") in done.stdout


def test_validate_runs_in_a_kernel_started_early_with_a_fresh_namespace(course: Course,
                                                                        tmp_path: Path):
    nb = submission(course, square="def square(x):\n    return x * x")
    nb.cells.append(new_code_cell(
        "import os, sys\nraise RuntimeError(f\"env={os.environ.get('NBGRADER_VALIDATING')} "
        "cwd={os.getcwd()} loaded={'colorsys' in sys.modules} bound={'colorsys' in dir()} "
        "torch={'torch' in sys.modules}\")"))
    path = write(nb, tmp_path / f"{LAB}.ipynb")
    done = autograder("validate", str(path), cwd=course.root)
    # the kernel imported the lab's kernel_imports as it started (before nbgrader was even
    # imported), and nothing else, in the notebook's folder, as nbgrader's validator would,
    # binding no name
    assert (f"RuntimeError: env=1 cwd={tmp_path.resolve()} loaded=True bound=False "
            "torch=False" in done.stdout), done.stdout + done.stderr


def test_kernel_imports_are_the_labs_module_names_and_nothing_that_is_not_one():
    assert kernel_imports({}) == DEFAULT_KERNEL_IMPORTS
    assert kernel_imports({"course_lib": {"kernel_imports": "torch"}}) == DEFAULT_KERNEL_IMPORTS
    assert kernel_imports({"course_lib": {"kernel_imports": []}}) == ()
    named = ["torch._dynamo", "os; os.system('x')", 3, "a..b", "colorsys", "x')]; print(1); ('"]
    assert kernel_imports({"course_lib": {"kernel_imports": named}}) == ("torch._dynamo",
                                                                         "colorsys")
    many = [f"m{i}" for i in range(MAX_KERNEL_IMPORTS + 5)]
    assert kernel_imports({"course_lib": {"kernel_imports": many}}) == tuple(
        many[:MAX_KERNEL_IMPORTS])
    line = warm_imports_line(("numpy", "torch._dynamo"))
    assert line == "[__import__(name) for name in ('numpy', 'torch._dynamo')].clear()"
    namespace: dict = {}
    exec(warm_imports_line(("colorsys", "json.decoder")), namespace)
    assert set(namespace) == {"__builtins__"}  # imported, nothing bound
    with pytest.raises(ValueError, match="not module names"):
        warm_imports_line(("numpy", "os; os.system('x')"))


def test_every_labs_kernel_imports_are_modules_its_graded_cells_import_anyway(monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("COURSE_LIB_GRADING", "1")  # the demos' shorter runs, as when graded
    for path in sorted(REPO.glob("solutions/*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        named = nb.metadata.get("course_lib", {}).get("kernel_imports")
        if named is not None:  # every entry a module name, none dropped
            assert kernel_imports(nb.metadata) == tuple(named), path.name
        for name in kernel_imports(nb.metadata):
            assert importlib.util.find_spec(name) is not None, f"{path.name}: {name}"
        if named is None:
            continue
        # what the grading kernel runs (test cells run in the grader), as it runs it: every
        # module the lab names must be loaded by the end, or importing it ahead is waste
        nb.cells = [c for c in nb.cells if c.cell_type == "code" and not is_autograded_test(c)]
        nb.cells.append(new_code_cell(f"import sys\nprint([m for m in {tuple(named)!r} "
                                      "if m not in sys.modules])"))
        NotebookClient(nb, timeout=300,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        assert nb.cells[-1].outputs[0]["text"].strip() == "[]", path.name


def test_validate_explains_a_missing_file(tmp_path: Path):
    done = autograder("validate", "nowhere.ipynb", cwd=tmp_path)
    assert done.returncode == 2
    assert "nowhere.ipynb: no such notebook" in done.stderr


# --- demo ----------------------------------------------------------------------------------


def test_demo_grades_perfect_untouched_and_one_wrong(course: Course, tmp_path: Path):
    done = autograder("demo", "--out", str(tmp_path / "demo"), "--workers", "2", cwd=course.root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ok   perfect/{LAB}: 5/5, expected 5 (full marks)" in done.stdout
    assert f"ok   untouched/{LAB}: 0/5, expected 0 (nothing answered)" in done.stdout
    assert (f"ok   one-wrong/{LAB}: 3/5, expected 3 or more, below 5 (full marks minus at most "
            "2 for square)" in done.stdout)
    assert (tmp_path / "demo" / "feedback" / "one-wrong" / LAB / f"{LAB}.html").is_file()


# --- command line -------------------------------------------------------------------------


def test_unknown_lab_is_an_error_for_people(course: Course):
    done = autograder("release", "nope", cwd=course.root)
    assert done.returncode == 2
    assert "unknown lab(s) nope; labs in solutions: tiny" in done.stderr


# --- student mode ------------------------------------------------------------------------------


def test_student_mode_disables_instructor_tools_and_keeps_validate(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path))
    apply_student_mode(level="user")
    page = json.loads((tmp_path / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"] == dict.fromkeys(LAB_PLUGINS_OFF, True)
    assert page["lockedExtensions"] == dict.fromkeys(LAB_PLUGINS_OFF, True)
    server = {}
    for path in (tmp_path / "jupyter_server_config.d").glob("*.json"):
        server.update(json.loads(path.read_text())["ServerApp"]["jpserver_extensions"])
    assert server == dict.fromkeys(SERVER_EXTENSIONS_OFF, False)
    assert not set(KEPT) & (set(page["disabledExtensions"]) | set(server))
    config = (tmp_path / "nbgrader_config.py").read_text()
    assert "c.Execute.timeout = 120" in config.splitlines()

    apply_student_mode(level="user", undo=True)
    page = json.loads((tmp_path / "labconfig" / "page_config.json").read_text())
    assert not any(page["disabledExtensions"].values())
    assert not any(page["lockedExtensions"].values())
    assert not (tmp_path / "nbgrader_config.py").exists()


def test_student_mode_keeps_the_assignment_list_where_an_exchange_is_configured(
        tmp_path, monkeypatch):
    config_dir, exchange = tmp_path / "config", tmp_path / "exchange"
    exchange.mkdir()
    config_dir.mkdir()
    (config_dir / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config_dir))
    lines = apply_student_mode(level="user")
    page = json.loads((config_dir / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"] == {
        "@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:create-assignment": True,
        "@jupyter/nbgrader:assignment-list": False, "@jupyter/nbgrader:course-list": False}
    server = {}
    for path in (config_dir / "jupyter_server_config.d").glob("*.json"):
        server.update(json.loads(path.read_text())["ServerApp"]["jpserver_extensions"])
    assert server == {"nbgrader.server_extensions.formgrader": False,
                      "nbgrader.server_extensions.assignment_list": True,
                      "nbgrader.server_extensions.course_list": True}
    assert f"nbgrader exchange at {exchange}: the Assignment List stays" in lines


def test_student_mode_leaves_a_persons_own_nbgrader_config_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path))
    own = tmp_path / "nbgrader_config.py"
    own.write_text("c = get_config()\nc.Execute.timeout = 600\n")
    done = apply_student_mode(level="user")
    assert done[-1].startswith(f"left {own} alone")
    apply_student_mode(level="user", undo=True)
    assert own.read_text() == "c = get_config()\nc.Execute.timeout = 600\n"


def _png_size(extra_arguments: list[str]) -> tuple[int, int]:
    """Width and height of the PNG a kernel started with ``extra_arguments`` shows for a
    4 x 3 inch figure at 50 dpi whose y label pokes out of the figure's left edge."""
    import base64
    import struct
    import threading

    from jupyter_client.manager import start_new_kernel

    found: list[tuple[int, int]] = []

    def run() -> None:  # a thread of its own: the browser suite keeps a loop in this one
        km, kc = start_new_kernel(kernel_name="python3", extra_arguments=extra_arguments)
        try:
            def keep(msg: dict) -> None:
                png = msg["content"].get("data", {}).get("image/png")
                if png:
                    found.append(struct.unpack(">II", base64.b64decode(png)[16:24]))

            kc.execute_interactive(
                "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
                "fig, ax = plt.subplots(figsize=(4, 3), dpi=50)\nax.plot([0, 1])\n"
                "ax.set_ylabel('a label far to the left', labelpad=80)\nplt.show()",
                output_hook=keep, timeout=120)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=180)
    assert len(found) == 1, f"expected one figure, got {found}"
    return found[0]


def test_graded_kernels_draw_each_figure_once_at_the_size_it_was_made():
    from autograder.course import execution_config

    graded = list(execution_config().Execute.extra_arguments)
    # 4 x 3 inches at 50 dpi, label and all, as drawn (once); inline's default trims the
    # figure to its contents (a second drawing), here wider than the figure itself
    assert _png_size(graded) == (200, 150)
    assert _png_size([]) != (200, 150)
