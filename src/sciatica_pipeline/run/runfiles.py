"""The run-level files of a `patients` run (one `assignments.csv` for every patient, one
gateway file ordered by send time): assembled from each patient's parts as the outcomes come
in, in a staging folder that replaces `<out>/_run/` only when the run ends, so a run killed
half-way leaves the previous files as they were.

Memory stays flat however long the list: unordered files are appended to as parts arrive;
ordered ones are sorted on disk (sorted runs of at most `SPILL_PARTS` parts, merged at the end).
"""

from __future__ import annotations

import heapq
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.plugins.exporter import Artifact, RunFile, RunPart
from sciatica_pipeline.run.spool import SPOOL_NAME, Spooled, copy_spooled
from sciatica_pipeline.run.writer import (
    OutputError,
    make_folders,
    os_error_message,
    safe_relative_path,
    swap_folder,
)

#: The folder of a patients run's run-level files, beside the patient folders. Patient ids
#: start with a letter or digit, so no patient's folder can take this name.
RUN_FOLDER = "_run"

#: How many parts of an ordered file are sorted in memory before they go to disk.
SPILL_PARTS = 20_000
#: How many sorted parts go to disk in one piece, and come back in one.
SPILL_CHUNK = 512

#: (key, patient's place in the run, part's place among the patient's) -> data.
_Entry = tuple[str, int, int, bytes]


@dataclass
class _Ordered:
    """An ordered run file being assembled: sorted runs on disk and the current batch."""

    file: RunFile
    folder: Path
    batch: list[_Entry] = field(default_factory=list)
    runs: list[Path] = field(default_factory=list)

    def add(self, entry: _Entry) -> None:
        self.batch.append(entry)
        if len(self.batch) >= SPILL_PARTS:
            self.spill()

    def spill(self) -> None:
        self.batch.sort()
        path = self.folder / f"run-{len(self.runs)}.bin"
        with _private(path) as handle:  # mobile numbers and message texts
            # In chunks: one pickle a part cost more than the part; a chunk is still small
            # beside a batch, so reading the runs back stays in flat memory.
            batch = self.batch
            for start in range(0, len(batch), SPILL_CHUNK):
                chunk = batch[start : start + SPILL_CHUNK]
                pickle.dump(chunk, handle, protocol=pickle.HIGHEST_PROTOCOL)
        self.runs.append(path)
        self.batch = []

    def entries(self) -> Iterator[_Entry]:
        self.batch.sort()
        streams = [_read_run(path) for path in self.runs]
        return heapq.merge(*streams, iter(self.batch))


def _read_run(path: Path) -> Iterator[_Entry]:
    with path.open("rb") as handle:
        while True:
            try:
                chunk: list[_Entry] = pickle.load(handle)
            except EOFError:
                return
            yield from chunk


