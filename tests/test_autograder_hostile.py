"""Grading under real conditions: broken, hostile and tampering submissions of lab 00_warmup.

One ``python -m autograder grade`` run (two workers) grades every kind of submission below in
a private copy of the lab; each test checks one student's row in grades.csv (exact score and
status) and the gradebook. The perfect student graded in the same run proves that nothing
one submission does reaches another.

Lab 00_warmup has three exercises: pairwise_sq_distances (3 points), stable_softmax (3) and
autograd_gradient (4).
"""

from __future__ import annotations

import copy
import csv
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.demo import solved_notebook
from autograder.intake import restore_order, scan_for_patches

REPO = Path(__file__).resolve().parents[1]
LAB = "00_warmup"
NB = f"{LAB}.ipynb"
TIMEOUT = 20
FULL = 10

WRONG_PAIRWISE = '''def pairwise_sq_distances(X, Y):
    return np.zeros((len(X), len(Y)))'''
WRONG_SOFTMAX = '''def log_sum_exp(z):
    return np.zeros(z.shape[:-1])


def softmax(z):
    return np.zeros(z.shape)'''
WRONG_AUTOGRAD = '''def autograd_gradient(f, x):
    return np.zeros_like(x)'''


def _solved(course_root: Path) -> nbformat.NotebookNode:
    return solved_notebook(nbformat.read(course_root / "labs" / LAB / NB, as_version=4),
                           nbformat.read(course_root / "solutions" / LAB / NB, as_version=4))


def _answer(nb, cell_id: str, source: str, keep: bool = False):
    """``nb`` with the answer cell ``cell_id`` replaced (``keep``: appended to the solution)."""
    nb = nbformat.from_dict(nb)
    cell = next(c for c in nb.cells if c.id == cell_id)
    cell.source = cell.source + "\n\n" + source if keep else source
    return nb


def _wrap(name: str, guard: str, action: str) -> str:
    """Code that re-wraps the solved function ``name`` to do ``action`` when ``guard`` holds
    (the visible test's input), and otherwise answer correctly."""
    return (f"_right_{name} = {name}\n\n\ndef {name}(*args):\n"
            f"    if {guard}:\n        {action}\n    return _right_{name}(*args)")


