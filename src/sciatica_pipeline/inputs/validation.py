"""Validates a content folder end to end and returns the bundle with every problem found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sciatica_pipeline.errors import ContentError, Problem, sorted_problems
from sciatica_pipeline.inputs.checks import check_parts
from sciatica_pipeline.inputs.loader import build_parts, read_documents
from sciatica_pipeline.inputs.schemas import Kind
from sciatica_pipeline.model.content import Bundle


@dataclass(frozen=True, slots=True)
class Origins:
    """Where each item of a bundle came from, so checks can report the file to change."""

    files: Mapping[tuple[Kind, str], str]
    manifest_file: str

    def file(self, kind: Kind, item_id: str) -> str:
        """The file (as the user named it) that holds the item of this kind and id."""
        return self.files[(kind, item_id)]


#: A content check: reads the valid bundle and yields problems (plugins add these).
ContentCheck = Callable[[Bundle, Origins], Iterable[Problem]]


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of validating a content folder."""

    source: str
    bundle: Bundle | None
    origins: Origins | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Problems that stop a build."""
        return tuple(p for p in self.problems if p.level == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems that are reported but do not stop a build (unless strict)."""
        return tuple(p for p in self.problems if p.level == "warning")

    def ok(self, *, strict: bool = False) -> bool:
        """True when the content can be built (in strict mode: no warnings either)."""
        return not self.errors and not (strict and self.warnings)


def validate(
    content_dir: Path,
    *,
    checks: Iterable[ContentCheck] = (),
    today: dt.date | None = None,
) -> Report:
    """Validate every file of `content_dir` and the bundle as a whole.

    The extra `checks` (for example from plugins) run only when the bundle itself is valid,
    since they read the model.
    """
    source = str(content_dir)
    if not content_dir.is_dir():
        problem = Problem(
            source, "", "this folder does not exist; give the path of a content folder"
        )
        return Report(source, None, None, (problem,))
    docs = read_documents(content_dir)
    parts = build_parts(content_dir, docs)
    problems = [*docs.problems, *check_parts(parts, today)]
    bundle = origins = None
    if not any(p.level == "error" for p in problems):
        bundle = parts.bundle()
        origins = Origins(parts.origins, parts.manifest_file)
        for check in checks:
            problems.extend(check(bundle, origins))
        if any(p.level == "error" for p in problems):
            bundle = None
    return Report(source, bundle, origins, sorted_problems(problems))


def load_bundle(
    content_dir: Path, *, checks: Iterable[ContentCheck] = (), strict: bool = False
) -> Bundle:
    """The validated bundle of `content_dir`; raises `ContentError` listing every problem."""
    report = validate(content_dir, checks=checks)
    if report.bundle is None or not report.ok(strict=strict):
        raise ContentError(report.problems, report.source)
    return report.bundle
