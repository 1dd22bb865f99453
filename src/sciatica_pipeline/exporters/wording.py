"""Plain-language wording shared by every exporter, so a dosage or a severity reads the same in
a booklet, a calendar, a CSV cell and an SMS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from sciatica_pipeline.model.content import Bundle, Dosage, Phase, Plan, Precaution, Severity

#: What each severity tells the patient to do, as a heading. A red flag's action asks for the
#: same things as its heading; under emergency care it may also say not to exercise, which goes
#: without saying there (the content check `_Checker.actions` holds content to this).
SEVERITY_HEADINGS: dict[Severity, str] = {
    "emergency": "Go to emergency care now if you have",
    "urgent": "Stop and see a doctor right away if you have",
    "call-clinician": "Call your clinician if you have",
    "caution": "Take care",
    "general": "Good to know",
}

#: Said wherever a dosage is shown but the sources give none.
NO_DOSAGE = "Ask your clinician how much to do."

#: Said wherever an exercise the sources do not fully describe is shown.
LEARN_IN_PERSON = "Have your clinician show you this exercise before you try it at home."


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _duration(seconds: int) -> str:
    if seconds % 60 == 0:
        return _plural(seconds // 60, "minute")
    return _plural(seconds, "second")


def dosage_parts(dosage: Dosage) -> list[str]:
    """The dosage as short phrases: `2 sets of 10`, `hold 5 seconds`, `2 times a day`."""
    parts = []
    if dosage.sets and dosage.reps:
        parts.append(f"{_plural(dosage.sets, 'set')} of {dosage.reps}")
    elif dosage.sets:
        parts.append(_plural(dosage.sets, "set"))
    elif dosage.reps:
        parts.append(_plural(dosage.reps, "time"))
    if dosage.hold_seconds:
        parts.append(f"hold {_duration(dosage.hold_seconds)}")
    if dosage.minutes:
        parts.append(_plural(dosage.minutes, "minute"))
    if dosage.per_side:
        parts.append("each side")
    if dosage.times_per_day:
        per_day = {1: "once a day", 2: "twice a day"}.get(dosage.times_per_day)
        parts.append(per_day or f"{dosage.times_per_day} times a day")
    return parts


def describe_dosage(dosage: Dosage, *, with_note: bool = True) -> str:
    """The whole dosage in one sentence, or the advice to ask when the sources give none."""
    parts = dosage_parts(dosage)
    if not parts:
        text = NO_DOSAGE
    else:
        text = ", ".join(parts)
        text = text[0].upper() + text[1:] + "."
    if with_note and dosage.note:
        text = f"{text} {dosage.note}"
    return text


def session_rule(times_per_day: int | None, sessions_per_day: int) -> str | None:
    """Which of the day's sessions an exercise belongs to, as the schedule places it (an
    exercise done N times a day is in the first N sessions); None when it is in every one."""
    if times_per_day is None or times_per_day >= sessions_per_day:
        return None
    if times_per_day == 1:
        return "Only in your first session of the day."
    return f"Only in your first {times_per_day} sessions of the day."


def session_dosage(dosage: Dosage, sessions_per_day: int, *, with_note: bool = True) -> str:
    """What to do in one session (`Hold 45 seconds.`), and in which sessions when not in every
    one: a patient with 2 sessions a day never reads "3 times a day" beside "2 sessions"."""
    text = describe_dosage(replace(dosage, times_per_day=None), with_note=with_note)
    rule = session_rule(dosage.times_per_day, sessions_per_day)
    return f"{text} {rule}" if rule else text


def precaution_line(precaution: Precaution) -> str:
    """`Title: text Action` on one line."""
    return f"{precaution.title}: {precaution.text} {precaution.action}"


def source_titles(bundle: Bundle, ids: Iterable[str]) -> list[str]:
    """The titles of the cited sources, in citation order."""
    return [bundle.source(i).title for i in ids]


def clinician_notes(bundle: Bundle, plan: Plan) -> list[tuple[str, tuple[str, ...]]]:
    """(what, notes) for the plan, its condition, exercises, precautions and advice that carry
    clinician notes: where the content comes from, for clinician-facing outputs and the
    booklet's sources section (patient instructions never carry them)."""
    condition = bundle.condition_of(plan)
    exercises = bundle.plan_exercises(plan)
    precaution_ids = dict.fromkeys(
        (
            *condition.red_flags,
            *condition.precautions,
            *plan.precautions,
            *(p for e in exercises for p in e.precautions),
        )
    )
    items: list[tuple[str, tuple[str, ...]]] = [
        ("This plan", plan.clinician_notes),
        (condition.name, condition.clinician_notes),
        *((e.name, e.clinician_notes) for e in exercises),
        *(
            (bundle.precautions[p].title, bundle.precautions[p].clinician_notes)
            for p in precaution_ids
        ),
        *((a.title, a.clinician_notes) for a in bundle.plan_advice(plan)),
    ]
    return [(what, notes) for what, notes in items if notes]


#: Month names of the content's language (English) for dates outside a patient's files.
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(day: dt.date, region: str | None) -> str:
    """`November 20, 2026` in the US, `20 November 2026` elsewhere (as the booklet)."""
    month = MONTHS[day.month - 1]
    if (region or "").upper() == "US":
        return f"{month} {day.day}, {day.year}"
    return f"{day.day} {month} {day.year}"


def phase_changes(bundle: Bundle, plan: Plan, phase: Phase) -> tuple[str, ...]:
    """What a phase changes against the one before (the booklet's "What changes" row)."""
    sessions = plan.sessions_per_day
    index = plan.phases.index(phase)
    if index == 0:
        return ()
    old = {rx.exercise: bundle.dosage_in(rx) for rx in plan.phases[index - 1].exercises}
    added: list[str] = []
    changed: dict[str, list[str]] = {}
    for rx in phase.exercises:
        name = bundle.exercises[rx.exercise].name
        dosage = bundle.dosage_in(rx)
        if rx.exercise not in old:
            added.append(name)
        elif dosage != old[rx.exercise]:
            same_numbers = replace(dosage, note=None) == replace(old[rx.exercise], note=None)
            text = dosage.note if same_numbers and dosage.note else None
            changed.setdefault(text or session_dosage(dosage, sessions), []).append(name)
    new = {rx.exercise for rx in phase.exercises}
    dropped = [bundle.exercises[e].name for e in old if e not in new]
    changes = [f"New: {', '.join(added)}."] if added else []
    changes += [f"{', '.join(names)}: {text}" for text, names in changed.items()]
    changes += [f"Stop: {', '.join(dropped)}."] if dropped else []
    return tuple(changes)
