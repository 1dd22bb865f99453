"""Built-in plugin: a patient's reminder calendar (RFC 5545), made with the icalendar package.

One recurring event per phase and daily session (RRULE until the phase ends) in the patient's
time zone with a matching VTIMEZONE, one event per checkpoint, stable UIDs, and a display
alarm at the patient's lead time. Summaries are discreet: they never name the diagnosis.
See docs/decisions/0003-icalendar.md for why icalendar and not ics, and
docs/decisions/0006-calendar-speed.md for how `ics_writer` writes a calendar fast with it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from sciatica_pipeline import __version__
from sciatica_pipeline.exporters.ics.writer import (
    Node,
    Ready,
    Shaped,
    Value,
    Writer,
    to_component,
)
from sciatica_pipeline.exporters.ids import StableIds
from sciatica_pipeline.exporters.region import distances, emergency_line, patient_region
from sciatica_pipeline.exporters.wording import SEVERITY_HEADINGS, dosage_parts
from sciatica_pipeline.model.content import (
    RED_FLAG_ORDER,
    SEVERITY_ORDER,
    Bundle,
    Checkpoint,
    Dosage,
    Exercise,
    Phase,
    Plan,
    Precaution,
)
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.model.schedule import (
    Schedule,
    ScheduledCheckpoint,
    ScheduledExercise,
    SessionSeries,
)
from sciatica_pipeline.plugins.exporter import Artifact, Exporter, PatientContext
from sciatica_pipeline.plugins.hookspecs import hookimpl
from sciatica_pipeline.run.memo import Memo, Table

#: Namespace of the calendar UIDs: uuid5 of (bundle, plan, patient, phase, session).
UID_NAMESPACE = uuid.UUID("6b1f9a53-5a57-4c36-9a8e-5d0f1a7c2e11")
UID_DOMAIN = "sciatica-pipeline"

CALENDAR_NAME = "Back exercise reminders"
#: The all-day event on the plan's first day that holds the warning signs in full.
FIRST_DAY_SUMMARY = "Back exercises: read first"
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
    """The warning signs in full, each with its action (the "read first" event)."""
    lines = ["WARNING SIGNS: WHEN TO GET HELP"]
    for severity in RED_FLAG_ORDER:
        flags = [p for p in bundle.red_flags_for(plan) if p.severity == severity]
        if flags:
            lines.append(f"{SEVERITY_HEADINGS[severity]}:")
            lines += [f"- {p.title}. {p.action}" for p in flags]
    return lines


def _emergency(bundle: Bundle, plan: Plan, region: str | None) -> str:
    """The first line of every event: the emergency number, and the signs that need it."""
    flags = [p.title for p in bundle.red_flags_for(plan) if p.severity == "emergency"]
    line = emergency_line(region)
    if not flags:
        return line
    return f"{line} {SEVERITY_HEADINGS['emergency']}: {'; '.join(flags)}."


def _other_signs(bundle: Bundle, plan: Plan) -> str:
    """The other warning signs by title, and where their full text is."""
    parts = []
    for severity in RED_FLAG_ORDER[1:]:
        flags = [p.title for p in bundle.red_flags_for(plan) if p.severity == severity]
        if flags:
            parts.append(f"{SEVERITY_HEADINGS[severity]}: {'; '.join(flags)}.")
    parts.append(f'All warning signs: your booklet and "{FIRST_DAY_SUMMARY}".')
    return " ".join(parts)


def _contact(patient: Patient) -> tuple[str, ...]:
    if patient.clinic_phone:
        clinic = patient.clinic_name or "your clinic"
        return (f"Questions? Call {clinic} at {patient.clinic_phone}.",)
    if patient.clinic_name:
        return (f"Questions? Call {patient.clinic_name}.",)
    return ()


#: How many distinct event texts, alarms and time zones a run's memo keeps.
TEXTS_SIZE = 4096
ALARMS_SIZE = 1024
ZONES_SIZE = 256


def session_description(
    bundle: Bundle, series: SessionSeries, patient: Patient, memo: Memo | None = None
) -> str:
    """The event text: the session's exercises with dosage, their precautions (each once),
    the red flags, the clinic's phone and the disclaimer."""
    # Memoised without the clinic's lines, which end the text: every patient on a plan in
    # the same region shares the rest, whatever their clinic. Looked up by numbers, as
    # hashing the phase and its exercises cost more than the lookup; the entry keeps what the
    # text was made from, which must be equal (one identical object, in a run's schedules).
    region = patient_region(patient)
    phase, exercises = series.phase, series.exercises

    def make() -> tuple[Phase, tuple[ScheduledExercise, ...], str]:
        return phase, exercises, _session_text(bundle, patient.plan, phase, exercises, (), region)

    key = ("session", patient.plan, phase.number, series.index, region)
    made_from, made_with, body = _entries(memo).get(key, make)
    if (made_from is not phase and made_from != phase) or made_with != exercises:
        body = make()[2]  # another phase under the same numbers (a hand-made schedule)
    return _with_contact(body, patient)


