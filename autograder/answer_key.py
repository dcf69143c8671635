"""The lab's answer key, taken out of the ``course_lib`` its grading kernel sees.

Each source notebook names, in ``metadata["course_lib"]["answer_key"]``, the library functions
(or classes, or methods) its exercises ask students to write, and the student's name for
each::

    {"course_lib.engine.functional.relu_forward": "relu_forward", ...}

Where the student's function has another signature than the library's, the entry also gives
an adapter, the source of ``def adapter(own, *args, **kwargs)`` that calls ``own`` (the
student's function) for the library's arguments::

    {"course_lib.engine.schedules.StepLR.lr_at": {"student": "step_lr", "adapter":
        "def adapter(own, self, t):\n    return own(self.base_lr, t, self.step_size, ...)"}}

:func:`redacted_course_lib` copies the installed ``course_lib`` (sources only: no ``.pyc`` of
the real code) and rewrites each named definition into a stand-in, so that the code is not in
the sandbox at all. A stand-in calls the student's function of that name from the notebook
when there is one (a BatchNorm network later in the lab then runs on the student's own
BatchNorm, as CS231n's networks run on the student's layers), and otherwise raises an error
that says which lab asks for it. The grader itself keeps the real library.
"""

from __future__ import annotations

import ast
import compileall
import importlib.util
import shutil
from collections.abc import Mapping
from pathlib import Path

import nbformat

STAND_IN_MODULE = "_answer_key_absent"

_STAND_IN_SOURCE = '''"""Stand-ins for the lab's answer key (written by the grader)."""


import threading

_inside = threading.local()


def absent(qualname, lab, student_name, adapter_source=None):
    """A function that runs the student's ``student_name`` from the notebook (through the
    adapter when one is given), or raises."""
    adapter = None
    if adapter_source:
        namespace = {}
        exec(compile(adapter_source, f"<adapter of {qualname}>", "exec"), namespace)
        adapter = namespace["adapter"]

    message = (f"{qualname} is part of what lab {lab} asks you to write ({student_name}); "
               "it is not available while your notebook is graded: write it yourself in "
               f"{student_name}.")

    def missing(*args, **kwargs):
        raise NotImplementedError(message)

    def stand_in(*args, **kwargs):
        import __main__

        own = getattr(__main__, student_name, None)
        active = getattr(_inside, "names", set())
        usable = (callable(own) and not getattr(own, "_answer_key_stand_in", False)
                  and qualname not in active)
        if adapter is None and not usable:
            raise NotImplementedError(message)
        _inside.names = active | {qualname}
        try:
            if adapter is not None:  # it calls `own` where it needs the student's answer
                return adapter(own if usable else missing, *args, **kwargs)
            return own(*args, **kwargs)
        finally:
            _inside.names = active

    stand_in._answer_key_stand_in = True
    stand_in.__name__ = qualname.rsplit(".", 1)[-1]
    stand_in.__qualname__ = stand_in.__name__
    return stand_in
'''


class AnswerKeyError(Exception):
    """An answer-key entry that names nothing in course_lib."""


def answer_key(nb: nbformat.NotebookNode) -> dict[str, tuple[str, str]]:
    """``{qualified library name: (student's name, adapter source or "")}`` of a source
    notebook (may be empty)."""
    key = nb.metadata.get("course_lib", {}).get("answer_key", {})
    entries = {}
    for name, value in dict(key).items():
        if isinstance(value, str):
            entries[str(name)] = (value, "")
        else:
            entries[str(name)] = (str(value["student"]), str(value.get("adapter", "")))
    return entries


def installed_course_lib() -> Path:
    """The folder of the ``course_lib`` package this grader imports."""
    spec = importlib.util.find_spec("course_lib")
    if spec is None or not spec.submodule_search_locations:
        raise AnswerKeyError("course_lib is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def _module_file(package_copy: Path, module: str) -> Path:
    parts = module.split(".")[1:]
    base = package_copy.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    raise AnswerKeyError(f"no module {module} in course_lib")


def _stand_in(name: str, qualname: str, lab: str, student: tuple[str, str]) -> ast.stmt:
    own, adapter = student
    call = (f"{name} = __import__('course_lib.{STAND_IN_MODULE}', fromlist=['absent'])"
            f".absent({qualname!r}, {lab!r}, {own!r}, {adapter or None!r})")
    return ast.parse(call).body[0]


def _replace(body: list[ast.stmt], path: list[str], qualname: str, lab: str,
             student: tuple[str, str]) -> bool:
    """Replace the definition ``path`` (e.g. ``["Value", "__mul__"]``) in ``body``."""
    head = path[0]
    for i, node in enumerate(body):
        named = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
            node.name == head
        assigned = isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == head for t in node.targets)
        if not (named or assigned):
            continue
        if len(path) == 1:
            body[i] = ast.copy_location(_stand_in(head, qualname, lab, student), node)
            return True
        if isinstance(node, ast.ClassDef):
            return _replace(node.body, path[1:], qualname, lab, student)
    return False


def _split(qualname: str, package_copy: Path) -> tuple[str, list[str]]:
    """``("course_lib.engine.functional", ["relu_forward"])`` from a qualified name."""
    parts = qualname.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        try:
            _module_file(package_copy, module)
        except AnswerKeyError:
            continue
        return module, parts[cut:]
    raise AnswerKeyError(f"{qualname}: no such module in course_lib")


def redact(package_copy: Path, key: Mapping[str, tuple[str, str]], lab: str) -> None:
    """Rewrite the definitions named in ``key`` inside a copy of course_lib (in place)."""
    (package_copy / f"{STAND_IN_MODULE}.py").write_text(_STAND_IN_SOURCE)
    by_file: dict[Path, list[tuple[list[str], str, tuple[str, str]]]] = {}
    for qualname, student in key.items():
        if not qualname.startswith("course_lib."):
            raise AnswerKeyError(f"{qualname}: answer-key names start with course_lib.")
        module, path = _split(qualname, package_copy)
        by_file.setdefault(_module_file(package_copy, module), []).append(
            (path, qualname, student))
    for file, entries in by_file.items():
        tree = ast.parse(file.read_text())
        for path, qualname, student in entries:
            if not _replace(tree.body, path, qualname, lab, student):
                raise AnswerKeyError(f"{qualname}: no definition of {'.'.join(path)} in "
                                     f"{file.name}")
        file.write_text(ast.unparse(ast.fix_missing_locations(tree)) + "\n")


def redacted_course_lib(source_nb: nbformat.NotebookNode, lab: str, into: Path) -> Path:
    """A copy of the installed course_lib without ``lab``'s answer key, compiled.

    Args:
        source_nb: the lab's source notebook (its metadata holds the answer key).
        lab: the lab id (for the stand-ins' messages).
        into: a folder of the grader's; the copy is ``into/course_lib``.
    Returns:
        the copy's path.
    """
    target = into / "course_lib"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(installed_course_lib(), target,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    redact(target, answer_key(source_nb), lab)
    compileall.compile_dir(str(target), quiet=2, force=True)
    return target
