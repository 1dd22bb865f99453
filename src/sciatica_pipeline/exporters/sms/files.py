"""The files of the `sms` format: the review text of a plan, and a patient's dated messages
as plain text and as a gateway file (CSV or JSON Lines)."""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from collections.abc import Iterator
from typing import NamedTuple

from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.exporters.csv_lines import csv_lines
from sciatica_pipeline.exporters.region import emergency_line, patient_region
from sciatica_pipeline.exporters.sms.check import sendable
from sciatica_pipeline.exporters.sms.encoding import GSM7_SINGLE, SmsCount, count
from sciatica_pipeline.exporters.sms.merge import (
    NO_CLINIC_NAME,
    Filler,
    MergeError,
    fill,
    patient_values,
)
from sciatica_pipeline.exporters.sms.messages import Composer, condition_pattern, condition_words
from sciatica_pipeline.exporters.sms.sequence import Format, Message, SmsOptions, weekly_slots
from sciatica_pipeline.exporters.sms.timing import send_at, send_clock, session_before
from sciatica_pipeline.exporters.wording import SEVERITY_HEADINGS, clinician_notes
from sciatica_pipeline.model.content import RED_FLAG_ORDER, Bundle, Plan
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.plugins.exporter import SkipPatient
from sciatica_pipeline.run.memo import Memo

#: The C locale's short weekday names, as strftime's %a writes them.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

GATEWAY_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "message",
    "kind",
    "to",
    "send_at_utc",
    "send_at_local",
    "timezone",
    "body",
    "encoding",
    "segments",
    "characters",
)

#: Prose in the text files is wrapped at this width; message bodies are never wrapped.
WIDTH = 92

KIND_NAMES: dict[str, str] = {
    "welcome": "welcome",
    "red-flags": "red flags",
    "phase": "phase change",
    "checkpoint": "checkpoint",
    "closing": "closing",
    "reminder": "reminder",
}


def _wrap(text: str, indent: str = "") -> list[str]:
    """A paragraph wrapped for reading; `indent` continues list items."""
    return textwrap.wrap(text, WIDTH, subsequent_indent=indent, break_on_hyphens=False)


def _safety_lines(bundle: Bundle, plan: Plan) -> list[str]:
    """The disclaimer, the red flags and every exercise's precautions, for the people who read
    the text files (each message alone cannot carry them)."""
    lines = ["SAFETY INFORMATION", "", *_wrap(bundle.manifest.disclaimer), ""]
    for severity in RED_FLAG_ORDER:
        flags = [f for f in bundle.red_flags_for(plan) if f.severity == severity]
        if flags:
            lines.append(f"{SEVERITY_HEADINGS[severity]}:")
            for flag in flags:
                lines += _wrap(f"- {flag.title}. {flag.action}", "  ")
            lines.append("")
    lines.append("Take care with these exercises:")
    for exercise in bundle.plan_exercises(plan):
        titles = "; ".join(p.title for p in bundle.precautions_for(exercise))
        lines += _wrap(f"- {exercise.name}: {titles}", "  ")
    return lines


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _rules(options: SmsOptions, sessions_per_day: int) -> list[str]:
    week = len(weekly_slots(options.max_per_day, options.max_per_week, sessions_per_day))
    per_day = min(options.max_per_day, sessions_per_day)
    return _wrap(
        f"At most {_plural(per_day, 'message')} a day and {week} in any 7 days, sent between "
        f"{options.window.start:%H:%M} and {options.window.end:%H:%M} in the patient's own "
        "time zone, ahead of the daily session named (the session time less the patient's "
        "lead time), or of the day's next session when that is not before the session: never "
        "after a session began. The first message of each plan week ends with the opt-out line."
    )


