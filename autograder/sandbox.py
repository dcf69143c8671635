"""How a submission's notebook runs while it is graded: a sandboxed kernel, trusted tests.

* :class:`SandboxedKernelManager` starts each kernel in its own bubblewrap sandbox (see
  :mod:`autograder.bubblewrap`) under the grading limits (time, memory, file size, processes,
  what its files may hold), in a fresh private working folder that holds only the notebook,
  with the lab's answer key taken out of ``course_lib`` (:mod:`autograder.answer_key`). The
  kernel talks to the grader over Unix sockets in that folder (it has no network).
  ``sandbox = False`` keeps the limits and drops the sandbox (``grade --no-sandbox``, where
  bubblewrap cannot run).
* :class:`TrustedExecute` is nbgrader's ``Execute`` preprocessor (the autograde step that runs
  the notebook) with:

  - trusted test cells: every graded test cell runs in the grader's process
    (:mod:`autograder.trusted`), its hidden inputs seeded from the course, lab, test and
    student; the student's names are proxies into the kernel that bring back data only;
    every other cell runs in the kernel, in notebook order;
  - an output cap per cell (``max_output_bytes``; the rest is dropped with a note), and one
    for the whole notebook (:data:`NOTEBOOK_FACTOR` times as much);
  - dead-kernel recovery: when the kernel dies (``os._exit``, a segfault, killed for memory)
    or stops answering, the cell gets an error output that says so, a fresh kernel is
    started, the answer and setup cells before it run again quietly, and grading goes on with
    the next cell (at most ``max_restarts`` times, then the remaining cells are marked not run).
"""

from __future__ import annotations

import asyncio
import atexit
import copy
import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_event_loop
from nbclient.exceptions import CellControlSignal, CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode

from autograder import bubblewrap
from autograder.course import is_autograded_test
from autograder.early_kernel import DEFAULT_KERNEL_IMPORTS, warm_imports_line

