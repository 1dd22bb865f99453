"""What each SMS says: the texts of the welcome, red-flag, phase-change, checkpoint, closing
and reminder messages, drawn from the plan, with merge fields left in place. Each text is
fitted to one segment with the longest merge values (`Composer.fits`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sciatica_pipeline.exporters.sms.encoding import GSM7_SINGLE, count, transliterate
from sciatica_pipeline.exporters.sms.merge import EMERGENCY_CALL, MergeLimits, fill
from sciatica_pipeline.exporters.wording import SEVERITY_HEADINGS, dosage_parts
from sciatica_pipeline.model.content import (
    Bundle,
    Dosage,
    Exercise,
    Phase,
    Plan,
    Precaution,
)

#: The opt-out line: the first message of the sequence and of every plan week ends with it.
OPT_OUT = "Reply STOP to opt out, HELP for help."
#: Said instead when a message cannot hold the whole line (never in the first message).
OPT_OUT_SHORT = "Reply STOP to opt out."
BRAND = "{clinic_name}: "
#: How reminders open, in turn, so that a phase's reminders read differently.
REMINDER_LEADS: tuple[str, ...] = (
    "Today's exercises:",
    "Time for your exercises:",
    "Your exercises today:",
    "Exercise time:",
)
CALL = "Call {clinic_phone}."

#: Words that name a diagnosis; no message may contain them (an SMS can be read over a
#: shoulder). The words of every condition's name and other names are added to these.
CONDITION_WORDS: frozenset[str] = frozenset(
    {
        "sciatica",
        "sciatic",
        "radiculopathy",
        "disc",
        "disk",
        "herniated",
        "herniation",
        "hernia",
        "stenosis",
        "spondylolisthesis",
        "spondylosis",
        "piriformis",
        "degenerative",
        "degenerated",
        "syndrome",
        "lumbar",
    }
)
_NOT_CONDITION_WORDS = frozenset({"with", "and", "the", "of", "or", "in", "a", "an", "to", "for"})

#: How an exercise whose name names a condition is called in a message, from its position
#: and kind: the Piriformis stretch is the "seated stretch".
POSITION_WORDS: dict[str, str] = {
    "lying-on-back": "lying",
    "lying-face-down": "face-down",
    "side-lying": "side-lying",
    "hands-and-knees": "hands-and-knees",
    "sitting": "seated",
    "standing": "standing",
    "walking": "",
    # The sources give no position: the kind of exercise alone names it ("nerve glide").
    "varies": "",
}
CATEGORY_WORDS: dict[str, str] = {
    "stretch": "stretch",
    "strengthening": "strengthening exercise",
    "core-stability": "core exercise",
    "mobility": "mobility exercise",
    "nerve-glide": "nerve glide",
    "directional-preference": "extension exercise",
    "aerobic": "walk",
}


def condition_words(bundle: Bundle) -> frozenset[str]:
    """The words no message may contain: the fixed list and the words of condition names."""
    words = set(CONDITION_WORDS)
    for condition in bundle.conditions.values():
        for name in (condition.name, *condition.also_called):
            words.update(w for w in re.findall(r"[a-z]+", name.lower()) if len(w) > 2)
    return frozenset(words - _NOT_CONDITION_WORDS)


def condition_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """A case-insensitive pattern finding any of `words` as a whole word."""
    alternatives = "|".join(sorted(map(re.escape, words), key=lambda w: (-len(w), w)))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


def _lower_first(text: str) -> str:
    """`Pelvic tilt` -> `pelvic tilt`; `McKenzie extension` keeps its capital."""
    head = text.split(" ", 1)[0]
    if len(head) > 1 and head[1:] == head[1:].lower():
        return text[0].lower() + text[1:]
    return text


def exercise_word(exercise: Exercise, forbidden: re.Pattern[str]) -> str:
    """How a message names an exercise: its name without any bracketed part, or, when that
    names a condition, its position and kind ("seated stretch")."""
    name = re.sub(r"\s*\([^)]*\)", "", exercise.name).strip()
    if forbidden.search(name):
        words = (POSITION_WORDS[exercise.body_position], CATEGORY_WORDS[exercise.category])
        return " ".join(w for w in words if w)
    return _lower_first(name)


def join_items(items: Sequence[str], last: str = "or") -> str:
    """`a`, `a or b`, `a, b or c`; semicolons when an item has a comma of its own."""
    if len(items) <= 1:
        return "".join(items)
    glue = "; " if any("," in i for i in items) else ", "
    return f"{glue.join(items[:-1])} {last} {items[-1]}"


@dataclass(frozen=True, slots=True)
class Composer:
    """Builds a plan's message bodies; `fits` checks one segment with the longest values."""

    bundle: Bundle
    plan: Plan
    limits: MergeLimits
    forbidden: re.Pattern[str]

    def text(self, body: str, opt_out: bool, *, whole: bool = False) -> str:
        """The message: the brand, the body and, for an opt-out carrier, the opt-out line
        (shortened when it does not fit whole, unless `whole`)."""
        plain = transliterate(f"{BRAND}{body}")
        if not opt_out:
            return plain
        full = f"{plain} {OPT_OUT}"
        return full if whole or self._fits(full) else f"{plain} {OPT_OUT_SHORT}"

    def fits(self, body: str, opt_out: bool, *, whole: bool = False) -> bool:
        """True when the message fits one segment with the longest merge values (with the
        whole opt-out line, if `whole`)."""
        return self._fits(self.text(body, opt_out, whole=whole))

    def choose(self, candidates: Sequence[tuple[str, int]], opt_out: bool) -> tuple[str, int]:
        """The first candidate (body, detail) that fits with the whole opt-out line, else
        with the short one; the last candidate when none fits (the checks report it)."""
        for whole in (True, False) if opt_out else (False,):
            for candidate in candidates:
                if self.fits(candidate[0], opt_out, whole=whole):
                    return candidate
        return candidates[-1]

    def _fits(self, text: str) -> bool:
        result = count(fill(text, self.limits.longest()))
        return result.encoding == "GSM-7" and result.units <= GSM7_SINGLE

    def name(self, exercise_id: str) -> str:
        return exercise_word(self.bundle.exercises[exercise_id], self.forbidden)

    def welcome(self, per_week: int) -> str:
        """The opt-in confirmation CTIA's handbook asks for: who sends, how often, "Msg & data
        rates may apply", and (with the opt-out line) HELP and STOP."""
        return (
            f"Hi {{first_name}}, exercise texts: up to {per_week}/wk. "
            f"Msg & data rates may apply. {CALL}"
        )

    def help_reply(self, per_week: int) -> str:
        """The gateway's reply to HELP: who sends, how often, the number, how to stop."""
        return (
            f"Exercise texts, up to {per_week}/wk. For help call {{clinic_phone}}. "
            f"Msg & data rates may apply. {OPT_OUT_SHORT}"
        )

    def red_flags(self, opt_out: bool) -> list[tuple[str, tuple[Precaution, ...]]]:
        """Red-flag messages: emergency ones, then urgent ones, then call-clinician ones, as
        many per message as fit."""
        out: list[tuple[str, tuple[Precaution, ...]]] = []
        flags = self.bundle.red_flags_for(self.plan)
        sayers: tuple[tuple[str, Callable[[Sequence[Precaution]], str]], ...] = (
            ("emergency", _emergency),
            ("urgent", _urgent),
            ("call-clinician", _call_clinician),
        )
        for severity, say in sayers:
            group = [f for f in flags if f.severity == severity]

            def fits(chunk: list[Precaution], say: Callable[..., str] = say) -> bool:
                return self.fits(say(chunk), opt_out)

            out += [(say(chunk), tuple(chunk)) for chunk in _pack(group, fits)]
        return out

    def again(self, body: str, opt_out: bool) -> str:
        """A message sent a second time, marked as a reminder when that still fits."""
        lead = body if body.startswith(EMERGENCY_CALL) else body[0].lower() + body[1:]
        again = f"Reminder: {lead}"
        return again if self.fits(again, opt_out) else body

    def phase(self, index: int, opt_out: bool) -> str:
        """What changes this week: new exercises (with the first part of their dosage), new
        dosages, and exercises dropped; dosages left out, then changes, when they do not fit."""
        phase, before = self.plan.phases[index], self.plan.phases[index - 1]
        old = {rx.exercise: self.bundle.dosage_in(rx) for rx in before.exercises}
        new = {rx.exercise: self.bundle.dosage_in(rx) for rx in phase.exercises}
        added = [(self.name(e), _first_part(new[e])) for e in new if e not in old]
        others = [
            f"{self.name(e)} now {part}"
            for e, dosage in new.items()
            if e in old and (part := _changed_part(old[e], dosage))
        ]
        others += [f"stop {self.name(e)}" for e in old if e not in new]
        if not added:  # no new exercise: the phase's name says what changes
            others.insert(0, _lower_first(phase.name))
        total = len(added) + len(others)
        candidates = []
        for keep in range(total, 0, -1):
            for dosed in (len(added), 1, 0):
                kept_added = added[:keep]
                kept_others = others[: max(0, keep - len(added))]
                changes = _changes(kept_added, dosed, kept_others, total - keep)
                candidates.append((f"This week: {changes}. {CALL}", keep))
        return self.choose(candidates, opt_out)[0]

    def checkpoint(self, index: int) -> str:
        checkpoint = self.plan.checkpoints[index]
        assert checkpoint.precaution is not None
        precaution = self.bundle.precautions[checkpoint.precaution]
        return (
            f"Week {checkpoint.after_week}: {_lower_first(checkpoint.title)}. "
            f"{precaution.title}? Call us at {{clinic_phone}}."
        )

    def closing(self, index: int) -> str:
        checkpoint = self.plan.checkpoints[index]
        return (
            f"{checkpoint.title}. You have reached the end of your "
            f"{self.plan.duration_weeks}-week plan. {CALL}"
        )

    def reminder(
        self, phase: Phase, start: int, opt_out: bool, variant: int = 0, week: int | None = None
    ) -> tuple[str, int]:
        """Today's exercises, named in turn from `start`, as many as fit, with a precaution
        they all share when it fits; returns the body and how many exercises it names.

        `variant` (the reminder's number in its phase) turns the opening words and the
        shared precaution, so that a phase's reminders are not the same text again and
        again."""
        ids = [rx.exercise for rx in phase.exercises]
        n = len(ids)
        if not n:
            return f"Time for today's exercises. {CALL}", 0
        names = [self.name(ids[(start + i) % n]) for i in range(n)]
        shared = self.bundle.shared_precautions(self.bundle.exercises[e] for e in ids)
        care = shared[variant % len(shared)] if shared else None
        lead = REMINDER_LEADS[variant % len(REMINDER_LEADS)]
        if week is not None:
            lead = f"Week {week}. {lead}"
        candidates = []
        for with_care in (care is not None, False):
            for shown in range(n, 0, -1):
                listed = (
                    join_items(names, "and")
                    if shown == n
                    else (f"{', '.join(names[:shown])} and {n - shown} more")
                )
                extra = f" {care.title}." if with_care and care else ""
                candidates.append((f"{lead} {listed}.{extra} {CALL}", shown))
        return self.choose(candidates, opt_out)


