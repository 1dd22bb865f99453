"""One section per exercise (how to do it, how much, what to watch for) and the daily
habits, with the honest account of where the sources disagree."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.platypus import CondPageBreak, HRFlowable, KeepTogether, PageBreak

from sciatica_pipeline.exporters.pdf.fonts import REGULAR
from sciatica_pipeline.exporters.pdf.parts import (
    Booklet,
    Flowables,
    accent_box,
    box,
    bullet,
    bullets,
    heading,
    numbered,
    para,
    precautions_box,
    rich,
    spacer,
    table,
)
from sciatica_pipeline.exporters.pdf.styles import (
    ACCENT,
    ACCENT_LIGHT,
    DANGER,
    DANGER_LIGHT,
    NOTE,
    NOTE_LIGHT,
    WARNING,
    WARNING_LIGHT,
    Styles,
)
from sciatica_pipeline.exporters.wording import LEARN_IN_PERSON, describe_dosage
from sciatica_pipeline.figures.shapes import Picture
from sciatica_pipeline.model.content import Advice, Dosage, Exercise


def _figures(dosage: Dosage) -> list[tuple[str, str]]:
    """The dosage's numbers as (label, value) pairs for the dosage box."""
    figures = []
    if dosage.sets:
        figures.append(("Sets", str(dosage.sets)))
    if dosage.reps:
        figures.append(("Repeat", f"{dosage.reps} times"))
    if dosage.hold_seconds:
        seconds = dosage.hold_seconds
        figures.append(("Hold", f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} sec"))
    if dosage.minutes:
        figures.append(("Time", f"{dosage.minutes} min"))
    if dosage.per_side:
        figures.append(("Each side", "Yes"))
    if dosage.times_per_day:
        figures.append(("Times a day", str(dosage.times_per_day)))
    return figures


def _figure_table(figures: list[tuple[str, str]], st: Styles, width: float) -> Any:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    label_style = ParagraphStyle("figure_label", parent=st.cell, alignment=TA_CENTER)
    each = width / len(figures)
    return table(
        [
            [para(label, label_style) for label, _ in figures],
            [para(value, st.big_value) for _, value in figures],
        ],
        st,
        [
            ("BACKGROUND", (0, 0), (-1, -1), colors.white),
            ("BOX", (0, 0), (-1, -1), 0.75, colors.HexColor(ACCENT)),
            ("INNERGRID", (0, 0), (-1, -1), 0.75, colors.HexColor(ACCENT_LIGHT)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), st.padding() * 0.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), st.padding() * 0.6),
        ],
        widths=[each] * len(figures),
        spaceAfter=st.gap * 0.5,
    )


def dosage_box(b: Booklet, exercise: Exercise) -> Any:
    """How much: the numbers, the sentence, and how the program changes it by stage."""
    st, bundle = b.st, b.bundle
    inner = st.width - st.padding() * 2.8
    cell: Flowables = []
    figures = _figures(exercise.dosage)
    if figures:
        cell.append(_figure_table(figures, st, inner))
    cell.append(para(describe_dosage(exercise.dosage), st.cell_bold if not figures else st.cell))
    default = describe_dosage(exercise.dosage, with_note=False)
    stages = [
        (phase.weeks_label, describe_dosage(bundle.dosage_in(rx), with_note=False))
        for phase in b.plan.phases
        for rx in phase.exercises
        if rx.exercise == exercise.id
    ]
    if any(text != default for _, text in stages):
        cell.append(para("In your program:", st.cell_bold))
        cell += [rich(f"<b>{escape(w)}:</b> {escape(t)}", st.cell) for w, t in stages]
    return accent_box([cell], st, band="How much")


#: The tallest a picture is drawn, in body-text sizes: standing figures are tall and narrow.
_PICTURE_HEIGHT = {False: 12.0, True: 7.5}


