"""FHIR R4: every resource of a patient's bundle.json and of the NDJSON lines is read back with
an independent reader (the `fhir.resources` package's R4B models: R4B is R4 for every
resource used here), the references resolve, the dates and times are the patient's, the
codes are the content's, the safety texts travel with every exercise, and nothing private
leaks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fhir.resources.R4B import get_fhir_model_class
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CONTENT
from sciatica_pipeline.exporters.fhir import FhirBundle, resources_by_type
from sciatica_pipeline.exporters.fhir.codes import ID_NAMESPACE, PatientIds, resource_id
from sciatica_pipeline.exporters.wording import describe_dosage
from sciatica_pipeline.inputs.patients import read_patients
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.model.schedule import (
    ScheduledExercise,
    due_in_session,
    phase_days,
    schedule,
)
from sciatica_pipeline.plugins.exporter import Artifact, PatientContext
from sciatica_pipeline.plugins.testing import check_patient_exporter, safety_failures
from sciatica_pipeline.run.memo import Memo

EXAMPLE = CONTENT / "examples" / "patients.csv"
BUILD = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]

#: R4 value sets of the coded elements the reader does not check (no terminology service).
CAREPLAN_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error"}
REQUEST_INTENT = {"proposal", "plan", "directive", "order", "original-order", "option"}


def parse(resource: dict[str, Any]) -> Any:
    """A resource read by fhir.resources' model for its type (raises when it is not valid)."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def canonical(data: bytes) -> bytes:
    text = json.dumps(json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def context(bundle: Bundle, patient: Patient, memo: Memo | None = None) -> PatientContext:
    return PatientContext(bundle, patient, schedule(bundle, patient), BUILD, {}, memo or Memo())


def render(bundle: Bundle, patient: Patient, memo: Memo | None = None) -> bytes:
    [artifact] = FhirBundle().render_patient(context(bundle, patient, memo))
    return artifact.data


@pytest.fixture(scope="module")
def patients(bundle: Bundle) -> list[Patient]:
    return [r.patient for r in read_patients(EXAMPLE, bundle) if r.patient]


def check_bundle(bundle: Bundle, patient: Patient, data: bytes) -> dict[str, Any]:
    """Everything bundle.json must hold for `patient`; returns it parsed."""
    assert data.endswith(b"\n")
    assert data.rstrip(b"\n") == canonical(data), "compact JSON with sorted keys"
    document: dict[str, Any] = json.loads(data)
    parse(document)  # the Bundle as a whole, every entry through its own model too
    assert document["type"] == "collection"
    entries = document["entry"]
    by_url = {e["fullUrl"]: e["resource"] for e in entries}
    assert len(by_url) == len(entries)
    for entry in entries:
        resource = entry["resource"]
        parse(resource)
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        uuid.UUID(resource["id"])
        for reference in references(resource):
            assert reference in by_url, f"{reference} does not resolve in the Bundle"
    kinds = [e["resource"]["resourceType"] for e in entries]
    assert kinds[:3] == ["Patient", "Condition", "CarePlan"]
    assert set(kinds[3:]) == {"ServiceRequest"}
    person, condition, careplan = (e["resource"] for e in entries[:3])
    requests = [e["resource"] for e in entries[3:]]
    check_patient(patient, person)
    check_condition(bundle, patient, condition)
    check_careplan(bundle, patient, careplan, requests, by_url)
    check_requests(bundle, patient, requests)
    check_private(patient, data)
    return document


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for v in node.values() for r in references(v)]
    if isinstance(node, list):
        return [r for v in node for r in references(v)]
    return []


def check_patient(patient: Patient, person: dict[str, Any]) -> None:
    # An identifier to match the EHR's record, nothing else: no name, no telecom.
    assert set(person) == {"resourceType", "id", "identifier"}
    [identifier] = person["identifier"]
    assert identifier["value"] == patient.id


