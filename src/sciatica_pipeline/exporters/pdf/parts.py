"""Building blocks the sections share: escaped paragraphs, bullet lists, headings, coloured
boxes, precaution boxes and write-in lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from sciatica_pipeline.exporters.pdf.flowables import Heading, Para, Slot
from sciatica_pipeline.exporters.pdf.fonts import BOLD, REGULAR
from sciatica_pipeline.exporters.pdf.styles import (
    ACCENT,
    ACCENT_LIGHT,
    DANGER,
    DANGER_LIGHT,
    NOTE,
    NOTE_LIGHT,
    RULE,
    WARNING,
    WARNING_LIGHT,
    Styles,
)
from sciatica_pipeline.exporters.wording import long_date
from sciatica_pipeline.model.content import Bundle, Plan, Precaution, Severity

Flowables = list[Any]

#: Border and fill colours of a box, by severity.
SEVERITY_COLOURS: dict[Severity, tuple[str, str]] = {
    "emergency": (DANGER, DANGER_LIGHT),
    "urgent": (DANGER, DANGER_LIGHT),
    "call-clinician": (DANGER, DANGER_LIGHT),
    "caution": (WARNING, WARNING_LIGHT),
    "general": (NOTE, NOTE_LIGHT),
}


@dataclass(frozen=True, slots=True)
class Booklet:
    """What every section needs: the content, the plan and the edition's styles.

    :param personal: lay out the template of a personal booklet: `Slot`s where a plan's
        booklet has lines to fill in by hand, and where the patient's dates go.
    :param units_region: a personal booklet's reader's region, for the unit of distance
        (`miles_region` in `sciatica_pipeline.exporters.pdf.personal`).
    """

    bundle: Bundle
    plan: Plan
    st: Styles
    personal: bool = False
    units_region: str | None = None

    @property
    def region(self) -> str | None:
        """The content's region (`US` for `en-US`): a per-plan booklet has no patient."""
        return self.bundle.manifest.region

    def date(self, day: dt.date) -> str:
        """`November 20, 2026` in the US, `20 November 2026` elsewhere."""
        return long_date(day, self.bundle.manifest.region)


def para(text: str, style: Any) -> Any:
    """A paragraph of plain content text (escaped)."""
    return Para(escape(text), style)


def rich(markup: str, style: Any) -> Any:
    """A paragraph of markup whose content parts the caller escaped."""
    return Para(markup, style)


def bold_lead(label: str, text: str, style: Any) -> Any:
    """`**label** text`, both escaped."""
    return Para(f"<b>{escape(label)}</b> {escape(text)}", style)


def bullet(markup: str, st: Styles) -> Any:
    """One bulleted paragraph of markup whose content parts the caller escaped."""
    return Para(markup, st.bullet, bulletText="\u2022")


def bullets(items: Iterable[str], st: Styles) -> Flowables:
    return [bullet(escape(item), st) for item in items]


def numbered(items: Iterable[str], st: Styles, *, markup: bool = False) -> Flowables:
    """A numbered list; `markup` when the items are markup the caller escaped."""
    return [
        Para(item if markup else escape(item), st.numbered, bulletText=f"{i}.")
        for i, item in enumerate(items, start=1)
    ]


def heading(
    text: str,
    style: Any,
    *,
    key: str,
    level: int = 0,
    toc: bool = True,
    label: str | None = None,
) -> Any:
    """A section heading that is also a bookmark, an outline entry and a contents line
    (`label` there, when it should differ from the text)."""
    return Heading(escape(text), style, key=key, level=level, label=label or text, toc=toc)


def spacer(st: Styles, lines: float = 1.0) -> Any:
    return Spacer(1, st.leading * lines)


def table(
    data: Sequence[Sequence[Any]],
    st: Styles,
    commands: Sequence[tuple[Any, ...]],
    *,
    widths: Sequence[float],
    **options: Any,
) -> Any:
    """A left-aligned table whose plain-string cells (even empty ones) use the booklet's font:
    reportlab would draw them in Helvetica."""
    base: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("FONTSIZE", (0, 0), (-1, -1), st.body_size),
        ("LEADING", (0, 0), (-1, -1), st.leading),
    ]
    options.setdefault("hAlign", "LEFT")
    return Table(
        [list(row) for row in data],
        colWidths=list(widths),
        style=TableStyle([*base, *commands]),
        **options,
    )


