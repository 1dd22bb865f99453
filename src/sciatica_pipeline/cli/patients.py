"""`patients`: every per-patient format for every patient of a list."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sciatica_pipeline.cli.common import (
    FormatCommand,
    alias_flags,
    content_option,
    count,
    format_option,
    host,
    jobs_option,
    print_problems,
    say,
    selection,
    set_option,
    state,
    stderr_is_terminal,
)

#: Where `patients` writes when --out is not given: apart from `build`'s dist/, which a
#: build replaces as a whole.
DEFAULT_OUT = "patient-output"


@click.command("patients", cls=FormatCommand)
@click.argument("patients_file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@content_option
@click.option(
    "--out",
    "out_dir",
    default=DEFAULT_OUT,
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder: one private subfolder per patient.",
)
@format_option("Only this per-patient format (repeat for several). Default: every one.")
@set_option
@jobs_option
def patients_command(
    patients_file: str,
    content_dir: Path,
    out_dir: Path,
    formats: tuple[str, ...],
    settings: tuple[str, ...],
    jobs: int | None,
    **aliases: bool,
) -> None:
    """Write every per-patient format for every patient of PATIENTS_FILE.

    PATIENTS_FILE is CSV (with a header row), JSON (a list) or JSON Lines; `-` reads standard
    input (content/examples/patients.csv is an example). Each patient gets a folder in --out,
    readable by the owner only, with one subfolder per format, replaced atomically on every
    run. A bad record is reported with its row and column and skipped; a format that fails
    for a patient is reported and the patient's other formats are still written; the run
    then exits 1.
    """
    from sciatica_pipeline.run.pipeline import Pipeline, require_patients_output

    chosen = selection("patient", formats, settings, alias_flags(aliases))
    require_patients_output(out_dir, content_dir)
    pipeline = Pipeline.open(content_dir, host(), limits=state().limits())
    print_problems(pipeline.report.warnings)
    with _progress_bar(patients_file) as bar:

        def on_bad_record(record: Any) -> None:
            bar.update(1)
            print_problems(record.problems)

        def on_outcome(outcome: Any) -> None:
            bar.update(1)
            # Messages name the patient by id only.
            for note in (*outcome.skipped, *outcome.failed, *filter(None, [outcome.error])):
                click.echo(f"{patients_file}: patient {outcome.patient_id}: {note}", err=True)

        result = pipeline.run_patients(
            patients_file,
            out_dir,
            chosen,
            jobs=jobs,
            on_bad_record=on_bad_record,
            on_outcome=on_outcome,
            on_warning=lambda record: print_problems(record.problems),
        )
    skipped = (
        f"; {count(result.skipped, 'patient')} without some format (see above)"
        if result.skipped
        else ""
    )
    say(
        f"Wrote {count(result.written, 'patient')} ({', '.join(chosen.formats)}) into "
        f"{out_dir}{skipped}."
    )
    if not result.ok:
        problems = []
        if result.bad_records:
            problems.append(f"{count(result.bad_records, 'record')} had problems")
        if result.failed:
            problems.append(f"{count(result.failed, 'patient')} could not be written in full")
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


def _progress_bar(patients_file: str) -> Any:
    """A progress bar on a terminal, sized by counting the file's records first (a cheap
    second read); none for standard input, which cannot be read twice."""
    from sciatica_pipeline.inputs.patients import count_records

    if not stderr_is_terminal():
        return _NoBar()
    total = count_records(patients_file)
    if total is None:
        return _NoBar()
    return click.progressbar(length=total, label="Patients", file=sys.stderr, show_pos=True)
