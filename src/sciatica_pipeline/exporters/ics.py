"""Built-in plugin: a patient's reminder calendar (RFC 5545), made with the icalendar package.

One recurring event per phase and daily session (RRULE until the phase ends) in the patient's
time zone with a matching VTIMEZONE, one event per checkpoint, stable UIDs, and a display
alarm at the patient's lead time. Summaries are discreet: they never name the diagnosis.
See docs/decisions/0002-icalendar.md for why icalendar and not ics.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from sciatica_pipeline import __version__
from sciatica_pipeline.exporter import Artifact, Exporter, PatientContext
from sciatica_pipeline.hookspecs import hookimpl
from sciatica_pipeline.model import Bundle, Plan
from sciatica_pipeline.patients import Patient
from sciatica_pipeline.schedule import Schedule, ScheduledCheckpoint, SessionSeries
from sciatica_pipeline.wording import SEVERITY_HEADINGS, describe_dosage

#: Namespace of the calendar UIDs: uuid5 of (bundle, plan, patient, phase, session).
UID_NAMESPACE = uuid.UUID("6b1f9a53-5a57-4c36-9a8e-5d0f1a7c2e11")
UID_DOMAIN = "sciatica-pipeline"

CALENDAR_NAME = "Back exercise reminders"
SESSION_LENGTH = dt.timedelta(minutes=30)
CHECKPOINT_LENGTH = dt.timedelta(minutes=15)
PRODID = f"-//sciatica-pipeline//sciatica-pipeline {__version__}//EN"


def event_uid(bundle: Bundle, plan: Plan, patient: Patient, *parts: str | int) -> str:
    """A UID that is the same on every run for the same (bundle, plan, patient, parts), so
    a re-imported calendar updates its events instead of adding copies."""
    key = "/".join([bundle.manifest.id, plan.id, patient.id, *map(str, parts)])
    return f"{uuid.uuid5(UID_NAMESPACE, key)}@{UID_DOMAIN}"


def sequence_for(version: str) -> int:
    """SEQUENCE from the content version: it rises whenever the version rises."""
    major, minor, patch = (int(x) for x in version.split("."))
    return major * 1_000_000 + min(minor, 999) * 1_000 + min(patch, 999)


def _safety_text(bundle: Bundle, plan: Plan) -> list[str]:
    lines = ["STOP AND GET HELP"]
    for severity in ("emergency", "urgent"):
        flags = [p for p in bundle.red_flags_for(plan) if p.severity == severity]
        if flags:
            lines.append(f"{SEVERITY_HEADINGS[severity]}:")
            lines += [f"- {p.title}. {p.action}" for p in flags]
    return lines


def _contact(patient: Patient) -> list[str]:
    if patient.clinic_phone:
        clinic = patient.clinic_name or "your clinic"
        return [f"Questions? Call {clinic} at {patient.clinic_phone}."]
    if patient.clinic_name:
        return [f"Questions? Call {patient.clinic_name}."]
    return []


def session_description(bundle: Bundle, series: SessionSeries, patient: Patient) -> str:
    """The event text: the session's exercises with dosage, their precautions (each once),
    the red flags, the clinic's phone and the disclaimer."""
    phase = series.phase
    lines = [f"{phase.weeks_label}: {phase.name}", "", "Exercises this session:"]
    precautions = {}
    for item in series.exercises:
        lines.append(f"- {item.exercise.name}: {describe_dosage(item.dosage, with_note=False)}")
        precautions.update({p.id: p for p in bundle.precautions_for(item.exercise)})
    lines += ["", "Take care with these exercises:"]
    for precaution in sorted(precautions.values(), key=lambda p: p.title):
        lines.append(f"- {precaution.title}: {precaution.action}")
    if phase.walking:
        lines += ["", f"Walking: {phase.walking.target}"]
    lines += ["", *_safety_text(bundle, bundle.plans[patient.plan]), "", *_contact(patient)]
    lines.append(bundle.manifest.disclaimer)
    return "\n".join(line for line in lines).strip()


def checkpoint_description(
    bundle: Bundle, checkpoint: ScheduledCheckpoint, patient: Patient
) -> str:
    """The checkpoint text with the red flags, the clinic's phone and the disclaimer."""
    plan = bundle.plans[patient.plan]
    lines = [checkpoint.checkpoint.text, ""]
    if checkpoint.checkpoint.precaution:
        precaution = bundle.precautions[checkpoint.checkpoint.precaution]
        lines += [f"{precaution.title}: {precaution.action}", ""]
    lines += [*_safety_text(bundle, plan), "", *_contact(patient), bundle.manifest.disclaimer]
    return "\n".join(lines).strip()


