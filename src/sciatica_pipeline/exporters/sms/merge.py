"""The merge fields of SMS templates (`{first_name}`, `{clinic_name}`, `{clinic_phone}`,
`{emergency_number}`): their
length limits, the longest values the checks fill them with, and a patient's values, shortened
by documented rules so that every message still fits one segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from sciatica_pipeline.exporters.sms.encoding import (
    GSM7_SINGLE,
    SmsCount,
    count,
    septets,
    transliterate,
)

if TYPE_CHECKING:
    from sciatica_pipeline.model.patient import Patient

FIELDS: tuple[str, ...] = ("first_name", "clinic_name", "clinic_phone", "emergency_number")

#: How an emergency message starts when the patient's region has a number we know (calling
#: it is going to emergency care, and no longer than saying so); without one it says
#: `NO_EMERGENCY_NUMBER`, the emergency heading.
EMERGENCY_CALL = "Emergency? Call {emergency_number} now"
NO_EMERGENCY_NUMBER = "Go to emergency care now"

#: Said instead of a first name when the record has none, or one that does not fit.
NO_FIRST_NAME = "there"
#: Said instead of the clinic's name when the record has none, or one that is not GSM-7.
NO_CLINIC_NAME = "your clinic"

#: Tried in order, one at a time, on a clinic name longer than its limit.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("Physical Therapy", "PT"),
    ("Physiotherapy", "Physio"),
    ("Rehabilitation", "Rehab"),
    ("Chiropractic", "Chiro"),
    ("Orthopaedics", "Ortho"),
    ("Orthopedics", "Ortho"),
    ("Medical", "Med"),
    ("Center", "Ctr"),
    ("Centre", "Ctr"),
    ("Hospital", "Hosp"),
    (" and ", " & "),
)

#: Words a shortened clinic name does not end on.
_DANGLING = {"&", "and", "of", "the", "for", "at", "in", "on", "-", "+", "/"}
#: Characters a merged value may not start with: a spreadsheet would read it as a formula.
_FORMULA_START = "=+-@"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class MergeLimits:
    """The most GSM-7 characters (septets) each merge field may take in a message."""

    first_name: int = 12
    clinic_name: int = 20
    clinic_phone: int = 16

    def longest(self) -> dict[str, str]:
        """The longest values the fields can take: what the one-segment checks fill in."""
        return {
            "first_name": "X" * max(self.first_name, len(NO_FIRST_NAME)),
            "clinic_name": "X" * max(self.clinic_name, len(NO_CLINIC_NAME)),
            "clinic_phone": "9" * self.clinic_phone,
            # Every emergency number we give has 3 digits (exporters.region).
            "emergency_number": "999",
        }


class MergeError(ValueError):
    """A patient's record cannot give a value a message needs (the reason names no value)."""


def fill(template: str, values: dict[str, str]) -> str:
    """`template` with each `{field}` replaced by its value; with no emergency number (a
    region we know none for), "Emergency? Call {emergency_number} now" becomes "Go to
    emergency care now"."""
    if not values.get("emergency_number"):
        template = template.replace(EMERGENCY_CALL, NO_EMERGENCY_NUMBER)
    for name in FIELDS:
        template = template.replace("{" + name + "}", values[name])
    return template


#: A template cut at its merge fields: the septets of its own text, the text between the
#: fields, and which field (by its place in `FIELDS`) fills each gap.
TemplateParts = tuple[int, tuple[str, ...], tuple[int, ...]]

_FIELD = re.compile("|".join(re.escape("{" + name + "}") for name in FIELDS))


@lru_cache(maxsize=4096)
def template_parts(template: str, emergency_number: bool) -> TemplateParts | None:
    """`template` cut at its fields, as `fill` fills it (with or without an emergency number
    to call); None when its own text holds a brace or a character GSM-7 lacks, where only
    `fill` and `count` give the message and its count."""
    if not emergency_number:
        template = template.replace(EMERGENCY_CALL, NO_EMERGENCY_NUMBER)
    pieces = tuple(_FIELD.split(template))
    text = "".join(pieces)
    units = septets(text)
    if units is None or "{" in text or "}" in text:
        return None
    order = tuple(FIELDS.index(match.group()[1:-1]) for match in _FIELD.finditer(template))
    return units, pieces, order


@lru_cache(maxsize=GSM7_SINGLE + 1)
def _one_segment(units: int) -> SmsCount:
    return SmsCount("GSM-7", units, 1)


