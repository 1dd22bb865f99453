"""The published contract of the EHR CSV files: one Frictionless Table Schema per table, and the
Data Package descriptors (`datapackage.json`) that ship beside the CSV files.

Column order here is the column order of the files. Patterns and limits are taken from the
content's JSON Schemas, so the two contracts cannot drift apart. `docs/csv-data-dictionary.md`
is generated from these definitions (`make docs`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sciatica_pipeline.exporters.ehr_csv.cells import FORMULA_CHARS
from sciatica_pipeline.inputs.codes import EXERCISE_THERAPY_SNOMED, THERAPEUTIC_EXERCISE_CPT
from sciatica_pipeline.inputs.schemas import load_schemas
from sciatica_pipeline.model.content import Manifest


def _pattern(schema: str, *path: str) -> str:
    """A JSON Schema pattern without its anchors (Table Schema patterns match whole cells)."""
    node: Any = load_schemas()[schema]
    for key in path:
        node = node[key]
    return str(node["pattern"]).removeprefix("^").removesuffix("$")


def _joined(pattern: str) -> str:
    """`pattern`, one or more times, separated by `|`."""
    return f"({pattern})(\\|({pattern}))*"


SLUG = _pattern("common.schema.json", "$defs", "slug")
ICD10CM = _pattern("common.schema.json", "$defs", "codeICD10CM", "properties", "code")
SNOMED = _pattern("common.schema.json", "$defs", "codeSNOMED", "properties", "code")
PATIENT_ID = _pattern("patient.schema.json", "properties", "id")
VERSION = _pattern("bundle.schema.json", "properties", "version")
CATEGORIES: tuple[str, ...] = tuple(
    load_schemas()["exercise.schema.json"]["properties"]["category"]["enum"]
)

#: Free text never starts with a formula character, tab, CR or LF (see ehr_csv_cells).
SAFE_TEXT = "[^" + "".join(sorted(FORMULA_CHARS)).replace("-", "\\-") + "\\t\\r\\n].*"

#: The separator of several codes in one cell.
CODE_SEPARATOR = "|"


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its Table Schema field, and what the data dictionary says about it."""

    name: str
    type: str
    description: str
    required: bool = False
    format: str | None = None
    constraints: Mapping[str, Any] = field(default_factory=dict)
    true_false: bool = False

    def descriptor(self) -> dict[str, Any]:
        """The Table Schema field descriptor."""
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.format:
            out["format"] = self.format
        out["description"] = self.description
        if self.true_false:
            out["trueValues"] = ["true"]
            out["falseValues"] = ["false"]
        constraints = dict(self.constraints)
        if self.required:
            constraints = {"required": True, **constraints}
        if constraints:
            out["constraints"] = constraints
        return out


def text(name: str, description: str, *, required: bool = True) -> Column:
    """A free-text column (neutralised for spreadsheets)."""
    return Column(name, "string", description, required, constraints={"pattern": SAFE_TEXT})


def ident(name: str, description: str, pattern: str) -> Column:
    """A required identifier column with a pattern."""
    return Column(name, "string", description, True, constraints={"pattern": pattern})


def whole(name: str, description: str, *, required: bool = False, **limits: int) -> Column:
    """An integer column."""
    return Column(name, "integer", description, required, constraints=limits)


def date(name: str, description: str) -> Column:
    """A required ISO 8601 date column (YYYY-MM-DD)."""
    return Column(name, "date", description, True, format="default")


def _dosage_column(name: str) -> Column:
    spec = load_schemas()["common.schema.json"]["$defs"]["dosage"]["properties"][name]
    description = f"{spec['description']} Empty when the content gives none."
    return whole(name, description, minimum=spec["minimum"], maximum=spec["maximum"])


