"""The run memo's bounded tables: a value made once is handed back, whichever way it is asked
for, and a full table empties instead of growing."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sciatica_pipeline.run.memo import Memo, Same, Table


@given(keys=st.lists(st.integers(min_value=0, max_value=20), max_size=200))
def test_get_and_get_with_give_what_make_gives_and_stay_bounded(keys: list[int]) -> None:
    table: Table[int, str] = Table(maxsize=5)
    made: list[int] = []

    def make(key: int) -> str:
        made.append(key)
        return f"value {key}"

    for i, key in enumerate(keys):
        value = table.get_with(key, make) if i % 2 else table.get(key, partial(make, key))
        assert value == f"value {key}"
        assert key in table
        assert len(table) <= 5
    # A key is made again only after the table was emptied: never more often than asked.
    assert len(made) <= len(keys)
    if len(set(keys)) <= 5:
        assert sorted(made) == sorted(set(keys))


def test_a_hit_does_not_call_make() -> None:
    table: Table[str, int] = Table(maxsize=2)
    assert table.get_with("a", len) == 1

    def refuse(key: str) -> int:
        raise AssertionError("made twice")

    assert table.get_with("a", refuse) == 1
    assert table.get("a", lambda: refuse("a")) == 1


def test_a_table_holds_at_least_one_value() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        Table(maxsize=0)


def test_a_memo_hands_back_the_same_table_by_name() -> None:
    memo = Memo()
    assert memo.table("lines", maxsize=3) is memo.table("lines", maxsize=3)
    assert memo.once("k", lambda: [1]) is memo.once("k", lambda: [2])


def test_a_same_key_is_one_object_not_any_equal_one() -> None:
    table: Table[Same, str] = Table(4)
    first, equal = [1, 2], [1, 2]
    assert table.get(Same(first), lambda: "first") == "first"
    assert table.get(Same(first), lambda: "again") == "first"
    assert table.get(Same(equal), lambda: "equal") == "equal"
    assert Same(first) != first and Same(first) == Same(first)
