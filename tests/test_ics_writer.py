"""The fast calendar writer gives exactly the bytes icalendar's own objects give, for any
patient and any property value, with its memo warm, cold or overflowing."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sciatica_pipeline.exporters.ics import calendar_bytes, calendar_node, session_description
from sciatica_pipeline.exporters.ics import writer as ics_writer
from sciatica_pipeline.exporters.ics.writer import (
    Node,
    Ready,
    Shaped,
    Value,
    to_bytes,
    to_component,
)
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.model.schedule import schedule
from sciatica_pipeline.run.memo import Memo

# One memo for the whole module, as in a long run: what earlier tests wrote is still there,
# so a line memoised for one value must never be handed to another.
RUN_MEMO = Memo()

ZONES = (
    "America/New_York",
    "America/St_Johns",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "Asia/Tehran",
    "Africa/Casablanca",
    "UTC",
)
BUILD = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)

# Any text a clinic might type, including what RFC 5545 must escape and multi-byte letters.
texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters=',;\\:\n"'),
    min_size=1,
    max_size=60,
)
times = st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 1, 15, 30, 59]))


def reference(node: Node) -> bytes:
    """What icalendar writes when it builds every object itself."""
    data: bytes = to_component(node).to_ical()
    return data


@st.composite
def patients(draw: st.DrawFn, bundle: Bundle) -> Patient:
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
        clinic_name=draw(st.none() | texts),
        clinic_phone=draw(st.none() | st.sampled_from(["+1 202 555 0100", "020 7946 0000"])),
    )


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_a_patients_calendar_is_byte_for_byte_what_icalendar_writes(
    bundle: Bundle, data: st.DataObject
) -> None:
    patient = data.draw(patients(bundle))
    build_time = data.draw(
        st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2040, 1, 1), timezones=st.just(dt.UTC))
    )
    plan_schedule = schedule(bundle, patient)
    node = calendar_node(bundle, plan_schedule, build_time, RUN_MEMO)
    assert to_bytes(node, RUN_MEMO) == reference(node)
    # what the exporter writes: each event filled into a pattern made once a run
    assert calendar_bytes(bundle, plan_schedule, build_time, RUN_MEMO) == reference(node)


# Floating, UTC and zoned date-times: icalendar writes each differently.
zones: st.SearchStrategy[dt.tzinfo] = st.sampled_from([dt.UTC, *(ZoneInfo(z) for z in ZONES)])
date_times = st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2090, 1, 1)) | st.datetimes(
    dt.datetime(1990, 1, 1), dt.datetime(2090, 1, 1), timezones=zones
)
# Texts icalendar writes as they are (UIDs, say), short and long enough to fold.
plain_texts = st.from_regex(r"[A-Za-z0-9@._-]{1,150}", fullmatch=True)
rules: st.SearchStrategy[Value] = st.builds(
    lambda freq, until, days: (("FREQ", freq), ("UNTIL", until), ("BYDAY", days)),
    st.sampled_from(["DAILY", "WEEKLY"]),
    st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2090, 1, 1), timezones=st.just(dt.UTC))
    | st.dates(dt.date(2000, 1, 1), dt.date(2090, 1, 1)),
    st.lists(st.sampled_from(["MO", "TU", "WE", "1MO", "-1FR"]), min_size=1, unique=True).map(
        tuple
    ),
)
values: st.SearchStrategy[tuple[str, Value]] = st.one_of(
    st.tuples(st.sampled_from(["SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT"]), texts),
    st.tuples(st.sampled_from(["UID", "SUMMARY", "uid", "X-CLINIC"]), plain_texts),
    # DTSTAMP, CREATED and LAST-MODIFIED are converted to UTC; the others are written as given.
    st.tuples(
        st.sampled_from(["DTSTART", "DTEND", "RECURRENCE-ID", "DTSTAMP", "CREATED"]),
        date_times,
    ),
    st.tuples(st.just("RRULE"), rules),
    st.tuples(st.just("DUE"), st.dates()),
    st.tuples(st.sampled_from(["SEQUENCE", "PRIORITY"]), st.integers(0, 9)),
    st.tuples(st.just("DURATION"), st.timedeltas(dt.timedelta(0), dt.timedelta(days=30))),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(values, min_size=1, max_size=12, unique_by=lambda p: p[0].upper()))
def test_any_event_is_byte_for_byte_what_icalendar_writes(
    properties: list[tuple[str, Value]],
) -> None:
    node = Node("VEVENT", tuple(properties))
    assert to_bytes(node, RUN_MEMO) == reference(node)
    # the memoised lines are the same lines
    assert to_bytes(node, RUN_MEMO) == to_bytes(node, RUN_MEMO)


def test_the_same_instant_in_two_zones_is_not_mixed_up(bundle: Bundle) -> None:
    """08:00 in New York and 13:00 in London are equal datetimes to Python; the memo must not
    hand one patient the other's TZID."""
    day = dt.date(2027, 3, 1)
    new_york = dt.datetime.combine(day, dt.time(8), ZoneInfo("America/New_York"))
    london = dt.datetime.combine(day, dt.time(13), ZoneInfo("Europe/London"))
    assert new_york == london
    first = to_bytes(Node("VEVENT", (("DTSTART", new_york),)), RUN_MEMO)
    second = to_bytes(Node("VEVENT", (("DTSTART", london),)), RUN_MEMO)
    assert b"DTSTART;TZID=America/New_York:20270301T080000\r\n" in first
    assert b"DTSTART;TZID=Europe/London:20270301T130000\r\n" in second


