"""What every command shares: loading the plugins on first use, the common options, the
alias flags exporters declare, and turning library errors into plain messages and exit codes.

Exit codes: 0 success, 1 bad content or patient data (or a failed export), 2 bad usage.
Nothing heavy is imported at module level, so `--help` and `--version` start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from sciatica_pipeline.errors import Problem, UsageError

if TYPE_CHECKING:
    from sciatica_pipeline.plugins.exporter import Scope
    from sciatica_pipeline.plugins.manager import PluginHost
    from sciatica_pipeline.run.limits import Limits
    from sciatica_pipeline.run.selection import Selection


class State:
    """Per-invocation state: plugins are loaded on first use, so --help loads none."""

    def __init__(
        self,
        plugins_dir: Path | None,
        quiet: bool = False,
        render_timeout: float = 600.0,
        max_file_mb: int = 512,
    ) -> None:
        self.plugins_dir = plugins_dir
        self.quiet = quiet
        self.render_timeout = render_timeout
        self.max_file_mb = max_file_mb
        self._host: PluginHost | None = None

    def limits(self) -> Limits:
        """The bounds on each render that the options set."""
        from sciatica_pipeline.run.limits import Limits

        return Limits(self.render_timeout, self.max_file_mb << 20)

    def host(self) -> PluginHost:
        """The loaded plugins; problems loading them are printed once, as warnings."""
        if self._host is None:
            from sciatica_pipeline.plugins.manager import default_plugins_dir, load_plugins

            folder = self.plugins_dir if self.plugins_dir is not None else default_plugins_dir()
            self._host = load_plugins(folder)
            for problem in self._host.problems:
                click.echo(f"warning: {problem}", err=True)
        return self._host


def state() -> State:
    """The running command's state."""
    found = click.get_current_context().find_object(State)
    assert found is not None
    return found


def host() -> PluginHost:
    """The running command's plugins."""
    return state().host()


def say(message: str) -> None:
    """Print a progress or summary line, unless --quiet."""
    if not state().quiet:
        click.echo(message)


def count(n: int, noun: str) -> str:
    """`1 format`, `2 formats`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def print_problems(problems: Sequence[Problem]) -> None:
    """Every problem on its own line, on standard error."""
    for problem in problems:
        click.echo(str(problem), err=True)


def summary(source: str, problems: Sequence[Problem]) -> str:
    """The closing line of a report with problems."""
    errors = sum(1 for p in problems if p.level == "error")
    warnings = len(problems) - errors
    found = count(errors, "error")
    if warnings:
        found += f" and {count(warnings, 'warning')}"
    return f"{source}: found {found}. Fix the lines above and run the command again."


#: How the library's option names are written on the command line.
FLAGS = {"out": "--out", "format": "--format", "set": "--set", "output": "--output"}


def usage_error(exc: UsageError) -> click.UsageError:
    """The library's usage error as click's (exit 2), naming the option."""
    if exc.option is None:
        return click.UsageError(str(exc))
    return click.BadParameter(str(exc), param_hint=FLAGS.get(exc.option, f"--{exc.option}"))


def default_content() -> Path:
    """`./content` when there is one, else the content that comes with the package."""
    here = Path("content")
    if here.is_dir():
        return here
    from sciatica_pipeline.inputs.schemas import data_dir

    return data_dir("content")


class ContentPath(click.Path):
    """A content folder; when none is given, `./content` or the bundled content."""

    def __init__(self, *, allow_dash: bool = False) -> None:
        super().__init__(exists=True, file_okay=False, path_type=Path, allow_dash=allow_dash)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "-" and self.allow_dash:
            return Path("-")
        if not Path(value).exists():
            self.fail(
                f"the folder {value!s} does not exist; give the path of a content folder (the "
                "one holding bundle.json), or leave it out to use ./content or the bundled one",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


content_argument = click.argument(
    "content_dir", required=False, default=lambda: str(default_content()), type=ContentPath()
)

content_option = click.option(
    "--content",
    "content_dir",
    default=lambda: str(default_content()),
    type=ContentPath(),
    help="The content folder (default: ./content, else the bundled content).",
)

set_option = click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="FORMAT.OPTION=VALUE",
    help="Set an exporter option, for example pdf.paper=a4 (see `formats`).",
)

jobs_option = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: every core).",
)

_Command = TypeVar("_Command", bound=Callable[..., Any])


def format_option(help_text: str) -> Callable[[_Command], _Command]:
    """`--format NAME`, repeatable, with the command's own help text."""
    return click.option("--format", "-f", "formats", multiple=True, metavar="NAME", help=help_text)


class FormatCommand(click.Command):
    """A command that writes formats: it also takes the flags exporters declare as aliases
    (`--excel` is the csv format's), which are loaded with the plugins when the command's
    options are parsed, so the top-level `--help` loads no plugin."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        found = ctx.find_object(State)
        if found is None:
            return params
        from sciatica_pipeline.run.selection import aliases

        taken = {opt for p in params for opt in p.opts}
        extra: list[click.Parameter] = []
        for flag, (_, alias) in aliases(found.host()).items():
            if f"--{flag}" in taken:
                continue
            extra.append(
                click.Option(
                    [f"--{flag}", "alias_" + flag.replace("-", "_")], is_flag=True, help=alias.help
                )
            )
        return [*params[:-1], *extra, params[-1]]  # --help stays last


def alias_flags(kwargs: dict[str, Any]) -> list[str]:
    """The alias flags given on the command line (and take them out of `kwargs`)."""
    given = [key for key in list(kwargs) if key.startswith("alias_")]
    # Flags are slugs (no underscores), so the parameter name maps back to the flag.
    return [key.removeprefix("alias_").replace("_", "-") for key in given if kwargs.pop(key)]


def selection(
    scope: Scope, formats: Sequence[str], settings: Sequence[str], flags: Sequence[str]
) -> Selection:
    """The formats and options asked for, checked against the loaded plugins."""
    from sciatica_pipeline.run.selection import select

    return select(host(), scope, formats, settings, flags)


def stderr_is_terminal() -> bool:
    """Whether standard error is a terminal (for progress bars)."""
    return sys.stderr.isatty()