#: Default per-kernel limits.
DEFAULT_MEMORY = 4 * 1024**3
DEFAULT_MAX_OUTPUT = 100_000
DEFAULT_FILE_SIZE = 1024**3
DEFAULT_PROCESSES = 64
#: Bytes a kernel's files may hold in each of /tmp, /dev/shm and (root) its working folder.
DEFAULT_SCRATCH = 256 * 1024**2
#: Rich outputs (plots, HTML) of a cell may take this many times the text output cap.
RICH_FACTOR = 20
#: All of a notebook's outputs together may take this many times the text output cap (20 MB
#: by default; lab 05's own, figures and all, take about 2 MB): a submission of thousands of
#: cells, each under its own cap, would otherwise fill the grader's memory and disk.
NOTEBOOK_FACTOR = 200
#: Seconds the grader waits for the kernel to pick up a test cell's connection.
CONNECT_TIMEOUT = 60
#: Seconds between two looks whether the kernel's agent has connected for a test cell: the
#: floor of a test cell's time (many take less than 0.1 s).
CONNECT_POLL = 0.02
#: Seconds a kernel whose test-cell connection dropped has to be found gone (it died) before
#: the drop counts as a broken grading protocol.
LOST_GRACE = 2
#: Seconds an interrupted kernel has to come back before it is restarted.
INTERRUPT_GRACE = 10
DEAD_ENAME = "DeadKernelError"
NOT_RUN_ENAME = "NotRun"
STUCK_ENAME = "KernelUnresponsive"
TIMEOUT_ENAME = "CellTimeoutError"
REFUSED_ENAME = "GraderConnectionError"
PROTOCOL_ENAME = "KernelProtocolError"
AGENT_SOURCES = (Path(__file__).with_name("wire.py"), Path(__file__).with_name("kernel_agent.py"))


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start in a sandbox under limits (see the module doc)."""

    memory_limit = Integer(DEFAULT_MEMORY, help="address-space limit of the kernel in bytes "
                           "(0: none)").tag(config=True)
    file_size_limit = Integer(DEFAULT_FILE_SIZE, help="largest file the kernel may write, "
                              "bytes (0: none)").tag(config=True)
    process_limit = Integer(DEFAULT_PROCESSES, help="processes and threads the kernel may "
                            "run at once (0: no limit)").tag(config=True)
    scratch_limit = Integer(DEFAULT_SCRATCH, help="bytes the kernel's files may hold in each "
                            "of /tmp, /dev/shm and, when the grader runs as root, its working "
                            "folder (0: no cap; see autograder.bubblewrap)").tag(config=True)
    sandbox = Bool(True, help="run the kernel in a bubblewrap sandbox").tag(config=True)
    work_root = Unicode("", help="folder under which each kernel gets its private working "
                        "folder (default: a temporary folder)").tag(config=True)
    answer_key_course_lib = Unicode("", help="a course_lib without the lab's answer key, "
                                    "mounted over the real one in the sandbox").tag(config=True)
    threads = Unicode("", help="BLAS/OpenMP threads of the kernel").tag(config=True)

    work_dir: str = ""
    _cgroup: str = ""
    _scratch_mounted: bool = False

    def _new_work_dir(self, cwd: str | None) -> str:
        if self.work_root:
            os.makedirs(self.work_root, exist_ok=True)
        work = os.path.realpath(tempfile.mkdtemp(prefix="kernel-", dir=self.work_root or None))
        self._scratch_mounted = self.sandbox and bubblewrap.mount_scratch(work,
                                                                          self.scratch_limit)
        os.makedirs(os.path.join(work, ".k"))
        os.makedirs(os.path.join(work, ".matplotlib"), exist_ok=True)
        # only the notebook goes in: no file a student ships can shadow an import
        if cwd and os.path.isdir(cwd):
            for name in os.listdir(cwd):
                path = os.path.join(cwd, name)
                if name.endswith(".ipynb") and os.path.isfile(path) and not os.path.islink(path):
                    shutil.copyfile(path, os.path.join(work, name))
        _copy_font_cache(os.path.join(work, ".matplotlib"))
        return work

    async def _async_pre_start_kernel(self, **kw):  # noqa: D102 (jupyter_client's hook)
        self.work_dir = self._new_work_dir(kw.get("cwd"))
        self._cgroup = f"k{os.getpid()}-{secrets.token_hex(4)}"
        if self.sandbox:
            self.transport = "ipc"
            self.ip = os.path.join(self.work_dir, ".k", "s")
        self.connection_file = os.path.join(self.work_dir, ".k", "kernel.json")
        kw["cwd"] = self.work_dir
        if self.threads and not self.sandbox:  # the grader's own thread counts are not its
            kw["env"] = {**(kw.get("env") or os.environ),
                         **dict.fromkeys(bubblewrap.THREAD_VARS, self.threads)}
        # what the kernel prints outside cells never reaches the grader's terminal
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        kw["stdin"] = subprocess.DEVNULL
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        launcher = bubblewrap.launcher(self.memory_limit, self.file_size_limit,
                                       self.process_limit, self._cgroup)
        if not self.sandbox:
            return [*launcher, "--", *cmd]
        overlays = {}
        if self.answer_key_course_lib:
            from autograder.answer_key import installed_course_lib

            overlays[str(installed_course_lib())] = self.answer_key_course_lib
        env = bubblewrap.kernel_env(self.work_dir, self.threads or None)
        return [*launcher, "--", *bubblewrap.bwrap_args(self.work_dir, overlays, env,
                                                        self.scratch_limit), "--", *cmd]

    async def _async_interrupt_kernel(self) -> None:
        # bubblewrap starts the kernel in a new session: a signal to its process group would
        # not reach it, so interrupts go over the control channel (ipykernel supports both)
        if self.has_kernel:
            msg = self.session.msg("interrupt_request", content={})
            self._connect_control_socket()
            self.session.send(self._control_socket, msg)
            return
        await super()._async_interrupt_kernel()

    interrupt_kernel = _async_interrupt_kernel  # type: ignore[assignment]

    async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        try:
            await super()._async_shutdown_kernel(now=now, restart=restart)
        finally:
            for root in bubblewrap._PIDS_ROOTS:
                bubblewrap.remove_cgroup(os.path.join(root, bubblewrap.CGROUP_PARENT,
                                                      self._cgroup))
            if self.work_dir and self._scratch_mounted:
                # a restart starts in a new folder: this one's files go either way
                bubblewrap.unmount_scratch(self.work_dir)
                self._scratch_mounted = False
            if self.work_dir and not restart:
                shutil.rmtree(self.work_dir, ignore_errors=True)

    shutdown_kernel = _async_shutdown_kernel  # type: ignore[assignment]


def _copy_font_cache(target: str) -> None:
    """matplotlib's font list, so that a fresh HOME does not rebuild it (seconds)."""
    import glob

    cache = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")
    for path in glob.glob(os.path.join(cache, "fontlist*.json")):
        shutil.copy(path, target)


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


