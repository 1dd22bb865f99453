"""Built-in plugin: SMS reminder sequences that fit one segment each.

Per plan (`build`): `<plan-id>.txt`, the sequence with its merge fields for clinicians to
review. Per patient (`patients`): `messages.txt`, the dated sequence for people. Per run: one
`gateway.csv` (or `gateway.jsonl`) for the SMS gateway with every patient's messages, in send
order. A content check proves that every
message of every plan fits one GSM-7 segment with the longest merge values and names no
condition. The rules are in docs/sms.md; the library choice in docs/decisions/0005-sms.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, get_args

from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.exporters.sms.check import sms_sequences
from sciatica_pipeline.exporters.sms.files import (
    Outgoing,
    gateway_header,
    gateway_lines,
    help_reply,
    outgoing,
    patient_text,
    review_text,
)
from sciatica_pipeline.exporters.sms.merge import MergeLimits
from sciatica_pipeline.exporters.sms.sequence import Format, SmsOptions
from sciatica_pipeline.exporters.sms.timing import Window
from sciatica_pipeline.plugins.exporter import (
    Artifact,
    BuildContext,
    Exporter,
    PatientContext,
    RunContext,
    RunFile,
    RunPart,
    SkipPatient,
)
from sciatica_pipeline.plugins.hookspecs import hookimpl
from sciatica_pipeline.run.memo import Same

if TYPE_CHECKING:
    from sciatica_pipeline.inputs.validation import ContentCheck

#: The options, name -> help (`--set sms.NAME=VALUE`).
OPTIONS: dict[str, str] = {
    "max_per_day": "Most messages a day, 1-4, one per daily session at most (default 1: the "
    "FCC limit for exempted health-care messages; raise it only with the patient's consent).",
    "max_per_week": "Most messages in any 7 days, 1-28 (default 3: the FCC limit for exempted "
    "health-care messages; raise it only with the patient's consent).",
    "window": "Local hours messages may be sent in, both ends included (default 08:00-21:00).",
    "format": "The gateway file: csv (default) or jsonl.",
    "first_name_max": "Most characters of {first_name}, 5-30 (default 12; a longer name is "
    'greeted as "there").',
    "clinic_name_max": "Most characters of {clinic_name}, 11-60 (default 20; a longer name is "
    "abbreviated).",
    "clinic_phone_max": "Most characters of {clinic_phone}, 3-20 (default 16; a longer number "
    "loses its spaces, and a patient whose number is still too long is skipped).",
}

_BOUNDS: dict[str, tuple[int, int]] = {
    "max_per_day": (1, 4),
    "max_per_week": (1, 28),
    "first_name_max": (5, 30),
    "clinic_name_max": (11, 60),
    "clinic_phone_max": (3, 20),
}

MEDIA_TYPES: dict[str, str] = {"csv": "text/csv", "jsonl": "application/x-ndjson"}


def parse_options(options: Mapping[str, str]) -> SmsOptions:
    """The exporter's options, checked; raises PipelineError with a plain message."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise PipelineError(
            f"the sms format has no option {unknown[0]!r} (its options: {', '.join(OPTIONS)})"
        )
    numbers: dict[str, int] = {}
    for name, (low, high) in _BOUNDS.items():
        if name not in options:
            continue
        raw = options[name].strip()
        if not re.fullmatch(r"[0-9]{1,3}", raw) or not low <= int(raw) <= high:
            raise PipelineError(
                f"the sms option {name}={options[name]!r} must be a whole number from {low} "
                f"to {high}"
            )
        numbers[name] = int(raw)
    chosen = options.get("format", "csv").strip().lower()
    if chosen not in get_args(Format):
        raise PipelineError(f"the sms option format={options['format']!r} must be csv or jsonl")
    fmt: Format = "jsonl" if chosen == "jsonl" else "csv"
    try:
        window = Window.parse(options["window"]) if "window" in options else Window()
    except ValueError as exc:
        raise PipelineError(f"the sms option window: {exc}") from exc
    defaults = MergeLimits()
    limits = MergeLimits(
        numbers.get("first_name_max", defaults.first_name),
        numbers.get("clinic_name_max", defaults.clinic_name),
        numbers.get("clinic_phone_max", defaults.clinic_phone),
    )
    return SmsOptions(
        numbers.get("max_per_day", 1),
        numbers.get("max_per_week", 3),
        fmt,
        limits,
        window,
    )