class ClinicZone(dt.tzinfo):
    """A zone icalendar can only name by `tzname()`, which changes with the date."""

    def __init__(self, name: str) -> None:
        self.name = name

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(hours=1)

    def dst(self, when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, when: dt.datetime | None) -> str:
        summer = when is not None and 4 <= when.month <= 9
        return f"{self.name}/{'summer' if summer else 'winter'}"


def test_a_zone_named_by_the_date_is_never_memoised() -> None:
    """Such zone objects look alike (and may reuse a freed one's address): each date-time
    must be written afresh."""
    for i in range(50):
        for month in (1, 7):
            when = dt.datetime(2027, month, 1, 8, tzinfo=ClinicZone(f"Zone{i}"))
            node = Node("VEVENT", (("DTSTART", when), ("RRULE", (("FREQ", "DAILY"),))))
            assert to_bytes(node, RUN_MEMO) == reference(node)
            season = "summer" if month == 7 else "winter"
            assert f"TZID=Zone{i}/{season}:".encode() in to_bytes(node, RUN_MEMO)


NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("name", "first", "second"),
    [
        # The same wall time twice on the night the clocks go back: a different instant.
        (
            "DTSTAMP",
            dt.datetime(2027, 11, 7, 1, 30, tzinfo=NEW_YORK),
            dt.datetime(2027, 11, 7, 1, 30, fold=1, tzinfo=NEW_YORK),
        ),
        ("X-TIME", dt.time(8, tzinfo=NEW_YORK), dt.time(8, tzinfo=ZoneInfo("Europe/London"))),
        ("X-NUMBER", 0.0, -0.0),
        ("SEQUENCE", 1, True),
        ("SUMMARY", icalendar.vText("Walk", params={"LANGUAGE": "en"}), "Walk"),
        (
            "ATTENDEE",
            icalendar.vCalAddress("mailto:a@example.org", params={"CN": "Ann"}),
            icalendar.vCalAddress("mailto:a@example.org", params={"CN": "Bob"}),
        ),
    ],
)
def test_values_python_calls_equal_are_written_as_icalendar_writes_each(
    name: str, first: Any, second: Any
) -> None:
    for value in (first, second):
        node = Node("VEVENT", ((name, value),))
        assert to_bytes(node, RUN_MEMO) == reference(node)


def test_property_names_in_any_case_are_written_as_icalendar_writes_them() -> None:
    node = Node("VEVENT", (("summary", "Back exercises"), ("uid", "abc@example.org")))
    assert to_bytes(node, RUN_MEMO) == reference(node)
    assert b"SUMMARY:Back exercises\r\n" in to_bytes(node, RUN_MEMO)


def test_an_overflowing_memo_changes_nothing(
    bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = sorted(bundle.plans)
    rng = random.Random(7)
    nodes = []
    for i in range(12):
        plan = bundle.plans[plans[i % len(plans)]]
        patient = Patient(
            id=f"P-{i}",
            plan=plan.id,
            start_date=dt.date(2027, 1, 1) + dt.timedelta(days=rng.randrange(400)),
            timezone=ZONES[i % len(ZONES)],
            session_times=tuple(dt.time(7 + 5 * n) for n in range(plan.sessions_per_day)),
        )
        nodes.append(calendar_node(bundle, schedule(bundle, patient), BUILD))
    monkeypatch.setattr(ics_writer, "MEMO_SIZE", 5)
    memo = Memo()
    for node in nodes:
        assert to_bytes(node, memo) == reference(node)
    assert len(memo.table("ics.lines", maxsize=5)) <= 5


def test_properties_are_written_in_icalendars_order_whatever_order_they_are_given() -> None:
    start = dt.datetime(2027, 5, 3, 9, tzinfo=ZoneInfo("Europe/Dublin"))
    properties: list[tuple[str, Value]] = [
        ("X-CLINIC-NOTE", "kept"),
        ("DESCRIPTION", "Several, escaped; words"),
        ("UID", "one@example.org"),
        ("DTSTART", start),
        ("SUMMARY", "Back exercises (morning)"),
        ("RRULE", (("FREQ", "DAILY"), ("COUNT", 3))),
    ]
    expected = reference(Node("VEVENT", tuple(properties)))
    for _ in range(5):
        random.shuffle(properties)
        assert to_bytes(Node("VEVENT", tuple(properties)), RUN_MEMO) == expected
    names = [line.split(b":")[0].split(b";")[0] for line in expected.splitlines()]
    assert names.index(b"SUMMARY") < names.index(b"DTSTART") < names.index(b"UID")


def test_a_property_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="names a property twice"):
        Node("VEVENT", (("SUMMARY", "one"), ("summary", "two")))