PLAN_ID = ident("plan_id", "The plan's id: stable across content versions.", SLUG)
PLAN_TITLE = text("plan_title", "The plan's title.")
CONDITION_ID = ident("condition_id", "The id of the condition the plan serves.", SLUG)
CONDITION_NAME = text("condition_name", "The condition's name in plain words.")
CONDITION_ICD10CM = ident(
    "condition_icd10cm",
    "The condition's ICD-10-CM codes (code system http://hl7.org/fhir/sid/icd-10-cm), with "
    f"their dots, separated by `{CODE_SEPARATOR}` when there are several, for example "
    "`M54.30|M54.31|M54.32`. The clinician picks the one that fits the patient (the side, "
    "for example); codes that exclude each other (Excludes1) are never listed together.",
    _joined(ICD10CM),
)
CONDITION_SNOMEDCT = Column(
    "condition_snomedct",
    "string",
    "The condition's SNOMED CT concept ids (code system http://snomed.info/sct), separated by "
    f"`{CODE_SEPARATOR}` when there are several. Empty when no verified concept exists.",
    constraints={"pattern": _joined(SNOMED)},
)
PHASE_NUMBER = whole(
    "phase_number", "The phase's number in the plan, from 1.", required=True, minimum=1
)
PHASE_NAME = text("phase_name", "The phase's name.")
EXERCISE_ID = ident("exercise_id", "The exercise's id: stable across content versions.", SLUG)
EXERCISE_NAME = text("exercise_name", "The exercise's name.")
EXERCISE_CATEGORY = Column(
    "exercise_category",
    "string",
    "The kind of exercise.",
    True,
    constraints={"enum": list(CATEGORIES)},
)
DOSAGE = tuple(
    _dosage_column(name) for name in ("sets", "reps", "hold_seconds", "times_per_day", "minutes")
)
PER_SIDE = Column(
    "per_side",
    "boolean",
    "`true` when the sets, reps and holds are done on each side. Empty when not stated.",
    true_false=True,
)
DOSAGE_TEXT = text(
    "dosage_text",
    "The whole dosage in one plain sentence, with any note, as patient materials word it; "
    '"Ask your clinician how much to do." when the content gives no dosage.',
)
LEARN_IN_PERSON = Column(
    "learn_in_person",
    "boolean",
    "`true` when the patient should be shown the exercise in person before doing it at home.",
    True,
    true_false=True,
)
INSTRUCTIONS = text(
    "instructions",
    "How to do the exercise, on one line: `Starting position:` and the position, then the "
    "steps numbered `1.`, `2.`, ... in order.",
)
PRECAUTIONS = text(
    "precautions",
    "The precautions that travel with the exercise, most serious first, each as "
    "`Title: what to watch for. What to do.`, on one line.",
)
PROCEDURE_SNOMEDCT = Column(
    "procedure_snomedct",
    "string",
    "The procedure as a SNOMED CT concept: always 229065009 (exercise therapy).",
    True,
    constraints={"enum": [EXERCISE_THERAPY_SNOMED]},
)
PROCEDURE_CPT = Column(
    "procedure_cpt",
    "string",
    "The kind of procedure the activity belongs to, as a CPT code: always 97110 (therapeutic "
    "exercise), so an importer can map the row to its exercise-therapy orders. It records no "
    "service and no charge: 97110 is billed for time a qualified clinician spends with the "
    "patient on therapeutic exercise, in 15-minute units, and a home exercise the patient does "
    "alone is not that; what to bill is the clinic's decision. The code only; CPT descriptors "
    "are the AMA's and are not reproduced.",
    True,
    constraints={"enum": [THERAPEUTIC_EXERCISE_CPT]},
)
CONTENT_VERSION = ident(
    "content_version",
    "The version of the reviewed content the row comes from (MAJOR.MINOR.PATCH).",
    VERSION,
)


@dataclass(frozen=True, slots=True)
class Table:
    """One CSV file and its Table Schema."""

    name: str
    path: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    @property
    def header(self) -> tuple[str, ...]:
        """The header row."""
        return tuple(c.name for c in self.columns)

    def schema(self) -> dict[str, Any]:
        """The Table Schema descriptor."""
        return {
            "fields": [c.descriptor() for c in self.columns],
            "primaryKey": list(self.primary_key),
            "missingValues": [""],
        }

    def resource(self) -> dict[str, Any]:
        """The Tabular Data Resource descriptor for the file."""
        return {
            "name": self.name,
            "path": self.path,
            "profile": "tabular-data-resource",
            "title": self.title,
            "description": self.description,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {
                "delimiter": ",",
                "lineTerminator": "\r\n",
                "quoteChar": '"',
                "doubleQuote": True,
                "header": True,
            },
            "schema": self.schema(),
        }