class SmsSequence(Exporter):
    """SMS reminder sequences: per plan for review, per patient to read, per run for the
    gateway."""

    name = "sms"
    description = (
        "SMS reminder sequences (one segment each): per plan to review, per patient, and one "
        "gateway file a run."
    )
    scopes = frozenset({"bundle", "patient", "run"})
    options = OPTIONS

    def check_options(self, options: Mapping[str, str]) -> None:
        """Every option is parsed once before any work, so a bad value is a usage error."""
        parse_options(options)

    def render(self, context: BuildContext) -> Iterator[Artifact]:
        """Each plan's sequence for clinicians to review: `<plan>.txt`."""
        options = parse_options(context.options)
        for plan in context.bundle.plans.values():
            text = review_text(context.bundle, plan, options, context.memo)
            yield Artifact(f"{plan.id}.txt", text.encode(), "text/plain", plan=plan.id)

    def render_patient(self, context: PatientContext) -> Iterator[Artifact]:
        """The patient's dated `messages.txt`."""
        options = _options(context)
        bundle, patient, memo = context.bundle, context.patient, context.memo
        messages = _outgoing(context, options)
        text = patient_text(bundle, patient, messages, options, memo)
        yield Artifact("messages.txt", text.encode(), "text/plain", plan=patient.plan)
        yield Artifact(
            "help-reply.txt",
            (help_reply(bundle, patient, options, memo) + "\n").encode(),
            "text/plain",
            patient_facing=False,
            plan=patient.plan,
        )

    def run_files(self, context: RunContext) -> Iterator[RunFile]:
        """The run's gateway file, every patient's messages in the order they are sent."""
        fmt = parse_options(context.options).format
        yield RunFile(f"gateway.{fmt}", MEDIA_TYPES[fmt], header=gateway_header(fmt), ordered=True)

    def render_run(self, context: PatientContext) -> Iterator[RunPart]:
        """The patient's lines of the gateway file, each keyed by its UTC send time."""
        options = _options(context)
        messages = _outgoing(context, options)
        path = f"gateway.{options.format}"
        for item, line in zip(
            messages, gateway_lines(context.patient, messages, options.format), strict=True
        ):
            yield RunPart(path, line, key=item.utc_text)


def _options(context: PatientContext) -> SmsOptions:
    """The options, parsed once a run (they were checked before the first patient)."""
    options = context.options
    parsed: SmsOptions = context.memo.once(("options", options), lambda: parse_options(options))
    return parsed


def _outgoing(context: PatientContext, options: SmsOptions) -> list[Outgoing]:
    """The patient's messages, made once for the patient's file and the gateway's lines
    (and why there are none, once too). Looked up by the patient and options objects the run
    hands both hooks, as hashing a patient by value cost more than the lookup."""

    def attempt() -> list[Outgoing] | SkipPatient:
        try:
            return outgoing(context.bundle, context.patient, options, context.memo)
        except SkipPatient as skip:
            return skip

    recent = context.memo.table("outgoing", maxsize=4)
    made: list[Outgoing] | SkipPatient = recent.get((Same(context.patient), Same(options)), attempt)
    if isinstance(made, SkipPatient):
        raise SkipPatient(str(made))
    return made


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Provide the `sms` format."""
    register(SmsSequence())


@hookimpl
def register_checks(register: Callable[[ContentCheck], None]) -> None:
    """Check that every plan's SMS sequence can be sent."""
    register(sms_sequences)
