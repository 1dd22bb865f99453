"""FHIR R4 resources as plain dicts, serialised once per plan with slots for what is each
patient's own (ids, references, dates, session times), then filled in per patient.

Every resource is compact JSON with sorted keys, exactly what
`json.dumps(resource, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` writes, so
the bytes are the same on every run and a reader may re-serialise them to compare.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sciatica_pipeline.exporters.fhir.codes import (
    CPT,
    PA_TEMPORARY_CODES,
    SNOMED,
    TIMEZONE_EXTENSION,
    US_CORE_CAREPLAN_CATEGORY,
    PatientIds,
    coding,
)
from sciatica_pipeline.exporters.wording import (
    LEARN_IN_PERSON,
    SEVERITY_HEADINGS,
    describe_dosage,
    precaution_line,
)
from sciatica_pipeline.inputs.codes import EXERCISE_THERAPY_SNOMED, THERAPEUTIC_EXERCISE_CPT
from sciatica_pipeline.model.content import (
    RED_FLAG_ORDER,
    Bundle,
    Code,
    Phase,
    Plan,
    Prescription,
)
from sciatica_pipeline.model.schedule import Schedule

#: The resource types, in the order a Bundle lists them: what is referred to comes first.
RESOURCE_TYPES = ("Patient", "Condition", "CarePlan", "ServiceRequest")

WARNING_SIGNS = "WARNING SIGNS: WHEN TO GET HELP"

#: How a slot appears in a serialised template: a JSON string of NUL, name, NUL. Content text
#: cannot produce it (the loader refuses control characters in content), and `Template`
#: checks the count of slots anyway.
_SLOT = re.compile(r'"\\u0000([a-z_]+)\\u0000"')


@dataclass(frozen=True, slots=True)
class Slot:
    """A value a template leaves open: filled per patient with already-encoded JSON."""

    name: str


def dumps(value: Any) -> str:
    """Compact JSON with sorted keys: the one serialisation every resource uses."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _token(value: object) -> str:
    if isinstance(value, Slot):
        return f"\x00{value.name}\x00"
    raise TypeError(f"{type(value).__name__} is not JSON")


class Template:
    """A resource serialised once; `fill` puts each patient's values into its slots."""

    __slots__ = ("_names", "_parts")

    def __init__(self, resource: Mapping[str, Any], slots: int) -> None:
        text = json.dumps(
            resource, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_token
        )
        pieces = _SLOT.split(text)
        if len(pieces) != 2 * slots + 1:  # a stray slot-like text would corrupt every patient
            raise ValueError(f"expected {slots} slots, found {len(pieces) // 2}")
        self._parts: tuple[str, ...] = tuple(pieces[0::2])
        self._names: tuple[str, ...] = tuple(pieces[1::2])

    def fill(self, values: Mapping[str, str]) -> str:
        """The resource's JSON with every slot replaced by `values[name]` (encoded JSON)."""
        parts = self._parts
        out = [parts[0]]
        for index, name in enumerate(self._names, start=1):
            out.append(values[name])
            out.append(parts[index])
        return "".join(out)


def _ref(name: str) -> dict[str, Slot]:
    return {"reference": Slot(name)}


def warning_signs(bundle: Bundle, plan: Plan) -> str:
    """The plan's red flags under their severity headings, each with its action."""
    lines = [WARNING_SIGNS]
    for severity in RED_FLAG_ORDER:
        flags = [p for p in bundle.red_flags_for(plan) if p.severity == severity]
        if flags:
            lines.append(f"{SEVERITY_HEADINGS[severity]}:")
            lines += [f"- {p.title}. {p.action}" for p in flags]
    return "\n".join(lines)


