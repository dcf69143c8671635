"""How long each solution notebook takes to run top to bottom (nbclient, a fresh kernel).

``python -m benchmarks.bench_notebooks [LAB ...]`` executes ``solutions/<lab>/<lab>.ipynb`` for
every lab in ``solutions/`` (or the ones named) in a temporary copy, the way Run All does in
JupyterLab, and prints the seconds each took, kernel start included. The README promises
about a minute per lab on a laptop CPU.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.course import Course

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
README_SECONDS = 60.0


@dataclass
class NotebookRun:
    lab: str
    seconds: float
    status: str  # "ok", or what went wrong


def solution_labs() -> list[str]:
    return Course.at(REPO).lab_ids()


def run_notebook(lab: str, timeout: int = 900) -> NotebookRun:
    """Execute ``solutions/<lab>/<lab>.ipynb`` in a temporary folder; time it."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{lab}-") as tmp:
        path = Path(tmp) / f"{lab}.ipynb"
        shutil.copy(SOLUTIONS / lab / f"{lab}.ipynb", path)
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": tmp}})
        began = time.perf_counter()
        try:
            client.execute()
            status = "ok"
        except CellExecutionError as err:
            status = f"error: {str(err).strip().splitlines()[-1][:120]}"
        except Exception as err:  # a timeout or a dead kernel: report it, keep benchmarking
            status = f"error: {type(err).__name__}: {err}"[:140]
        return NotebookRun(lab, time.perf_counter() - began, status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_notebooks",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("labs", nargs="*", help="lab ids [default: every solution notebook]")
    args = parser.parse_args(argv)
    failed = 0
    for lab in args.labs or solution_labs():
        run = run_notebook(lab)
        failed += run.status != "ok"
        print(f"{lab:20s} {run.seconds:6.1f} s  {run.status}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