def check_condition(bundle: Bundle, patient: Patient, condition: dict[str, Any]) -> None:
    content = bundle.condition_of(bundle.plans[patient.plan])
    codings = {(c["system"], c["code"], c["display"]) for c in condition["code"].get("coding", [])}
    # Every SNOMED CT concept is coded; the ICD-10-CM codes are alternatives to pick from, so
    # they are coded only when there is one, and otherwise listed in a note.
    expected = {("http://snomed.info/sct", c.code, c.display) for c in content.snomed}
    if len(content.icd10cm) == 1:
        expected |= {
            ("http://hl7.org/fhir/sid/icd-10-cm", c.code, c.display) for c in content.icd10cm
        }
    else:
        [note] = condition["note"]
        for code in content.icd10cm:
            assert f"{code.code} {code.display}" in note["text"]
    assert codings == expected
    assert condition["code"]["text"] == content.name


def check_careplan(
    bundle: Bundle,
    patient: Patient,
    careplan: dict[str, Any],
    requests: list[dict[str, Any]],
    by_url: dict[str, Any],
) -> None:
    plan = bundle.plans[patient.plan]
    when = schedule(bundle, patient)
    assert careplan["status"] == "active"
    assert careplan["status"] in CAREPLAN_STATUS
    assert careplan["intent"] == "plan"
    assert careplan["title"] == plan.title
    assert careplan["period"] == {
        "start": when.first_day.isoformat(),
        "end": when.last_day.isoformat(),
    }
    activities = [a["reference"]["reference"] for a in careplan["activity"]]
    assert [by_url[a]["id"] for a in activities] == [r["id"] for r in requests]
    notes = "\n".join(n["text"] for n in careplan["note"])
    for flag in bundle.red_flags_for(plan):
        assert flag.title in notes
        assert flag.action in notes
    assert bundle.manifest.disclaimer in notes


def check_requests(bundle: Bundle, patient: Patient, requests: list[dict[str, Any]]) -> None:
    plan = bundle.plans[patient.plan]
    expected = []
    for phase in plan.phases:
        first, last = phase_days(patient.start_date, phase)
        for rx in phase.exercises:
            exercise = bundle.exercises[rx.exercise]
            dosage = bundle.dosage_in(rx)
            due = [
                patient.session_times[i].isoformat(timespec="seconds")
                for i in range(len(patient.session_times))
                if due_in_session((ScheduledExercise(exercise, dosage),), i)
            ]
            expected.append((exercise, dosage, first, last, due))
    assert len(requests) == len(expected)
    for request, (exercise, dosage, first, last, due) in zip(requests, expected, strict=True):
        assert request["status"] == "active"
        assert request["intent"] in REQUEST_INTENT
        assert request["code"]["text"] == exercise.name
        assert request["orderDetail"] == [{"text": describe_dosage(dosage)}]
        timing = request["occurrenceTiming"]
        assert timing["extension"][0]["valueCode"] == patient.timezone
        repeat = timing["repeat"]
        assert repeat["boundsPeriod"] == {"start": first.isoformat(), "end": last.isoformat()}
        assert repeat["timeOfDay"] == due
        assert repeat["frequency"] == len(due)
        assert (repeat["period"], repeat["periodUnit"]) == (1, "d")
        if dosage.minutes:
            assert (repeat["duration"], repeat["durationUnit"]) == (dosage.minutes, "min")
        # The safety texts travel with every exercise, in what the patient reads.
        instruction = request["patientInstruction"]
        assert exercise.name in instruction
        for precaution in bundle.precautions_for(exercise):
            assert precaution.title in instruction
            assert precaution.action in instruction
        for flag in bundle.red_flags_for(plan):
            assert f"{flag.title}. {flag.action}" in instruction
        assert bundle.manifest.disclaimer in instruction


def check_private(patient: Patient, data: bytes) -> None:
    text = data.decode()
    for private in (patient.name, patient.mobile, patient.clinic_phone):
        if private:
            assert private not in text