@lru_cache(maxsize=4096)
def _folded(line: str) -> bytes:
    from icalendar.parser import Contentline

    folded: bytes = Contentline(line).to_ical()
    return folded


@lru_cache(maxsize=1)
def _calendar_class() -> Any:
    """icalendar's Calendar, folding each distinct content line once.

    icalendar folds character by character, which dominated the time per calendar; the long
    descriptions repeat for every patient on the same plan, so the folded bytes are memoised.
    The folding itself is still icalendar's.
    """
    from icalendar import Calendar, vText
    from icalendar.parser import Contentline

    class MemoLine(Contentline):
        def to_ical(self) -> bytes:
            return _folded(str(self))

    @lru_cache(maxsize=4096)
    def text_line(name: str, text: str) -> Contentline:
        return MemoLine(Contentline.from_parts(name, vText(text).params, vText(text)))

    class FoldOnceCalendar(Calendar):
        def content_line(self, name: str, value: Any, sorted: bool = True) -> Contentline:
            if type(value) is vText and not value.params:  # texts repeat across patients
                return text_line(name, str(value))
            return MemoLine(super().content_line(name, value, sorted=sorted))

    return FoldOnceCalendar


@lru_cache(maxsize=1024)
def _alarm(text: str, lead_minutes: int) -> Any:
    """A display alarm; shared between events (components are only read when serialised)."""
    from icalendar import Alarm

    reminder = Alarm()
    reminder.add("ACTION", "DISPLAY")
    reminder.add("DESCRIPTION", text)
    reminder.add("TRIGGER", -dt.timedelta(minutes=lead_minutes))
    return reminder


@lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Any:
    """The VTIMEZONE for whole calendar years, made once and shared: many patients share a
    zone and a year, so it need not be generated for every calendar."""
    from icalendar import Timezone

    return Timezone.from_tzid(
        tzid, first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year + 1, 1, 1)
    )


def calendar_bytes(bundle: Bundle, schedule: Schedule, build_time: dt.datetime) -> bytes:
    """The patient's whole calendar as RFC 5545 bytes (CRLF, folded, escaped)."""
    from icalendar import Event

    Calendar = _calendar_class()

    patient, plan = schedule.patient, schedule.plan
    sequence = sequence_for(bundle.manifest.version)
    cal = Calendar.new(
        prodid=PRODID,
        name=CALENDAR_NAME,
        calscale="GREGORIAN",
        uid=event_uid(bundle, plan, patient, "calendar"),  # Calendar.new would pick a random one
    )
    cal.add("X-WR-TIMEZONE", patient.timezone)
    # VTIMEZONE comes before the events that use it.
    cal.add_component(_vtimezone(patient.timezone, schedule.first_day.year, schedule.last_day.year))
    lead = patient.reminder_minutes

    for series in schedule.series:
        summary = f"Back exercises ({series.label})"
        event = Event.new(
            uid=event_uid(
                bundle, plan, patient, f"phase-{series.phase.number}", f"session-{series.index + 1}"
            ),
            stamp=build_time,
            start=series.start,
            end=series.start + SESSION_LENGTH,
            summary=summary,
            description=session_description(bundle, series, patient),
            sequence=sequence,
        )
        last = series.at(series.last_day).astimezone(dt.UTC)
        event.add("RRULE", {"FREQ": "DAILY", "UNTIL": last})
        event.add("CLASS", "PRIVATE")
        event.add("TRANSP", "TRANSPARENT")
        event.add_component(_alarm(f"Time for your {summary.lower()}", lead))
        cal.add_component(event)
    for checkpoint in schedule.checkpoints:
        summary = f"Back exercises: {checkpoint.checkpoint.title}"
        event = Event.new(
            uid=event_uid(bundle, plan, patient, "checkpoint", checkpoint.index + 1),
            stamp=build_time,
            start=checkpoint.at,
            end=checkpoint.at + CHECKPOINT_LENGTH,
            summary=summary,
            description=checkpoint_description(bundle, checkpoint, patient),
            sequence=sequence,
        )
        event.add("CLASS", "PRIVATE")
        event.add("TRANSP", "TRANSPARENT")
        event.add_component(_alarm(summary, lead))
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


class IcsCalendar(Exporter):
    """Per-patient reminder calendars."""

    name = "ics"
    description = "A reminder calendar per patient (iCalendar), in the patient's own time zone."
    needs = "patients"

    def render_patient(self, context: PatientContext) -> Iterator[Artifact]:
        data = calendar_bytes(context.bundle, context.schedule, context.build_time)
        yield Artifact(
            "reminders.ics", data, "text/calendar", patient_facing=True, plan=context.patient.plan
        )


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Provide the `ics` format."""
    register(IcsCalendar())
