"""The vector shapes a figure is drawn with: round-capped strokes, discs and polygons.

Every output format draws these the same way, in order, each over the ones before it.
Coordinates are in picture units with y pointing up; the person is about 100 units tall.
"""

from __future__ import annotations

from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Stroke:
    """A line through `points` with round caps and joins, `width` wide."""

    points: tuple[Point, ...]
    width: float
    colour: str


@dataclass(frozen=True, slots=True)
class Disc:
    """A filled circle."""

    centre: Point
    radius: float
    colour: str


@dataclass(frozen=True, slots=True)
class Polygon:
    """A filled polygon (closed; no outline)."""

    points: tuple[Point, ...]
    colour: str


Shape = Stroke | Disc | Polygon


@dataclass(frozen=True, slots=True)
class Picture:
    """One pose drawn as shapes inside a `width` by `height` box, with its text alternative.

    Every picture of an exercise has the same box and the same scale.

    :param label: `Start` or `Step 2`, as outputs number the steps.
    :param alt: the text alternative from the content.
    """

    width: float
    height: float
    shapes: tuple[Shape, ...]
    label: str
    alt: str


def bounds(shape: Shape) -> tuple[float, float, float, float]:
    """The shape's extent as (left, bottom, right, top), the width of strokes included."""
    if isinstance(shape, Disc):
        (x, y), r = shape.centre, shape.radius
        return x - r, y - r, x + r, y + r
    xs = [p[0] for p in shape.points]
    ys = [p[1] for p in shape.points]
    pad = shape.width / 2 if isinstance(shape, Stroke) else 0.0
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def union(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    """The smallest box holding every box of `boxes`."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def moved(shape: Shape, dx: float, dy: float) -> Shape:
    """The shape shifted by (dx, dy)."""
    if isinstance(shape, Disc):
        x, y = shape.centre
        return Disc((x + dx, y + dy), shape.radius, shape.colour)
    points = tuple((x + dx, y + dy) for x, y in shape.points)
    if isinstance(shape, Stroke):
        return Stroke(points, shape.width, shape.colour)
    return Polygon(points, shape.colour)
