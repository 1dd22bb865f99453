"""Commands that render one per-patient format for one patient given by options, such as
`calendar`: the patient is checked like a record of a patients file, and the format is
rendered through the plugin host like any other."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sciatica_pipeline.cli.common import content_option, host, state

#: The options that describe the patient, by the record field they set.
OPTION_NAMES = {
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


#: The id a one-patient command uses when none is given.
DEFAULT_ID = "patient"


def _parse_times(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    return [t for t in value.replace(";", ",").replace(" ", ",").split(",") if t]


def _patient_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every one-patient command takes, in `--help` order."""
    options = [
        click.option("--plan", "plan_id", required=True, help="The plan's id, e.g. sciatica-plan."),
        click.option(
            "--start",
            "start_date",
            required=True,
            metavar="YYYY-MM-DD",
            help="The first day of week 1.",
        ),
        click.option(
            "--tz",
            "timezone",
            required=True,
            metavar="ZONE",
            help="IANA time zone, for example America/New_York.",
        ),
        click.option(
            "--times",
            required=True,
            callback=_parse_times,
            metavar="HH:MM,HH:MM",
            help="One local time per daily session, for example 08:00,18:00.",
        ),
        click.option(
            "--patient-id",
            default=DEFAULT_ID,
            show_default=True,
            help="Opaque id; keeps event ids stable across runs.",
        ),
        click.option("--name", default=None, help="The patient's name (optional)."),
        click.option(
            "--lead",
            "reminder_minutes",
            type=int,
            default=None,
            help="Minutes of warning before each session (default 15).",
        ),
        click.option("--clinic-name", default=None, help="Clinic name shown to the patient."),
        click.option("--clinic-phone", default=None, help="Clinic phone shown to the patient."),
        content_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def patient_format_command(
    command_name: str, format_name: str, media_type: str, what: str, help_text: str
) -> click.Command:
    """A command that writes one patient's `format_name` artifact of `media_type`.

    :param what: what the file is, for messages (`the calendar`).
    :param help_text: the command's `--help` text.
    """

    @click.command(command_name, help=help_text)
    @_patient_options
    @click.option(
        "-o",
        "--output",
        default="-",
        show_default=True,
        help="Write the file here; - for standard output.",
    )
    def command(
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
        from sciatica_pipeline.inputs.patients import patient_from_options
        from sciatica_pipeline.run.pipeline import Pipeline
        from sciatica_pipeline.run.selection import select
        from sciatica_pipeline.run.writer import write_private_file

        chosen = select(host(), "patient", [format_name])
        pipeline = Pipeline.open(content_dir, host(), limits=state().limits())
        values = {
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
        patient, warnings = patient_from_options(values, pipeline.bundle, OPTION_NAMES)
        for warning in warnings:
            click.echo(f"warning: {warning.where}: {warning.message}", err=True)
        artifacts = pipeline.render_patient(chosen, patient)
        wanted = [a for a in artifacts if a.media_type == media_type]
        if not wanted:
            raise click.ClickException(
                f"the {format_name} format wrote no {media_type} file for this patient"
            )
        data = wanted[0].data
        if output == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return
        write_private_file(Path(output), data)
        whose = "" if patient_id == DEFAULT_ID else f" for patient {patient.id}"
        click.echo(f"Wrote {what}{whose} to {output}.", err=True)

    return command


calendar_command = patient_format_command(
    "calendar",
    "ics",
    "text/calendar",
    "the calendar",
    "Write one patient's reminder calendar (iCalendar) to a file or standard output.",
)
