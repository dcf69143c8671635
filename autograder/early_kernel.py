"""The kernel ``validate`` runs a notebook in, started before the grader's own imports.

``python -m autograder validate NB`` spends about 1.4 s importing nbgrader before it can run
anything. Started first, the kernel boots meanwhile in its own process (on another core)
and imports what the lab's cells will import (:func:`kernel_imports`: by default numpy,
matplotlib, torch and course_lib, about 1.2 s) as it starts; the imports leave no name
behind, so the notebook begins in a fresh kernel's namespace.
:func:`autograder.validate.validate_notebook` then runs the notebook in it, exactly as it
would in a kernel it started itself.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: What a kernel started ahead of its notebook imports when the lab names nothing else (the
#: labs' first imports: most of a kernel's start-up): this one, and the grader's
#: next-submission kernel (:class:`autograder.sandbox.WarmKernel`).
DEFAULT_KERNEL_IMPORTS = ("numpy", "matplotlib.pyplot", "torch", "course_lib.grading")
#: The most modules a notebook's ``course_lib.kernel_imports`` may name.
MAX_KERNEL_IMPORTS = 32
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def kernel_imports(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    """The modules a kernel started ahead of a lab's notebook imports as it starts.

    A lab's source notebook names them in ``metadata["course_lib"]["kernel_imports"]`` (a
    list of dotted module names) when its cells import more than
    :data:`DEFAULT_KERNEL_IMPORTS`, or import something heavy late: lab 05's first
    ``torch.optim`` optimizer imports ``torch._dynamo``, 1.9 s of its kernel's time. Each
    module named should be one the lab's cells import anyway: a kernel that imports it ahead
    spends that time before the notebook arrives (beside the previous submission's
    grading, or the grader's own start-up), not in a cell.

    Args:
        metadata: a notebook's metadata.
    Returns:
        the names, in order; :data:`DEFAULT_KERNEL_IMPORTS` when the notebook names none.
        Anything that is not a dotted module name is left out (the names become code the
        kernel runs), and so is any name past :data:`MAX_KERNEL_IMPORTS`.
    """
    course = metadata.get("course_lib") if isinstance(metadata, Mapping) else None
    named = course.get("kernel_imports") if isinstance(course, Mapping) else None
    if not isinstance(named, list):
        return DEFAULT_KERNEL_IMPORTS
    return tuple(name for name in named[:MAX_KERNEL_IMPORTS]
                 if isinstance(name, str) and _MODULE_NAME.fullmatch(name))


def warm_imports_line(modules: Sequence[str]) -> str:
    """The line a kernel runs as it starts (``IPKernelApp.exec_lines``) to import ``modules``
    (dotted names, as :func:`kernel_imports` gives them).

    No name stays bound: the notebook begins in a fresh kernel's namespace, and one that
    forgets an import fails as it would for the student. (An expression whose value is None:
    no name binds, not even ``_``, and an import that fails leaves the ones before it loaded
    and unbound.)
    """
    bad = [m for m in modules if not _MODULE_NAME.fullmatch(m)]
    if bad:
        raise ValueError(f"not module names: {bad}")
    return f"[__import__(name) for name in {tuple(modules)!r}].clear()"


#: Every kernel that validates a notebook gets these arguments: history in memory (what
#: nbclient gives Python kernels) and no plot drawn (nobody sees them: the report is text).
VALIDATE_ARGUMENTS = ("--HistoryManager.hist_file=:memory:",
                      "--InlineBackend.figure_formats=set()")
#: What nbgrader's Validator sets in a validating kernel's environment.
VALIDATE_ENV = {"NBGRADER_VALIDATING": "1", "NBGRADER_EXECUTION": "validate"}


@functools.lru_cache(maxsize=1)
def _metadata(notebook: Path) -> Mapping[str, Any] | None:
    """A notebook file's metadata (read once for both uses below), or None when it is not
    a notebook's JSON."""
    try:
        metadata = json.loads(notebook.read_text()).get("metadata", {})
    except (OSError, ValueError, AttributeError):
        return None
    return metadata if isinstance(metadata, Mapping) else None


def notebook_to_validate(argv: Sequence[str]) -> Path | None:
    """The notebook of a ``validate`` command line (``None`` for any other command)."""
    if not argv or argv[0] != "validate":
        return None
    paths = [Path(a) for a in argv[1:] if a.endswith(".ipynb")]
    if len(paths) != 1 or not paths[0].is_file():
        return None
    metadata = _metadata(paths[0])
    if metadata is None:
        return None
    # a notebook for another kernel runs in the kernel nbgrader starts for it
    spec = metadata.get("kernelspec", {})
    return paths[0] if isinstance(spec, Mapping) and spec.get("name", "python3") == "python3" \
        else None


def start(notebook: Path) -> Any:
    """Start a Python kernel for ``notebook`` (in its folder) and return its manager; it
    imports the notebook's :func:`kernel_imports` as it starts.

    Returns at once: the kernel starts and imports in the background. The caller shuts it
    down (:func:`stop`) whatever happens.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    warm = warm_imports_line(kernel_imports(_metadata(notebook) or {}))
    km = AsyncKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)(
        extra_arguments=[*VALIDATE_ARGUMENTS, f"--IPKernelApp.exec_lines={warm}"],
        cwd=str(notebook.resolve().parent), env={**os.environ, **VALIDATE_ENV})
    return km


def stop(km: Any) -> None:
    """Kill a kernel from :func:`start` (its results, if any, are collected)."""
    from jupyter_core.utils import run_sync

    if km is not None and km.has_kernel:
        run_sync(km.shutdown_kernel)(now=True)
