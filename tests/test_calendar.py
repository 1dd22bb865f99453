"""Calendars, read back with icalendar and expanded with recurring-ical-events: every session
at the patient's local time across daylight-saving changes, stable unique UIDs, RFC 5545
folding and escaping, discreet summaries, and the exporter contract."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from conftest import CONTENT
from sciatica_pipeline.exporters.ics import (
    FIRST_DAY_SUMMARY,
    IcsCalendar,
    calendar_bytes,
    event_uid,
    sequence_for,
)
from sciatica_pipeline.inputs.patients import read_patients
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.model.schedule import schedule
from sciatica_pipeline.plugins.testing import check_patient_exporter

BUILD = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def patients(bundle: Bundle) -> list[Patient]:
    records = list(read_patients(CONTENT / "examples" / "patients.csv", bundle))
    assert all(r.patient for r in records), [r.problems for r in records]
    return [r.patient for r in records if r.patient]


@pytest.fixture(scope="module")
def calendars(bundle: Bundle, patients: list[Patient]) -> dict[str, bytes]:
    """Every example patient's calendar, each held to the exporter contract."""
    out = {}
    for patient in patients:
        [artifact] = check_patient_exporter(IcsCalendar(), bundle, patient, build_time=BUILD)
        out[patient.id] = artifact.data
    return out


def parse(data: bytes) -> Any:
    """A calendar read back with icalendar (typed loosely: tests index properties by name)."""
    return icalendar.Calendar.from_ical(data)


def expand(data: bytes, patient: Patient, bundle: Bundle) -> list[Any]:
    cal = parse(data)
    plan = bundle.plans[patient.plan]
    start = patient.start_date - dt.timedelta(days=2)
    end = patient.start_date + dt.timedelta(weeks=plan.duration_weeks, days=2)
    events: list[Any] = recurring_ical_events.of(cal).between(start, end)
    return events


def test_every_session_is_at_local_time_every_day(
    bundle: Bundle, patients: list[Patient], calendars: dict[str, bytes]
) -> None:
    for patient in patients:
        plan = bundle.plans[patient.plan]
        zone = ZoneInfo(patient.timezone)
        sessions = [
            e
            for e in expand(calendars[patient.id], patient, bundle)
            if str(e["SUMMARY"]).startswith("Back exercises (")
        ]
        local = [e["DTSTART"].dt.astimezone(zone) for e in sessions]
        days = [patient.start_date + dt.timedelta(days=i) for i in range(plan.duration_weeks * 7)]
        expected = Counter((d, t) for d in days for t in patient.session_times)
        assert Counter((x.date(), x.time()) for x in local) == expected, patient.id


def test_new_york_session_keeps_eight_oclock_across_the_spring_change(
    bundle: Bundle, patients: list[Patient], calendars: dict[str, bytes]
) -> None:
    patient = next(p for p in patients if p.id == "P-0001")
    events = expand(calendars[patient.id], patient, bundle)
    mornings = {
        e["DTSTART"].dt.date(): e["DTSTART"].dt for e in events if "(morning)" in str(e["SUMMARY"])
    }
    before, after = mornings[dt.date(2027, 3, 13)], mornings[dt.date(2027, 3, 15)]
    assert before.astimezone(dt.UTC).hour == 13  # 08:00 EST
    assert after.astimezone(dt.UTC).hour == 12  # 08:00 EDT
    zone = ZoneInfo("America/New_York")
    assert before.astimezone(zone).hour == after.astimezone(zone).hour == 8


def test_checkpoints_fall_at_the_end_of_their_week_after_the_session(
    bundle: Bundle, patients: list[Patient], calendars: dict[str, bytes]
) -> None:
    """One event per checkpoint day, once the day's first session is over (issue 19: three
    events and three alarms at the same minute)."""
    for patient in patients:
        plan = bundle.plans[patient.plan]
        events = expand(calendars[patient.id], patient, bundle)
        checkpoints = [
            e
            for e in events
            if str(e["SUMMARY"]).startswith("Back exercises: ")
            and str(e["SUMMARY"]) != FIRST_DAY_SUMMARY
        ]
        got = sorted((e["DTSTART"].dt.date(), str(e["SUMMARY"])) for e in checkpoints)
        weeks: dict[int, list[str]] = {}
        for c in plan.checkpoints:
            weeks.setdefault(c.after_week, []).append(c.title)
        want = sorted(
            (
                patient.start_date + dt.timedelta(weeks=week, days=-1),
                "Back exercises: " + "; ".join(titles),
            )
            for week, titles in weeks.items()
        )
        assert got == want
        sessions = [e for e in events if "RRULE" in e or "(" in str(e["SUMMARY"])]
        starts = {e["DTSTART"].dt for e in sessions}
        alarms = {
            e["DTSTART"].dt - dt.timedelta(minutes=patient.reminder_minutes) for e in sessions
        }
        for event in checkpoints:
            start = event["DTSTART"].dt
            assert start not in starts and start not in alarms, (patient.id, start)
            alarm = start - dt.timedelta(minutes=patient.reminder_minutes)
            assert alarm not in alarms and alarm not in starts, (patient.id, start)


