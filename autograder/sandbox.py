"""How a submission's kernel runs while it is graded: limits, restarts, integrity checks.

* :class:`LimitedKernelManager` starts the kernel through this module's launcher
  (``python -m autograder.sandbox --memory BYTES --home DIR -- KERNEL_CMD``), which sets
  resource limits on the kernel process before it executes: address space (``RLIMIT_AS``,
  default 4 GB: numpy raises ``MemoryError``), no core files, a cap on the size of a file it
  writes, and ``HOME``/``IPYTHONDIR``/``MPLCONFIGDIR`` in the submission's private folder (a
  submission cannot plant IPython startup files for the next one).
* :class:`GuardedExecute` is nbgrader's ``Execute`` preprocessor with:

  - an output cap per cell (``max_output_bytes``; the rest is dropped with a note);
  - dead-kernel recovery: when the kernel dies (``os._exit``, a segfault, killed for memory)
    the cell gets an error output that says so, a fresh kernel is started, the answer and
    setup cells before it are run again quietly, and grading goes on with the next cell (at
    most ``max_restarts`` times, after which the remaining cells are marked not run);
  - the integrity guard of :mod:`autograder.kernel_guard` around every graded cell: a test
    cell during or before which numpy, builtins, ``course_lib`` or the names it imports were
    tampered with gets an error output (``TamperingDetected``), so it earns 0 points.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import sys
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellControlSignal, CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Integer, Unicode

#: Default per-kernel limits.
DEFAULT_MEMORY = 4 * 1024**3
DEFAULT_MAX_OUTPUT = 100_000
DEFAULT_FILE_SIZE = 1024**3
#: Rich outputs (plots, HTML) of a cell may take this many times the text output cap.
RICH_FACTOR = 20
GUARD_SOURCE = Path(__file__).with_name("kernel_guard.py")
TAMPER_ENAME = "TamperingDetected"
DEAD_ENAME = "DeadKernelError"
NOT_RUN_ENAME = "NotRun"
STUCK_ENAME = "KernelUnresponsive"


class LimitedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start under resource limits (see the module doc)."""

    memory_limit = Integer(DEFAULT_MEMORY, help="address-space limit of the kernel in bytes "
                           "(0: none)").tag(config=True)
    file_size_limit = Integer(DEFAULT_FILE_SIZE, help="largest file the kernel may write, "
                              "bytes (0: none)").tag(config=True)
    kernel_home = Unicode("", help="HOME of the kernel (private per submission)").tag(config=True)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        launcher = [sys.executable, "-m", "autograder.sandbox",
                    "--memory", str(self.memory_limit), "--fsize", str(self.file_size_limit)]
        if self.kernel_home:
            launcher += ["--home", self.kernel_home]
        return [*launcher, "--", *cmd]


