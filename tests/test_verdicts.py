"""The quick verdicts on patient records: "valid" only where the whole schema check finds no
problem, for any record, and for the ordinary records of a long list."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sciatica_pipeline.inputs.schemas import load_schemas, record_verdicts, validator
from sciatica_pipeline.inputs.verdicts import RecordVerdicts

GOOD = {
    "id": "P-1",
    "plan": "sciatica-plan",
    "start_date": "2027-03-08",
    "timezone": "America/New_York",
    "session_times": ["08:00", "18:00"],
}

#: Values near the schema's edges: good ones, and ones of the wrong type, form or length.
values = st.one_of(
    st.sampled_from(
        [
            "P-1",
            "sciatica-plan",
            "Sciatica Plan",
            "2027-03-08",
            "2027-02-30",
            "2027-3-8",
            "America/New_York",
            "+14155550123",
            "+1 415 555 0123",
            "",
            "x" * 61,
            "08:00",
            "24:00",
            15,
            0,
            -1,
            1441,
            2.0,
            True,
            False,
            None,
            ["08:00"],
            ["08:00", "08:00"],
            ["08:00", 8],
            [],
            [["08:00"]],
            {"a": 1},
        ]
    ),
    st.text(max_size=12),
    st.integers(),
)
#: One memo for the whole property test, so that later examples meet remembered values.
QUICK = record_verdicts("patient")

fields = st.sampled_from([*load_schemas()["patient.schema.json"]["properties"], "nickname", "Plan"])


@settings(max_examples=400)
@given(
    changes=st.dictionaries(fields, values, max_size=4), drop=st.sets(st.sampled_from(list(GOOD)))
)
def test_a_valid_verdict_is_never_wrong(changes: dict[str, Any], drop: set[str]) -> None:
    record = {k: v for k, v in {**GOOD, **changes}.items() if k not in drop}
    quick = QUICK.valid(record)
    problems = list(validator("patient").iter_errors(record))
    if quick:
        assert not problems
    # Asked twice, from the memo this time: the same answer.
    assert QUICK.valid(record) == quick


def test_ordinary_records_get_the_quick_verdict() -> None:
    quick = record_verdicts("patient")
    assert quick.valid(GOOD)
    assert quick.valid({**GOOD, "reminder_minutes": 30, "large_print": True})
    assert not quick.valid({**GOOD, "reminder_minutes": True})
    assert not quick.valid({k: v for k, v in GOOD.items() if k != "plan"})
    assert not quick.valid({**GOOD, "nickname": "Al"})


def test_private_and_failing_values_are_checked_but_never_remembered() -> None:
    quick = record_verdicts("patient")
    record = {**GOOD, "name": "Alexandra Quist", "mobile": "+14155550199"}
    assert quick.valid(record)
    assert not quick.valid({**record, "mobile": "+1 415 555 0199"})
    # A shifted row: a name where the clinic's phone goes fails, and is not kept either.
    assert not quick.valid({**GOOD, "clinic_phone": "Alexandra Quist"})
    kept = repr(quick._valid)  # the memo itself: no private or failing value may be in it
    assert "Alexandra Quist" not in kept
    assert "4155550199" not in kept
    assert "America/New_York" in kept  # and it does keep the values that repeat


def test_a_schema_whose_fields_depend_on_each_other_gets_no_quick_verdict() -> None:
    schema = {
        **load_schemas()["patient.schema.json"],
        "dependentRequired": {"mobile": ["name"]},
    }
    quick = RecordVerdicts(schema, lambda shell: validator("patient").evolve(schema=shell))
    assert not quick.valid({**GOOD, "mobile": "+14155550123"})
    assert not quick.valid(GOOD)
