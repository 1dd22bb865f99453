"""The handout as plain data: what the HTML templates show, built from the bundle and a plan.

The templates only lay this out; every text here comes from the content or from the shared
wording helpers, never from the templates. The optional per-patient fields (first name,
clinic, session times, dated phases) are empty for a per-plan handout: a per-patient view
fills them in, and the templates show them when they are there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sciatica_pipeline.exporters.region import distances, emergency_line, patient_region
from sciatica_pipeline.exporters.wording import (
    LEARN_IN_PERSON,
    SEVERITY_HEADINGS,
    clinician_notes,
    describe_dosage,
    long_date,
    phase_changes,
    session_dosage,
    session_rule,
)
from sciatica_pipeline.model.content import (
    RED_FLAG_ORDER,
    Advice,
    Bundle,
    Dosage,
    Exercise,
    Phase,
    Plan,
    Precaution,
)
from sciatica_pipeline.model.schedule import Schedule

DAYS_PER_WEEK = 7

#: Said where a precaution of an item is also a warning sign (as the booklet says it).
WATCH_THE_WARNING_SIGNS = (
    "Watch for the warning signs under When to get help at the start and at the end of this "
    "handout."
)


def as_sentence(title: str) -> str:
    """The title as a lead-in: `Start slowly.` (no second stop after `?` or `.`)."""
    return title if title[-1:] in ".?!:" else title + "."


@dataclass(frozen=True, slots=True)
class PrecautionView:
    """A precaution as shown: its title as a sentence, text and action; `brief` shows only
    the title and action (the full text is given elsewhere in the handout)."""

    id: str
    severity: str
    title: str
    text: str
    action: str
    brief: bool = False


@dataclass(frozen=True, slots=True)
class FlagGroup:
    """The warning signs of one severity under the heading that says what to do."""

    severity: str
    heading: str
    flags: tuple[PrecautionView, ...]


@dataclass(frozen=True, slots=True)
class DoseFigure:
    """One number of a dosage: `Sets` and `2`."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Stage:
    """A later stage of a plan whose dose differs: `Weeks 3-4` and what to do then."""

    weeks: str
    text: str


@dataclass(frozen=True, slots=True)
class DosageView:
    """How much in each session: the numbers, the sentence, later stages, which sessions."""

    figures: tuple[DoseFigure, ...]
    sentence: str
    stages: tuple[Stage, ...]
    rule: str | None


@dataclass(frozen=True, slots=True)
class PictureView:
    """One picture of an exercise: its label (`Step 2`), its text alternative and the inline
    SVG our own renderer made (so it is markup we trust, its text already escaped)."""

    label: str
    alt: str
    svg: str


@dataclass(frozen=True, slots=True)
class ExerciseView:
    """An exercise as the booklet shows it, its precautions with it."""

    id: str
    anchor: str
    name: str
    purpose: str
    care_titles: tuple[str, ...]
    learn_in_person: str | None
    dosage: DosageView
    starting_position: str
    steps: tuple[str, ...]
    pictures: tuple[PictureView, ...]
    precautions: tuple[PrecautionView, ...]
    text_name: str | None
    cues: tuple[str, ...]
    mistakes: tuple[tuple[str, str], ...]
    variations: tuple[tuple[str, str], ...]
    equipment: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProgramRow:
    """An exercise in a phase: its name, where its section is, and the dose in a session."""

    name: str
    anchor: str
    dose: str


@dataclass(frozen=True, slots=True)
class PhaseView:
    """A phase of the program. `dates` is the phase's date range, for a per-patient view."""

    number: int
    weeks_label: str
    name: str
    goals: tuple[str, ...]
    changes: tuple[str, ...]
    markers: tuple[str, ...]
    rows: tuple[ProgramRow, ...]
    walking: str | None
    dates: str | None = None


@dataclass(frozen=True, slots=True)
class CheckpointView:
    """A checkpoint and, when it names one, the precaution's title and action."""

    title: str
    text: str
    precaution: tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class CheckpointWeek:
    """Every checkpoint at the end of one week (`date`: that day, for a per-patient view)."""

    week: int
    items: tuple[CheckpointView, ...]
    date: str | None = None


@dataclass(frozen=True, slots=True)
class AvoidView:
    """An exercise the condition says to avoid or do only with care, and its precautions."""

    name: str
    verdict: str
    reason: str
    precautions: tuple[PrecautionView, ...]


