"""Grading throughput: seconds per submission, with and without the sandbox, 1 and 2 workers.

``python -m benchmarks.bench_grading [--submissions N]`` grades N perfect submissions of lab
00_warmup (in a private copy of the lab) with ``grade --workers 1`` and ``--workers 2`` in the
bubblewrap sandbox, and ``--workers 1 --no-sandbox``, all in one run with the default limits
and trusted test cells, and prints seconds per submission, the speed-up of 2 workers and the
sandbox's cost. :func:`grading_throughput` returns the figures for ``make bench``'s table.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.bubblewrap import sandbox_problem
from autograder.course import Course, Limits
from autograder.demo import solved_notebook
from autograder.grade import grade_submissions

REPO = Path(__file__).resolve().parents[1]
LAB = "00_warmup"


def _course(root: Path, submissions: int) -> tuple[Course, Path]:
    for folder in ("solutions", "labs"):
        shutil.copytree(REPO / folder / LAB, root / folder / LAB)
    course = Course.at(root)
    nb = solved_notebook(nbformat.read(course.release_notebook(LAB), as_version=4),
                         nbformat.read(course.source_notebook(LAB), as_version=4))
    subs = root / "submissions"
    for i in range(submissions):
        path = subs / f"student{i:02d}" / LAB / f"{LAB}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    return course, subs


#: (workers, sandbox) of each timed run, in the order they run.
RUNS = ((1, True), (2, True), (1, False))


def grading_throughput(submissions: int = 8, runs: tuple = RUNS) -> dict:
    """Seconds per submission for each (workers, sandbox) run (wall time of the ``grade``).

    Returns:
        ``{"submissions": N, "cores": os.cpu_count(), "load_average": 1-minute load at the
        end, "seconds_per_submission": {(workers, sandbox): wall s},
        "cpu_seconds_per_submission": {(workers, sandbox): CPU s of the grader, its workers
        and kernels}, "speedup": {(workers, sandbox): time of 1 worker with the same sandbox
        setting / time}, "sandbox_cost": wall s per submission with the sandbox minus without
        (1 worker)}``; every submission must earn full marks. Runs with the sandbox are left
        out where it cannot run.
    """
    per: dict[tuple[int, bool], float] = {}
    cpu: dict[tuple[int, bool], float] = {}
    runs = tuple(r for r in runs if not r[1] or sandbox_problem() is None)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course, subs = _course(Path(tmp), submissions)
        for n, sandbox in runs:
            out = Path(tmp) / f"out{n}{'s' if sandbox else ''}"
            start, cpu_start = time.perf_counter(), _cpu_seconds()
            results = grade_submissions(course, subs, out, workers=n, progress=None,
                                        limits=Limits(sandbox=sandbox))
            per[(n, sandbox)] = (time.perf_counter() - start) / submissions
            cpu[(n, sandbox)] = (_cpu_seconds() - cpu_start) / submissions
            bad = [r for r in results if r.score != r.max_score
                   or r.status not in ("ok", "graded without sandbox")]
            if bad:
                raise RuntimeError(f"benchmark submissions did not grade right: {bad[0]}")
    speedup = {key: per[(1, key[1])] / s for key, s in per.items() if (1, key[1]) in per}
    cost = per[(1, True)] - per[(1, False)] if (1, True) in per and (1, False) in per else None
    return {"submissions": submissions, "cores": os.cpu_count(),
            "load_average": os.getloadavg()[0], "seconds_per_submission": per,
            "cpu_seconds_per_submission": cpu, "speedup": speedup, "sandbox_cost": cost}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (workers, kernels)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_grading",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8)
    args = parser.parse_args(argv)
    figures = grading_throughput(args.submissions)
    print(f"grading {figures['submissions']} submissions of {LAB} on {figures['cores']} cores "
          f"(load average {figures['load_average']:.1f})")
    for (n, sandbox), seconds in figures["seconds_per_submission"].items():
        print(f"  {n} worker(s), {'sandbox' if sandbox else 'no sandbox'}: {seconds:.2f} s per "
              f"submission, {figures['cpu_seconds_per_submission'][(n, sandbox)]:.2f} CPU s per "
              f"submission (speed-up {figures['speedup'][(n, sandbox)]:.2f}x)")
    if figures["sandbox_cost"] is not None:
        print(f"  the sandbox costs {figures['sandbox_cost']:+.2f} s per submission")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