def request_instruction(bundle: Bundle, plan: Plan, phase: Phase, rx: Prescription) -> str:
    """What the patient reads for one exercise of one phase: how to do it and how much, its
    precautions, the plan's warning signs and the disclaimer."""
    exercise = bundle.exercises[rx.exercise]
    dosage = describe_dosage(bundle.dosage_in(rx))
    lines = [f"{exercise.name} ({phase.weeks_label}: {phase.name}): {dosage}"]
    if exercise.learn_in_person:
        lines.append(LEARN_IN_PERSON)
    lines.append(f"Starting position: {exercise.starting_position}")
    lines += [f"{i}. {step}" for i, step in enumerate(exercise.steps, start=1)]
    precautions = bundle.precautions_for(exercise)
    if precautions:
        lines += ["", "Take care with this exercise:"]
        lines += [f"- {precaution_line(p)}" for p in precautions]
    lines += ["", warning_signs(bundle, plan), "", bundle.manifest.disclaimer]
    return "\n".join(lines)


#: Introduces the ICD-10-CM codes of a condition in its note (the CSV data dictionary says the
#: same of its ICD-10-CM column).
ICD10CM_NOTE = (
    "ICD-10-CM codes for this condition; the clinician picks the one that fits the patient:"
)


def icd10cm_note(codes: tuple[Code, ...]) -> str:
    """The note listing a condition's ICD-10-CM codes, for the clinician to pick from."""
    return " ".join([ICD10CM_NOTE, "; ".join(f"{c.code} {c.display}" for c in codes) + "."])


def _narrative(bundle: Bundle, plan: Plan) -> str:
    """The CarePlan's XHTML narrative: title, summary, warning signs and disclaimer."""
    e = html.escape
    parts = [f"<p><b>{e(plan.title)}</b></p>"]
    if plan.summary:
        parts.append(f"<p>{e(plan.summary)}</p>")
    signs = warning_signs(bundle, plan).splitlines()
    parts.append(f"<p>{e(signs[0])}</p><ul>")
    parts += [f"<li>{e(line.removeprefix('- '))}</li>" for line in signs[1:]]
    parts.append(f"</ul><p>{e(bundle.manifest.disclaimer)}</p>")
    return '<div xmlns="http://www.w3.org/1999/xhtml">' + "".join(parts) + "</div>"


@dataclass(frozen=True, slots=True)
class Request:
    """One exercise of one phase as a ServiceRequest template."""

    phase: Phase
    exercise: str
    template: Template


@dataclass(frozen=True, slots=True)
class PlanParts:
    """What every patient on a plan shares, serialised: made once per plan in a run."""

    patient: Template
    condition: Template
    careplan: Template
    requests: tuple[Request, ...]


def plan_parts(bundle: Bundle, plan: Plan, identifier_system: str) -> PlanParts:
    """The templates of every resource of a plan."""
    condition = bundle.condition_of(plan)
    patient = {
        "resourceType": "Patient",
        "id": Slot("id"),
        "identifier": [{"system": identifier_system, "value": Slot("value")}],
    }
    diagnosis: dict[str, Any] = {
        "resourceType": "Condition",
        "id": Slot("id"),
        "code": {"text": condition.name},
        "subject": _ref("patient"),
    }
    # The codings of one CodeableConcept all say the same thing. The content's ICD-10-CM
    # codes are alternatives the clinician picks from (right side, left side, ...), so coding
    # them all would say the patient has every one: they are listed in a note instead, and
    # coded only when there is just one. The SNOMED CT concepts cover the whole condition.
    codes = [*condition.snomed]
    if len(condition.icd10cm) == 1:
        codes = [*condition.icd10cm, *codes]
    elif condition.icd10cm:
        diagnosis["note"] = [{"text": icd10cm_note(condition.icd10cm)}]
    if codes:
        diagnosis["code"]["coding"] = [coding(c) for c in codes]
    notes = [warning_signs(bundle, plan)]
    notes += [precaution_line(p) for p in bundle.general_precautions_for(plan)]
    notes.append(bundle.manifest.disclaimer)
    careplan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": Slot("id"),
        "text": {"status": "generated", "div": _narrative(bundle, plan)},
        "status": "active",
        "intent": "plan",
        "category": [
            {"coding": [{"system": US_CORE_CAREPLAN_CATEGORY, "code": "assess-plan"}]},
            {"coding": [{"system": PA_TEMPORARY_CODES, "code": "PhysicalActivity"}]},
        ],
        "title": plan.title,
        "subject": _ref("patient"),
        "period": {"start": Slot("start"), "end": Slot("end")},
        "addresses": [_ref("condition")],
        "activity": Slot("activity"),
        "note": [{"text": text} for text in notes],
    }
    if plan.summary:
        careplan["description"] = plan.summary
    requests = []
    for phase in plan.phases:
        for rx in phase.exercises:
            requests.append(
                Request(phase, rx.exercise, Template(_request(bundle, plan, phase, rx), 9))
            )
    return PlanParts(
        Template(patient, 2), Template(diagnosis, 2), Template(careplan, 6), tuple(requests)
    )