def box(
    rows: Sequence[Flowables],
    st: Styles,
    *,
    border: str,
    fill: str,
    band: str | None = None,
    width: float | None = None,
    stripe: bool = False,
) -> Any:
    """A coloured box of rows (it can break between rows across pages).

    :param band: a heading for the box, white on the border colour, repeated after a break.
    :param stripe: a thick bar down the left side instead of a border all round.
    """
    pad = st.padding()
    data: list[list[Any]] = []
    if band:
        data.append([rich(f"{escape(band)}", st.band)])
    data += [[list(row)] for row in rows]
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(fill)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad * 1.4),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad * 1.4),
        ("TOPPADDING", (0, 0), (-1, -1), pad),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.6),
    ]
    if stripe:
        commands.append(
            ("LINEBEFORE", (0, 0), (0, -1), st.body_size * 0.4, colors.HexColor(border))
        )
    else:
        commands.append(("BOX", (0, 0), (-1, -1), st.body_size * 0.15, colors.HexColor(border)))
    if band:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(border)),
            ("TOPPADDING", (0, 0), (-1, 0), pad * 0.8),
            ("BOTTOMPADDING", (0, 0), (-1, 0), pad * 0.8),
        ]
    return table(
        data,
        st,
        commands,
        widths=[width or st.width],
        repeatRows=1 if band else 0,
        spaceAfter=st.gap,
    )


def as_sentence(title: str) -> str:
    """The title as a lead-in: `Start slowly.` (no second stop after `?` or `.`)."""
    return title if title[-1:] in ".?!:" else title + "."


def precaution_markup(precaution: Precaution, *, short: bool = False) -> str:
    """`**Title.** text action` (`**Title.** action` when short), escaped."""
    parts = [f"<b>{escape(as_sentence(precaution.title))}</b>"]
    if not short:
        parts.append(escape(precaution.text))
    parts.append(escape(precaution.action))
    return " ".join(parts)


def precautions_box(
    precautions: Sequence[Precaution],
    st: Styles,
    *,
    short: bool = False,
    band: str | None = None,
    whole: bool = True,
    brief: frozenset[str] = frozenset(),
) -> Any:
    """Precautions, one row each, with a bar down the left in the colour of its severity.

    :param brief: ids of precautions given in short (title and action): those the booklet
        already gives in full elsewhere, on its "Good to know" page.
    :param band: a heading row, repeated if the box breaks across pages.
    :param whole: keep the box on one page (standard print); False when the caller already
        keeps it together with what it belongs to."""
    pad = st.padding()
    first = 1 if band else 0
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad * 1.4),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad * 0.7),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.3),
        ("LINEBELOW", (0, 0), (-1, -2), pad * 0.5, colors.white),
    ]
    for row, p in enumerate(precautions, start=first):
        border, fill = SEVERITY_COLOURS[p.severity]
        commands += [
            ("BACKGROUND", (0, row), (0, row), colors.HexColor(fill)),
            ("LINEBEFORE", (0, row), (0, row), st.body_size * 0.4, colors.HexColor(border)),
        ]
    rows = [
        [rich(precaution_markup(p, short=short or p.id in brief), st.cell)] for p in precautions
    ]
    if band:
        rows.insert(0, [para(band, st.band)])
        commands += [
            ("BACKGROUND", (0, 0), (0, 0), colors.HexColor(NOTE)),
            ("TOPPADDING", (0, 0), (0, 0), pad * 0.8),
            ("BOTTOMPADDING", (0, 0), (0, 0), pad * 0.6),
        ]
    framed = table(rows, st, commands, widths=[st.width], spaceAfter=st.gap, repeatRows=first)
    # Large print boxes are often half a page: let them break between rows rather than leave
    # half a page empty.
    return framed if st.large or not whole else KeepTogether([framed])


