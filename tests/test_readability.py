"""The built-in reading-level check: grade-8 warnings with file and pointer, --strict makes
them errors, and the grade formula holds for any text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from conftest import Edit
from sciatica_pipeline.inputs.readability import estimate_syllables, grade, syllable_counts

Run = Callable[..., Result]

HARD = (
    "Radiculopathy manifests predominantly through intermittent neurological "
    "symptomatology, characteristically exacerbated during prolonged ambulation."
)


def test_syllables_come_from_the_dictionary_with_an_estimate_for_the_rest() -> None:
    counts = syllable_counts(["area", "exercise", "clinician", "piriformis", "the"])
    assert counts == {"area": 3, "exercise": 3, "clinician": 3, "piriformis": 4, "the": 1}


def test_grade_matches_the_flesch_kincaid_formula() -> None:
    text = "The cat sat on the mat. The dog ran to the park and back."
    words, sentences, syllables = 14, 2, 14
    expected = 0.39 * words / sentences + 11.8 * syllables / words - 15.59
    assert grade(text, lambda w: 1) == expected


def test_short_texts_are_not_graded() -> None:
    assert grade("Keep your knee slightly bent.", lambda w: 5) is None


def test_hard_text_is_a_warning_with_file_and_pointer(run: Run, content: Path, edit: Edit) -> None:
    edit("exercises/bridging", lambda d: d.update(purpose=HARD))
    result = run("--plugins-dir", str(content / "none"), "validate", str(content))
    assert result.exit_code == 0
    line = f"{content}/exercises/bridging.json: /purpose: warning: reads at grade "
    assert line in result.stderr
    assert "above grade 8: use shorter sentences and everyday words" in result.stderr
    assert "(1 warning)" in result.stdout
    strict = run("--plugins-dir", str(content / "none"), "validate", str(content), "--strict")
    assert strict.exit_code == 1
    assert "found 0 errors and 1 warning" in strict.stderr


@given(st.text(max_size=300))
def test_grade_never_raises(text: str) -> None:
    result = grade(text, estimate_syllables)
    assert result is None or isinstance(result, float)


@given(st.from_regex(r"[A-Za-z]{1,20}", fullmatch=True))
def test_estimate_is_at_least_one_syllable(word: str) -> None:
    assert 1 <= estimate_syllables(word) <= len(word)
