"""Grading throughput: seconds per submission, serial and with 2 workers.

``python -m benchmarks.bench_grading [--submissions N]`` grades N perfect submissions of lab
00_warmup (in a private copy of the lab) with ``grade --workers 1`` and ``--workers 2``, with
the default limits and the integrity guard on, and prints seconds per submission and the
speed-up. :func:`grading_throughput` returns the figures for ``make bench``'s table.
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

from autograder.course import Course
from autograder.demo import solved_notebook
from autograder.grade import course_fingerprints, grade_submissions

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


def grading_throughput(submissions: int = 8, workers: tuple[int, ...] = (1, 2)) -> dict:
    """Seconds per submission for each worker count (wall time of the whole ``grade``).

    Returns:
        ``{"submissions": N, "cores": os.cpu_count(), "load_average": 1-minute load at the
        end, "seconds_per_submission": {workers: wall s}, "cpu_seconds_per_submission":
        {workers: CPU s of the grader, its workers and kernels}, "speedup": {workers: serial
        time / time}}``; every submission must earn full marks. On a shared machine the wall
        times depend on the load; CPU seconds do not much.
    """
    per: dict[int, float] = {}
    cpu: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course, subs = _course(Path(tmp), submissions)
        for n in workers:
            out = Path(tmp) / f"out{n}"
            course_fingerprints.cache_clear()  # every run pays for its own set-up
            start, cpu_start = time.perf_counter(), _cpu_seconds()
            results = grade_submissions(course, subs, out, workers=n, progress=None)
            per[n] = (time.perf_counter() - start) / submissions
            cpu[n] = (_cpu_seconds() - cpu_start) / submissions
            bad = [r for r in results if r.score != r.max_score or r.status != "ok"]
            if bad:
                raise RuntimeError(f"benchmark submissions did not grade right: {bad[0]}")
    serial = per.get(1, next(iter(per.values())))
    return {"submissions": submissions, "cores": os.cpu_count(),
            "load_average": os.getloadavg()[0],
            "seconds_per_submission": per, "cpu_seconds_per_submission": cpu,
            "speedup": {n: serial / s for n, s in per.items()}}


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
    for n, seconds in figures["seconds_per_submission"].items():
        print(f"  {n} worker(s): {seconds:.2f} s per submission, "
              f"{figures['cpu_seconds_per_submission'][n]:.2f} CPU s per submission "
              f"(speed-up {figures['speedup'][n]:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