def _with_contact(body: str, patient: Patient) -> str:
    """A text that ends with whom to call (the text `_session_text` or `_checkpoint_text`
    would give with the patient's contact lines)."""
    return "\n".join([body, *_contact(patient)]).strip()


def _texts(memo: Memo | None) -> Table[Any, str]:
    return (memo or Memo()).table("ics.texts", maxsize=TEXTS_SIZE)


def _entries(memo: Memo | None) -> Table[Any, tuple[Phase, tuple[ScheduledExercise, ...], str]]:
    return (memo or Memo()).table("ics.sessions", maxsize=TEXTS_SIZE)


def _session_text(
    bundle: Bundle,
    plan_id: str,
    phase: Phase,
    exercises: tuple[ScheduledExercise, ...],
    contact: tuple[str, ...],
    region: str | None,
) -> str:
    """Short, for a phone: the emergency line first, then this session's exercises with
    what to do in it and their precautions by title, the other warning signs by title, whom
    to call. The full text is in the booklet and in the plan's first event."""
    plan = bundle.plans[plan_id]
    lines = [_emergency(bundle, plan, region), f"{phase.weeks_label}, this session:"]
    lines += [f"- {x.exercise.name}: {compact_dosage(x.dosage)}" for x in exercises]
    titles = _by_severity_once(bundle, [x.exercise for x in exercises])
    lines.append(f"Take care: {' '.join(_sentence(p.title) for p in titles)}")
    if phase.walking and phase.walking.miles:
        lines.append(f"Walking: {distances(phase.walking.target, region)}")
    lines += [_other_signs(bundle, plan), *contact]
    return "\n".join(lines).strip()


def compact_dosage(dosage: Dosage) -> str:
    """A session's dose in few characters: `3 times, hold 30 sec, each side`."""
    parts = dosage_parts(replace(dosage, times_per_day=None))
    text = ", ".join(parts).replace(" seconds", " sec").replace(" second", " sec")
    text = text.replace(" minutes", " min").replace(" minute", " min")
    return text or "ask your clinician how much"


def _sentence(title: str) -> str:
    return title if title[-1:] in ".?!:" else title + "."


def _by_severity_once(bundle: Bundle, exercises: list[Exercise]) -> tuple[Precaution, ...]:
    """The precautions of `exercises`, each once, most serious first."""
    seen = {p.id: p for e in exercises for p in bundle.precautions_for(e)}
    return tuple(sorted(seen.values(), key=lambda p: (SEVERITY_ORDER.index(p.severity), p.id)))


def checkpoint_description(
    bundle: Bundle,
    checkpoints: tuple[ScheduledCheckpoint, ...],
    patient: Patient,
    memo: Memo | None = None,
) -> str:
    """The text of a day's checkpoints: the emergency line, each checkpoint with its
    precaution, the warning signs in short, whom to call."""
    region = patient_region(patient)
    items = tuple(c.checkpoint for c in checkpoints)
    body = _texts(memo).get(
        ("checkpoint", patient.plan, items, region),
        lambda: _checkpoint_text(bundle, patient.plan, items, (), region),
    )
    return _with_contact(body, patient)


def _checkpoint_text(
    bundle: Bundle,
    plan_id: str,
    checkpoints: tuple[Checkpoint, ...],
    contact: tuple[str, ...],
    region: str | None,
) -> str:
    lines = [emergency_line(region)]
    for checkpoint in checkpoints:
        lines.append(f"{checkpoint.title}: {checkpoint.text}")
        if checkpoint.precaution:
            precaution = bundle.precautions[checkpoint.precaution]
            lines.append(f"{precaution.title}: {precaution.action}")
    lines[0] = _emergency(bundle, bundle.plans[plan_id], region)
    lines += [_other_signs(bundle, bundle.plans[plan_id]), *contact]
    return "\n".join(lines).strip()