@dataclass(frozen=True, slots=True)
class Position:
    """What one source says, by the source's title."""

    source: str
    says: str


@dataclass(frozen=True, slots=True)
class DisagreementView:
    """Where the sources disagree, as the content records it, and what to do."""

    summary: str
    positions: tuple[Position, ...]
    what_to_do: str


@dataclass(frozen=True, slots=True)
class AdviceView:
    """A daily habit: its tips, any disagreement, and its precautions."""

    anchor: str
    title: str
    tips: tuple[str, ...]
    disagreement: DisagreementView | None
    warning_signs: str | None
    precautions: tuple[PrecautionView, ...]


@dataclass(frozen=True, slots=True)
class LogWeek:
    """A week of the tracking log: a row per day (with its date in a per-patient view)."""

    week: int
    title: str
    days: tuple[tuple[str, str | None], ...]
    checkpoints: str | None


@dataclass(frozen=True, slots=True)
class SourceView:
    """A source by its title, with the notes the content gives about it."""

    title: str
    note: str | None


@dataclass(frozen=True, slots=True)
class ContentsEntry:
    """A line of the contents: the section's anchor and label, and its sub-entries."""

    anchor: str
    label: str
    children: tuple[ContentsEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class HandoutView:
    """Everything one handout shows, in the order it shows it.

    The last group of fields is for a per-patient view: empty here, shown when present.
    """

    lang: str
    title: str
    kicker: str
    summary: str | None
    disclaimer: str
    emergency: str
    red_flags: tuple[FlagGroup, ...]
    good_to_know: tuple[PrecautionView, ...]
    condition_name: str
    also_called: tuple[str, ...]
    explanation: tuple[str, ...]
    how_exercise_helps: tuple[str, ...]
    ask_before: tuple[AvoidView, ...]
    program_intro: str
    phases: tuple[PhaseView, ...]
    checkpoints: tuple[CheckpointWeek, ...]
    notes: tuple[str, ...]
    shared_rules: tuple[PrecautionView, ...]
    exercises: tuple[ExerciseView, ...]
    habits: tuple[AdviceView, ...]
    session_labels: tuple[str, ...]
    log: tuple[LogWeek, ...]
    sources: tuple[SourceView, ...]
    clinician_notes: tuple[tuple[str, str], ...]
    review: tuple[str, ...]
    version_line: str
    # For a per-patient view; None or empty in a per-plan handout.
    patient_first_name: str | None = None
    clinic_name: str | None = None
    clinic_phone: str | None = None
    clinician_name: str | None = None
    clinician_phone: str | None = None
    start_date: str | None = None
    session_times: tuple[str, ...] = ()
    session_line: str | None = None

    @property
    def contents(self) -> tuple[ContentsEntry, ...]:
        """The sections in page order, the exercises and habits under theirs."""
        entries = [
            ContentsEntry("before-you-start", "Before you start"),
            ContentsEntry("when-to-get-help", "When to get help"),
        ]
        if self.good_to_know:
            entries.append(ContentsEntry("good-to-know", "Good to know"))
        entries += [
            ContentsEntry("about", f"About {self.condition_name}"),
            ContentsEntry("program", "Your program at a glance"),
            ContentsEntry(
                "exercises",
                "Your exercises",
                tuple(ContentsEntry(e.anchor, e.name) for e in self.exercises),
            ),
        ]
        if self.habits:
            entries.append(
                ContentsEntry(
                    "habits",
                    "Daily habits",
                    tuple(ContentsEntry(a.anchor, a.title) for a in self.habits),
                )
            )
        entries += [
            ContentsEntry("tracking-log", "Your tracking log"),
            ContentsEntry("sources", "Sources and review"),
            ContentsEntry("in-short", "When to get help: in short"),
        ]
        return tuple(entries)


def precaution_view(p: Precaution, *, brief: bool = False) -> PrecautionView:
    """A precaution as the handout shows it."""
    return PrecautionView(p.id, p.severity, as_sentence(p.title), p.text, p.action, brief)


def red_flag_groups(bundle: Bundle, plan: Plan) -> tuple[FlagGroup, ...]:
    """The plan's warning signs, a group per severity, most serious first."""
    flags = bundle.red_flags_for(plan)
    groups = []
    for severity in RED_FLAG_ORDER:
        group = tuple(precaution_view(p) for p in flags if p.severity == severity)
        if group:
            groups.append(FlagGroup(severity, SEVERITY_HEADINGS[severity] + ":", group))
    return tuple(groups)


def _dose_figures(dosage: Dosage) -> tuple[DoseFigure, ...]:
    """The dosage's numbers as the booklet's dosage box gives them."""
    figures = []
    if dosage.sets:
        figures.append(DoseFigure("Sets", str(dosage.sets)))
    if dosage.reps:
        figures.append(DoseFigure("Repeat", f"{dosage.reps} times"))
    if dosage.hold_seconds:
        seconds = dosage.hold_seconds
        hold = f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} sec"
        figures.append(DoseFigure("Hold", hold))
    if dosage.minutes:
        figures.append(DoseFigure("Time", f"{dosage.minutes} min"))
    if dosage.per_side:
        figures.append(DoseFigure("Each side", "Yes"))
    if dosage.times_per_day:
        figures.append(DoseFigure("Times a day", str(dosage.times_per_day)))
    return tuple(figures)


