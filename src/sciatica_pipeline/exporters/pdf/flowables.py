"""The booklet's own flowables: headings that become bookmarks and contents lines, and the
lines of the table of contents. Imported only while a booklet renders (reportlab).

Page numbers that are not known until the end of the layout (the contents' page numbers, the
"of 14" of the footer) are drawn as named form XObjects that the document defines once the
last page is laid out, so a booklet is laid out in a single pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Paragraph
from reportlab.platypus.flowables import Flowable


class Para(Paragraph):  # type: ignore[misc]
    """A paragraph that breaks its lines once per width: tables and keep-together groups ask
    a paragraph for its size several times, and reportlab breaks the lines again each time."""

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        cached = self.__dict__.get("_size_at")
        if cached is not None and cached[0] == available_width and "blPara" in self.__dict__:
            size: tuple[float, float] = cached[1]
            return size
        size = super().wrap(available_width, available_height)
        self.__dict__["_size_at"] = (available_width, size)
        return size


class Heading(Para):
    """A heading that the document turns into a bookmark, an outline entry and, when `toc` is
    set, a line of the table of contents.

    :param key: the bookmark's name, unique in the document.
    :param level: its outline level (0 for a section, 1 for an exercise or a habit).
    :param label: the plain text of the outline and contents entry.
    """

    def __init__(
        self, markup: str, style: Any, *, key: str, level: int, label: str, toc: bool = True
    ) -> None:
        super().__init__(markup, style)
        self.key = key
        self.level = level
        self.label = label
        self.toc = toc

    def split(self, available_width: float, available_height: float) -> list[Any]:
        """Never split a heading: it moves to the next page whole."""
        return []


def page_form(key: str) -> str:
    """The name of the form that shows the page number of the heading `key`."""
    return f"pageof-{key}"


class ContentsLine(Flowable):  # type: ignore[misc]
    """One line of the table of contents: the heading's label, dot leaders and its page
    number (a form the document fills in at the end), linked to the heading."""

    def __init__(
        self,
        label: str,
        key: str,
        level: int,
        *,
        font: str,
        size: float,
        leading: float,
        indent: float,
        number_width: float,
        space_before: float,
    ) -> None:
        super().__init__()
        self.label, self.key, self.level = label, key, level
        self.font, self.size, self.leading = font, size, leading
        self.indent, self.number_width = indent, number_width
        self.space_before = space_before
        self.lines: list[str] = []

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        room = available_width - self.indent - self.number_width
        self.lines = simpleSplit(self.label, self.font, self.size, room)
        self.height = self.space_before + self.leading * len(self.lines)
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setFont(self.font, self.size)
        baseline = self.height - self.space_before - self.size
        for i, line in enumerate(self.lines):
            canvas.drawString(self.indent, baseline - i * self.leading, line)
        last = baseline - (len(self.lines) - 1) * self.leading
        start = self.indent + canvas.stringWidth(self.lines[-1], self.font, self.size)
        start += self.size * 0.5
        end = self.width - self.number_width + self.size * 0.5
        if end > start:
            canvas.saveState()
            canvas.setStrokeColor(colors.HexColor("#6b7680"))
            canvas.setLineWidth(self.size * 0.12)
            canvas.setLineCap(1)
            canvas.setDash(0.01, self.size * 0.45)
            canvas.line(start, last + self.size * 0.1, end, last + self.size * 0.1)
            canvas.restoreState()
        canvas.saveState()
        canvas.translate(self.width, last)
        canvas.doForm(page_form(self.key))
        canvas.restoreState()
        canvas.linkRect(
            "", self.key, (0, last - self.size * 0.3, self.width, self.height), relative=1
        )


class WriteInGrid(Flowable):  # type: ignore[misc]
    """An empty grid to fill in by hand: a band, a row of column headings, labelled rows and,
    optionally, ruled lines for notes below it.

    Drawn directly (one path for all the rules) rather than as a table of empty cells, which
    costs reportlab far more for the same picture. It never splits: callers keep it shorter
    than a page.
    """

    def __init__(
        self,
        band: str,
        headings: list[str],
        rows: list[str],
        widths: list[float],
        *,
        font: str,
        bold: str,
        size: float,
        row_height: float,
        colours: tuple[str, str, str, str],
        note_lines: int = 0,
        band_key: str | None = None,
        row_keys: list[str] | None = None,
    ) -> None:
        """:param headings: column headings; `\\n` starts a new line.
        :param colours: band, rules, label column fill, text.
        :param note_lines: ruled lines for notes under the grid, headed "Notes".
        :param band_key: a personal text set at the right end of the band (a template's).
        :param row_keys: a personal text per row, set in the second column (a template's)."""
        super().__init__()
        self.band_key, self.row_keys = band_key, row_keys
        self.band, self.rows, self.widths = band, rows, widths
        self.font, self.bold, self.size = font, bold, size
        self.row_height, self.note_lines = row_height, note_lines
        self.band_colour, self.rule_colour, self.label_fill, self.ink = colours
        self.pad = size * 0.5
        self.leading = size * 1.2
        self.heading_lines = [
            [
                part
                for line in text.split("\n")
                for part in simpleSplit(line, bold, size, width - 2 * self.pad)
            ]
            for text, width in zip(headings, widths, strict=True)
        ]
        self.width = sum(widths)
        self.band_size = size
        while self.band_size > 10 and stringWidth(band, bold, self.band_size) > (
            self.width - 2 * self.pad
        ):
            self.band_size -= 0.5
        # A band's personal text goes on a second line when it would not fit beside the band's
        # own (large print): room for the longest date range of a week.
        longest = stringWidth("28 September \u2013 30 September 2027", font, size)
        self.band_wrap = bool(band_key) and (
            stringWidth(band, bold, self.band_size) + longest + 4 * self.pad > self.width
        )
        self.band_height = self.leading * (2 if self.band_wrap else 1) + 2 * self.pad
        self.head_height = self.leading * max(len(h) for h in self.heading_lines) + 2 * self.pad
        self.grid_height = row_height * len(rows)
        self.notes_height = (self.leading + row_height * note_lines) if note_lines else 0.0
        self.height = self.band_height + self.head_height + self.grid_height + self.notes_height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        top = self.height
        body_top = top - self.band_height - self.head_height
        bottom = body_top - self.grid_height
        canvas.saveState()
        canvas.setFillColor(colors.HexColor(self.band_colour))
        canvas.rect(0, body_top, self.width, top - body_top, stroke=0, fill=1)
        canvas.setFillColor(colors.HexColor(self.label_fill))
        canvas.rect(0, bottom, self.widths[0], self.grid_height, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont(self.bold, self.band_size)
        canvas.drawString(self.pad, top - self.pad - self.size, self.band)
        canvas.setFont(self.bold, self.size)
        x = 0.0
        for lines, width in zip(self.heading_lines, self.widths, strict=True):
            y = body_top + self.head_height - self.pad - self.size
            for line in lines:
                canvas.drawString(x + self.pad, y, line)
                y -= self.leading
            x += width
        canvas.setFillColor(colors.HexColor(self.ink))
        for i, label in enumerate(self.rows):
            y = body_top - (i + 0.5) * self.row_height - self.size * 0.35
            canvas.drawString(self.pad, y, label)
            if self.row_keys:
                self._place(self.row_keys[i], self.widths[0] + self.pad, y, self.widths[1])
        if self.band_key and self.band_wrap:
            y = top - self.pad - self.size - self.leading
            self._place(self.band_key, self.pad, y, self.width, band=True)
        elif self.band_key:
            room = self.width - stringWidth(self.band, self.bold, self.band_size) - 4 * self.pad
            y = top - self.pad - self.size
            self._place(self.band_key, self.width - self.pad, y, room, band=True, align="right")
        path = canvas.beginPath()
        for i in range(len(self.rows) + 1):
            path.moveTo(0, body_top - i * self.row_height)
            path.lineTo(self.width, body_top - i * self.row_height)
        x = 0.0
        for width in [0.0, *self.widths]:
            x += width
            path.moveTo(x, bottom)
            path.lineTo(x, body_top)
        if self.note_lines:
            canvas.drawString(0, bottom - self.leading, "Notes")
            for i in range(1, self.note_lines + 1):
                y = bottom - self.leading - i * self.row_height
                path.moveTo(0, y)
                path.lineTo(self.width, y)
        canvas.setStrokeColor(colors.HexColor(self.rule_colour))
        canvas.setLineWidth(0.75)
        canvas.drawPath(path, stroke=1, fill=0)
        canvas.setStrokeColor(colors.white)
        canvas.setLineWidth(1)
        x = 0.0
        for width in self.widths[:-1]:
            x += width
            canvas.line(x, body_top, x, body_top + self.head_height)
        canvas.line(0, body_top + self.head_height, self.width, body_top + self.head_height)
        canvas.restoreState()

    def _place(
        self, key: str, x: float, y: float, width: float, *, band: bool = False, align: str = "left"
    ) -> None:
        """Note a personal text's place: in the band (white) or in a row."""
        ax, ay = self.canv.absolutePosition(x, y)
        font = self.bold if band and not self.band_wrap else self.font
        colour = "#ffffff" if band else self.ink
        size = self.size
        cell = width - (0 if align == "right" else 2 * self.pad)
        record_place(
            self.canv,
            Place(key, self.canv.getPageNumber(), ax, ay, cell, font, size, colour, align),
        )


class AtFoot(Flowable):  # type: ignore[misc]
    """Flowables pushed down to the foot of the frame when they fit in what is left of it;
    otherwise they flow on as usual."""

    def __init__(self, content: list[Any]) -> None:
        super().__init__()
        self.content = content
        self.sizes: list[float] = []

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.sizes = []
        for i, f in enumerate(self.content):
            _, height = f.wrapOn(self.canv, available_width, available_height)
            if i:
                height += max(f.getSpaceBefore(), self.content[i - 1].getSpaceAfter())
            self.sizes.append(height)
        needed = sum(self.sizes)
        self.width = available_width
        self.height = max(needed, available_height)
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Any]:
        """Too tall for what is left: try the next page, or flow as usual on a fresh one."""
        frame = getattr(self, "_frame", None)
        if frame is not None and not getattr(frame, "_atTop", False):
            return []
        return list(self.content)

    def draw(self) -> None:
        y = sum(self.sizes)
        for flowable, step in zip(self.content, self.sizes, strict=True):
            y -= step
            flowable.drawOn(self.canv, 0, y)


class KeepBlocks(KeepTogether):  # type: ignore[misc]
    """Blocks (lists of flowables) kept on one page as a unit when they fit one and moving
    them would not leave this page under a third full; else each block kept whole.

    reportlab's KeepTogether cannot be nested (it reports an unbounded height to force a
    split, so an outer one always breaks the page); this keeps both levels in one flowable.
    """

    def __init__(self, blocks: list[list[Any]], *, fill: bool = True) -> None:
        """:param fill: move the blocks whole to the next page only when this one is a third
        full already (False: whenever they fit one page)."""
        super().__init__([f for block in blocks for f in block])
        self._blocks = blocks
        self._fill = fill

    def split(self, available_width: float, available_height: float) -> list[Any]:
        if getattr(self, "_wrapInfo", None) != (available_width, available_height):
            self.wrap(available_width, available_height)
        frame = getattr(self, "_frame", None)
        page = frame._height if frame is not None else available_height
        content = list(self._content)
        from reportlab.platypus.doctemplate import FrameBreak, NullActionFlowable

        if available_height >= self._H:
            return content
        # Moved whole to the next page only when this one is a third full already.
        if page >= self._H and (not self._fill or page - available_height >= page / 3):
            return [FrameBreak(), *content]
        # Too tall for one page, or this page would be left nearly empty: each block whole,
        # the last small ones glued until they fill a third of a page, so the page they end on
        # is not nearly empty either.
        blocks = [list(b) for b in self._blocks]
        tail = blocks.pop()
        while (
            blocks
            and _height(tail, available_width, self.canv) < page / 3
            and _height(blocks[-1], available_width, self.canv) < page / 3
        ):
            tail = [*blocks.pop(), *tail]
        # A block of one flowable splits as that flowable does (a table between its rows).
        kept = [b[0] if len(b) == 1 else KeepTogether(b) for b in [*blocks, tail]]
        # The doc template adds the first item at once: an action, not a KeepTogether.
        return [NullActionFlowable(), *kept]


def _height(flowables: list[Any], width: float, canvas: Any) -> float:
    from reportlab.platypus.flowables import _listWrapOn

    return float(_listWrapOn(flowables, width, canvas)[1])


@dataclass(frozen=True, slots=True)
class Place:
    """Where a personal text goes on a page of a booklet template (points from the page's
    lower left corner): its key, the start (or end, when right-aligned) of its last line's
    baseline, the width it may take, how it is set, and on how many lines it may wrap."""

    key: str
    page: int
    x: float
    y: float
    width: float
    font: str
    size: float
    colour: str
    align: str = "left"
    lines: int = 1
    leading: float = 0.0


def record_place(canvas: Any, place: Place) -> None:
    """Note `place` on the canvas of a template being laid out (a plain booklet has none)."""
    places = getattr(canvas, "places", None)
    if places is not None:
        places.append(place)


class Slot(Flowable):  # type: ignore[misc]
    """An empty line kept for one personal text (a date, the clinician's name): the template
    is laid out once, and each patient's texts are written into its places afterwards.

    :param key: which text (see `sciatica_pipeline.exporters.personal`).
    :param style: the paragraph style the text is set in; `font` overrides its face.
    :param lines: how many lines a long text may wrap onto (it sits on the last one when it
        fits on one).
    """

    def __init__(self, key: str, style: Any, *, font: str | None = None, lines: int = 1) -> None:
        super().__init__()
        self.key = key
        self.font = font or style.fontName
        self.size = float(style.fontSize)
        self.colour = style.textColor.hexval()[2:]
        self.leading = float(style.leading)
        self.lines = lines
        self.height = self.leading * lines

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, (self.leading - self.size) / 2 + self.size * 0.22)
        record_place(
            self.canv,
            Place(
                self.key,
                self.canv.getPageNumber(),
                float(x),
                float(y),
                float(self.width),
                self.font,
                self.size,
                f"#{self.colour}",
                lines=self.lines,
                leading=self.leading,
            ),
        )
