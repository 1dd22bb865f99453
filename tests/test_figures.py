"""Exercise figures: the content (every exercise has pictures, every step they name exists,
joints within human ranges), the renderer (every shape inside its box, one scale per
exercise, the same output every time), the SVG, PNG and Markdown outputs, and the `figure`
command."""

from __future__ import annotations

import dataclasses
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CONTENT, REPO, Edit
from sciatica_pipeline.figures import Disc, Picture, Stroke, pictures, svg
from sciatica_pipeline.figures.png import png
from sciatica_pipeline.figures.shapes import bounds
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.figure import (
    BODY_RANGES,
    SIDE_RANGES,
    Arrow,
    Figure,
    Joints,
    Pose,
    Prop,
    Side,
)

Run = Callable[..., Result]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def in_parent(content: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the content copy's parent so paths print as `content/...`."""
    monkeypatch.chdir(content.parent)
    return content


def problem_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if not line.startswith("Error:")]


# The content ------------------------------------------------------------------------------


def test_every_exercise_has_a_figure_with_a_start_and_an_end(bundle: Bundle) -> None:
    assert set(bundle.figures) == set(bundle.exercises)
    for exercise_id, figure in bundle.figures.items():
        assert figure.exercise == exercise_id
        assert len(figure.poses) >= 2, exercise_id
        assert figure.poses[0].step == "starting_position", exercise_id
        steps = [p.step for p in figure.poses if p.step != "starting_position"]
        assert steps, f"{exercise_id}: no pose shows a step"
        assert all(
            isinstance(s, int) and s < len(bundle.exercises[exercise_id].steps) for s in steps
        )
        assert all(p.alt.strip() for p in figure.poses)


def test_an_exercise_whose_sources_give_no_position_is_drawn_unspecified(bundle: Bundle) -> None:
    for exercise in bundle.exercises.values():
        poses = bundle.figures[exercise.id].poses
        if exercise.body_position == "varies":
            assert all(p.unspecified for p in poses), exercise.id
            assert all("clinician" in p.alt for p in poses), exercise.id
        else:
            assert not any(p.unspecified for p in poses), exercise.id


def test_a_joint_outside_its_human_range_names_file_pointer_and_joint(
    run: Run, in_parent: Path, edit: Edit
) -> None:
    edit("figures/bridging", lambda d: d["poses"][1]["joints"]["near"].update(knee=170))
    edit("figures/cat-cow", lambda d: d["poses"][0]["joints"].update(spine=-60))
    result = run("validate")
    assert result.exit_code == 1
    assert problem_lines(result) == [
        "content/figures/bridging.json: /poses/1/joints/near/knee: the near-side knee is at "
        "170 degrees, outside the human range of 0 to 150 degrees",
        "content/figures/cat-cow.json: /poses/0/joints/spine: the spine is at -60 degrees, "
        "outside the human range of -40 to 80 degrees",
    ]
    # docs/authoring.md shows this very line.
    guide = (REPO / "docs" / "authoring.md").read_text(encoding="utf-8")
    assert problem_lines(result)[0] in guide


def test_schema_errors_in_a_figure_have_file_and_pointer(
    run: Run, in_parent: Path, edit: Edit
) -> None:
    def damage(d: dict[str, object]) -> None:
        poses = d["poses"]
        assert isinstance(poses, list)
        del poses[0]["alt"]
        poses[1]["joints"]["near"]["wrist"] = 10
        poses[1]["step"] = "first"
        poses[1]["props"] = ["sofa"]

    edit("figures/bridging", damage)
    result = run("validate")
    assert result.exit_code == 1
    lines = problem_lines(result)
    prefix = "content/figures/bridging.json: "
    assert f"{prefix}/poses/0/alt: this required field is missing" in lines
    assert any(
        line.startswith(f"{prefix}/poses/1/joints/near/wrist: unknown field") for line in lines
    )
    assert any(
        line.startswith(f'{prefix}/poses/1/step: "first" is not valid: write "starting_position"')
        for line in lines
    )
    assert any(
        line.startswith(f'{prefix}/poses/1/props/0: "sofa" is not allowed') for line in lines
    )
    assert "Traceback" not in result.stderr