def test_calendar_structure(patients: list[Patient], calendars: dict[str, bytes]) -> None:
    for patient in patients:
        cal = parse(calendars[patient.id])
        assert "METHOD" not in cal
        assert str(cal["PRODID"]).startswith("-//sciatica-pipeline//")
        assert str(cal["X-WR-CALNAME"]) == str(cal["NAME"]) == "Back exercise reminders"
        tzids = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
        assert tzids == {patient.timezone}
        for event in cal.walk("VEVENT"):
            assert event["DTSTAMP"].dt == BUILD
            if str(event["SUMMARY"]) == FIRST_DAY_SUMMARY:  # all day, no alarm
                assert event["DTSTART"].dt == patient.start_date
                assert not event.walk("VALARM")
                continue
            assert event["DTSTART"].params["TZID"] == patient.timezone
            [alarm] = event.walk("VALARM")
            assert str(alarm["ACTION"]) == "DISPLAY"
            assert alarm["TRIGGER"].dt == -dt.timedelta(minutes=patient.reminder_minutes)
        rules = [e for e in cal.walk("VEVENT") if "RRULE" in e]
        assert len(rules) == len(patient.session_times) * 4  # one per phase and session


def test_uids_are_unique_within_and_stable_across_runs(
    bundle: Bundle, patients: list[Patient], calendars: dict[str, bytes]
) -> None:
    seen: set[str] = set()
    for patient in patients:
        uids = [str(e["UID"]) for e in parse(calendars[patient.id]).walk("VEVENT")]
        assert len(uids) == len(set(uids))
        assert not seen & set(uids), "UIDs must differ between patients"
        seen |= set(uids)
        later = calendar_bytes(bundle, schedule(bundle, patient), BUILD + dt.timedelta(days=30))
        again = [str(e["UID"]) for e in parse(later).walk("VEVENT")]
        assert again == uids


def test_uids_are_the_uuid5s_of_their_names(
    bundle: Bundle, patients: list[Patient], calendars: dict[str, bytes]
) -> None:
    # The calendar hashes the shared prefix once; the UIDs must be what event_uid gives.
    patient = patients[0]
    plan = bundle.plans[patient.plan]
    cal = parse(calendars[patient.id])
    assert str(cal["UID"]) == event_uid(bundle, plan, patient, "calendar")
    uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
    assert event_uid(bundle, plan, patient, "first-day") in uids
    assert event_uid(bundle, plan, patient, "phase-1", "session-1") in uids
    assert event_uid(bundle, plan, patient, "checkpoint", 1) in uids


def test_same_input_same_bytes(bundle: Bundle, patients: list[Patient]) -> None:
    patient = patients[0]
    one = calendar_bytes(bundle, schedule(bundle, patient), BUILD)
    two = calendar_bytes(bundle, schedule(bundle, patient), BUILD)
    assert one == two


def test_sequence_rises_with_the_content_version(bundle: Bundle, patients: list[Patient]) -> None:
    patient = patients[0]
    major, minor, _ = bundle.manifest.version.split(".")
    next_minor = f"{major}.{int(minor) + 1}.0"  # whatever the content's version is now
    newer = dataclasses.replace(
        bundle, manifest=dataclasses.replace(bundle.manifest, version=next_minor)
    )
    old = parse(calendar_bytes(bundle, schedule(bundle, patient), BUILD))
    new = parse(calendar_bytes(newer, schedule(newer, patient), BUILD))
    old_sequences = {int(e["SEQUENCE"]) for e in old.walk("VEVENT")}
    assert min(int(e["SEQUENCE"]) for e in new.walk("VEVENT")) > max(old_sequences)
    assert [str(e["UID"]) for e in new.walk("VEVENT")] == [
        str(e["UID"]) for e in old.walk("VEVENT")
    ]
    assert sequence_for("1.0.9") < sequence_for("1.1.0") < sequence_for("2.0.0")


def test_lines_are_folded_crlf_and_utf8_safe(bundle: Bundle) -> None:
    patient = Patient(
        id="P-UTF8",
        plan="sciatica-plan",
        start_date=dt.date(2027, 3, 1),
        timezone="Europe/Lisbon",
        session_times=(dt.time(8), dt.time(18)),
        clinic_name="Clínica São João — Fisioterapia e Reabilitação",
        clinic_phone="+351 21 555 0000",
    )
    data = calendar_bytes(bundle, schedule(bundle, patient), BUILD)
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")  # no character split across a fold
    unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
    assert "Clínica São João — Fisioterapia e Reabilitação" in unfolded
    for value in re.findall(r"^(?:SUMMARY|DESCRIPTION)[^:]*:(.*)$", unfolded, re.M):
        assert not re.search(r"\\[^\\;,nN]", value), "only RFC 5545 escapes are allowed"


