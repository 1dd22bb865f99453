"""Whether a plan's SMS sequence can be sent: every message one GSM-7 segment with the
longest merge values, and no condition named. Computed once per bundle, plan and options, for
the content check (`validate`) and for the exporter alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sciatica_pipeline.errors import PipelineError, Problem
from sciatica_pipeline.exporters.sms.encoding import GSM7_SINGLE, count
from sciatica_pipeline.exporters.sms.merge import MergeLimits, fill
from sciatica_pipeline.exporters.sms.messages import condition_pattern, condition_words
from sciatica_pipeline.exporters.sms.sequence import (
    Message,
    PlanSequence,
    SmsOptions,
    plan_sequence,
)
from sciatica_pipeline.model.content import Bundle, Plan
from sciatica_pipeline.run.memo import Memo

if TYPE_CHECKING:
    from sciatica_pipeline.inputs.validation import Origins


def message_problems(
    message: Message, limits: MergeLimits, forbidden_words: frozenset[str]
) -> list[str]:
    """What is wrong with one message: not one GSM-7 segment with the longest merge values,
    or a condition named."""
    problems = []
    filled = fill(message.template, limits.longest())
    result = count(filled)
    if result.encoding != "GSM-7":
        odd = sorted({c for c in message.template if count(c).encoding != "GSM-7"})
        problems.append(
            f"{message.label} cannot be sent in GSM-7: it has {', '.join(map(repr, odd))}; "
            "use plain letters and punctuation"
        )
    elif result.units > GSM7_SINGLE:
        problems.append(
            f"{message.label} is {result.units} GSM-7 characters with the longest merge fields "
            f"(first name {limits.first_name}, clinic name {limits.clinic_name}, clinic phone "
            f"{limits.clinic_phone}); one SMS holds {GSM7_SINGLE}: {message.hint}"
        )
    found = sorted({w.lower() for w in condition_pattern(forbidden_words).findall(filled)})
    if found:
        problems.append(
            f"{message.label} names a condition ({', '.join(found)}); an SMS can be read over "
            f"a shoulder: {message.hint}"
        )
    return problems


@dataclass(frozen=True, slots=True)
class CheckedSequence:
    """A plan's sequence, its problems as (pointer, message), and the condition words."""

    sequence: PlanSequence
    problems: tuple[tuple[str, str], ...]
    forbidden: re.Pattern[str]


def checked_sequence(
    bundle: Bundle, plan: Plan, options: SmsOptions, memo: Memo | None = None
) -> CheckedSequence:
    """The plan's sequence and its problems; made once per run, plan and options when the
    run's `memo` is given."""

    def make() -> CheckedSequence:
        sequence = plan_sequence(bundle, plan, options)
        words = condition_words(bundle)
        problems = tuple(
            (m.pointer, p)
            for m in sequence.messages
            for p in message_problems(m, options.limits, words)
        )
        return CheckedSequence(sequence, problems, condition_pattern(words))

    if memo is None:
        return make()
    return memo.once(("checked-sequence", plan.id, options), make)


def sendable(
    bundle: Bundle, plan: Plan, options: SmsOptions, memo: Memo | None = None
) -> CheckedSequence:
    """The checked sequence; raises PipelineError naming the first message that cannot be
    sent under these options."""
    checked = checked_sequence(bundle, plan, options, memo)
    if checked.problems:
        first = checked.problems[0][1]
        more = len(checked.problems) - 1
        others = f" (and {more} more message{'s' if more > 1 else ''})" if more else ""
        raise PipelineError(
            f"the SMS sequence of {plan.id} cannot be sent with these options: {first}{others}"
        )
    return checked


def sms_sequences(bundle: Bundle, origins: Origins) -> Iterator[Problem]:
    """Content check: every plan's messages fit one GSM-7 segment with the longest merge
    values (default limits) and name no condition; a message left out is a warning."""
    options = SmsOptions()
    for plan in bundle.plans.values():
        file = origins.file("plan", plan.id)
        checked = checked_sequence(bundle, plan, options)
        for pointer, message in checked.problems:
            yield Problem(file, pointer, f"SMS: {message}")
        for label in checked.sequence.left_out:
            yield Problem(
                file, "", f"SMS: {label} finds no send slot under the default limits", "warning"
            )
