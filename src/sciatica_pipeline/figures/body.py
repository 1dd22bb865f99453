"""Forward kinematics: a pose's joint angles become the points of a jointed person seen from
the side, and those points become thick, outlined shapes, with the props and arrows.

Body coordinates: the hip joint is at the origin, y points up, the person faces right and is
about 100 units tall standing.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from sciatica_pipeline.figures.shapes import Disc, Point, Polygon, Shape, Stroke, bounds, union
from sciatica_pipeline.model.figure import Arrow, Pose, Side

# Segment lengths, for a person 100 units tall.
LOWER_TORSO = 12.0
UPPER_TORSO = 17.0
NECK = 8.5
HEAD_RADIUS = 6.8
UPPER_ARM = 16.5
FOREARM = 13.5
HAND_RADIUS = 3.1
THIGH = 24.5
SHIN = 24.0
HEEL = 3.0
TOES = 10.0

# Widths of the limbs as strokes; OUTLINE is drawn around each.
TORSO_WIDTH = 11.5
NECK_WIDTH = 5.0
UPPER_ARM_WIDTH = 5.6
FOREARM_WIDTH = 4.6
THIGH_WIDTH = 8.6
SHIN_WIDTH = 6.4
FOOT_WIDTH = 4.2
OUTLINE = 1.5

NEAR_FILL, NEAR_LINE = "#4f86c0", "#173250"
FAR_FILL, FAR_LINE = "#b7cde6", "#6f8dae"
GHOST_FILL, GHOST_LINE = "#ffffff", "#7d8893"
FLOOR = "#8a8f94"
MAT_FILL, MAT_LINE = "#cfe3c6", "#5f8455"
WOOD_FILL, WOOD_LINE = "#c49a6c", "#6b4b2b"
WALL_FILL = "#dcdcdc"
PILLOW_FILL, PILLOW_LINE = "#f3e6b3", "#8f7a35"
ARROW = "#c4481c"
QUESTION = "#5b6670"

MAT_THICKNESS = 3.0
DASH, GAP = 3.2, 2.6


def _direction(degrees: float) -> Point:
    radians = math.radians(degrees)
    return math.cos(radians), math.sin(radians)


def _step(start: Point, degrees: float, length: float) -> Point:
    dx, dy = _direction(degrees)
    return start[0] + dx * length, start[1] + dy * length


@dataclass(frozen=True, slots=True)
class Limbs:
    """The joint points of one side."""

    shoulder: Point
    elbow: Point
    wrist: Point
    hand: Point
    knee: Point
    ankle: Point
    heel: Point
    toe: Point


@dataclass(frozen=True, slots=True)
class Skeleton:
    """Every joint point of a pose, in body coordinates."""

    hip: Point
    waist: Point
    neck: Point
    head: Point
    nose: Point
    near: Limbs
    far: Limbs


def skeleton(pose: Pose) -> Skeleton:
    """The joint points of a pose: each segment's direction is its parent's turned by the
    joint angle (angles in the picture count counter-clockwise; bending forward turns
    clockwise for a person facing right)."""
    j = pose.joints
    hip = (0.0, 0.0)
    lower = 90.0 - j.trunk
    waist = _step(hip, lower, LOWER_TORSO)
    upper = lower - j.spine
    neck = _step(waist, upper, UPPER_TORSO)
    head_dir = upper - j.neck
    head = _step(neck, head_dir, NECK)
    nose = _step(head, head_dir - 90.0, HEAD_RADIUS * 0.95)
    shoulder = _step(neck, upper + 180.0, 3.0)

    def limbs(side: Side) -> Limbs:
        arm = upper + 180.0 + side.shoulder
        elbow = _step(shoulder, arm, UPPER_ARM)
        forearm = arm + side.elbow
        wrist = _step(elbow, forearm, FOREARM)
        hand = _step(elbow, forearm, FOREARM + HAND_RADIUS * 0.6)
        # A leg turned out of the picture is seen shorter, by the cosine of the turn.
        shorter = math.cos(math.radians(side.leg_out))
        thigh = lower + 180.0 + side.hip
        knee = _step(hip, thigh, THIGH * shorter)
        shin = thigh - side.knee
        ankle = _step(knee, shin, SHIN * shorter)
        foot = shin + 90.0 + side.ankle
        heel = _step(ankle, foot + 180.0, HEEL * shorter)
        toe = _step(ankle, foot, TOES * shorter)
        return Limbs(shoulder, elbow, wrist, hand, knee, ankle, heel, toe)

    return Skeleton(hip, waist, neck, head, nose, limbs(j.near), limbs(j.far))


def _curve(a: Point, through: Point, b: Point, samples: int = 10) -> tuple[Point, ...]:
    """A smooth curve from `a` to `b` that passes through `through` (a quadratic Bezier)."""
    cx = 2 * through[0] - (a[0] + b[0]) / 2
    cy = 2 * through[1] - (a[1] + b[1]) / 2
    points = []
    for i in range(samples + 1):
        t = i / samples
        u = 1 - t
        points.append(
            (
                u * u * a[0] + 2 * u * t * cx + t * t * b[0],
                u * u * a[1] + 2 * u * t * cy + t * t * b[1],
            )
        )
    return tuple(points)


def _dashes(points: tuple[Point, ...], dash: float, gap: float) -> list[tuple[Point, ...]]:
    """The polyline cut into dashes, so every format draws the same dashes."""
    pieces: list[tuple[Point, ...]] = []
    current: list[Point] = [points[0]]
    drawing, left = True, dash
    for a, b in itertools.pairwise(points):
        length = math.dist(a, b)
        at = 0.0
        while length - at > left:
            at += left
            t = at / length
            p = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
            if drawing:
                current.append(p)
                pieces.append(tuple(current))
            current = [p]
            drawing = not drawing
            left = dash if drawing else gap
        left -= length - at
        if drawing:
            current.append(b)
    if drawing and len(current) > 1:
        pieces.append(tuple(current))
    return pieces


def _circle(centre: Point, radius: float, samples: int = 40) -> tuple[Point, ...]:
    return tuple(_step(centre, 360.0 * i / samples, radius) for i in range(samples + 1))


# A part of the body: strokes (points, width) and discs (centre, radius) drawn together.
_Part = tuple[list[tuple[tuple[Point, ...], float]], list[tuple[Point, float]]]


def _outlined(part: _Part, fill: str, line: str, *, ghost: bool) -> list[Shape]:
    """A part as an outline (a wider stroke underneath) and its fill on top."""
    strokes, discs = part
    shapes: list[Shape] = []
    if ghost:
        for points, width in strokes:
            shapes += [Stroke(p, width + 2 * OUTLINE, line) for p in _dashes(points, DASH, GAP)]
        for centre, radius in discs:
            ring = _circle(centre, radius + OUTLINE / 2)
            shapes += [Stroke(p, OUTLINE * 1.6, line) for p in _dashes(ring, DASH, GAP)]
    else:
        shapes += [Stroke(points, width + 2 * OUTLINE, line) for points, width in strokes]
        shapes += [Disc(centre, radius + OUTLINE, line) for centre, radius in discs]
    shapes += [Stroke(points, width, fill) for points, width in strokes]
    shapes += [Disc(centre, radius, fill) for centre, radius in discs]
    return shapes


def _arm(limbs: Limbs) -> _Part:
    return (
        [
            ((limbs.shoulder, limbs.elbow), UPPER_ARM_WIDTH),
            ((limbs.elbow, limbs.wrist), FOREARM_WIDTH),
        ],
        [(limbs.hand, HAND_RADIUS)],
    )


def _leg(limbs: Limbs, hip: Point) -> _Part:
    return (
        [
            ((hip, limbs.knee), THIGH_WIDTH),
            ((limbs.knee, limbs.ankle), SHIN_WIDTH),
            ((limbs.heel, limbs.toe), FOOT_WIDTH),
        ],
        [],
    )


def _trunk(s: Skeleton) -> _Part:
    return (
        [(_curve(s.hip, s.waist, s.neck), TORSO_WIDTH), ((s.neck, s.head), NECK_WIDTH)],
        [(s.head, HEAD_RADIUS), (s.nose, 1.9)],
    )


def body_shapes(pose: Pose, s: Skeleton) -> list[Shape]:
    """The person, far side first so the near side covers it."""
    ghost = pose.unspecified
    near_fill, near_line = (GHOST_FILL, GHOST_LINE) if ghost else (NEAR_FILL, NEAR_LINE)
    far_fill, far_line = (GHOST_FILL, GHOST_LINE) if ghost else (FAR_FILL, FAR_LINE)
    shapes: list[Shape] = []
    shapes += _outlined(_arm(s.far), far_fill, far_line, ghost=ghost)
    shapes += _outlined(_leg(s.far, s.hip), far_fill, far_line, ghost=ghost)
    shapes += _outlined(_trunk(s), near_fill, near_line, ghost=ghost)
    shapes += _outlined(_leg(s.near, s.hip), near_fill, near_line, ghost=ghost)
    shapes += _outlined(_arm(s.near), near_fill, near_line, ghost=ghost)
    # A hand held at the head (hands behind the head) goes behind it: drawn over the arm, the
    # head stays in sight.
    if math.dist(s.near.hand, s.head) < HEAD_RADIUS + HAND_RADIUS + OUTLINE:
        head: _Part = ([], [(s.head, HEAD_RADIUS), (s.nose, 1.9)])
        shapes += _outlined(head, near_fill, near_line, ghost=ghost)
    return shapes


def _pill(a: Point, b: Point, width: float, fill: str, line: str) -> list[Shape]:
    return [Stroke((a, b), width + 2 * OUTLINE, line), Stroke((a, b), width, fill)]


def _lowest_near(shapes: list[Shape], x: float, reach: float) -> float:
    """The lowest edge of the body within `reach` of `x` (what a pillow there holds up)."""
    lows = []
    for shape in shapes:
        points: tuple[Point, ...]
        if isinstance(shape, Disc):
            points, pad = (shape.centre,), shape.radius
        elif isinstance(shape, Stroke):
            points, pad = shape.points, shape.width / 2
        else:
            continue
        lows += [p[1] - pad for p in points if abs(p[0] - x) <= reach]
    return min(lows)


def prop_shapes(
    pose: Pose, s: Skeleton, body: list[Shape], surface: float, ground: float
) -> list[Shape]:
    """The props, drawn behind the person: `surface` is what the body rests on (the floor or
    the top of the mat), `ground` the floor."""
    floor = surface
    left, _, right, top = union([bounds(b) for b in body])
    shapes: list[Shape] = []
    for prop in pose.props:
        if prop == "chair":
            seat = s.hip[1] - TORSO_WIDTH / 2 - OUTLINE - 1.8
            back_x, front_x = s.hip[0] - 9.0, s.hip[0] + 12.0
            shapes += _pill((back_x - 2.0, seat + 32.0), (back_x, seat), 3.6, WOOD_FILL, WOOD_LINE)
            for x in (back_x + 1.0, front_x - 1.0):
                shapes += _pill((x, seat), (x, ground + 1.0), 3.0, WOOD_FILL, WOOD_LINE)
            shapes += _pill((back_x, seat), (front_x, seat), 3.6, WOOD_FILL, WOOD_LINE)
        elif prop == "wall":
            x = left - 4.0
            wall = ((x - 6.0, ground), (x, ground), (x, top + 6.0), (x - 6.0, top + 6.0))
            shapes.append(Polygon(wall, WALL_FILL))
        elif prop.startswith("pillow-under-"):
            where = prop.removeprefix("pillow-under-")
            x = {"hips": s.hip[0], "head": s.head[0], "knees": s.near.knee[0]}[where]
            low = _lowest_near(body, x, 8.0)
            thickness = max(low - floor, 3.0)
            y = floor + thickness / 2
            shapes += _pill((x - 9.0, y), (x + 9.0, y), thickness, PILLOW_FILL, PILLOW_LINE)
    if "mat" in pose.props:
        y = ground + OUTLINE + MAT_THICKNESS / 2
        mat = _pill((left - 3.0, y), (right + 3.0, y), MAT_THICKNESS, MAT_FILL, MAT_LINE)
        shapes = [*mat, *shapes]
    return shapes


def _anchor(s: Skeleton, at: str) -> tuple[Point, float]:
    """The point an arrow starts beside, and how far from it the arrow begins."""
    side, _, part = at.partition("-")
    if side in ("near", "far"):
        limbs = s.near if side == "near" else s.far
        point = {"hand": limbs.hand, "elbow": limbs.elbow, "knee": limbs.knee}.get(part)
        if point is None:  # the foot: its middle
            point = ((limbs.heel[0] + limbs.toe[0]) / 2, (limbs.heel[1] + limbs.toe[1]) / 2)
        return point, 8.0
    mid_upper = ((s.waist[0] + s.neck[0]) / 2, (s.waist[1] + s.neck[1]) / 2)
    return {"head": s.head, "chest": mid_upper, "lower-back": s.waist, "hips": s.hip}[at], 10.0


def arrow_shapes(arrow: Arrow, s: Skeleton) -> list[Shape]:
    """An arrow: a curved or straight shaft and a head, with a white edge so it reads over
    the person."""
    anchor, gap = _anchor(s, arrow.at)
    length = arrow.length * 100.0
    if arrow.points_at:
        start = _step(anchor, arrow.direction + 180.0, gap + length)
    else:
        start = _step(anchor, arrow.direction, gap)
    end = _step(start, arrow.direction, length)
    middle = _step(start, arrow.direction, length / 2)
    # The bend bows the shaft sideways; the head then follows the curve's last direction.
    bow = math.tan(math.radians(arrow.bend) / 2) * length / 2
    middle = _step(middle, arrow.direction + 90.0, bow)
    points = _curve(start, middle, end, 12)
    (ax, ay), (bx, by) = points[-2], points[-1]
    heading = math.degrees(math.atan2(by - ay, bx - ax))
    head_length, head_width = 7.5, 7.0
    shaft = _trimmed(points, head_length * 0.8)
    tip = end
    base = _step(end, heading + 180.0, head_length)
    wing_a = _step(base, heading + 90.0, head_width / 2)
    wing_b = _step(base, heading - 90.0, head_width / 2)
    white = "#ffffff"
    return [
        Stroke(shaft, 2.6 + 2.0, white),
        Polygon(
            (
                _step(tip, heading, 1.5),
                _step(wing_a, heading + 90.0, 1.2),
                _step(wing_b, heading - 90.0, 1.2),
            ),
            white,
        ),
        Stroke(shaft, 2.6, ARROW),
        Polygon((tip, wing_a, wing_b), ARROW),
    ]


def _trimmed(points: tuple[Point, ...], cut: float) -> tuple[Point, ...]:
    """The polyline with its last `cut` units taken off (where the arrowhead goes)."""
    kept = list(points)
    while len(kept) > 1 and cut > 0:
        a, b = kept[-2], kept[-1]
        length = math.dist(a, b)
        if length > cut:
            t = (length - cut) / length
            kept[-1] = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
            break
        cut -= length
        kept.pop()
    return tuple(kept) if len(kept) > 1 else (points[0], points[0])


def question_mark(centre: Point, size: float) -> list[Shape]:
    """A question mark drawn as strokes, for a pose the sources do not give."""
    r = size * 0.22
    bowl = tuple(
        _step((centre[0], centre[1] + size * 0.2), 160.0 - 230.0 * i / 16, r) for i in range(17)
    )
    stem = (bowl[-1], (centre[0], centre[1] - size * 0.12))
    width = size * 0.11
    return [
        Stroke((*bowl, *stem[1:]), width, QUESTION),
        Disc((centre[0], centre[1] - size * 0.3), width * 0.7, QUESTION),
    ]
