"""The command line: parses options, calls the library, and maps failures to exit codes.

Exit codes: 0 success, 1 bad content or patient data (or a failed export), 2 bad usage.
Heavy libraries are not imported here, so `--help` and `--version` start fast.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from sciatica_pipeline.cli.figure import figure_command
from sciatica_pipeline.errors import PipelineError, Problem, ProblemsError

if TYPE_CHECKING:
    from sciatica_pipeline.inputs.validation import Report
    from sciatica_pipeline.plugins.manager import PluginHost

# Library modules (jsonschema, plugins, exporters) are imported inside the commands that use
# them, so `--help` and `--version` stay fast.


class _Group(click.Group):
    """Turns errors a person caused into plain messages; `--debug` shows the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except ProblemsError as exc:
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
@click.option(
    "--plugins-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="plugins",
    show_default=True,
    envvar="SCIATICA_PIPELINE_PLUGINS_DIR",
    help="Folder of local plugin files (*.py) to load.",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, plugins_dir: Path) -> None:
    """Publish one reviewed body of sciatica exercise-therapy content to every channel a
    patient or record system needs: PDF booklets, calendars, EHR CSV and SMS.

    Start with `sciatica-pipeline validate` after editing content, then `build`.
    """
    ctx.obj = _State(plugins_dir)


class _State:
    """Per-invocation state: plugins are loaded on first use, so --help loads none."""

    def __init__(self, plugins_dir: Path) -> None:
        self.plugins_dir = plugins_dir
        self._host: PluginHost | None = None

    def host(self) -> PluginHost:
        if self._host is None:
            from sciatica_pipeline.plugins.manager import load_plugins

            self._host = load_plugins(self.plugins_dir)
            for problem in self._host.problems:
                click.echo(f"warning: {problem}", err=True)
        return self._host


def _host() -> PluginHost:
    state = click.get_current_context().find_object(_State)
    assert state is not None
    return state.host()


content_argument = click.argument(
    "content_dir",
    default="content",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)

content_option = click.option(
    "--content",
    "content_dir",
    default="content",
    show_default=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The content folder.",
)

set_option = click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="FORMAT.OPTION=VALUE",
    help="Set an exporter option, for example pdf.paper=a4 (see `formats`).",
)


_Command = TypeVar("_Command", bound=Callable[..., Any])


def format_option(help_text: str) -> Callable[[_Command], _Command]:
    """`--format NAME`, repeatable, with the command's own help text."""
    return click.option("--format", "-f", "formats", multiple=True, metavar="NAME", help=help_text)


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
    from sciatica_pipeline.inputs.validation import validate

    report = validate(content_dir, checks=_host().content_checks())
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


excel_option = click.option(
    "--excel",
    is_flag=True,
    help="Write CSV files with a byte-order mark, for spreadsheet programs "
    "(the same as --set csv.excel=true).",
)


def _with_excel(settings: tuple[str, ...], excel: bool, formats: Sequence[str]) -> tuple[str, ...]:
    """Add `csv.excel=true` for --excel; it only makes sense when CSV is being written."""
    if not excel:
        return settings
    if "csv" not in formats:
        raise click.BadParameter(
            "it applies to the csv format, which is not being written", param_hint="--excel"
        )
    return (*settings, "csv.excel=true")


def _parse_settings(
    settings: Sequence[str], host: PluginHost, formats: Sequence[str]
) -> dict[str, dict[str, str]]:
    """`--set pdf.paper=a4` values, checked against what each exporter accepts."""
    options: dict[str, dict[str, str]] = {}
    for setting in settings:
        target, sep, value = setting.partition("=")
        name, dot, key = target.partition(".")
        if not sep or not dot or not name or not key:
            raise click.BadParameter(
                f"{setting!r} should look like FORMAT.OPTION=VALUE, for example pdf.paper=a4",
                param_hint="--set",
            )
        if name not in formats:
            raise click.BadParameter(
                f"{name!r} is not one of the formats being built ({', '.join(formats)})",
                param_hint="--set",
            )
        accepted = host.exporter(name).options
        if key not in accepted:
            known = ", ".join(sorted(accepted)) or "none"
            raise click.BadParameter(
                f"the {name} format has no option {key!r} (its options: {known})",
                param_hint="--set",
            )
        options.setdefault(name, {})[key] = value
    for name, values in options.items():
        try:
            host.exporter(name).check_options(values)
        except PipelineError as exc:
            raise click.BadParameter(str(exc), param_hint="--set") from exc
    return options