class RunFiles:
    """The run files of every run-level format of one `patients` run.

    :param out_dir: the run's output folder; the files go to `out_dir/_run/<format>/`.
    :param declared: format -> what its `run_files` returned.
    """

    def __init__(self, out_dir: Path, declared: Mapping[str, Sequence[RunFile | Artifact]]) -> None:
        self.target = out_dir / RUN_FOLDER
        make_folders(out_dir, private=True)
        try:
            self.staging = Path(
                tempfile.mkdtemp(prefix=f".{RUN_FOLDER}.", suffix=".tmp", dir=out_dir)
            )
        except OSError as exc:
            raise OutputError(f"cannot write into {out_dir}: {exc.strerror}") from exc
        self._spill = self.staging / ".sort"
        self.spool_folder = self.staging / ".spool"
        self._spools: dict[str, int] = {}  # spool file name -> open descriptor
        self._streams: dict[tuple[str, str], int] = {}  # unordered file -> open descriptor
        # Unordered file -> the spooled bytes not yet copied into it: [spool, offset, length].
        # A worker spools a batch of patients one after the other, so their parts are one
        # range of its spool file, copied in one call instead of one a patient.
        self._pending: dict[tuple[str, str], list[int]] = {}
        self._ordered: dict[tuple[str, str], _Ordered] = {}
        self._files: dict[tuple[str, str], RunFile] = {}
        self._artifacts: dict[str, list[Artifact]] = {}
        self._arrivals = 0  # breaks ties between equal keys: parts keep the order they came in
        try:
            try:
                self.spool_folder.mkdir(mode=0o700)
                for name, items in declared.items():
                    self._declare(name, items)
            except OSError as exc:
                raise OutputError(os_error_message(self.target, exc)) from exc
            # The run folders of formats this run does not write are carried over as they
            # are, as a patient's folder keeps the formats a run did not write.
            if self.target.is_dir():
                for folder in sorted(self.target.iterdir()):
                    if folder.is_dir() and not folder.is_symlink() and folder.name not in declared:
                        shutil.copytree(folder, self.staging / folder.name, symlinks=True)
        except BaseException:
            self.abort()
            raise

    def _path(self, name: str, relative: str) -> Path:
        pure = safe_relative_path(relative)
        if pure is None:
            raise PipelineError(
                f"the {name} format declared the run file {relative!r}, which is not a "
                "relative path inside its folder"
            )
        path = self.staging.joinpath(name, *pure.parts)
        make_folders(path.parent, private=True)
        return path

    def _declare(self, name: str, items: Sequence[RunFile | Artifact]) -> None:
        for item in items:
            if isinstance(item, Artifact):
                self._artifacts.setdefault(name, []).append(item)
                continue
            key = (name, item.path)
            if key in self._files:
                raise PipelineError(f"the {name} format declared the run file {item.path} twice")
            self._files[key] = item
            path = self._path(name, item.path)
            if item.ordered:
                self._spill.mkdir(mode=0o700, exist_ok=True)
                folder = Path(tempfile.mkdtemp(dir=self._spill))
                self._ordered[key] = _Ordered(item, folder)
                path.touch(mode=0o600)
            else:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                self._streams[key] = fd
                _write_all(fd, item.header)

    @property
    def unordered(self) -> frozenset[tuple[str, str]]:
        """The (format, path) of every unordered run file: their parts may come spooled."""
        return frozenset(self._streams)

    def check(self, name: str, parts: Sequence[RunPart | Spooled]) -> str | None:
        """Why these parts cannot be added (None when they can): not a RunPart, or a path
        not declared."""
        for part in parts:
            if isinstance(part, Spooled):
                # Made by the workers only for a declared unordered file, in a spool file of
                # theirs: anything else is no spool reference of ours.
                if (name, part.path) not in self._streams or not SPOOL_NAME.fullmatch(part.spool):
                    return "render_run() returned Spooled, not a RunPart of bytes"
                continue
            if not isinstance(part, RunPart) or not isinstance(part.data, bytes):
                return f"render_run() returned {type(part).__name__}, not a RunPart of bytes"
            if (name, part.path) not in self._files:
                return f"it returned a part of {part.path!r}, which its run_files() did not declare"
        return None

    def add(self, name: str, parts: Sequence[RunPart | Spooled]) -> None:
        """Add one patient's parts for one format (call `check` first)."""
        self._arrivals += 1
        try:
            for number, part in enumerate(parts):
                key = (name, part.path)
                if isinstance(part, Spooled):
                    self._copy_later(key, self._spool(part.spool), part.offset, part.length)
                    continue
                ordered = self._ordered.get(key)
                if ordered is not None:
                    ordered.add((part.key, self._arrivals, number, part.data))
                else:
                    self._copy_pending(key)
                    _write_all(self._streams[key], part.data)
        except OSError as exc:
            self.abort()
            raise OutputError(os_error_message(self.target, exc)) from exc

    def finish(self) -> list[str]:
        """Complete every file and put the run folder in place; returns the files' paths."""
        try:
            for key, fd in self._streams.items():
                self._copy_pending(key)
                _write_all(fd, self._files[key].footer)
            self._close()
            shutil.rmtree(self.spool_folder, ignore_errors=True)
            for key, ordered in self._ordered.items():
                with _private(self._path(*key)) as out:
                    out.write(ordered.file.header)
                    for entry in ordered.entries():
                        out.write(entry[3])
                    out.write(ordered.file.footer)
            shutil.rmtree(self._spill, ignore_errors=True)
            for name, artifacts in self._artifacts.items():
                for artifact in artifacts:
                    with _private(self._path(name, artifact.path)) as out:
                        out.write(artifact.data)
            written = sorted(
                str(p.relative_to(self.staging)) for p in self.staging.rglob("*") if p.is_file()
            )
            swap_folder(self.staging, self.target)
        except OSError as exc:
            self.abort()
            raise OutputError(os_error_message(self.target, exc)) from exc
        except BaseException:
            self.abort()
            raise
        return written

    def abort(self) -> None:
        """Drop what was assembled; the previous run files stay as they were."""
        self._close()
        shutil.rmtree(self.staging, ignore_errors=True)

    def _copy_later(self, key: tuple[str, str], spool: int, offset: int, length: int) -> None:
        """Copy these spooled bytes into the file `key` after those pending for it: now if
        they do not follow them in the same spool file, else with them."""
        pending = self._pending.get(key)
        if pending is not None and pending[0] == spool and pending[1] + pending[2] == offset:
            pending[2] += length
            return
        self._copy_pending(key)
        self._pending[key] = [spool, offset, length]

    def _copy_pending(self, key: tuple[str, str]) -> None:
        pending = self._pending.pop(key, None)
        if pending is not None:
            copy_spooled(pending[0], self._streams[key], pending[1], pending[2])

    def _spool(self, name: str) -> int:
        fd = self._spools.get(name)
        if fd is None:
            fd = self._spools[name] = os.open(self.spool_folder / name, os.O_RDONLY)
        return fd

    def _close(self) -> None:
        for fd in (*self._streams.values(), *self._spools.values()):
            os.close(fd)
        self._streams = {}
        self._spools = {}
        self._pending = {}


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _private(path: Path) -> IO[bytes]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    handle: IO[bytes] = os.fdopen(fd, "wb")
    return handle