def _request(bundle: Bundle, plan: Plan, phase: Phase, rx: Prescription) -> dict[str, Any]:
    exercise = bundle.exercises[rx.exercise]
    dosage = bundle.dosage_in(rx)
    repeat: dict[str, Any] = {
        "boundsPeriod": {"start": Slot("start"), "end": Slot("end")},
        "frequency": Slot("frequency"),
        "period": 1,
        "periodUnit": "d",
        "timeOfDay": Slot("times"),
    }
    if dosage.minutes:
        repeat |= {"duration": dosage.minutes, "durationUnit": "min"}
    return {
        "resourceType": "ServiceRequest",
        "id": Slot("id"),
        "status": "active",
        "intent": "plan",
        "category": [{"coding": [{"system": PA_TEMPORARY_CODES, "code": "PhysicalActivity"}]}],
        "code": {
            "coding": [
                {"system": SNOMED, "code": EXERCISE_THERAPY_SNOMED, "display": "Exercise therapy"},
                {"system": CPT, "code": THERAPEUTIC_EXERCISE_CPT},
            ],
            "text": exercise.name,
        },
        "orderDetail": [{"text": describe_dosage(dosage)}],
        "subject": _ref("patient"),
        "basedOn": [_ref("careplan")],
        "reasonReference": [_ref("condition")],
        "occurrenceTiming": {
            "extension": [{"url": TIMEZONE_EXTENSION, "valueCode": Slot("zone")}],
            "repeat": repeat,
        },
        # The precautions are not repeated as notes: the instruction has them all, and a
        # patient's Bundle already repeats them once per phase.
        "patientInstruction": request_instruction(bundle, plan, phase, rx),
    }


#: How a resource refers to another: `urn:uuid:<id>` inside a Bundle (its entries' fullUrl),
#: `<type>/<id>` in NDJSON, as FHIR Bulk Data expects.
Reference = Callable[[str, str], str]


def bundle_reference(resource_type: str, resource_id: str) -> str:
    """A reference to another entry of the same Bundle."""
    return f"urn:uuid:{resource_id}"


def relative_reference(resource_type: str, resource_id: str) -> str:
    """A relative reference, `Patient/<id>`."""
    return f"{resource_type}/{resource_id}"


@dataclass(frozen=True, slots=True)
class PatientFill:
    """What one patient puts into the plan's templates, whatever the references look like:
    the resource ids, and each due request's id and values (dates, session times)."""

    parts: PlanParts
    ids: Mapping[str, str]
    common: Mapping[str, str]
    requests: tuple[tuple[Template, str, Mapping[str, str]], ...]
    first_day: str
    last_day: str


