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


#: (workers, sandbox, trusted test cells) of each timed run, in the order they run; the last
#: is the grader before sandbox and trusted verdicts (test cells in the student's kernel).
RUNS = ((1, True, True), (2, True, True), (1, False, True), (1, False, False))


def grading_throughput(submissions: int = 8, runs: tuple = RUNS) -> dict:
    """Seconds per submission for each (workers, sandbox, trusted) run (wall time of ``grade``).

    Returns:
        ``{"submissions": N, "cores": os.cpu_count(), "load_average": 1-minute load at the
        end, "seconds_per_submission": {run: wall s}, "cpu_seconds_per_submission": {run: CPU
        s of the grader, its workers and kernels}, "speedup": {run: time of 1 worker with the
        same settings / time}, "sandbox_cost": wall s per submission with the sandbox minus
        without (1 worker, trusted), "trusted_cost": with trusted test cells minus with test
        cells in the kernel (1 worker, no sandbox)}``; every submission must earn full marks.
        Runs with the sandbox are left out where it cannot run.
    """
    per: dict[tuple[int, bool, bool], float] = {}
    cpu: dict[tuple[int, bool, bool], float] = {}
    runs = tuple(r for r in runs if not r[1] or sandbox_problem() is None)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course, subs = _course(Path(tmp), submissions)
        for n, sandbox, trusted in runs:
            out = Path(tmp) / f"out{n}{'s' if sandbox else ''}{'t' if trusted else ''}"
            start, cpu_start = time.perf_counter(), _cpu_seconds()
            results = grade_submissions(course, subs, out, workers=n, progress=None,
                                        limits=Limits(sandbox=sandbox, trusted=trusted))
            per[(n, sandbox, trusted)] = (time.perf_counter() - start) / submissions
            cpu[(n, sandbox, trusted)] = (_cpu_seconds() - cpu_start) / submissions
            bad = [r for r in results if r.score != r.max_score
                   or r.status not in ("ok", "graded without sandbox")]
            if bad:
                raise RuntimeError(f"benchmark submissions did not grade right: {bad[0]}")
    speedup = {k: per[(1, k[1], k[2])] / s for k, s in per.items() if (1, k[1], k[2]) in per}

    def difference(a: tuple, b: tuple) -> float | None:
        return per[a] - per[b] if a in per and b in per else None

    return {"submissions": submissions, "cores": os.cpu_count(),
            "load_average": os.getloadavg()[0], "seconds_per_submission": per,
            "cpu_seconds_per_submission": cpu, "speedup": speedup,
            "sandbox_cost": difference((1, True, True), (1, False, True)),
            "trusted_cost": difference((1, False, True), (1, False, False))}


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
    for run, seconds in figures["seconds_per_submission"].items():
        print(f"  {describe(run)}: {seconds:.2f} s per submission, "
              f"{figures['cpu_seconds_per_submission'][run]:.2f} CPU s per submission "
              f"(speed-up {figures['speedup'][run]:.2f}x)")
    for what in ("sandbox", "trusted"):
        if figures[f"{what}_cost"] is not None:
            print(f"  {what} costs {figures[f'{what}_cost']:+.2f} s per submission")
    return 0


def describe(run: tuple[int, bool, bool]) -> str:
    """``"2 worker(s), sandbox, trusted tests"`` for a run of :data:`RUNS`."""
    n, sandbox, trusted = run
    return (f"{n} worker(s), {'sandbox' if sandbox else 'no sandbox'}, "
            f"{'trusted tests' if trusted else 'tests in the kernel'}")


if __name__ == "__main__":
    raise SystemExit(main())
