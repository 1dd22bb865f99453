"""Schedules: a pure function from a plan and a patient to dated sessions and checkpoints.

Sessions are wall-clock times in the patient's time zone (zoneinfo), so 08:00 stays 08:00
across daylight-saving changes. Nothing here reads files or the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from sciatica_pipeline.model.content import Bundle, Checkpoint, Dosage, Exercise, Phase, Plan
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.run.memo import Same


@dataclass(frozen=True, slots=True)
class ScheduledExercise:
    """An exercise as one session prescribes it, with the dosage in force."""

    exercise: Exercise
    dosage: Dosage


@dataclass(frozen=True, slots=True)
class SessionSeries:
    """One daily session (say, the morning one) through one phase: a recurring event."""

    phase: Phase
    index: int
    label: str
    local_time: dt.time
    first_day: dt.date
    last_day: dt.date
    exercises: tuple[ScheduledExercise, ...]
    zone: ZoneInfo

    @property
    def days(self) -> int:
        """How many days the series runs."""
        return (self.last_day - self.first_day).days + 1

    def at(self, day: dt.date) -> dt.datetime:
        """The session's start on `day`, aware, in the patient's zone."""
        return local_datetime(day, self.local_time, self.zone)

    @property
    def start(self) -> dt.datetime:
        """The first session of the series."""
        return self.at(self.first_day)


@dataclass(frozen=True, slots=True)
class ScheduledCheckpoint:
    """A checkpoint on its date, at the patient's first session time of that day."""

    checkpoint: Checkpoint
    index: int
    day: dt.date
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Session:
    """One dated session."""

    series: SessionSeries
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Schedule:
    """A patient's whole plan, dated: session series per phase, and checkpoints."""

    plan: Plan
    patient: Patient
    series: tuple[SessionSeries, ...]
    checkpoints: tuple[ScheduledCheckpoint, ...]

    @property
    def first_day(self) -> dt.date:
        """The first day of week 1."""
        return self.patient.start_date

    @property
    def last_day(self) -> dt.date:
        """The last day of the plan."""
        return self.first_day + dt.timedelta(weeks=self.plan.duration_weeks, days=-1)

    def sessions(self) -> Iterator[Session]:
        """Every dated session of the plan in time order."""
        by_phase: dict[int, list[SessionSeries]] = {}
        for series in self.series:
            by_phase.setdefault(series.phase.number, []).append(series)
        for number in sorted(by_phase):
            group = sorted(by_phase[number], key=lambda s: s.index)
            for offset in range(group[0].days):
                day = group[0].first_day + dt.timedelta(days=offset)
                for series in group:
                    yield Session(series, series.at(day))


def local_datetime(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """`time` on `day` in `zone`. A time skipped by a daylight-saving change moves forward
    by the size of the gap, as calendar apps do."""
    aware = dt.datetime.combine(day, time, zone)  # several times faster than replace()
    return aware.astimezone(dt.UTC).astimezone(zone)


def session_labels(times: tuple[dt.time, ...]) -> tuple[str, ...]:
    """Discreet names for the day's sessions: morning, afternoon, evening (numbered if
    two fall in the same part of the day)."""
    parts = ["morning" if t.hour < 12 else "afternoon" if t.hour < 17 else "evening" for t in times]
    labels = []
    for i, part in enumerate(parts):
        same = [j for j, p in enumerate(parts) if p == part]
        labels.append(part if len(same) == 1 else f"{part} {same.index(i) + 1}")
    return tuple(labels)


def phase_offsets(phase: Phase) -> tuple[dt.timedelta, dt.timedelta]:
    """How far the first and the last day of a phase are from the plan's first day."""
    return dt.timedelta(weeks=phase.week_from - 1), dt.timedelta(weeks=phase.week_to, days=-1)


def phase_days(plan_start: dt.date, phase: Phase) -> tuple[dt.date, dt.date]:
    """The first and last day of a phase for a plan starting on `plan_start`."""
    first, last = phase_offsets(phase)
    return plan_start + first, plan_start + last


def due_in_session(
    exercises: tuple[ScheduledExercise, ...], index: int
) -> tuple[ScheduledExercise, ...]:
    """The exercises of the day's session number `index` (from 0): an exercise done N times a
    day belongs to the first N sessions (all of them when N is not given, or is more than the
    sessions); one done once a day, to the first session only."""
    return tuple(
        x for x in exercises if x.dosage.times_per_day is None or index < x.dosage.times_per_day
    )


_PhaseSessions = tuple[tuple[dt.timedelta, dt.timedelta], tuple[tuple[ScheduledExercise, ...], ...]]


@lru_cache(maxsize=2)
def _phases_of(bundle: Same) -> dict[tuple[Same, int], _PhaseSessions]:
    """The phases made for one bundle so far: kept for the last two bundles only, so an
    earlier bundle (a test's, a reloaded one) is not held in memory."""
    return {}


def _phase_sessions(bundle: Bundle, phase: Phase, sessions: int) -> _PhaseSessions:
    """What a phase is for every patient with this many sessions a day: its first and last
    day from the plan's start, and each session's exercises (the same objects for every
    patient, so what is keyed by them is found at once)."""
    made = _phases_of(Same(bundle))
    key = (Same(phase), sessions)
    found = made.get(key)
    if found is None:
        exercises = tuple(
            ScheduledExercise(bundle.exercises[rx.exercise], bundle.dosage_in(rx))
            for rx in phase.exercises
        )
        due = tuple(due_in_session(exercises, i) for i in range(sessions))
        found = made[key] = (phase_offsets(phase), due)
    return found


def schedule(bundle: Bundle, patient: Patient) -> Schedule:
    """The patient's dated sessions, phase by phase, and checkpoints."""
    plan = bundle.plans[patient.plan]
    zone = patient.zone
    times = patient.session_times
    labels = session_labels(times)
    series = []
    for phase in plan.phases:
        (first, last), due = _phase_sessions(bundle, phase, len(times))
        first_day, last_day = patient.start_date + first, patient.start_date + last
        for index, (time, label) in enumerate(zip(times, labels, strict=True)):
            if due[index]:
                series.append(
                    SessionSeries(phase, index, label, time, first_day, last_day, due[index], zone)
                )
    checkpoints = []
    for index, checkpoint in enumerate(plan.checkpoints):
        day = patient.start_date + dt.timedelta(weeks=checkpoint.after_week, days=-1)
        at = local_datetime(day, patient.session_times[0], zone)
        checkpoints.append(ScheduledCheckpoint(checkpoint, index, day, at))
    return Schedule(plan, patient, tuple(series), tuple(checkpoints))
