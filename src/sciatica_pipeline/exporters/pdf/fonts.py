"""The booklet's fonts, and the check that the content can be drawn with them.

The booklet uses Bitstream Vera Sans, which ships inside reportlab (docs/decisions/0002). Every
piece of text is drawn in these embedded TrueType faces: none of the PDF base-14 fonts.
reportlab silently drops a character its font has no glyph for, so the content is checked
first and a missing glyph is an error naming the character and where it is.
"""

from __future__ import annotations

import dataclasses
import functools
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.model.content import Bundle, Plan

FAMILY = "BookletSans"
REGULAR = "BookletSans"
BOLD = "BookletSans-Bold"
ITALIC = "BookletSans-Italic"
BOLD_ITALIC = "BookletSans-BoldItalic"

#: What the font is, for error messages.
FONT_LABEL = "Bitstream Vera Sans"

_FILES = {
    REGULAR: "Vera.ttf",
    BOLD: "VeraBd.ttf",
    ITALIC: "VeraIt.ttf",
    BOLD_ITALIC: "VeraBI.ttf",
}

#: Model fields that hold ids, codes or settings, never text a booklet shows.
_NOT_SHOWN = frozenset(
    {
        "id",
        "sources",
        "source",
        "category",
        "body_position",
        "condition",
        "exercise",
        "precautions",
        "precaution",
        "advice",
        "topic",
        "recommended_exercises",
        "red_flags",
        "severity",
        "icd10cm",
        "snomed",
        "language",
        "audience",
        "level",
        "pace",
    }
)

#: How many missing characters an error lists before it says "and N more".
_REPORTED = 10


@functools.cache
def register_fonts() -> None:
    """Register the four faces and their family with reportlab (once per process).

    The faces remember the width of each word they measured: line breaking measures the same
    words again and again, and reportlab measures TrueType text in pure Python."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    class MeasuredTTFont(TTFont):  # type: ignore[misc]
        def __init__(self, name: str, filename: str) -> None:
            super().__init__(name, filename)
            self.widths: dict[tuple[str, float, str], float] = {}

        def stringWidth(self, text: str, size: float, encoding: str = "utf8") -> float:
            key = (text, size, encoding)
            width = self.widths.get(key)
            if width is None:
                width = self.widths[key] = super().stringWidth(text, size, encoding)
            return width

    folder = Path(reportlab.__file__).parent / "fonts"
    for name, file in _FILES.items():
        pdfmetrics.registerFont(MeasuredTTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily(
        FAMILY, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC
    )


@functools.cache
def covered() -> frozenset[str]:
    """The characters every face of the family has a glyph for."""
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    faces = [pdfmetrics.getFont(name).face.charToGlyph for name in _FILES]
    codes = set(faces[0]).intersection(*faces[1:])
    return frozenset(chr(code) for code in codes)


def _fields(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) of every shown text field: `name`, `steps[2]`, `common_mistakes[0].instead`."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _fields(item, f"{path}[{i}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.name not in _NOT_SHOWN:
                yield from _fields(getattr(value, f.name), f"{path}.{f.name}" if path else f.name)


def _walk(value: object, label: str) -> Iterator[tuple[str, str]]:
    """(where, text) of an item's shown text: `exercise 'bridging' name`."""
    for path, text in _fields(value):
        yield f"{label} {path}", text


def booklet_texts(bundle: Bundle, plan: Plan) -> Iterator[tuple[str, str]]:
    """(where, text) for every piece of content a plan's booklet shows."""
    manifest = bundle.manifest
    yield from _walk(dataclasses.replace(manifest, sources=()), "bundle")
    for src in manifest.sources:
        yield from _walk(src, f"source {src.id!r}")
    condition = bundle.condition_of(plan)
    yield from _walk(condition, f"condition {condition.id!r}")
    yield from _walk(plan, f"plan {plan.id!r}")
    exercises = list(bundle.plan_exercises(plan))
    exercises += [bundle.exercises[a.exercise] for a in condition.avoid_or_caution]
    for exercise in exercises:
        yield from _walk(exercise, f"exercise {exercise.id!r}")
        figure = bundle.figures.get(exercise.id)
        for i, pose in enumerate(figure.poses if figure else ()):
            yield f"figure {exercise.id!r} poses[{i}].alt", pose.alt
    advice = bundle.plan_advice(plan)
    for item in advice:
        yield from _walk(item, f"advice {item.id!r}")
    precaution_ids = [p.id for p in bundle.red_flags_for(plan)]
    precaution_ids += [p.id for p in bundle.general_precautions_for(plan)]
    precaution_ids += [p for e in exercises for p in e.precautions]
    precaution_ids += [p for a in advice for p in a.precautions]
    precaution_ids += [c.precaution for c in plan.checkpoints if c.precaution]
    for pid in dict.fromkeys(precaution_ids):
        yield from _walk(bundle.precautions[pid], f"precaution {pid!r}")


def check_glyphs(bundle: Bundle, plan: Plan) -> None:
    """Raise PipelineError naming each character of the content the font cannot draw."""
    have = covered()
    missing: dict[str, list[str]] = {}
    for where, text in booklet_texts(bundle, plan):
        for char in text:
            if char not in have and not char.isspace():
                places = missing.setdefault(char, [])
                if where not in places:
                    places.append(where)
    if not missing:
        return
    lines = []
    for char, places in list(missing.items())[:_REPORTED]:
        name = unicodedata.name(char, "unnamed character")
        lines.append(f"{char!r} (U+{ord(char):04X} {name}) in {', '.join(places)}")
    if len(missing) > _REPORTED:
        lines.append(f"and {len(missing) - _REPORTED} more")
    raise PipelineError(
        f"the booklet font ({FONT_LABEL}) has no glyph for "
        + "; ".join(lines)
        + ". Use another character, or change the PDF font (docs/decisions/0002-pdf-fonts.md)."
    )