@cli.command("build")
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
@excel_option
def build_command(
    content_dir: Path,
    out_dir: Path,
    formats: tuple[str, ...],
    settings: tuple[str, ...],
    strict: bool,
    excel: bool,
) -> None:
    """Validate CONTENT_DIR (default: ./content) and build every format into --out.

    Each format gets its own subfolder, and manifest.json lists every file with its size and
    sha256. Output goes to a temporary folder first and replaces --out only when every format
    succeeded. Two builds of the same content are byte-identical (SOURCE_DATE_EPOCH sets the
    timestamp; by default it is the content's review date).
    """
    from sciatica_pipeline.inputs.validation import validate
    from sciatica_pipeline.run.build import MANIFEST, build
    from sciatica_pipeline.run.writer import unsafe_output

    host = _host()
    # Every format by default; per-patient-only ones (a calendar) say so in the summary.
    chosen = _select_formats(formats, sorted(host.exporters), "format")
    options = _parse_settings(_with_excel(settings, excel, chosen), host, chosen)
    unsafe = unsafe_output(out_dir, content_dir, owned_by=MANIFEST)
    if unsafe:
        raise click.BadParameter(unsafe, param_hint="--out")
    if not any(_has_bundle_output(host.exporter(name)) for name in chosen):
        raise click.BadParameter(
            f"{', '.join(chosen)}: per-patient output only; use `sciatica-pipeline patients`",
            param_hint="--format",
        )
    report = validate(content_dir, checks=host.content_checks())
    _report_or_fail(report, strict=strict)
    assert report.bundle is not None
    exporters = [(host.exporter(name), host.exporter_plugin[name]) for name in chosen]
    result = build(report.bundle, exporters, out_dir, options=options)
    for name in chosen:
        count = len(result.artifacts[name])
        if count:
            click.echo(f"{name}: {_count(count, 'file')} in {out_dir / name}")
        else:
            click.echo(f"{name}: per-patient only; run `sciatica-pipeline patients` for it")
    built = sum(1 for name in chosen if result.artifacts[name])
    click.echo(f"Built {_count(built, 'format')} into {out_dir} (see {out_dir}/manifest.json).")


def _has_bundle_output(exporter: Any) -> bool:
    """Whether an exporter overrides `render`, i.e. writes anything at the bundle level."""
    from sciatica_pipeline.plugins.exporter import Exporter

    return type(exporter).render is not Exporter.render


def _select_formats(requested: Sequence[str], names: Sequence[str], what: str) -> list[str]:
    """The formats asked for with --format (each checked against `names`), or all of them."""
    unknown = [f for f in requested if f not in names]
    if unknown:
        raise click.BadParameter(
            f"no {what} named {', '.join(map(repr, unknown))}; available: "
            + (", ".join(names) or "none"),
            param_hint="--format",
        )
    chosen = list(dict.fromkeys(requested)) or list(names)
    if not chosen:
        raise click.ClickException(
            f"no exporter plugin provides a {what}, so there is nothing to do"
        )
    return chosen


def _print_record_problems(record: Any) -> None:
    for problem in record.problems:
        click.echo(str(problem), err=True)


