"""A patient's settings, as the schedule and the per-patient formats use them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

#: Reminder lead time when a record gives none.
DEFAULT_REMINDER_MINUTES = 15


@dataclass(frozen=True, slots=True)
class Patient:
    """One patient's settings, validated against the schema and the content."""

    id: str
    plan: str
    start_date: dt.date
    timezone: str
    session_times: tuple[dt.time, ...]
    reminder_minutes: int = DEFAULT_REMINDER_MINUTES
    name: str | None = None
    mobile: str | None = None
    clinic_name: str | None = None
    clinic_phone: str | None = None
    clinician_name: str | None = None
    clinician_phone: str | None = None
    large_print: bool = False

    @property
    def zone(self) -> ZoneInfo:
        """The patient's time zone."""
        return ZoneInfo(self.timezone)

    def __repr__(self) -> str:  # keep names and numbers out of logs and tracebacks
        return f"Patient(id={self.id!r}, plan={self.plan!r})"
