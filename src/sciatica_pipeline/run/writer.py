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


#: The file `build` writes at the top of its output, listing every file it wrote.
MANIFEST = "manifest.json"


def _guarded_places(out: Path, content_dir: Path) -> str | None:
    if out.exists() and not out.is_dir():
        return "is a file, not a folder; give the path of a folder"
    for other, what in (
        (content_dir.resolve(), "the content folder"),
        (Path.cwd(), "the folder you are in"),
    ):
        if out == other or out in other.parents:
            return f"is {what} or holds it, and would be replaced; choose another folder"
    return None


def unsafe_build_output(out_dir: Path, content_dir: Path) -> str | None:
    """Why `build` must not replace `out_dir`, or None when it may.

    `build` replaces its output folder as a whole, so it only ever replaces what an earlier
    build wrote: an empty folder, or one holding exactly the files its `manifest.json`
    lists. Anything else in it (patient folders, a file of someone's) is refused, never
    deleted.
    """
    out = out_dir.resolve()
    guarded = _guarded_places(out, content_dir)
    if guarded:
        return f"{out_dir} {guarded}"
    if not out.is_dir() or not any(out.iterdir()):
        return None
    if any(True for _ in out.rglob(PATIENTS_MARKER)):
        return (
            f"{out_dir} holds patient output written by `sciatica-pipeline patients`, which a "
            "build would delete; build into another folder, or move the patient folders first"
        )
    listed = _manifest_paths(out / MANIFEST)
    if listed is None:
        return (
            f"{out_dir} is not empty and was not written by `build` (it has no readable "
            f"{MANIFEST}); choose another folder or empty it first"
        )
    extra = sorted(
        str(path.relative_to(out))
        for path in out.rglob("*")
        if (path.is_file() or path.is_symlink()) and str(path.relative_to(out)) not in listed
    )
    if extra:
        shown = ", ".join(extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
        return (
            f"{out_dir} holds files an earlier build did not write ({shown}), which a build "
            "would delete; move them, or choose another folder"
        )
    return None


def _manifest_paths(manifest: Path) -> set[str] | None:
    """The paths a build manifest lists (itself included), or None when it cannot be read."""
    import json

    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        return {MANIFEST, *(str(entry["path"]) for entry in data["artifacts"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def unsafe_patients_output(out_dir: Path, content_dir: Path) -> str | None:
    """Why `patients` must not write into `out_dir`, or None when it may: the folder must be
    empty or one an earlier `patients` run wrote (it holds the marker file), since patient
    folders in it are replaced by id."""
    out = out_dir.resolve()
    guarded = _guarded_places(out, content_dir)
    if guarded:
        return f"{out_dir} {guarded}"
    if out.is_dir() and any(out.iterdir()) and not (out / PATIENTS_MARKER).exists():
        return (
            f"{out_dir} is not empty and was not written by `patients` (it has no "
            f"{PATIENTS_MARKER}); choose another folder or empty it first"
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


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, readable by the owner only (patient data).

    :raises UsageError: when `path` is a folder.
    :raises OutputError: when the file cannot be written.
    """
    from sciatica_pipeline.errors import UsageError

    if path.is_dir():
        raise UsageError(
            f"{path} is a folder; give a file name, for example {path / 'calendar.ics'}",
            "output",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(temp).chmod(0o600)
        Path(temp).replace(path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror}") from exc
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