def red_flag_boxes(b: Booklet, *, short: bool = False) -> Flowables:
    """The red flags of a plan in boxes that stand out: one per severity (go to emergency
    care, see a doctor right away, call your clinician), whose heading repeats if the box
    breaks across pages.

    Short: titles and actions only (the back page)."""
    from sciatica_pipeline.exporters.wording import SEVERITY_HEADINGS
    from sciatica_pipeline.model.content import RED_FLAG_ORDER

    st = b.st
    flags = b.bundle.red_flags_for(b.plan)
    pad = st.padding()
    boxes: Flowables = []
    for severity in RED_FLAG_ORDER:
        group = [p for p in flags if p.severity == severity]
        if not group:
            continue
        rows: list[Flowables] = [[rich(f"{escape(SEVERITY_HEADINGS[severity])}:", st.band)]]
        for flag in group:
            title = f"<b>{escape(as_sentence(flag.title))}</b>"
            if short:
                rows.append([rich(f"{title} {escape(flag.action)}", st.cell)])
            else:
                rows.append(
                    [
                        rich(f"{title} {escape(flag.text)}", st.cell),
                        rich(f"<b>What to do:</b> {escape(flag.action)}", st.cell),
                    ]
                )
        commands: list[tuple[Any, ...]] = [
            ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(DANGER_LIGHT)),
            ("BOX", (0, 0), (-1, -1), st.body_size * 0.2, colors.HexColor(DANGER)),
            ("LEFTPADDING", (0, 0), (-1, -1), pad * 1.4),
            ("RIGHTPADDING", (0, 0), (-1, -1), pad * 1.4),
            ("TOPPADDING", (0, 0), (-1, -1), pad * 0.7),
            ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.2),
            ("LINEBELOW", (0, 0), (-1, -2), 0.5, colors.HexColor(DANGER)),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(DANGER)),
            ("TOPPADDING", (0, 0), (-1, 0), pad * 0.8),
            ("BOTTOMPADDING", (0, 0), (-1, 0), pad * 0.6),
        ]
        boxes.append(
            table(
                [[row] for row in rows],
                st,
                commands,
                widths=[st.width],
                repeatRows=1,
                spaceAfter=st.gap * 0.6,
            )
        )
    return boxes


def emergency_box(b: Booklet) -> Any:
    """`In an emergency, call 911.` in white on red, the number of the content's region."""
    from sciatica_pipeline.exporters.region import emergency_line

    st = b.st
    line = (
        Slot("emergency", st.band, font=BOLD)
        if b.personal
        else rich(f"<b>{escape(emergency_line(b.region))}</b>", st.band)
    )
    return table(
        [[line]],
        st,
        [
            ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(DANGER)),
            ("LEFTPADDING", (0, 0), (-1, -1), st.padding() * 1.4),
            ("TOPPADDING", (0, 0), (-1, -1), st.padding() * 0.8),
            ("BOTTOMPADDING", (0, 0), (-1, -1), st.padding() * 0.8),
        ],
        widths=[st.width],
        spaceAfter=st.gap * 0.6,
    )


def write_in_lines(
    labels: Sequence[str],
    st: Styles,
    *,
    width: float | None = None,
    keys: Sequence[str] | None = None,
) -> Any:
    """Labels with blank rules beside them, tall enough to write on by hand; with `keys`, a
    template's places for the patient's texts on those rules (a line the record gives no
    text for stays blank, to fill in by hand)."""
    width = width or st.width
    label_width = max(stringWidth(label, BOLD, st.body_size) for label in labels)
    label_width += st.body_size
    # A name and a phone may need two lines in large print: those rows are a line taller.
    two = {"clinician-contact", "clinic-contact"}
    cells: list[Any] = (
        [Slot(key, st.cell, lines=2 if key in two else 1) for key in keys]
        if keys
        else [""] * len(labels)
    )
    heights = [
        st.write_row + (st.leading if keys and keys[i] in two else 0) for i in range(len(labels))
    ]
    return table(
        [[para(label, st.cell_bold), cell] for label, cell in zip(labels, cells, strict=True)],
        st,
        [
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LINEBELOW", (1, 0), (1, -1), 1, colors.HexColor(RULE)),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ],
        widths=[label_width, width - label_width],
        rowHeights=heights,
    )


def accent_box(rows: Sequence[Flowables], st: Styles, *, band: str | None = None) -> Any:
    return box(rows, st, border=ACCENT, fill=ACCENT_LIGHT, band=band)