def figure_table(b: Booklet, exercise: Exercise) -> Any | None:
    """The exercise's pictures, each with its caption: the step it shows and its text
    alternative (reportlab cannot attach one to a drawing, so the caption carries it).

    Standard print sets three pictures to a row, each over its caption; large print one to a
    row, beside its caption, which keeps the pictures and the steps on one page."""
    figure = b.bundle.figures.get(exercise.id)
    if figure is None:
        return None
    from sciatica_pipeline.figures import pictures
    from sciatica_pipeline.figures.drawing import drawing

    st = b.st
    pad = st.padding() * 0.5
    shown = pictures(figure)
    widths = [st.width * 0.45, st.width * 0.55] if st.large else [st.width / 3] * 3
    # One width for every picture of the exercise keeps them at the same scale.
    first = shown[0]
    tallest = _PICTURE_HEIGHT[st.large] * st.body_size
    width = min(widths[0] - 2 * pad, tallest * first.width / first.height)

    def caption(p: Picture) -> Any:
        return rich(f"<b>{escape(p.label)}:</b> {escape(p.alt)}", st.cell)

    rows: list[list[Any]]
    if st.large:
        rows = [[drawing(p, width, font=REGULAR), caption(p)] for p in shown]
    else:
        rows = []
        for start in range(0, len(shown), 3):
            chunk = shown[start : start + 3]
            # A picture and its caption share a cell, so a page break never parts them.
            cells: list[Any] = [[drawing(p, width, font=REGULAR), caption(p)] for p in chunk]
            rows.append(cells + [""] * (3 - len(chunk)))
    styles: list[tuple[Any, ...]] = [
        ("ALIGN", (0, 0), (0 if st.large else -1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE" if st.large else "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
    ]
    return table(rows, st, styles, widths=widths, spaceAfter=st.gap * 0.5)


def exercise_section(b: Booklet, exercise: Exercise) -> Flowables:
    st = b.st
    top: Flowables = [
        HRFlowable(
            width="100%",
            thickness=st.body_size * 0.12,
            color=colors.HexColor(ACCENT),
            spaceBefore=st.leading * 0.5,
            spaceAfter=0,
        ),
        heading(exercise.name, st.h2, key=f"exercise-{exercise.id}", level=1),
        para(exercise.purpose, st.body),
    ]
    if exercise.learn_in_person:
        top.append(
            box(
                [[para(LEARN_IN_PERSON, st.cell_bold)]],
                st,
                border=WARNING,
                fill=WARNING_LIGHT,
                stripe=True,
            )
        )
    # The precautions open the section with its heading, before the dosage, so a patient (or
    # a photocopy of one page) never sees an exercise without them.
    precautions = b.bundle.precautions_for(exercise)
    if precautions:
        box_ = precautions_box(precautions, st, band=f"Take care: {exercise.name}", whole=False)
        top += [box_, spacer(st, 0.3)]
    top.append(dosage_box(b, exercise))
    story: Flowables = [KeepTogether(top)]
    # The pictures stay with the starting position and the steps they show (and, when the
    # page has room, with the heading above).
    pictures = figure_table(b, exercise)
    story.append(
        KeepTogether(
            [
                *([pictures] if pictures is not None else []),
                _subheading("Starting position", st),
                para(exercise.starting_position, st.body),
                _subheading("Steps", st),
                *numbered(exercise.steps, st),
            ]
        )
    )
    if exercise.cues:
        story += _block([_subheading("Tips", st), *bullets(exercise.cues, st)], st)
    if exercise.common_mistakes:
        mistakes = [_subheading("Common mistakes", st)]
        for m in exercise.common_mistakes:
            mistakes += [
                bullet(f"<b>Mistake:</b> {escape(m.mistake)}", st),
                rich(f"<b>Instead:</b> {escape(m.instead)}", st.bullet),
            ]
        story += _block(mistakes, st)
    if exercise.variations:
        variations = [
            bullet(f"<b>{escape(v.name)}:</b> {escape(v.note)}", st) for v in exercise.variations
        ]
        story += _block([_subheading("Other names and forms", st), *variations], st)
    if exercise.equipment:
        story += _block([_subheading("What you need", st), *bullets(exercise.equipment, st)], st)
    return story


def _subheading(text: str, st: Styles) -> Any:
    return para(text, st.h3)


def _block(flowables: Flowables, st: Styles) -> Flowables:
    """A sub-heading and its lines, kept on one page in the standard edition. Large print
    lets them break (the heading still stays with its first line) rather than leave gaps."""
    return list(flowables) if st.large else [KeepTogether(flowables)]


def exercises(b: Booklet) -> Flowables:
    st = b.st
    story: Flowables = [
        heading("Your exercises", st.h1, key="exercises"),
        para(
            "How to do each exercise in your program. Do only the exercises your program "
            "lists for the weeks you are in, and stop if you notice a warning sign.",
            st.body,
        ),
    ]
    for i, exercise in enumerate(b.bundle.plan_exercises(b.plan)):
        if i:
            story.append(CondPageBreak(st.leading * 14))
        story += exercise_section(b, exercise)
    story.append(PageBreak())
    return story


def _advice(b: Booklet, advice: Advice) -> Flowables:
    st, bundle = b.st, b.bundle
    story: Flowables = [
        heading(advice.title, st.h2, key=f"habit-{advice.id}", level=1),
        *bullets(advice.tips, st),
    ]
    if advice.disagreement:
        d = advice.disagreement
        rows: list[Flowables] = [[para(d.summary, st.cell)]]
        for position in d.positions:
            title = bundle.source(position.source).title
            rows.append(
                [rich(f"<i>{escape(title)}</i> says:", st.cell_bold), para(position.says, st.cell)]
            )
        rows.append([rich(f"<b>What to do:</b> {escape(d.what_to_do)}", st.cell)])
        story.append(box(rows, st, border=NOTE, fill=NOTE_LIGHT, band="The sources disagree"))
    precautions = [bundle.precautions[p] for p in advice.precautions]
    if any(p.is_red_flag for p in precautions):
        warning = rich(
            "<b>Watch for the warning signs</b> under <b>When to get help</b> at the front "
            "and on the back page of this booklet.",
            st.cell,
        )
        story.append(box([[warning]], st, border=DANGER, fill=DANGER_LIGHT, stripe=True))
    others = [p for p in precautions if not p.is_red_flag]
    if others:
        story.append(precautions_box(others, st, short=True))
    return story


def habits(b: Booklet) -> Flowables:
    st = b.st
    advice = b.bundle.plan_advice(b.plan)
    if not advice:
        return []
    story: Flowables = [heading("Daily habits", st.h1, key="habits")]
    for item in advice:
        story += _advice(b, item)
    story.append(PageBreak())
    return story
