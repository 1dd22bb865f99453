"""Folding long content lines (RFC 5545, 3.1) with icalendar, reusing the folds of similar lines.

icalendar folds character by character: about 0.4 ms for a 2,500-character description,
most of the cost of writing one. The descriptions of a plan's sessions differ from clinic to
clinic only near the end, where the clinic's name and phone go. icalendar folds greedily from
the start of a line, each piece holding at most 74 octets, so where two lines agree their
pieces agree too. A piece ends before the character that does not fit, or one character
sooner when that would leave an escape's backslash at its end, so the two characters after
a piece decide where it ends: a piece of an earlier line is reused when both lines agree up
to two characters past it. icalendar folds the rest, from the first piece that cannot be
reused, exactly as it would have continued.

A line of one-octet characters (nearly every line we write) is folded by slices instead,
by icalendar's rule: faster still, and with nothing to keep.

The tests compare every fold with icalendar's own fold of the whole line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from functools import lru_cache
from typing import Any

from sciatica_pipeline.run.memo import Table

#: Lines shorter than this are folded whole: comparing would cost more than it saves. Longer
#: lines are compared only with recent lines that begin with the same this many characters
#: (the same plan, phase and session, in a description).
REUSE_FROM = 400
#: How many recent lines to keep for each beginning, and how many beginnings.
RECENT = 4
BEGINNINGS = 512
#: What icalendar puts between the pieces of a folded line.
SEPARATOR = "\r\n "


#: icalendar's limit: a piece ends before the character that would bring it to this many
#: octets.
LIMIT = 75
#: What icalendar keeps from ending a piece: the start of an escape (TEXT's backslash, RFC
#: 6868's caret), moved to the next piece instead.
_ESCAPES = "\\^"


def _icalendar_pieces(line: str) -> list[str]:
    """The pieces icalendar folds `line` into (`Contentline(line).to_ical()`, split)."""
    if line.isascii() and _slices_agree():
        return _ascii_pieces(line)
    return _folded_by_icalendar(line)


def _folded_by_icalendar(line: str) -> list[str]:
    from icalendar.parser import Contentline

    content_line: Any = Contentline
    folded: bytes = content_line(line).to_ical()
    return folded.decode("utf-8").split(SEPARATOR)


#: Lines whose folds tell icalendar's rules apart: an escape's start just before a fold, a
#: caret there, and a line that ends exactly on a piece.
_PROBES = (
    "DESCRIPTION:" + "a" * 61 + "\\,b" + "c" * 100,
    "X-NOTE;X-P=a" + "b" * 61 + "^^" + "c" * 100,
    "D" * 74 * 3,
)


@lru_cache(maxsize=1)
def _slices_agree() -> bool:
    """Whether the installed icalendar folds as `_ascii_pieces` does: older releases cut a
    backslash from its character, and then icalendar folds every line itself."""
    return all(_ascii_pieces(line) == _folded_by_icalendar(line) for line in _PROBES)


def _ascii_pieces(line: str) -> list[str]:
    """icalendar's fold (`icalendar.parser.string._foldline`) of a line of one-octet
    characters, by slices instead of character by character: every piece holds LIMIT - 1
    characters, one fewer where the last would be an escape's start. The tests hold it to
    icalendar's own fold of any such line."""
    pieces = []
    start, most = 0, LIMIT - 1
    while len(line) - start > most:
        end = start + most
        if line[end - 1] in _ESCAPES:
            end -= 1
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return pieces


def _agreeing(a: str, b: str) -> int:
    """How many leading characters `a` and `b` share (slices compare in C, halving)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def fold(line: str, family: Hashable, recent_lines: Table[Any, Any] | None = None) -> bytes:
    """The content line folded exactly as icalendar folds it, without CRLF at the end.

    `family` names the lines likely to share a beginning (the component kind and property
    name, say); only lines of the same family are compared. `recent_lines` is the memo
    table (at most BEGINNINGS beginnings) that keeps the recent lines of each beginning;
    without one, nothing is reused.
    """
    if len(line) < REUSE_FROM or recent_lines is None or line.isascii():
        # A line of one-octet characters is folded by slices, faster than finding a line
        # to reuse pieces of.
        return SEPARATOR.join(_icalendar_pieces(line)).encode("utf-8")
    recent: deque[tuple[str, tuple[str, ...]]] = recent_lines.get(
        (family, line[:REUSE_FROM]), lambda: deque(maxlen=RECENT)
    )
    reused: tuple[str, ...] = ()
    for earlier, pieces in recent:
        agree = _agreeing(line, earlier)
        end, usable = 0, 0
        for piece in pieces[:-1]:  # the last piece ended with its line, not by a fold
            if end + len(piece) + 2 > agree:
                break
            end += len(piece)
            usable += 1
        if usable > len(reused):
            reused = pieces[:usable]
    done = sum(len(piece) for piece in reused)
    pieces = (*reused, *_icalendar_pieces(line[done:]))
    recent.append((line, pieces))
    return SEPARATOR.join(pieces).encode("utf-8")
