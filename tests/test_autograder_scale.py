"""Grading at scale: a real PostgreSQL gradebook, parallel workers, a Dask cluster.

A PostgreSQL server is started in a temporary folder (``initdb`` + ``pg_ctl``, from PATH or
Debian's ``/usr/lib/postgresql/*/bin``; as root it runs as the ``postgres`` user). The tests
are skipped, with the reason printed, only when no server can be started. The Dask test also
needs the ``scale`` extra (dask.distributed, psycopg).
"""

from __future__ import annotations

import csv
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.demo import solved_notebook

REPO = Path(__file__).resolve().parents[1]
LAB = "00_warmup"
NB = f"{LAB}.ipynb"


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throw-away PostgreSQL server (trust auth on 127.0.0.1)."""

    def __init__(self, folder: Path):
        bindir = _pg_bin()
        if bindir is None:
            raise RuntimeError("no PostgreSQL binaries (pg_ctl) on PATH or in "
                               "/usr/lib/postgresql/*/bin; install Debian's postgresql")
        self.bin, self.folder, self.port = bindir, folder, _free_port()
        self.data = folder / "data"
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            if shutil.which("runuser") is None:
                raise RuntimeError("running as root without runuser")
            shutil.chown(folder, "postgres")
            folder.chmod(0o755)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "grader", "-E", "UTF8",
                  "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-l",
                  str(folder / "server.log"), "-o",
                  f"-p {self.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c max_connections=100", "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "grader",
                  "course")
        self.url = f"postgresql://grader@127.0.0.1:{self.port}/course"

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self.prefix, str(self.bin / tool), *args], capture_output=True,
                              text=True, timeout=120, cwd=self.folder)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        except RuntimeError:
            pass


@pytest.fixture(scope="module")
def postgres():
    pytest.importorskip("psycopg", reason="PostgreSQL tests need psycopg (the scale extra)")
    # not under pytest's tmp folder: that is private to this user, and the server may run as
    # the postgres user
    folder = Path(tempfile.mkdtemp(prefix="autograder-pg-"))
    try:
        server = Postgres(folder)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as err:
        shutil.rmtree(folder, ignore_errors=True)
        print(f"\nSKIPPED PostgreSQL tests: no server could be started: {err}")
        pytest.skip(f"no PostgreSQL server could be started: {err}")
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A private copy of lab 00_warmup and four submissions: two perfect, one untouched, one
    with softmax wrong (full marks less softmax's points)."""
    root = tmp_path_factory.mktemp("course")
    for folder in ("solutions", "labs"):
        shutil.copytree(REPO / folder / LAB, root / folder / LAB)
    released = nbformat.read(root / "labs" / LAB / NB, as_version=4)
    perfect = solved_notebook(released, nbformat.read(root / "solutions" / LAB / NB,
                                                      as_version=4))
    wrong = nbformat.from_dict(perfect)
    next(c for c in wrong.cells if c.id == "stable_softmax").source = (
        "def log_sum_exp(z):\n    return np.zeros(z.shape[:-1])\n\n\n"
        "def softmax(z):\n    return np.zeros(z.shape)")
    subs = root / "submissions"
    expected = {}
    source = nbformat.read(root / "solutions" / LAB / NB, as_version=4)
    points = {c.metadata.nbgrader["grade_id"]: float(c.metadata.nbgrader["points"])
              for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")}
    full = sum(points.values())
    for student, nb, score in (("ana", perfect, full), ("ben", perfect, full),
                               ("dan", released, 0), ("eve", wrong,
                                                      full - points["test_stable_softmax"])):
        path = subs / student / LAB / NB
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
        expected[student] = score
    return root, subs, expected


def _grade(root: Path, subs: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out",
                           str(out), *extra], cwd=root, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _csv(out: Path) -> dict[str, float]:
    with open(out / "grades.csv", newline="") as fh:
        return {r["student_id"]: float(r["score"]) for r in csv.DictReader(fh)}


def _test_cells() -> int:
    """Graded cells of the lab (one grade row each per submission)."""
    source = nbformat.read(REPO / "solutions" / LAB / NB, as_version=4)
    return sum(1 for c in source.cells if c.metadata.get("nbgrader", {}).get("grade"))


def _gradebook(url: str) -> tuple[dict[str, float], int, int]:
    """Scores by student, and the number of submission and grade rows (duplicates show)."""
    import sqlalchemy

    with Gradebook(url, "") as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions(LAB)}
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        submissions = conn.execute(sqlalchemy.text(
            "SELECT count(*) FROM submitted_assignment")).scalar()
        grades = conn.execute(sqlalchemy.text("SELECT count(*) FROM grade")).scalar()
    engine.dispose()
    return scores, submissions, grades


def _reset(url: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def test_parallel_grading_into_postgresql_loses_and_duplicates_nothing(postgres, course,
                                                                       tmp_path):
    root, subs, expected = course
    _reset(postgres.url)
    _grade(root, subs, tmp_path / "out", "--workers", "2", "--db", postgres.url)
    assert _csv(tmp_path / "out") == expected
    scores, submissions, grades = _gradebook(postgres.url)
    assert scores == expected
    assert (submissions, grades) == (4, 4 * _test_cells())
    # grading again (a regrade) updates the same rows
    _grade(root, subs, tmp_path / "again", "--workers", "2", "--db", postgres.url)
    assert _gradebook(postgres.url) == (expected, 4, 4 * _test_cells())


def test_dask_cluster_grades_into_shared_postgresql(postgres, course, tmp_path):
    distributed = pytest.importorskip("dask.distributed",
                                      reason="the Dask test needs the scale extra")
    root, subs, expected = course
    _reset(postgres.url)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            pids = set(client.run(os.getpid).values())
        assert len(pids) == 2 and os.getpid() not in pids  # separate worker processes
        done = _grade(root, subs, tmp_path / "out", "--dask", cluster.scheduler_address,
                      "--db", postgres.url)
    assert f"with Dask at {cluster.scheduler_address}" in done.stdout
    assert _csv(tmp_path / "out") == expected
    assert _gradebook(postgres.url) == (expected, 4, 4 * _test_cells())


def test_dask_without_postgresql_is_refused(course, tmp_path):
    root, subs, _ = course
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out",
                           str(tmp_path), "--dask", "tcp://127.0.0.1:1"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "--dask needs a gradebook every worker can write" in done.stderr