def dosage_view(bundle: Bundle, plan: Plan, exercise: Exercise) -> DosageView:
    """How much in each session, as the plan prescribes it: the numbers and sentence of its
    first weeks, then each later stage whose dose differs (the booklet's dosage box)."""
    sessions = plan.sessions_per_day
    stages = [
        (phase.weeks_label, bundle.dosage_in(rx))
        for phase in plan.phases
        for rx in phase.exercises
        if rx.exercise == exercise.id
    ] or [("", exercise.dosage)]
    first = stages[0][1]
    rules = {session_rule(d.times_per_day, sessions) for _, d in stages}
    once = len(rules) == 1

    def text(dosage: Dosage) -> str:
        if once:
            return describe_dosage(replace(dosage, times_per_day=None))
        return session_dosage(dosage, sessions)

    later = []
    previous = first
    for weeks, dosage in stages[1:]:
        if dosage != previous:
            same = replace(dosage, note=None) == replace(previous, note=None)
            later.append(Stage(weeks, dosage.note if same and dosage.note else text(dosage)))
        previous = dosage
    rule = next(iter(rules)) if once else None
    figures = _dose_figures(replace(first, times_per_day=None))
    return DosageView(figures, text(first), tuple(later), rule)


def _pictures(bundle: Bundle, exercise: Exercise) -> tuple[PictureView, ...]:
    figure = bundle.figures.get(exercise.id)
    if figure is None:
        return ()
    from sciatica_pipeline.figures import pictures, svg

    shown = pictures(figure)
    # One width for every picture of the exercise keeps one scale; standing pictures are
    # drawn narrower so they are no taller than 240 pixels. CSS lets them shrink to fit.
    width = min(280.0, 240.0 * shown[0].width / shown[0].height)
    return tuple(PictureView(p.label, p.alt, svg(p, width=width)) for p in shown)


def _text_name(bundle: Bundle, exercise: Exercise) -> str | None:
    """The name text messages use, where it differs (they never name a condition)."""
    from sciatica_pipeline.exporters.sms.messages import (
        condition_pattern,
        condition_words,
        exercise_word,
    )

    word = exercise_word(exercise, condition_pattern(condition_words(bundle)))
    plain = re.sub(r"\s*\([^)]*\)", "", exercise.name).strip()
    return None if word.lower() == plain.lower() else word


def exercise_anchor(exercise: Exercise) -> str:
    """The id of an exercise's section."""
    return f"exercise-{exercise.id}"


def exercise_view(bundle: Bundle, plan: Plan, exercise: Exercise) -> ExerciseView:
    """One exercise: the booklet's section, its own precautions with it (those every
    exercise shares are given in full once, those on "Good to know" in short)."""
    shared = {p.id for p in bundle.shared_precautions(bundle.plan_exercises(plan))}
    general = {p.id for p in bundle.general_precautions_for(plan)}
    mine = bundle.precautions_for(exercise)
    return ExerciseView(
        id=exercise.id,
        anchor=exercise_anchor(exercise),
        name=exercise.name,
        purpose=exercise.purpose,
        care_titles=tuple(as_sentence(p.title) for p in mine),
        learn_in_person=LEARN_IN_PERSON if exercise.learn_in_person else None,
        dosage=dosage_view(bundle, plan, exercise),
        starting_position=exercise.starting_position,
        steps=exercise.steps,
        pictures=_pictures(bundle, exercise),
        precautions=tuple(
            precaution_view(p, brief=p.id in general) for p in mine if p.id not in shared
        ),
        text_name=_text_name(bundle, exercise),
        cues=exercise.cues,
        mistakes=tuple((m.mistake, m.instead) for m in exercise.common_mistakes),
        variations=tuple((v.name, v.note) for v in exercise.variations),
        equipment=exercise.equipment,
    )


