"""The SMS sequence of a plan, as templates with merge fields: which message goes out on which
day and before which session (what each one says is `sms_messages`). Pure: the same plan and
options give the same sequence.

Days follow a weekly pattern of send slots (by default three a week, on days 1, 3 and 5 of
each plan week, before the first daily session). Messages are placed by priority: the welcome
first, then phase changes, the red flags, checkpoints, the closing message and the red flags
again, and session reminders fill every slot left. The first message of each plan week carries
the opt-out line. See docs/sms.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from sciatica_pipeline.exporters.sms.merge import MergeLimits
from sciatica_pipeline.exporters.sms.messages import Composer, condition_pattern, condition_words
from sciatica_pipeline.exporters.sms.timing import Window
from sciatica_pipeline.model.content import Bundle, Phase, Plan

Kind = Literal["welcome", "red-flags", "phase", "checkpoint", "closing", "reminder"]
Format = Literal["csv", "jsonl"]


@dataclass(frozen=True, slots=True)
class SmsOptions:
    """The exporter's options, validated (see `sms.parse_options`)."""

    max_per_day: int = 1
    max_per_week: int = 3
    format: Format = "csv"
    limits: MergeLimits = field(default_factory=MergeLimits)
    window: Window = field(default_factory=Window)


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """A send slot: a day of the plan (0 is the first day) and the daily session it precedes."""

    day: int
    session: int

    @property
    def week(self) -> int:
        """The plan week, from 1."""
        return self.day // 7 + 1


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a plan's sequence, merge fields not yet filled.

    :param label: names the message in problems and review files ("the day 8 reminder").
    :param pointer: where in the plan file its content comes from ("" for the whole plan).
    :param hint: what to shorten in the content when it does not fit.
    """

    slot: Slot
    kind: Kind
    template: str
    opt_out: bool
    label: str
    pointer: str = ""
    hint: str = ""


@dataclass(frozen=True, slots=True)
class PlanSequence:
    """A plan's messages in send order, and those that found no slot under the limits."""

    plan: Plan
    messages: tuple[Message, ...]
    left_out: tuple[str, ...]
    #: The messages grouped by the plan day they go out on, in order: how far the day is
    #: from the plan's first, its messages, and the daily session each message goes before.
    by_day: tuple[tuple[dt.timedelta, tuple[Message, ...], tuple[int, ...]], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        days: dict[int, list[Message]] = {}
        for message in self.messages:
            days.setdefault(message.slot.day, []).append(message)
        grouped = tuple(
            (dt.timedelta(days=day), tuple(group), tuple(m.slot.session for m in group))
            for day, group in days.items()
        )
        object.__setattr__(self, "by_day", grouped)


def weekly_slots(max_per_day: int, max_per_week: int, sessions_per_day: int) -> tuple[Slot, ...]:
    """The send slots of one week (days 0-6), the same every week: as many as the limits
    allow, spread over the week (3 a week: days 0, 2, 4), at most one per daily session."""
    per_day = min(max_per_day, sessions_per_day)
    total = min(max_per_week, 7 * per_day)
    days = min(total, 7)
    counts = dict.fromkeys((i * 7 // days for i in range(days)), 1)
    extra = total - days
    for i in range(extra):
        counts[i * 7 // extra] += 1
    return tuple(Slot(day, s) for day in sorted(counts) for s in range(counts[day]))


@dataclass
class _Board:
    """The plan's send slots and what has been placed in them."""

    slots: list[Slot]
    carriers: set[Slot]
    taken: dict[Slot, tuple[Kind, str, str, str, str]] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)

    def free(self, first: int, last: int, *, carrier_ok: bool = True) -> list[Slot]:
        return [
            s
            for s in self.slots
            if first <= s.day <= last
            and s not in self.taken
            and (carrier_ok or s not in self.carriers)
        ]

    def put(
        self, slot: Slot | None, kind: Kind, body: str, what: str, pointer: str, hint: str
    ) -> None:
        """Place a message; `what` names it ("reminder"), without its day."""
        if slot is None:
            self.left_out.append(f"the {what}")
        else:
            self.taken[slot] = (kind, body, f"the day {slot.day + 1} {what}", pointer, hint)


def plan_sequence(bundle: Bundle, plan: Plan, options: SmsOptions) -> PlanSequence:
    """The plan's messages, in send order (see the module docstring for the rules)."""
    forbidden = condition_pattern(condition_words(bundle))
    composer = Composer(bundle, plan, options.limits, forbidden)
    week = weekly_slots(options.max_per_day, options.max_per_week, plan.sessions_per_day)
    slots = [Slot(w * 7 + s.day, s.session) for w in range(plan.duration_weeks) for s in week]
    carriers = {min(s for s in slots if s.week == w) for w in {s.week for s in slots}}
    board = _Board(slots, carriers)
    last_day = plan.duration_weeks * 7 - 1
    every_slot_carries = len(week) == 1

    def first(free: list[Slot]) -> Slot | None:
        return min(free) if free else None

    def latest(free: list[Slot]) -> Slot | None:
        return max(free) if free else None

    # 1. The welcome: the first slot.
    board.put(
        slots[0],
        "welcome",
        composer.welcome(len(week)),
        "welcome message",
        "",
        "its wording is fixed: lower first_name_max or clinic_name_max",
    )

    # 2. Phase changes: the first free slot of the phase's first week (not the week's first
    #    slot, which carries the opt-out line, unless every slot does).
    for index, phase in enumerate(plan.phases[1:], start=1):
        start = (phase.week_from - 1) * 7
        slot = first(board.free(start, start + 6, carrier_ok=every_slot_carries))
        body = composer.phase(index, opt_out=every_slot_carries)
        what = f"phase change ({phase.weeks_label})"
        hint = "shorten the phase's name or the names of its new exercises"
        board.put(slot, "phase", body, what, f"/phases/{index}", hint)

    # 3. The red flags, early and again from mid-plan; never in a week's first slot (it carries
    #    the opt-out line) unless every slot does.
    flags = composer.red_flags(opt_out=every_slot_carries)

    def place_flags(start: int, when: str) -> None:
        for n, (said, group) in enumerate(flags, start=1):
            slot = first(board.free(start, last_day, carrier_ok=every_slot_carries))
            # Not word for word what the patient read weeks before.
            body = composer.again(said, opt_out=every_slot_carries) if when == "later" else said
            titles = ", ".join(f.title for f in group)
            ids = ", ".join(f"precautions/{f.id}" for f in group)
            what = f"{when} red-flag message {n} ({titles})"
            board.put(slot, "red-flags", body, what, "", f"shorten the red flag's title ({ids})")

    place_flags(0, "early")

    # 4. Checkpoints that carry a precaution: the latest slot of their week (or the next week).
    closing = None
    for index, checkpoint in enumerate(plan.checkpoints):
        end = checkpoint.after_week * 7 - 1
        if checkpoint.after_week == plan.duration_weeks and checkpoint.precaution is None:
            closing = index
            continue
        if checkpoint.precaution is None:
            continue  # the phase-change message says what comes next
        slot = latest(board.free(end - 6, end, carrier_ok=every_slot_carries)) or first(
            board.free(end + 1, end + 7, carrier_ok=every_slot_carries)
        )
        what = f"week {checkpoint.after_week} checkpoint ({checkpoint.title})"
        hint = f"shorten the checkpoint's title or precautions/{checkpoint.precaution}'s title"
        board.put(
            slot, "checkpoint", composer.checkpoint(index), what, f"/checkpoints/{index}", hint
        )

    # 5. The closing message: the latest slot of the last week.
    if closing is not None:
        slot = latest(board.free(last_day - 6, last_day, carrier_ok=every_slot_carries))
        pointer, hint = f"/checkpoints/{closing}", "shorten the checkpoint's title"
        board.put(slot, "closing", composer.closing(closing), "closing message", pointer, hint)

    # 6. The red flags again, from the middle of the plan.
    place_flags(plan.duration_weeks * 7 // 2, "later")

    # 7. Session reminders in every slot left, naming the phase's exercises in turn.
    rotation: dict[int, int] = {}
    turns: dict[int, int] = {}
    for slot in board.free(0, last_day):
        index, phase = _phase_of(plan, slot.week)
        turn = turns.get(index, 0)
        body, shown = composer.reminder(
            phase, rotation.get(index, 0), opt_out=slot in carriers, variant=turn, week=slot.week
        )
        rotation[index] = rotation.get(index, 0) + shown
        turns[index] = turn + 1
        hint = "shorten the names of the phase's exercises or the precaution they all share"
        board.put(slot, "reminder", body, "reminder", f"/phases/{index}/exercises", hint)

    messages = []
    for slot in sorted(board.taken):
        kind, body, label, pointer, hint = board.taken[slot]
        opt_out = slot in carriers or kind == "welcome"
        text = composer.text(body, opt_out, whole=kind == "welcome")
        messages.append(Message(slot, kind, text, opt_out, label, pointer, hint))
    return PlanSequence(plan, tuple(messages), tuple(board.left_out))


def _phase_of(plan: Plan, week: int) -> tuple[int, Phase]:
    for index, phase in enumerate(plan.phases):
        if phase.week_from <= week <= phase.week_to:
            return index, phase
    return len(plan.phases) - 1, plan.phases[-1]
