"""Every lab's test cells against answers written by others: fair to right answers, hard on
wrong ones, one mistake costs one exercise, and the same submission always gets the same score.

The answers come from ``tests/lab_cases/lab_NN.py`` (kept beside the labs' authors' notes):
``ALTERNATIVES`` are correct answers in other styles (loops, other valid conventions, other
cache layouts the lab allows), ``WRONG`` typical mistakes with the test cell that must catch
each, ``EARLY_MISTAKE`` one mistake in an early exercise. Each lab is graded in one
``python -m autograder grade`` run (sandbox, trusted test cells, 2 workers) on "test"
notebooks: the lab's setup, answer and test cells (the demos and plots in between grade
nothing, and the solution's test notebook must still earn full marks). Answers to different
exercises share a notebook (correct ones together, wrong ones together, never two aimed at
the same test cell), and a wrong one must cost its own test cell and no other; the early
mistake is graded alone. (``tests/test_pipeline_verify.py`` grades the whole notebooks.)
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.bubblewrap import sandbox_problem
from autograder.demo import solved_notebook

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "lab_cases"
LABS = sorted(p.stem.removeprefix("lab_") for p in CASES.glob("lab_*.py"))

pytestmark = pytest.mark.skipif(sandbox_problem() is not None,
                                reason=f"no grading sandbox here: {sandbox_problem()}")


def load_cases(number: str):
    spec = importlib.util.spec_from_file_location(f"lab_cases_{number}",
                                                  CASES / f"lab_{number}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kind(cell) -> str:
    meta = cell.metadata.get("nbgrader")
    if cell.cell_type != "code":
        return "text"
    if not meta:
        return "plain"
    return "answer" if meta.get("solution") else "test" if meta.get("grade") else "locked"


def strip_demos(nb):
    """The notebook without its plain (demo and plot) code cells."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if _kind(c) != "plain"]
    return nb


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def with_answers(nb, answers: dict[str, str]):
    """``nb`` with the answer cells named by grade_id replaced."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if _grade_id(cell) in answers:
            cell.source = answers[_grade_id(cell)]
    missing = set(answers) - {_grade_id(c) for c in nb.cells}
    assert not missing, f"no answer cell {missing}"
    return nb


def points_of(nb) -> dict[str, float]:
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
            for c in nb.cells if _kind(c) == "test"}


def pack(cases: list[dict], uses: dict[str, list[str]] | None = None) -> list[list[dict]]:
    """Groups of cases with no two for the same answer cell or the same test cell, and none
    whose test consults (``uses``: test -> answer cells) another's answer."""
    uses = uses or {}

    def apart(a: dict, b: dict) -> bool:
        return (a["answer"] != b["answer"]
                and a.get("test", a["answer"]) != b.get("test", b["answer"])
                and b["answer"] not in uses.get(a.get("test", ""), [])
                and a["answer"] not in uses.get(b.get("test", ""), []))

    groups: list[list[dict]] = []
    for case in cases:
        for group in groups:
            if all(apart(c, case) for c in group):
                group.append(case)
                break
        else:
            groups.append([case])
    return groups


def plan(number: str, solved) -> tuple[str, dict[str, dict], dict[str, tuple]]:
    """Notebooks to grade and what each must earn: ``{student: notebook}``,
    ``{student: (kind, cases)}``."""
    cases = load_cases(number)
    notebooks, meaning = {"solution": strip_demos(solved)}, {"solution": ("solution", [])}
    for kind, group_cases in (("alternatives", cases.ALTERNATIVES), ("wrong", cases.WRONG)):
        for k, group in enumerate(pack(group_cases, getattr(cases, "USES", {}))):
            name = f"{kind}-{k:02d}"
            notebooks[name] = strip_demos(with_answers(solved, {c["answer"]: c["source"]
                                                               for c in group}))
            meaning[name] = (kind, group)
    early = cases.EARLY_MISTAKE
    notebooks["early-mistake"] = strip_demos(with_answers(solved,
                                                         {early["answer"]: early["source"]}))
    meaning["early-mistake"] = ("early", [early])
    return cases.LAB, notebooks, meaning


def cell_texts(autograded: Path) -> dict[str, str]:
    """``{grade_id: everything the graded cell printed or raised}`` of an autograded notebook."""
    nb = nbformat.read(autograded, as_version=4)
    texts = {}
    for cell in nb.cells:
        if _kind(cell) == "test":
            parts = [o.get("text", "") for o in cell.outputs if o.output_type == "stream"]
            parts += [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]
            texts[_grade_id(cell)] = "\n".join(parts)
    return texts


def grade(lab: str, notebooks: dict, out: Path, root: Path) -> dict[str, dict[str, float]]:
    subs = root / "submissions"
    for student, nb in notebooks.items():
        path = subs / student / lab / f"{lab}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
         "--workers", "2", "--assignment", lab],
        capture_output=True, text=True, timeout=3000, cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(out / "grades.csv", newline="") as fh:
        statuses = {(r["student_id"], r["assignment"]): r["status"] for r in csv.DictReader(fh)}
    scores = {}
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", "") as gb:
        for student in notebooks:
            assert statuses[(student, lab)] == "ok", (student, statuses[(student, lab)])
            scores[student] = {g.name: float(g.auto_score)
                               for g in gb.find_submission_notebook(lab, lab, student).grades
                               if g.auto_score is not None}  # written answers: manual
    return scores