def _blocks(
    bundle: Bundle, plan: Plan, options: SmsOptions, memo: Memo | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The rules and safety blocks of a plan's files, made once per run (every patient
    repeats them)."""

    def make() -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(_rules(options, plan.sessions_per_day)), tuple(_safety_lines(bundle, plan))

    if memo is None:
        return make()
    return memo.once(("blocks", plan.id, options), make)


def review_text(bundle: Bundle, plan: Plan, options: SmsOptions, memo: Memo | None = None) -> str:
    """The plan's sequence as plain text for clinicians, merge fields left in place."""
    sequence = sendable(bundle, plan, options, memo).sequence
    rules, safety = _blocks(bundle, plan, options, memo)
    limits = options.limits
    intro = (
        "Each patient on this plan receives these text messages, with the merge fields filled "
        f"in: {{first_name}} (up to {limits.first_name} characters; otherwise 'there'), "
        f"{{clinic_name}} (up to {limits.clinic_name}; longer names are abbreviated) and "
        f"{{clinic_phone}} (up to {limits.clinic_phone}). Every message fits one SMS "
        f"({GSM7_SINGLE} GSM-7 characters) with the longest values."
    )
    lines = [
        f"SMS sequence for review: {plan.title}",
        f"Plan {plan.id}; content {bundle.manifest.id} {bundle.manifest.version}.",
        "",
        *_wrap(intro),
        "",
        *rules,
        "",
        *safety,
        "",
        *_provenance(bundle, plan),
        f"MESSAGES ({len(sequence.messages)})",
    ]
    longest = limits.longest()
    for number, message in enumerate(sequence.messages, start=1):
        slot = message.slot
        size = count(fill(message.template, longest)).units
        lines += [
            "",
            f"{number}. Day {slot.day + 1} (week {slot.week}), before session {slot.session + 1}:"
            f" {KIND_NAMES[message.kind]}{', with the opt-out line' if message.opt_out else ''}"
            f" ({size} of {GSM7_SINGLE} characters at the longest)",
            f"   {message.template}",
        ]
    lines += [
        "",
        "HELP REPLY (for the gateway to send when the patient texts HELP)",
        f"   {help_template(bundle, plan, options)}",
    ]
    if sequence.left_out:
        lines += ["", "Left out (no send slot under these limits):"]
        lines += [f"- {label}" for label in sequence.left_out]
    return "\n".join(lines) + "\n"


def _provenance(bundle: Bundle, plan: Plan) -> list[str]:
    """Where the plan's content comes from, for the clinicians who review the sequence."""
    notes = clinician_notes(bundle, plan)
    if not notes:
        return []
    lines = ["NOTES FOR CLINICIANS: WHERE THE CONTENT COMES FROM", ""]
    for what, texts in notes:
        lines += _wrap(f"- {what}: {' '.join(texts)}", "  ")
    return [*lines, ""]


class Outgoing(NamedTuple):
    """One message as sent to one patient (made by `Outgoing.at`)."""

    number: int
    message: Message
    local: dt.datetime
    body: str
    size: SmsCount
    #: The send time in UTC, and as the gateway file writes it (`2027-03-08T13:00:00Z`):
    #: made once, as the message list, the gateway line and its sort key all use them.
    utc: dt.datetime
    utc_text: str

    @classmethod
    def at(
        cls, number: int, message: Message, local: dt.datetime, body: str, size: SmsCount
    ) -> Outgoing:
        """The message sent at `local`, with its UTC send time. (A named tuple: a patient
        has dozens, and a frozen dataclass cost 2 µs more each to make.)"""
        utc = local.astimezone(dt.UTC)
        # `2027-03-08T13:00:00+00:00` less its offset
        return cls(number, message, local, body, size, utc, _seconds(utc)[:19] + "Z")


def outgoing(
    bundle: Bundle, patient: Patient, options: SmsOptions, memo: Memo | None = None
) -> list[Outgoing]:
    """The patient's dated messages. Raises SkipPatient when no message can go out."""
    if not patient.mobile:
        raise SkipPatient("the record has no mobile number")
    checked = sendable(bundle, bundle.plans[patient.plan], options, memo)
    try:
        values = patient_values(patient, options.limits, checked.forbidden)
    except MergeError as exc:
        raise SkipPatient(str(exc)) from None
    filler = Filler(values)
    out: list[Outgoing] = []
    zone = patient.zone
    # Each message goes before its slot's session, or the day's next one that leaves room
    # inside the window; never after a session began.
    chosen = [
        session_before(patient.session_times, s, patient.reminder_minutes, options.window)
        for s in range(len(patient.session_times))
    ]
    if all(c is None for c in chosen):
        raise SkipPatient(
            "no session starts late enough in the sending window for a message to go out before it"
        )
    # The session each slot's message goes before, and each day's send clock: the same for
    # every day whose messages have the same slots.
    session_of = [patient.session_times[c or 0] for c in chosen]
    lead, window, start = patient.reminder_minutes, options.window, patient.start_date
    clocks: dict[tuple[int, ...], tuple[dt.time, ...]] = {}
    for offset, messages, slots in checked.sequence.by_day:
        date = start + offset
        clock = clocks.get(slots)
        if clock is None:
            sessions = tuple(sorted(session_of[slot] for slot in slots))
            clock = clocks[slots] = send_clock(sessions, lead, window)
        for message, time in zip(messages, clock, strict=True):
            local = send_at(date, time, window, zone)
            body, size = filler.fill(message.template)
            if size.encoding != "GSM-7" or size.segments != 1:  # pragma: no cover - checked
                raise PipelineError(f"{message.label} does not fit one SMS for {patient.id}")
            out.append(Outgoing.at(len(out) + 1, message, local, body, size))
    return out


