"""What makes a handout personal, as text: who it is for, their clinic and clinician, and the
dates of their plan, from the same `Schedule` the calendar and the text messages use.

Format-neutral: the PDF booklet writes these texts into the places its template keeps for
them; another format (a web page) can show them the same way. Every key is named here once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sciatica_pipeline.exporters.dates import DateWords, date_words
from sciatica_pipeline.exporters.region import emergency_line, patient_region
from sciatica_pipeline.model.content import Manifest
from sciatica_pipeline.model.schedule import Schedule, phase_days

DAYS_PER_WEEK = 7

#: The record fields a personal text comes from, for messages that name a field and never
#: quote its value.
FIELDS = {
    "prepared-for": "name",
    "prepared-for-line": "name",
    "clinician": "clinician_name",
    "clinician-phone": "clinician_phone",
    "clinic": "clinic_name",
    "clinic-phone": "clinic_phone",
    "clinician-contact": "clinician_name",
    "clinic-contact": "clinic_name",
}


def first_name(name: str | None) -> str | None:
    """The first word of a name: a handout greets, it does not address a letter."""
    if not name:
        return None
    words = name.split()
    return words[0] if words else None


@dataclass(frozen=True, slots=True)
class Personal:
    """A patient's personal texts by key.

    Keys: `prepared-for` (and `prepared-for-line`: "Prepared for Alex"), `clinician`,
    `clinician-phone`, `clinic`, `clinic-phone` (only those the record gives, and
    `clinician-contact`, `clinic-contact`: a name and phone on one line), `start-date`,
    `sessions`, `emergency`, `cover-version`, `reviewed-on`, `review-due` (the content's
    review dates), `phase-<n>` (a phase's dates), `checkpoint-<week>` (the day a checkpoint
    week ends), `log-week-<week>` and `log-day-<week>-<day>` (the tracking log's weeks and
    days).
    """

    texts: dict[str, str]
    words: DateWords

    def get(self, key: str) -> str | None:
        """The text for `key`, or None when the record does not give it."""
        return self.texts.get(key)


def personal(schedule: Schedule, manifest: Manifest) -> Personal:
    """The personal texts of `schedule`'s patient, dated in the content's language and the
    patient's region (the content's review dates too, so one booklet writes dates one way)."""
    patient, plan = schedule.patient, schedule.plan
    region = patient_region(patient)
    words = date_words(manifest.language, region)
    texts: dict[str, str] = {}
    given = {
        "prepared-for": first_name(patient.name) or patient.id,
        "clinician": patient.clinician_name,
        "clinician-phone": patient.clinician_phone,
        "clinic": patient.clinic_name,
        "clinic-phone": patient.clinic_phone,
    }
    texts.update({key: value for key, value in given.items() if value})
    texts["prepared-for-line"] = f"Prepared for {texts['prepared-for']}"
    for contact in ("clinician", "clinic"):
        parts = [texts[k] for k in (contact, f"{contact}-phone") if k in texts]
        if parts:
            texts[f"{contact}-contact"] = " \u00b7 ".join(parts)
    texts["start-date"] = words.full(schedule.first_day)
    texts["sessions"] = f"{words.times(patient.session_times)}, {words.zone(patient.timezone)} time"
    texts["emergency"] = emergency_line(region)
    review = manifest.review
    texts["cover-version"] = (
        f"Version {manifest.version} \u00b7 Reviewed on {words.long(review.reviewed_on)}"
    )
    texts["reviewed-on"] = f"The content was reviewed on {words.long(review.reviewed_on)}."
    texts["review-due"] = f"The next review is due by {words.long(review.next_review_due)}."
    for phase in plan.phases:
        first, last = phase_days(patient.start_date, phase)
        texts[f"phase-{phase.number}"] = words.span(first, last)
    for checkpoint in schedule.checkpoints:
        texts[f"checkpoint-{checkpoint.checkpoint.after_week}"] = words.full(checkpoint.day)
    for week in range(1, plan.duration_weeks + 1):
        week_start = patient.start_date + dt.timedelta(weeks=week - 1)
        texts[f"log-week-{week}"] = words.span(week_start, week_start + dt.timedelta(days=6))
        for day in range(1, DAYS_PER_WEEK + 1):
            texts[f"log-day-{week}-{day}"] = words.short(week_start + dt.timedelta(days=day - 1))
    return Personal(texts, words)