def first_day_description(bundle: Bundle, patient: Patient, memo: Memo | None = None) -> str:
    """The plan's first event: the warning signs in full with their actions, the rules for
    every exercise, whom to call and the whole disclaimer."""
    contact = _contact(patient)
    region = patient_region(patient)

    def make() -> str:
        plan = bundle.plans[patient.plan]
        shared = bundle.shared_precautions(bundle.plan_exercises(plan))
        lines = [emergency_line(region), "", *_safety_text(bundle, plan), ""]
        if shared:
            lines.append("THE RULES FOR EVERY EXERCISE")
            lines += [f"- {p.title}: {p.text} {p.action}" for p in shared]
            lines.append("")
        lines += [*contact, bundle.manifest.disclaimer]
        return "\n".join(lines).strip()

    return _texts(memo).get(("first-day", patient.plan, contact, region), make)


def _alarm(text: str, lead_minutes: int) -> Node:
    """A display alarm at the patient's lead time."""
    return Node(
        "VALARM",
        (
            ("ACTION", "DISPLAY"),
            ("DESCRIPTION", text),
            ("TRIGGER", -dt.timedelta(minutes=lead_minutes)),
        ),
    )


def _vtimezone(tzid: str, first_year: int, last_year: int) -> Ready:
    """The VTIMEZONE for whole calendar years, made by icalendar once and shared: many
    patients share a zone and a year, so it need not be generated for every calendar."""
    from icalendar import Timezone

    zone = Timezone.from_tzid(
        tzid, first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year + 1, 1, 1)
    )
    # icalendar adds a COMMENT naming the years covered; RFC 5545 allows no COMMENT in a
    # VTIMEZONE (only in its STANDARD/DAYLIGHT parts), and libical's strict check rejects it.
    zone.pop("COMMENT", None)
    return Ready.of(zone)


def calendar_node(
    bundle: Bundle, schedule: Schedule, build_time: dt.datetime, memo: Memo | None = None
) -> Node:
    """The patient's whole calendar as data; `to_bytes` writes it, `to_component` turns it
    into icalendar objects. `memo` is the run's: texts, alarms and time zones that many
    patients share are made once."""
    return calendar_shaped(bundle, schedule, build_time, memo).node()


def _event(
    summary: str,
    stamp: dt.datetime,
    sequence: int,
    values: tuple[Value, ...],
) -> Node:
    """A private, non-blocking event: from its start, end, UID, description and, for a
    session, the last start of its daily repeats (in UTC)."""
    start, end, uid, description, *last = values
    repeat: tuple[tuple[str, Value], ...] = (
        (("RRULE", (("FREQ", "DAILY"), ("UNTIL", last[0]))),) if last else ()
    )
    return Node(
        "VEVENT",
        (
            ("SUMMARY", summary),
            ("DTSTART", start),
            ("DTEND", end),
            ("DTSTAMP", stamp),
            ("UID", uid),
            ("SEQUENCE", sequence),
            *repeat,
            ("CLASS", "PRIVATE"),
            ("DESCRIPTION", description),
            ("TRANSP", "TRANSPARENT"),
        ),
    )


