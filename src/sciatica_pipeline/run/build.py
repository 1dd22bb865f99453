"""Runs bundle-level exporters and writes their artifacts, with a manifest, into one folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.plugins.exporter import Artifact, BuildContext, Exporter, InProcess, Workers
from sciatica_pipeline.plugins.manager import PLUGIN_FAILURES
from sciatica_pipeline.run.limits import Limits, time_limit
from sciatica_pipeline.run.memo import Memo
from sciatica_pipeline.run.writer import MANIFEST, safe_parts, write_tree


class ExportError(PipelineError):
    """One or more exporters failed; nothing was written."""

    def __init__(self, failures: Sequence[tuple[str, str, str]]) -> None:
        self.failures = tuple(failures)
        lines = [
            f"the {name} exporter (from plugin {plugin}) failed: {reason}"
            for name, plugin, reason in self.failures
        ]
        lines.append("Nothing was written; the previous output is unchanged.")
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build wrote: the artifacts per format, and the manifest."""

    out_dir: Path
    artifacts: Mapping[str, tuple[Artifact, ...]]
    manifest: Mapping[str, object]


def build_time(bundle: Bundle, environ: Mapping[str, str] | None = None) -> dt.datetime:
    """The timestamp builds stamp into output: SOURCE_DATE_EPOCH, else the review date.

    Never the wall clock, so two builds of the same input are byte-identical.
    """
    environ = os.environ if environ is None else environ
    raw = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if raw:
        try:
            return dt.datetime.fromtimestamp(int(raw), tz=dt.UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise PipelineError(
                f"SOURCE_DATE_EPOCH={raw!r} is not a number of seconds since 1970-01-01; "
                "unset it or give a whole number"
            ) from exc
    reviewed = bundle.manifest.review.reviewed_on
    return dt.datetime(reviewed.year, reviewed.month, reviewed.day, tzinfo=dt.UTC)


def render_all(
    exporters: Sequence[tuple[Exporter, str]],
    context_for: Mapping[str, BuildContext],
    limits: Limits | None = None,
) -> dict[str, tuple[Artifact, ...]]:
    """Render every exporter; collect all failures before raising, so each is reported."""
    limits = limits or Limits()
    rendered: dict[str, tuple[Artifact, ...]] = {}
    failures: list[tuple[str, str, str]] = []
    for exporter, plugin in exporters:
        label = (exporter.name, plugin)
        try:
            with time_limit(limits.render_seconds):
                artifacts = tuple(exporter.render(context_for[exporter.name]))
        except PipelineError as exc:
            failures.append((*label, str(exc)))
            continue
        except PLUGIN_FAILURES as exc:  # a plugin's failure, even sys.exit(), is reported
            failures.append((*label, f"{type(exc).__name__}: {exc}"))
            continue
        problem = artifact_problem(artifacts, limits.file_bytes)
        if problem:
            failures.append((*label, problem))
            continue
        rendered[exporter.name] = artifacts
    if failures:
        raise ExportError(failures)
    return rendered


def artifact_problem(artifacts: Sequence[object], max_bytes: int = 0) -> str | None:
    """Why a list of rendered artifacts cannot be written (None when it can).

    :param max_bytes: the largest file allowed (0: any size).
    """
    seen: set[str] = set()
    for artifact in artifacts:
        if not isinstance(artifact, Artifact) or not isinstance(artifact.data, bytes):
            return f"it returned {type(artifact).__name__}, not Artifact(path, bytes)"
        if max_bytes and len(artifact.data) > max_bytes:
            return (
                f"its file {artifact.path} is {len(artifact.data) >> 20} MiB, more than the "
                f"limit of {max_bytes >> 20} MiB (raise --max-file-mb if it must be)"
            )
        if safe_parts(artifact.path) is None:  # the verdict, without making the path
            return f"the path {artifact.path!r} is not a relative path inside its folder"
        if artifact.path in seen:
            return f"it returned two files named {artifact.path!r}"
        seen.add(artifact.path)
    return None


def manifest_for(
    bundle: Bundle,
    when: dt.datetime,
    artifacts: Mapping[str, Sequence[Artifact]],
    plugins: Mapping[str, str],
) -> dict[str, object]:
    """The build manifest: the bundle, the build time, and every artifact with size and hash."""
    entries = [
        {
            "path": f"{name}/{a.path}",
            "format": name,
            "media_type": a.media_type,
            "bytes": len(a.data),
            "sha256": hashlib.sha256(a.data).hexdigest(),
        }
        for name in sorted(artifacts)
        for a in sorted(artifacts[name], key=lambda a: a.path)
    ]
    # A per-patient-only format (a calendar) writes nothing at the bundle level.
    written = sorted(name for name, arts in artifacts.items() if arts)
    m = bundle.manifest
    return {
        "bundle": {"id": m.id, "title": m.title, "version": m.version},
        "reviewed_on": m.review.reviewed_on.isoformat(),
        "build_time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "formats": {name: {"plugin": plugins[name]} for name in written},
        "artifacts": entries,
    }


def build(
    bundle: Bundle,
    exporters: Sequence[tuple[Exporter, str]],
    out_dir: Path,
    *,
    options: Mapping[str, Mapping[str, str]] | None = None,
    when: dt.datetime | None = None,
    workers: Workers | None = None,
    limits: Limits | None = None,
) -> BuildResult:
    """Render `exporters` (each with the name of its plugin) and write `out_dir` atomically.

    Each format goes to its own subfolder; `manifest.json` lists every file with its size
    and sha256. If any exporter fails, nothing is written.

    :param workers: the run's worker pool, for exporters that render pieces in parallel.
    :param limits: how long a render may take and how large a file may be.
    """
    when = when or build_time(bundle)
    options = options or {}
    contexts = {
        e.name: BuildContext(bundle, when, options.get(e.name, {}), Memo(), workers or InProcess())
        for e, _ in exporters
    }
    rendered = render_all(exporters, contexts, limits)
    manifest = manifest_for(bundle, when, rendered, {e.name: p for e, p in exporters})
    files = {f"{name}/{a.path}": a.data for name, arts in rendered.items() for a in arts}
    files[MANIFEST] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    write_tree(out_dir, files)
    return BuildResult(out_dir, rendered, manifest)