@pytest.fixture(scope="module", params=LABS)
def graded(request, tmp_path_factory):
    number = request.param
    root = tmp_path_factory.mktemp(f"lab{number}")
    lab = load_cases(number).LAB
    solved = solved_notebook(
        nbformat.read(REPO / "labs" / lab / f"{lab}.ipynb", as_version=4),
        nbformat.read(REPO / "solutions" / lab / f"{lab}.ipynb", as_version=4))
    lab, notebooks, meaning = plan(number, solved)
    out = root / "out"
    scores = grade(lab, notebooks, out, root)
    texts = {s: cell_texts(out / "autograded" / s / lab / f"{lab}.ipynb") for s in notebooks}
    return lab, meaning, scores, points_of(solved), texts


def _bad(cells: dict[str, float], points: dict[str, float], but: str | None = None) -> dict:
    """Test cells below their points (other than ``but``)."""
    return {k: v for k, v in cells.items() if v < points[k] and k != but}


def test_solution_tests_earn_full_marks(graded):
    _, _, scores, points, _ = graded
    assert scores["solution"] == points


def test_correct_answers_in_other_styles_earn_full_marks(graded):
    _, meaning, scores, points, _ = graded
    for student, (kind, cases) in meaning.items():
        if kind == "alternatives":
            lost = _bad(scores[student], points)
            assert not lost, (lost, [c["why"] for c in cases])


def test_each_wrong_answer_loses_points_on_its_own_test_only(graded):
    _, meaning, scores, points, _ = graded
    for student, (kind, group) in meaning.items():
        if kind != "wrong":
            continue
        cells = scores[student]
        for case in group:
            assert cells[case["test"]] < points[case["test"]], case["why"]
            assert cells[case["test"]] <= case["expect_max"] + 1e-3, (cells[case["test"]],
                                                                      case["why"])
        targeted = {case["test"] for case in group}
        assert not {k: v for k, v in _bad(cells, points).items() if k not in targeted}, \
            [case["why"] for case in group]


def test_a_planted_catalogued_mistake_is_named_in_its_feedback(graded):
    _, meaning, _, _, texts = graded
    planted = [(student, case) for student, (kind, group) in meaning.items() if kind == "wrong"
               for case in group if case.get("mistake")]
    for student, case in planted:
        said = texts[student][case["test"]]
        assert f"[common mistake: {case['mistake']}]" in said, (case["why"], said[-1500:])


def test_an_early_mistake_costs_its_exercise_only(graded):
    _, meaning, scores, points, _ = graded
    case = meaning["early-mistake"][1][0]
    cells = scores["early-mistake"]
    assert cells[case["test"]] < points[case["test"]]
    assert not _bad(cells, points, but=case["test"])


def test_regrading_gives_the_same_per_cell_scores(graded, tmp_path):
    lab, meaning, scores, _, _ = graded
    again = {s: nb for s, nb in _regrade_set(lab, meaning).items()}
    assert grade(lab, again, tmp_path / "out", tmp_path) == {s: scores[s] for s in again}


def _regrade_set(lab: str, meaning: dict) -> dict:
    """Two wrong answers (partial scores are where a draw could change a verdict)."""
    solved = solved_notebook(
        nbformat.read(REPO / "labs" / lab / f"{lab}.ipynb", as_version=4),
        nbformat.read(REPO / "solutions" / lab / f"{lab}.ipynb", as_version=4))
    wrong = [s for s, (kind, _) in meaning.items() if kind == "wrong"][:2]
    return {s: strip_demos(with_answers(solved, {c["answer"]: c["source"]
                                                for c in meaning[s][1]})) for s in wrong}


#: A catalogued mistake in a test cell: ``Mistake("key", ...``.
MISTAKE_KEY = re.compile(r"""Mistake\(\s*["']([^"']+)["']""")


@pytest.mark.parametrize("number", LABS)
def test_every_catalogued_mistake_is_planted_by_a_wrong_case(number):
    cases = load_cases(number)
    source = nbformat.read(REPO / "solutions" / cases.LAB / f"{cases.LAB}.ipynb", as_version=4)
    catalogue = {key: _grade_id(cell) for cell in source.cells if _kind(cell) == "test"
                 for key in MISTAKE_KEY.findall(cell.source)}
    planted = {case["mistake"]: case["test"] for case in cases.WRONG if case.get("mistake")}
    assert not set(planted) - set(catalogue), "cases plant mistakes no test cell catalogues"
    missing = {key: test for key, test in catalogue.items() if key not in planted}
    assert not missing, f"catalogued mistakes no WRONG case plants: {missing}"
    misplaced = {k: (planted[k], catalogue[k]) for k in planted if planted[k] != catalogue[k]}
    assert not misplaced, f"a case plants a mistake aimed at another test cell: {misplaced}"


@pytest.mark.parametrize("number", LABS)
def test_every_exercise_catalogues_its_common_mistakes(number):
    lab = load_cases(number).LAB
    source = nbformat.read(REPO / "solutions" / lab / f"{lab}.ipynb", as_version=4)
    tests = [cell for cell in source.cells if _kind(cell) == "test"]
    bare = [_grade_id(cell) for cell in tests if not MISTAKE_KEY.search(cell.source)]
    assert tests and not bare, f"test cells without a catalogue of mistakes: {bare}"
