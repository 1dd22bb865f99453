"""Built-in plugin: CSV for bulk import into an electronic health record (EHR).

`build` writes the program catalog (one row per plan, phase and exercise) and `datapackage.json`,
the Frictionless Data Package that documents both tables. `patients` writes one assignments
file for the whole run (one row per patient, phase and exercise, dated in each patient's
calendar) with the descriptor of that table, in `<out>/_run/csv/`. RFC 4180, UTF-8, CRLF;
text cells cannot start a spreadsheet formula. See docs/csv-data-dictionary.md and
docs/decisions/0004-csv-for-ehr.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import ClassVar

from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.exporters.ehr_csv.cells import (
    LINE_END,
    Cell,
    cell_text,
    csv_fragment,
    csv_text,
    encode,
    join_codes,
    neutralise,
    numbered,
)
from sciatica_pipeline.exporters.ehr_csv.schema import (
    ASSIGNMENTS,
    CATALOG,
    TABLES,
    descriptor_bytes,
    package,
)
from sciatica_pipeline.exporters.wording import describe_dosage, precaution_line
from sciatica_pipeline.inputs.codes import EXERCISE_THERAPY_SNOMED, THERAPEUTIC_EXERCISE_CPT
from sciatica_pipeline.model.content import Bundle, Phase, Plan, Prescription
from sciatica_pipeline.model.schedule import phase_days
from sciatica_pipeline.plugins.exporter import (
    Alias,
    Artifact,
    BuildContext,
    Exporter,
    PatientContext,
    RunContext,
    RunFile,
    RunPart,
)
from sciatica_pipeline.plugins.hookspecs import hookimpl

DATAPACKAGE = "datapackage.json"


def excel_option(options: Mapping[str, str]) -> bool:
    """The `excel` option: True writes a UTF-8 byte-order mark for spreadsheet users."""
    value = options.get("excel", "false")
    if value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PipelineError(
        f"the csv option excel must be true or false, not {value!r}; "
        "use --set csv.excel=true to write a byte-order mark for spreadsheets"
    )


def _cell(value: Cell) -> str:
    """Text is neutralised; numbers, booleans and empty cells are written as they are."""
    return neutralise(value) if isinstance(value, str) else cell_text(value)


def _instructions(bundle: Bundle, prescription: Prescription) -> str:
    exercise = bundle.exercises[prescription.exercise]
    return f"Starting position: {exercise.starting_position} {numbered(exercise.steps)}"


@dataclass(frozen=True, slots=True)
class _Row:
    """One (phase, exercise) row of a plan: its cells before and after the patient's dates."""

    phase: Phase
    head: tuple[str, ...]
    tail: tuple[str, ...]


def plan_rows(bundle: Bundle, plan: Plan) -> tuple[_Row, ...]:
    """Every (phase, exercise) row of a plan, its cells already neutralised.

    `head` holds the columns from plan_id to phase_name, `tail` those from exercise_id to
    content_version; the catalog puts the week range between them, assignments the dates.
    """
    condition = bundle.condition_of(plan)
    plan_cells = (
        plan.id,
        plan.title,
        condition.id,
        condition.name,
        join_codes(c.code for c in condition.icd10cm),
        join_codes(c.code for c in condition.snomed) or None,
    )
    rows = []
    for phase in plan.phases:
        head = tuple(_cell(v) for v in (*plan_cells, phase.number, phase.name))
        for prescription in phase.exercises:
            exercise = bundle.exercises[prescription.exercise]
            dosage = bundle.dosage_in(prescription)
            precautions = " ".join(precaution_line(p) for p in bundle.precautions_for(exercise))
            tail_values: tuple[Cell, ...] = (
                exercise.id,
                exercise.name,
                exercise.category,
                dosage.sets,
                dosage.reps,
                dosage.hold_seconds,
                dosage.times_per_day,
                dosage.minutes,
                dosage.per_side,
                describe_dosage(dosage),
                exercise.learn_in_person,
                _instructions(bundle, prescription),
                precautions,
                EXERCISE_THERAPY_SNOMED,
                THERAPEUTIC_EXERCISE_CPT,
                bundle.manifest.version,
            )
            rows.append(_Row(phase, head, tuple(_cell(v) for v in tail_values)))
    return tuple(rows)


