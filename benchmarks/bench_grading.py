"""Grading throughput: seconds per submission, with and without the sandbox, 1 and 2 workers,
and against plain nbgrader.

``python -m benchmarks.bench_grading [--submissions N]`` grades N perfect submissions of lab
00_warmup (in a private copy of the lab) with ``grade --workers 1`` and ``--workers 2`` in the
bubblewrap sandbox, and ``--workers 1 --no-sandbox``, all in one run with the default limits
and trusted test cells, and prints seconds per submission, the speed-up of 2 workers and the
sandbox's cost. :func:`grading_throughput` returns the figures for ``make bench``'s table.

``--against-nbgrader`` grades the same N submissions of lab 00 and of lab 05 with plain
``nbgrader autograde`` (nbgrader's default configuration: no sandbox, tests in the kernel,
no feedback, one notebook after the other) and with ``python -m autograder grade`` at 1 and 2
workers (sandbox, trusted test cells, feedback), in one run, each timed as a command from its
start to its exit: :func:`against_nbgrader`.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.bubblewrap import sandbox_problem
from autograder.course import Course, Limits
from autograder.demo import solved_notebook
from autograder.grade import grade_submissions

REPO = Path(__file__).resolve().parents[1]
LAB = "00_warmup"


def _course(root: Path, submissions: int, lab: str = LAB) -> tuple[Course, Path]:
    for folder in ("solutions", "labs"):
        shutil.copytree(REPO / folder / lab, root / folder / lab)
    course = Course.at(root)
    nb = solved_notebook(nbformat.read(course.release_notebook(lab), as_version=4),
                         nbformat.read(course.source_notebook(lab), as_version=4))
    subs = root / "submissions"
    for i in range(submissions):
        path = subs / f"student{i:02d}" / lab / f"{lab}.ipynb"
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


#: Labs of the comparison with plain nbgrader, and the largest ratio to nbgrader's seconds
#: per submission that ``grade --workers 1`` should reach on each (issue targets).
AGAINST_NBGRADER = {"00_warmup": 0.5, "05_convnets": 0.8}


@dataclass
class CommandTiming:
    """One command, timed: its wall seconds from start to exit, the seconds (from its start)
    at which each line that marks one submission came, and how many submissions it works on
    at once."""

    seconds: float
    marks: list[float]
    workers: int = 1

    @property
    def steady(self) -> float:
        """Seconds per submission once every worker has had its first one: from the
        ``workers``-th mark to the last, per submission in between. The pace a class of
        hundreds would see, without the run's start and end (NaN without enough marks).
        With 2 workers the first two marks come close together, so counting from the first
        would credit the second worker's start-up to the pace."""
        first = self.workers - 1
        if len(self.marks) <= self.workers:
            return float("nan")
        return (self.marks[-1] - self.marks[first]) / (len(self.marks) - 1 - first)


def timed_command(cmd: list[str], cwd: Path, marks: str, env: dict | None = None,
                  workers: int = 1) -> tuple[CommandTiming, int, str]:
    """Run ``cmd`` (standard output and error together), noting when each line that matches
    the regular expression ``marks`` arrives; ``workers``: submissions it grades at once.
    Returns the timing, the exit status and the last 3000 characters of the output."""
    import re
    import subprocess

    pattern = re.compile(marks)
    start = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    times, tail = [], ""
    for line in process.stdout:
        if pattern.search(line):
            times.append(time.perf_counter() - start)
        tail = (tail + line)[-3000:]
    status = process.wait()
    seconds = time.perf_counter() - start
    return CommandTiming(seconds, times, workers), status, tail


#: nbgrader logs this line as it starts each submission's notebook.
NBGRADER_MARK = r"Converting notebook .*/submitted/"
#: ``grade`` prints ``[k/N] student lab: ...`` as each submission is done.
GRADE_MARK = r"^\[\d+/\d+\] "


def plain_nbgrader_timing(course: Course, subs: Path, lab: str, root: Path) -> CommandTiming:
    """One ``nbgrader autograde LAB`` over every submission in ``subs``, timed (wall seconds,
    and when it starts each submission), in an nbgrader course folder with
    nbgrader's defaults (the source folder and the gradebook made by ``nbgrader
    generate_assignment``). The kernels get ``COURSE_LIB_GRADING=1``, as the sandboxed ones
    do, so both graders run the same cells."""
    import subprocess
    import sys

    shutil.copytree(course.source / lab, root / "source" / lab)
    shutil.copytree(subs, root / "submitted")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n")
    env = {**os.environ, "COURSE_LIB_GRADING": "1"}
    scripts = str(Path(sys.executable).parent)
    env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", lab], cwd=root, env=env, check=True,
                   capture_output=True)
    timing, status, output = timed_command([*nbgrader, "autograde", lab], root, NBGRADER_MARK,
                                           env)
    if status != 0:
        raise RuntimeError(f"nbgrader autograde failed: {output[-2000:]}")
    return timing


def grade_command_timing(course: Course, subs: Path, lab: str, out: Path,
                          workers: int) -> CommandTiming:
    """One ``python -m autograder grade`` of ``lab`` over every submission in ``subs`` with
    ``workers`` workers (sandbox, trusted test cells, feedback: the defaults), timed as plain
    nbgrader is, from the command's start (its own imports included) to its exit, and when
    it reports each submission done. Every submission must earn full marks (but
    for the written answers, which wait for a person)."""
    import csv
    import sys

    timing, status, output = timed_command(
        [sys.executable, "-m", "autograder", "grade", str(subs), "--source", str(course.source),
         "--out", str(out), "--workers", str(workers),
         "--assignment", lab], course.root, GRADE_MARK, workers=workers)
    if status != 0:
        raise RuntimeError(f"grade failed: {output}")
    with open(out / "grades.csv", newline="") as rows:
        short = [row for row in csv.DictReader(rows) if row["status"] != "ok" or float(
            row["score"]) + float(row["manual_pending"]) != float(row["max_score"])]
    if short:
        raise RuntimeError(f"benchmark submissions did not grade right: {short[0]}")
    return timing


