"""Exercise figures: a pose's joint angles turned into vector shapes, the same for every
output format.

`pictures(figure)` is the public entry point; `svg(picture)` writes one as inline SVG, and
`sciatica_pipeline.figures.drawing` draws one with reportlab (imported only when needed).
"""

from __future__ import annotations

from sciatica_pipeline.figures.body import (
    FLOOR,
    MAT_THICKNESS,
    OUTLINE,
    arrow_shapes,
    body_shapes,
    prop_shapes,
    question_mark,
    skeleton,
)
from sciatica_pipeline.figures.shapes import (
    Disc,
    Picture,
    Point,
    Polygon,
    Shape,
    Stroke,
    bounds,
    moved,
    union,
)
from sciatica_pipeline.figures.svg import svg
from sciatica_pipeline.model.figure import Figure, Pose

__all__ = ["Disc", "Picture", "Point", "Polygon", "Shape", "Stroke", "pictures", "svg"]

#: The empty space around the drawing inside its box, in picture units.
MARGIN = 4.0
_FLOOR_WIDTH = 1.2


def _pose_shapes(pose: Pose) -> list[Shape]:
    """A pose's shapes with the floor at y = 0."""
    s = skeleton(pose)
    body = body_shapes(pose, s)
    surface = union([bounds(b) for b in body])[1]
    # Lying down means lying on the mat: the floor is under it.
    ground = surface - (MAT_THICKNESS + 2 * OUTLINE if "mat" in pose.props else 0.0)
    shapes = prop_shapes(pose, s, body, surface, ground) + body
    for arrow in pose.arrows:
        shapes += arrow_shapes(arrow, s)
    if pose.unspecified:
        _, _, right, top = union([bounds(b) for b in body])
        shapes += question_mark((right + 14.0, top - 14.0), 30.0)
    return [moved(shape, 0.0, -ground) for shape in shapes]


def pictures(figure: Figure) -> tuple[Picture, ...]:
    """Every pose of an exercise's figure as a picture, in the figure's order.

    The pictures share one box and one scale, large enough for the widest and the tallest
    pose, so a patient sees the person the same size in each; the floor sits at the same
    height in all of them. Every shape lies inside the box.
    """
    posed = [_pose_shapes(pose) for pose in figure.poses]
    extents = [union([bounds(s) for s in shapes]) for shapes in posed]
    content_width = max(right - left for left, _, right, _ in extents)
    lowest = min(*(bottom for _, bottom, _, _ in extents), -_FLOOR_WIDTH)
    highest = max(top for _, _, _, top in extents)
    width = content_width + 2 * MARGIN
    height = highest - lowest + 2 * MARGIN
    floor_y = MARGIN - lowest
    result = []
    for pose, shapes, (left, _, right, _) in zip(figure.poses, posed, extents, strict=True):
        dx = MARGIN + (content_width - (right - left)) / 2 - left
        floor = Stroke(
            ((_FLOOR_WIDTH, floor_y), (width - _FLOOR_WIDTH, floor_y)), _FLOOR_WIDTH, FLOOR
        )
        placed = tuple(moved(shape, dx, floor_y) for shape in shapes)
        result.append(Picture(width, height, (floor, *placed), pose.label, pose.alt))
    return tuple(result)
