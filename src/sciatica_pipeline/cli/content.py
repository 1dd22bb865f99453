"""`validate` and `build`: check the content, and publish its bundle-level formats."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from sciatica_pipeline.cli.common import (
    ContentPath,
    FormatCommand,
    alias_flags,
    content_argument,
    count,
    default_content,
    format_option,
    host,
    jobs_option,
    print_problems,
    say,
    selection,
    set_option,
    state,
    summary,
)
from sciatica_pipeline.inputs.kinds import KINDS


@click.command("validate")
@click.argument(
    "content_dir",
    required=False,
    default=lambda: str(default_content()),
    type=ContentPath(allow_dash=True),
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON on stdout.")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default=None,
    help="With -: the kind of the item on standard input (default: from its $schema).",
)
def validate_command(content_dir: Path, strict: bool, as_json: bool, kind: str | None) -> None:
    """Check CONTENT_DIR (default: ./content) and report every problem with its place.

    Each problem is one line: the file, the JSON pointer (or line and column) and what is
    wrong. Exits 1 when there is an error (or, with --strict, a warning). `-` checks one
    item read from standard input against its schema (an editor's buffer, say).
    """
    from sciatica_pipeline.inputs.validation import Report
    from sciatica_pipeline.run.pipeline import check_content

    if str(content_dir) == "-":
        from sciatica_pipeline.inputs.loader import check_document

        text = sys.stdin.read()
        problems = tuple(check_document(text, "<stdin>", kind))
        report = Report("<stdin>", None, None, problems)
        if as_json:
            click.echo(json.dumps(_report_json(report, not problems), indent=2))
            if problems:
                raise click.exceptions.Exit(1)
            return
        print_problems(report.problems)
        if problems:
            raise click.ClickException(summary(report.source, report.problems))
        say("<stdin>: valid against its schema (bundle-wide checks need the whole folder).")
        return
    report = check_content(content_dir, host())
    ok = report.ok(strict=strict)
    if as_json:
        click.echo(json.dumps(_report_json(report, ok), indent=2, ensure_ascii=False))
        if not ok:
            raise click.exceptions.Exit(1)
        return
    print_problems(report.problems)
    if not ok:
        raise click.ClickException(summary(report.source, report.problems))
    bundle = report.bundle
    assert bundle is not None
    counts = ", ".join(
        [
            count(len(bundle.conditions), "condition"),
            count(len(bundle.exercises), "exercise"),
            count(len(bundle.precautions), "precaution"),
            count(len(bundle.plans), "plan"),
            count(len(bundle.advice), "advice item"),
        ]
    )
    warned = f" ({count(len(report.warnings), 'warning')})" if report.warnings else ""
    manifest = bundle.manifest
    say(f"{content_dir}: valid{warned}. {manifest.title} {manifest.version}: {counts}.")


def _report_json(report: Any, ok: bool) -> dict[str, Any]:
    return {
        "content": report.source,
        "valid": ok,
        "problems": [
            {"file": p.file, "where": p.where, "level": p.level, "message": p.message}
            for p in report.problems
        ],
    }


@click.command("build", cls=FormatCommand)
@content_argument
@click.option(
    "--out",
    "out_dir",
    default="dist",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The output folder; it is replaced as a whole when the build succeeds.",
)
@format_option("Build only this format (repeat for several). Default: every format.")
@set_option
@click.option("--strict", is_flag=True, help="Treat content warnings as errors.")
@jobs_option
def build_command(
    content_dir: Path,
    out_dir: Path,
    formats: tuple[str, ...],
    settings: tuple[str, ...],
    strict: bool,
    jobs: int | None,
    **aliases: bool,
) -> None:
    """Validate CONTENT_DIR (default: ./content) and build every format into --out.

    Each format gets its own subfolder, and manifest.json lists every file with its size and
    sha256. Output goes to a temporary folder first and replaces --out only when every format
    succeeded. Two builds of the same content are byte-identical (SOURCE_DATE_EPOCH sets the
    timestamp; by default it is the content's review date). --out must be empty or hold only
    what an earlier build wrote.
    """
    from sciatica_pipeline.run.pipeline import Pipeline, require_build_output

    chosen = selection("bundle", formats, settings, alias_flags(aliases))
    require_build_output(out_dir, content_dir)
    pipeline = Pipeline.open(content_dir, host(), strict=strict, limits=state().limits())
    print_problems(pipeline.report.warnings)
    result = pipeline.build(out_dir, chosen, jobs=jobs)
    for name in chosen.formats:
        say(f"{name}: {count(len(result.artifacts[name]), 'file')} in {out_dir / name}")
    say(
        f"Built {count(len(chosen.formats), 'format')} into {out_dir} "
        f"(see {out_dir}/manifest.json)."
    )
