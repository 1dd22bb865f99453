"""Type sizes, colours and paragraph styles of the two editions.

Every size derives from the body size: 12 pt in the standard edition, 18 pt in large print,
with about 1.4 times the size as leading. Every style names one of the booklet's TrueType
faces, bullets included (reportlab's default bullet font is a base-14 font).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sciatica_pipeline.exporters.pdf.fonts import BOLD, REGULAR

STANDARD_BODY = 12.0
LARGE_BODY = 18.0

#: Colours, as hex strings; all dark enough to read on white, and distinct in grey.
INK = "#1a1a1a"
ACCENT = "#1f4e79"
ACCENT_LIGHT = "#e8f0f8"
DANGER = "#a4161a"
DANGER_LIGHT = "#fbe9e9"
WARNING = "#8a5a00"
WARNING_LIGHT = "#fff5dc"
NOTE = "#4a5560"
NOTE_LIGHT = "#f1f3f5"
RULE = "#6b7680"


@dataclass(frozen=True, slots=True)
class Styles:
    """The paragraph styles and measures of one edition."""

    large: bool
    body_size: float
    leading: float
    width: float
    body: Any
    lead: Any
    small: Any
    bold: Any
    bullet: Any
    numbered: Any
    title: Any
    kicker: Any
    h1: Any
    h2: Any
    h3: Any
    band: Any
    cell: Any
    cell_bold: Any
    cell_head: Any
    big_value: Any
    toc_levels: tuple[Any, ...]
    footer_size: float
    write_row: float
    log_row: float

    @property
    def gap(self) -> float:
        """The space between blocks: one line of body text."""
        return self.leading * 0.75

    def padding(self) -> float:
        """The inner padding of boxes and table cells."""
        return self.body_size * 0.6


def make_styles(*, large: bool, width: float) -> Styles:
    """The styles of the standard (`large=False`) or large-print edition."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle

    size = LARGE_BODY if large else STANDARD_BODY
    leading = round(size * 1.4, 1)
    ink = colors.HexColor(INK)
    accent = colors.HexColor(ACCENT)

    def style(name: str, **kw: Any) -> Any:
        base: dict[str, Any] = {
            "fontName": REGULAR,
            "fontSize": size,
            "leading": leading,
            "textColor": ink,
            "bulletFontName": REGULAR,
            "bulletFontSize": size,
            "spaceAfter": size * 0.5,
        }
        base.update(kw)
        return ParagraphStyle(name, **base)

    indent = size * 1.6
    title = 2.0 if large else 2.3
    small = size if large else size * 0.9
    h1 = size * (1.75 if not large else 1.55)
    h2 = size * (1.35 if not large else 1.25)
    h3 = size * (1.12 if not large else 1.1)
    toc_levels = (
        style("toc0", fontName=BOLD, spaceBefore=size * 0.5, spaceAfter=0),
        style("toc1", leftIndent=indent, spaceAfter=0),
    )
    return Styles(
        large=large,
        body_size=size,
        leading=leading,
        width=width,
        body=style("body"),
        lead=style("lead", fontSize=size * 1.15, leading=size * 1.15 * 1.4),
        small=style("small", fontSize=small, leading=small * 1.4),
        bold=style("bold", fontName=BOLD),
        bullet=style("bullet", leftIndent=indent, bulletIndent=size * 0.4, spaceAfter=size * 0.3),
        numbered=style(
            "numbered",
            leftIndent=indent,
            bulletIndent=0,
            bulletFontName=BOLD,
            spaceAfter=size * 0.4,
        ),
        title=style(
            "title",
            fontName=BOLD,
            fontSize=size * title,
            leading=size * title * 1.2,
            textColor=accent,
            spaceAfter=size,
        ),
        kicker=style("kicker", fontName=BOLD, textColor=accent, spaceAfter=size),
        h1=style(
            "h1",
            fontName=BOLD,
            fontSize=h1,
            leading=h1 * 1.25,
            textColor=accent,
            spaceBefore=size * 0.8,
            spaceAfter=size * 0.7,
            keepWithNext=1,
        ),
        h2=style(
            "h2",
            fontName=BOLD,
            fontSize=h2,
            leading=h2 * 1.3,
            textColor=accent,
            spaceBefore=size * 1.2,
            spaceAfter=size * 0.5,
            keepWithNext=1,
        ),
        h3=style(
            "h3",
            fontName=BOLD,
            fontSize=h3,
            leading=h3 * 1.35,
            spaceBefore=size * 0.7,
            spaceAfter=size * 0.3,
            keepWithNext=1,
        ),
        band=style("band", fontName=BOLD, textColor=colors.white, spaceAfter=0),
        cell=style("cell", spaceAfter=size * 0.25),
        cell_bold=style("cell_bold", fontName=BOLD, spaceAfter=size * 0.25),
        cell_head=style("cell_head", fontName=BOLD, spaceAfter=0),
        big_value=style(
            "big_value",
            fontName=BOLD,
            fontSize=size * 1.3,
            leading=size * 1.3 * 1.25,
            textColor=accent,
            alignment=TA_CENTER,
            spaceAfter=0,
        ),
        toc_levels=toc_levels,
        footer_size=16.0 if large else 10.0,
        write_row=size * (2.2 if large else 2.6),
        log_row=size * (2.6 if large else 2.1),
    )
