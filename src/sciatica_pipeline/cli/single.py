"""Commands that render one per-patient format for one patient given by options, such as
`calendar`: the patient is checked like a record of a patients file, and the format is
rendered through the plugin host like any other."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sciatica_pipeline.cli.common import content_option, host, state

if TYPE_CHECKING:
    from sciatica_pipeline.model.patient import Patient
    from sciatica_pipeline.plugins.exporter import Artifact

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
    "clinician_name": "--clinician-name",
    "clinician_phone": "--clinician-phone",
    "large_print": "--large-print",
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
    command_name: str,
    format_name: str,
    media_type: str,
    what: str,
    help_text: str,
    *,
    extra_options: Sequence[Callable[..., Any]] = (),
    pick: Callable[[Sequence[Artifact], Patient], Artifact | None] | None = None,
) -> click.Command:
    """A command that writes one patient's `format_name` artifact of `media_type`.

    :param what: what the file is, for messages (`the calendar`).
    :param help_text: the command's `--help` text.
    :param extra_options: more click options, each named after the record field it sets
        (`clinician_name`), listed in `OPTION_NAMES`.
    :param pick: which of the format's artifacts to write (default: the first of
        `media_type`).
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
        content_dir: Path,
        output: str,
        **fields: Any,
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
            **fields,
        }
        patient, warnings = patient_from_options(values, pipeline.bundle, OPTION_NAMES)
        for warning in warnings:
            click.echo(f"warning: {warning.where}: {warning.message}", err=True)
        artifacts = pipeline.render_patient(chosen, patient)
        wanted = [a for a in artifacts if a.media_type == media_type]
        chosen_file = pick(wanted, patient) if pick else (wanted[0] if wanted else None)
        if chosen_file is None:
            raise click.ClickException(
                f"the {format_name} format wrote no {media_type} file for this patient"
            )
        data = chosen_file.data
        if output == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return
        write_private_file(Path(output), data)
        whose = "" if patient_id == DEFAULT_ID else f" for patient {patient.id}"
        click.echo(f"Wrote {what}{whose} to {output}.", err=True)

    for option in extra_options:  # on a made command, each option is appended to its list
        command = option(command)
    return command


calendar_command = patient_format_command(
    "calendar",
    "ics",
    "text/calendar",
    "the calendar",
    "Write one patient's reminder calendar (iCalendar) to a file or standard output.",
)


def _pick_booklet(artifacts: Sequence[Artifact], patient: Patient) -> Artifact | None:
    """The large-print booklet when asked for, else the standard one."""
    name = "booklet-large-print.pdf" if patient.large_print else "booklet.pdf"
    return next((a for a in artifacts if a.path == name), None)


booklet_command = patient_format_command(
    "booklet",
    "pdf",
    "application/pdf",
    "the booklet",
    "Write one patient's personal booklet (PDF) to a file or standard output: their plan "
    "with their dates, clinic and clinician.",
    extra_options=(
        click.option(
            "--clinician-name", default=None, help="The clinician's name, printed on the cover."
        ),
        click.option(
            "--clinician-phone", default=None, help="The clinician's phone, printed on the cover."
        ),
        click.option(
            "--large-print",
            is_flag=True,
            default=False,
            help="Write the large-print edition (18-point text) instead of the standard one.",
        ),
    ),
    pick=_pick_booklet,
)
