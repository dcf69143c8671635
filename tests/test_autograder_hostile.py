"""Grading a hostile class: broken, hostile and tampering submissions of lab 00_warmup.

One ``python -m autograder grade`` run (two workers, sandbox on) grades every kind of
submission below in a private copy of the course; each test checks one student's row in
grades.csv (exact score and status). The perfect students graded in the same run prove that
nothing one submission does reaches another, and the checks after the run that nothing
outlives it: no process, no changed file in the checkout, the submissions byte for byte.

The attacks aim at three of lab 00_warmup's exercises: pairwise_sq_distances,
stable_softmax and autograd_gradient (their points and the lab's total are read from the
source notebook). Most attacks are a wrong answer plus code that would make it right if the
attack worked: a score above "full minus that exercise" would mean the attack worked.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.bubblewrap import sandbox_problem, tmpfs_size_supported
from autograder.course import automatic_points
from autograder.demo import solved_notebook
from autograder.intake import load_submission, restore_order
from autograder.sandbox import DEFAULT_SCRATCH

REPO = Path(__file__).resolve().parents[1]
LAB = "00_warmup"
NB = f"{LAB}.ipynb"
TIMEOUT = 20


POINTS = automatic_points(nbformat.read(REPO / "solutions" / LAB / NB, as_version=4))
FULL = sum(POINTS.values())
#: The output-flood submission: cells of its own, each showing an image of this many bytes.
FLOOD_CELLS, FLOOD_BYTES = 30, 1_900_000
#: Megabytes the disk-flood attack tries to write in each place (4 times the scratch limit).
FLOOD_MB = 4 * DEFAULT_SCRATCH >> 20
PAIRWISE, SOFTMAX, AUTOGRAD = (POINTS[f"test_{name}"] for name in
                               ("pairwise_sq_distances", "stable_softmax", "autograd_gradient"))
MARKER = "hostile-marker-7f3a"  # in the command line of every process an attack starts
SECRET = "grader-secret-91c2"  # in the grader's environment; must not reach a kernel

pytestmark = pytest.mark.skipif(sandbox_problem() is not None,
                                reason=f"no grading sandbox here: {sandbox_problem()}")

WRONG_PAIRWISE = '''def pairwise_sq_distances(X, Y):
    return np.zeros((len(X), len(Y)))'''
WRONG_SOFTMAX = '''def log_sum_exp(z):
    return np.zeros(z.shape[:-1])


def softmax(z):
    return np.zeros(z.shape)'''
WRONG_AUTOGRAD = '''def autograd_gradient(f, x):
    return np.zeros_like(x)'''
RIGHT_PAIRWISE = '''def pairwise_sq_distances(X, Y):
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=-1)'''


def _solved(course_root: Path) -> nbformat.NotebookNode:
    return solved_notebook(nbformat.read(course_root / "labs" / LAB / NB, as_version=4),
                           nbformat.read(course_root / "solutions" / LAB / NB, as_version=4))


def _answer(nb, cell_id: str, source: str, keep: bool = False):
    """``nb`` with the answer cell ``cell_id`` replaced (``keep``: appended to the solution)."""
    nb = nbformat.from_dict(copy.deepcopy(nb))
    cell = next(c for c in nb.cells if c.id == cell_id)
    cell.source = cell.source + "\n\n" + source if keep else source
    return nb


def _wrap(name: str, action: str) -> str:
    """Code that re-wraps the solved function ``name`` to do ``action`` when a test calls it
    (through the grader's agent in the kernel), and otherwise answer correctly."""
    return (f"_right_{name} = {name}\n\n\ndef {name}(*args):\n"
            "    if any(f.function == 'serve_until' for f in __import__('inspect').stack()):\n"
            f"        {action}\n    return _right_{name}(*args)")


def _if_works(attack: str, then: str = RIGHT_PAIRWISE) -> str:
    """``attack`` (indented into a try); if it does not raise, the right answer is defined."""
    body = "\n".join("    " + line for line in attack.strip().splitlines())
    right = "\n".join("    " + line for line in then.strip().splitlines())
    return (f"\n\ntry:\n{body}\n{right}\n    print('attack worked')\n"
            "except Exception as err:\n    print('attack failed:', type(err).__name__, err)")


def _write(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def build_submissions(root: Path, subs: Path, out: Path, port: int) -> dict[str, tuple]:
    """Write every submission; return ``{student: (expected score, expected status)}``."""
    solved = _solved(root)
    released = nbformat.read(root / "labs" / LAB / NB, as_version=4)
    home = lambda student: subs / student / LAB  # noqa: E731
    expect: dict[str, tuple[float, str]] = {}
    minus_pairwise = (FULL - PAIRWISE, "ok")

    _write(solved, home("perfect") / NB)
    expect["perfect"] = (FULL, "ok")
    _write(released, home("untouched") / NB)
    expect["untouched"] = (0, "ok")

    # --- broken files -------------------------------------------------------------------
    home("bad-json").mkdir(parents=True)
    (home("bad-json") / NB).write_text('{"cells": [ not json')
    expect["bad-json"] = (0, "invalid notebook (not readable JSON: Expecting value: line 1 "
                             "column 13 (char 12))")
    home("empty").mkdir(parents=True)
    (home("empty") / NB).write_text("")
    expect["empty"] = (0, f"empty file {NB} (0 bytes of notebook)")
    home("not-a-notebook").mkdir(parents=True)
    (home("not-a-notebook") / NB).write_text('{"hello": "world"}')
    expect["not-a-notebook"] = (0, f"invalid notebook ({NB} is JSON but not a notebook)")
    v3 = nbformat.convert(copy.deepcopy(solved), 3)
    home("nbformat3").mkdir(parents=True)
    (home("nbformat3") / NB).write_text(nbformat.writes(v3, version=3))
    expect["nbformat3"] = (FULL, "converted from nbformat 3 to 4")

    # --- files in the wrong place ---------------------------------------------------------
    _write(solved, home("wrong-name") / "my lab (1).ipynb")
    expect["wrong-name"] = (FULL, f"graded my lab (1).ipynb (expected {NB})")
    _write(solved, home("two-notebooks") / "a.ipynb")
    _write(released, home("two-notebooks") / "b.ipynb")
    expect["two-notebooks"] = (0, f"several notebooks (a.ipynb, b.ipynb) and none named {NB}: "
                                  "not graded")
    home("missing").mkdir(parents=True)
    expect["missing"] = (0, f"missing notebook {home('missing').absolute() / NB}")

    # --- cells deleted, moved, edited, pasted twice ----------------------------------------
    nb = nbformat.from_dict(copy.deepcopy(solved))
    nb.cells = [c for c in nb.cells if c.id not in ("test_stable_softmax", "autograd_gradient")]
    _write(nb, home("deleted-cells") / NB)
    expect["deleted-cells"] = (FULL - AUTOGRAD, "deleted answer cell autograd_gradient; "
                                                "deleted cell test_stable_softmax put back")
    nb = nbformat.from_dict(copy.deepcopy(solved))
    ids = [c.id for c in nb.cells]
    i, j = ids.index("pairwise_sq_distances"), ids.index("test_pairwise_sq_distances")
    nb.cells[i], nb.cells[j] = nb.cells[j], nb.cells[i]
    _write(nb, home("reordered") / NB)
    expect["reordered"] = (FULL, "moved cells put back in the lab's order")
    nb = _answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE)
    next(c for c in nb.cells if c.id == "test_pairwise_sq_distances").source = "pass"
    _write(nb, home("edited-tests") / NB)
    expect["edited-tests"] = (FULL - PAIRWISE, "edited read-only cell "
                                               "test_pairwise_sq_distances: graded with the "
                                               "original")
    # another kernel asked for, and every test cell's points raised to 100
    nb = _answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE)
    nb.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "x",
                                 "language": "bash"}
    for cell in nb.cells:
        if cell.id in POINTS:
            cell.metadata.nbgrader["points"] = 100
    _write(nb, home("forged-metadata") / NB)
    expect["forged-metadata"] = (FULL - PAIRWISE, f"edited read-only cell {', '.join(POINTS)}: "
                                                  "graded with the original")
    nb = nbformat.from_dict(copy.deepcopy(solved))
    ids = [c.id for c in nb.cells]
    copied = copy.deepcopy(nb.cells[ids.index("pairwise_sq_distances")])
    copied.id = "pasted-copy"
    nb.cells.insert(ids.index("pairwise_sq_distances") + 1, copied)
    _write(nb, home("pasted-twice") / NB)
    expect["pasted-twice"] = (FULL, "cell pairwise_sq_distances pasted twice: graded once "
                                    "(the copy runs as your own code)")

    # --- limits and dying kernels ---------------------------------------------------------
    _write(_answer(solved, "pairwise_sq_distances",
                   _wrap("pairwise_sq_distances", "while True:\n            pass"), keep=True),
           home("endless-loop") / NB)
    expect["endless-loop"] = (FULL - PAIRWISE, f"timeout in cell test_pairwise_sq_distances "
                                               f"(over {TIMEOUT} s)")
    _write(_answer(solved, "stable_softmax", "_hog = np.ones(int(6e8))  # 4.8 GB", keep=True),
           home("memory-hog") / NB)
    expect["memory-hog"] = (FULL, "memory limit hit in cell stable_softmax")
    _write(_answer(solved, "pairwise_sq_distances",
                   _wrap("pairwise_sq_distances", "__import__('os')._exit(3)"), keep=True),
           home("os-exit") / NB)
    expect["os-exit"] = (FULL - PAIRWISE, "kernel died in cell test_pairwise_sq_distances "
                                          "(restarted)")
    _write(_answer(solved, "autograd_gradient",
                   _wrap("autograd_gradient", "__import__('ctypes').string_at(0)"), keep=True),
           home("segfault") / NB)
    expect["segfault"] = (FULL - AUTOGRAD, "kernel died in cell test_autograd_gradient "
                                           "(restarted)")
    _write(_answer(solved, "stable_softmax", "print('spam ' * 1_000_000)", keep=True),
           home("huge-print") / NB)
    expect["huge-print"] = (FULL, "output cut in cell stable_softmax (over the size limit)")
    # 30 cells of its own, each showing a 1.9 MB image (under the per-cell cap for plots):
    # 57 MB in all; the notebook's cap (20 MB) keeps the first 10 (#37-#46, after the lab's 35
    # cells and their own plots) and cuts the other 20
    nb = nbformat.from_dict(copy.deepcopy(solved))
    nb.cells.append(nbformat.v4.new_code_cell(f'_flood = "A" * {FLOOD_BYTES}'))
    nb.cells.extend(nbformat.v4.new_code_cell('display({"image/png": _flood}, raw=True)')
                    for _ in range(FLOOD_CELLS))
    _write(nb, home("output-flood") / NB)
    expect["output-flood"] = (FULL, "output cut in cell #47, #48, #49, #50, #51 and 15 more "
                                    "(over the size limit)")
    # the same 57 MB without passing the per-cell cap: 30 small outputs of one display id,
    # then one update that rewrites all of them with a 1.9 MB image (nbclient applies display
    # updates without its output hook)
    nb = nbformat.from_dict(copy.deepcopy(solved))
    nb.cells.append(nbformat.v4.new_code_cell(f"""from IPython.display import update_display
for _ in range({FLOOD_CELLS}):
    display({{"text/plain": "small"}}, raw=True, display_id="flood")
update_display({{"image/png": "A" * {FLOOD_BYTES}}}, raw=True, display_id="flood")"""))
    _write(nb, home("display-update") / NB)
    expect["display-update"] = (FULL, "output cut in cell #36 (over the size limit)")
    _write(_answer(solved, "pairwise_sq_distances", f'''
import subprocess
children = []
try:
    for _ in range(150):
        children.append(subprocess.Popen(["sh", "-c", "sleep 60 # {MARKER}"]))
except OSError as err:
    print("stopped:", type(err).__name__)
print("started", len(children), "processes")
for child in children:
    child.kill()
    child.wait()''', keep=True), home("fork-bomb") / NB)
    expect["fork-bomb"] = (FULL, "ok")
    # files that would take the memory (/tmp and /dev/shm live in memory) or the disk every
    # other kernel and the grader need: each place holds at most the scratch limit
    _write(_answer(solved, "pairwise_sq_distances", f'''
import errno, os
for top in ("/tmp", "/dev/shm", "."):
    written = 0
    try:
        for i in range({FLOOD_MB}):
            with open(os.path.join(top, f"flood{{i}}"), "wb") as fh:
                fh.write(b"x" * (1 << 20))
            written += 1
        print(top, "took all", written, "MB")
    except OSError as err:
        print(top, "stopped at", written, "MB:", errno.errorcode[err.errno])''', keep=True),
        home("disk-flood") / NB)
    expect["disk-flood"] = (FULL, "ok")
    _write(_answer(solved, "pairwise_sq_distances", f'''
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time, pathlib; time.sleep(6); "
                  "pathlib.Path({str(out / 'grades.csv')!r}).write_text('rewritten'); "
                  "time.sleep(60)", "{MARKER}"], start_new_session=True)''', keep=True),
           home("orphan-process") / NB)
    expect["orphan-process"] = (FULL, "ok")
    _write(_answer(solved, "pairwise_sq_distances", '''
import os, signal
for pid in (os.getppid(), 1, -1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as err:
        print(pid, type(err).__name__)''', keep=True), home("kill-grader") / NB)
    expect["kill-grader"] = (FULL, "ok")

    # --- the sandbox: what a kernel must not see or touch -----------------------------------
    solution_nb = root / "solutions" / LAB / NB
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + _if_works(
        f"open({str(solution_nb)!r}).read()")), home("read-solutions") / NB)
    expect["read-solutions"] = minus_pairwise
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + _if_works(f'''
import glob, sqlite3
found = glob.glob("/tmp/**/*.db", recursive=True) + glob.glob("../../**/*.db", recursive=True)
found += [{str(out / 'gradebook.db')!r}]
sqlite3.connect("file:" + [p for p in found if __import__("os").path.exists(p)][0] + "?mode=ro",
                uri=True).execute("select * from grade_cells").fetchall()''')),
        home("read-gradebook") / NB)
    expect["read-gradebook"] = minus_pairwise
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + _if_works(f'''
import os
for pid in os.listdir("/proc"):
    if pid.isdigit():
        print(open(f"/proc/{{pid}}/cmdline").read().replace(chr(0), " ")[:200])
open({str(subs / 'perfect' / LAB / NB)!r}).read()''')), home("read-classmate") / NB)
    expect["read-classmate"] = minus_pairwise
    grading_py = REPO / "course_lib" / "grading.py"
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + _if_works(f'''
import course_lib.grading
for path in (course_lib.grading.__file__, {str(grading_py)!r}):
    try:
        with open(path, "a") as fh:
            fh.write("\\ncheck_close = lambda *args, **kwargs: None\\n")
    except OSError as err:
        print(path, type(err).__name__)
import course_lib, os
assert os.access(os.path.dirname(course_lib.__file__), os.W_OK)''')),
        home("write-package") / NB)
    expect["write-package"] = minus_pairwise
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + _if_works(f'''
import shutil
open({str(out / 'gradebook.db')!r}, "w").write("gone")
shutil.rmtree({str(out / 'feedback')!r})
open({str(subs / 'zz-later' / LAB / NB)!r}, "w").write("{{}}")''')), home("write-outputs") / NB)
    expect["write-outputs"] = minus_pairwise
    # the next submission's kernel is started while this one runs: it must be out of reach
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + _if_works('''
import glob, os
mine = os.path.realpath(".")  # a warm kernel's own folder is under /tmp/autograder-warm-*
found = [f for f in glob.glob("/tmp/autograder-warm-*/*") if os.path.realpath(f) != mine]
for top in ("/tmp", "/dev/shm", "/var/tmp", "/run"):
    for folder, _, files in os.walk(top):
        if "kernel.json" in files and not os.path.realpath(folder).startswith(mine):
            found.append(folder)
if not found:
    raise FileNotFoundError("no other kernel in reach")
for folder in found:
    open(os.path.join(folder, "sitecustomize.py"), "w").write("raise SystemExit")''')),
        home("warm-kernel") / NB)
    expect["warm-kernel"] = minus_pairwise
    _write(solved, home("zz-later") / NB)
    expect["zz-later"] = (FULL, "ok")
    shadow = home("shadow-import")
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE), shadow / NB)
    (shadow / "course_lib").mkdir()
    (shadow / "course_lib" / "__init__.py").write_text("")
    (shadow / "course_lib" / "grading.py").write_text(
        "def check_close(*args, **kwargs):\n    pass\n\n\ncheck_true = check_close\n")
    expect["shadow-import"] = minus_pairwise
    _write(_answer(solved, "pairwise_sq_distances", _if_works(f'''
s = __import__("socket").create_connection(("127.0.0.1", {port}), timeout=3)
s.sendall(b"{MARKER}")''', then="pass"), keep=True), home("network") / NB)
    expect["network"] = (FULL, "ok")
    _write(_answer(solved, "pairwise_sq_distances",
                   f"import os\nprint(sorted(os.environ))\nprint({SECRET!r} in str(os.environ))",
                   keep=True), home("environment") / NB)
    expect["environment"] = (FULL, "ok")
    home("symlink").mkdir(parents=True)
    (home("symlink") / NB).symlink_to(solution_nb)
    expect["symlink"] = (0, f"{NB} is a symbolic link, not a notebook: not graded")
    big = home("too-big")
    _write(solved, big / NB)
    (big / "data.bin").write_bytes(os.urandom(29 * 1024**2))
    expect["too-big"] = (0, "submission larger than 20 MB (notebook outputs or data files?): "
                            "not graded")

    # --- the answer key: the library's reference is not in the kernel ------------------------
    _write(_answer(solved, "stable_softmax", WRONG_SOFTMAX + '''


def softmax(z):
    from course_lib.engine import functional as F
    return F.softmax(z)'''), home("reference-import") / NB)
    expect["reference-import"] = (FULL - SOFTMAX, "ok")
    _write(_answer(solved, "stable_softmax", WRONG_SOFTMAX + '''


import importlib
softmax = getattr(importlib.import_module("course_lib.engine." + "functional"), "soft" + "max")'''),
        home("reference-getattr") / NB)
    expect["reference-getattr"] = (FULL - SOFTMAX, "ok")
    _write(_answer(solved, "stable_softmax", WRONG_SOFTMAX + '''


import inspect, types
from course_lib.engine import functional as F
try:
    exec(inspect.getsource(F.softmax).replace("def softmax", "def softmax"), globals())
except Exception as err:
    print(type(err).__name__)
try:
    softmax = types.FunctionType(F.softmax.__code__, globals(), "softmax")
except Exception as err:
    print(type(err).__name__)'''), home("reference-code") / NB)
    expect["reference-code"] = (FULL - SOFTMAX, "ok")
    # the student who rewrites the lab's own metadata in the notebook: an empty answer key
    # (hoping for the real library in the kernel) and modules for kernels to import ahead;
    # both come from the instructor's notebook only
    nb = _answer(solved, "stable_softmax", WRONG_SOFTMAX + '''


def softmax(z):
    from course_lib.engine import functional as F
    return F.softmax(z)''')
    nb.metadata["course_lib"] = {"answer_key": {}, "kernel_imports": ["antigravity", "this"]}
    _write(nb, home("forged-course-metadata") / NB)
    expect["forged-course-metadata"] = (FULL - SOFTMAX, "ok")

    # --- tests run in the grader: hooks and patches in the kernel change nothing -----------
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + '''


ip = get_ipython()
ip.set_custom_exc((Exception,), lambda shell, etype, evalue, tb, tb_offset=None: None)
ip.events.register("post_run_cell", lambda result: setattr(result, "error_in_exec", None))'''),
        home("custom-exc") / NB)
    expect["custom-exc"] = minus_pairwise
    _write(_answer(solved, "stable_softmax", WRONG_SOFTMAX + '''


import course_lib.grading as g
_saved = dict(vars(g))
def _swap(*args):
    for name in ("check_close", "check_true", "check_shape", "check_equal"):
        setattr(g, name, lambda *a, **k: None)
def _restore(*args):
    vars(g).update(_saved)
get_ipython().events.register("pre_run_cell", _swap)
get_ipython().events.register("post_run_cell", _restore)'''), home("swap-checks") / NB)
    expect["swap-checks"] = (FULL - SOFTMAX, "ok")
    _write(_answer(solved, "autograd_gradient", WRONG_AUTOGRAD + _if_works('''
import glob, sqlite3
db = (glob.glob("/tmp/**/*.db", recursive=True) + glob.glob("../../../*.db"))[0]
sqlite3.connect(db).execute("create trigger t after update on grade begin "
                            "update grade set auto_score = 4; end")''', then="pass")),
        home("gradebook-trigger") / NB)
    expect["gradebook-trigger"] = (FULL - AUTOGRAD, "ok")
    _write(_answer(solved, "pairwise_sq_distances", '''
class AlwaysEqual:
    shape = property(lambda self: (2, 2))
    __eq__ = lambda self, other: True
    __bool__ = lambda self: True
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __float__ = lambda self: 0.0


def pairwise_sq_distances(X, Y):
    return AlwaysEqual()'''), home("always-equal") / NB)
    expect["always-equal"] = minus_pairwise
    # in-place writes come back to the grader's arrays: zeroing the inputs must not make a
    # zero answer match an expected value computed from them afterwards
    _write(_answer(solved, "pairwise_sq_distances", '''
def pairwise_sq_distances(X, Y):
    X[...] = 0.0
    Y[...] = 0.0
    return np.zeros((len(X), len(Y)))'''), home("zero-inputs") / NB)
    expect["zero-inputs"] = minus_pairwise
    _write(_answer(solved, "pairwise_sq_distances",
                   "import sys\nsys.modules.pop('_autograder_agent', None)", keep=True),
           home("remove-agent") / NB)
    expect["remove-agent"] = (0, f"the kernel refused the grader in {', '.join(POINTS)} (no "
                                 "points for those cells)")
    _write(_answer(solved, "pairwise_sq_distances", '''
import sys, types, socket, json, struct
def _serve(path):
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    head = json.dumps({"op": "reply", "value": True}).encode()
    while True:
        if not s.recv(1 << 20):
            return
        s.sendall(struct.pack(">Q", len(head)) + head + struct.pack(">Q", 0))
sys.modules["_autograder_agent"] = types.SimpleNamespace(serve=_serve)''', keep=True),
        home("fake-agent") / NB)
    expect["fake-agent"] = (0, f"the kernel broke the grading protocol in {', '.join(POINTS)} "
                               "(no points for those cells)")
    _write(_answer(solved, "pairwise_sq_distances", WRONG_PAIRWISE + (
        "\n\n\nimport numpy\nnumpy.abs = lambda x: 0.0 * x\nnumpy.allclose = lambda *a, **k: "
        "True\nimport builtins\nbuiltins.abs = lambda x: 0.0\nimport sys, types\n"
        "_fake = types.ModuleType('course_lib.grading')\n"
        "_fake.check_close = lambda *args, **kwargs: None\n"
        "sys.modules['course_lib.grading'] = _fake")), home("patch-libraries") / NB)
    expect["patch-libraries"] = minus_pairwise

    # --- student folder names nbgrader, a shell or a spreadsheet would choke on ---------------
    for name in NAMES:
        _write(solved, subs / name / LAB / NB)
        expect[name] = (FULL, "ok")
    # the XSS student: scripts in Markdown and in outputs
    nb = nbformat.from_dict(copy.deepcopy(solved))
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(
        "<script>alert('md')</script><img src=x onerror=alert('md')>"
        "<iframe src='https://example.org'></iframe>[link](javascript:alert('md'))"))
    nb = _answer(nb, "pairwise_sq_distances", '''
from IPython.display import HTML, SVG, display
display(HTML("<script>alert('out')</script><img src=x onerror=alert('out')><iframe></iframe>"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>alert("svg")</script></svg>'))''',
                 keep=True)
    _write(nb, home("script-injection") / NB)
    expect["script-injection"] = (FULL, "ok")
    # the student who edits cell metadata the feedback export reads: a list where the
    # highlighter wants a lexer's name, a dict for tags; the feedback page must still come
    nb = nbformat.from_dict(copy.deepcopy(solved))
    code_cells = sum(cell.cell_type == "code" for cell in nb.cells)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.update({"magics_language": ["bash"], "tags": {"a": 1},
                                  "jupyter": "hidden", "collapsed": [1]})
    _write(nb, home("bad-metadata") / NB)
    expect["bad-metadata"] = (FULL, "metadata the notebook format does not allow dropped "
                                    f"(collapsed, jupyter, tags; {3 * code_cells} entries)")
    return expect