CATALOG = Table(
    name="program-catalog",
    path="program-catalog.csv",
    title="Program catalog",
    description=(
        "One row per plan, phase and exercise: what each home-exercise program prescribes, "
        "coded for import as order or care-plan templates. Written by `sciatica-pipeline build`."
    ),
    columns=(
        PLAN_ID,
        PLAN_TITLE,
        CONDITION_ID,
        CONDITION_NAME,
        CONDITION_ICD10CM,
        CONDITION_SNOMEDCT,
        PHASE_NUMBER,
        PHASE_NAME,
        whole("phase_week_from", "The plan week the phase starts in.", required=True, minimum=1),
        whole("phase_week_to", "The plan week the phase ends in.", required=True, minimum=1),
        EXERCISE_ID,
        EXERCISE_NAME,
        EXERCISE_CATEGORY,
        *DOSAGE,
        PER_SIDE,
        DOSAGE_TEXT,
        LEARN_IN_PERSON,
        INSTRUCTIONS,
        PRECAUTIONS,
        PROCEDURE_SNOMEDCT,
        PROCEDURE_CPT,
        CONTENT_VERSION,
        date("content_reviewed_on", "When the content was last reviewed."),
        date("content_review_due", "When the content is due for its next review."),
        text(
            "clinician_notes",
            "For clinicians, on one line: where the exercise, its dose and the plan come from "
            "and which choices the content's authors made (the exercise's notes, then the "
            "plan's). Patient materials give the instructions without these. Empty when the "
            "content has none.",
            required=False,
        ),
    ),
    primary_key=("plan_id", "phase_number", "exercise_id"),
)

ASSIGNMENTS = Table(
    name="patient-assignments",
    path="assignments.csv",
    title="Patient assignments",
    description=(
        "One row per patient, phase and exercise, dated in the patient's calendar: one order or "
        "care-plan activity per row. `sciatica-pipeline patients` writes every patient's rows "
        "of a run to _run/csv/assignments.csv, patient after patient; the copy `build` writes "
        "has the header row only. "
        "Rows carry the patient's id, never a name or phone number. (plan_id, phase_number, "
        "exercise_id) is the program catalog's primary key."
    ),
    columns=(
        ident(
            "patient_id",
            "The patient's id, as given in the patients file. Never a name or number.",
            PATIENT_ID,
        ),
        PLAN_ID,
        PLAN_TITLE,
        CONDITION_ID,
        CONDITION_NAME,
        CONDITION_ICD10CM,
        CONDITION_SNOMEDCT,
        PHASE_NUMBER,
        PHASE_NAME,
        date("phase_start", "The first day of the phase in the patient's calendar."),
        date("phase_end", "The last day of the phase in the patient's calendar."),
        EXERCISE_ID,
        EXERCISE_NAME,
        EXERCISE_CATEGORY,
        *DOSAGE,
        PER_SIDE,
        DOSAGE_TEXT,
        LEARN_IN_PERSON,
        INSTRUCTIONS,
        PRECAUTIONS,
        PROCEDURE_SNOMEDCT,
        PROCEDURE_CPT,
        CONTENT_VERSION,
    ),
    primary_key=("patient_id", "phase_number", "exercise_id"),
)

TABLES: tuple[Table, ...] = (CATALOG, ASSIGNMENTS)


def package(
    manifest: Manifest, tables: tuple[Table, ...], when: dt.datetime, *, suffix: str
) -> dict[str, Any]:
    """A Tabular Data Package descriptor for `tables`."""
    return {
        "profile": "tabular-data-package",
        "name": f"{manifest.id}-{suffix}",
        "title": f"{manifest.title}: EHR import tables",
        "description": (
            "Home-exercise programs coded for import into an electronic health record. CSV "
            "files follow RFC 4180: UTF-8 (with a byte-order mark only when written for "
            "spreadsheets), a header row, CRLF line ends. Text cells never start a formula: a "
            "cell that would start with = + - @, tab, CR or LF starts with a single quote."
        ),
        "version": manifest.version,
        "created": when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [t.resource() for t in tables],
    }


def descriptor_bytes(descriptor: Mapping[str, Any]) -> bytes:
    """A descriptor as `datapackage.json` bytes (stable key order, UTF-8, final newline)."""
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
