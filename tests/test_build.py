"""`sciatica-pipeline build`: every format into its own folder, a manifest with hashes,
byte-identical rebuilds, and a failed build that leaves the previous output untouched."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import CONTENT, REPO

Run = Callable[..., Result]

RAISING = """
from sciatica_pipeline import hookimpl
from sciatica_pipeline.plugins.exporter import Exporter

class Flaky(Exporter):
    name = "flaky"
    description = "Always fails."

    def render(self, context):
        raise RuntimeError("the vendor template is missing")

@hookimpl
def register_exporters(register):
    register(Flaky())
"""

ESCAPING = RAISING.replace(
    'raise RuntimeError("the vendor template is missing")',
    "from sciatica_pipeline.plugins.exporter import Artifact\n"
    '        return [Artifact("../evil.txt", b"x")]',
)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def build(run: Run, out: Path, *extra: str, plugins: Path = REPO / "plugins") -> Result:
    return run("--plugins-dir", str(plugins), "build", str(CONTENT), "--out", str(out), *extra)


def test_build_writes_every_format_and_a_manifest(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = build(run, out)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["bundle"]["id"] == "sciatica-exercise-therapy"
    assert manifest["build_time"] == "2026-11-20T00:00:00Z"  # the review date by default
    assert set(manifest["formats"]) >= {"markdown"}
    assert "ics" not in manifest["formats"]  # per-patient only: nothing at the bundle level
    assert "ics" not in result.stdout  # per-patient only: build does not run it
    assert manifest["formats"]["markdown"] == {"plugin": "markdown_handout"}
    listed = {a["path"] for a in manifest["artifacts"]}
    on_disk = set(files_of(out)) - {"manifest.json"}
    assert listed == on_disk
    for entry in manifest["artifacts"]:
        data = (out / entry["path"]).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert {
        f"markdown/{plan}.md" for plan in ("sciatica-plan", "piriformis-syndrome-plan")
    } <= listed


def test_two_builds_are_byte_identical(run: Run, tmp_path: Path) -> None:
    assert build(run, tmp_path / "a").exit_code == 0
    assert build(run, tmp_path / "b").exit_code == 0
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")


def test_source_date_epoch_sets_the_build_time(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build(run, tmp_path / "dist").exit_code == 0
    manifest = json.loads((tmp_path / "dist" / "manifest.json").read_text())
    assert manifest["build_time"] == "2023-11-14T22:13:20Z"


def test_bad_source_date_epoch_is_a_clear_error(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = build(run, tmp_path / "dist")
    assert result.exit_code == 1
    assert "SOURCE_DATE_EPOCH='yesterday' is not a number of seconds" in result.stderr


def test_format_selection(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = build(run, out, "--format", "markdown")
    assert result.exit_code == 0
    assert {p.name for p in out.iterdir()} == {"markdown", "manifest.json"}


def test_unknown_format_is_bad_usage(run: Run, tmp_path: Path) -> None:
    result = build(run, tmp_path / "dist", "--format", "fax")
    assert result.exit_code == 2
    assert "no format named 'fax'; available: " in result.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("paper", "should look like FORMAT.OPTION=VALUE"),
        ("fax.paper=a4", "'fax' is not one of the formats being written"),
        ("markdown.paper=a4", "the markdown format has no option 'paper' (its options: none)"),
    ],
)
def test_bad_settings_are_bad_usage(run: Run, tmp_path: Path, setting: str, message: str) -> None:
    result = build(run, tmp_path / "dist", "--format", "markdown", "--set", setting)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (
            RAISING,
            "the flaky exporter (from plugin flaky) failed: RuntimeError: the vendor template "
            "is missing",
        ),
        (ESCAPING, "the path '../evil.txt' is not a relative path inside its folder"),
    ],
    ids=["raises", "escapes"],
)
def test_failed_build_leaves_previous_output_untouched(
    run: Run, tmp_path: Path, plugin: str, message: str
) -> None:
    out = tmp_path / "dist"
    assert build(run, out).exit_code == 0
    before = files_of(out)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "flaky.py").write_text(plugin)
    (plugins / "markdown_handout.py").write_text(
        (REPO / "plugins" / "markdown_handout.py").read_text()
    )
    result = build(run, out, plugins=plugins)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Nothing was written; the previous output is unchanged." in result.stderr
    assert "internal error" not in result.stderr
    assert files_of(out) == before
    assert not (tmp_path / "evil.txt").exists()
    # The lock file stays (a run holds it with flock); no staging folder does.
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".dist.")]
    leftovers.remove(".dist.lock")
    assert leftovers == []


def test_bad_content_builds_nothing(run: Run, tmp_path: Path, content: Path) -> None:
    (content / "exercises" / "bridging.json").write_text("{")
    out = tmp_path / "dist"
    result = run("--plugins-dir", str(REPO / "plugins"), "build", str(content), "--out", str(out))
    assert result.exit_code == 1
    assert "bridging.json: line 1, column 2: this is not valid JSON" in result.stderr
    assert not out.exists()


def test_out_that_is_a_file_is_a_clear_error(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.write_text("not a folder")
    result = build(run, out)
    assert result.exit_code == 2
    assert f"Directory '{out}' is a file" in result.stderr
    assert out.read_text() == "not a folder"


def test_output_follows_the_umask(run: Run, tmp_path: Path) -> None:
    """Bundle-level output is public material (unlike patient files): the usual umask applies."""
    out = tmp_path / "dist"
    previous = os.umask(0o022)
    try:
        assert build(run, out).exit_code == 0
    finally:
        os.umask(previous)
    assert out.stat().st_mode & 0o777 == 0o755
    assert (out / "markdown").stat().st_mode & 0o777 == 0o755
    assert (out / "manifest.json").stat().st_mode & 0o777 == 0o644


def test_excel_without_csv_is_bad_usage(run: Run, tmp_path: Path) -> None:
    result = build(run, tmp_path / "dist", "--format", "markdown", "--excel")
    assert result.exit_code == 2
    assert "it applies to the csv format, which is not being written" in result.stderr


def test_excel_flag_writes_a_byte_order_mark_only_when_asked(run: Run, tmp_path: Path) -> None:
    assert build(run, tmp_path / "plain", "--format", "csv").exit_code == 0
    assert build(run, tmp_path / "excel", "--format", "csv", "--excel").exit_code == 0
    plain = (tmp_path / "plain" / "csv" / "program-catalog.csv").read_bytes()
    excel = (tmp_path / "excel" / "csv" / "program-catalog.csv").read_bytes()
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert excel == b"\xef\xbb\xbf" + plain


@pytest.mark.parametrize("target", ["content", ".", "outer"])
def test_out_never_replaces_the_content_or_the_working_folder(
    run: Run, tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """`build` replaces --out as a whole, so it refuses a folder that is or holds the content
    or the folder it runs in."""
    monkeypatch.chdir(content.parent)
    before = files_of(content)
    out = {"content": "content", ".": ".", "outer": str(tmp_path)}[target]
    result = run("--plugins-dir", str(REPO / "plugins"), "build", "content", "--out", out)
    assert result.exit_code == 2
    assert "would be replaced; choose another folder" in result.stderr
    assert files_of(content) == before


def test_out_that_holds_other_files_is_refused(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    result = build(run, out)
    assert result.exit_code == 2
    assert "is not empty and was not written by `build` (it has no readable manifest.json)" in (
        result.stderr
    )
    assert (out / "thesis.docx").read_text() == "precious"
    assert build(run, tmp_path / "dist").exit_code == 0
    assert build(run, tmp_path / "dist").exit_code == 0  # its own output may be replaced


def test_per_patient_only_formats_are_refused_by_build(run: Run, tmp_path: Path) -> None:
    result = build(run, tmp_path / "dist", "--format", "ics")
    assert result.exit_code == 2
    assert "ics: not a format; its output comes from `sciatica-pipeline patients`" in result.stderr
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize(
    ("fmt", "setting", "message"),
    [
        ("pdf", "pdf.paper=a5", "unknown paper size 'a5'"),
        ("csv", "csv.excel=maybe", "the csv option excel must be true or false"),
        ("sms", "sms.format=xml", "the sms option format='xml' must be csv or jsonl"),
    ],
)
def test_bad_option_values_are_bad_usage_before_any_work(
    run: Run, tmp_path: Path, fmt: str, setting: str, message: str
) -> None:
    result = build(run, tmp_path / "dist", "--format", fmt, "--set", setting)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "dist").exists()
