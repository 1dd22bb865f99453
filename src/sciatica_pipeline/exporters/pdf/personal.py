"""Personal booklets: a template laid out once per plan, edition, paper and unit of distance,
and each patient's texts written into its places.

Laying a 40-page booklet out costs reportlab a fifth of a second or more; writing a patient's
hundred short texts onto a finished template costs a millisecond or two. So the template
keeps a `Slot` wherever a plan's booklet has a line to fill in by hand (the clinician, the
start date) or a patient has a date (a phase, a checkpoint, each day of the log), records
where each one was drawn, embeds every character of the faces those texts use, and `fill`
writes the patient's texts there in the booklet's own fonts, as an incremental update of the
template's file (PDF 1.7, section 7.5.6): a content stream added to each page that has
texts. pikepdf (qpdf) reads the template's structure once; nothing is re-laid-out or
rewritten per patient. Every patient of a template has the same pages, so no text can move a
page break: the places are sized for long texts, and a longer one is set smaller.
"""

from __future__ import annotations

import datetime as dt
import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.exporters.pdf.booklet import BookletJob, lay_out
from sciatica_pipeline.exporters.pdf.flowables import Place
from sciatica_pipeline.exporters.pdf.fonts import covered, register_fonts
from sciatica_pipeline.exporters.personal import FIELDS
from sciatica_pipeline.exporters.region import MILE_REGIONS
from sciatica_pipeline.model.content import Bundle

#: The share of its size that a text of a usual length keeps at worst, where it is shrunk to
#: fit its place (the tests hold the places to it).
MIN_SCALE = 0.7


def miles_region(region: str | None) -> str | None:
    """The one region a template needs to know: a reader who walks in miles (`US`, here for
    every such region, since only the unit differs), else None (kilometres follow)."""
    return "US" if (region or "").upper() in MILE_REGIONS else None


@dataclass(frozen=True, slots=True)
class PageObject:
    """A template page that holds places: its object number, its dictionary without its
    contents, and its contents (references)."""

    number: int
    head: bytes
    contents: bytes


@dataclass(frozen=True, slots=True)
class Template:
    """A laid-out personal booklet without its personal texts, and what writing them in
    needs: the places, how each face writes each character, and the file's structure (its
    pages with places, its trailer) for an incremental update."""

    data: bytes
    places: tuple[Place, ...]
    glyphs: Mapping[str, Mapping[str, tuple[str, int]]]
    pages: Mapping[int, PageObject]
    trailer: bytes
    size: int
    startxref: int

    @property
    def keys(self) -> frozenset[str]:
        """The keys of the texts the template has places for."""
        return frozenset(p.key for p in self.places)


def render_template(
    bundle: Bundle,
    plan_id: str,
    *,
    large: bool,
    paper: str,
    units_region: str | None,
    build_time: dt.datetime,
) -> Template:
    """The template of the personal booklets of a plan in one edition, paper and unit."""
    import pikepdf

    edition = "large-print" if large else "standard"
    job = BookletJob(
        plan_id, edition, large, paper, build_time, personal=True, units_region=units_region
    )
    places: list[Place] = []
    glyphs: dict[str, dict[str, tuple[str, int]]] = {}
    data = lay_out(bundle, job, places, glyphs)
    pages: dict[int, PageObject] = {}
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for number in sorted({p.page for p in places}):
            page = pdf.pages[number - 1].obj
            contents = page.Contents
            refs = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
            head = pikepdf.Dictionary({k: v for k, v in page.items() if k != "/Contents"})
            pages[number] = PageObject(
                page.objgen[0],
                head.unparse(),
                b" ".join(f"{r.objgen[0]} {r.objgen[1]} R".encode() for r in refs),
            )
        trailer = pikepdf.Dictionary(
            {k: pdf.trailer[k] for k in ("/Root", "/Info", "/ID") if k in pdf.trailer}
        ).unparse()
        size = int(pdf.trailer.Size)
    startxref = int(data[data.rindex(b"startxref") + len(b"startxref") :].split()[0])
    return Template(data, tuple(places), glyphs, pages, trailer, size, startxref)