class Filler:
    """One patient's values, filling templates and counting what they make.

    A message is its template's pieces with the values between them, and counts as the
    pieces' septets plus the values' (each counted once a patient): the same message and count
    as `fill` and `count` give, without replacing and counting the whole text every time.
    Where braces or characters GSM-7 lacks could make those differ (a value that completes a
    field name, say), `fill` and `count` are used instead."""

    __slots__ = ("_number", "_units", "_values", "values")

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self._number = bool(values.get("emergency_number"))
        self._values = tuple(values[name] for name in FIELDS)
        units = [septets(value) for value in self._values]
        plain = all(u is not None for u in units) and not any(
            "{" in v or "}" in v for v in self._values
        )
        self._units: tuple[int, ...] | None = tuple(u or 0 for u in units) if plain else None

    def fill(self, template: str) -> tuple[str, SmsCount]:
        """The message, and how it counts."""
        sizes = self._units
        parts = template_parts(template, self._number) if sizes is not None else None
        if parts is None or sizes is None:
            body = fill(template, self.values)
            return body, count(body)
        units, pieces, order = parts
        values = self._values
        out = [pieces[0]]
        for field, piece in zip(order, pieces[1:], strict=True):
            out.append(values[field])
            out.append(piece)
            units += sizes[field]
        body = "".join(out)
        return body, (_one_segment(units) if units <= GSM7_SINGLE else count(body))


def _clean(text: str) -> str:
    """One line of GSM-7-ready text that no spreadsheet reads as a formula."""
    text = _SPACES.sub(" ", transliterate(text)).strip()
    return text.lstrip(_FORMULA_START + " ")


def first_name(name: str | None, limit: int) -> str:
    """The first word of the name, or "there" when there is none or it does not fit."""
    words = _clean(name or "").split(" ")
    word = words[0]
    size = septets(word)
    if not word or size is None or size > limit:
        return NO_FIRST_NAME
    return word


def _size(text: str) -> int:
    return septets(text) or 0


def _shorten(text: str, limit: int) -> str:
    """Whole words dropped from the end (and any dangling `&`, `of`...) until it fits; a
    single word too long is cut."""
    words = text.split(" ")
    while words and (_size(" ".join(words)) > limit or words[-1].lower() in _DANGLING):
        words.pop()
    if words:
        return " ".join(words)
    while _size(text) > limit:
        text = text[:-1]
    return text.rstrip()


def clinic_name(name: str | None, limit: int, forbidden: re.Pattern[str] | None = None) -> str:
    """The clinic's name, shortened when longer than `limit`: common words abbreviated one at
    a time, then whole words dropped from the end; "your clinic" when there is no name, or
    it is not GSM-7, or it names a condition (`forbidden`)."""
    text = _clean(name or "")
    if not text or septets(text) is None or (forbidden and forbidden.search(text)):
        return NO_CLINIC_NAME
    for long, short in ABBREVIATIONS:
        if _size(text) <= limit:
            return text
        text = text.replace(long, short)
    return _shorten(text, limit) if _size(text) > limit else text


def clinic_phone(phone: str | None, limit: int) -> str:
    """The clinic's number as written, or without spaces and punctuation when that is too
    long. Raises MergeError when there is none or it does not fit even so."""
    text = _SPACES.sub(" ", phone or "").strip()
    if not text:
        raise MergeError("the record has no clinic phone number, and every message must give one")
    if len(text) > limit:
        text = ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)
    if len(text) > limit:
        raise MergeError(
            f"the clinic phone number is longer than {limit} characters even without spaces; "
            f"raise the limit (--set sms.clinic_phone_max=...) or shorten the number"
        )
    return text


def patient_values(
    patient: Patient, limits: MergeLimits, forbidden: re.Pattern[str] | None = None
) -> dict[str, str]:
    """The merge values for one patient. Raises MergeError when a message could not be sent.

    :param forbidden: condition words; a clinic name with one is not used.
    """
    from sciatica_pipeline.exporters.region import emergency_number, patient_region

    return {
        "first_name": first_name(patient.name, limits.first_name),
        "clinic_name": clinic_name(patient.clinic_name, limits.clinic_name, forbidden),
        "clinic_phone": clinic_phone(patient.clinic_phone, limits.clinic_phone),
        "emergency_number": emergency_number(patient_region(patient)) or "",
    }
