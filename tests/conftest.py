"""Shared fixtures: the bundled content, a writable copy of it, and a CLI runner."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sciatica_pipeline.cli import cli
from sciatica_pipeline.inputs.validation import load_bundle
from sciatica_pipeline.model.content import Bundle

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "content"


@pytest.fixture(scope="session")
def bundle() -> Bundle:
    """The bundled content, loaded once."""
    return load_bundle(CONTENT)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A writable copy of the bundled content."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


Edit = Callable[[str, Callable[[dict[str, Any]], None]], None]


@pytest.fixture
def edit(content: Path) -> Edit:
    """Change one JSON file of the content copy in place: edit("exercises/bridging", fn)."""

    def apply(relative: str, change: Callable[[dict[str, Any]], None]) -> None:
        path = content / f"{relative}.json"
        document = json.loads(path.read_text(encoding="utf-8"))
        change(document)
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")

    return apply


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """Invoke the CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    runner = CliRunner()

    def invoke(*args: str, **kwargs: Any) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False, **kwargs)

    yield invoke