@cli.command("patients")
@click.argument(
    "patients_file",
    default="content/examples/patients.csv",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
)
@content_option
@click.option(
    "--out",
    "out_dir",
    default="dist/patients",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder: one private subfolder per patient.",
)
@format_option("Only this per-patient format (repeat for several). Default: every one.")
@set_option
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: every core).",
)
@excel_option
def patients_command(
    patients_file: str,
    content_dir: Path,
    out_dir: Path,
    formats: tuple[str, ...],
    settings: tuple[str, ...],
    jobs: int | None,
    excel: bool,
) -> None:
    """Write every per-patient format for every patient of PATIENTS_FILE.

    PATIENTS_FILE is CSV (with a header row), JSON (a list) or JSON Lines; `-` reads standard
    input; the default is the bundled example. Each patient gets a folder in --out, readable
    by the owner only, with one subfolder per format, replaced atomically on every run. A bad
    record is reported with its row and column and skipped; the good patients are still
    written, and the run exits 1.
    """
    import os

    from sciatica_pipeline.inputs.patients import read_patients
    from sciatica_pipeline.inputs.validation import load_bundle
    from sciatica_pipeline.run.build import build_time
    from sciatica_pipeline.run.roster import RosterJob, prepare, run_roster
    from sciatica_pipeline.run.writer import PATIENTS_MARKER, unsafe_output

    state = click.get_current_context().find_object(_State)
    assert state is not None
    host = _host()
    per_patient = sorted(n for n, e in host.exporters.items() if e.needs == "patients")
    chosen = _select_formats(formats, per_patient, "per-patient format")
    options = _parse_settings(_with_excel(settings, excel, chosen), host, chosen)
    unsafe = unsafe_output(out_dir, content_dir, owned_by=PATIENTS_MARKER)
    if unsafe:
        raise click.BadParameter(unsafe, param_hint="--out")
    bundle = load_bundle(content_dir)
    jobs = jobs or os.cpu_count() or 1
    job = RosterJob(
        content_dir, state.plugins_dir, tuple(chosen), options, build_time(bundle), out_dir
    )
    prepare(job, bundle, [host.exporter(name) for name in chosen])
    records = read_patients(patients_file, bundle)
    with _progress_bar(patients_file) as bar:

        def on_bad_record(record: Any) -> None:
            bar.update(1)
            _print_record_problems(record)

        def on_outcome(outcome: Any) -> None:
            bar.update(1)
            # Messages name the patient by id only.
            for note in outcome.skipped:
                click.echo(f"{patients_file}: patient {outcome.patient_id}: {note}", err=True)
            if outcome.error:
                click.echo(
                    f"{patients_file}: patient {outcome.patient_id}: {outcome.error}", err=True
                )

        summary = run_roster(
            job, records, jobs=jobs, on_bad_record=on_bad_record, on_outcome=on_outcome
        )
    skipped = (
        f"; {_count(summary.skipped, 'patient')} without some format (see above)"
        if summary.skipped
        else ""
    )
    click.echo(
        f"Wrote {_count(summary.written, 'patient')} ({', '.join(chosen)}) into {out_dir}{skipped}."
    )
    if not summary.ok:
        problems = []
        if summary.bad_records:
            problems.append(f"{_count(summary.bad_records, 'record')} had problems")
        if summary.failed:
            problems.append(f"{_count(summary.failed, 'patient')} could not be written")
        raise click.ClickException(
            f"{patients_file}: {' and '.join(problems)} (see above); fix them and run again."
        )


