"""The front of the booklet: the cover (with the disclaimer), the warning signs, the general
precautions, the contents and the page about the condition."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

from reportlab.platypus import KeepTogether, NextPageTemplate, PageBreak

from sciatica_pipeline.exporters.pdf.flowables import AtFoot, ContentsLine, Heading, Slot
from sciatica_pipeline.exporters.pdf.fonts import BOLD, REGULAR
from sciatica_pipeline.exporters.pdf.parts import (
    Booklet,
    Flowables,
    accent_box,
    bold_lead,
    bullets,
    emergency_box,
    heading,
    para,
    precautions_box,
    red_flag_boxes,
    rich,
    write_in_lines,
)

#: The cover's lines of a personal booklet and the personal texts written on them (a name
#: and a phone share a line, so that large print keeps the lines on the cover).
PERSONAL_LINES = ("Your clinician", "Your clinic", "Your start date")
PERSONAL_KEYS = ("clinician-contact", "clinic-contact", "start-date")


def before_you_start(b: Booklet) -> Flowables:
    """The disclaimer."""
    style = b.st.h2 if not b.st.large else b.st.h1
    return [
        heading("Before you start", style, key="before-you-start"),
        para(b.bundle.manifest.disclaimer, b.st.body),
    ]


def cover(b: Booklet) -> Flowables:
    """Title, the disclaimer ("Before you start") and lines for the clinician's details."""
    st, m, plan = b.st, b.bundle.manifest, b.plan
    edition = "Large print edition" if st.large else "Home exercise booklet"
    inner = st.width - st.padding() * 2.8
    if b.personal:
        details = write_in_lines(PERSONAL_LINES, st, width=inner, keys=PERSONAL_KEYS)
        band = "Your booklet"
        version: Any = Slot("cover-version", st.small)
    else:
        details = write_in_lines(("Clinician's name", "Phone", "Your start date"), st, width=inner)
        band = "Your clinician"
        version = para(
            f"Version {m.version} \u00b7 Reviewed on {b.date(m.review.reviewed_on)}", st.small
        )
    return [
        NextPageTemplate("body"),
        para(f"{m.title} \u00b7 {edition}", st.kicker),
        para(plan.title, st.title),
        *([Slot("prepared-for-line", st.h2)] if b.personal else []),
        # Large print has no room for the summary here; the program section repeats it.
        *([para(plan.summary, st.lead)] if plan.summary and not st.large else []),
        *before_you_start(b),
        AtFoot(
            [
                accent_box([[details]], st, band=band),
                rich(
                    "Warning signs: see <b>When to get help</b> at the front and on the back page.",
                    st.body,
                ),
                version,
            ]
        ),
        PageBreak(),
    ]


def safety(b: Booklet) -> Flowables:
    """When to get help (the red flags), then good to know (the general precautions)."""
    st, bundle, plan = b.st, b.bundle, b.plan
    story: Flowables = [
        heading("When to get help", st.h1, key="stop-and-get-help"),
        emergency_box(b),
        para("Watch for these warning signs. If you notice one, do what it says.", st.body),
        *red_flag_boxes(b),
    ]
    general = bundle.general_precautions_for(plan)
    if general:
        # "Good to know" follows on the same page, so the last warning-sign box never stands
        # alone on a page of its own.
        story += [
            heading("Good to know", st.h1, key="good-to-know"),
            para("Keep these in mind every time you exercise.", st.body),
        ]
        story.append(precautions_box(general, st))
    story.append(PageBreak())
    return story


def _headings(flowables: Flowables) -> Iterator[Any]:
    for f in flowables:
        if isinstance(f, Heading):
            yield f
        elif isinstance(f, KeepTogether):
            yield from _headings(f._content)


def contents(b: Booklet, rest: Flowables) -> Flowables:
    """The table of contents of the headings in `rest` (laid out before their pages are
    known: the page numbers are filled in at the end)."""
    st = b.st
    lines: Flowables = []
    for h in _headings(rest):
        if not h.toc:
            continue
        top = h.level == 0
        lines.append(
            ContentsLine(
                h.label,
                h.key,
                h.level,
                font=BOLD if top else REGULAR,
                size=st.body_size,
                leading=st.leading,
                indent=0 if top else st.body_size * 1.6,
                number_width=st.body_size * 3,
                space_before=st.body_size * 0.4 if top else 0,
            )
        )
    return [heading("Contents", st.h1, key="contents", toc=False), *lines, PageBreak()]


def about(b: Booklet) -> Flowables:
    st, bundle = b.st, b.bundle
    condition = bundle.condition_of(b.plan)
    story: Flowables = [heading(f"About {condition.name}", st.h1, key="about")]
    if condition.also_called:
        story.append(bold_lead("Also called:", ", ".join(condition.also_called) + ".", st.body))
    story += [para(text, st.body) for text in condition.explanation]
    story.append(heading("How exercise helps", st.h2, key="how-exercise-helps", level=1, toc=False))
    story += bullets(condition.how_exercise_helps, st)
    if condition.avoid_or_caution:
        story.append(
            heading("Ask before you try", st.h2, key="ask-before-you-try", level=1, toc=False)
        )
        for entry in condition.avoid_or_caution:
            exercise = bundle.exercises[entry.exercise]
            verdict = "avoid" if entry.level == "avoid" else "only with care"
            story.append(rich(f"<b>{escape(exercise.name)}</b> ({verdict})", st.h3))
            story.append(para(entry.reason, st.body))
            story.append(para("If your clinician gives you this exercise, take care:", st.body))
            story.append(precautions_box(bundle.precautions_for(exercise), st, short=True))
    story.append(PageBreak())
    return story
