"""Where a reader is, as far as the outputs need it: the emergency number to call and the unit
of distance. See docs/decisions/0011-region.md for the rule and its sources.

A per-plan booklet uses the content's region (`en-US`: US). A patient's files use the patient's
region: from the time zone, else the clinic's phone number, else the patient's mobile number.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sciatica_pipeline.model.patient import Patient

#: Emergency numbers we are sure of, by ISO 3166 region. A region not listed gets
#: `NO_NUMBER` wording rather than a guess.
EMERGENCY_NUMBERS: dict[str, str] = {
    "US": "911",
    "CA": "911",
    "GB": "999",
    "AU": "000",
    "DE": "112",
    "IN": "112",
}

#: Regions whose convention for a walking distance is miles; everywhere else, km. The UK signs
#: roads and speaks of walks in miles, like the US.
MILE_REGIONS = frozenset({"US", "GB"})

#: Said where no emergency number is known for the reader's region.
NO_NUMBER = "your local emergency number"

#: Country calling codes of the regions above (+1 is the US and Canada, both 911).
_CALLING_CODES: tuple[tuple[str, str], ...] = (
    ("+44", "GB"),
    ("+61", "AU"),
    ("+49", "DE"),
    ("+91", "IN"),
    ("+1", "US"),
)

#: IANA time zones of the regions above. Canada's zones are listed so that +1 is not needed
#: to tell the two apart (the number is the same; the unit is not).
_ZONES: dict[str, str] = {
    **dict.fromkeys(
        (
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Phoenix",
            "America/Los_Angeles",
            "America/Anchorage",
            "America/Adak",
            "America/Boise",
            "America/Detroit",
            "America/Indiana/Indianapolis",
            "America/Kentucky/Louisville",
            "Pacific/Honolulu",
            "US/Eastern",
            "US/Central",
            "US/Mountain",
            "US/Pacific",
        ),
        "US",
    ),
    **dict.fromkeys(
        (
            "America/Toronto",
            "America/Vancouver",
            "America/Edmonton",
            "America/Winnipeg",
            "America/Halifax",
            "America/St_Johns",
            "America/Regina",
        ),
        "CA",
    ),
    "Europe/London": "GB",
    "Europe/Belfast": "GB",
    "Europe/Berlin": "DE",
    "Asia/Kolkata": "IN",
    "Asia/Calcutta": "IN",
}


def zone_region(zone: str) -> str | None:
    """The region of a time zone we know (`Australia/...` is AU), else None."""
    if zone.startswith("Australia/"):
        return "AU"
    return _ZONES.get(zone)


def phone_region(number: str | None) -> str | None:
    """The region of an international number (`+44 20 ...` is GB), else None."""
    digits = "+" + re.sub(r"\D", "", number or "") if (number or "").strip()[:1] == "+" else ""
    return next((region for code, region in _CALLING_CODES if digits.startswith(code)), None)


def patient_region(patient: Patient) -> str | None:
    """The patient's region: the time zone first (every record has one, and it is where the
    sessions happen), then the clinic's phone (the clinic sees the patient in person), then
    the patient's mobile (a mobile can come from abroad)."""
    return (
        zone_region(patient.timezone)
        or phone_region(patient.clinic_phone)
        or phone_region(patient.mobile)
    )


def emergency_number(region: str | None) -> str | None:
    """The emergency number of a region, or None when we do not know it."""
    return EMERGENCY_NUMBERS.get((region or "").upper())


def emergency_line(region: str | None) -> str:
    """`In an emergency, call 911.` (or the local number, when we do not know it)."""
    number = emergency_number(region)
    return f"In an emergency, call {number or NO_NUMBER}."


_MILES = re.compile(r"\b(\d+(?:\.\d+)?) miles?\b")
_KM_PER_MILE = 1.609344


def _km(miles: float) -> str:
    km = miles * _KM_PER_MILE
    return f"{round(km)}" if km >= 2 else f"{km:.1f}"


def distances(text: str, region: str | None) -> str:
    """`text` with its distances in the region's unit: miles as written for US and UK readers;
    elsewhere the miles followed by the kilometres, rounded (`3 miles (about 5 km)`), so the
    source's own figure stays visible."""
    if (region or "").upper() in MILE_REGIONS:
        return text
    return _MILES.sub(lambda m: f"{m.group(0)} (about {_km(float(m.group(1)))} km)", text)
