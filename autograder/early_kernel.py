"""The kernel ``validate`` runs a notebook in, started before the grader's own imports.

``python -m autograder validate NB`` spends about 1.4 s importing nbgrader before it can run
anything. Started first, the kernel boots meanwhile in its own process (on another core)
and imports what the labs' first cell imports (numpy, matplotlib, torch, course_lib: about
1.2 s) as it starts; the imports leave no name behind, so the notebook begins in a fresh
kernel's namespace. :func:`autograder.validate.validate_notebook` then runs the notebook in
it, exactly as it would in a kernel it started itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: The labs' first imports (most of a kernel's start-up), for any kernel started ahead of
#: its notebook: this one, and the grader's next-submission kernel
#: (:class:`autograder.sandbox.WarmKernel`). No name stays bound: the notebook begins in a
#: fresh kernel's namespace, and one that forgets an import fails as it would for the student.
#: (An expression whose value is None: no name binds, not even ``_``, and an import that
#: fails leaves the ones before it loaded and unbound.)
WARM_IMPORTS = ("[__import__(name) for name in "
                "('numpy', 'matplotlib.pyplot', 'torch', 'course_lib.grading')].clear()")
#: Every kernel that validates a notebook gets these arguments: history in memory (what
#: nbclient gives Python kernels) and no plot drawn (nobody sees them: the report is text).
VALIDATE_ARGUMENTS = ("--HistoryManager.hist_file=:memory:",
                      "--InlineBackend.figure_formats=set()")
#: What nbgrader's Validator sets in a validating kernel's environment.
VALIDATE_ENV = {"NBGRADER_VALIDATING": "1", "NBGRADER_EXECUTION": "validate"}


def notebook_to_validate(argv: Sequence[str]) -> Path | None:
    """The notebook of a ``validate`` command line (``None`` for any other command)."""
    if not argv or argv[0] != "validate":
        return None
    paths = [Path(a) for a in argv[1:] if a.endswith(".ipynb")]
    if len(paths) != 1 or not paths[0].is_file():
        return None
    try:  # a notebook for another kernel runs in the kernel nbgrader starts for it
        spec = json.loads(paths[0].read_text()).get("metadata", {}).get("kernelspec", {})
    except (OSError, ValueError, AttributeError):
        return None
    return paths[0] if spec.get("name", "python3") == "python3" else None


def start(notebook: Path) -> Any:
    """Start a Python kernel for ``notebook`` (in its folder) and return its manager.

    Returns at once: the kernel starts and imports in the background. The caller shuts it
    down (:func:`stop`) whatever happens.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)(
        extra_arguments=[*VALIDATE_ARGUMENTS, f"--IPKernelApp.exec_lines={WARM_IMPORTS}"],
        cwd=str(notebook.resolve().parent), env={**os.environ, **VALIDATE_ENV})
    return km


def stop(km: Any) -> None:
    """Kill a kernel from :func:`start` (its results, if any, are collected)."""
    from jupyter_core.utils import run_sync

    if km is not None and km.has_kernel:
        run_sync(km.shutdown_kernel)(now=True)
