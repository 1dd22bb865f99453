"""The back of the booklet: the sources and review information, and the back page that
repeats the warning signs in short."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.platypus import PageBreak

from sciatica_pipeline.exporters.pdf.flowables import AtFoot, Slot
from sciatica_pipeline.exporters.pdf.parts import (
    Booklet,
    Flowables,
    accent_box,
    bullet,
    emergency_box,
    heading,
    numbered,
    para,
    red_flag_boxes,
    rich,
    write_in_lines,
)
from sciatica_pipeline.exporters.wording import clinician_notes


def sources(b: Booklet) -> Flowables:
    st, m = b.st, b.bundle.manifest
    story: Flowables = [
        heading("Sources and review", st.h1, key="sources"),
        para("This booklet is based on these sources:", st.body),
    ]
    items = []
    for src in m.sources:
        text = escape(src.title)
        notes = [n for n in (src.title_note, src.note) if n]
        if notes:
            text += "<br/><i>" + escape(" ".join(notes)) + "</i>"
        items.append(text)
    story += numbered(items, st, markup=True)
    provenance = clinician_notes(b.bundle, b.plan)
    if provenance:
        story.append(
            heading("Notes for your clinician", st.h2, key="clinician-notes", level=1, toc=False)
        )
        story.append(
            para(
                "Where the advice in this booklet comes from, and which choices its authors "
                "made. You do not need these notes to do your exercises.",
                st.body,
            )
        )
        story += [
            bullet(f"<b>{escape(what)}:</b> {escape(' '.join(texts))}", st)
            for what, texts in provenance
        ]
    review = m.review
    story.append(heading("Review", st.h2, key="review", level=1, toc=False))
    lines = [
        f"This is version {m.version} of {m.title}.",
        f"The content was reviewed on {b.date(review.reviewed_on)}.",
        f"The next review is due by {b.date(review.next_review_due)}.",
    ]
    if review.reviewed_by:
        lines.insert(2, f"Reviewed by {review.reviewed_by}.")
    if b.personal:
        # The dates in the reader's own style, written in with the patient's texts.
        keyed = {1: "reviewed-on", len(lines) - 1: "review-due"}
        story += [
            Slot(keyed[i], st.body) if i in keyed else para(line, st.body)
            for i, line in enumerate(lines)
        ]
    else:
        story.append(rich("<br/>".join(escape(line) for line in lines), st.body))
    story.append(PageBreak())
    return story


#: The back page's lines in a personal booklet, and the personal texts written on them.
BACK_LINES = ("Your clinician", "Your clinic")
BACK_KEYS = ("clinician-contact", "clinic-contact")


def back_page(b: Booklet) -> Flowables:
    """The warning signs in short and, in the standard edition, the clinician's details again
    (large print has room for the warning signs only, and has those details on its cover)."""
    st = b.st
    story: Flowables = [
        heading("When to get help", st.h1, key="back-page", label="When to get help: in short"),
        emergency_box(b),
        *red_flag_boxes(b, short=True),
    ]
    if not st.large:
        inner = st.width - st.padding() * 2.8
        if b.personal:
            lines = write_in_lines(BACK_LINES, st, width=inner, keys=BACK_KEYS)
        else:
            lines = write_in_lines(("Clinician's name", "Phone"), st, width=inner)
        story.insert(
            1,
            para("Watch for these warning signs. If you notice one, do what it says.", st.body),
        )
        story.append(AtFoot([accent_box([[lines]], st, band="Your clinician")]))
    return story
