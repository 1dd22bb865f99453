"""Example local plugin: a Markdown handout per progression plan, for patient portals and
websites.

It is written exactly as a third-party exporter would be: it imports only the public API, and
returns artifacts instead of writing files. Copy it to start your own exporter; see
docs/plugins.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from sciatica_pipeline import hookimpl
from sciatica_pipeline.exporters.region import emergency_line
from sciatica_pipeline.exporters.wording import (
    LEARN_IN_PERSON,
    SEVERITY_HEADINGS,
    describe_dosage,
    source_titles,
)
from sciatica_pipeline.figures import pictures, svg
from sciatica_pipeline.model.content import RED_FLAG_ORDER, Bundle, Exercise, Plan
from sciatica_pipeline.plugins.exporter import Artifact, BuildContext, Exporter

__version__ = "1.0.0"


def _escape(text: str) -> str:
    """Escape the characters Markdown would read as formatting."""
    for char in "\\`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    return text


def _bullets(items: Iterable[str]) -> Iterator[str]:
    return (f"- {_escape(item)}" for item in items)


def figure_lines(bundle: Bundle, exercise: Exercise) -> list[str]:
    """The exercise's pictures as inline SVG (titled with their text alternative), each
    followed by its caption. An SVG element holds no blank line, so Markdown keeps it whole."""
    figure = bundle.figures.get(exercise.id)
    if figure is None:
        return []
    out = []
    shown = pictures(figure)
    # One width for every picture of the exercise keeps one scale; tall (standing) pictures
    # are drawn narrower so they are no taller than 220 pixels.
    width = min(260.0, 220.0 * shown[0].width / shown[0].height)
    for picture in shown:
        out += [svg(picture, width=width), ""]
        out += [f"*{_escape(picture.label)}:* {_escape(picture.alt)}", ""]
    return out


def handout(bundle: Bundle, plan: Plan) -> str:
    """The Markdown handout for one plan."""
    m = bundle.manifest
    condition = bundle.condition_of(plan)
    out = [f"# {_escape(plan.title)}", ""]
    out += [f"*{_escape(m.title)}, version {m.version}, reviewed {m.review.reviewed_on}*", ""]
    out += ["## Before you start", "", _escape(m.disclaimer), ""]
    out += ["## When to get help", "", f"**{_escape(emergency_line(m.region))}**", ""]
    for severity in RED_FLAG_ORDER:
        flags = [p for p in bundle.red_flags_for(plan) if p.severity == severity]
        if flags:
            out += [f"**{SEVERITY_HEADINGS[severity]}:**", ""]
            out += [
                f"- **{_escape(p.title)}.** {_escape(p.text)} {_escape(p.action)}" for p in flags
            ]
            out.append("")
    general = bundle.general_precautions_for(plan)
    if general:
        out += ["## Good to know", ""]
        out += [f"- **{_escape(p.title)}.** {_escape(p.text)} {_escape(p.action)}" for p in general]
        out.append("")
    out += [f"## About {_escape(condition.name)}", ""]
    out += [_escape(p) + "\n" for p in condition.explanation]
    out += ["### How exercise helps", "", *_bullets(condition.how_exercise_helps), ""]
    out += ["## Your program", ""]
    if plan.summary:
        out += [_escape(plan.summary), ""]
    for phase in plan.phases:
        out += [f"### {phase.weeks_label}: {_escape(phase.name)}", ""]
        out += ["Goals:", "", *_bullets(phase.goals), ""]
        out += ["You are on track when:", "", *_bullets(phase.progress_markers), ""]
        out += ["Exercises each session:", ""]
        for rx in phase.exercises:
            exercise = bundle.exercises[rx.exercise]
            dosage = describe_dosage(bundle.dosage_in(rx), with_note=False)
            out.append(f"- {_escape(exercise.name)}: {_escape(dosage)}")
        if phase.walking:
            out += ["", f"Walking: {_escape(phase.walking.target)}"]
        out.append("")
    out += ["### Checkpoints", ""]
    out += [
        f"- End of week {c.after_week}, {_escape(c.title)}: {_escape(c.text)}"
        for c in plan.checkpoints
    ]
    out.append("")
    if plan.notes:
        out += ["### Notes", "", *_bullets(plan.notes), ""]
    out += ["## The exercises", ""]
    for exercise in bundle.plan_exercises(plan):
        out += [f"### {_escape(exercise.name)}", "", _escape(exercise.purpose), ""]
        if exercise.learn_in_person:
            out += [f"**{LEARN_IN_PERSON}**", ""]
        out += figure_lines(bundle, exercise)
        out += [f"**Starting position:** {_escape(exercise.starting_position)}", ""]
        out += [f"{i}. {_escape(step)}" for i, step in enumerate(exercise.steps, start=1)]
        out += ["", f"**How much:** {_escape(describe_dosage(exercise.dosage))}", ""]
        if exercise.cues:
            out += ["**Tips:**", "", *_bullets(exercise.cues), ""]
        if exercise.common_mistakes:
            out += ["**Common mistakes:**", ""]
            out += [
                f"- {_escape(x.mistake)} Instead: {_escape(x.instead)}"
                for x in exercise.common_mistakes
            ]
            out.append("")
        out += ["**Precautions:**", ""]
        out += [
            f"- **{_escape(p.title)}.** {_escape(p.text)} {_escape(p.action)}"
            for p in bundle.precautions_for(exercise)
        ]
        out.append("")
    out += ["## Daily habits", ""]
    for advice in bundle.plan_advice(plan):
        out += [f"### {_escape(advice.title)}", "", *_bullets(advice.tips), ""]
        if advice.disagreement:
            d = advice.disagreement
            out += [f"**The sources disagree.** {_escape(d.summary)}", ""]
            for position in d.positions:
                title = bundle.source(position.source).title
                out.append(f"- *{_escape(title)}* says: {_escape(position.says)}")
            out += ["", f"**What to do:** {_escape(d.what_to_do)}", ""]
    out += ["## Sources", ""]
    out += _bullets(source_titles(bundle, (s.id for s in m.sources)))
    out += [
        "",
        f"Content reviewed on {m.review.reviewed_on}; next review due {m.review.next_review_due}.",
        "",
    ]
    return "\n".join(out)


class MarkdownHandout(Exporter):
    """A Markdown handout per plan."""

    name = "markdown"
    description = "A Markdown handout per plan, for patient portals and websites."
    scopes = frozenset({"bundle"})

    def render(self, context: BuildContext) -> Iterator[Artifact]:
        bundle = context.bundle
        for plan in bundle.plans.values():
            text = handout(bundle, plan)
            yield Artifact(f"{plan.id}.md", text.encode("utf-8"), "text/markdown", plan=plan.id)


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Provide the `markdown` format."""
    register(MarkdownHandout())