def test_the_calendar_reads_back_as_the_component_it_came_from(bundle: Bundle) -> None:
    patient = Patient(
        id="P-READ",
        plan="sciatica-plan",
        start_date=dt.date(2027, 10, 25),
        timezone="Europe/London",
        session_times=(dt.time(8), dt.time(18)),
        clinic_name="Clinic; Back, Neck \\ Spine",
    )
    data = calendar_bytes(bundle, schedule(bundle, patient), BUILD)
    parsed = icalendar.Calendar.from_ical(data)
    assert parsed.to_ical() == data


def test_a_stand_in_icalendar_refuses_only_means_no_shortcut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object) -> bytes:
        raise ValueError("not a value this property takes")

    monkeypatch.setattr(ics_writer.Writer, "_text_template", refuse)
    monkeypatch.setattr(ics_writer.Writer, "_template", refuse)
    start = dt.datetime(2027, 3, 8, 8, tzinfo=NEW_YORK)
    node = Node("VEVENT", (("UID", "abc@example.org"), ("DTSTART", start)))
    assert to_bytes(node, RUN_MEMO) == reference(node)


def _shaped_event(values: tuple[Value, ...]) -> Node:
    start, end, uid, description, until = values
    return Node(
        "VEVENT",
        (
            ("SUMMARY", "Back exercises"),
            ("DTSTART", start),
            ("DTEND", end),
            ("DTSTAMP", BUILD),
            ("UID", uid),
            ("RRULE", (("FREQ", "DAILY"), ("UNTIL", until))),
            ("DESCRIPTION", description),
        ),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.tuples(
        date_times | st.dates(),
        date_times,
        plain_texts | texts,
        texts | plain_texts,
        st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2090, 1, 1), timezones=st.just(dt.UTC)),
    )
)
def test_a_component_filled_into_its_pattern_is_what_icalendar_writes(
    values: tuple[Value, ...],
) -> None:
    # Any date-time, date, UID or text in the holes: a pattern is made once per kind of
    # values and filled for every other; values no pattern can hold are written line by line.
    alarm = Ready.of(icalendar.Alarm({"ACTION": "DISPLAY", "TRIGGER": dt.timedelta(minutes=-5)}))
    item = Shaped(("test-event",), _shaped_event, values, (alarm,))
    expected = reference(item.node())
    assert ics_writer.Writer(RUN_MEMO).shaped(item) == expected
    assert ics_writer.Writer(RUN_MEMO).shaped(item) == expected


def test_a_pattern_icalendar_cannot_make_only_means_line_by_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = dt.datetime(2027, 3, 8, 8, tzinfo=NEW_YORK)
    values: tuple[Value, ...] = (start, start, "abc@example.org", "Text, escaped", start)
    item = Shaped(("refused",), _shaped_event, values)
    monkeypatch.setattr(ics_writer.Writer, "_cut", lambda *args: None)
    memo = Memo()
    assert ics_writer.Writer(memo).shaped(item) == reference(item.node())
    assert ics_writer.Writer(memo).shaped(item) == reference(item.node())


def test_a_hand_made_schedule_gets_its_own_session_texts(bundle: Bundle) -> None:
    # Session texts are memoised by plan, phase number and session: a schedule whose phase
    # holds other exercises under the same numbers must not get the memoised text.
    patient = Patient(
        id="P-HAND",
        plan="sciatica-plan",
        start_date=dt.date(2027, 3, 1),
        timezone="Europe/London",
        session_times=(dt.time(8), dt.time(18)),
    )
    memo = Memo()
    plan_schedule = schedule(bundle, patient)
    series = plan_schedule.series[0]
    fewer = replace(series, exercises=series.exercises[:1])
    first = session_description(bundle, series, patient, memo)
    other = session_description(bundle, fewer, patient, memo)
    assert other == session_description(bundle, fewer, patient, Memo())
    assert other != first
    assert series.exercises[1].exercise.name not in other


def test_a_pattern_is_not_made_where_icalendar_converts_a_date_time_to_utc() -> None:
    # Africa/Sao_Tome was at UTC in 2001-2011, the years of the stand-ins, but not in 2018:
    # DTSTAMP, which icalendar converts to UTC, only looks written as given there. The
    # stand-in written in Asia/Tokyo shows the conversion, and no pattern is made.
    def stamped(values: tuple[Value, ...]) -> Node:
        stamp, uid = values
        return Node("VEVENT", (("DTSTAMP", stamp), ("UID", uid), ("SUMMARY", "Back exercises")))

    zone = ZoneInfo("Africa/Sao_Tome")
    memo = Memo()
    for when in (dt.datetime(2005, 1, 1, 9, tzinfo=zone), dt.datetime(2018, 6, 1, 9, tzinfo=zone)):
        item = Shaped(("stamped",), stamped, (when, "abc@example.org"))
        assert ics_writer.Writer(memo).shaped(item) == reference(item.node())
