"""Writes an output folder atomically: everything goes to a temporary folder beside the target,
which replaces the target only when every file is written. A failed run leaves the previous
output as it was."""

from __future__ import annotations

import errno
import glob
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
    parts = safe_parts(path)
    return None if parts is None else PurePosixPath(*parts)


def safe_parts(path: str) -> list[str] | None:
    """The names of a relative POSIX path that stays inside its folder (`a/b.txt` gives
    `["a", "b.txt"]`), or None if it does not: no empty, `.` or `..` name (so it is not
    absolute either), no backslash, no NUL."""
    if not path or "\\" in path or "\x00" in path:
        return None
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return parts


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
        Otherwise folders are 0755 and files 0644 at most (less when the umask says so), never
        writable by others, whatever the umask.
    :raises OutputError: naming the file and the fix, when the disk refuses a write.
    """
    target = Path(target)
    parent = target.parent
    make_folders(parent, private=private)
    dir_mode, file_mode = _modes(private)
    try:
        # mkdtemp creates the folder with mode 0700, which suits private output as it is.
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise OutputError(os_error_message(parent, exc)) from exc
    path = str(staging)
    # Plain strings and os calls, not pathlib: a patients run writes a small tree per
    # patient, and pathlib's parsing cost more than the file system calls themselves.
    root = path
    made = {""}  # the folders made so far, relative to the staging folder
    try:
        for relative, data in sorted(files.items()):
            parts = safe_parts(relative)
            if parts is None:
                raise OutputError(f"refusing to write outside the output folder: {relative!r}")
            path = f"{root}/{relative}"
            folder = "/".join(parts[:-1])
            if folder not in made:
                os.makedirs(f"{root}/{folder}", mode=dir_mode, exist_ok=True)  # noqa: PTH103
                made.update("/".join(parts[:end]) for end in range(1, len(parts)))
            _write_new(path, data, file_mode)
        if not private:  # mkdtemp made the staging folder 0700; public output is 0755
            for folder in made:
                Path(root, folder).chmod(dir_mode)
        path = str(target)
        swap_folder(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(os_error_message(Path(path), exc)) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_new(path: str, data: bytes, mode: int) -> None:
    """Create the file `path` (it must not exist) holding `data`."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _modes(private: bool) -> tuple[int, int]:
    """(folder mode, file mode) for output: the umask may narrow them, never widen them."""
    if private:
        return 0o700, 0o600
    umask = os.umask(0)
    os.umask(umask)
    return 0o755 & ~umask, 0o644 & ~umask


def make_folders(folder: Path, *, private: bool) -> None:
    """Create `folder` and any missing parents, 0755 (0700 when private), not 0777."""
    dir_mode, _ = _modes(private)
    missing = []
    here = folder
    while not here.exists():
        missing.append(here)
        here = here.parent
    try:
        for path in reversed(missing):
            path.mkdir(mode=dir_mode)
            path.chmod(dir_mode)
    except FileExistsError:
        pass
    except OSError as exc:
        raise OutputError(os_error_message(folder, exc)) from exc


#: What to do when the disk refuses a write, by errno.
_FIXES = {
    errno.ENOSPC: "the disk is full; free some space and run the command again",
    errno.EDQUOT: "your disk quota is used up; free some space and run the command again",
    errno.EROFS: "the disk is read-only; choose another output folder",
    errno.EACCES: "you may not write there; choose a folder you can write to",
    errno.EPERM: "you may not write there; choose a folder you can write to",
}


def os_error_message(path: Path, exc: OSError) -> str:
    """What a person reads when the disk refuses a write: the path, the reason, the fix."""
    fix = _FIXES.get(exc.errno or 0, "check the folder and run the command again")
    reason = exc.strerror or type(exc).__name__
    return f"cannot write {path}: {reason}; {fix}. The previous output is unchanged."


def remove_stale_staging(folder: Path, name: str = "*") -> int:
    """Remove the staging folders a run killed half-way left in `folder` (for the output
    named `name`, or any). Only call it while holding the output's lock. Returns how many."""
    if name != "*":
        name = glob.escape(name)  # an output named "p*" must not match another's staging
    stale = [
        p
        for pattern in (f".{name}.*.tmp", f".{name}.*.old")
        for p in folder.glob(pattern)
        if p.is_dir() and not p.is_symlink()
    ]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return len(stale)


def swap_folder(staging: Path, target: Path) -> None:
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