def test_a_step_that_does_not_exist_is_reported(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("figures/bridging", lambda d: d["poses"][1].update(step=3))
    result = run("validate")
    assert result.exit_code == 1
    assert problem_lines(result) == [
        "content/figures/bridging.json: /poses/1/step: step 3 does not exist: bridging has 3 "
        "steps, numbered from 0 to 2"
    ]


def test_a_figure_must_show_the_starting_position(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("figures/bridging", lambda d: d["poses"][0].update(step=1))
    result = run("validate")
    assert result.exit_code == 1
    assert problem_lines(result) == [
        "content/figures/bridging.json: /poses: no pose shows the starting position; add one "
        'with "step": "starting_position"'
    ]


def test_an_exercise_without_a_figure_and_a_figure_without_an_exercise(
    run: Run, in_parent: Path
) -> None:
    figures = in_parent / "figures"
    (figures / "bridging.json").rename(figures / "side-plank.json")
    text = (figures / "side-plank.json").read_text(encoding="utf-8")
    (figures / "side-plank.json").write_text(
        text.replace('"exercise": "bridging"', '"exercise": "side-plank"'), encoding="utf-8"
    )
    result = run("validate")
    assert result.exit_code == 1
    lines = problem_lines(result)
    assert (
        "content/exercises/bridging.json: no figure shows this exercise; add "
        "figures/bridging.json (docs/authoring.md says how)" in lines
    )
    assert (
        'content/figures/side-plank.json: /exercise: no exercise has the id "side-plank"; '
        "check the spelling or add exercises/side-plank.json" in lines
    )


def test_a_figure_file_is_named_after_its_exercise(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("figures/bridging", lambda d: d.update(exercise="cat-cow"))
    result = run("validate")
    assert result.exit_code == 1
    assert (
        'content/figures/bridging.json: /exercise: the exercise "cat-cow" does not match the '
        'file name; rename the file to cat-cow.json or set the exercise to "bridging"'
    ) in problem_lines(result)


def test_alt_texts_are_held_to_the_reading_level(run: Run, in_parent: Path, edit: Edit) -> None:
    hard = (
        "The individual positions themselves supine with bilateral lower extremities "
        "extended, maintaining neutral cervical alignment throughout the demonstration."
    )
    edit("figures/bridging", lambda d: d["poses"][0].update(alt=hard))
    result = run("validate", "--strict")
    assert result.exit_code == 1
    [line] = problem_lines(result)
    assert line.startswith("content/figures/bridging.json: /poses/0/alt: warning: reads at grade")


# The renderer -----------------------------------------------------------------------------


def inside(picture: Picture) -> list[str]:
    """The shapes that reach outside the picture's box."""
    outside = []
    for i, shape in enumerate(picture.shapes):
        left, bottom, right, top = bounds(shape)
        eps = 1e-6
        if (
            left < -eps
            or bottom < -eps
            or right > picture.width + eps
            or top > picture.height + eps
        ):
            outside.append(f"shape {i}: {type(shape).__name__} {(left, bottom, right, top)}")
    return outside


def test_every_bundled_picture_stays_inside_its_box_at_one_scale(bundle: Bundle) -> None:
    for exercise_id, figure in bundle.figures.items():
        shown = pictures(figure)
        assert len(shown) == len(figure.poses)
        assert len({(p.width, p.height) for p in shown}) == 1, exercise_id
        for picture in shown:
            assert inside(picture) == [], (exercise_id, picture.label)


def test_limbs_are_thick_outlined_and_the_far_side_is_lighter(bundle: Bundle) -> None:
    from sciatica_pipeline.figures import body

    picture = pictures(bundle.figures["bird-dog"])[1]
    strokes = [s for s in picture.shapes if isinstance(s, Stroke)]
    colours = [s.colour for s in strokes]
    assert body.NEAR_LINE in colours and body.NEAR_FILL in colours
    # Far side first, so the near side is drawn over it.
    assert colours.index(body.FAR_FILL) < colours.index(body.NEAR_FILL)
    thighs = [s.width for s in strokes if s.colour == body.NEAR_FILL]
    assert max(thighs) >= 8  # a person about 100 units tall: limbs, not hairlines
    assert any(s.width > max(thighs) for s in strokes if s.colour == body.NEAR_LINE)


def _side(draw: st.DrawFn) -> Side:
    return Side(**{name: draw(st.floats(low, high)) for name, (low, high) in SIDE_RANGES.items()})


@st.composite
def poses(draw: st.DrawFn) -> Pose:
    joints = Joints(
        trunk=draw(st.floats(-180, 180)),
        near=_side(draw),
        far=_side(draw),
        **{name: draw(st.floats(low, high)) for name, (low, high) in BODY_RANGES.items()},
    )
    arrows = draw(
        st.lists(
            st.builds(
                Arrow,
                at=st.sampled_from(
                    ["head", "chest", "lower-back", "hips", "near-hand", "far-knee", "near-foot"]
                ),
                direction=st.floats(-180, 180),
                length=st.floats(0.05, 0.5),
                bend=st.floats(-90, 90),
                points_at=st.booleans(),
            ),
            max_size=4,
        )
    )
    props: list[Prop] = draw(
        st.lists(
            st.sampled_from(
                [
                    "mat",
                    "chair",
                    "wall",
                    "pillow-under-hips",
                    "pillow-under-head",
                    "pillow-under-knees",
                ]
            ),
            unique=True,
        )
    )
    return Pose(
        step=draw(st.sampled_from(["starting_position", 0, 1])),
        alt=draw(st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=40)),
        joints=joints,
        props=tuple(props),
        arrows=tuple(arrows),
        unspecified=draw(st.booleans()),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(poses(), min_size=2, max_size=4))
def test_any_pose_within_human_ranges_stays_inside_its_box(drawn: list[Pose]) -> None:
    shown = pictures(Figure("any", tuple(drawn)))
    assert len({(p.width, p.height) for p in shown}) == 1
    for picture in shown:
        assert inside(picture) == []
        assert picture.width > 0 and picture.height > 0


@settings(max_examples=40, deadline=None)
@given(st.lists(poses(), min_size=2, max_size=3))
def test_svg_parses_as_xml_with_the_alt_text_as_title(drawn: list[Pose]) -> None:
    for pose, picture in zip(drawn, pictures(Figure("any", tuple(drawn))), strict=True):
        text = svg(picture)
        root = ET.fromstring(text)
        assert root.tag == f"{SVG}svg"
        title = root.find(f"{SVG}title")
        assert title is not None
        # XML normalises line ends in text; everything else survives escaping.
        expected = f"{pose.label}: {pose.alt}".replace("\r\n", "\n").replace("\r", "\n")
        assert title.text == expected
        assert len(root) == len(picture.shapes) + 1
        assert "\n\n" not in text  # Markdown would end the HTML block at a blank line


def test_characters_xml_cannot_hold_are_left_out_of_the_title(bundle: Bundle) -> None:
    picture = dataclasses.replace(
        pictures(bundle.figures["bridging"])[0], alt="Lie\x08 down <here> & rest"
    )
    title = ET.fromstring(svg(picture)).find(f"{SVG}title")
    assert title is not None
    assert title.text == "Start: Lie down <here> & rest"


def test_the_same_figure_gives_the_same_shapes_svg_and_png(bundle: Bundle) -> None:
    figure = bundle.figures["piriformis-stretch"]
    first, again = pictures(figure), pictures(dataclasses.replace(figure))
    assert first == again
    assert [svg(p) for p in first] == [svg(p) for p in again]
    assert png(first[1], 200) == png(again[1], 200)


def test_svg_is_byte_identical_in_a_fresh_process_with_another_hash_seed() -> None:
    probe = (
        "from pathlib import Path\n"
        "from sciatica_pipeline.inputs.validation import load_bundle\n"
        "from sciatica_pipeline.figures import pictures, svg\n"
        f"b = load_bundle(Path({str(CONTENT)!r}))\n"
        "print('\\n'.join(svg(p) for f in b.figures.values() for p in pictures(f)))\n"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("<svg ") == outputs[0].count("</svg>") > 20


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_png_is_a_valid_image_of_the_asked_width(bundle: Bundle) -> None:
    picture = pictures(bundle.figures["bridging"])[0]
    data = png(picture, 240)
    width, height = _png_size(data)
    assert width == 240
    assert height == round(picture.height * 240 / picture.width)
    # The pixel data decompresses to one filter byte and three bytes per pixel, per row.
    start = data.index(b"IDAT") + 4
    (length,) = struct.unpack(">I", data[start - 8 : start - 4])
    raw = zlib.decompress(data[start : start + length])
    assert len(raw) == height * (1 + width * 3)
    assert set(raw[1 : 1 + width * 3]) == {255}  # the top row is the white margin


def test_a_picture_has_a_head_and_is_not_empty(bundle: Bundle) -> None:
    for figure in bundle.figures.values():
        for picture in pictures(figure):
            assert any(isinstance(s, Disc) for s in picture.shapes)
            assert len(picture.shapes) > 20


# The outputs ------------------------------------------------------------------------------


def test_the_markdown_handout_shows_every_exercises_pictures(bundle: Bundle) -> None:
    sys.path.insert(0, str(REPO / "plugins"))
    try:
        from markdown_handout import handout
    finally:
        sys.path.remove(str(REPO / "plugins"))
    for plan in bundle.plans.values():
        text = handout(bundle, plan)
        blocks = [
            text[i : text.index("</svg>", i) + len("</svg>")]
            for i in range(len(text))
            if text.startswith("<svg", i)
        ]
        expected = sum(len(bundle.figures[e.id].poses) for e in bundle.plan_exercises(plan))
        assert len(blocks) == expected
        for block in blocks:
            assert ET.fromstring(block).find(f"{SVG}title") is not None


def test_the_figure_command_writes_svg_and_png_for_review(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "review"
    result = run(
        "figure", "cat-cow", "--out", str(out), "--content", str(CONTENT), "--width", "200"
    )
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    stems = ["cat-cow-1-start", "cat-cow-2-step-1", "cat-cow-3-step-2"]
    assert names == sorted([f"{s}.png" for s in stems] + [f"{s}.svg" for s in stems])
    for stem in stems:
        ET.parse(out / f"{stem}.svg")
        assert _png_size((out / f"{stem}.png").read_bytes())[0] == 200
    assert "Step 1: On hands and knees, the person arches the back" in result.stdout


def test_the_figure_command_suggests_an_exercise_for_a_typo(run: Run, tmp_path: Path) -> None:
    result = run("figure", "bridgin", "--out", str(tmp_path), "--content", str(CONTENT))
    assert result.exit_code == 2
    assert 'no exercise has the id "bridgin"; did you mean "bridging"' in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_figure_command_reports_bad_content_like_validate(
    run: Run, in_parent: Path, edit: Edit, tmp_path: Path
) -> None:
    edit("figures/bridging", lambda d: d["poses"][0]["joints"]["far"].update(elbow=-20))
    result = run("figure", "bridging", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert (
        "content/figures/bridging.json: /poses/0/joints/far/elbow: the far-side elbow is at "
        "-20 degrees, outside the human range of 0 to 150 degrees"
    ) in result.stderr
    assert "Traceback" not in result.stderr


def test_the_figure_command_needs_an_out_folder(run: Run) -> None:
    result = run("figure", "bridging")
    assert result.exit_code == 2
    assert "--out" in result.stderr
