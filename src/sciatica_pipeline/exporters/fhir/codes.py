"""The code systems, URLs and resource ids the FHIR exporter uses."""

from __future__ import annotations

import uuid

from sciatica_pipeline.exporters.ids import StableIds
from sciatica_pipeline.model.content import Bundle, Code, Plan
from sciatica_pipeline.model.patient import Patient

#: Namespace of the resource ids: uuid5 of (bundle, plan, patient, part), so a re-import
#: updates the same resources instead of adding copies.
ID_NAMESPACE = uuid.UUID("0d7c3f52-9c1e-4f0b-8a61-3b2e5f7d9a40")

#: The terminologies of `Code.system`, as FHIR names them.
SYSTEMS = {
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "snomed": "http://snomed.info/sct",
}
SNOMED = SYSTEMS["snomed"]
CPT = "http://www.ama-assn.org/go/cpt"

#: US Core's care plan category (the PA IG's CarePlan profile requires it) and the PA IG's own.
US_CORE_CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
PA_TEMPORARY_CODES = "http://hl7.org/fhir/us/physical-activity/CodeSystem/pa-temporary-codes"

#: The extension that names the IANA zone of a Timing's `timeOfDay` (FHIR Extensions Pack).
TIMEZONE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/timezone"

#: The identifier system used for the patient's id when none is set (`--set
#: fhir.identifier-system=...`); a clinic sets its own medical record number system.
DEFAULT_IDENTIFIER_SYSTEM = "urn:sciatica-pipeline:patient-id"


def resource_id(bundle: Bundle, plan: Plan, patient: Patient, *parts: str | int) -> str:
    """A resource id that is the same on every run for the same (bundle, plan, patient,
    parts): a uuid5, which is also a valid FHIR id (at most 64 characters)."""
    key = "/".join([bundle.manifest.id, plan.id, patient.id, *map(str, parts)])
    return str(uuid.uuid5(ID_NAMESPACE, key))


class PatientIds(StableIds):
    """`resource_id` for one patient's many resources (see `StableIds`)."""

    __slots__ = ()

    def __init__(self, bundle: Bundle, plan: Plan, patient: Patient) -> None:
        super().__init__(ID_NAMESPACE, bundle.manifest.id, plan.id, patient.id)


def coding(code: Code) -> dict[str, str]:
    """A content code as a FHIR Coding."""
    return {"system": SYSTEMS[code.system], "code": code.code, "display": code.display}