class _NoBar:
    """Stands in for a progress bar when stderr is not a terminal."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _progress_bar(patients_file: str) -> Any:
    """A progress bar on a terminal, sized by counting the file's records first (a cheap
    second read); none for standard input, which cannot be read twice."""
    from sciatica_pipeline.inputs.patients import count_records

    if not _stderr_is_terminal():
        return _NoBar()
    total = count_records(patients_file)
    if total is None:
        return _NoBar()
    return click.progressbar(length=total, label="Patients", file=sys.stderr, show_pos=True)


def _parse_times(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    return [t for t in value.replace(";", ",").replace(" ", ",").split(",") if t]


@cli.command("calendar")
@click.option("--plan", "plan_id", required=True, help="The plan's id, for example sciatica-plan.")
@click.option(
    "--start", "start_date", required=True, metavar="YYYY-MM-DD", help="The first day of week 1."
)
@click.option(
    "--tz",
    "timezone",
    required=True,
    metavar="ZONE",
    help="IANA time zone, for example America/New_York.",
)
@click.option(
    "--times",
    required=True,
    callback=_parse_times,
    metavar="HH:MM,HH:MM",
    help="One local time per daily session, for example 08:00,18:00.",
)
@click.option(
    "--patient-id",
    default="patient",
    show_default=True,
    help="Opaque id; keeps event ids stable across runs.",
)
@click.option("--name", default=None, help="The patient's name (optional).")
@click.option(
    "--lead",
    "reminder_minutes",
    type=int,
    default=None,
    help="Minutes of warning before each session (default 15).",
)
@click.option("--clinic-name", default=None, help="Clinic name shown in reminders.")
@click.option("--clinic-phone", default=None, help="Clinic phone shown in reminders.")
@content_option
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    help="Write the calendar here; - for standard output.",
)
def calendar_command(
    plan_id: str,
    start_date: str,
    timezone: str,
    times: list[str],
    patient_id: str,
    name: str | None,
    reminder_minutes: int | None,
    clinic_name: str | None,
    clinic_phone: str | None,
    content_dir: Path,
    output: str,
) -> None:
    """Write one patient's reminder calendar (iCalendar) to a file or standard output."""
    from sciatica_pipeline.exporters.ics import calendar_bytes
    from sciatica_pipeline.inputs.patients import patient_from_record
    from sciatica_pipeline.inputs.validation import load_bundle
    from sciatica_pipeline.model.schedule import schedule
    from sciatica_pipeline.run.build import build_time

    bundle = load_bundle(content_dir)
    record: dict[str, Any] = {
        "id": patient_id,
        "plan": plan_id,
        "start_date": start_date,
        "timezone": timezone,
        "session_times": times,
        "name": name,
        "reminder_minutes": reminder_minutes,
        "clinic_name": clinic_name,
        "clinic_phone": clinic_phone,
    }
    record = {k: v for k, v in record.items() if v is not None}
    option_names = {
        "id": "--patient-id",
        "plan": "--plan",
        "start_date": "--start",
        "timezone": "--tz",
        "session_times": "--times",
        "reminder_minutes": "--lead",
        "name": "--name",
        "clinic_name": "--clinic-name",
        "clinic_phone": "--clinic-phone",
    }

    def locate(field: str | None) -> str:
        return option_names.get(field or "", "options")

    patient, problems = patient_from_record(record, bundle, "calendar", locate)
    if patient is None:
        raise click.UsageError("; ".join(f"{p.where}: {p.message}" for p in problems))
    data = calendar_bytes(bundle, schedule(bundle, patient), build_time(bundle))
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    _write_private_file(Path(output), data)
    click.echo(f"Wrote the calendar for patient {patient.id} to {output}.", err=True)


def _write_private_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, readable by the owner only (patient data)."""
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from exc
    if path.is_dir():
        Path(temp).unlink()
        raise click.ClickException(
            f"{path} is a folder; give a file name, for example {path / 'calendar.ics'}"
        )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(temp).chmod(0o600)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@cli.command("formats")
def formats_command() -> None:
    """List the available output formats with their descriptions and options."""
    host = _host()
    if not host.exporters:
        click.echo("No formats are available: no exporter plugin is loaded.")
        return
    width = max(len(name) for name in host.exporters)
    for name in sorted(host.exporters):
        exporter = host.exporter(name)
        scope = "uses patient schedules" if exporter.needs == "patients" else "bundle only"
        click.echo(f"{name:<{width}}  {exporter.description} [{scope}]")
        for key, help_text in sorted(exporter.options.items()):
            click.echo(f"{'':<{width}}    --set {name}.{key}=...  {help_text}")


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins_command(as_json: bool) -> None:
    """List every loaded plugin: version, where it came from, and what it provides."""
    import json

    host = _host()
    if as_json:
        data = {
            "plugins": [
                {
                    "name": i.name,
                    "version": i.version,
                    "origin": i.origin,
                    "location": i.location,
                    "formats": list(i.formats),
                    "checks": list(i.checks),
                }
                for i in host.infos
            ],
            "skipped": [
                {"name": p.plugin, "location": p.location, "reason": p.reason}
                for p in host.problems
            ],
        }
        click.echo(json.dumps(data, indent=2))
        return
    rows = [("NAME", "VERSION", "SOURCE", "PROVIDES")]
    for i in host.infos:
        source = i.origin if i.origin == "built-in" else f"{i.origin}: {i.location}"
        provides = ", ".join([*i.formats, *(f"check {c}" for c in i.checks)]) or "-"
        rows.append((i.name, i.version, source, provides))
    widths = [max(len(r[c]) for r in rows) for c in range(3)]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
        )


def main(argv: Sequence[str] | None = None) -> None:
    """The console-script entry point."""
    cli.main(args=list(argv) if argv is not None else sys.argv[1:], prog_name="sciatica-pipeline")


cli.add_command(figure_command)
