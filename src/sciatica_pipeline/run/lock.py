"""One run at a time per output folder: two runs writing one folder would mix one patient's
files from both (a calendar from one, an EHR CSV from the other). The lock is a file beside
the folder (the folder itself is replaced), held with flock, so it is released when the run
ends, even by kill -9."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sciatica_pipeline.errors import PipelineError, UsageError
from sciatica_pipeline.run.writer import OutputError, make_folders, remove_stale_staging


class OutputBusy(PipelineError):
    """Another run is writing the same output folder."""


def lock_path(out_dir: Path) -> Path:
    """The lock file of an output folder: `.NAME.lock` beside it."""
    out = out_dir.resolve()
    return out.parent / f".{out.name}.lock"


@contextmanager
def output_lock(out_dir: Path, *, private: bool = False) -> Iterator[None]:
    """Hold the output folder's lock for the run, or fail at once when another run holds it.

    Holding it, the staging folders a killed run left behind are removed first.
    """
    path = lock_path(out_dir)
    try:
        make_folders(path.parent, private=private)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OutputError as exc:  # the folder cannot be made where the person asked for it
        raise UsageError(str(exc), "out") from exc
    except OSError as exc:
        raise UsageError(
            f"cannot use {out_dir} as an output folder ({exc.strerror}); choose a folder you can "
            "write to",
            "out",
        ) from exc
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock, as before
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputBusy(
                f"another sciatica-pipeline run is writing {out_dir}; wait for it to finish, "
                "or choose another output folder"
            ) from None
        remove_stale_staging(path.parent, out_dir.resolve().name)
        if out_dir.is_dir():
            remove_stale_staging(out_dir)
        yield
    finally:
        os.close(fd)