def check_texts(texts: Mapping[str, str]) -> None:
    """Refuse a personal text the booklet's font cannot print, naming the record's field and
    the characters (as code points: a name is never quoted)."""
    register_fonts()
    printable = covered()
    for key, text in texts.items():
        missing = sorted(
            {c for c in text if c not in printable or not (c.isprintable() or c == "\u00a0")}
        )
        if not missing:
            continue
        field = FIELDS.get(key)
        what = f"the {field} field" if field else f"the booklet's {key} text"
        codes = ", ".join(f"U+{ord(c):04X}" for c in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise PipelineError(
            f"{what} has characters the booklet's font cannot print ({codes}{more}); "
            "write it in Latin letters, or leave the field empty to fill it in by hand"
        )


def _colour(hex_colour: str) -> bytes:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return f"{r:.3f} {g:.3f} {b:.3f} rg".encode()


def fit(place: Place, text: str) -> tuple[list[str], float]:
    """`text` broken into at most `place.lines` lines that fit the place's width, and the
    size it is set at: its own, or smaller where it would not fit otherwise."""
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase.pdfmetrics import stringWidth

    size = place.size
    while True:
        if stringWidth(text, place.font, size) <= place.width:
            return [text], size
        if place.lines > 1:
            # A name and its phone break between the two, not inside the number.
            parts = text.split(" \u00b7 ")
            if 1 < len(parts) <= place.lines and all(
                stringWidth(part, place.font, size) <= place.width for part in parts
            ):
                return parts, size
            lines = simpleSplit(text, place.font, size, place.width)
            if len(lines) <= place.lines:
                return lines, size
        size *= 0.95


def _text_ops(template: Template, place: Place, text: str) -> list[bytes]:
    """The content-stream operators that write `text` at `place`: wrapped onto the place's
    lines, or shrunk, to fit its width."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, size = fit(place, text)
    table = template.glyphs[place.font]
    ops = [b"BT", _colour(place.colour)]
    for number, line in enumerate(lines):
        width = stringWidth(line, place.font, size)
        x = place.x - width if place.align == "right" else place.x
        # The last line sits where a one-line text does; the ones before it, above.
        y = place.y + place.leading * (len(lines) - 1 - number)
        ops.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm".encode())
        font: str | None = None
        run = bytearray()
        for char in line:
            name, code = table[char]
            if name != font:
                if run:
                    ops.append(b"<" + run.hex().encode() + b"> Tj")
                    run.clear()
                ops.append(f"{name} {size:.2f} Tf".encode())
                font = name
            run.append(code)
        if run:
            ops.append(b"<" + run.hex().encode() + b"> Tj")
    ops.append(b"ET")
    return ops


def fill(template: Template, texts: Mapping[str, str]) -> bytes:
    """The template with `texts` written into their places (a key without a text leaves its
    place blank), as an incremental update of the template's file: for each page with a
    text, a content stream appended to the page's own. The texts must have passed
    `check_texts`."""
    by_page: dict[int, list[Place]] = {}
    for place in template.places:
        if texts.get(place.key):
            by_page.setdefault(place.page, []).append(place)
    out = bytearray(template.data)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets: dict[int, int] = {}
    number = template.size

    def add(obj: int, body: bytes) -> None:
        offsets[obj] = len(out)
        out.extend(b"%d 0 obj\n" % obj + body + b"\nendobj\n")

    def stream(data: bytes) -> bytes:
        packed = zlib.compress(data, 6)
        return (
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed)
            + packed
            + (b"\nendstream")
        )

    if by_page:
        # The page's own operators run between q and Q, so whatever state they leave, the
        # texts are written in the page's default coordinates.
        save = number
        add(save, stream(b"q"))
        number += 1
        for page_number in sorted(by_page):
            page = template.pages[page_number]
            ops = [b"Q"]
            for place in by_page[page_number]:
                ops += _text_ops(template, place, texts[place.key])
            add(number, stream(b"\n".join(ops)))
            contents = b"/Contents [%d 0 R %s %d 0 R]" % (save, page.contents, number)
            add(page.number, page.head[:-2].rstrip() + b" " + contents + b" >>")
            number += 1
    xref = len(out)
    out += b"xref\n"
    numbers = sorted(offsets)
    # One subsection per run of consecutive object numbers.
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    for run in runs:
        out += b"%d %d\n" % (run[0], len(run))
        for n in run:
            out += b"%010d 00000 n \n" % offsets[n]
    trailer = template.trailer[:-2].rstrip()
    out += b"trailer\n" + trailer + b" /Size %d /Prev %d >>\n" % (number, template.startxref)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
