"""Writes an output folder atomically: everything goes to a temporary folder beside the target,
which replaces the target only when every file is written. A failed run leaves the previous
output as it was."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from sciatica_pipeline.errors import PipelineError


class OutputError(PipelineError):
    """The output folder could not be written."""


def safe_relative_path(path: str) -> PurePosixPath | None:
    """`path` as a relative POSIX path that stays inside its folder, or None if it does not."""
    if not path or "\\" in path or "\x00" in path:
        return None
    pure = PurePosixPath(path)
    if pure.is_absolute() or any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return pure


#: Marks a folder as `patients` output, so a later run may replace patient folders inside it.
PATIENTS_MARKER = ".sciatica-pipeline-patients"


def unsafe_output(out_dir: Path, content_dir: Path, *, owned_by: str | None) -> str | None:
    """Why writing into `out_dir` could destroy something that is not our output, or None.

    Output folders are replaced wholesale, so the target must not be (or hold) the content
    folder or the working directory, and an existing, non-empty target must carry `owned_by`
    (the file an earlier run of the same command left there).
    """
    out = out_dir.resolve()
    for other, what in (
        (content_dir.resolve(), "the content folder"),
        (Path.cwd(), "the folder you are in"),
    ):
        if out == other or out in other.parents:
            return f"{out_dir} is {what} or holds it, and would be replaced; choose another folder"
    if out.is_dir() and any(out.iterdir()) and owned_by and not (out / owned_by).exists():
        return (
            f"{out_dir} is not empty and was not written by this command (it has no {owned_by}); "
            "choose another folder or empty it first"
        )
    return None


def write_tree(target: Path, files: Mapping[str, bytes], *, private: bool = False) -> None:
    """Replace the folder `target` with exactly `files` (relative path -> bytes).

    :param private: create folders and files readable by the owner alone (patient data).
    """
    target = Path(target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {parent}: {exc.strerror}") from exc
    # mkdtemp creates the folder with mode 0700, which suits private output as it is.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    try:
        for relative, data in sorted(files.items()):
            pure = safe_relative_path(relative)
            if pure is None:
                raise OutputError(f"refusing to write outside the output folder: {relative!r}")
            path = staging.joinpath(*pure.parts)
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
            path.write_bytes(data)
            if private:
                path.chmod(0o600)
        if not private:
            _relax(staging)
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _relax(folder: Path) -> None:
    """Give a public output folder the usual permissions (mkdtemp made it 0700)."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)


def _swap(staging: Path, target: Path) -> None:
    """Move `staging` into place as `target`; the old `target` is removed only afterwards."""
    if not target.exists():
        staging.rename(target)
        return
    if not target.is_dir():
        raise OutputError(f"{target} exists and is not a folder; remove it or choose another --out")
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    retired.rmdir()
    target.rename(retired)
    try:
        staging.rename(target)
    except BaseException:
        retired.rename(target)  # put the previous output back
        raise
    shutil.rmtree(retired, ignore_errors=True)