def phase_view(bundle: Bundle, plan: Plan, phase: Phase, region: str | None = None) -> PhaseView:
    """A phase: goals, changes, markers and the dose of each exercise in a session, with
    distances for `region`'s readers (default: the content's)."""
    region = region or bundle.manifest.region
    rows = tuple(
        ProgramRow(
            bundle.exercises[rx.exercise].name,
            exercise_anchor(bundle.exercises[rx.exercise]),
            distances(session_dosage(bundle.dosage_in(rx), plan.sessions_per_day), region),
        )
        for rx in phase.exercises
    )
    walking = distances(phase.walking.target, region) if phase.walking else None
    return PhaseView(
        phase.number,
        phase.weeks_label,
        phase.name,
        phase.goals,
        phase_changes(bundle, plan, phase),
        phase.progress_markers,
        rows,
        walking,
    )


def checkpoint_weeks(bundle: Bundle, plan: Plan) -> tuple[CheckpointWeek, ...]:
    """The checkpoints, one entry per week, in week order."""
    weeks: dict[int, list[CheckpointView]] = {}
    for c in plan.checkpoints:
        p = bundle.precautions[c.precaution] if c.precaution else None
        item = CheckpointView(c.title, c.text, (p.title, p.action) if p else None)
        weeks.setdefault(c.after_week, []).append(item)
    return tuple(CheckpointWeek(w, tuple(items)) for w, items in sorted(weeks.items()))


def advice_view(bundle: Bundle, advice: Advice) -> AdviceView:
    """A daily habit, with the sources' disagreement as the content records it."""
    disagreement = None
    if advice.disagreement:
        d = advice.disagreement
        positions = tuple(Position(bundle.source(p.source).title, p.says) for p in d.positions)
        disagreement = DisagreementView(d.summary, positions, d.what_to_do)
    precautions = [bundle.precautions[p] for p in advice.precautions]
    return AdviceView(
        anchor=f"habit-{advice.id}",
        title=advice.title,
        tips=advice.tips,
        disagreement=disagreement,
        warning_signs=(
            WATCH_THE_WARNING_SIGNS if any(p.is_red_flag for p in precautions) else None
        ),
        precautions=tuple(precaution_view(p, brief=True) for p in precautions if not p.is_red_flag),
    )


def log_weeks(plan: Plan) -> tuple[LogWeek, ...]:
    """A week of the tracking log per week of the plan."""
    checkpoints: dict[int, list[str]] = {}
    for c in plan.checkpoints:
        checkpoints.setdefault(c.after_week, []).append(c.title)
    weeks = []
    for week in range(1, plan.duration_weeks + 1):
        phase = next((p for p in plan.phases if p.week_from <= week <= p.week_to), None)
        title = f"Week {week}" + (f": {phase.name}" if phase else "")
        days = tuple((f"Day {d}", None) for d in range(1, DAYS_PER_WEEK + 1))
        titles = "; ".join(checkpoints[week]) if week in checkpoints else None
        weeks.append(LogWeek(week, title, days, titles))
    return tuple(weeks)


