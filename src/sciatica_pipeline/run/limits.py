"""Bounds on what one render may take: a plugin stuck in a loop, or one writing a file of
gigabytes, fails that render with a clear message instead of hanging the run or filling the
disk. Both bounds are options with generous defaults (`--render-timeout`, `--max-file-mb`)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType


@dataclass(frozen=True, slots=True)
class Limits:
    """How long one render may run, and how large one file it returns may be.

    :param render_seconds: seconds for one exporter to render the bundle, or one patient
        (0: no limit).
    :param file_bytes: bytes of one artifact (0: no limit).
    """

    render_seconds: float = 600.0
    file_bytes: int = 512 << 20


class RenderTimeout(Exception):
    """A render took longer than its limit."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise RenderTimeout in the block after `seconds` of wall-clock time.

    Uses the interval timer, which only the main thread of a POSIX process can set; where it
    cannot be used, the block runs without a limit.
    """
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise RenderTimeout(
            f"it took longer than {seconds:g} seconds (raise --render-timeout if it must)"
        )

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
