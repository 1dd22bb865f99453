"""The diagnosis-code check (sciatica_pipeline.inputs.codes): ICD-10-CM form, SNOMED CT check
digit and partition, and Excludes1 pairs, reported by `validate` with the condition file and
pointer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from conftest import CONTENT, Edit
from sciatica_pipeline.inputs.codes import (
    EXCLUDES1,
    EXERCISE_THERAPY_SNOMED,
    THERAPEUTIC_EXERCISE_CPT,
    check_codes,
    excluded_pairs,
    icd10cm_problem,
    sctid_problem,
    verhoeff_digit,
    verhoeff_ok,
)
from sciatica_pipeline.inputs.validation import validate

Run = Callable[..., Result]

#: Real SNOMED CT concept ids, from the international release (an oracle independent of the
#: implementation): root concept, clinical finding, procedure, and the bundle's own.
REAL_CONCEPTS = (
    "138875005",
    "404684003",
    "71388002",
    "23056005",
    "26538006",
    "20021007",
    "128196005",
    "18347007",
    "229065009",
)


@pytest.fixture
def in_parent(content: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the content copy's parent so paths print as `content/...`."""
    monkeypatch.chdir(content.parent)
    return content


def problem_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if not line.startswith("Error:")]


def set_codes(system: str, codes: list[str]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["codes"][system] = [{"code": c, "display": f"Code {c}"} for c in codes]

    return change


# -- the bundled content ---------------------------------------------------------------------


def test_bundled_content_passes_the_code_check() -> None:
    report = validate(CONTENT, checks=[check_codes])
    assert report.problems == ()


def test_bundled_content_passes_strict_validation(run: Run) -> None:
    result = run("validate", str(CONTENT), "--strict")
    assert result.exit_code == 0, result.stderr


def test_procedure_codes_are_valid() -> None:
    assert sctid_problem(EXERCISE_THERAPY_SNOMED) is None
    assert EXERCISE_THERAPY_SNOMED == "229065009"
    assert THERAPEUTIC_EXERCISE_CPT == "97110"


# -- through `validate` ----------------------------------------------------------------------


def test_a_wrong_snomed_check_digit_fails_validation(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("conditions/sciatica", set_codes("snomed", ["23056004"]))
    result = run("validate")
    assert result.exit_code == 1
    [line] = problem_lines(result)
    assert line.startswith("content/conditions/sciatica.json: /codes/snomed/0/code: ")
    assert "check digit" in line


def test_a_description_id_is_not_a_concept(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("conditions/lumbar-disc-herniation", set_codes("snomed", ["20021007", "339142014"]))
    result = run("validate")
    assert result.exit_code == 1
    [line] = problem_lines(result)
    assert line.startswith("content/conditions/lumbar-disc-herniation.json: /codes/snomed/1/code: ")
    assert "description id" in line


def test_a_seventh_character_without_placeholders_fails(
    run: Run, in_parent: Path, edit: Edit
) -> None:
    edit("conditions/sciatica", set_codes("icd10cm", ["M54.30", "S33.5A"]))
    result = run("validate")
    assert result.exit_code == 1
    [line] = problem_lines(result)
    assert line.startswith("content/conditions/sciatica.json: /codes/icd10cm/1/code: ")
    assert "S33.5XXA" in line


def test_an_excludes1_pair_fails_validation(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("conditions/sciatica", set_codes("icd10cm", ["M54.30", "M54.31", "M51.16"]))
    result = run("validate")
    assert result.exit_code == 1
    lines = problem_lines(result)
    assert len(lines) == 2  # M51.16 against each M54.3x
    assert all(
        line.startswith("content/conditions/sciatica.json: /codes/icd10cm/2/code: M51.16 and M54.3")
        for line in lines
    )
    assert "Excludes1" in lines[0]
    assert "found 2 errors" in result.stderr


def test_g57_and_m54_3_exclude_each_other(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("conditions/piriformis-syndrome", set_codes("icd10cm", ["G57.01", "M54.31"]))
    result = run("validate")
    assert result.exit_code == 1
    [line] = problem_lines(result)
    assert line.startswith("content/conditions/piriformis-syndrome.json: /codes/icd10cm/1/code: ")


# -- the rules, one by one -------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_CONCEPTS)
def test_real_concept_ids_pass(code: str) -> None:
    assert sctid_problem(code) is None


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("23056004", "check digit"),
        ("12345", "6 to 18 digits"),
        ("339142014", "description id"),
        ("1234567" + "02" + "0", "relationship id"),
    ],
)
def test_bad_snomed_ids_are_explained(code: str, words: str) -> None:
    if words == "relationship id":  # give it a valid check digit so the partition is reached
        code = code[:-1] + verhoeff_digit(code[:-1])
    problem = sctid_problem(code)
    assert problem is not None and words in problem


def test_a_long_format_id_needs_room_for_a_namespace() -> None:
    short = "1234510"  # partition 10, but too few digits for a 7-digit namespace
    assert "namespace" in (sctid_problem(short + verhoeff_digit(short)) or "")
    long_id = "1" + "1000005" + "10"  # item 1, namespace 1000005, concept partition
    assert sctid_problem(long_id + verhoeff_digit(long_id)) is None


@pytest.mark.parametrize("code", ["M54.31", "M51.361", "M53.2X6", "S33.5XXA", "T07.XXXA", "G57.0"])
def test_well_formed_icd_codes_pass(code: str) -> None:
    assert icd10cm_problem(code) is None


@pytest.mark.parametrize(
    ("code", "words"),
    [("S33.5A", "S33.5XXA"), ("S33.A", "S33.XXXA"), ("M53.2X", "ends with the placeholder")],
)
def test_malformed_icd_codes_are_explained(code: str, words: str) -> None:
    assert words in (icd10cm_problem(code) or "")


@pytest.mark.parametrize("note", EXCLUDES1, ids=lambda n: f"{n.category}-{n.excludes}")
def test_every_excludes1_note_is_caught_both_ways(note: Any) -> None:
    first = note.category.rstrip("-") + ("1" if note.category.endswith("-") else "")
    second = note.excludes.rstrip("-") + ("7" if note.excludes.endswith("-") else "")
    assert [(i, j) for i, j, _ in excluded_pairs([first, second])] == [(0, 1)]
    assert [(i, j) for i, j, _ in excluded_pairs([second, first])] == [(0, 1)]


@pytest.mark.parametrize(
    "codes",
    [
        ["M54.30", "M54.31", "M54.32"],
        ["M51.16", "M51.17"],
        ["M54.31", "M51.362"],  # only M51.361 and M51.371 are excluded, not all of M51.36
        ["G57.01", "G57.02"],
        ["M54.50", "M51.16"],  # low back pain: not in the table
    ],
)
def test_codes_that_go_together_pass(codes: list[str]) -> None:
    assert list(excluded_pairs(codes)) == []


# -- Verhoeff --------------------------------------------------------------------------------

DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=17)


@given(DIGITS)
def test_a_computed_check_digit_validates(digits: str) -> None:
    assert verhoeff_ok(digits + verhoeff_digit(digits))


@given(DIGITS, st.data())
def test_any_single_digit_change_invalidates(digits: str, data: st.DataObject) -> None:
    number = digits + verhoeff_digit(digits)
    position = data.draw(st.integers(0, len(number) - 1))
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    assert not verhoeff_ok(number[:position] + new + number[position + 1 :])


@given(DIGITS, st.data())
def test_swapping_two_neighbouring_digits_invalidates(digits: str, data: st.DataObject) -> None:
    number = digits + verhoeff_digit(digits)
    i = data.draw(st.integers(0, len(number) - 2))
    if number[i] != number[i + 1]:
        swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        assert not verhoeff_ok(swapped)
