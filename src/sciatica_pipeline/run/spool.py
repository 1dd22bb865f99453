"""Where a worker puts a patient's parts of the unordered run files (the EHR's assignments,
the FHIR Bulk Data files): appended to a spool file of its own, in the run's staging
folder, instead of sent to the main process through a pipe. The main process then copies
the bytes into the run file in the patients' order, inside the kernel (`os.copy_file_range`,
one call for each run of patients from the same worker), so the parts, about 125 KB a
patient with FHIR, are never pickled, piped, unpickled and written again.
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sciatica_pipeline.model.frozen import pickled_as_call

#: The names `Spool` gives its files: `<process id>-<number>.part`.
SPOOL_NAME = re.compile(r"[0-9]+-[0-9]+\.part")
#: The errors by which `copy_file_range` says it cannot copy between these two files (other
#: file systems, or none that supports it), where a plain read and write still can.
_CANNOT_COPY_HERE = frozenset(
    {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EBADF}
)


@pickled_as_call
@dataclass(frozen=True, slots=True)
class Spooled:
    """One patient's part of an unordered run file, waiting in a worker's spool file.

    :param path: the `RunFile.path` it goes into.
    :param spool: the spool file's name (in the run's spool folder).
    :param offset: where the part starts in the spool file.
    :param length: how many bytes it has.
    """

    path: str
    spool: str
    offset: int
    length: int


@dataclass
class Spool:
    """A process's spool files in `folder`: one per run file it has parts of, named by the
    process id so workers never share one. Each part is written whole before its `Spooled`
    is returned, so the main process can read it as soon as the outcome arrives."""

    folder: Path
    _files: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    _ends: dict[str, int] = field(default_factory=dict)
    _pid: int = field(default_factory=os.getpid)
    _made: int = 0  # files made by this process, so a name is never made twice

    def add(self, name: str, path: str, data: bytes) -> Spooled:
        """Append one part of format `name`'s run file `path`; returns where it is."""
        if self._pid != os.getpid():  # forked since: this process starts its own files
            self._files, self._ends, self._pid, self._made = {}, {}, os.getpid(), 0
        key = (name, path)
        opened = self._files.get(key)
        if opened is None:
            spool = f"{self._pid}-{self._made}.part"
            self._made += 1
            fd = os.open(self.folder / spool, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            opened = self._files[key] = (fd, spool)
            self._ends[spool] = 0
        fd, spool = opened
        offset = self._ends[spool]
        # At the part's own offset, so a write that failed half-way is overwritten by the next.
        view, at = memoryview(data), offset
        while view:
            done = os.pwrite(fd, view, at)
            view, at = view[done:], at + done
        self._ends[spool] = offset + len(data)
        return Spooled(path, spool, offset, len(data))

    def close(self) -> None:
        """Close this process's spool files (a process that did the work itself, rather than
        in workers, would otherwise keep them open, and their disk space, after the run)."""
        if self._pid == os.getpid():
            for fd, _ in self._files.values():
                os.close(fd)
        self._files, self._ends = {}, {}


def copy_spooled(source: int, target: int, offset: int, length: int) -> None:
    """Append `length` bytes of the file `source` from `offset` to the file `target`, inside
    the kernel where it can (`copy_file_range`), else through a buffer."""
    copy = getattr(os, "copy_file_range", None)
    while length:
        if copy is not None:
            try:
                done = copy(source, target, length, offset)
            except OSError as exc:
                if exc.errno not in _CANNOT_COPY_HERE:
                    raise
                copy = None  # not between these files: through a buffer from here on
                continue
        else:
            data = os.pread(source, min(length, 1 << 20), offset)
            done = os.write(target, data) if data else 0
        if done <= 0:
            raise OSError(errno.EIO, f"the spool file ended {length} bytes early")
        offset += done
        length -= done
