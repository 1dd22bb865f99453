"""Source notes: the articles' own words behind an item, for reviewers. They cite sources the
bundle lists, are schema-checked, and never reach a patient."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from conftest import CONTENT, Edit

Run = Callable[..., Result]


def _items() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (path, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(CONTENT.glob("*/*.json"))
    ]


def test_every_source_note_quotes_a_source_the_item_cites() -> None:
    manifest = json.loads((CONTENT / "bundle.json").read_text(encoding="utf-8"))
    known = {s["id"] for s in manifest["sources"]}
    for path, item in _items():
        for note in item.get("source_notes", ()):
            assert note["source"] in known, (path, note["source"])
            assert note["source"] in item["sources"], (path, note["source"])


def test_a_source_note_without_a_quote_is_a_schema_error(
    run: Run, content: Path, edit: Edit
) -> None:
    edit(
        "precautions/pain-in-both-legs",
        lambda d: d.update(source_notes=[{"source": "sciatica-relief-exercises-pt-guide"}]),
    )
    result = run("validate", str(content))
    assert result.exit_code == 1
    assert "/source_notes/0" in result.stderr and "quote" in result.stderr


def test_source_notes_never_reach_patient_outputs(run: Run, tmp_path: Path) -> None:
    # Only quotes the content does not also say in its own words (a title can match a quote).
    said = json.dumps(
        [{k: v for k, v in item.items() if k != "source_notes"} for _, item in _items()]
    )
    quotes = [
        n["quote"]
        for _, item in _items()
        for n in item.get("source_notes", ())
        if n["quote"] not in said
    ]
    assert quotes
    out = tmp_path / "out"
    result = run(
        "build", str(CONTENT), "--out", str(out), "-f", "csv", "-f", "sms", "-f", "markdown"
    )
    assert result.exit_code == 0, result.stderr
    # the CSV catalog, SMS review texts and handouts are plain text: no quote is in them
    files = [p for p in out.rglob("*") if p.suffix in {".csv", ".txt", ".md"}]
    assert files
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    for quote in quotes:
        assert quote not in text