def catalog_text(bundle: Bundle) -> str:
    """The program catalog as CSV text, plans in id order, phases and exercises as listed."""
    review = bundle.manifest.review
    dates = (review.reviewed_on.isoformat(), review.next_review_due.isoformat())
    lines: list[tuple[str, ...]] = [CATALOG.header]
    for plan in bundle.plans.values():
        for row in plan_rows(bundle, plan):
            weeks = (str(row.phase.week_from), str(row.phase.week_to))
            exercise = bundle.exercises[row.tail[0]]
            notes = _cell(" ".join((*exercise.clinician_notes, *plan.clinician_notes)) or None)
            lines.append((*row.head, *weeks, *row.tail, *dates, notes))
    return csv_text(lines)


@dataclass(frozen=True, slots=True)
class _PhaseLines:
    """A phase's assignment rows, serialised except for the patient's id and dates: the
    columns from plan_id to phase_name (`head`, the same on every row of the phase), and each
    row's columns from exercise_id on, with the line end (`tails`)."""

    phase: Phase
    head: str
    tails: tuple[str, ...]


_ASSIGNMENTS_HEADER = csv_text([ASSIGNMENTS.header])


class EhrCsv(Exporter):
    """The program catalog (bundle level) and the run's assignments, with their schemas."""

    name = "csv"
    description = "CSV for EHR import: a coded program catalog, and one assignments file a run."
    scopes = frozenset({"bundle", "run"})
    options: ClassVar[Mapping[str, str]] = {
        "excel": "true starts each CSV file with a UTF-8 byte-order mark, for spreadsheets "
        "(default false)"
    }
    aliases = (
        Alias(
            "excel",
            "excel",
            "true",
            "Write CSV files with a byte-order mark, for spreadsheet programs "
            "(the same as --set csv.excel=true).",
        ),
    )

    def check_options(self, options: Mapping[str, str]) -> None:
        """`excel` must be true or false."""
        excel_option(options)

    def render(self, context: BuildContext) -> Iterator[Artifact]:
        """The program catalog, the assignments header and the Data Package descriptor."""
        bom = excel_option(context.options)
        bundle = context.bundle
        yield Artifact(
            CATALOG.path, encode(catalog_text(bundle), bom=bom), "text/csv", patient_facing=False
        )
        yield Artifact(  # header only: `patients` writes the rows; the package documents both
            ASSIGNMENTS.path, encode(_ASSIGNMENTS_HEADER, bom=bom), "text/csv", patient_facing=False
        )
        descriptor = package(bundle.manifest, TABLES, context.build_time, suffix="ehr-csv")
        yield Artifact(
            DATAPACKAGE, descriptor_bytes(descriptor), "application/json", patient_facing=False
        )

    def run_files(self, context: RunContext) -> Iterator[RunFile | Artifact]:
        """One `assignments.csv` for every patient of the run, and its Data Package."""
        bom = excel_option(context.options)
        yield RunFile(ASSIGNMENTS.path, "text/csv", header=encode(_ASSIGNMENTS_HEADER, bom=bom))
        descriptor = _patient_descriptor(context.bundle, context.build_time)
        yield Artifact(DATAPACKAGE, descriptor, "application/json", patient_facing=False)

    def render_run(self, context: PatientContext) -> Iterator[RunPart]:
        """The patient's rows of `assignments.csv`: one per phase and exercise, dated."""
        plan = context.schedule.plan
        # Patient-independent parts are made once per plan in the run and reused.
        lines = context.memo.once(
            ("plan-lines", plan.id), lambda: _plan_lines(context.bundle, plan)
        )
        start = context.patient.start_date
        patient = csv_fragment([neutralise(context.patient.id)])
        out = []
        for phase in lines:
            first, last = phase_days(start, phase.phase)
            prefix = f"{patient},{phase.head},{first.isoformat()},{last.isoformat()},"
            out += [prefix + tail for tail in phase.tails]
        yield RunPart(ASSIGNMENTS.path, "".join(out).encode("utf-8"))


def _plan_lines(bundle: Bundle, plan: Plan) -> tuple[_PhaseLines, ...]:
    rows = plan_rows(bundle, plan)
    return tuple(
        _PhaseLines(
            phase,
            csv_fragment(next(r.head for r in rows if r.phase is phase)),
            tuple(csv_fragment(r.tail) + LINE_END for r in rows if r.phase is phase),
        )
        for phase in plan.phases
        if phase.exercises
    )


def _patient_descriptor(bundle: Bundle, when: dt.datetime) -> bytes:
    descriptor = package(bundle.manifest, (ASSIGNMENTS,), when, suffix="ehr-assignments")
    return descriptor_bytes(descriptor)


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Provide the `csv` format."""
    register(EhrCsv())
