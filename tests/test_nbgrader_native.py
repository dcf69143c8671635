"""nbgrader's own commands on this course, the way an instructor on JupyterHub runs them.

One round trip through a temporary exchange, on a copy of this repository's course files
(``nbgrader_config.py``, ``course.toml``, lab 00's source and release): generate, release,
fetch and submit for three students (alice on time, bob late, mallory hostile), collect,
``nbgrader autograde``, ``generate_feedback``, ``release_feedback``, ``fetch_feedback`` and
``export``; then ``python -m autograder grade`` on the same collected submissions, and a
regrade of one student.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.bubblewrap import sandbox_problem
from autograder.course import CourseSettings, automatic_points
from autograder.demo import break_solution, solved_notebook
from autograder.verify import split_secret_lines

REPO = Path(__file__).resolve().parents[1]
LAB = "00_warmup"
NBGRADER = [sys.executable, "-m", "nbgrader"]
STUDENTS = ("alice", "bob", "mallory")

pytestmark = pytest.mark.skipif(sandbox_problem() is not None,
                                reason=f"no grading sandbox here: {sandbox_problem()}")

#: mallory's answers: no work, and every trick a cell allows against the checks
HOSTILE = """import builtins
import course_lib.grading as g
g.check_close = lambda *a, **k: None
g.Score.result = lambda self: self.points
builtins.AssertionError = type("AssertionError", (Exception,), {})
"""


def run(cmd: list[str], cwd: Path, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    if ok:
        assert done.returncode == 0, (cmd, done.stdout[-3000:], done.stderr[-3000:])
    return done


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def trip(tmp_path_factory):
    """The whole round trip; returns the folders and what each step left."""
    tmp = tmp_path_factory.mktemp("native")
    root, exchange = tmp / "course", tmp / "exchange"
    for name in ("nbgrader_config.py", "course.toml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, root / name)
    shutil.copytree(REPO / "solutions" / LAB, root / "solutions" / LAB)
    exchange.mkdir()
    exchange.chmod(0o777)
    ex = [f"--Exchange.root={exchange}"]
    settings = CourseSettings.read(root / "course.toml")
    course = [f"--CourseDirectory.course_id={settings.course_id}"]

    # instructor: generate (into labs/, and the gradebook) and release to the exchange
    run([*NBGRADER, "generate_assignment", LAB, "--force"], root)
    run([*NBGRADER, "release_assignment", LAB, *ex], root)

    # students: fetch, answer, submit, each in a home of their own
    source = nbformat.read(root / "solutions" / LAB / f"{LAB}.ipynb", as_version=4)
    for student in STUDENTS:
        home = tmp / "home" / student
        home.mkdir(parents=True)
        cache = [f"--Exchange.cache={tmp / 'cache' / student}"]
        run([*NBGRADER, "fetch_assignment", LAB, *ex, *course, *cache], home)
        path = home / LAB / f"{LAB}.ipynb"
        nb = solved_notebook(nbformat.read(path, as_version=4), source)
        if student == "mallory":
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("solution"):
                    cell.source = HOSTILE
        nbformat.write(nb, path)
        run([*NBGRADER, "submit", LAB, f"--student={student}", *ex, *course, *cache], home)

    run([*NBGRADER, "collect", LAB, *ex], root)
    # bob handed in 18 hours after the due date: his timestamp as the exchange wrote it then
    due = settings.due[LAB]
    late = due + dt.timedelta(hours=18)
    (root / "submitted" / "bob" / LAB / "timestamp.txt").write_text(
        late.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    on_time = (due - dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    for student in ("alice", "mallory"):
        (root / "submitted" / student / LAB / "timestamp.txt").write_text(on_time)

    run([*NBGRADER, "autograde", LAB, "--force"], root)
    run([*NBGRADER, "generate_feedback", LAB, "--force"], root)
    run([*NBGRADER, "release_feedback", LAB, *ex], root)
    fetched = {}
    for student in STUDENTS:
        home = tmp / "home" / student
        cache = [f"--Exchange.cache={tmp / 'cache' / student}"]
        run([*NBGRADER, "fetch_feedback", LAB, f"--student={student}", *ex, *course, *cache],
            home)
        fetched[student] = sorted((home / LAB / "feedback").rglob("*.html"))
    run([*NBGRADER, "export", "--to", str(tmp / "nbgrader-export.csv")], root)
    run([sys.executable, "-m", "autograder", "export", "--format", "canvas", "--db",
         f"sqlite:///{root / 'gradebook.db'}", "--to", str(tmp / "canvas.csv")], root)
    return {"tmp": tmp, "root": root, "source": source, "fetched": fetched}


def test_native_autograde_gives_the_hostile_student_nothing_and_the_others_full_marks(trip):
    rows = {r["student_id"]: r for r in read_csv(trip["tmp"] / "nbgrader-export.csv")}
    full = sum(automatic_points(trip["source"]).values())
    assert float(rows["alice"]["raw_score"]) == full
    assert float(rows["bob"]["raw_score"]) == full
    assert float(rows["mallory"]["raw_score"]) == 0.0


def test_the_late_student_carries_the_penalty_in_both_exports(trip):
    rows = {r["student_id"]: r for r in read_csv(trip["tmp"] / "nbgrader-export.csv")}
    full = sum(automatic_points(trip["source"]).values())
    # 18 hours late is one started day: per_day of the score (course.toml)
    penalty = round(CourseSettings.read(REPO / "course.toml").late_per_day * full, 4)
    assert penalty > 0
    assert float(rows["bob"]["late_submission_penalty"]) == penalty
    assert float(rows["bob"]["score"]) == full - penalty
    assert float(rows["alice"]["late_submission_penalty"]) == 0.0
    canvas = read_csv(trip["tmp"] / "canvas.csv")
    assert canvas[0]["Student"] == "Points Possible" and canvas[0][LAB] == f"{full:g}"
    scores = {r["SIS User ID"]: r[LAB] for r in canvas[1:]}
    assert scores == {"alice": f"{full:g}", "bob": f"{full - penalty:g}", "mallory": "0"}


def test_feedback_reaches_every_student_without_hidden_test_text(trip):
    _, hidden, public = split_secret_lines(trip["source"])
    secret = [line for line in hidden - public if len(line) >= 12]
    assert len(secret) > 5  # the lab has hidden tests worth hiding
    for student in STUDENTS:
        files = trip["fetched"][student]
        assert [f.name for f in files] == [f"{LAB}.html"], student
        html = files[0].read_text()
        assert "test_pairwise_sq_distances" in html  # it is lab 00's feedback
        leaked = [line for line in secret if line in html]
        assert not leaked, (student, leaked[:3])


def test_the_fast_front_end_agrees_with_native_autograde(trip):
    root, out = trip["root"], trip["tmp"] / "fast"
    run([sys.executable, "-m", "autograder", "grade", str(root / "submitted"), "--out", str(out),
         "--assignment", LAB, "--workers", "2"], root)
    rows = {r["student_id"]: r for r in read_csv(out / "grades.csv")}
    native = {r["student_id"]: r for r in read_csv(trip["tmp"] / "nbgrader-export.csv")}
    for student in STUDENTS:
        assert float(rows[student]["score"]) == float(native[student]["score"]), student
        assert float(rows[student]["late_penalty"]) == float(
            native[student]["late_submission_penalty"] or 0), student
    assert rows["bob"]["seconds_late"] == str(18 * 3600)
    # the output folder is an nbgrader course folder: release_feedback finds the timestamps
    assert (out / "feedback" / "bob" / LAB / "timestamp.txt").is_file()


def test_regrading_one_student_leaves_every_other_row_unchanged(trip):
    root, out = trip["root"], trip["tmp"] / "regrade"
    run([sys.executable, "-m", "autograder", "grade", str(root / "submitted"), "--out", str(out),
         "--assignment", LAB, "--workers", "2"], root)
    before = {r["student_id"]: r for r in read_csv(out / "grades.csv")}
    # alice's notebook changes (a wrong last answer), then only she is regraded
    path = root / "submitted" / "alice" / LAB / f"{LAB}.ipynb"
    nb = nbformat.read(path, as_version=4)
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    source_answer = next(c for c in trip["source"].cells
                         if c.metadata.get("nbgrader", {}).get("grade_id")
                         == answers[-1].metadata.nbgrader["grade_id"])
    answers[-1].source = break_solution(source_answer.source)
    nbformat.write(nb, path)
    run([sys.executable, "-m", "autograder", "grade", str(root / "submitted"), "--out", str(out),
         "--assignment", LAB, "--student", "alice", "--workers", "1"], root)
    after = {r["student_id"]: r for r in read_csv(out / "grades.csv")}
    assert set(after) == set(STUDENTS)  # the whole class, not only the regraded row
    assert float(after["alice"]["score"]) < float(before["alice"]["score"])
    for student in ("bob", "mallory"):
        assert after[student] == before[student], student


def test_generate_assignment_gives_the_committed_release_byte_for_byte(trip):
    generated = trip["root"] / "labs" / LAB / f"{LAB}.ipynb"
    assert generated.read_bytes() == (REPO / "labs" / LAB / f"{LAB}.ipynb").read_bytes()


def test_export_plugin_runs_inside_nbgrader_export(trip):
    roster = trip["tmp"] / "roster.csv"
    roster.write_text("student_id,first_name,last_name,email,sis_user_id\n"
                      "alice,Alice,Liddell,alice@uni.example,S001\n"
                      "bob,Bob,Builder,bob@uni.example,S002\n"
                      "mallory,Mal,Lory,mal@uni.example,S003\n"
                      "dave,Dave,Absent,dave@uni.example,S004\n")
    dest = trip["tmp"] / "moodle.csv"
    run([*NBGRADER, "export", "--exporter=autograder.export.MoodleExport",
         f"--MoodleExport.roster={roster}", "--to", str(dest)], trip["root"])
    rows = {r["ID number"]: r for r in read_csv(dest)}
    full = sum(automatic_points(trip["source"]).values())
    penalty = round(CourseSettings.read(REPO / "course.toml").late_per_day * full, 4)
    assert {k: rows[k][LAB] for k in rows} == {"S001": f"{full:g}", "S002": f"{full - penalty:g}",
                                               "S003": "0", "S004": "0"}
    assert rows["S002"]["Email address"] == "bob@uni.example"