def _launch(argv: list[str]) -> None:
    """The launcher: set limits and environment, then become the kernel (``os.execvp``)."""
    import resource

    split = argv.index("--")
    opts, cmd = argv[:split], argv[split + 1:]
    values = dict(zip(opts[::2], opts[1::2], strict=False))
    memory = int(values.get("--memory", 0))
    fsize = int(values.get("--fsize", 0))
    home = values.get("--home")
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if fsize > 0:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if home:
        import glob
        import shutil

        # matplotlib's font cache: copied, so that a fresh HOME does not rebuild it (seconds)
        cache = os.environ.get("MPLCONFIGDIR") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")
        mpl = os.path.join(home, ".matplotlib")
        os.makedirs(mpl, exist_ok=True)
        for path in glob.glob(os.path.join(cache, "fontlist*.json")):
            shutil.copy(path, mpl)
        os.environ.update(HOME=home, IPYTHONDIR=os.path.join(home, ".ipython"),
                          MPLCONFIGDIR=mpl)
    os.execvp(cmd[0], cmd)


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):
    """nbgrader's ``Execute`` with an output cap, kernel restarts and the integrity guard."""

    max_output_bytes = Integer(DEFAULT_MAX_OUTPUT, help="text a cell may output before the "
                               "rest is dropped (0: no cap)").tag(config=True)
    max_restarts = Integer(3, help="kernel restarts per notebook").tag(config=True)
    guard = Bool(True, help="run the integrity guard around graded cells").tag(config=True)
    expected_fingerprints = Dict({}, help="module -> attribute -> fingerprint of modules first "
                                 "imported after start-up (course_lib's)").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", LimitedKernelManager)
        super().__init__(*args, **kwargs)

    # --- output cap -------------------------------------------------------------------------

    def output(self, outs, msg, display_id, cell_index):  # noqa: D102 (nbclient's hook)
        if self.max_output_bytes:
            # printed text has the cap; rich outputs (plots) get RICH_FACTOR times as much
            rich = msg["msg_type"] in ("display_data", "execute_result")
            key = (cell_index, rich)
            cap = self.max_output_bytes * (RICH_FACTOR if rich else 1)
            used = self._output_used.get(key, 0)
            size = len(json.dumps(msg.get("content", {}), default=str))
            if used + size > cap:
                self._output_dropped[cell_index] = self._output_dropped.get(cell_index, 0) + size
                return None
            self._output_used[key] = used + size
        return super().output(outs, msg, display_id, cell_index)

    def _note_dropped(self, cell: NotebookNode, index: int) -> None:
        dropped = self._output_dropped.pop(index, 0)
        if dropped:
            cell.outputs.append(NotebookNode(
                output_type="stream", name="stdout",
                text=f"\n[autograder: output over the limit ({self.max_output_bytes} bytes of "
                     f"text); {dropped} more bytes dropped]\n"))

    # --- guard ------------------------------------------------------------------------------

    async def _silent(self, code: str, expression: str | None = None) -> object:
        """Run ``code`` without output or history; the value of ``expression`` (a repr)."""
        assert self.kc is not None
        expressions = {"value": expression} if expression else {}
        msg_id = await ensure_async(self.kc.execute(
            code, silent=True, store_history=False, user_expressions=expressions))
        reply = await self.async_wait_for_reply(msg_id)
        if reply is None:
            raise RuntimeError("no reply from the kernel")
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
        if not expression:
            return None
        value = content.get("user_expressions", {}).get("value", {})
        if value.get("status") != "ok":
            raise RuntimeError(f"{value.get('ename')}: {value.get('evalue')}")
        import ast

        return ast.literal_eval(value["data"]["text/plain"])

    async def _install_guard(self) -> None:
        self._secret = secrets.token_hex(16)
        self._guard_name = "_autograder_guard_" + secrets.token_hex(4)
        source = GUARD_SOURCE.read_text()
        code = (
            "def _autograder_boot(source, secret, expected, name):\n"
            "    import sys\n"
            "    ns = {'__name__': 'autograder_kernel_guard'}\n"
            "    exec(compile(source, '<autograder guard>', 'exec'), ns)\n"
            "    sys.modules[name] = ns['install'](secret.encode(), expected, get_ipython())\n"
            f"_autograder_boot({source!r}, {self._secret!r}, {self.expected_fingerprints!r}, "
            f"{self._guard_name!r})\n"
            "del _autograder_boot\n"
        )
        await self._silent(code)

    def _signed(self, nonce: str, text: str, signature: str) -> bool:
        import hashlib
        import hmac

        want = hmac.new(self._secret.encode(), (nonce + "\n" + text).encode(),
                        hashlib.sha256).hexdigest()
        return hmac.compare_digest(want, signature)

    async def _guard_call(self, what: str, *args: str) -> tuple[list[str], list[str]]:
        nonce = secrets.token_hex(8)
        call = ", ".join(repr(a) for a in (nonce, *args))
        expression = f"__import__('sys').modules[{self._guard_name!r}].{what}({call})"
        try:
            answer = await self._silent("", expression)
        except (DeadKernelError, CellTimeoutError):
            raise
        except Exception as err:
            return [f"the integrity check could not run ({err})"], []
        if not isinstance(answer, list) or len(answer) < 2:
            return ["the integrity check was replaced"], []
        text, signature = answer[0], answer[-1]
        notes = answer[1].splitlines() if len(answer) == 3 else []
        if not self._signed(nonce, text, signature):
            return ["the integrity check was replaced"], notes
        return [line for line in text.splitlines() if line], notes

    # --- execution --------------------------------------------------------------------------

    def preprocess(self, nb, resources=None, km=None):
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        run_sync(self._async_run_all)()
        self.set_widgets_metadata()
        return self.nb, self.resources

    async def _async_run_all(self) -> None:
        self._output_used: dict[tuple[int, bool], int] = {}
        self._output_dropped: dict[int, int] = {}
        cells = self.nb.cells
        dead: set[int] = set()
        start, restarts = 0, 0
        while start < len(cells):
            index = start
            try:
                async with self.async_setup_kernel():
                    assert self.kc is not None
                    info = await self.async_wait_for_reply(await ensure_async(
                        self.kc.kernel_info()))
                    if info and "language_info" in info["content"]:
                        self.nb.metadata["language_info"] = info["content"]["language_info"]
                    if self.guard:
                        await self._install_guard()
                    if start:
                        await self._replay(start, dead)
                    for index in range(start, len(cells)):
                        await self._run_cell(cells[index], index)
                    start = len(cells)
            except (DeadKernelError, CellTimeoutError) as err:
                # CellTimeoutError escapes only when the kernel stops sending output after
                # a reply (a cell broke IPython itself); a slow cell is interrupted instead.
                dead.add(index)
                restarts += 1
                cell = cells[index]
                self.log.warning("kernel lost in cell %s: %s", index, err)
                cell.setdefault("outputs", [])
                if isinstance(err, DeadKernelError):
                    cell.outputs.append(_error(
                        DEAD_ENAME, "the kernel died while this cell ran (it exited, crashed "
                                    "or ran out of memory); the grader restarted it"))
                else:
                    cell.outputs.append(_error(
                        STUCK_ENAME, "the kernel stopped answering after this cell; the "
                                     "grader restarted it"))
                start = index + 1
                if restarts > self.max_restarts:
                    for later in cells[start:]:
                        if later.cell_type == "code":
                            later.outputs = [_error(NOT_RUN_ENAME, f"not run: the kernel died "
                                                    f"{restarts} times")]
                    break
            finally:
                self.km = None
                self.kc = None

    async def _replay(self, stop: int, dead: set[int]) -> None:
        """Run the non-test code cells before ``stop`` again (after a restart), quietly."""
        for index, cell in enumerate(self.nb.cells[:stop]):
            if cell.cell_type != "code" or index in dead or utils.is_grade(cell):
                continue
            original = self.nb.cells[index]
            try:
                await self.async_execute_cell(copy.deepcopy(cell), index, store_history=False)
            except (DeadKernelError, CellTimeoutError, CellControlSignal):
                raise
            except Exception:
                pass
            finally:
                self.nb.cells[index] = original

    async def _run_cell(self, cell: NotebookNode, index: int) -> None:
        graded = self.guard and cell.cell_type == "code" and utils.is_grade(cell) and \
            cell.source.strip()
        problems: list[str] = []
        notes: list[str] = []
        if graded:
            problems, notes = await self._guard_call("before", cell.source)
        await self.async_execute_cell(cell, index, store_history=True)
        cell = self.nb.cells[index]
        self._note_dropped(cell, index)
        if graded:
            after, _ = await self._guard_call("after")
            problems += after
            for note in notes:
                cell.outputs.append(NotebookNode(output_type="stream", name="stdout",
                                                 text=f"[autograder: {note}]\n"))
            if problems:
                unique = list(dict.fromkeys(problems))
                cell.outputs.append(_error(TAMPER_ENAME, "; ".join(unique)))


if __name__ == "__main__":
    _launch(sys.argv[1:])
