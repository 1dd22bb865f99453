"""The schedule is pure and keeps wall-clock times in the patient's zone, whatever the zone,
start date and session times (property tests across daylight-saving changes)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.model.schedule import SessionSeries, local_datetime, schedule, session_labels

ZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "Asia/Tehran",
    "Africa/Casablanca",
    "UTC",
)

times = st.builds(dt.time, st.integers(0, 23), st.integers(0, 59))


def exists(day: dt.date, time: dt.time, zone: ZoneInfo) -> bool:
    naive = dt.datetime.combine(day, time)
    return (
        naive.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == naive
    )


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)),
    session_times=st.lists(times, min_size=2, max_size=2, unique=True),
)
def test_sessions_keep_local_wall_time(
    bundle: Bundle, zone: str, start: dt.date, session_times: list[dt.time]
) -> None:
    patient = Patient("P", "sciatica-plan", start, zone, tuple(sorted(session_times)))
    plan_schedule = schedule(bundle, patient)
    tz = ZoneInfo(zone)
    sessions = list(plan_schedule.sessions())
    assert len(sessions) == 12 * 7 * 2
    per_day = Counter(s.at.date() for s in sessions)
    assert per_day == {start + dt.timedelta(days=i): 2 for i in range(12 * 7)}
    for session in sessions:
        assert session.at.tzinfo == tz
        wanted = session.series.local_time
        if session.at.time() == wanted:
            continue
        # Only a time that does not exist that day (skipped by daylight saving) may move,
        # and then only forward, to the same day.
        moved_day = session.at.date()
        assert not exists(moved_day, wanted, tz)
        assert session.at.time() > wanted


def test_schedule_is_pure(bundle: Bundle) -> None:
    patient = Patient(
        "P", "sciatica-plan", dt.date(2027, 3, 8), "Europe/Berlin", (dt.time(7), dt.time(19))
    )
    assert schedule(bundle, patient) == schedule(bundle, patient)


def test_phases_follow_each_other_without_gaps(bundle: Bundle) -> None:
    patient = Patient("P", "sciatica-plan", dt.date(2027, 3, 8), "UTC", (dt.time(7), dt.time(19)))
    morning = [s for s in schedule(bundle, patient).series if s.index == 0]
    assert morning[0].first_day == patient.start_date
    for before, after in itertools.pairwise(morning):
        assert after.first_day == before.last_day + dt.timedelta(days=1)
    assert morning[-1].last_day == patient.start_date + dt.timedelta(weeks=12, days=-1)


def test_session_labels_are_discreet_and_distinct() -> None:
    assert session_labels((dt.time(8), dt.time(18))) == ("morning", "evening")
    assert session_labels((dt.time(7), dt.time(11), dt.time(14))) == (
        "morning 1",
        "morning 2",
        "afternoon",
    )


def test_local_datetime_in_a_gap_moves_forward() -> None:
    zone = ZoneInfo("Europe/Berlin")
    moved = local_datetime(dt.date(2027, 3, 28), dt.time(2, 30), zone)
    assert moved.time() == dt.time(3, 30)


def test_an_exercise_done_once_a_day_is_in_the_first_session_only(bundle: Bundle) -> None:
    patient = Patient("P", "sciatica-plan", dt.date(2027, 3, 8), "UTC", (dt.time(7), dt.time(19)))
    first_phase = [s for s in schedule(bundle, patient).series if s.phase.number == 1]
    morning, evening = sorted(first_phase, key=lambda s: s.index)

    def names(series: SessionSeries) -> list[str]:
        return [x.exercise.id for x in series.exercises]

    assert "walking" in names(morning)  # walking: once a day
    assert "walking" not in names(evening)
    assert "pelvic-tilt" in names(morning) and "pelvic-tilt" in names(evening)  # twice a day
    assert "cat-cow" in names(evening)  # three times a day, with two sessions: both
