"""Worker processes that grade one submission at a time, and survive each other's deaths.

The parent hands each worker one job at a time over a pipe and gets the result back. A worker
that dies (killed, out of memory, a crash in a C extension) costs only the job it was grading:
a fresh worker takes that job once more, and if it dies again the job is recorded as failed
with the reason. The other jobs, queued or running, go on. Workers are spawned (not forked),
so that each starts from a clean interpreter, and can be started before their jobs are ready
(:class:`Workers`), each preparing for its first job meanwhile.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import signal
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


def _serve(conn: Connection, work: Callable[[Any], Any], threads: int,
           prepare: Callable[[], None] | None) -> None:
    """A worker's loop: ``prepare()``, then take a job, send back ``work(job)``, until
    ``None`` comes."""
    from autograder.course import limit_threads

    limit_threads(threads)
    if prepare is not None:
        try:
            prepare()
        except Exception as err:  # a head start only: the jobs run without it
            logging.getLogger(__name__).warning("worker: could not prepare (%s: %s); going on "
                                                "without", type(err).__name__, err)
    while True:
        try:
            job = conn.recv()
        except EOFError:
            job = None
        if job is None:
            # what the worker loaded (torch, nbgrader) is left out of the interpreter's last
            # garbage collection at exit: about 1 s the parent would wait for
            gc.freeze()
            return
        conn.send(work(job))


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with status {exitcode}"


class _Worker:
    def __init__(self, context: Any, work: Callable[[Any], Any], threads: int,
                 prepare: Callable[[], None] | None):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, work, threads, prepare),
                                       daemon=True)
        self.process.start()
        child.close()
        self.job: int | None = None

    def ask_to_stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass

    def wait(self) -> None:
        """Wait for the process to exit after :meth:`ask_to_stop` (killed after 10 s)."""
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class Workers:
    """``workers`` grading processes, started at once, for :meth:`run` to use later.

    Each runs ``prepare()`` as soon as it has started (before its first job: starting what
    that job will need while the parent still sets the run up), and again in a fresh
    process that replaces a dead one. Use as a context manager: the processes stop at exit.

    Args:
        work: a picklable (module-level) function that never raises for a bad job.
        failed: builds the result of a job whose worker died twice, given the reason.
        workers: processes at once.
        threads: BLAS/OpenMP threads per worker.
        prepare: a picklable callable run first in every worker (None: nothing).
    """

    def __init__(self, work: Callable[[Job], Result], failed: Callable[[Job, str], Result],
                 workers: int, threads: int = 1, prepare: Callable[[], None] | None = None):
        self.work, self.failed, self.threads, self.prepare = work, failed, threads, prepare
        self.context = multiprocessing.get_context("spawn")
        self.pool = [self._spawn() for _ in range(max(1, workers))]
        self.finished = False

    def _spawn(self) -> _Worker:
        return _Worker(self.context, self.work, self.threads, self.prepare)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def finish(self) -> None:
        """Tell every worker to stop once it has finished the job it has, if any, without
        waiting for it: :meth:`close` then waits."""
        if not self.finished:
            self.finished = True
            for worker in self.pool:
                worker.ask_to_stop()

    def close(self) -> None:
        """Stop every worker (each finishes the job it has, if any) and wait for it."""
        self.finish()
        for worker in self.pool:
            worker.wait()
        self.pool = []

    def run(self, jobs: Sequence[Job],
            on_done: Callable[[Result, int, int], None] | None = None) -> list[Result]:
        """``[work(job) for job in jobs]`` on the workers; input order kept.

        A worker that dies costs only the job it had: a fresh worker takes that job once
        more, and if it dies again the job's result is ``failed(job, reason)``.

        Args:
            jobs: picklable jobs.
            on_done: called with each result, the count done and the total.
        """
        results: list[Result | None] = [None] * len(jobs)
        queue = list(range(len(jobs)))[::-1]
        tries = [0] * len(jobs)
        pool = self.pool
        workers = len(pool)
        done = 0
        while done < len(jobs):
            while queue and len([w for w in pool if w.job is not None]) < workers:
                idle = next((w for w in pool if w.job is None), None)
                if idle is None:
                    idle = self._spawn()
                    pool.append(idle)
                i = queue.pop()
                tries[i] += 1
                idle.job = i
                try:
                    idle.conn.send(jobs[i])
                except OSError:  # it died before its first job: handled with the deaths below
                    pass
            busy = [w for w in pool if w.job is not None]
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for worker in busy:
                i = worker.job
                if i is None:
                    continue
                if worker.conn in ready:
                    try:
                        result = worker.conn.recv()
                    except (EOFError, OSError):
                        result = None
                    if result is not None:
                        results[i] = result
                        worker.job = None
                        done += 1
                        if on_done:
                            on_done(result, done, len(jobs))
                        continue
                if worker.process.sentinel in ready or not worker.process.is_alive():
                    worker.process.join()
                    reason = _death(worker.process.exitcode)
                    pool.remove(worker)
                    if tries[i] < 2:
                        queue.append(i)
                    else:
                        results[i] = self.failed(jobs[i], f"the grading process {reason} "
                                                          "twice; not graded")
                        done += 1
                        if on_done:
                            on_done(results[i], done, len(jobs))
        return [r for r in results if r is not None]

