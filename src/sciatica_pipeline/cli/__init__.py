"""The command line: parses options, calls the library (`sciatica_pipeline.run`), and maps
failures to exit codes. Each command lives in a module of its own.

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

from sciatica_pipeline.cli.common import State, print_problems, summary, usage_error
from sciatica_pipeline.cli.content import build_command, validate_command
from sciatica_pipeline.cli.figure import figure_command
from sciatica_pipeline.cli.info import formats_command, plugins_command
from sciatica_pipeline.cli.patients import patients_command
from sciatica_pipeline.cli.single import booklet_command, calendar_command
from sciatica_pipeline.errors import PipelineError, ProblemsError, UsageError


class _Group(click.Group):
    """Turns errors a person caused into plain messages; `--debug` shows the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except ProblemsError as exc:
            _traceback(ctx)
            print_problems(exc.problems)
            raise click.ClickException(summary(exc.source, exc.problems)) from exc
        except UsageError as exc:
            _traceback(ctx)
            raise usage_error(exc) from exc
        except PipelineError as exc:
            _traceback(ctx)
            raise click.ClickException(str(exc)) from exc
        except Exception as exc:
            _traceback(ctx)
            click.echo(
                f"Error: an unexpected internal error happened ({type(exc).__name__}). "
                "Run the command again with --debug to see the details, and report it.",
                err=True,
            )
            ctx.exit(3)


def _traceback(ctx: click.Context) -> None:
    if ctx.find_root().params.get("debug"):
        traceback.print_exc()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sciatica-pipeline", prog_name="sciatica-pipeline")
@click.option(
    "--debug",
    is_flag=True,
    envvar="SCIATICA_PIPELINE_DEBUG",
    help="Show a traceback when something fails (for developers).",
)
@click.option(
    "--plugins-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="SCIATICA_PIPELINE_PLUGINS_DIR",
    help="Folder of local plugin files (*.py) to load (default: ./plugins, else the one "
    "beside the bundled content).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems, no progress lines.")
@click.option(
    "--render-timeout",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    metavar="SECONDS",
    envvar="SCIATICA_PIPELINE_RENDER_TIMEOUT",
    help="Fail a format that renders the bundle, or one patient, for longer (0: no limit).",
)
@click.option(
    "--max-file-mb",
    type=click.IntRange(min=0),
    default=512,
    show_default=True,
    metavar="MB",
    envvar="SCIATICA_PIPELINE_MAX_FILE_MB",
    help="Fail a format that returns a larger file (0: no limit).",
)
@click.pass_context
def cli(
    ctx: click.Context,
    debug: bool,
    plugins_dir: Path | None,
    quiet: bool,
    render_timeout: float,
    max_file_mb: int,
) -> None:
    """Publish one reviewed body of sciatica exercise-therapy content to every channel a
    patient or record system needs: PDF booklets, calendars, EHR CSV and SMS.

    Start with `sciatica-pipeline validate` after editing content, then `build`.
    """
    ctx.obj = State(plugins_dir, quiet, render_timeout, max_file_mb)


for _command in (
    validate_command,
    build_command,
    patients_command,
    calendar_command,
    booklet_command,
    figure_command,
    formats_command,
    plugins_command,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """The console-script entry point."""
    cli.main(args=list(argv) if argv is not None else sys.argv[1:], prog_name="sciatica-pipeline")
