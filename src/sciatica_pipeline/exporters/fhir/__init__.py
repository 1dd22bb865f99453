"""Built-in plugin: FHIR R4 for an EHR, per patient.

`bundle.json` is a `collection` Bundle of the patient (an identifier only), the plan's
condition with its ICD-10-CM and SNOMED CT codes, a CarePlan for the plan's dates and one
ServiceRequest per exercise and phase, with its dosage, its timing at the patient's local
session times, and its precautions, the plan's warning signs and the disclaimer as the
patient instruction. `resources_by_type` gives the same resources as NDJSON lines, for the
run-level Bulk Data files. See docs/fhir.md.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import ClassVar

from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.exporters.fhir.codes import DEFAULT_IDENTIFIER_SYSTEM
from sciatica_pipeline.exporters.fhir.resources import (
    RESOURCE_TYPES,
    PatientFill,
    PlanParts,
    bundle_json,
    bundle_reference,
    fill_resources,
    patient_fill,
    plan_parts,
    relative_reference,
)
from sciatica_pipeline.plugins.exporter import (
    Artifact,
    Exporter,
    PatientContext,
    RunContext,
    RunFile,
    RunPart,
)
from sciatica_pipeline.plugins.hookspecs import hookimpl
from sciatica_pipeline.run.memo import Memo

#: FHIR's media type for JSON (RFC 6838 registration by HL7).
MEDIA_TYPE = "application/fhir+json"
BUNDLE_PATH = "bundle.json"

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def identifier_system(options: Mapping[str, str]) -> str:
    """The `identifier-system` option: the URI of the system the patient id belongs to."""
    value = options.get("identifier-system", DEFAULT_IDENTIFIER_SYSTEM).strip()
    if not _URI.match(value):
        raise PipelineError(
            f"the fhir option identifier-system must be an absolute URI such as "
            f"urn:oid:1.2.3 or https://clinic.example/mrn, not {value!r}"
        )
    return value


def _parts(context: PatientContext, memo: Memo) -> PlanParts:
    plan = context.schedule.plan
    system = identifier_system(context.options)
    # Everything but ids, references, dates and times is the same for every patient on the
    # plan: serialised once per plan in the run.
    return memo.once(
        ("fhir.plan", plan.id, system), lambda: plan_parts(context.bundle, plan, system)
    )


#: How many patients' fills a memo keeps: the run asks for the Bundle and then the NDJSON
#: lines of the same patient, one after the other.
FILLS_SIZE = 4


def _fill(context: PatientContext, memo: Memo) -> PatientFill:
    fill: PatientFill = memo.table("fhir.fill", maxsize=FILLS_SIZE).get(
        (context.patient, identifier_system(context.options)),
        lambda: patient_fill(context.bundle, context.schedule, _parts(context, memo)),
    )
    return fill


def resources_by_type(context: PatientContext, memo: Memo) -> dict[str, list[bytes]]:
    """The patient's resources as NDJSON lines (compact JSON and `\\n`), by resource type in
    Bundle order: the resources of `bundle.json`, with relative references
    (`Patient/<id>`) as FHIR Bulk Data files carry them.

    :param context: the patient's context.
    :param memo: the run's memo, in which the plan's shared parts are made once.
    """
    out: dict[str, list[bytes]] = {kind: [] for kind in RESOURCE_TYPES}
    for kind, _, data in fill_resources(_fill(context, memo), relative_reference):
        out[kind].append(data.encode("utf-8") + b"\n")
    return out


def bundle_bytes(context: PatientContext, memo: Memo) -> bytes:
    """The patient's `bundle.json`: a FHIR R4 `collection` Bundle, compact JSON."""
    fill = _fill(context, memo)
    timestamp = context.build_time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    resources = fill_resources(fill, bundle_reference)
    return (bundle_json(fill.ids["Bundle"], timestamp, resources) + "\n").encode("utf-8")


class FhirBundle(Exporter):
    """A FHIR R4 Bundle per patient."""

    name = "fhir"
    description = (
        "FHIR R4: a Bundle per patient (CarePlan, exercises, condition), and Bulk Data NDJSON "
        "a run."
    )
    scopes = frozenset({"patient", "run"})
    options: ClassVar[Mapping[str, str]] = {
        "identifier-system": "the URI of the patient ids' system, such as the clinic's "
        f"medical record numbers (default {DEFAULT_IDENTIFIER_SYSTEM})"
    }

    def check_options(self, options: Mapping[str, str]) -> None:
        """`identifier-system` must be an absolute URI."""
        identifier_system(options)

    def render_patient(self, context: PatientContext) -> Iterator[Artifact]:
        """The patient's `bundle.json`."""
        yield Artifact(
            BUNDLE_PATH,
            bundle_bytes(context, context.memo),
            MEDIA_TYPE,
            patient_facing=True,
            plan=context.patient.plan,
        )

    def run_files(self, context: RunContext) -> Iterator[RunFile | Artifact]:
        """One NDJSON file per resource type for the whole run, as FHIR Bulk Data gives
        them, and the Bulk Data manifest that lists them."""
        for kind in RESOURCE_TYPES:
            yield RunFile(f"{kind}.ndjson", NDJSON_MEDIA_TYPE)
        yield Artifact(
            "manifest.json",
            bulk_manifest(context.build_time),
            "application/json",
            patient_facing=False,
        )

    def render_run(self, context: PatientContext) -> Iterator[RunPart]:
        """The patient's resources, one NDJSON line each, in its type's file."""
        for kind, lines in resources_by_type(context, context.memo).items():
            if lines:
                yield RunPart(f"{kind}.ndjson", b"".join(lines))


#: The media type of a FHIR Bulk Data file.
NDJSON_MEDIA_TYPE = "application/fhir+ndjson"


def bulk_manifest(build_time: dt.datetime) -> bytes:
    """The Bulk Data export manifest of a run: its files by resource type (relative URLs:
    the files sit beside it)."""
    manifest = {
        "transactionTime": build_time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "request": "sciatica-pipeline patients",
        "requiresAccessToken": False,
        "output": [{"type": kind, "url": f"{kind}.ndjson"} for kind in RESOURCE_TYPES],
        "error": [],
    }
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Provide the `fhir` format."""
    register(FhirBundle())
