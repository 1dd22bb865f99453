"""Hostile content cannot put markup or script into a handout: every text field of a copy of
the bundled content gets `<script>`, `javascript:` links and attribute breakers; the content
still validates (text fields may hold any character), and the pages built from it hold no
script, no event handler, no link but in-page and http(s) ones, and show the attacks as text.
The browser half (no dialog fires) is in test_html_browser.py."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from conftest import CONTENT
from sciatica_pipeline.exporters.html import HtmlHandouts
from sciatica_pipeline.inputs.validation import load_bundle, validate
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.plugins.manager import load_plugins
from sciatica_pipeline.plugins.testing import check_exporter
from test_html import Element, parse

Run = Callable[..., Result]

#: The attacks, each appended to every text field.
ATTACKS = (
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "javascript:alert(1)",
    '" onmouseover="alert(1)',
    "'><img src=x onerror=alert(1)>",
    'https://example.org/"onclick="alert(1)',
)

#: Fields that hold ids, references, codes, dates or fixed words, not text: the schema
#: refuses anything else there, so they are left as they are.
NOT_TEXT = frozenset(
    {
        "$schema",
        "id",
        "exercise",
        "source",
        "sources",
        "precautions",
        "precaution",
        "advice",
        "recommended_exercises",
        "red_flags",
        "pace",
        "code",
        "props",
        "severity",
        "category",
        "body_position",
        "step",
        "at",
        "topic",
        "condition",
        "level",
        "version",
        "language",
        "reviewed_on",
        "next_review_due",
    }
)


#: Names and titles go into text messages too, whose content checks (the `sms` format's)
#: refuse a text longer than an SMS or one that names a condition (the attack words become
#: condition words in a condition's name). The build through the CLI, which runs every
#: check, leaves them out; the render from the model (`hostile_bundle`) has them all.
SENT_BY_SMS = frozenset({"name", "title", "also_called"})


def _poison(node: Any, skip: frozenset[str], key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _poison(v, skip, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_poison(v, skip, key) for v in node]
    if isinstance(node, str) and key not in skip:
        return node + " " + " ".join(ATTACKS)
    return node


def _at(document: Any, pointer: str) -> tuple[Any, Any]:
    """The container and key a JSON pointer names."""
    *parents, last = [p for p in pointer.split("/") if p]
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, int(last) if isinstance(node, list) else last


def poison(content: Path, original: Path, skip: frozenset[str] = NOT_TEXT) -> int:
    """Append every attack to every text field of `content` but those in `skip`; a field
    the schema keeps short gets one attack, in turn. Returns how many attacks went in."""
    for path in content.rglob("*.json"):
        document = _poison(json.loads(path.read_text()), skip)
        path.write_text(json.dumps(document), encoding="utf-8")
    turn = itertools.cycle(ATTACKS)
    for problem in validate(content).errors:
        if "is too long" not in problem.message:
            continue
        path = Path(problem.file)
        document = json.loads(path.read_text())
        source = json.loads((original / path.relative_to(content)).read_text())
        node, key = _at(document, problem.where)
        first, _ = _at(source, problem.where)
        node[key] = f"{first[key]} {next(turn)}"
        path.write_text(json.dumps(document), encoding="utf-8")
    return sum(p.read_text().count("alert(1)") for p in content.rglob("*.json"))


def _copy(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    import shutil

    content = tmp_path_factory.mktemp(name) / "content"
    shutil.copytree(CONTENT, content)
    return content


@pytest.fixture(scope="module")
def hostile_bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """The bundled content with the attacks in every text field, names and titles too,
    loaded and checked as the core checks it (schema and cross-references)."""
    content = _copy(tmp_path_factory, "hostile-all")
    assert poison(content, CONTENT) > 4000
    return load_bundle(content)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled content with the attacks in every text field that no text
    message carries, valid for every plugin's checks."""
    content = _copy(tmp_path_factory, "hostile")
    assert poison(content, CONTENT, NOT_TEXT | SENT_BY_SMS) > 3000
    report = validate(content, checks=load_plugins(None).content_checks())
    assert report.errors == (), [str(p) for p in report.errors]
    return content


@pytest.fixture(scope="module")
def hostile_pages(
    hostile: Path, hostile_bundle: Bundle, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, bytes]:
    """The html build of the hostile content through the CLI, and the render of the
    wholly hostile bundle through the exporter contract."""
    from click.testing import CliRunner

    from sciatica_pipeline.cli import cli

    out = tmp_path_factory.mktemp("hostile-out") / "dist"
    args = ["--plugins-dir", str(hostile / "none"), "build", str(hostile), "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--format", "html"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    pages = {f"cli/{p.name}": p.read_bytes() for p in sorted((out / "html").glob("*.html"))}
    for artifact in check_exporter(HtmlHandouts(), hostile_bundle):
        pages[f"all/{artifact.path}"] = artifact.data
    return pages


def _script_like(root: Element) -> list[str]:
    found = []
    for e in root.walk():
        if e.tag in ("script", "img", "iframe", "object", "embed"):
            found.append(f"<{e.tag}>")
        found += [f"{e.tag} {name}=" for name in e.attrs if name.startswith("on")]
        href = e.attrs.get("href", "")
        if href and not href.startswith(("#", "https://", "http://")):
            found.append(f"href={href!r}")
    return found


def test_attacks_are_shown_as_text_and_never_run(hostile_pages: dict[str, bytes]) -> None:
    assert len(hostile_pages) == 12
    for name, data in hostile_pages.items():
        root = parse(data)
        assert _script_like(root) == [], name
        text = root.all_text()
        for attack in ATTACKS:
            assert attack in text, (name, attack)
        # An address in content is a link only up to the quote that would end the attribute.
        links = {a.attrs["href"] for a in root.find("a") if not a.attrs["href"].startswith("#")}
        assert links == {"https://example.org/"}, name


def test_the_raw_bytes_hold_no_live_markup(hostile_pages: dict[str, bytes]) -> None:
    """The same, without a parser: no attack's `<` survives unescaped. (Quotes may: in an
    element's text, an SVG <title> say, a quote ends nothing.)"""
    for name, data in hostile_pages.items():
        page = data.decode()
        for tag in ("<script", "<img", '<a href="javascript'):
            assert tag not in page, (name, tag)


def test_validate_accepts_the_hostile_text(run: Run, hostile: Path) -> None:
    """Text fields hold any character: the page escapes, the validator need not refuse."""
    result = run("validate", str(hostile))
    assert result.exit_code == 0, result.stdout + result.stderr