def _emergency(flags: Sequence[Precaution]) -> str:
    # "Emergency? Call 911 now if you have ..."; "Go to emergency care now if you have ..."
    # where no number is known for the patient's region (merge.fill).
    titles = join_items([_lower_first(f.title) for f in flags])
    return f"{EMERGENCY_CALL} if you have {titles}. Then call us at {{clinic_phone}}."


def _urgent(flags: Sequence[Precaution]) -> str:
    titles = join_items([_lower_first(f.title) for f in flags])
    return f"{SEVERITY_HEADINGS['urgent']} {titles}. Then call us at {{clinic_phone}}."


def _call_clinician(flags: Sequence[Precaution]) -> str:
    # The content's action for these is to call the clinician, and nothing more.
    titles = join_items([_lower_first(f.title) for f in flags])
    return f"Call us at {{clinic_phone}} if you have {titles}."


def _first_part(dosage: Dosage) -> str | None:
    parts = dosage_parts(dosage)
    return parts[0] if parts else None


def _changed_part(old: Dosage, new: Dosage) -> str | None:
    before = set(dosage_parts(old))
    return next((p for p in dosage_parts(new) if p not in before), None)


def _changes(
    added: Sequence[tuple[str, str | None]], dosed: int, others: Sequence[str], more: int
) -> str:
    """`add bridging (2 sets of 10), bird-dog and partial curl; walking now 30 minutes`."""
    names = [
        f"{name} ({dose})" if dose and i < dosed else name for i, (name, dose) in enumerate(added)
    ]
    parts = [f"add {join_items(names, 'and')}"] if names else []
    parts += others
    text = "; ".join(parts)
    return f"{text}; and {more} more" if more else text


def _pack(
    items: Sequence[Precaution], fits: Callable[[list[Precaution]], bool]
) -> Iterator[list[Precaution]]:
    """Consecutive groups of `items`, each as large as `fits` allows (at least one item)."""
    group: list[Precaution] = []
    for item in items:
        if group and not fits([*group, item]):
            yield group
            group = []
        group.append(item)
    if group:
        yield group