#: Student folder names that broke the grader before (brackets, newline, a leading dot or
#: underscore, '+', a formula, an ANSI escape, spaces, Unicode).
NAMES = ["[ab]c", "new\nline", "_alice", ".bob", "a+b", '=HYPERLINK("x","y")',
         "\x1b[31mred", "with space", "Ünïcødé"]


def _tree_digest(folder: Path) -> dict[str, str]:
    """Every file and link under ``folder`` with a digest of its bytes (or its target)."""
    digest = {}
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in files + [d for d in dirs if (Path(top) / d).is_symlink()]:
            path = Path(top) / name
            key = str(path.relative_to(folder))
            digest[key] = ("link:" + os.readlink(path) if path.is_symlink()
                           else hashlib.sha256(path.read_bytes()).hexdigest())
    return digest


def _marker_processes() -> list[str]:
    done = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True)
    return [line for line in done.stdout.splitlines()
            if MARKER in line and "ps -eo" not in line]


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--ignored=no"], cwd=REPO,
                          capture_output=True, text=True).stdout


def _unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2] in "=+-@\t\r" else cell


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A private copy of lab 00_warmup, every submission, one ``grade`` run, 2 workers."""
    root = tmp_path_factory.mktemp("course")
    for folder in ("solutions", "labs"):
        shutil.copytree(REPO / folder / LAB, root / folder / LAB)
    subs, out = root / "submissions", root / "out"
    connections: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(1.0)
    stop = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            connections.append(conn.recv(100))
            conn.close()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    expect = build_submissions(root, subs, out, server.getsockname()[1])
    before_subs, before_repo = _tree_digest(subs), _git_status()
    grading_py = (REPO / "course_lib" / "grading.py").read_bytes()
    env = {**os.environ, "AUTOGRADER_TEST_SECRET": SECRET}
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
         "--workers", "2", "--timeout", str(TIMEOUT), "--memory", "4G"],
        cwd=root, capture_output=True, text=True, timeout=1500, env=env,
    )
    grades_right_after = (out / "grades.csv").read_bytes() if (out / "grades.csv").exists() \
        else b""
    time.sleep(8)  # the orphan attack would rewrite grades.csv 6 s after it started
    after = {
        "processes": _marker_processes(), "subs": _tree_digest(subs), "repo": _git_status(),
        "grading_py": (REPO / "course_lib" / "grading.py").read_bytes() == grading_py,
        "grades_unchanged": (out / "grades.csv").read_bytes() == grades_right_after,
        "subs_unchanged": _tree_digest(subs) == before_subs,
        "repo_unchanged": _git_status() == before_repo,
    }
    stop.set()
    listener.join(timeout=5)
    server.close()
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out / "grades.csv", newline="") as fh:
        rows = {_unescape(row["student_id"]): row for row in csv.DictReader(fh)}
    return {"expect": expect, "rows": rows, "out": out, "done": done, "root": root,
            "after": after, "connections": connections}


KINDS = [
    "perfect", "untouched", "bad-json", "empty", "not-a-notebook", "nbformat3", "wrong-name",
    "two-notebooks", "missing", "deleted-cells", "reordered", "edited-tests", "pasted-twice",
    "forged-metadata",
    "endless-loop", "memory-hog", "os-exit", "segfault", "huge-print", "output-flood",
    "display-update", "fork-bomb", "disk-flood",
    "orphan-process", "kill-grader", "read-solutions", "read-gradebook", "read-classmate",
    "write-package", "write-outputs", "warm-kernel", "zz-later", "shadow-import", "network",
    "environment",
    "symlink", "too-big", "reference-import", "reference-getattr", "reference-code",
    "forged-course-metadata",
    "custom-exc", "swap-checks", "gradebook-trigger", "always-equal", "zero-inputs",
    "remove-agent",
    "fake-agent", "patch-libraries", "script-injection", "bad-metadata", *NAMES,
]


def test_every_student_folder_has_exactly_one_row(run):
    assert sorted(run["rows"]) == sorted(run["expect"]) == sorted(KINDS)
    with open(run["out"] / "grades.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == len(KINDS)


@pytest.mark.parametrize("student", KINDS)
def test_submission_gets_its_exact_score_and_status(run, student):
    score, status = run["expect"][student]
    row = run["rows"][student]
    assert (float(row["score"]), row["status"]) == (score, status)
    assert row["max_score"] == f"{FULL:g}"


def test_gradebook_matches_the_csv_and_the_perfect_student_has_every_point(run):
    expect, rows = run["expect"], run["rows"]
    with Gradebook(f"sqlite:///{run['out'] / 'gradebook.db'}", "") as gb:
        scores = {s: gb.find_submission(LAB, s).score for s in expect}
        perfect = {g.name: g.auto_score
                   for g in gb.find_submission_notebook(LAB, LAB, "perfect").grades}
    assert scores == {s: float(rows[s]["score"]) for s in expect}
    assert perfect == POINTS


def test_nothing_a_submission_started_outlives_the_run(run):
    assert run["after"]["processes"] == []
    assert run["after"]["grades_unchanged"]


def test_the_checkout_and_the_submissions_are_unchanged(run):
    assert run["after"]["grading_py"]
    assert run["after"]["repo_unchanged"], run["after"]["repo"]
    assert run["after"]["subs_unchanged"]


def _cell_output(run, student: str, cell_id: str) -> str:
    nb = nbformat.read(run["out"] / "autograded" / student / LAB / NB, as_version=4)
    cell = next(c for c in nb.cells if c.id == cell_id)
    return "".join(o.get("text", "") for o in cell.outputs)


def test_the_process_cap_stops_a_fork_bomb(run):
    text = _cell_output(run, "fork-bomb", "pairwise_sq_distances")
    started = int(text.split("started ")[1].split()[0])
    assert "stopped: BlockingIOError" in text
    assert 0 < started < 64


def test_a_kernels_files_take_at_most_the_scratch_limit_of_memory_and_of_disk(run):
    lines = _cell_output(run, "disk-flood", "pairwise_sq_distances").splitlines()
    # /tmp and /dev/shm are capped where bubblewrap can (0.8.0 and newer), the working folder
    # where the grader may mount it (root); elsewhere the attack takes all (the README says so)
    capped = {"/tmp": tmpfs_size_supported(), "/dev/shm": tmpfs_size_supported(),
              ".": os.geteuid() == 0}
    for top, cap in capped.items():
        line = next(line for line in lines if line.startswith(f"{top} "))
        if not cap:
            assert line == f"{top} took all {FLOOD_MB} MB"
            continue
        assert line.endswith("MB: ENOSPC"), line
        written = int(line.split("stopped at ")[1].split()[0])
        assert (DEFAULT_SCRATCH >> 20) - 8 <= written <= DEFAULT_SCRATCH >> 20, line


def test_kernels_have_no_network_and_no_grader_environment(run):
    assert run["connections"] == []
    assert "attack failed" in _cell_output(run, "network", "pairwise_sq_distances")
    text = _cell_output(run, "environment", "pairwise_sq_distances")
    assert "False" in text and "AUTOGRADER_TEST_SECRET" not in text


def test_every_attack_on_the_course_failed_inside_the_kernel(run):
    for student in ("read-solutions", "read-gradebook", "read-classmate", "write-package",
                    "write-outputs", "warm-kernel"):
        assert "attack failed" in _cell_output(run, student, "pairwise_sq_distances"), student


def test_feedback_carries_no_script_from_the_student(run):
    import re

    html = (run["out"] / "feedback" / "script-injection" / LAB / f"{LAB}.html").read_text()
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert not [s for s in scripts if "alert" in s]  # the page's own scripts only
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, flags=re.I)  # no event handler
    assert "<iframe" not in html.lower()
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*javascript:", html, flags=re.I)
    assert "<svg" not in html.lower()


def test_cell_metadata_of_the_wrong_type_still_gets_a_feedback_page(run):
    html = (run["out"] / "feedback" / "bad-metadata" / LAB / f"{LAB}.html").read_text()
    assert "pairwise_sq_distances" in html and "magics_language" not in html


def test_huge_output_is_cut_in_the_feedback(run):
    feedback = run["out"] / "feedback" / "huge-print" / LAB / f"{LAB}.html"
    assert feedback.stat().st_size < 3_000_000
    nb = nbformat.read(run["out"] / "autograded" / "huge-print" / LAB / NB, as_version=4)
    text = sum(len(o.get("text", "")) for c in nb.cells for o in c.get("outputs", []))
    assert text < 400_000


def _flood_kept(run, student: str) -> nbformat.NotebookNode:
    """``student``'s autograded notebook, checked to hold at most the notebook's 20 MB cap
    (and the notes) of the 57 MB of images it showed, in the notebook and its feedback."""
    autograded = run["out"] / "autograded" / student / LAB / NB
    feedback = run["out"] / "feedback" / student / LAB / f"{LAB}.html"
    assert autograded.stat().st_size < 21_000_000
    assert feedback.stat().st_size < 22_000_000
    return nbformat.read(autograded, as_version=4)


def test_a_flood_of_outputs_over_many_cells_is_cut_for_the_whole_notebook(run):
    nb = _flood_kept(run, "output-flood")
    shown = [c for c in nb.cells[-FLOOD_CELLS:] if any("data" in o for o in c.outputs)]
    assert len(shown) == 10
    assert "the notebook's outputs together passed 20000000 bytes" in "".join(
        o.get("text", "") for o in nb.cells[-1].outputs)


def test_a_display_update_that_rewrites_many_outputs_is_cut_for_the_whole_notebook(run):
    nb = _flood_kept(run, "display-update")
    images = [o for o in nb.cells[-1].outputs if "image/png" in o.get("data", {})]
    assert len(images) == 10
    assert "the notebook's outputs together passed 20000000 bytes" in nb.cells[-1].outputs[-1].text


def test_spreadsheet_formulas_and_control_characters_are_escaped(run):
    raw = (run["out"] / "grades.csv").read_text()
    assert "\n=HYPERLINK" not in raw and "'=HYPERLINK" in raw
    assert "\x1b" not in run["done"].stdout
    assert "\\x1b[31mred" in run["done"].stdout


def test_summary_table_and_plot(run):
    with open(run["out"] / "summary.csv", newline="") as fh:
        summary = {row["exercise"]: row for row in csv.DictReader(fh)}
    assert list(summary) == list(POINTS)
    assert {row["n"] for row in summary.values()} == {str(len(KINDS))}
    assert (run["out"] / "summary.png").stat().st_size > 10_000


# --- fast unit checks ----------------------------------------------------------------------


def test_restore_order_keeps_student_cells_with_the_cell_above():
    def cell(gid=None, text=""):
        meta = {"nbgrader": {"grade_id": gid}} if gid else {}
        return nbformat.v4.new_code_cell(text or gid, metadata=meta)

    nb = nbformat.v4.new_notebook(cells=[cell("b"), cell(text="mine after b"), cell("a"),
                                         cell("c")])
    assert restore_order(nb, ["a", "b", "c"])
    assert [c.source for c in nb.cells] == ["a", "b", "mine after b", "c"]
    assert not restore_order(nb, ["a", "b", "c"])


def test_a_deleted_answer_and_its_test_cost_that_exercise_only(tmp_path):
    source = nbformat.read(REPO / "solutions" / LAB / NB, as_version=4)
    solved = solved_notebook(nbformat.read(REPO / "labs" / LAB / NB, as_version=4), source)
    gone = ("train_perceptron", "test_train_perceptron")
    solved.cells = [c for c in solved.cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") not in gone]
    _write(solved, tmp_path / LAB / NB)
    intake = load_submission(tmp_path / LAB, LAB, source)
    assert intake.notes == ["deleted answer cell train_perceptron"]
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in intake.notebook.cells]
    order = [c.metadata.nbgrader["grade_id"] for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade_id")]
    # put back, unanswered, right after the lab cell before it (nbgrader then puts the test
    # cell back after it); the exercises around it are untouched
    previous = order[order.index("train_perceptron") - 1]
    assert ids.index("train_perceptron") == ids.index(previous) + 1
    stub = intake.notebook.cells[ids.index("train_perceptron")]
    assert stub.source.endswith("raise NotImplementedError()")
    assert "test_train_perceptron" not in ids
