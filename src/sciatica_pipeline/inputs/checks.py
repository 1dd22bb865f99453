"""Checks of the bundle as a whole: references, phase weeks, contradictions and unused items.

Each check reads the model objects built from schema-valid files and reports problems at the
file and JSON pointer an author has to change.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator

from sciatica_pipeline.errors import Problem
from sciatica_pipeline.exporters.wording import SEVERITY_HEADINGS
from sciatica_pipeline.inputs.loader import Parts, pointer
from sciatica_pipeline.inputs.schemas import Kind
from sciatica_pipeline.model.content import RED_FLAG_SEVERITIES
from sciatica_pipeline.model.figure import BODY_RANGES, SIDE_RANGES

_NOUN: dict[Kind, str] = {
    "condition": "condition",
    "exercise": "exercise",
    "precaution": "precaution",
    "plan": "plan",
    "advice": "advice item",
    "figure": "figure",
}
_FOLDER: dict[Kind, str] = {
    "condition": "conditions",
    "exercise": "exercises",
    "precaution": "precautions",
    "plan": "plans",
    "advice": "advice",
    "figure": "figures",
}


def check_parts(parts: Parts, today: dt.date | None = None) -> list[Problem]:
    """Every bundle-wide problem of the content, errors and warnings."""
    checker = _Checker(parts)
    checker.references()
    checker.red_flags()
    checker.actions()
    checker.phase_weeks()
    checker.avoided_exercises()
    checker.unused_items()
    checker.figures()
    checker.review_dates(today or dt.date.today())
    return checker.problems


class _Checker:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.problems: list[Problem] = []
        self.source_ids = (
            {s.id for s in parts.manifest.sources} if parts.manifest is not None else None
        )
        self.ids: dict[Kind, set[str]] = {
            "condition": set(parts.conditions),
            "exercise": set(parts.exercises),
            "precaution": set(parts.precautions),
            "plan": set(parts.plans),
            "advice": set(parts.advice),
            "figure": set(parts.figures),
        }

    def file(self, kind: Kind, item_id: str) -> str:
        return self.parts.origins[(kind, item_id)]

    def report(self, file: str, where: str, message: str, *, warning: bool = False) -> None:
        self.problems.append(Problem(file, where, message, "warning" if warning else "error"))

    # references -------------------------------------------------------------------------

    def ref(self, file: str, where: str, target: Kind, ref: str) -> None:
        """Report `ref` when no valid (or known-invalid) item of kind `target` has that id."""
        if ref in self.ids[target] or (target, ref) in self.parts.invalid:
            return
        self.report(
            file,
            where,
            f'no {_NOUN[target]} has the id "{ref}"; '
            f"check the spelling or add {_FOLDER[target]}/{ref}.json",
        )

    def sources(self, file: str, where: str, refs: Iterable[str]) -> None:
        if self.source_ids is None:  # the manifest is broken and already reported
            return
        for i, ref in enumerate(refs):
            if ref not in self.source_ids:
                self.report(
                    file,
                    f"{where}/{i}",
                    f'no source has the id "{ref}"; add it to "sources" in bundle.json '
                    "or fix the spelling",
                )

    def refs(self, file: str, where: str, target: Kind, refs: Iterable[str]) -> None:
        for i, ref in enumerate(refs):
            self.ref(file, f"{where}/{i}", target, ref)

    def references(self) -> None:
        p = self.parts
        for pre in p.precautions.values():
            self.sources(self.file("precaution", pre.id), "/sources", pre.sources)
        for ex in p.exercises.values():
            f = self.file("exercise", ex.id)
            self.refs(f, "/precautions", "precaution", ex.precautions)
            self.sources(f, "/sources", ex.sources)
        for cond in p.conditions.values():
            f = self.file("condition", cond.id)
            self.refs(f, "/recommended_exercises", "exercise", cond.recommended_exercises)
            for i, entry in enumerate(cond.avoid_or_caution):
                self.ref(f, pointer("avoid_or_caution", i, "exercise"), "exercise", entry.exercise)
                if entry.exercise in cond.recommended_exercises:
                    self.report(
                        f,
                        pointer("avoid_or_caution", i, "exercise"),
                        f'"{entry.exercise}" is both recommended and listed under '
                        "avoid_or_caution; keep it in one list only",
                    )
            self.refs(f, "/red_flags", "precaution", cond.red_flags)
            self.refs(f, "/precautions", "precaution", cond.precautions)
            self.sources(f, "/sources", cond.sources)
        for adv in p.advice.values():
            f = self.file("advice", adv.id)
            self.refs(f, "/precautions", "precaution", adv.precautions)
            self.sources(f, "/sources", adv.sources)
            if adv.disagreement is not None and self.source_ids is not None:
                for i, position in enumerate(adv.disagreement.positions):
                    if position.source not in self.source_ids:
                        self.report(
                            f,
                            pointer("disagreement", "positions", i, "source"),
                            f'no source has the id "{position.source}"; add it to "sources" '
                            "in bundle.json or fix the spelling",
                        )
        for plan in p.plans.values():
            f = self.file("plan", plan.id)
            self.ref(f, "/condition", "condition", plan.condition)
            for pi, phase in enumerate(plan.phases):
                seen: set[str] = set()
                for xi, rx in enumerate(phase.exercises):
                    where = pointer("phases", pi, "exercises", xi, "exercise")
                    self.ref(f, where, "exercise", rx.exercise)
                    if rx.exercise in seen:
                        self.report(
                            f, where, f'"{rx.exercise}" is listed twice in this phase; keep one'
                        )
                    seen.add(rx.exercise)
            for ci, checkpoint in enumerate(plan.checkpoints):
                if checkpoint.precaution is not None:
                    self.ref(
                        f,
                        pointer("checkpoints", ci, "precaution"),
                        "precaution",
                        checkpoint.precaution,
                    )
                if checkpoint.after_week > plan.duration_weeks:
                    self.report(
                        f,
                        pointer("checkpoints", ci, "after_week"),
                        f"week {checkpoint.after_week} is after the plan ends "
                        f"(duration_weeks is {plan.duration_weeks})",
                    )
            self.refs(f, "/advice", "advice", plan.advice)
            self.refs(f, "/precautions", "precaution", plan.precautions)
            self.sources(f, "/sources", plan.sources)

    # red flags ----------------------------------------------------------------------------

    def red_flags(self) -> None:
        for cond in self.parts.conditions.values():
            for i, ref in enumerate(cond.red_flags):
                pre = self.parts.precautions.get(ref)
                if pre is not None and pre.severity not in RED_FLAG_SEVERITIES:
                    self.report(
                        self.file("condition", cond.id),
                        pointer("red_flags", i),
                        f'"{ref}" has severity "{pre.severity}"; red flags must be '
                        '"emergency", "urgent" or "call-clinician" (list it under '
                        '"precautions" instead)',
                    )

    # actions ----------------------------------------------------------------------------------

    def actions(self) -> None:
        """No text contradicts what a red flag itself says to do.

        A red flag's action asks for the same things as its severity's heading (SMS messages
        show the title under it alone; under emergency care the action may also say not to
        exercise). A text that speaks of the red flags as a group asks for nothing that one of
        them does not. A checkpoint asks for nothing its precaution does not."""
        p = self.parts
        flags = sorted(
            (pre for pre in p.precautions.values() if pre.severity in RED_FLAG_SEVERITIES),
            key=lambda pre: pre.id,
        )
        for pre in flags:
            heading = SEVERITY_HEADINGS[pre.severity]
            said, wanted = asks_for(pre.action), asks_for(heading)
            if "go to emergency care" in wanted:  # not exercising goes without saying there
                said -= {"stop exercising"}
            if said != wanted:
                self.report(
                    self.file("precaution", pre.id),
                    "/action",
                    f'the heading for "{pre.severity}" says "{heading} ..."; this action '
                    f"{_difference(said, wanted)}. Make the action say what the heading says, "
                    "or give the precaution the severity whose heading matches it",
                )
        for file, where, text in self._general_texts():
            if not _GROUP.search(text):
                continue
            for wish in sorted(asks_for(text)):
                other = next((f for f in flags if wish not in asks_for(f.action)), None)
                if other is not None:
                    self.report(
                        file,
                        where,
                        f'this text speaks of the warning signs as a group and says to "{wish}", '
                        f'but the red flag "{other.id}" says: "{other.action}" Say "do what it '
                        'says" instead, or name the warning signs you mean',
                    )
        for plan in p.plans.values():
            for ci, checkpoint in enumerate(plan.checkpoints):
                linked = p.precautions.get(checkpoint.precaution or "")
                if linked is None:
                    continue
                extra = asks_for(checkpoint.text) - asks_for(linked.action)
                if extra:
                    self.report(
                        self.file("plan", plan.id),
                        pointer("checkpoints", ci, "text"),
                        f'this checkpoint says to "{sorted(extra)[0]}", but its precaution '
                        f'"{linked.id}" says: "{linked.action}" Make the two say the same',
                    )

    def _general_texts(self) -> Iterator[tuple[str, str, str]]:
        """(file, pointer, text) of every patient text that is not a red flag's own."""
        p = self.parts
        if p.manifest is not None:
            yield p.manifest_file, "/disclaimer", p.manifest.disclaimer
        for adv in p.advice.values():
            f = self.file("advice", adv.id)
            yield from ((f, pointer("tips", i), t) for i, t in enumerate(adv.tips))
            if adv.disagreement is not None:
                yield f, "/disagreement/summary", adv.disagreement.summary
                yield f, "/disagreement/what_to_do", adv.disagreement.what_to_do
        for plan in p.plans.values():
            f = self.file("plan", plan.id)
            if plan.summary:
                yield f, "/summary", plan.summary
            yield from ((f, pointer("notes", i), t) for i, t in enumerate(plan.notes))
            for pi, phase in enumerate(plan.phases):
                yield from (
                    (f, pointer("phases", pi, "goals", i), t) for i, t in enumerate(phase.goals)
                )
                yield from (
                    (f, pointer("phases", pi, "progress_markers", i), t)
                    for i, t in enumerate(phase.progress_markers)
                )
                if phase.walking is not None:
                    yield f, pointer("phases", pi, "walking", "target"), phase.walking.target
            for ci, checkpoint in enumerate(plan.checkpoints):
                yield f, pointer("checkpoints", ci, "text"), checkpoint.text
        for cond in p.conditions.values():
            f = self.file("condition", cond.id)
            yield from ((f, pointer("explanation", i), t) for i, t in enumerate(cond.explanation))
            yield from (
                (f, pointer("how_exercise_helps", i), t)
                for i, t in enumerate(cond.how_exercise_helps)
            )
            yield from (
                (f, pointer("avoid_or_caution", i, "reason"), a.reason)
                for i, a in enumerate(cond.avoid_or_caution)
            )
        for ex in p.exercises.values():
            f = self.file("exercise", ex.id)
            yield f, "/purpose", ex.purpose
            yield from ((f, pointer("steps", i), t) for i, t in enumerate(ex.steps))
            yield from ((f, pointer("cues", i), t) for i, t in enumerate(ex.cues))
            yield from (
                (f, pointer("variations", i, "note"), v.note) for i, v in enumerate(ex.variations)
            )
            if ex.dosage.note:
                yield f, "/dosage/note", ex.dosage.note
        for pre in p.precautions.values():
            if pre.severity not in RED_FLAG_SEVERITIES:
                f = self.file("precaution", pre.id)
                yield f, "/text", pre.text
                yield f, "/action", pre.action

    # phases ---------------------------------------------------------------------------------

    def phase_weeks(self) -> None:
        for plan in self.parts.plans.values():
            f = self.file("plan", plan.id)
            expected = 1
            for i, phase in enumerate(plan.phases):
                where = pointer("phases", i, "weeks")
                label = f"phase {i + 1} ({phase.name})"
                if phase.week_to < phase.week_from:
                    self.report(
                        f,
                        where,
                        f"{label} ends in week {phase.week_to}, before it starts in "
                        f"week {phase.week_from}",
                    )
                elif phase.week_from < expected:
                    self.report(
                        f,
                        where,
                        f"{label} starts in week {phase.week_from}, which overlaps the "
                        f"previous phase; start it in week {expected}",
                    )
                elif phase.week_from > expected:
                    gap = (
                        f"week {expected}"
                        if phase.week_from - 1 == expected
                        else f"weeks {expected}-{phase.week_from - 1}"
                    )
                    self.report(f, where, f"{label} leaves a gap: no phase covers {gap}")
                expected = max(expected, phase.week_to + 1)
            if expected - 1 != plan.duration_weeks:
                self.report(
                    f,
                    "/duration_weeks",
                    f"the plan runs {plan.duration_weeks} weeks but its phases end in week "
                    f"{expected - 1}; make the last phase end in week {plan.duration_weeks}",
                )

    # contradictions -------------------------------------------------------------------------

    def avoided_exercises(self) -> None:
        for plan in self.parts.plans.values():
            condition = self.parts.conditions.get(plan.condition)
            if condition is None:
                continue
            levels = {e.exercise: e.level for e in condition.avoid_or_caution}
            for pi, phase in enumerate(plan.phases):
                for xi, rx in enumerate(phase.exercises):
                    level = levels.get(rx.exercise)
                    if level is None:
                        continue
                    where = pointer("phases", pi, "exercises", xi, "exercise")
                    cond_file = self.file("condition", condition.id)
                    if level == "avoid":
                        self.report(
                            self.file("plan", plan.id),
                            where,
                            f'the plan prescribes "{rx.exercise}", which {cond_file} says to '
                            "avoid for this condition; remove it from the plan",
                        )
                    else:
                        self.report(
                            self.file("plan", plan.id),
                            where,
                            f'the plan prescribes "{rx.exercise}", which {cond_file} says to '
                            "use only with caution for this condition; make sure that is meant",
                            warning=True,
                        )

    # unused items ---------------------------------------------------------------------------

    def _used_precautions(self) -> Iterator[str]:
        p = self.parts
        for ex in p.exercises.values():
            yield from ex.precautions
        for cond in p.conditions.values():
            yield from cond.red_flags
            yield from cond.precautions
        for adv in p.advice.values():
            yield from adv.precautions
        for plan in p.plans.values():
            yield from plan.precautions
            yield from (c.precaution for c in plan.checkpoints if c.precaution)

    def unused_items(self) -> None:
        p = self.parts
        used = set(self._used_precautions())
        for pre_id in p.precautions:
            if pre_id not in used:
                self.report(
                    self.file("precaution", pre_id),
                    "",
                    "no exercise, condition, plan or advice item uses this precaution, so no "
                    "patient would see it; reference it where it applies, or delete it",
                )
        prescribed = {
            rx.exercise for plan in p.plans.values() for ph in plan.phases for rx in ph.exercises
        }
        recommended = {x for c in p.conditions.values() for x in c.recommended_exercises}
        for ex_id in p.exercises:
            if ex_id not in prescribed | recommended:
                self.report(
                    self.file("exercise", ex_id),
                    "",
                    "no condition recommends this exercise and no plan prescribes it",
                    warning=True,
                )
        advised = {a for plan in p.plans.values() for a in plan.advice}
        for adv_id in p.advice:
            if adv_id not in advised:
                self.report(
                    self.file("advice", adv_id),
                    "",
                    "no plan lists this advice item, so no patient would see it",
                    warning=True,
                )
        served = {plan.condition for plan in p.plans.values()}
        for cond_id in p.conditions:
            if cond_id not in served:
                self.report(
                    self.file("condition", cond_id),
                    "",
                    "no plan serves this condition; add one under plans/",
                    warning=True,
                )
        if p.manifest is not None:
            cited = self._cited_sources()
            for i, src in enumerate(p.manifest.sources):
                if src.id not in cited:
                    self.report(
                        p.manifest_file,
                        pointer("sources", i),
                        f'no item cites the source "{src.id}"',
                        warning=True,
                    )
            seen: dict[str, int] = {}
            for i, src in enumerate(p.manifest.sources):
                if src.id in seen:
                    self.report(
                        p.manifest_file,
                        pointer("sources", i, "id"),
                        f'the source id "{src.id}" is already used by source {seen[src.id] + 1}',
                    )
                seen.setdefault(src.id, i)

    def _cited_sources(self) -> set[str]:
        p = self.parts
        cited: set[str] = set()
        for group in (p.precautions, p.exercises, p.conditions, p.plans, p.advice):
            for item in group.values():
                cited.update(item.sources)
        for adv in p.advice.values():
            if adv.disagreement is not None:
                cited.update(pos.source for pos in adv.disagreement.positions)
        return cited

    # figures --------------------------------------------------------------------------------

    def figures(self) -> None:
        p = self.parts
        for ex_id in p.exercises:
            if ex_id not in p.figures and ("figure", ex_id) not in p.invalid:
                self.report(
                    self.file("exercise", ex_id),
                    "",
                    f"no figure shows this exercise; add figures/{ex_id}.json "
                    "(docs/authoring.md says how)",
                )
        for figure in p.figures.values():
            f = self.file("figure", figure.exercise)
            exercise = p.exercises.get(figure.exercise)
            if exercise is None:
                self.ref(f, "/exercise", "exercise", figure.exercise)
            elif not any(pose.step == "starting_position" for pose in figure.poses):
                self.report(
                    f,
                    "/poses",
                    'no pose shows the starting position; add one with "step": "starting_position"',
                )
            for i, pose in enumerate(figure.poses):
                steps = len(exercise.steps) if exercise is not None else None
                if steps is not None and isinstance(pose.step, int) and pose.step >= steps:
                    self.report(
                        f,
                        pointer("poses", i, "step"),
                        f"step {pose.step} does not exist: {figure.exercise} has {steps} "
                        f"steps, numbered from 0 to {steps - 1}",
                    )
                joints = pose.joints
                for name, (low, high) in BODY_RANGES.items():
                    value = getattr(joints, name)
                    self._joint_range(
                        f, pointer("poses", i, "joints", name), name, value, low, high
                    )
                for side in ("near", "far"):
                    values = getattr(joints, side)
                    for name, (low, high) in SIDE_RANGES.items():
                        where = pointer("poses", i, "joints", side, name)
                        label = f"{side}-side {name.replace('_', ' ')}"
                        value = getattr(values, name)
                        self._joint_range(f, where, label, value, low, high)

    def _joint_range(
        self, file: str, where: str, joint: str, value: float, low: float, high: float
    ) -> None:
        if not low <= value <= high:
            self.report(
                file,
                where,
                f"the {joint} is at {value:g} degrees, outside the human range of "
                f"{low:g} to {high:g} degrees",
            )

    # review dates ---------------------------------------------------------------------------

    def review_dates(self, today: dt.date) -> None:
        manifest = self.parts.manifest
        if manifest is None:
            return
        review = manifest.review
        if review.next_review_due <= review.reviewed_on:
            self.report(
                self.parts.manifest_file,
                "/review/next_review_due",
                f"the next review ({review.next_review_due}) must come after the last one "
                f"({review.reviewed_on})",
            )
        elif review.next_review_due < today:
            self.report(
                self.parts.manifest_file,
                "/review/next_review_due",
                f"the content was due for review on {review.next_review_due}; review it and "
                "update the dates",
                warning=True,
            )


#: What a text can ask a patient to do about a warning sign, and the words that ask for it.
_ASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("stop exercising", re.compile(r"\b(stop|do not exercise|don't exercise)\b", re.I)),
    ("get help right away", re.compile(r"\b(right away|immediately|now)\b", re.I)),
    ("go to emergency care", re.compile(r"\bemergency\b", re.I)),
    ("call", re.compile(r"\bcall\b", re.I)),
)

#: Words that speak of the warning signs as a group.
_GROUP = re.compile(r"\b(red flags?|warning signs?)\b", re.I)


def asks_for(text: str) -> frozenset[str]:
    """What `text` asks the patient to do about a warning sign (`stop exercising`, `call`, ...)."""
    return frozenset(name for name, words in _ASKS if words.search(text))


def _difference(said: frozenset[str], wanted: frozenset[str]) -> str:
    parts = []
    if wanted - said:
        parts.append("does not say to " + " or ".join(f'"{w}"' for w in sorted(wanted - said)))
    if said - wanted:
        parts.append("also says to " + " and ".join(f'"{w}"' for w in sorted(said - wanted)))
    return " and ".join(parts)
