"""The figure model: an exercise's pictures as data, a jointed person posed by joint angles.

Built only from validated content (`content/figures/*.json`); `sciatica_pipeline.figures`
turns it into vector paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Prop = Literal[
    "mat", "chair", "wall", "pillow-under-hips", "pillow-under-head", "pillow-under-knees"
]

BodyPoint = Literal[
    "head",
    "chest",
    "lower-back",
    "hips",
    "near-hand",
    "far-hand",
    "near-elbow",
    "far-elbow",
    "near-knee",
    "far-knee",
    "near-foot",
    "far-foot",
]

#: The human range of each joint, in degrees (schema/figure.schema.json describes each one;
#: the bundle check holds every pose to these).
SIDE_RANGES: dict[str, tuple[float, float]] = {
    "shoulder": (-60, 180),
    "elbow": (0, 150),
    "hip": (-30, 130),
    "knee": (0, 150),
    "ankle": (-80, 30),
    "leg_out": (0, 70),
}
BODY_RANGES: dict[str, tuple[float, float]] = {
    "spine": (-40, 80),
    "neck": (-70, 50),
}


@dataclass(frozen=True, slots=True)
class Side:
    """The joint angles of one side of the body, in degrees (0 is straight or hanging)."""

    shoulder: float = 0.0
    elbow: float = 0.0
    hip: float = 0.0
    knee: float = 0.0
    ankle: float = 0.0
    leg_out: float = 0.0


@dataclass(frozen=True, slots=True)
class Joints:
    """Every joint angle of a pose; `trunk` is how the body lies (0 upright, 90 face down)."""

    trunk: float
    near: Side
    far: Side
    spine: float = 0.0
    neck: float = 0.0


@dataclass(frozen=True, slots=True)
class Arrow:
    """An arrow beside a body part that shows which way it moves.

    :param direction: degrees in the picture, 0 right and 90 up.
    :param length: a share of the person's height.
    :param bend: degrees of curve; 0 is straight.
    """

    at: BodyPoint
    direction: float
    length: float = 0.2
    bend: float = 0.0
    #: True: the arrow comes from outside and points at the part (a push toward it).
    points_at: bool = False


@dataclass(frozen=True, slots=True)
class Pose:
    """One picture of an exercise, linked to the step it shows."""

    #: `starting_position`, or the index of a step in the exercise's steps (from 0).
    step: int | Literal["starting_position"]
    alt: str
    joints: Joints
    props: tuple[Prop, ...] = ()
    arrows: tuple[Arrow, ...] = ()
    unspecified: bool = False

    @property
    def label(self) -> str:
        """`Start`, or `Step 2` for the step at index 1, as outputs number steps."""
        return "Start" if self.step == "starting_position" else f"Step {self.step + 1}"


@dataclass(frozen=True, slots=True)
class Figure:
    """The pictures of one exercise, in the order outputs show them."""

    exercise: str
    poses: tuple[Pose, ...]