def patient_fill(bundle: Bundle, schedule: Schedule, parts: PlanParts) -> PatientFill:
    """The patient's ids and values, made once for both kinds of references (the uuid5 ids
    are most of a patient's cost)."""
    plan, patient = schedule.plan, schedule.patient
    make_id = PatientIds(bundle, plan, patient)
    # The Bundle's id is `resource_id(..., "Bundle")`, made here with the others.
    ids = {kind: make_id(kind) for kind in ("Patient", "Condition", "CarePlan", "Bundle")}
    # The patient's own sessions: the local times each exercise of each phase is done at.
    sessions: dict[tuple[int, str], list[str]] = {}
    days: dict[int, tuple[str, str]] = {}
    for series in schedule.series:
        number = series.phase.number
        days[number] = (f'"{series.first_day.isoformat()}"', f'"{series.last_day.isoformat()}"')
        when = series.local_time.isoformat(timespec="seconds")
        for item in series.exercises:
            sessions.setdefault((number, item.exercise.id), []).append(when)
    timings: dict[tuple[str, ...], tuple[str, str]] = {}
    requests = []
    for request in parts.requests:
        number = request.phase.number
        times = sessions.get((number, request.exercise))
        if not times:  # not due in any of this patient's sessions
            continue
        key = tuple(times)
        if key not in timings:
            timings[key] = (str(len(times)), dumps(times))
        request_id = make_id(f"phase-{number}/{request.exercise}")
        start, end = days[number]
        frequency, at = timings[key]
        # Ids and dates are plain ASCII without quotes or backslashes: no escaping.
        values = {"id": f'"{request_id}"', "start": start, "end": end}
        values |= {"frequency": frequency, "times": at}
        requests.append((request.template, request_id, values))
    return PatientFill(
        parts,
        ids,
        {"zone": dumps(patient.timezone), "value": dumps(patient.id)},
        tuple(requests),
        f'"{schedule.first_day.isoformat()}"',
        f'"{schedule.last_day.isoformat()}"',
    )


def fill_resources(fill: PatientFill, reference: Reference) -> list[tuple[str, str, str]]:
    """Every resource of one patient as (type, id, compact JSON), in `RESOURCE_TYPES` order,
    referring to each other with `reference`."""
    ids = fill.ids
    values = {
        "patient": f'"{reference("Patient", ids["Patient"])}"',
        "condition": f'"{reference("Condition", ids["Condition"])}"',
        "careplan": f'"{reference("CarePlan", ids["CarePlan"])}"',
        "zone": fill.common["zone"],
    }
    requests = []
    for template, request_id, own in fill.requests:
        values |= own
        requests.append(("ServiceRequest", request_id, template.fill(values)))
    # CarePlan.activity.reference is a Reference: {"reference": {"reference": ...}}. The
    # references are a type and a uuid, which JSON writes as they are: joined, not dumped.
    activity = (
        "["
        + ",".join(f'{{"reference":{{"reference":"{reference(t, i)}"}}}}' for t, i, _ in requests)
        + "]"
    )
    values |= {
        "id": f'"{ids["CarePlan"]}"',
        "start": fill.first_day,
        "end": fill.last_day,
        "activity": activity,
    }
    careplan = fill.parts.careplan.fill(values)
    values["id"] = f'"{ids["Condition"]}"'
    condition = fill.parts.condition.fill(values)
    person = fill.parts.patient.fill({"id": f'"{ids["Patient"]}"', "value": fill.common["value"]})
    return [
        ("Patient", ids["Patient"], person),
        ("Condition", ids["Condition"], condition),
        ("CarePlan", ids["CarePlan"], careplan),
        *requests,
    ]


def bundle_json(bundle_id: str, timestamp: str, resources: list[tuple[str, str, str]]) -> str:
    """A `collection` Bundle of the resources, serialised as `dumps` would write it."""
    entries = ",".join(
        f'{{"fullUrl":"urn:uuid:{rid}","resource":{data}}}' for _, rid, data in resources
    )
    return (
        f'{{"entry":[{entries}],"id":"{bundle_id}","resourceType":"Bundle",'
        f'"timestamp":"{timestamp}","type":"collection"}}'
    )