def _write(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def build_submissions(course_root: Path, subs: Path) -> dict[str, tuple[float, str]]:
    """Write every submission; return ``{student: (expected score, expected status)}``."""
    solved = _solved(course_root)
    released = nbformat.read(course_root / "labs" / LAB / NB, as_version=4)
    home = lambda student: subs / student / LAB  # noqa: E731
    expect: dict[str, tuple[float, str]] = {}

    _write(solved, home("perfect") / NB)
    expect["perfect"] = (FULL, "ok")
    _write(released, home("untouched") / NB)
    expect["untouched"] = (0, "ok")

    # --- broken files -------------------------------------------------------------------
    home("bad-json").mkdir(parents=True)
    (home("bad-json") / NB).write_text('{"cells": [ not json')
    expect["bad-json"] = (0, "invalid notebook (not readable JSON: Expecting value: line 1 "
                             "column 13 (char 12))")
    home("empty").mkdir(parents=True)
    (home("empty") / NB).write_text("")
    expect["empty"] = (0, f"empty file {NB} (0 bytes of notebook)")
    home("not-a-notebook").mkdir(parents=True)
    (home("not-a-notebook") / NB).write_text('{"hello": "world"}')
    expect["not-a-notebook"] = (0, f"invalid notebook ({NB} is JSON but not a notebook)")
    v3 = nbformat.convert(copy.deepcopy(solved), 3)
    home("nbformat3").mkdir(parents=True)
    (home("nbformat3") / NB).write_text(nbformat.writes(v3, version=3))
    expect["nbformat3"] = (FULL, "converted from nbformat 3 to 4")

    # --- files in the wrong place ---------------------------------------------------------
    _write(solved, home("wrong-name") / "my lab (1).ipynb")
    expect["wrong-name"] = (FULL, f"graded my lab (1).ipynb (expected {NB})")
    _write(solved, home("two-notebooks") / "a.ipynb")
    _write(released, home("two-notebooks") / "b.ipynb")
    expect["two-notebooks"] = (0, f"several notebooks (a.ipynb, b.ipynb) and none named {NB}: "
                                  "not graded")
    home("missing").mkdir(parents=True)
    expect["missing"] = (0, f"missing notebook {(home('missing') / NB).resolve()}")

    # --- cells deleted, moved, edited -----------------------------------------------------
    nb = nbformat.from_dict(solved)
    nb.cells = [c for c in nb.cells if c.id not in ("test_stable_softmax", "autograd_gradient")]
    _write(nb, home("deleted-cells") / NB)
    expect["deleted-cells"] = (6, "deleted answer cell autograd_gradient; deleted cell "
                                  "test_stable_softmax put back")
    nb = nbformat.from_dict(solved)
    ids = [c.id for c in nb.cells]
    i, j = ids.index("pairwise_sq_distances"), ids.index("test_pairwise_sq_distances")
    nb.cells[i], nb.cells[j] = nb.cells[j], nb.cells[i]
    _write(nb, home("reordered") / NB)
    expect["reordered"] = (FULL, "moved cells put back in the lab's order")
    nb = _answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE)
    next(c for c in nb.cells if c.id == "test_pairwise_sq_distances").source = "pass"
    _write(nb, home("edited-tests") / NB)
    expect["edited-tests"] = (7, "edited read-only cell test_pairwise_sq_distances: graded "
                                 "with the original")

    # --- limits and dying kernels ---------------------------------------------------------
    visible = "args[0].shape == (2, 2)"  # the visible test's X
    _write(_answer(solved, "pairwise_sq_distances",
                   _wrap("pairwise_sq_distances", visible, "while True:\n            pass"),
                   keep=True), home("endless-loop") / NB)
    expect["endless-loop"] = (7, f"timeout in cell test_pairwise_sq_distances (over "
                                 f"{TIMEOUT} s)")
    _write(_answer(solved, "stable_softmax",
                   _wrap("log_sum_exp", "args[0].shape == (2, 3)",
                         "_hog = np.ones(int(6e8))  # 4.8 GB"), keep=True),
           home("memory-hog") / NB)
    expect["memory-hog"] = (7, "memory limit hit in cell test_stable_softmax")
    _write(_answer(solved, "pairwise_sq_distances",
                   _wrap("pairwise_sq_distances", visible, "__import__('os')._exit(3)"),
                   keep=True), home("os-exit") / NB)
    expect["os-exit"] = (7, "kernel died in cell test_pairwise_sq_distances (restarted)")
    _write(_answer(solved, "autograd_gradient",
                   _wrap("autograd_gradient", "True", "__import__('ctypes').string_at(0)"),
                   keep=True), home("segfault") / NB)
    expect["segfault"] = (6, "kernel died in cell test_autograd_gradient (restarted)")
    _write(_answer(solved, "stable_softmax",
                   _wrap("log_sum_exp", "True", "print('spam ' * 1_000_000)"), keep=True),
           home("huge-print") / NB)
    expect["huge-print"] = (FULL, "output cut in cell test_stable_softmax (over the size "
                                  "limit)")

    # --- tampering -------------------------------------------------------------------------
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + (
        "\n\n\nimport course_lib.grading\n"
        "course_lib.grading.check_close = lambda *args, **kwargs: None")),
        home("patch-grading") / NB)
    expect["patch-grading"] = (7, "suspicious code: assigns course_lib.grading.check_close; "
                                  "tampering in test_pairwise_sq_distances: "
                                  "course_lib.grading.check_close was replaced (no points for "
                                  "those cells)")
    _write(_answer(solved, "stable_softmax", WRONG_SOFTMAX + (
        "\n\n\nnp.abs = lambda x: 0.0 * x\nnp.isnan = lambda x: np.zeros(np.shape(x), bool)\n"
        "np.max = lambda *args, **kwargs: 0.0")), home("patch-numpy") / NB)
    expect["patch-numpy"] = (7, "suspicious code: assigns numpy.abs, assigns numpy.isnan, "
                                "assigns numpy.max; tampering in test_stable_softmax: "
                                "numpy.abs was replaced; numpy.isnan was replaced; numpy.max "
                                "was replaced (no points for those cells)")
    _write(_answer(solved, "autograd_gradient", WRONG_AUTOGRAD + (
        "\n\n\nimport builtins\nsetattr(builtins, 'isinstance', lambda *args: True)")),
        home("patch-builtins") / NB)
    # isinstance patched breaks IPython itself: the kernel stops answering after that cell,
    # is restarted without it, and autograd_gradient is then undefined
    expect["patch-builtins"] = (6, "suspicious code: calls setattr(builtins, ...); kernel "
                                   "stopped answering in cell autograd_gradient (restarted)")
    _write(_answer(solved, "autograd_gradient", WRONG_AUTOGRAD + (
        "\n\n\nimport builtins\nbuiltins.abs = lambda x: 0.0")), home("patch-abs") / NB)
    expect["patch-abs"] = (6, "suspicious code: assigns builtins.abs; tampering in "
                              "test_autograd_gradient: builtins.abs was replaced (no points for "
                              "those cells)")
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + (
        "\n\n\n_wrong = pairwise_sq_distances\n\n\ndef pairwise_sq_distances(X, Y):\n"
        "    import course_lib.grading as g\n"
        "    if X.shape == (2, 2):\n"
        "        g.check_close.__code__ = (lambda *args, **kwargs: None).__code__\n"
        "    return _wrong(X, Y)")), home("patch-during-test") / NB)
    expect["patch-during-test"] = (7, "suspicious code: assigns "
                                      "course_lib.grading.check_close.__code__; "
                                      "tampering in test_pairwise_sq_distances: "
                                      "course_lib.grading.check_close was replaced (no points "
                                      "for those cells)")
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + (
        "\n\n\n_wrong = pairwise_sq_distances\n\n\ndef pairwise_sq_distances(X, Y):\n"
        "    globals()['check_close'] = lambda *args, **kwargs: None\n"
        "    return _wrong(X, Y)")), home("rebind-name") / NB)
    expect["rebind-name"] = (7, "tampering in test_pairwise_sq_distances: check_close was "
                                "rebound while the test ran (no points for those cells)")
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + (
        "\n\n\nimport sys\nimport types\n_fake = types.ModuleType('course_lib.grading')\n"
        "_fake.check_close = lambda *args, **kwargs: None\n"
        "sys.modules['course_lib.grading'] = _fake")), home("fake-module") / NB)
    expect["fake-module"] = (7, "suspicious code: assigns sys.modules[...]; tampering in "
                                "test_pairwise_sq_distances: sys.modules['course_lib.grading'] "
                                "was replaced (no points for those cells)")
    return expect


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A private copy of lab 00_warmup, every submission, one ``grade`` run, 2 workers."""
    root = tmp_path_factory.mktemp("course")
    for folder in ("solutions", "labs"):
        shutil.copytree(REPO / folder / LAB, root / folder / LAB)
    subs = root / "submissions"
    expect = build_submissions(root, subs)
    out = root / "out"
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
         "--workers", "2", "--timeout", str(TIMEOUT), "--memory", "4G"],
        cwd=root, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out / "grades.csv", newline="") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    return expect, rows, out, done, root


KINDS = [
    "perfect", "untouched", "bad-json", "empty", "not-a-notebook", "nbformat3", "wrong-name",
    "two-notebooks", "missing", "deleted-cells", "reordered", "edited-tests", "endless-loop",
    "memory-hog", "os-exit", "segfault", "huge-print", "patch-grading", "patch-numpy",
    "patch-builtins", "patch-abs", "patch-during-test", "rebind-name", "fake-module",
]


def test_every_submission_has_exactly_one_row(run):
    expect, rows, out, _, _ = run
    assert sorted(rows) == sorted(expect) == sorted(KINDS)
    with open(out / "grades.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == len(KINDS)


@pytest.mark.parametrize("student", KINDS)
def test_submission_gets_its_exact_score_and_status(run, student):
    expect, rows, _, _, _ = run
    score, status = expect[student]
    row = rows[student]
    assert (float(row["score"]), row["status"]) == (score, status)
    assert row["max_score"] == str(FULL)


def test_gradebook_matches_the_csv_and_the_perfect_student_is_untouched(run):
    expect, rows, out, _, _ = run
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", "") as gb:
        scores = {s: gb.find_submission(LAB, s).score for s in expect}
        perfect = {g.name: g.auto_score
                   for g in gb.find_submission_notebook(LAB, LAB, "perfect").grades}
    assert scores == {s: float(rows[s]["score"]) for s in expect}
    assert perfect == {"test_pairwise_sq_distances": 3.0, "test_stable_softmax": 3.0,
                       "test_autograd_gradient": 4.0}


def test_huge_output_is_cut_in_the_feedback(run):
    _, _, out, _, _ = run
    feedback = out / "feedback" / "huge-print" / LAB / f"{LAB}.html"
    assert feedback.stat().st_size < 3_000_000
    nb = nbformat.read(out / "autograded" / "huge-print" / LAB / NB, as_version=4)
    text = sum(len(o.get("text", "")) for c in nb.cells for o in c.get("outputs", []))
    assert text < 400_000


def test_grading_leaves_the_course_files_alone(run):
    _, _, _, _, root = run
    for folder in ("solutions", "labs"):
        assert not any(p.name != NB for p in (root / folder / LAB).rglob("*") if p.is_file())
        assert (root / folder / LAB / NB).read_bytes() == (REPO / folder / LAB / NB).read_bytes()


def test_summary_table_and_plot(run):
    _, _, out, done, _ = run
    with open(out / "summary.csv", newline="") as fh:
        summary = {row["exercise"]: row for row in csv.DictReader(fh)}
    assert list(summary) == ["test_pairwise_sq_distances", "test_stable_softmax",
                             "test_autograd_gradient"]
    assert {row["n"] for row in summary.values()} == {str(len(KINDS))}
    assert (out / "summary.png").stat().st_size > 10_000
    assert "test_pairwise_sq_distances" in done.stdout and "partial" in done.stdout


# --- fast unit checks ----------------------------------------------------------------------


def test_static_scan_names_library_assignments():
    found = scan_for_patches([
        "import numpy as np\nnp.allclose = lambda *a: True",
        "from course_lib import grading\ngrading.check_close = print",
        "import builtins\nsetattr(builtins, 'len', None)",
        "def f():\n    f.__code__ = g.__code__",
        "x = 1\nclass A:\n    pass\nA.y = 2",
    ])
    assert found == ["assigns numpy.allclose", "assigns course_lib.grading.check_close",
                     "calls setattr(builtins, ...)", "assigns f.__code__"]


def test_restore_order_keeps_student_cells_with_the_cell_above():
    def cell(gid=None, text=""):
        meta = {"nbgrader": {"grade_id": gid}} if gid else {}
        return nbformat.v4.new_code_cell(text or gid, metadata=meta)

    nb = nbformat.v4.new_notebook(cells=[cell("b"), cell(text="mine after b"), cell("a"),
                                         cell("c")])
    assert restore_order(nb, ["a", "b", "c"])
    assert [c.source for c in nb.cells] == ["a", "b", "mine after b", "c"]
    assert not restore_order(nb, ["a", "b", "c"])
