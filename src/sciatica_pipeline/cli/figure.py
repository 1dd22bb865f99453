"""`sciatica-pipeline figure`: draws one exercise's pictures to SVG and PNG files, for an author
to look at while writing or adjusting `content/figures/<exercise>.json`."""

from __future__ import annotations

import re
from pathlib import Path

import click

from sciatica_pipeline.cli.common import content_option, host
from sciatica_pipeline.errors import close_matches


def _file_stem(exercise_id: str, number: int, label: str) -> str:
    """`bridging-1-start`, `bridging-2-step-1`: in the order the outputs show them."""
    return f"{exercise_id}-{number}-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}"


def _unknown_exercise(exercise_id: str, known: list[str]) -> click.BadParameter:
    close = close_matches(exercise_id, known, n=3)
    if close:
        hint = "did you mean " + " or ".join(f'"{c}"' for c in close) + "?"
    else:
        hint = "the exercises are: " + ", ".join(known)
    return click.BadParameter(f'no exercise has the id "{exercise_id}"; {hint}')


@click.command("figure")
@click.argument("exercise_id")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the pictures into (made if missing; files of the same name are "
    "replaced).",
)
@content_option
@click.option(
    "--width",
    default=480,
    show_default=True,
    type=click.IntRange(100, 2000),
    help="The width of each PNG, in pixels.",
)
def figure_command(exercise_id: str, out_dir: Path, content_dir: Path, width: int) -> None:
    """Draw EXERCISE_ID's pictures (one per pose) as SVG and PNG files for review.

    The content is validated first, so a joint outside its human range is reported with its
    file and place, like `validate` does. Look at every picture: a patient should recognise
    the pose without reading its caption.
    """
    from sciatica_pipeline.figures import pictures, svg
    from sciatica_pipeline.figures.png import png
    from sciatica_pipeline.run.pipeline import Pipeline

    # Every check, the plugins' included, as every command does.
    bundle = Pipeline.open(content_dir, host()).bundle
    figure = bundle.figures.get(exercise_id)
    if figure is None:
        error = _unknown_exercise(exercise_id, sorted(bundle.exercises))
        error.param_hint = "EXERCISE_ID"
        raise error
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for number, picture in enumerate(pictures(figure), start=1):
            stem = _file_stem(exercise_id, number, picture.label)
            (out_dir / f"{stem}.svg").write_text(svg(picture) + "\n", encoding="utf-8")
            (out_dir / f"{stem}.png").write_bytes(png(picture, width))
            click.echo(f"{out_dir / stem}.svg, .png  {picture.label}: {picture.alt}")
    except OSError as exc:
        raise click.ClickException(f"cannot write into {out_dir}: {exc.strerror}") from exc
