"""Folding with reused pieces gives exactly icalendar's fold of the whole line, for lines that
share beginnings of any length and differ anywhere, escapes and multi-byte characters
included."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar.parser import Contentline

from sciatica_pipeline.exporters.ics import fold as ics_fold
from sciatica_pipeline.exporters.ics.fold import fold
from sciatica_pipeline.run.memo import Table

# One table for the whole module, as in a long run: lines of earlier tests are still there.
RECENT: Table[Any, Any] = Table(ics_fold.BEGINNINGS)

# Backslash escapes (which icalendar keeps on one piece), one- to four-octet characters.
ALPHABET = "ab ,;:\\\\nN^é€😀"
texts = st.text(st.sampled_from(ALPHABET), max_size=300)


def icalendar_fold(line: str) -> bytes:
    content_line: Any = Contentline
    folded: bytes = content_line(line).to_ical()
    return folded


@settings(max_examples=300, deadline=None)
@given(
    head=st.text(st.sampled_from(ALPHABET), min_size=0, max_size=3000),
    tails=st.lists(texts, min_size=1, max_size=6),
    cuts=st.lists(st.integers(0, 3000), min_size=1, max_size=6),
)
def test_folds_are_icalendars_whatever_the_lines_share(
    head: str, tails: list[str], cuts: list[int]
) -> None:
    """Lines that share a beginning (the same plan, another clinic), cut anywhere."""
    family = object()
    prefix = "DESCRIPTION:" + "x" * ics_fold.REUSE_FROM  # every line long enough to reuse
    for tail, cut in zip(tails, cuts * len(tails), strict=False):
        line = prefix + head[:cut] + tail
        assert fold(line, family, RECENT) == icalendar_fold(line)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.sampled_from(ALPHABET), max_size=2000), min_size=1, max_size=5))
def test_folds_of_unrelated_lines_are_icalendars(lines: list[str]) -> None:
    family = object()
    for text in lines:
        line = "DESCRIPTION:" + text
        assert fold(line, family, RECENT) == icalendar_fold(line)


def test_a_piece_is_not_reused_when_the_next_line_differs_just_after_it() -> None:
    """The character after a piece decides where it ends: a backslash there moves."""
    family = object()
    base = "DESCRIPTION:" + "y" * ics_fold.REUSE_FROM + "z" * 1000
    assert fold(base, family, RECENT) == icalendar_fold(base)
    for position in range(ics_fold.REUSE_FROM + 60, ics_fold.REUSE_FROM + 240):
        for insert in ("\\,", "é", "😀"):
            line = base[:position] + insert + base[position:]
            assert fold(line, family, RECENT) == icalendar_fold(line), (position, insert)


def test_the_memory_of_recent_lines_is_bounded() -> None:
    recent: Table[Any, Any] = Table(3)
    for i in range(10):
        line = f"DESCRIPTION:{i}" + "w" * ics_fold.REUSE_FROM * 2
        assert fold(line, "family", recent) == icalendar_fold(line)
        assert len(recent) <= 3


def test_lines_are_reused_only_with_a_table() -> None:
    line = "DESCRIPTION:" + "v" * ics_fold.REUSE_FROM * 2 + "é"
    recent: Table[Any, Any] = Table(3)
    assert fold(line, "family") == icalendar_fold(line)
    assert len(recent) == 0
    fold(line, "family", recent)
    assert len(recent) == 1


def test_a_line_of_one_octet_characters_is_never_kept() -> None:
    # Folding it by slices is faster than looking for a line to reuse pieces of.
    recent: Table[Any, Any] = Table(3)
    line = "DESCRIPTION:" + "v" * ics_fold.REUSE_FROM * 2
    assert fold(line, "family", recent) == icalendar_fold(line)
    assert len(recent) == 0


def test_a_backslash_at_the_end_of_a_piece_depends_on_the_character_after_it() -> None:
    """icalendar moves a backslash that would end a piece to the next one. Whether it ends
    the piece depends on the width of the character after it, so two lines that agree up to
    and including the backslash may still fold differently there."""
    start = "DESCRIPTION:" + "y" * ics_fold.REUSE_FROM
    for shift in range(80):
        family = object()
        for after in ("é", "a", "😀", "ab", "€"):
            line = start + "y" * shift + "\\" + after + "z" * 300
            assert fold(line, family, RECENT) == icalendar_fold(line), (shift, after)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("ab ,;:\\^nN"), max_size=2000))
def test_a_line_of_one_octet_characters_folds_as_icalendar_folds_it(line: str) -> None:
    # Such lines (nearly every description) are folded by slices, not by icalendar's loop
    # over characters: escapes' starts that would end a piece move to the next, as there.
    assert fold(line, object()) == icalendar_fold(line)
    assert fold("DESCRIPTION:" + line, object(), RECENT) == icalendar_fold("DESCRIPTION:" + line)


def test_an_icalendar_that_folds_otherwise_folds_every_line_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before icalendar 7.3 a backslash could end a piece; an icalendar whose fold of the
    # probes differs from the slices folds every line itself.
    def plain_slices(line: str) -> list[str]:
        return [line[i : i + 74] for i in range(0, len(line), 74)] or [""]

    monkeypatch.setattr(ics_fold, "_ascii_pieces", plain_slices)
    ics_fold._slices_agree.cache_clear()
    try:
        assert not ics_fold._slices_agree()
        for line in ics_fold._PROBES:
            assert fold(line, object()) == icalendar_fold(line)
    finally:
        ics_fold._slices_agree.cache_clear()
