"""The run's worker processes: one pool and one policy for every parallel part of a run (the
booklets of a build, the patients of a list).

Policy: one process per core (or as many as asked), started by fork, which is cheap and shares
what the parent has loaded; where fork is not available, or this process runs other threads
(a fork can inherit a lock another thread holds), work is done in this process instead. Work
is handed out in order with a bounded number of pieces in flight, so memory stays flat however
long the input, and results come back in the order of the input.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from sciatica_pipeline.errors import PipelineError

T = TypeVar("T")
R = TypeVar("R")

#: Pieces in flight per worker: enough to keep every core busy, few enough for flat memory.
IN_FLIGHT_PER_WORKER = 2

# The pool's shared object, set in this process before the workers fork, so they inherit it
# instead of receiving it pickled with every piece of work.
_SHARED: Any = None


def shared() -> Any:
    """The `shared` object of the pool this code runs for (in a worker, or in this process)."""
    return _SHARED


def default_jobs() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether worker processes may be forked from this process now."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


class WorkerPool:
    """Worker processes for one run; used as a context manager, which stops them at its end.

    :param jobs: how many processes (default: one per core). 1, or a process that cannot
        fork, does all the work in this process.
    :param shared: an object the work reads with `shared()` (the run's content and
        exporters, say): workers inherit it when they fork, so it is never pickled.
    """

    def __init__(self, jobs: int | None = None, shared: object = None) -> None:
        self.jobs = max(1, jobs if jobs is not None else default_jobs())
        self._shared = shared
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes (waiting for the pieces in flight)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    @property
    def parallel(self) -> bool:
        """Whether work goes to other processes."""
        return self.jobs > 1 and (self._executor is not None or can_fork())

    def _share(self) -> None:
        global _SHARED  # noqa: PLW0603 - what forked workers inherit
        _SHARED = self._shared

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._share()
            # Started on first use, so the workers inherit everything loaded until then.
            context = multiprocessing.get_context("fork")
            self._executor = ProcessPoolExecutor(
                self.jobs,
                mp_context=context,
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
        return self._executor

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[fn(item) for item in items]`, on the workers when there are several."""
        return list(self.imap(fn, items))

    def imap(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """`fn(item)` for each item, in order, streamed: at most a few pieces per worker are
        in flight, so a long input is never held whole."""
        if not self.parallel:
            self._share()
            yield from map(fn, items)
            return
        pool = self._pool()
        in_flight: deque[Future[Any]] = deque()
        try:
            for item in items:
                in_flight.append(pool.submit(fn, item))
                while len(in_flight) >= self.jobs * IN_FLIGHT_PER_WORKER:
                    yield in_flight.popleft().result()
            while in_flight:
                yield in_flight.popleft().result()
        except BrokenProcessPool as exc:
            self._executor = None
            raise WorkerDied(
                "a worker process stopped without a word (a plugin may have ended it with "
                "os._exit, or the machine ran out of memory); what it was writing was not "
                "written. Run again with --jobs 1 to see which plugin or patient it was"
            ) from exc


class WorkerDied(PipelineError):
    """A worker process ended in the middle of its work."""


def _die_with_parent(parent: int) -> None:
    """Ask Linux to end this worker when the run's main process dies (even by kill -9), so no
    worker goes on writing patient files on its own."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no prctl: nothing to arrange
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