def check_ndjson(bundle: Bundle, patient: Patient, document: dict[str, Any], memo: Memo) -> None:
    """The NDJSON lines are bundle.json's resources, with relative references."""
    lines = resources_by_type(context(bundle, patient, memo), memo)
    assert list(lines) == ["Patient", "Condition", "CarePlan", "ServiceRequest"]
    in_bundle = {e["resource"]["id"]: e["resource"] for e in document["entry"]}
    kinds = {rid: r["resourceType"] for rid, r in in_bundle.items()}
    seen = []
    for kind, items in lines.items():
        for line in items:
            assert line.endswith(b"\n")
            assert line.count(b"\n") == 1
            assert line.rstrip(b"\n") == canonical(line)
            resource = json.loads(line)
            parse(resource)
            assert resource["resourceType"] == kind
            for reference in references(resource):
                target_kind, _, target = reference.partition("/")
                assert kinds[target] == target_kind
            as_in_bundle = json.loads(_to_bundle_refs(line.decode(), kinds))
            assert as_in_bundle == in_bundle[resource["id"]]
            seen.append(resource["id"])
    assert sorted(seen) == sorted(in_bundle)


def _to_bundle_refs(text: str, kinds: dict[str, str]) -> str:
    for rid, kind in kinds.items():
        text = text.replace(f'"{kind}/{rid}"', f'"urn:uuid:{rid}"')
    return text


def test_every_example_patient_through_the_cli(
    run: Callable[..., Result], tmp_path: Path, bundle: Bundle, patients: list[Patient]
) -> None:
    out = tmp_path / "out"
    result = run(
        "patients", str(EXAMPLE), "--content", str(CONTENT), "--out", str(out), "--format", "fhir"
    )
    assert result.exit_code == 0, result.output
    memo = Memo()
    for patient in patients:
        data = (out / patient.id / "fhir" / "bundle.json").read_bytes()
        assert data == render(bundle, patient)
        document = check_bundle(bundle, patient, data)
        check_ndjson(bundle, patient, document, memo)


def test_every_example_patient_keeps_the_exporter_contract(
    bundle: Bundle, patients: list[Patient]
) -> None:
    for patient in patients:
        [artifact] = check_patient_exporter(FhirBundle(), bundle, patient, build_time=BUILD)
        assert artifact.media_type == "application/fhir+json"
        assert artifact.path == "bundle.json"


def test_the_fhir_reader_catches_a_missing_warning_sign(
    bundle: Bundle, patients: list[Patient]
) -> None:
    patient = patients[0]
    plan = bundle.plans[patient.plan]
    flag = bundle.red_flags_for(plan)[0]
    document = json.loads(render(bundle, patient))
    for entry in document["entry"]:
        resource = entry["resource"]
        resource.pop("text", None)
        resource.pop("patientInstruction", None)
        resource.pop("note", None)
    artifact = Artifact(
        "bundle.json", json.dumps(document).encode(), "application/fhir+json", plan=plan.id
    )
    failures = safety_failures(bundle, [artifact])
    assert f"bundle.json: the red flag {flag.title!r} is missing" in failures
    assert "bundle.json: the disclaimer is missing" in failures


def test_ids_are_stable_uuid5s(bundle: Bundle, patients: list[Patient]) -> None:
    patient = patients[0]
    plan = bundle.plans[patient.plan]
    fast = PatientIds(bundle, plan, patient)
    key = f"{bundle.manifest.id}/{plan.id}/{patient.id}/phase-1/bridging"
    assert fast("phase-1/bridging") == str(uuid.uuid5(ID_NAMESPACE, key))
    assert fast("Patient") == resource_id(bundle, plan, patient, "Patient")
    assert render(bundle, patient) == render(bundle, patient)
    moved = dataclasses.replace(patient, start_date=patient.start_date + dt.timedelta(days=7))
    ids = {e["resource"]["id"] for e in json.loads(render(bundle, patient))["entry"]}
    moved_ids = {e["resource"]["id"] for e in json.loads(render(bundle, moved))["entry"]}
    assert ids == moved_ids, "a re-dated plan updates the same resources"
    document = json.loads(render(bundle, patient))
    assert document["id"] == resource_id(bundle, plan, patient, "Bundle")


