"""``python -m benchmarks`` (``make bench``): print the speed table and write it, with the
machine's description, to ``benchmarks/RESULTS.md`` (the section between the markers).

One table: the engine against PyTorch (single-threaded, float32, side by side, medians of
repeats; the ratio by wall clock and by CPU time), loops against im2col, the optimizer
playground's recompute time, each solution notebook's run time, and grading seconds per
submission. Each figure with its target where the speed issue gives one.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from datetime import date
from pathlib import Path

import numpy as np
import torch

from benchmarks import engine_vs_torch

RESULTS = Path(__file__).with_name("RESULTS.md")
BEGIN, END = "<!-- cpu-table:begin -->", "<!-- cpu-table:end -->"
HEADER = ["| figure | measured | PyTorch / reference | ratio, wall (CPU time) | target | verdict |",
          "| --- | ---: | ---: | ---: | ---: | --- |"]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        load = "load average unknown"
    return (f"{cpu}, {os.cpu_count()} cores ({load} when the run ended); "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
            f"NumPy {np.__version__}, torch {torch.__version__}; {date.today().isoformat()}")


def row(figure: str, measured: str, reference: str = "-", ratio: str = "-", target: str = "-",
        verdict: str = "-") -> str:
    return f"| {figure} | {measured} | {reference} | {ratio} | {target} | {verdict} |"


def engine_rows(repeats: int) -> list[str]:
    rows = []
    for c in engine_vs_torch.run(repeats):
        target = f"<= {c.target:g}x" if c.target else "-"
        verdict = "-" if c.target is None else ("ok" if c.ratio <= c.target else "**over**")
        rows.append(row(c.name, f"{c.engine_ms:.2f} ms", f"{c.torch_ms:.2f} ms",
                        f"{c.ratio:.2f}x ({c.cpu_ratio:.2f}x)", target, verdict))
    naive, fast = engine_vs_torch.naive_vs_im2col()
    rows.append(row("conv forward, loops vs im2col, (4, 3, 16, 16) float64", f"{fast:.2f} ms",
                    f"{naive:.1f} ms (loops)", f"im2col {naive / fast:.0f}x faster"))
    return rows


def playground_rows(repeats: int) -> list[str]:
    """The optimizer playground: recompute of 6 optimizers x 500 steps, and the widget."""
    from benchmarks import bench_playground as bp

    times = bp.recompute_times(repeats)
    slowest, worst = max(((n, statistics.median(t)) for n, t in times.items()),
                         key=lambda item: item[1])
    widget = bp.widget_times(max(3, repeats // 3))
    return [
        row(f"playground recompute, 6 optimizers x {bp.STEPS} steps (slowest surface: "
            f"{slowest})", f"{worst:.1f} ms", target=f"< {bp.LIMIT_MS:.0f} ms",
            verdict="ok" if worst < bp.LIMIT_MS else "**over**"),
        row("playground widget: recompute + redraw", f"{widget['recompute + redraw']:.1f} ms"),
        row("playground widget: one animation frame", f"{widget['one frame']:.1f} ms"),
    ]


def notebook_rows() -> list[str]:
    from benchmarks import bench_notebooks as bn

    rows = []
    for lab in bn.solution_labs():
        run = bn.run_notebook(lab)
        ok = run.status == "ok"
        verdict = ("ok" if run.seconds <= bn.README_SECONDS * 1.5 else "slow") if ok \
            else f"**{run.status}**"
        rows.append(row(f"solutions/{lab} run top to bottom (nbclient, one run)",
                        f"{run.seconds:.1f} s", target=f"about {bn.README_SECONDS:.0f} s "
                        "(README)", verdict=verdict))
    return rows


def grading_rows(submissions: int) -> list[str]:
    from benchmarks.bench_grading import LAB, describe, grading_throughput

    try:
        figures = grading_throughput(submissions)
    except Exception as err:  # report it in the table rather than lose every other figure
        return [row("grading, seconds per submission", f"failed: {err}"[:160])]
    rows = [
        row(f"grading {figures['submissions']} submissions of {LAB}, {describe(run)}",
            f"{seconds:.2f} s per submission", ratio=f"speed-up {figures['speedup'][run]:.2f}x")
        for run, seconds in figures["seconds_per_submission"].items()
    ]
    for what, label in (("sandbox", "the sandbox"), ("trusted", "trusted test cells")):
        if figures[f"{what}_cost"] is not None:
            rows.append(row(f"grading: cost of {label} (1 worker)",
                            f"{figures[f'{what}_cost']:+.2f} s per submission"))
    return rows


def against_nbgrader_rows(submissions: int) -> list[str]:
    from benchmarks.bench_grading import LAB, VALIDATE_TARGET, against_nbgrader

    try:
        figures = against_nbgrader(submissions)
    except Exception as err:
        return [row("grading against plain nbgrader", f"failed: {err}"[:160])]
    figures.pop("load_average")
    validate = figures.pop("validate")
    rows = [row(f"`validate` of a right {LAB} notebook (new process, median of 3)",
                f"{validate:.2f} s", target=f"< {VALIDATE_TARGET:g} s",
                verdict="ok" if validate < VALIDATE_TARGET else "slow")]
    for lab, f in figures.items():
        cpu = {k: "" if v is None else f" ({v:.2f} CPU s)" for k, v in f["cpu"].items()}
        rows.append(row(f"{lab}: plain `nbgrader autograde` ({submissions} submissions)",
                        f"{f['nbgrader']:.2f} s per submission{cpu['nbgrader']}"))
        rows.append(row(f"{lab}: `grade --workers 1` (sandbox, trusted tests, feedback)",
                        f"{f['grade1']:.2f} s per submission{cpu['grade1']}",
                        target=f"<= {f['target']}x nbgrader", ratio=f"{f['ratio1']:.2f}x "
                        "nbgrader", verdict="ok" if f["ratio1"] <= f["target"] else "slower"))
        rows.append(row(f"{lab}: `grade --workers 2`",
                        f"{f['grade2']:.2f} s per submission{cpu['grade2']}",
                        target=">= 1.7x 1 worker", ratio=f"speed-up {f['speedup2']:.2f}x",
                        verdict="ok" if f["speedup2"] >= 1.7 else "short"))
        steady = f["steady"]
        rows.append(row(f"{lab}: steady pace, seconds per submission once every worker has "
                        "had its first (the run's start and end left out)",
                        f"`grade -w1` {steady['grade1']:.2f} s, `-w2` {steady['grade2']:.2f} s",
                        f"nbgrader {steady['nbgrader']:.2f} s",
                        f"{f['steady_ratio1']:.2f}x nbgrader (1 worker)"))
    return rows


def table(args: argparse.Namespace) -> str:
    rows = [*HEADER]
    print("engine against PyTorch ...", file=sys.stderr)
    rows += engine_rows(args.repeats)
    print("optimizer playground ...", file=sys.stderr)
    rows += playground_rows(5)
    if not args.skip_notebooks:
        print("solution notebooks ...", file=sys.stderr)
        rows += notebook_rows()
    if not args.skip_grading:
        print("grading ...", file=sys.stderr)
        rows += grading_rows(args.submissions)
        print("grading against plain nbgrader ...", file=sys.stderr)
        rows += against_nbgrader_rows(args.against_submissions)
    return "\n".join(rows)


NOTES = """Engine rows: single thread (threadpoolctl for NumPy's BLAS, `torch.set_num_threads(1)`),
float32, batch 64 at 32x32 unless named; the engine and PyTorch take turns in short blocks and
each figure is the median of the timed calls. The verdict reads the wall-clock ratio; the CPU
time ratio beside it leaves out time spent waiting for a core, which on a busy shared machine
is the steadier of the two. Notebook and grading times are wall clock, all cores."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--repeats", type=int, default=10, help="rounds per comparison [10]")
    parser.add_argument("--submissions", type=int, default=4,
                        help="submissions graded for the grading figure [4]")
    parser.add_argument("--skip-notebooks", action="store_true",
                        help="do not run the solution notebooks")
    parser.add_argument("--skip-grading", action="store_true", help="do not time grading")
    parser.add_argument("--against-submissions", type=int, default=8,
                        help="submissions per lab graded by plain nbgrader and by grade [8]")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    body = table(args)
    section = f"Machine: {machine()}\n\n{body}\n\n{NOTES}"
    print(section)
    if not args.no_write:
        text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
        block = f"{BEGIN}\n{section}\n{END}"
        if BEGIN in text and END in text:
            text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
        else:
            heading = "## CPU: engine against PyTorch, and the course"
            text = text.rstrip() + f"\n\n{heading}\n\n{block}\n"
        RESULTS.write_text(text)
        print(f"\nwritten to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
