"""The content model: frozen dataclasses built only from validated content.

Exporters read these objects and never the JSON files, so the JSON layout can change without
touching any exporter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Literal

from sciatica_pipeline.model.figure import Figure
from sciatica_pipeline.model.frozen import frozen

#: What the sources say to do: `emergency` (stop exercising, go to emergency care now),
#: `urgent` (stop exercising, see a doctor right away), `call-clinician` (call your clinician),
#: `caution` (adjust or stop this exercise), `general` (good to know).
Severity = Literal["emergency", "urgent", "call-clinician", "caution", "general"]

#: Severities in the order outputs list them, most serious first.
SEVERITY_ORDER: tuple[Severity, ...] = (
    "emergency",
    "urgent",
    "call-clinician",
    "caution",
    "general",
)

#: Severities that make a precaution a red flag (a warning sign), in the order outputs list them.
RED_FLAG_ORDER: tuple[Severity, ...] = ("emergency", "urgent", "call-clinician")

#: Severities that make a precaution a red flag (a warning sign: get help as its action says).
RED_FLAG_SEVERITIES: frozenset[Severity] = frozenset(RED_FLAG_ORDER)


@dataclass(frozen=True, slots=True)
class Source:
    """A source article that content items cite."""

    id: str
    title: str
    title_note: str | None = None
    publisher: str | None = None
    author: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Review:
    """When the content was reviewed and when it is due again."""

    reviewed_on: dt.date
    next_review_due: dt.date
    reviewed_by: str | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    """The bundle's identity, version, disclaimer and sources (`bundle.json`)."""

    id: str
    title: str
    version: str
    language: str
    audience: str
    disclaimer: str
    review: Review
    sources: tuple[Source, ...]

    @property
    def region(self) -> str | None:
        """The region part of the language tag (`US` for `en-US`), if any."""
        _, _, region = self.language.partition("-")
        return region or None


@dataclass(frozen=True, slots=True)
class Dosage:
    """How much of an exercise to do; every field is optional."""

    sets: int | None = None
    reps: int | None = None
    hold_seconds: int | None = None
    times_per_day: int | None = None
    minutes: int | None = None
    per_side: bool | None = None
    note: str | None = None

    def merged(self, override: Dosage | None) -> Dosage:
        """This dosage with every field that `override` sets replaced."""
        if override is None:
            return self
        return _merged(self, override)


@lru_cache(maxsize=1024)
def _merged(base: Dosage, override: Dosage) -> Dosage:
    # Every patient's schedule merges the same few pairs, and `replace` costs more than the
    # lookup: a plan's dozens of prescriptions are merged once, not once a patient.
    changes = {
        f.name: getattr(override, f.name)
        for f in fields(override)
        if getattr(override, f.name) is not None
    }
    return replace(base, **changes)


@dataclass(frozen=True, slots=True)
class Precaution:
    """A warning or red flag and the action to take."""

    id: str
    title: str
    severity: Severity
    text: str
    action: str
    sources: tuple[str, ...]
    #: For clinicians: where the item comes from and the authors' choices. Patient-facing
    #: formats show the instructions, not these (the booklet's sources section excepted).
    clinician_notes: tuple[str, ...] = ()

    @property
    def is_red_flag(self) -> bool:
        """True for the warning signs (emergency, urgent, call-clinician): get help as the
        action says."""
        return self.severity in RED_FLAG_SEVERITIES


@dataclass(frozen=True, slots=True)
class Mistake:
    """A common mistake and what to do instead."""

    mistake: str
    instead: str


@dataclass(frozen=True, slots=True)
class Variation:
    """Another name or form of an exercise that the sources mention."""

    name: str
    note: str


@dataclass(frozen=True, slots=True)
class Exercise:
    """One exercise with its steps, default dosage and the precautions that travel with it."""

    id: str
    name: str
    category: str
    body_position: str
    purpose: str
    starting_position: str
    steps: tuple[str, ...]
    dosage: Dosage
    cues: tuple[str, ...]
    common_mistakes: tuple[Mistake, ...]
    variations: tuple[Variation, ...]
    equipment: tuple[str, ...]
    precautions: tuple[str, ...]
    sources: tuple[str, ...]
    learn_in_person: bool = False
    #: For clinicians: where the item comes from and the authors' choices. Patient-facing
    #: formats show the instructions, not these (the booklet's sources section excepted).
    clinician_notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Code:
    """A code in a terminology (ICD-10-CM or SNOMED CT) with its display text."""

    system: Literal["icd10cm", "snomed"]
    code: str
    display: str


@dataclass(frozen=True, slots=True)
class AvoidEntry:
    """An exercise a condition says to avoid, or to do only with care."""

    exercise: str
    level: Literal["avoid", "caution"]
    reason: str


@dataclass(frozen=True, slots=True)
class Condition:
    """A cause of sciatica, explained for patients, with codes and red flags."""

    id: str
    name: str
    also_called: tuple[str, ...]
    explanation: tuple[str, ...]
    how_exercise_helps: tuple[str, ...]
    icd10cm: tuple[Code, ...]
    snomed: tuple[Code, ...]
    recommended_exercises: tuple[str, ...]
    avoid_or_caution: tuple[AvoidEntry, ...]
    red_flags: tuple[str, ...]
    precautions: tuple[str, ...]
    sources: tuple[str, ...]
    #: For clinicians: where the item comes from and the authors' choices. Patient-facing
    #: formats show the instructions, not these (the booklet's sources section excepted).
    clinician_notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prescription:
    """An exercise as a phase prescribes it: the exercise id and any dosage override."""

    exercise: str
    dosage: Dosage | None = None


