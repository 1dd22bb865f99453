"""The command line: parses options, calls the library, and maps failures to exit codes.

Exit codes: 0 success, 1 bad content or patient data (or a failed export), 2 bad usage.
Heavy libraries are not imported here, so `--help` and `--version` start fast.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from .errors import ContentError, PipelineError, Problem
from .validation import Report, validate


class _Group(click.Group):
    """Turns errors a person caused into plain messages; `--debug` shows the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except ContentError as exc:
            _print_problems(exc.problems)
            raise click.ClickException(_summary(exc.source, exc.problems)) from exc
        except PipelineError as exc:
            if _debug(ctx):
                traceback.print_exc()
            raise click.ClickException(str(exc)) from exc
        except Exception as exc:
            if _debug(ctx):
                traceback.print_exc()
            click.echo(
                f"Error: an unexpected internal error happened ({type(exc).__name__}: {exc}). "
                "Run the command again with --debug to see the details, and report it.",
                err=True,
            )
            ctx.exit(1)


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug"))


def _print_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _summary(source: str, problems: Sequence[Problem]) -> str:
    errors = sum(1 for p in problems if p.level == "error")
    warnings = len(problems) - errors
    found = _count(errors, "error")
    if warnings:
        found += f" and {_count(warnings, 'warning')}"
    return f"{source}: found {found}. Fix the lines above and run the command again."


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sciatica-pipeline", prog_name="sciatica-pipeline")
@click.option(
    "--debug",
    is_flag=True,
    envvar="SCIATICA_PIPELINE_DEBUG",
    help="Show a traceback when something fails (for developers).",
)
def cli(debug: bool) -> None:
    """Publish one reviewed body of sciatica exercise-therapy content to every channel a
    patient or record system needs: PDF booklets, calendars, EHR CSV and SMS.

    Start with `sciatica-pipeline validate` after editing content, then `build`.
    """


content_argument = click.argument(
    "content_dir",
    default="content",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)


def _report_or_fail(report: Report, *, strict: bool) -> None:
    """Print every problem; fail (exit 1) when the content cannot be used."""
    _print_problems(report.problems)
    if not report.ok(strict=strict):
        raise click.ClickException(_summary(report.source, report.problems))


@cli.command("validate")
@content_argument
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def validate_command(content_dir: Path, strict: bool) -> None:
    """Check CONTENT_DIR (default: ./content) and report every problem with its place.

    Each problem is one line: the file, the JSON pointer (or line and column) and what is
    wrong. Exits 1 when there is an error (or, with --strict, a warning).
    """
    report = validate(content_dir)
    _report_or_fail(report, strict=strict)
    bundle = report.bundle
    assert bundle is not None
    counts = ", ".join(
        [
            _count(len(bundle.conditions), "condition"),
            _count(len(bundle.exercises), "exercise"),
            _count(len(bundle.precautions), "precaution"),
            _count(len(bundle.plans), "plan"),
            _count(len(bundle.advice), "advice item"),
        ]
    )
    warned = f" ({_count(len(report.warnings), 'warning')})" if report.warnings else ""
    manifest = bundle.manifest
    click.echo(f"{content_dir}: valid{warned}. {manifest.title} {manifest.version}: {counts}.")


@cli.command("build")
@content_argument
@click.option(
    "--out",
    "out_dir",
    default="dist",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The output folder.",
)
def build_command(content_dir: Path, out_dir: Path) -> None:
    """Validate CONTENT_DIR and build every available format into --out."""
    report = validate(content_dir)
    _report_or_fail(report, strict=False)
    click.echo(
        f"{content_dir}: valid. No output formats are available yet: the PDF, calendar, CSV "
        f"and SMS exporters are not written yet, so nothing was written to {out_dir}."
    )


def main(argv: Sequence[str] | None = None) -> None:
    """The console-script entry point."""
    cli.main(args=list(argv) if argv is not None else sys.argv[1:], prog_name="sciatica-pipeline")