def calendar_shaped(
    bundle: Bundle, schedule: Schedule, build_time: dt.datetime, memo: Memo | None = None
) -> Shaped:
    """The patient's calendar as components that differ from patient to patient only by
    their date-times, UIDs and descriptions (`Shaped`): the writer makes each kind of event
    once a run and fills in every patient's values. `calendar_node` is the same calendar."""
    memo = memo if memo is not None else Memo()
    # Alarms are the same for every patient with the same lead time: written once, whole.
    alarms: Table[tuple[str, int], Ready] = memo.table("ics.alarms", maxsize=ALARMS_SIZE)
    zones: Table[tuple[str, int, int], Ready] = memo.table("ics.zones", maxsize=ZONES_SIZE)
    patient, plan = schedule.patient, schedule.plan
    ids = StableIds(UID_NAMESPACE, bundle.manifest.id, plan.id, patient.id)

    def uid(*parts: str | int) -> str:
        """`event_uid(bundle, plan, patient, *parts)`, with the shared prefix hashed once."""
        return f"{ids('/'.join(map(str, parts)))}@{UID_DOMAIN}"

    stamp = build_time.astimezone(dt.UTC)
    sequence = sequence_for(bundle.manifest.version)
    lead = patient.reminder_minutes

    def event(summary: str, reminder: str, *values: Value) -> Shaped:
        """An event with the patient's reminder: its bytes depend on the summary, the stamp
        and the sequence, besides its values and its alarm."""
        alarm = alarms.get((reminder, lead), lambda: Ready.of(to_component(_alarm(reminder, lead))))
        return Shaped(
            ("event", summary, stamp, sequence),
            lambda v: _event(summary, stamp, sequence, v),
            values,
            (alarm,),
        )

    events: list[Shaped] = []
    for series in schedule.series:
        summary = f"Back exercises ({series.label})"
        start = series.start
        events.append(
            event(
                summary,
                f"Time for your {summary.lower()}",
                start,
                start + SESSION_LENGTH,
                uid(f"phase-{series.phase.number}", f"session-{series.index + 1}"),
                session_description(bundle, series, patient, memo),
                series.at(series.last_day).astimezone(dt.UTC),
            )
        )
    # One event per checkpoint day, after the day's first session: its alarm goes off when
    # that session ends, so neither the event nor its alarm shares a minute with the
    # session or the session's alarm.
    days: dict[dt.date, list[ScheduledCheckpoint]] = {}
    for checkpoint in schedule.checkpoints:
        days.setdefault(checkpoint.day, []).append(checkpoint)
    for group in days.values():
        summary = "Back exercises: " + "; ".join(c.checkpoint.title for c in group)
        start = group[0].at + SESSION_LENGTH + dt.timedelta(minutes=lead)
        events.append(
            event(
                summary,
                summary,
                start,
                start + CHECKPOINT_LENGTH,
                uid("checkpoint", group[0].index + 1),
                checkpoint_description(bundle, tuple(group), patient, memo),
            )
        )
    first_day = schedule.first_day
    events.insert(
        0,
        Shaped(
            ("first-day", stamp, sequence),
            lambda v: _event(FIRST_DAY_SUMMARY, stamp, sequence, v),
            (
                first_day,
                first_day + dt.timedelta(days=1),
                uid("first-day"),
                first_day_description(bundle, patient, memo),
            ),
        ),
    )
    # The VTIMEZONE comes before the events that use it.
    years = (patient.timezone, schedule.first_day.year, schedule.last_day.year)
    zone = zones.get(years, lambda: _vtimezone(*years))
    return Shaped(
        ("calendar", patient.timezone),
        lambda v: _calendar(patient.timezone, v),
        (uid("calendar"),),
        (zone, *events),
    )


def _calendar(timezone: str, values: tuple[Value, ...]) -> Node:
    """The VCALENDAR's own properties, from its UID."""
    [uid] = values
    return Node(
        "VCALENDAR",
        (
            ("VERSION", "2.0"),
            ("PRODID", PRODID),
            ("CALSCALE", "GREGORIAN"),
            ("NAME", CALENDAR_NAME),
            ("X-WR-CALNAME", CALENDAR_NAME),
            ("UID", uid),
            ("X-WR-TIMEZONE", timezone),
        ),
    )


def calendar_bytes(
    bundle: Bundle, schedule: Schedule, build_time: dt.datetime, memo: Memo | None = None
) -> bytes:
    """The patient's whole calendar as RFC 5545 bytes (CRLF, folded, escaped): the bytes
    icalendar writes for `calendar_node`.

    :param memo: the run's memo (`context.memo`); without one nothing is reused."""
    memo = memo if memo is not None else Memo()
    return Writer(memo).shaped(calendar_shaped(bundle, schedule, build_time, memo))


class IcsCalendar(Exporter):
    """Per-patient reminder calendars."""

    name = "ics"
    description = "A reminder calendar per patient (iCalendar), in the patient's own time zone."
    scopes = frozenset({"patient"})

    def render_patient(self, context: PatientContext) -> Iterator[Artifact]:
        """The patient's `reminders.ics`."""
        data = calendar_bytes(context.bundle, context.schedule, context.build_time, context.memo)
        yield Artifact(
            "reminders.ics", data, "text/calendar", patient_facing=True, plan=context.patient.plan
        )


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Provide the `ics` format."""
    register(IcsCalendar())