def help_template(bundle: Bundle, plan: Plan, options: SmsOptions) -> str:
    """The HELP reply of a plan's sequence, merge fields in place (CTIA: who sends, how
    often, how to get help, that rates may apply, how to stop)."""
    forbidden = condition_pattern(condition_words(bundle))
    composer = Composer(bundle, plan, options.limits, forbidden)
    week = len(weekly_slots(options.max_per_day, options.max_per_week, plan.sessions_per_day))
    return composer.text(composer.help_reply(week), opt_out=False)


def help_reply(
    bundle: Bundle, patient: Patient, options: SmsOptions, memo: Memo | None = None
) -> str:
    """The HELP reply for one patient, filled in.

    :param memo: the run's memo, in which each plan's reply is composed once."""

    def make() -> tuple[re.Pattern[str], str]:
        forbidden = condition_pattern(condition_words(bundle))
        return forbidden, help_template(bundle, bundle.plans[patient.plan], options)

    key = ("help", patient.plan, options)
    forbidden, template = make() if memo is None else memo.once(key, make)
    return fill(template, patient_values(patient, options.limits, forbidden))


def gateway_rows(patient: Patient, messages: list[Outgoing]) -> Iterator[tuple[str | int, ...]]:
    """One row per message, in the order of GATEWAY_COLUMNS."""
    for item in messages:
        yield (
            patient.id,
            item.number,
            item.message.kind,
            patient.mobile or "",
            item.utc_text,
            _seconds(item.local),
            patient.timezone,
            item.body,
            item.size.encoding,
            item.size.segments,
            item.size.units,
        )


def _seconds(moment: dt.datetime) -> str:
    """`moment.isoformat(timespec="seconds")`, faster for whole seconds (send times)."""
    return moment.isoformat() if not moment.microsecond else moment.isoformat(timespec="seconds")


def gateway_header(fmt: Format) -> bytes:
    """What a gateway file starts with: the CSV header row (JSON Lines have none)."""
    if fmt == "jsonl":
        return b""
    return csv_lines([GATEWAY_COLUMNS])[0]


def gateway_lines(patient: Patient, messages: list[Outgoing], fmt: Format) -> list[bytes]:
    """One line of the gateway file per message (CSV or JSON Lines), in send order."""
    rows = gateway_rows(patient, messages)
    if fmt == "jsonl":
        return [
            (
                json.dumps(dict(zip(GATEWAY_COLUMNS, r, strict=True)), ensure_ascii=False) + "\n"
            ).encode()
            for r in rows
        ]
    return csv_lines(rows)


def patient_text(
    bundle: Bundle,
    patient: Patient,
    messages: list[Outgoing],
    options: SmsOptions,
    memo: Memo | None = None,
) -> str:
    """The patient's dated messages as plain text for people (no mobile number in it)."""
    plan = bundle.plans[patient.plan]
    rules, safety = _blocks(bundle, plan, options, memo)
    first, last = messages[0].local, messages[-1].local
    lines = [
        f"Text messages for patient {patient.id}",
        *_wrap(
            f"Plan {plan.id}; time zone {patient.timezone}; {len(messages)} messages from "
            f"{first:%Y-%m-%d} to {last:%Y-%m-%d}, sent to the mobile number on record."
        ),
        *rules,
    ]
    if not patient.clinic_name:
        lines.append('The record gives no clinic name: the messages say "your clinic".')
    elif messages[0].body.startswith(f"{NO_CLINIC_NAME}: "):
        lines += _wrap(
            "The clinic's name is not used (it names a condition, or has characters an SMS "
            f'cannot send): the messages say "{NO_CLINIC_NAME}".'
        )
    # The number to call where the patient is (the plan's block is shared by all patients).
    lines += ["", emergency_line(patient_region(patient)), "", *safety]
    lines += ["", f"MESSAGES ({len(messages)})"]
    for item in messages:
        local, utc = item.local, item.utc
        # What `{local:%a %Y-%m-%d %H:%M}` writes, without strftime's cost on every message.
        day, clock = local.date().isoformat(), f"{local.hour:02d}:{local.minute:02d}"
        when = f"{_WEEKDAYS[local.weekday()]} {day} {clock}"
        lines += [
            "",
            f"{item.number}. {when} {local.tzname()} ({utc.hour:02d}:{utc.minute:02d} UTC): "
            f"{KIND_NAMES[item.message.kind]}",
            f"   {item.body}",
        ]
    return "\n".join(lines) + "\n"