def agent_source() -> str:
    """The text the kernel runs to serve trusted test cells (wire format + agent)."""
    return "\n\n".join(p.read_text() for p in AGENT_SOURCES)


class WarmKernel:
    """The next submission's kernel, started while the current one is graded.

    At most one per grading process: :meth:`prepare` starts a fresh sandboxed kernel with the
    same settings as a running one (same lab's answer-key-free course_lib, same limits), in a
    private folder of its own, which imports the lab's
    :func:`~autograder.early_kernel.kernel_imports` as it starts (``IPKernelApp.exec_lines``).
    Connecting to it is a task on the grading loop, so it runs while the current notebook's
    cells run. The next :class:`TrustedExecute` takes it
    (:meth:`take`), with its client already connected, when its settings match; otherwise it
    is shut down. A kernel never serves two submissions: no student code has run in a warm
    one.
    """

    _task: asyncio.Task | None = None
    _key: tuple | None = None
    _stopping: list[asyncio.Future] = []
    _root: str | None = None

    @staticmethod
    def key_of(km: SandboxedKernelManager, arguments: list[str],
               imports: Sequence[str]) -> tuple:
        """The settings a warm kernel must share with the kernel it replaces: its manager's,
        its command line's (``arguments``) and the modules it imports ahead."""
        return (km.kernel_name, km.memory_limit, km.file_size_limit, km.process_limit,
                km.scratch_limit, km.sandbox, km.answer_key_course_lib, km.threads,
                km.transport_encryption, tuple(arguments), tuple(imports))

    @classmethod
    def prepare(cls, like: SandboxedKernelManager, extra_arguments: list[str],
                imports: Sequence[str]) -> asyncio.Event:
        """Start a kernel like ``like`` in the background (replacing a pending one), which
        imports ``imports`` (module names) as it starts.

        Returns:
            an event set once the kernel's process has started (it then boots and imports
            on its own, whether the grading loop runs or not).
        """
        cls.discard()
        warm = SandboxedKernelManager(config=like.config, kernel_name=like.kernel_name)
        warm.answer_key_course_lib = like.answer_key_course_lib
        warm.work_root = cls._work_root()  # not under the current submission's folder
        cls._key = cls.key_of(warm, extra_arguments, imports)
        launched = asyncio.Event()
        arguments = [*extra_arguments, f"--IPKernelApp.exec_lines={warm_imports_line(imports)}"]
        cls._task = asyncio.ensure_future(cls._start(warm, arguments, launched))
        return launched

    @classmethod
    def start_ahead(cls, like: SandboxedKernelManager, extra_arguments: list[str],
                    imports: Sequence[str]) -> None:
        """:meth:`prepare`, run until the kernel's process has started: for a grading
        process about to wait for its first notebook (the grading loop does not run while it
        waits; the connection is made when it runs again)."""
        loop = ensure_event_loop()  # the grading loop, made current before any task
        launched = cls.prepare(like, extra_arguments, imports)
        task = cls._task
        assert task is not None
        loop.run_until_complete(asyncio.wait(
            [task, asyncio.ensure_future(launched.wait())], return_when=asyncio.FIRST_COMPLETED))

    @staticmethod
    async def _start(km: SandboxedKernelManager, extra_arguments: list[str],
                     launched: asyncio.Event) -> tuple[SandboxedKernelManager, Any]:
        """Start the kernel and connect a client, which stays connected (handed over with the
        kernel: a new one would wait for IOPub to fall silent). The kernel answers once its
        imports are done."""
        await km.start_kernel(extra_arguments=extra_arguments)
        launched.set()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=120)
        except BaseException:
            kc.stop_channels()
            raise
        return km, kc

    @classmethod
    def _work_root(cls) -> str:
        """This process's folder for warm kernels' private folders (one level below it, as
        a submission's kernel folder sits in its grading folder)."""
        if cls._root is None or not os.path.isdir(cls._root):
            cls._root = tempfile.mkdtemp(prefix="autograder-warm-")
        return cls._root

    @classmethod
    async def take(cls, key: tuple) -> tuple[SandboxedKernelManager, Any] | None:
        """The pending warm kernel and its connected client (once it has started) when it
        has settings ``key``, else None; a pending kernel with other settings is shut down."""
        task, wanted = cls._task, cls._key
        if task is None:
            return None
        if wanted != key:
            cls.discard()
            return None
        cls._task, cls._key = None, None
        try:
            km, kc = await task
        except Exception as err:  # it could not start: the submission starts its own
            logging.getLogger(__name__).warning("warm kernel failed to start: %s", err)
            return None
        if not km.has_kernel:
            kc.stop_channels()
            return None
        return km, kc

    @classmethod
    def discard(cls) -> None:
        """Shut the pending warm kernel down (a task on the grading loop)."""
        task, cls._task, cls._key = cls._task, None, None
        if task is None:
            return

        async def stop() -> None:
            try:
                km, kc = await task
            except Exception:  # a kernel that did not start has nothing to stop
                return
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

        cls._stopping.append(asyncio.ensure_future(stop()))

    @classmethod
    def close(cls) -> None:
        """Shut down a pending warm kernel and wait for it (at the grading process's exit)."""
        cls.discard()
        stopping = [f for f in cls._stopping if not f.done()]
        cls._stopping = []
        if stopping:
            ensure_event_loop().run_until_complete(asyncio.gather(*stopping,
                                                                  return_exceptions=True))
        if cls._root:
            shutil.rmtree(cls._root, ignore_errors=True)
            cls._root = None


