"""``python -m benchmarks`` (``make bench``): print the speed table and write it, with the
machine's description, to ``benchmarks/RESULTS.md`` (the section between the markers)."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import torch

from benchmarks import engine_vs_torch

RESULTS = Path(__file__).with_name("RESULTS.md")
BEGIN, END = "<!-- cpu-table:begin -->", "<!-- cpu-table:end -->"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"NumPy {np.__version__}, torch {torch.__version__}; {date.today().isoformat()}")


def playground_ms() -> str:
    """The optimizer playground's recompute time, from its own benchmark script."""
    script = Path(__file__).with_name("bench_playground.py")
    if not script.exists():
        return "not measured (bench_playground.py missing)"
    result = subprocess.run([sys.executable, str(script), "--repeats", "5"],
                            capture_output=True, text=True)
    return result.stdout.strip() or result.stderr.strip()


def table(repeats: int) -> str:
    rows = ["| comparison (single thread, float32) | engine ms | torch ms | ratio | target |",
            "| --- | ---: | ---: | ---: | ---: |"]
    for c in engine_vs_torch.run(repeats):
        target = f"<= {c.target:g}x" if c.target else "-"
        verdict = "" if c.target is None or c.ratio <= c.target else " (over)"
        rows.append(f"| {c.name} | {c.engine_ms:.2f} | {c.torch_ms:.2f} | "
                    f"{c.ratio:.2f}x{verdict} | {target} |")
    naive, fast = engine_vs_torch.naive_vs_im2col()
    rows.append(f"| conv forward, loops vs im2col, (4, 3, 16, 16) float64 | {naive:.1f} (loops) "
                f"| {fast:.2f} (im2col) | {naive / fast:.0f}x faster | - |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    section = f"Machine: {machine()}\n\n{table(args.repeats)}\n\nOptimizer playground:\n\n" \
              f"```\n{playground_ms()}\n```"
    print(section)
    if not args.no_write:
        text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
        block = f"{BEGIN}\n{section}\n{END}"
        if BEGIN in text and END in text:
            text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
        else:
            text = text.rstrip() + f"\n\n## CPU: engine against PyTorch\n\n{block}\n"
        RESULTS.write_text(text)
        print(f"\nwritten to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