@dataclass(frozen=True, slots=True)
class Walking:
    """A phase's walking target."""

    target: str
    minutes: int | None = None
    miles: float | None = None
    pace: Literal["comfortable", "brisk"] | None = None


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase of a plan: a range of weeks with goals and exercises."""

    number: int
    name: str
    week_from: int
    week_to: int
    goals: tuple[str, ...]
    progress_markers: tuple[str, ...]
    exercises: tuple[Prescription, ...]
    walking: Walking | None = None

    @property
    def weeks_label(self) -> str:
        """`Week 3` or `Weeks 3-4`."""
        if self.week_from == self.week_to:
            return f"Week {self.week_from}"
        return f"Weeks {self.week_from}-{self.week_to}"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A moment to check progress, at the end of a given week."""

    after_week: int
    title: str
    text: str
    precaution: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A week-by-week home program for one condition."""

    id: str
    title: str
    condition: str
    summary: str | None
    duration_weeks: int
    sessions_per_day: int
    phases: tuple[Phase, ...]
    checkpoints: tuple[Checkpoint, ...]
    notes: tuple[str, ...]
    advice: tuple[str, ...]
    precautions: tuple[str, ...]
    sources: tuple[str, ...]
    #: For clinicians: where the item comes from and the authors' choices. Patient-facing
    #: formats show the instructions, not these (the booklet's sources section excepted).
    clinician_notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Position:
    """What one source says where sources disagree."""

    source: str
    says: str


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A point where the sources disagree, and what the patient should do."""

    summary: str
    positions: tuple[Position, ...]
    what_to_do: str


@dataclass(frozen=True, slots=True)
class Advice:
    """Advice on a daily habit."""

    id: str
    topic: str
    title: str
    tips: tuple[str, ...]
    disagreement: Disagreement | None
    precautions: tuple[str, ...]
    sources: tuple[str, ...]
    #: For clinicians: where the item comes from and the authors' choices. Patient-facing
    #: formats show the instructions, not these (the booklet's sources section excepted).
    clinician_notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Bundle:
    """The whole validated bundle. Items are keyed by id, in id order.

    A value: its mappings are read-only (`FrozenMap`, whatever mapping it was given), and two
    bundles of the same content are equal.

    Use the accessors (`exercise()`, `precautions_for()`, ...) rather than walking ids by hand:
    they are how exporters keep the safety invariants (a precaution always travels with its
    exercise; red flags are ordered by severity).
    """

    manifest: Manifest
    conditions: Mapping[str, Condition]
    exercises: Mapping[str, Exercise]
    precautions: Mapping[str, Precaution]
    plans: Mapping[str, Plan]
    advice: Mapping[str, Advice]
    #: The pictures of each exercise, keyed by exercise id.
    figures: Mapping[str, Figure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("conditions", "exercises", "precautions", "plans", "advice", "figures"):
            object.__setattr__(self, name, frozen(getattr(self, name)))

    def source(self, source_id: str) -> Source:
        """The source article with this id."""
        for src in self.manifest.sources:
            if src.id == source_id:
                return src
        raise KeyError(source_id)

    def condition_of(self, plan: Plan) -> Condition:
        """The condition a plan serves."""
        return self.conditions[plan.condition]

    def precautions_for(self, exercise: Exercise) -> tuple[Precaution, ...]:
        """The precautions that travel with an exercise, most serious first."""
        return _by_severity(self.precautions[p] for p in exercise.precautions)

    def shared_precautions(self, exercises: Iterable[Exercise]) -> tuple[Precaution, ...]:
        """The precautions every one of `exercises` carries, most serious first: the general
        rules that an output showing those exercises together can say once."""
        items = list(exercises)
        if not items:
            return ()
        shared = set.intersection(*(set(e.precautions) for e in items))
        return _by_severity(self.precautions[p] for p in shared)

    def red_flags_for(self, plan: Plan) -> tuple[Precaution, ...]:
        """The red flags (emergency, urgent, then call-clinician) of a plan's condition."""
        condition = self.condition_of(plan)
        return _by_severity(self.precautions[p] for p in condition.red_flags)

    def general_precautions_for(self, plan: Plan) -> tuple[Precaution, ...]:
        """Precautions for the plan and its condition as a whole, most serious first."""
        condition = self.condition_of(plan)
        ids = dict.fromkeys((*condition.precautions, *plan.precautions))
        return _by_severity(self.precautions[p] for p in ids)

    def plan_exercises(self, plan: Plan) -> tuple[Exercise, ...]:
        """Every exercise a plan prescribes, in order of first appearance."""
        ids = dict.fromkeys(rx.exercise for phase in plan.phases for rx in phase.exercises)
        return tuple(self.exercises[i] for i in ids)

    def dosage_in(self, prescription: Prescription) -> Dosage:
        """The dosage a phase prescribes: the exercise's default with the phase's overrides."""
        return self.exercises[prescription.exercise].dosage.merged(prescription.dosage)

    def plan_advice(self, plan: Plan) -> tuple[Advice, ...]:
        """The daily-habit advice that goes with a plan, in the plan's order."""
        return tuple(self.advice[a] for a in plan.advice)


def _by_severity(items: Iterable[Precaution]) -> tuple[Precaution, ...]:
    return tuple(sorted(items, key=lambda p: (SEVERITY_ORDER.index(p.severity), p.id)))