def test_summaries_never_name_the_diagnosis(
    bundle: Bundle, patients: list[Patient], calendars: dict[str, bytes]
) -> None:
    for patient in patients:
        condition = bundle.condition_of(bundle.plans[patient.plan])
        words = [condition.name, *condition.also_called, "sciatica", "disc", "stenosis"]
        cal = parse(calendars[patient.id])
        texts = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] + [str(cal["NAME"])]
        texts += [str(a["DESCRIPTION"]) for a in cal.walk("VALARM")]
        for text in texts:
            assert not any(w.lower() in text.lower() for w in words), text


def test_description_lists_exercises_precautions_red_flags_and_clinic(
    bundle: Bundle, patients: list[Patient], calendars: dict[str, bytes]
) -> None:
    patient = next(p for p in patients if p.id == "P-0001")
    cal = parse(calendars[patient.id])
    first = next(e for e in cal.walk("VEVENT") if "(morning)" in str(e["SUMMARY"]))
    text = str(first["DESCRIPTION"])
    plan = bundle.plans[patient.plan]
    for rx in plan.phases[0].exercises:
        exercise = bundle.exercises[rx.exercise]
        assert exercise.name in text
        for precaution in bundle.precautions_for(exercise):
            assert precaution.title in text
    for flag in bundle.red_flags_for(plan):
        assert flag.title in text
    assert "Call Riverside Physical Therapy at +1 202 555 0100." in text


def test_a_time_skipped_by_daylight_saving_moves_forward(bundle: Bundle) -> None:
    patient = Patient(
        id="P-GAP",
        plan="sciatica-plan",
        start_date=dt.date(2027, 3, 8),
        timezone="America/New_York",
        session_times=(dt.time(2, 30), dt.time(18)),
    )
    plan_schedule = schedule(bundle, patient)
    at = {s.at.date(): s.at for s in plan_schedule.sessions() if s.series.index == 0}
    assert at[dt.date(2027, 3, 14)].time() == dt.time(3, 30)  # 02:30 does not exist that day
    assert at[dt.date(2027, 3, 15)].time() == dt.time(2, 30)


#: The emergency number each example patient's calendar gives, by the region rule (the time
#: zone, then the clinic's phone, then the mobile): New York, London, Sydney, Kolkata, Los
#: Angeles, Berlin.
EMERGENCY = {
    "P-0001": "911",
    "P-0002": "999",
    "P-0003": "000",
    "P-0004": "112",
    "P-0005": "911",
    "P-0006": "112",
}


def test_every_event_starts_with_the_emergency_line_and_names_every_warning_sign(
    bundle: Bundle, patients: list[Patient], calendars: dict[str, bytes]
) -> None:
    """A person sees one event at a time: each starts with the number to call in the
    patient's region and the signs that need it, and names the other warning signs; the
    plan's first event carries them all with their actions, and the whole disclaimer."""
    for patient in patients:
        plan = bundle.plans[patient.plan]
        flags = bundle.red_flags_for(plan)
        events = parse(calendars[patient.id]).walk("VEVENT")
        for event in events:
            text = str(event["DESCRIPTION"])
            assert text.startswith(f"In an emergency, call {EMERGENCY[patient.id]}."), text
            assert all(flag.title in text for flag in flags), event["SUMMARY"]
        [first] = [e for e in events if str(e["SUMMARY"]) == FIRST_DAY_SUMMARY]
        text = str(first["DESCRIPTION"])
        assert bundle.manifest.disclaimer in text
        assert all(f"{flag.title}. {flag.action}" in text for flag in flags)


def test_session_descriptions_are_short_and_list_the_exercises_first(
    bundle: Bundle, patients: list[Patient], calendars: dict[str, bytes]
) -> None:
    """Issue 19: the session's exercises right after the emergency line, and far shorter
    than the 2,000-2,800 characters they were: every warning sign and precaution is still
    named, so the largest session (11 exercises) stays under 1,300, not 600."""
    for patient in patients:
        for event in parse(calendars[patient.id]).walk("VEVENT"):
            if "RRULE" not in event:
                continue
            lines = str(event["DESCRIPTION"]).split("\n")
            assert lines[1].endswith("this session:"), lines[1]
            listed = [line for line in lines[2:] if line.startswith("- ")]
            assert lines[2 : 2 + len(listed)] == listed
            assert len(str(event["DESCRIPTION"])) < 1300, (patient.id, len(listed))


def test_walking_distances_are_in_the_patients_unit(
    bundle: Bundle, patients: list[Patient], calendars: dict[str, bytes]
) -> None:
    """Miles for the US and the UK, kilometres with the source's miles elsewhere."""
    for patient in patients:
        text = " ".join(str(e["DESCRIPTION"]) for e in parse(calendars[patient.id]).walk("VEVENT"))
        assert "3 miles" in text, patient.id
        metric = patient.id in {"P-0003", "P-0004", "P-0006"}
        assert ("3 miles (about 5 km)" in text) == metric, patient.id
