"""A picture as a reportlab Drawing, for the PDF booklets and for PNG files. Imports reportlab,
so import this module only where a picture is drawn."""

from __future__ import annotations

from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, PolyLine
from reportlab.graphics.shapes import Polygon as RLPolygon
from reportlab.lib import colors

from sciatica_pipeline.figures.shapes import Disc, Picture, Stroke


def drawing(picture: Picture, width: float, *, font: str | None = None) -> Any:
    """The picture as a `Drawing` `width` points wide, in proportion.

    :param font: a registered font for the drawing's initial state; without it reportlab
        selects Helvetica, a base-14 font a PDF that embeds all its fonts must not name.
    """
    scale = width / picture.width
    d = Drawing(width, picture.height * scale)
    if font is not None:
        d.initialFontName = font
    for shape in picture.shapes:
        if isinstance(shape, Stroke):
            points = [v * scale for p in shape.points for v in p]
            d.add(
                PolyLine(
                    points,
                    strokeColor=colors.HexColor(shape.colour),
                    strokeWidth=shape.width * scale,
                    strokeLineCap=1,
                    strokeLineJoin=1,
                )
            )
        elif isinstance(shape, Disc):
            x, y = shape.centre
            fill = colors.HexColor(shape.colour)
            d.add(
                Circle(x * scale, y * scale, shape.radius * scale, fillColor=fill, strokeColor=None)
            )
        else:
            points = [v * scale for p in shape.points for v in p]
            fill = colors.HexColor(shape.colour)
            d.add(RLPolygon(points, fillColor=fill, strokeColor=None))
    return d