def test_the_identifier_system_is_an_option(
    run: Callable[..., Result], tmp_path: Path, patients: list[Patient]
) -> None:
    out = tmp_path / "out"
    system = "https://clinic.example/mrn"
    args = ["patients", str(EXAMPLE), "--content", str(CONTENT), "--out", str(out), "-f", "fhir"]
    result = run(*args, "--set", f"fhir.identifier-system={system}")
    assert result.exit_code == 0, result.output
    document = json.loads((out / patients[0].id / "fhir" / "bundle.json").read_bytes())
    assert document["entry"][0]["resource"]["identifier"][0]["system"] == system
    bad = run(*args, "--set", "fhir.identifier-system=not a uri")
    assert bad.exit_code == 2
    assert "identifier-system must be an absolute URI" in bad.output + bad.stderr


times = st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 1, 15, 30, 59]))


@st.composite
def generated_patients(draw: st.DrawFn, bundle: Bundle) -> Patient:
    plan = bundle.plans[draw(st.sampled_from(sorted(bundle.plans)))]
    session_times = draw(
        st.lists(times, min_size=plan.sessions_per_day, max_size=plan.sessions_per_day, unique=True)
    )
    return Patient(
        id=draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True)),
        plan=plan.id,
        start_date=draw(st.dates(dt.date(2000, 1, 1), dt.date(2099, 1, 1))),
        timezone=draw(st.sampled_from(ZONES)),
        session_times=tuple(sorted(session_times)),
        reminder_minutes=draw(st.integers(0, 1440)),
        # Names and numbers no content text contains, so finding one would be a leak.
        name=draw(st.none() | st.from_regex(r"Zq[a-zé]{3,8} Xv[a-z]{3,8}", fullmatch=True)),
        mobile=draw(st.none() | st.from_regex(r"\+1202555[0-9]{4}", fullmatch=True)),
        clinic_phone=draw(st.none() | st.sampled_from(["+1 202 555 0100", "020 7946 0000"])),
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_generated_patients_give_valid_resources(bundle: Bundle, data: st.DataObject) -> None:
    patient = data.draw(generated_patients(bundle))
    memo = Memo()
    document = check_bundle(bundle, patient, render(bundle, patient, memo))
    check_ndjson(bundle, patient, document, memo)


def test_a_run_writes_one_bulk_data_file_per_resource_type(
    run: Callable[..., Result], tmp_path: Path, bundle: Bundle
) -> None:
    out = tmp_path / "out"
    example = CONTENT / "examples" / "patients.csv"
    result = run(
        "patients", str(example), "--content", str(CONTENT), "--out", str(out), "-f", "fhir"
    )
    assert result.exit_code == 0, result.stderr
    folder = out / "_run" / "fhir"
    manifest = json.loads((folder / "manifest.json").read_text())
    kinds = [entry["type"] for entry in manifest["output"]]
    assert kinds == ["Patient", "Condition", "CarePlan", "ServiceRequest"]
    ids = [p.patient.id for p in read_patients(example, bundle) if p.patient]
    for entry in manifest["output"]:
        lines = (folder / entry["url"]).read_text().splitlines()
        resources = [json.loads(line) for line in lines]
        for resource in resources:
            assert resource["resourceType"] == entry["type"]
            parse(resource)  # valid FHIR by an independent reader
        if entry["type"] in ("Patient", "Condition", "CarePlan"):
            assert len(resources) == len(ids)
    # The same resources as the patients' own bundles, patient after patient.
    in_bundles = [
        (entry["resource"]["resourceType"], entry["resource"]["id"])
        for patient_id in ids
        for entry in json.loads((out / patient_id / "fhir" / "bundle.json").read_text())["entry"]
    ]
    in_files = [
        (entry["type"], json.loads(line)["id"])
        for entry in manifest["output"]
        for line in (folder / entry["url"]).read_text().splitlines()
    ]
    assert sorted(in_files) == sorted(in_bundles)