def handout_view(bundle: Bundle, plan: Plan, *, region: str | None = None) -> HandoutView:
    """The per-plan handout of `plan`, for `region`'s readers (default: the content's)."""
    m = bundle.manifest
    region = region or m.region
    condition = bundle.condition_of(plan)
    sessions = "1 session" if plan.sessions_per_day == 1 else f"{plan.sessions_per_day} sessions"
    ask_before = tuple(
        AvoidView(
            bundle.exercises[entry.exercise].name,
            "avoid" if entry.level == "avoid" else "only with care",
            entry.reason,
            tuple(
                precaution_view(p, brief=True)
                for p in bundle.precautions_for(bundle.exercises[entry.exercise])
            ),
        )
        for entry in condition.avoid_or_caution
    )
    sources = tuple(
        SourceView(s.title, " ".join(n for n in (s.title_note, s.note) if n) or None)
        for s in m.sources
    )
    review = [
        f"This is version {m.version} of {m.title}.",
        f"The content was reviewed on {long_date(m.review.reviewed_on, region)}.",
        f"The next review is due by {long_date(m.review.next_review_due, region)}.",
    ]
    if m.review.reviewed_by:
        review.insert(2, f"Reviewed by {m.review.reviewed_by}.")
    return HandoutView(
        lang=m.language,
        title=plan.title,
        kicker=f"{m.title} \u00b7 Home exercise handout",
        summary=plan.summary,
        disclaimer=m.disclaimer,
        emergency=emergency_line(region),
        red_flags=red_flag_groups(bundle, plan),
        good_to_know=tuple(precaution_view(p) for p in bundle.general_precautions_for(plan)),
        condition_name=condition.name,
        also_called=condition.also_called,
        explanation=condition.explanation,
        how_exercise_helps=condition.how_exercise_helps,
        ask_before=ask_before,
        program_intro=(
            f"The plan lasts {plan.duration_weeks} weeks, with {sessions} of exercise a day. "
            "In each session, do every exercise listed for the weeks you are in, as much as "
            "its row says."
        ),
        phases=tuple(phase_view(bundle, plan, phase, region) for phase in plan.phases),
        checkpoints=checkpoint_weeks(bundle, plan),
        notes=plan.notes,
        shared_rules=tuple(
            precaution_view(p) for p in bundle.shared_precautions(bundle.plan_exercises(plan))
        ),
        exercises=tuple(exercise_view(bundle, plan, e) for e in bundle.plan_exercises(plan)),
        habits=tuple(advice_view(bundle, a) for a in bundle.plan_advice(plan)),
        session_labels=tuple(f"Session {i}" for i in range(1, plan.sessions_per_day + 1)),
        log=log_weeks(plan),
        sources=sources,
        clinician_notes=tuple(
            (what, " ".join(texts)) for what, texts in clinician_notes(bundle, plan)
        ),
        review=tuple(review),
        version_line=(
            f"Version {m.version} \u00b7 Reviewed on {long_date(m.review.reviewed_on, region)}"
        ),
    )


def patient_view(bundle: Bundle, schedule: Schedule) -> HandoutView:
    """The handout of `schedule`'s patient: the plan's, with the texts a personal booklet
    writes in (`sciatica_pipeline.exporters.personal`): the same dates, clinic and
    clinician, and the emergency number and units of the patient's region."""
    from sciatica_pipeline.exporters.personal import personal

    patient, plan = schedule.patient, schedule.plan
    mine = personal(schedule, bundle.manifest)
    texts = mine.texts
    region = patient_region(patient)
    view = handout_view(bundle, plan, region=region)
    m = bundle.manifest
    review = [f"This is version {m.version} of {m.title}.", texts["reviewed-on"]]
    if m.review.reviewed_by:
        review.append(f"Reviewed by {m.review.reviewed_by}.")
    review.append(texts["review-due"])
    log = tuple(
        replace(
            week,
            title=f"{week.title} ({texts[f'log-week-{week.week}']})",
            days=tuple(
                (label, texts[f"log-day-{week.week}-{day}"])
                for day, (label, _) in enumerate(week.days, start=1)
            ),
        )
        for week in view.log
    )
    return replace(
        view,
        emergency=texts["emergency"],
        phases=tuple(replace(p, dates=texts[f"phase-{p.number}"]) for p in view.phases),
        checkpoints=tuple(
            replace(w, date=texts.get(f"checkpoint-{w.week}")) for w in view.checkpoints
        ),
        log=log,
        review=tuple(review),
        version_line=texts["cover-version"],
        patient_first_name=texts["prepared-for"],
        clinic_name=texts.get("clinic"),
        clinic_phone=texts.get("clinic-phone"),
        clinician_name=texts.get("clinician"),
        clinician_phone=texts.get("clinician-phone"),
        start_date=texts["start-date"],
        session_times=tuple(mine.words.time(t) for t in patient.session_times),
        session_line=texts["sessions"],
    )
