"""A picture as inline SVG: one element per shape, a <title> from the alt text, no ids and
no timestamps, so the same picture always gives the same text."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from sciatica_pipeline.figures.shapes import Disc, Picture, Point, Stroke

# Characters XML 1.0 cannot hold at all, even escaped (most control characters).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(text: str) -> str:
    """`text` escaped for XML, without the characters XML forbids."""
    return escape(_NOT_XML.sub("", text))


def _n(value: float) -> str:
    """A coordinate with two decimals and no trailing zeros (`-0` written as `0`)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def svg(picture: Picture, width: float = 320.0) -> str:
    """The picture as an `<svg>` element `width` pixels wide (the height keeps the box's
    proportions), on one line per shape and with no blank line, so Markdown keeps it whole.
    """
    height = width * picture.height / picture.width
    h = picture.height

    def xy(p: Point) -> str:
        # SVG's y axis points down; pictures' points up.
        return f"{_n(p[0])},{_n(h - p[1])}"

    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(picture.width)} {_n(h)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img">',
        f"<title>{_text(picture.label)}: {_text(picture.alt)}</title>",
    ]
    for shape in picture.shapes:
        if isinstance(shape, Stroke):
            d = "M" + " L".join(xy(p) for p in shape.points)
            lines.append(
                f'<path d="{d}" fill="none" stroke={quoteattr(shape.colour)} '
                f'stroke-width="{_n(shape.width)}" stroke-linecap="round" '
                'stroke-linejoin="round"/>'
            )
        elif isinstance(shape, Disc):
            x, y = shape.centre
            lines.append(
                f'<circle cx="{_n(x)}" cy="{_n(h - y)}" r="{_n(shape.radius)}" '
                f"fill={quoteattr(shape.colour)}/>"
            )
        else:
            points = " ".join(xy(p) for p in shape.points)
            lines.append(f'<polygon points="{points}" fill={quoteattr(shape.colour)}/>')
    lines.append("</svg>")
    return "\n".join(lines)