#: Seconds ``validate`` of a right lab-00 notebook may take on a quiet machine.
VALIDATE_TARGET = 5.0


def validate_seconds(runs: int = 3, lab: str = LAB) -> float:
    """Median wall seconds of ``python -m autograder validate`` on a right notebook of
    ``lab``, as a student runs it (a new process each time: start-up included)."""
    import statistics
    import subprocess
    import sys

    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        course, subs = _course(Path(tmp), 1, lab)
        notebook = subs / "student00" / lab / f"{lab}.ipynb"
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "autograder", "validate",
                                   str(notebook)], cwd=tmp, capture_output=True, text=True)
            seconds.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"validate failed: {done.stdout[-1000:]}{done.stderr[-1000:]}")
    return statistics.median(seconds)


def against_nbgrader(submissions: int = 8, labs: dict[str, float] = AGAINST_NBGRADER) -> dict:
    """Seconds per submission of plain ``nbgrader autograde`` and of ``grade`` at 1 and 2
    workers, per lab, measured in one run.

    Returns:
        ``{lab: {"nbgrader": s, "grade1": s, "grade2": s, "ratio1": grade1 / nbgrader,
        "target": largest ratio wanted, "speedup2": grade1 / grade2, "cpu": {"nbgrader":
        CPU s, "grade1": ..., "grade2": ...}, "steady": {"nbgrader": s, "grade1": ...,
        "grade2": ...}, "steady_ratio1": steady grade1 / steady nbgrader}}`` (seconds per
        submission from each command's start to its exit; CPU seconds per submission of the
        whole machine while each ran, kernels in their sandboxes included, None where
        ``/proc/stat`` is missing; the steady pace, :attr:`CommandTiming.steady`),
        ``"validate"`` (:func:`validate_seconds` of lab 00), and ``"load_average"``
        (1-minute load at the end).
    """
    figures: dict = {}
    for lab, target in labs.items():
        with tempfile.TemporaryDirectory(prefix="bench-vs-nbgrader-") as tmp:
            course, subs = _course(Path(tmp) / "course", submissions, lab)
            runs = {"nbgrader": functools.partial(plain_nbgrader_timing, course, subs, lab,
                                                  Path(tmp) / "plain")}
            for n in (1, 2):
                runs[f"grade{n}"] = functools.partial(grade_command_timing, course, subs, lab,
                                                      Path(tmp) / f"out{n}", n)
            seconds, cpu, steady = {}, {}, {}
            for name, run in runs.items():
                busy = _machine_busy_seconds()
                timing = run()
                after = _machine_busy_seconds()
                seconds[name], steady[name] = timing.seconds / submissions, timing.steady
                cpu[name] = None if busy is None or after is None else (after - busy) / submissions
            figures[lab] = {**seconds, "ratio1": seconds["grade1"] / seconds["nbgrader"],
                            "target": target, "speedup2": seconds["grade1"] / seconds["grade2"],
                            "cpu": cpu, "steady": steady,
                            "steady_ratio1": steady["grade1"] / steady["nbgrader"]}
    figures["validate"] = validate_seconds()
    figures["load_average"] = os.getloadavg()[0]
    return figures


def _machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (``/proc/stat``: all but idle
    and I/O wait), or None without ``/proc/stat``."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (workers, kernels)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_grading",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8)
    parser.add_argument("--against-nbgrader", action="store_true",
                        help="compare with plain nbgrader autograde on labs 00 and 05")
    parser.add_argument("--labs", nargs="+", choices=sorted(AGAINST_NBGRADER),
                        default=sorted(AGAINST_NBGRADER),
                        help="with --against-nbgrader: the labs to compare [default: both]")
    args = parser.parse_args(argv)
    if args.against_nbgrader:
        figures = against_nbgrader(args.submissions,
                                   {lab: AGAINST_NBGRADER[lab] for lab in args.labs})
        print(f"{args.submissions} submissions per lab on {os.cpu_count()} cores (load "
              f"average {figures.pop('load_average'):.1f} at the end)")
        print(f"  validate of {LAB}: {figures.pop('validate'):.2f} s (median of 3, target < "
              f"{VALIDATE_TARGET:g} s)")
        for lab, f in figures.items():
            cpu = {k: "" if v is None else f", {v:.2f} CPU s" for k, v in f["cpu"].items()}
            print(f"  {lab}: nbgrader autograde {f['nbgrader']:.2f} s per submission"
                  f"{cpu['nbgrader']}; grade --workers 1 {f['grade1']:.2f} s{cpu['grade1']} "
                  f"({f['ratio1']:.2f}x nbgrader, target <= {f['target']}x); --workers 2 "
                  f"{f['grade2']:.2f} s{cpu['grade2']} (speed-up {f['speedup2']:.2f}x, target "
                  ">= 1.7x)")
            st = f["steady"]
            print(f"    steady pace (once every worker has had its first submission): nbgrader "
                  f"{st['nbgrader']:.2f} s, grade --workers 1 {st['grade1']:.2f} s "
                  f"({f['steady_ratio1']:.2f}x), --workers 2 {st['grade2']:.2f} s")
        return 0
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
