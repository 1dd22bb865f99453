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
from typing import Any

try:
    # The C function: `signal.getsignal` looks our handler up among the Handlers enum first,
    # and that failed lookup cost 5.6 µs, asked before every render (0.06 µs here).
    from _signal import getsignal as _handler_of  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - not CPython
    _handler_of = signal.getsignal


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


def _usable(seconds: float) -> bool:
    """Whether a limit of `seconds` can be kept here: the interval timer exists, and this
    is the main thread (the only one that may set it)."""
    return (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )


def _message(seconds: float) -> str:
    return f"it took longer than {seconds:g} seconds (raise --render-timeout if it must)"


class RenderTimer:
    """`time_limit` for many renders in a row (every format of one patient): the alarm's
    handler is installed once, on entering, and each render only sets the timer, in
    `with timer.render:`. Installing a handler cost several times what setting the timer
    costs, six times a patient.

    Outside the main thread the renders run without a limit, as with `time_limit`.
    """

    __slots__ = ("_handler", "_previous", "_usable", "render", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._usable = _usable(seconds)
        self._previous: Any = None
        self._handler = self._expire  # one bound method, so it is known again by identity
        self.render = _Armed(self)

    def __enter__(self) -> RenderTimer:
        if self._usable:
            self._previous = signal.signal(signal.SIGALRM, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)

    def _expire(self, signum: int, frame: FrameType | None) -> None:
        raise RenderTimeout(_message(self.seconds))


class _Armed:
    """One render under a `RenderTimer`: the timer runs from entering to leaving."""

    __slots__ = ("_timer",)

    def __init__(self, timer: RenderTimer) -> None:
        self._timer = timer

    def __enter__(self) -> None:
        timer = self._timer
        if timer._usable:
            # A render before may have put another handler in (or ignored the signal), which
            # would lift this render's limit or kill the process: ours goes back first.
            if _handler_of(signal.SIGALRM) is not timer._handler:
                signal.signal(signal.SIGALRM, timer._handler)
            signal.setitimer(signal.ITIMER_REAL, timer.seconds)

    def __exit__(self, *exc: object) -> None:
        if self._timer._usable:
            signal.setitimer(signal.ITIMER_REAL, 0)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise RenderTimeout in the block after `seconds` of wall-clock time.

    Uses the interval timer, which only the main thread of a POSIX process can set; where it
    cannot be used, the block runs without a limit.
    """
    if not _usable(seconds):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise RenderTimeout(_message(seconds))

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
