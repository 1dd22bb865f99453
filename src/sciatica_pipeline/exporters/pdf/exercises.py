"""One section per exercise (how to do it, how much, what to watch for) and the daily
habits, with the honest account of where the sources disagree."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.platypus import HRFlowable, PageBreak

from sciatica_pipeline.exporters.pdf.flowables import KeepBlocks
from sciatica_pipeline.exporters.pdf.fonts import REGULAR
from sciatica_pipeline.exporters.pdf.parts import (
    Booklet,
    Flowables,
    accent_box,
    as_sentence,
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
from sciatica_pipeline.exporters.wording import (
    LEARN_IN_PERSON,
    describe_dosage,
    session_dosage,
    session_rule,
)
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


def _stages(b: Booklet, exercise: Exercise) -> list[tuple[str, Dosage]]:
    """(weeks, dosage) of each phase that prescribes the exercise, in plan order."""
    return [
        (phase.weeks_label, b.bundle.dosage_in(rx))
        for phase in b.plan.phases
        for rx in phase.exercises
        if rx.exercise == exercise.id
    ]


def dosage_box(b: Booklet, exercise: Exercise) -> Any:
    """How much in each session, as the plan prescribes it: the numbers and the sentence of
    its first weeks, then each later stage whose dose differs ("Weeks 3-4: ...")."""
    st = b.st
    sessions = b.plan.sessions_per_day
    inner = st.width - st.padding() * 2.8
    stages = _stages(b, exercise) or [("", exercise.dosage)]
    first = stages[0][1]
    cell: Flowables = []
    figures = _figures(replace(first, times_per_day=None))
    # Large print has the sentence only, already at 18 pt: with the figures too, most
    # exercises' dose and steps would not fit one page.
    if figures and not st.large:
        cell.append(_figure_table(figures, st, inner))
    # Which sessions it belongs to is said once when every stage agrees.
    rules = {session_rule(d.times_per_day, sessions) for _, d in stages}
    once = len(rules) == 1

    def text(dosage: Dosage) -> str:
        if once:
            return describe_dosage(replace(dosage, times_per_day=None))
        return session_dosage(dosage, sessions)

    cell.append(para(text(first), st.cell))
    previous = first
    for weeks, dosage in stages[1:]:
        if dosage != previous:
            # A stage whose numbers stay the same says only its own note.
            same = replace(dosage, note=None) == replace(previous, note=None)
            line = dosage.note if same and dosage.note else text(dosage)
            cell.append(rich(f"<b>{escape(weeks)}:</b> {escape(line)}", st.cell))
        previous = dosage
    rule = next(iter(rules))
    if once and rule:
        cell.append(para(rule, st.cell_bold))
    return accent_box([cell], st, band="How much in each session")


def rules_for_every_exercise(b: Booklet) -> Flowables:
    """The precautions every exercise of the plan carries, said once, in full, where the
    exercises begin; each exercise names them again in one line."""
    shared = b.bundle.shared_precautions(b.bundle.plan_exercises(b.plan))
    if not shared:
        return []
    return [precautions_box(shared, b.st, band="The rules for every exercise")]


def _care_line(b: Booklet, exercise: Exercise) -> Any:
    """Every precaution of the exercise by its title, on the page where it starts (a
    photocopy of that page still names them); the text follows the steps, or opens the
    section for the rules every exercise shares."""
    titles = " ".join(escape(as_sentence(p.title)) for p in b.bundle.precautions_for(exercise))
    return rich(f"<b>Take care:</b> {titles}", b.st.body)


def _text_name(b: Booklet, exercise: Exercise) -> Flowables:
    """The name text messages use, where it differs: they never name a condition, so the
    Piriformis stretch is the "seated stretch" there."""
    import re

    from sciatica_pipeline.exporters.sms.messages import (
        condition_pattern,
        condition_words,
        exercise_word,
    )

    word = exercise_word(exercise, condition_pattern(condition_words(b.bundle)))
    plain = re.sub(r"\s*\([^)]*\)", "", exercise.name).strip()
    if word.lower() == plain.lower():
        return []
    return [rich(f"In your text messages: the <b>{escape(word)}</b>.", b.st.body)]


def _how_to(b: Booklet, exercise: Exercise) -> Flowables:
    """The starting position and the steps."""
    st = b.st
    return [
        _subheading("Starting position", st),
        para(exercise.starting_position, st.body),
        _subheading("Steps", st),
        *numbered(exercise.steps, st),
    ]


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
    """An exercise: its heading, dose, steps and own precautions kept on one page, then the
    tips, mistakes and other forms, each block kept whole."""
    st = b.st
    shared = {p.id for p in b.bundle.shared_precautions(b.bundle.plan_exercises(b.plan))}
    main: Flowables = [
        HRFlowable(
            width="100%",
            thickness=st.body_size * 0.12,
            color=colors.HexColor(ACCENT),
            spaceBefore=st.leading * 0.5,
            spaceAfter=0,
        ),
        heading(exercise.name, st.h2, key=f"exercise-{exercise.id}", level=1),
    ]
    # Large print says what the exercise does after its steps: at 18 pt, with the purpose
    # first, most exercises' heading, dose and steps would not fit one page.
    purpose = [_subheading("What it does", st), para(exercise.purpose, st.body)]
    if not st.large:
        main.append(para(exercise.purpose, st.body))
    main.append(_care_line(b, exercise))
    if exercise.learn_in_person:
        main.append(
            box(
                [[para(LEARN_IN_PERSON, st.cell_bold)]],
                st,
                border=WARNING,
                fill=WARNING_LIGHT,
                stripe=True,
            )
        )
    main.append(dosage_box(b, exercise))
    # The heading, dose and steps stay on one page; only when they are taller than a page
    # (some exercises in large print) do the steps move on to the next one, whole.
    story: Flowables = [KeepBlocks([main, _how_to(b, exercise)], fill=False)]
    # The exercise's own precautions follow its steps in full, under a band that names it;
    # the rules every exercise shares are said once, in full, at the start of the section.
    own = [p for p in b.bundle.precautions_for(exercise) if p.id not in shared]
    after: list[Flowables] = [
        [*(purpose if st.large else [spacer(st, 0.3)]), *_text_name(b, exercise)]
    ]
    # The pictures follow the steps they show, as one block (a pose and its caption share a
    # cell): with them on the page when there is room, else at the top of the next.
    pictures = figure_table(b, exercise)
    if pictures is not None:
        after.insert(0, [pictures])
    if own:
        # Those the "Good to know" page gives in full are given here in short.
        general = frozenset(p.id for p in b.bundle.general_precautions_for(b.plan))
        # A block of its own: it may break between rows, its band repeated, when it is long.
        care = precautions_box(
            own, st, band=f"Take care: {exercise.name}", whole=False, brief=general
        )
        after.append([care])
    if exercise.cues:
        after.append([_subheading("Tips", st), *bullets(exercise.cues, st)])
    if exercise.common_mistakes:
        mistakes = [
            [
                bullet(f"<b>Mistake:</b> {escape(m.mistake)}", st),
                rich(f"<b>Instead:</b> {escape(m.instead)}", st.bullet),
            ]
            for m in exercise.common_mistakes
        ]
        after += [[_subheading("Common mistakes", st), *mistakes[0]], *mistakes[1:]]
    if exercise.variations:
        variations = [
            bullet(f"<b>{escape(v.name)}:</b> {escape(v.note)}", st) for v in exercise.variations
        ]
        after.append([_subheading("Other names and forms", st), *variations])
    if exercise.equipment:
        after.append([_subheading("What you need", st), *bullets(exercise.equipment, st)])
    # What follows the steps moves as one unit when it fits a page, so a short block never
    # sits alone at the top of an otherwise empty page; each block (a sub-heading and its
    # lines, a mistake and its "Instead") always stays whole.
    story.append(KeepBlocks(after))
    return story


def _subheading(text: str, st: Styles) -> Any:
    return para(text, st.h3)


def exercises(b: Booklet) -> Flowables:
    st = b.st
    story: Flowables = [
        heading("Your exercises", st.h1, key="exercises"),
        para(
            "How to do each exercise in your program. Do only the exercises your program "
            "lists for the weeks you are in, and stop if you notice a warning sign.",
            st.body,
        ),
        *rules_for_every_exercise(b),
    ]
    for exercise in b.bundle.plan_exercises(b.plan):
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