atexit.register(WarmKernel.close)


class TrustedExecute(Execute):
    """nbgrader's ``Execute`` with trusted test cells, an output cap and kernel restarts."""

    max_output_bytes = Integer(DEFAULT_MAX_OUTPUT, help="text a cell may output before the "
                               "rest is dropped (0: no cap)").tag(config=True)
    max_restarts = Integer(3, help="kernel restarts per notebook").tag(config=True)
    trusted = Bool(True, help="run graded test cells in the grader, on proxies of the "
                   "student's names (False: in the kernel, as plain nbgrader)").tag(config=True)
    course_id = Unicode("course", help="first part of every hidden-test seed").tag(config=True)
    student = Unicode("", help="the student's id in hidden-test seeds (default: nbgrader's "
                      "student id)").tag(config=True)
    prestart_next = Bool(False, help="while this notebook runs, start the next submission's "
                         "kernel (same lab and limits) with kernel_imports done: "
                         "autograder.sandbox.WarmKernel").tag(config=True)
    kernel_imports = List(Unicode(), list(DEFAULT_KERNEL_IMPORTS), help="modules a kernel "
                          "started ahead imports as it starts: the lab's "
                          "autograder.early_kernel.kernel_imports").tag(config=True)
    answer_key_source = Unicode("", help="the course's source folder: when the kernel manager "
                                "has no answer-key-free course_lib, one is built from the "
                                "lab's source notebook (nbgrader's own autograde)").tag(
                                    config=True)

    #: answer-key-free course_lib per (source folder, lab), built once per process
    _answer_keys: dict[tuple[str, str], str] = {}

    def create_kernel_manager(self):  # noqa: D102 (nbclient's hook)
        km = super().create_kernel_manager()
        if self.answer_key_source and self.trusted and not km.answer_key_course_lib:
            km.answer_key_course_lib = self._answer_key(self.answer_key_source, self._lab)
        return km

    @classmethod
    def _answer_key(cls, source: str, lab: str) -> str:
        import atexit

        import nbformat

        from autograder.answer_key import redacted_course_lib

        key = (source, lab)
        if key not in cls._answer_keys:
            notebook = nbformat.read(Path(source) / lab / f"{lab}.ipynb", as_version=4)
            into = Path(tempfile.mkdtemp(prefix="autograder-answer-key-"))
            atexit.register(shutil.rmtree, into, True)
            cls._answer_keys[key] = str(redacted_course_lib(notebook, lab, into))
        return cls._answer_keys[key]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
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
            notebook_full = self._output_total + size > self.max_output_bytes * NOTEBOOK_FACTOR
            if used + size > cap or notebook_full:
                self._output_dropped[cell_index] = self._output_dropped.get(cell_index, 0) + size
                if notebook_full:
                    self._notebook_full.add(cell_index)
                return None
            self._output_used[key] = used + size
            self._output_total += size
        return super().output(outs, msg, display_id, cell_index)

    def _note_dropped(self, cell: NotebookNode, index: int) -> None:
        dropped = self._output_dropped.pop(index, 0)
        if dropped:
            limit = (f"the notebook's outputs together passed "
                     f"{self.max_output_bytes * NOTEBOOK_FACTOR} bytes"
                     if index in self._notebook_full
                     else f"{self.max_output_bytes} bytes of text")
            cell.outputs.append(NotebookNode(
                output_type="stream", name="stdout",
                text=f"\n[autograder: output over the limit ({limit}); {dropped} more bytes "
                     "dropped]\n"))

    # --- execution --------------------------------------------------------------------------

    def preprocess(self, nb, resources=None, km=None):
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        meta = (resources or {}).get("nbgrader", {})
        self._lab = str(meta.get("assignment", ""))
        self._student = self.student or str(meta.get("student", ""))
        run_sync(self._async_run_all)()
        self.set_widgets_metadata()
        return self.nb, self.resources

    async def _async_run_all(self) -> None:
        self._output_used: dict[tuple[int, bool], int] = {}
        self._output_dropped: dict[int, int] = {}
        self._output_total = 0
        self._notebook_full: set[int] = set()
        cells = self.nb.cells
        dead: set[int] = set()
        start, restarts = 0, 0
        # a kernel started for this submission while the previous one was graded, with its
        # client connected and ready
        warm = await WarmKernel.take(WarmKernel.key_of(
            self.create_kernel_manager(), self.kernel_arguments(), self.kernel_imports))
        if warm is not None:
            self.km, self.kc = warm
            self.kc.allow_stdin = False
        while start < len(cells):
            index = start
            try:
                async with self.async_setup_kernel():
                    assert self.kc is not None
                    if self.prestart_next and not restarts:
                        WarmKernel.prepare(self.km, self.kernel_arguments(),
                                           self.kernel_imports)
                    info = await self.async_wait_for_reply(await ensure_async(
                        self.kc.kernel_info()))
                    if info and "language_info" in info["content"]:
                        self.nb.metadata["language_info"] = info["content"]["language_info"]
                    if self.trusted:
                        await self._silent(agent_source())
                    if start:
                        await self._replay(start, dead)
                    for index in range(start, len(cells)):
                        await self._run_cell(cells[index], index)
                    start = len(cells)
            except (DeadKernelError, CellTimeoutError) as err:
                # CellTimeoutError escapes only when the kernel stops answering after a
                # reply (a cell broke IPython itself); a slow cell is interrupted instead.
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
        self._hold_notebook_to_its_cap()

    def _hold_notebook_to_its_cap(self) -> None:
        """The notebook's cap, once more on what it holds at the end: nbclient also writes
        outputs without :meth:`output` (an ``update_display_data`` rewrites every output of
        its display id in place, and widgets' state goes into the metadata). Outputs are kept
        in order while they fit; the rest are dropped with the note."""
        if not self.max_output_bytes:
            return
        cap, total = self.max_output_bytes * NOTEBOOK_FACTOR, 0
        self._output_dropped.clear()  # left only by quiet replays, whose outputs are gone
        for index, cell in enumerate(self.nb.cells):
            kept = []
            for out in cell.get("outputs", []):
                size = len(json.dumps(out, default=str))
                if total + size > cap:
                    self._output_dropped[index] = self._output_dropped.get(index, 0) + size
                    self._notebook_full.add(index)
                    continue
                total += size
                kept.append(out)
            if index in self._output_dropped:
                cell.outputs = kept
                self._note_dropped(cell, index)
        widgets = self.nb.metadata.get("widgets")
        if widgets is not None and total + len(json.dumps(widgets, default=str)) > cap:
            del self.nb.metadata["widgets"]

    def kernel_arguments(self) -> list[str]:
        """The arguments this notebook's kernel starts with (nbclient adds the in-memory
        history when it starts a kernel itself)."""
        arguments = list(self.extra_arguments)
        if self.ipython_hist_file and not any(
                a.startswith("--HistoryManager.hist_file") for a in arguments):
            arguments.append(f"--HistoryManager.hist_file={self.ipython_hist_file}")
        return arguments

    def start_kernel_ahead(self, kernel_name: str = "python3") -> None:
        """Start the kernel the next notebook graded in this process will take (one for
        ``kernel_name`` with this configuration), before that notebook is known: a grading
        worker's first, while the run is still being set up. :meth:`WarmKernel.take` hands
        it over only if the notebook's kernel has the same settings."""
        self.kernel_name = kernel_name
        WarmKernel.start_ahead(self.create_kernel_manager(), self.kernel_arguments(),
                               self.kernel_imports)

    async def _silent(self, code: str) -> None:
        """Run ``code`` in the kernel without output or history; raise if it fails."""
        assert self.kc is not None
        msg_id = await ensure_async(self.kc.execute(code, silent=True, store_history=False))
        reply = await self.async_wait_for_reply(msg_id)
        if reply is None or reply["content"].get("status") != "ok":
            content = (reply or {}).get("content", {})
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")

    async def _replay(self, stop: int, dead: set[int]) -> None:
        """Run the non-test code cells before ``stop`` again (after a restart), quietly."""
        for index, cell in enumerate(self.nb.cells[:stop]):
            if cell.cell_type != "code" or index in dead or utils.is_grade(cell) and \
                    not utils.is_solution(cell):
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
        if self.trusted and is_autograded_test(cell):
            if cell.source.strip():
                await self._run_trusted(cell, index)
            return
        await self.async_execute_cell(cell, index, store_history=True)
        self._note_dropped(self.nb.cells[index], index)

    # --- trusted test cells -----------------------------------------------------------------

    async def _run_trusted(self, cell: NotebookNode, index: int) -> None:
        """Run a test cell here, serving the kernel's side through its agent."""
        from autograder.proxy import CallTimeout, KernelSession
        from autograder.trusted import CellRun, run_test_cell
        from course_lib.grading import grading_context, seed_text

        assert self.km is not None and self.kc is not None
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell{index}")
        path = os.path.join(self.km.work_dir, ".k", f"t{secrets.token_hex(4)}")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(1)
        listener.settimeout(0.25)
        msg_id = await ensure_async(self.kc.execute(
            f"__import__('_autograder_agent').serve({path!r})", silent=True,
            store_history=False))
        deadline = time.monotonic() + float(self.timeout or 120)
        seeded_by = seed_text(self.course_id, self._lab, grade_id, self._student)
        connected, give_up = threading.Event(), threading.Event()

        def work() -> CellRun | None:
            while True:
                try:
                    conn, _ = listener.accept()
                    break
                except OSError:
                    if give_up.is_set() or time.monotonic() > deadline:
                        return None
            connected.set()
            session = KernelSession(conn, deadline)
            try:
                with grading_context(seeded_by, trusted=True):
                    run = run_test_cell(cell.source, session, grade_id)
                if run.lost is None:
                    try:
                        session.end()
                    except BaseException as err:  # noqa: BLE001 (KernelLost)
                        run.lost = err
                return run
            finally:
                conn.close()

        reply = None
        try:
            task = asyncio.ensure_future(asyncio.to_thread(work))
            # until the agent connects, an early reply means it will not (it was removed)
            while not connected.is_set() and not task.done():
                reply = await self._reply_within(msg_id, CONNECT_POLL)
                if reply is not None:
                    give_up.set()
                    break
            run = await task
        finally:
            listener.close()
            os.unlink(path)
        cell.outputs = []
        if run is None:
            if reply is None:
                reply = await self._reply_within(msg_id, INTERRUPT_GRACE)
            reason = "no answer" if reply is None else \
                f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}"
            cell.outputs.append(_error(REFUSED_ENAME, "the notebook's kernel did not let the "
                                       f"grader run this test ({reason})"))
            if reply is None:
                raise CellTimeoutError("the kernel did not answer")
            return
        if run.lost is not None and not isinstance(run.lost, CallTimeout) and \
                await self._dies_within(LOST_GRACE):
            raise DeadKernelError(str(run.lost))
        self._record(cell, run)
        if reply is not None:
            return
        if run.lost is None and await self._reply_within(msg_id, CONNECT_TIMEOUT) is not None:
            return
        await self.km.interrupt_kernel()
        if await self._reply_within(msg_id, INTERRUPT_GRACE) is None:
            if not await self.km.is_alive():
                raise DeadKernelError("the kernel died")
            raise CellTimeoutError("the kernel stopped answering")

    async def _dies_within(self, seconds: float) -> bool:
        """Whether the kernel is gone, or goes within ``seconds`` (a kernel that exits takes
        a few milliseconds to be reaped after its connection drops)."""
        assert self.km is not None
        end = time.monotonic() + seconds
        while await self.km.is_alive():
            if time.monotonic() > end:
                return False
            await asyncio.sleep(CONNECT_POLL)
        return True

    async def _reply_within(self, msg_id: str, seconds: float) -> dict | None:
        assert self.kc is not None
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(
                    timeout=max(0.01, min(0.5, end - time.monotonic()))))
            except Exception:  # queue.Empty
                if self.km is not None and not await self.km.is_alive():
                    return None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg
        return None

    def _record(self, cell: NotebookNode, run) -> None:
        """The test cell's outputs, as nbgrader reads them."""
        from autograder.proxy import CallTimeout

        text = run.stdout
        if self.max_output_bytes and len(text) > self.max_output_bytes:
            dropped = len(text) - self.max_output_bytes
            text = text[:self.max_output_bytes] + (
                f"\n[autograder: output over the limit ({self.max_output_bytes} bytes of text);"
                f" {dropped} more bytes dropped]\n")
        if text:
            cell.outputs.append(NotebookNode(output_type="stream", name="stdout", text=text))
        if run.error is not None:
            ename, evalue, lines = run.error
            if isinstance(run.lost, CallTimeout):
                ename = TIMEOUT_ENAME
            elif run.lost is not None:
                ename = PROTOCOL_ENAME
            cell.outputs.append(NotebookNode(output_type="error", ename=ename, evalue=evalue,
                                             traceback=lines))
            return
        value = run.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            points = float(cell.metadata.get("nbgrader", {}).get("points", 0) or 0)
            score = min(max(float(value), 0.0), points)
            cell.execution_count = self.code_cells_executed + 1
            cell.outputs.append(NotebookNode(
                output_type="execute_result", execution_count=cell.execution_count,
                metadata={}, data={"text/plain": repr(score)}))

