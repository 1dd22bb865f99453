"""The page furniture and the build: page templates, the running footer with "Page 3 of 14",
bookmarks and contents page numbers from headings, document metadata, reproducible bytes.

The layout is done in one pass. The numbers only known at the end (the total of pages, the
page of each contents entry) are form XObjects referenced while laying out and defined just
before the file is written.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from sciatica_pipeline.exporters.pdf.flowables import Heading, page_form
from sciatica_pipeline.exporters.pdf.fonts import BOLD, REGULAR
from sciatica_pipeline.exporters.pdf.styles import INK, RULE

PAGE_SIZES = {"letter": LETTER, "a4": A4}

#: Page margins in points: 0.75 inch around the text; the footer sits below the text.
MARGIN = 54.0
#: The baseline of the footer's last line, from the bottom edge of the page.
FOOTER_BASELINE = 30.0


@dataclass(frozen=True, slots=True)
class Metadata:
    """What the PDF says about itself (document properties), and the footer's label: its
    parts on one line when they fit, else one per line."""

    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    language: str
    footer: tuple[str, ...]
    created: dt.datetime


def text_width(paper: str) -> float:
    """The width of the text block on this paper."""
    return float(PAGE_SIZES[paper][0]) - 2 * MARGIN


class BookletCanvas(Canvas):  # type: ignore[misc]
    """A canvas that runs `before_save` (defining the late forms) before writing the file."""

    before_save: Callable[[Canvas], None] | None = None
    places: list[Any] | None = None

    def save(self) -> None:
        if self.before_save:
            self.before_save(self)
        super().save()


class BookletTemplate(BaseDocTemplate):  # type: ignore[misc]
    """A cover page without footer, then body pages with the running footer."""

    def __init__(self, out: io.BytesIO, paper: str, meta: Metadata, footer_size: float) -> None:
        width, height = PAGE_SIZES[paper]
        text_width = width - 2 * MARGIN
        room = text_width - stringWidth("Page 888 of 888", BOLD, footer_size) - footer_size
        self.footer_lines = _footer_lines(meta.footer, footer_size, text_width, room)
        self.footer_leading = footer_size * 1.25
        top_line = FOOTER_BASELINE + self.footer_leading * (len(self.footer_lines) - 1)
        self.footer_rule = top_line + footer_size + 6
        foot = self.footer_rule + 16
        super().__init__(
            out,
            pagesize=(width, height),
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=foot,
            title=meta.title,
            author=meta.author,
            subject=meta.subject,
            keywords=list(meta.keywords),
            creator="sciatica-pipeline",
            lang=meta.language,
            displayDocTitle=True,
            invariant=1,
            initialFontName=REGULAR,
            initialFontSize=12,
            initialLeading=16,
        )
        self.meta = meta
        self.footer_size = footer_size
        self.pages_laid_out = 0
        self.heading_pages: dict[str, int] = {}
        frame = Frame(
            MARGIN,
            foot,
            text_width,
            height - MARGIN - foot,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="text",
        )
        self.addPageTemplates(
            [
                PageTemplate("cover", [frame], onPageEnd=self._count),
                PageTemplate("body", [frame], onPageEnd=self._footer),
            ]
        )

    def afterFlowable(self, flowable: Any) -> None:
        if isinstance(flowable, Heading):
            self.canv.bookmarkPage(flowable.key)
            self.canv.addOutlineEntry(flowable.label, flowable.key, level=flowable.level)
            self.heading_pages[flowable.key] = self.page

    def _count(self, canvas: Canvas, doc: Any) -> None:
        self.pages_laid_out = canvas.getPageNumber()

    def _footer(self, canvas: Canvas, doc: Any) -> None:
        self._count(canvas, doc)
        size = self.footer_size
        x, width = self.leftMargin, self.width
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor(RULE))
        canvas.setLineWidth(0.75)
        canvas.line(x, self.footer_rule, x + width, self.footer_rule)
        canvas.setFillColor(colors.HexColor(INK))
        canvas.setFont(REGULAR, size)
        top = FOOTER_BASELINE + self.footer_leading * (len(self.footer_lines) - 1)
        for i, (line, line_size) in enumerate(self.footer_lines):
            canvas.setFont(REGULAR, line_size)
            canvas.drawString(x, top - i * self.footer_leading, line)
        canvas.translate(x + width, FOOTER_BASELINE)
        canvas.doForm(f"pagefoot-{canvas.getPageNumber()}")
        canvas.restoreState()

    def define_late_forms(self, canvas: Canvas) -> None:
        """Define the forms laid out before their numbers were known."""
        total = self.pages_laid_out
        size = self.footer_size
        for number in range(2, total + 1):
            self._number_form(canvas, f"pagefoot-{number}", f"Page {number} of {total}", size)
        for key, page in self.heading_pages.items():
            self._number_form(canvas, page_form(key), str(page), self.contents_size)

    contents_size = 12.0

    @staticmethod
    def _number_form(canvas: Canvas, name: str, text: str, size: float) -> None:
        """A form with `text` in bold, right-aligned at its origin."""
        width = stringWidth(text, BOLD, size)
        canvas.beginForm(name, lowerx=-width - 1, lowery=-size, upperx=1, uppery=size * 1.2)
        canvas.setFillColor(colors.HexColor(INK))
        canvas.setFont(BOLD, size)
        canvas.drawRightString(0, 0, text)
        canvas.endForm()


def _footer_lines(
    parts: Sequence[str], size: float, width: float, room: float
) -> list[tuple[str, float]]:
    """The footer's label as (text, size) lines: all parts on one line when they fit in `room`
    (the width beside the page number), else one part per line, each shrunk (down to 10 pt)
    until it fits (the last line shares its line with the page number)."""
    joined = " \u00b7 ".join(parts)
    if stringWidth(joined, REGULAR, size) <= room:
        return [(joined, size)]
    lines = []
    for i, part in enumerate(parts):
        limit = room if i == len(parts) - 1 else width
        fitted = size
        while fitted > 10 and stringWidth(part, REGULAR, fitted) > limit:
            fitted -= 0.5
        lines.append((part, fitted))
    return lines


def _embed_faces(canvas: Canvas, faces: set[str]) -> dict[str, dict[str, tuple[str, int]]]:
    """Embed every printable character of `faces` (in a form no page shows, so it is not
    part of any page's text) and say how each is written: (font resource name, byte)."""
    from reportlab.pdfbase import pdfmetrics

    from sciatica_pipeline.exporters.pdf.fonts import covered

    chars = sorted(c for c in covered() if c.isprintable() and c != "\u00a0")
    written: dict[str, dict[str, tuple[str, int]]] = {}
    canvas.beginForm("personal-glyphs")
    for face in sorted(faces):
        font = pdfmetrics.getFont(face)
        canvas.setFont(face, 10)
        canvas.drawString(0, 0, "".join(chars))
        table: dict[str, tuple[str, int]] = {}
        for char in chars:
            ((subset, code),) = font.splitString(char, canvas._doc)
            table[char] = (font.getSubsetInternalName(subset, canvas._doc), code[0])
        table["\u00a0"] = table[" "]  # reportlab writes a no-break space as a space
        written[face] = table
    canvas.endForm()
    return written


def build(
    story: Sequence[Any],
    paper: str,
    meta: Metadata,
    *,
    footer_size: float,
    contents_size: float,
    places: list[Any] | None = None,
    glyphs: dict[str, dict[str, tuple[str, int]]] | None = None,
) -> bytes:
    """Lay the story out into PDF bytes; the places of the story's `Slot`s go in `places`.

    :param glyphs: for a template: filled with, for each face the places use, how each
        character the face can print is written (font resource name, byte), after the
        face's every character has been embedded, so that texts can be written onto the
        pages later without laying anything out again."""
    out = io.BytesIO()
    doc = BookletTemplate(out, paper, meta, footer_size)
    doc.contents_size = contents_size
    stamp = meta.created.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'")

    def canvasmaker(*args: Any, **kwargs: Any) -> Canvas:
        canvas = BookletCanvas(*args, **kwargs)
        canvas.places = places

        def before_save(canvas: Canvas) -> None:
            doc.define_late_forms(canvas)
            if glyphs is not None and places:
                glyphs.update(_embed_faces(canvas, {p.font for p in places}))

        canvas.before_save = before_save
        canvas.setDateFormatter(lambda *_: stamp)
        canvas.showOutline()
        return canvas

    from reportlab import rl_config

    # Binary (Flate only) streams: ASCII85 on top makes files a quarter larger and slower.
    saved, rl_config.useA85 = rl_config.useA85, 0
    try:
        doc.build(list(story), canvasmaker=canvasmaker)
    finally:
        rl_config.useA85 = saved
    return out.getvalue()
