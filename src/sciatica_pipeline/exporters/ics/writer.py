"""Calendars as plain data, written by icalendar one distinct line at a time.

Most lines of a patient's calendar are the same for every patient on the same plan: the long
descriptions, the alarms, the VTIMEZONE. Only UIDs and date-times differ. Building
icalendar's component objects for every line of every calendar took about 8 ms a calendar,
most of it re-encoding those shared lines (see docs/decisions/0006-calendar-speed.md).

So a calendar is described as a tree of `Node`s, and `to_bytes` has icalendar write each
distinct line once: icalendar still picks the value type and parameters (TZID, VALUE),
escapes, folds and orders the properties. Lines that differ only by a date-time or a plain
UID are made from a line icalendar wrote with a stand-in of the same length. `to_component`
turns the same tree into icalendar's objects; the tests prove both give the same bytes.

What is reused lives in the run's memo (`Memo`), handed in by the exporter's context: a
`Writer` is made per calendar around it, so nothing is kept in module globals.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sciatica_pipeline.exporters.ics.fold import BEGINNINGS, fold
from sciatica_pipeline.run.memo import Memo, Table

#: A property value: what icalendar's `Component.add` accepts, in a hashable form. A
#: recurrence rule is a tuple of (part, value) pairs, for example
#: `(("FREQ", "DAILY"), ("UNTIL", until))`.
Value = str | int | dt.date | dt.datetime | dt.timedelta | tuple[tuple[str, Any], ...]

#: Properties whose values are never shared between calendars: memoising their whole lines
#: would only push shared lines out of the memo.
UNSHARED = frozenset({"UID"})

#: How many distinct lines to keep; the memo table is emptied when it is full.
MEMO_SIZE = 10_000
#: How many date and time digit strings to keep.
DIGITS_SIZE = 4096
#: How many (component, property, zone) date-time templates to keep.
ZONED_SIZE = 1024
#: How many component patterns (`Shaped`) to keep.
PATTERNS_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Node:
    """A calendar component as data: its kind, its properties (each name at most once, in
    any order: icalendar's canonical order is applied) and its subcomponents."""

    kind: str
    properties: tuple[tuple[str, Value], ...]
    children: tuple[Node | Ready, ...] = ()

    def __post_init__(self) -> None:
        names = [name.upper() for name, _ in self.properties]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.kind} names a property twice: {', '.join(names)}")


@dataclass(frozen=True, slots=True, eq=False)
class Ready:
    """A component icalendar built whole (a VTIMEZONE, say), with its bytes."""

    component: Any
    data: bytes

    @classmethod
    def of(cls, component: Any) -> Ready:
        """Wrap an icalendar component, serialising it once."""
        return cls(component, component.to_ical())


@dataclass(frozen=True, slots=True, eq=False)
class Shaped:
    """A component whose bytes are the same for many calendars except for `values`: the
    date-times, dates, UIDs and long texts of one calendar. `Writer.shaped` writes the
    component once per `key` with stand-ins for the values (the pattern), then fills in each
    calendar's own, which skips icalendar's per-line work for all but the values.

    :param key: with the kinds of the values, everything that decides the other bytes of
        the component (its kind, its fixed property values): two components with the same
        key must differ in `values` alone.
    :param build: the component, without children, from its values.
    :param values: date-times, dates and texts, each the value of one property (or, for a
        date-time, part of one: a recurrence rule's UNTIL, say).
    :param children: its subcomponents, written after its properties.
    """

    key: Hashable
    build: Callable[[tuple[Value, ...]], Node]
    values: tuple[Value, ...]
    children: tuple[Node | Ready | Shaped, ...] = ()

    def node(self) -> Node:
        """The component as a `Node` (for `to_component`, and the tests' reference)."""
        children = tuple(c.node() if isinstance(c, Shaped) else c for c in self.children)
        return replace(self.build(self.values), children=children)


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A component's bytes cut at its values: `pieces[i]` comes before the value numbered
    `order[i]`, the last piece after the last value; then the children, then `end`. A value
    numbered in `lines` fills its whole property line (named there), written on its own."""

    kind: str
    pieces: tuple[bytes, ...]
    order: tuple[int, ...]
    lines: dict[int, str]
    end: bytes


def _hole(value: Value) -> Hashable | None:
    """What fills a pattern's hole for this value, as part of the pattern's key: a zone's
    identity for a date-time, "date", the length of a text written as it is (a UID), "text"
    for any other text (its whole line is written on its own); None for other values."""
    kind = type(value)
    if kind is dt.datetime:
        assert isinstance(value, dt.datetime)
        return _zone_identity(value.tzinfo)
    if kind is dt.date:
        return "date"
    if kind is str:
        assert isinstance(value, str)
        return len(value) if _VERBATIM.fullmatch(value) else "text"
    return None


# Each hole of a pattern gets a stand-in of its own, from two sets whose date-times fall in
# winter and in summer; the years keep every stand-in's digits apart.
_VERBATIM_LETTERS = ("QJKWVX", "ZYHGFB")
_MAX_DATETIMES = 9


def _hole_stand_in(value: Value, shape: Hashable, number: int, second: bool) -> Value | None:
    """The stand-in for hole `number` of this shape, from the first or second set; None when
    the pattern has too many holes of that kind."""
    if isinstance(value, dt.datetime):
        if number >= _MAX_DATETIMES:
            return None
        when = (
            dt.datetime(2011 + number, 7, 8, 9, 10, 11)
            if second
            else dt.datetime(2001 + number, 1, 2, 3, 4, 5)
        )
        return when.replace(tzinfo=value.tzinfo)
    if isinstance(value, dt.date):
        if number >= _MAX_DATETIMES:
            return None
        return dt.date(2031 + number, 7, 8) if second else dt.date(2021 + number, 1, 2)
    if isinstance(shape, int):
        letters = _VERBATIM_LETTERS[second]
        return letters[number] * shape if number < len(letters) else None
    return f"{'ZX' if second else 'QJ'}TEXT{number}"


def _component(kind: str) -> Any:
    from icalendar import Component

    return Component.get_component_class(kind)()


def _plain(value: Value) -> Any:
    """The value as `Component.add` takes it."""
    return dict(value) if isinstance(value, tuple) else value


def _zone_identity(zone: dt.tzinfo | None) -> tuple[Any, ...] | None:
    """How icalendar names this zone, for zones whose name does not depend on the date; None
    for other zones (icalendar may fall back to `tzname()`, which changes with the date)."""
    if zone is None:
        return ("floating",)
    if isinstance(zone, ZoneInfo) and zone.key:
        return ("zoneinfo", zone)  # the object: a zone read from a file may reuse a key
    if isinstance(zone, dt.timezone):
        return ("fixed", zone.utcoffset(None), zone.tzname(None))
    return None


def _identity(value: object) -> tuple[Any, ...] | None:
    """A memo key that tells apart values Python calls equal but icalendar writes
    differently (the same instant in two time zones, 1 and True, 0.0 and -0.0); None when
    the value must not be memoised."""
    if getattr(value, "params", None):  # an icalendar value carrying its own parameters
        return None
    if isinstance(value, tuple):
        items = tuple(_identity(item) for item in value)
        return None if None in items else (tuple, items)
    if isinstance(value, dt.datetime):
        zone = _zone_identity(value.tzinfo)
        if zone is None:
            return None
        return (dt.datetime, value.replace(tzinfo=None), value.fold, zone)
    if isinstance(value, dt.time) and value.tzinfo is not None:
        return None
    if type(value) is str:
        return (str, value)
    return (type(value), value, repr(value))


# Date-times differ from patient to patient, so memoising whole lines would not help them.
# Instead icalendar writes the line once with a stand-in date-time (the template), and each
# value's digits take the stand-in's place. That is only right where icalendar writes the
# digits as given: it converts DTSTAMP to UTC, for example, which leaves them unchanged only
# where the offset happens to be zero. So the stand-in is written in a zone that is never at
# UTC (Asia/Tokyo) as well as in the value's own zone, in winter and in summer; where any of
# these is not written as given, the line is memoised whole instead.
_STAND_INS = (dt.datetime(2001, 1, 2, 3, 4, 5), dt.datetime(2002, 7, 8, 9, 10, 11))
_NEVER_UTC = "Asia/Tokyo"


def _the_datetime(value: Value) -> dt.datetime | None:
    """The one date-time in the value (itself, or one part of a recurrence rule), if any."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, tuple):
        found = [item for _, item in value if isinstance(item, dt.datetime)]
        if len(found) == 1:
            return found[0]
    return None


def _with_datetime(value: Value, when: dt.datetime) -> Value:
    if isinstance(value, tuple):
        return tuple(
            (part, when if isinstance(item, dt.datetime) else item) for part, item in value
        )
    return when


# UIDs differ in every calendar too. A text made only of these characters is written as it
# is (RFC 5545 escapes only backslash, semicolon, comma and line breaks), so it can take a
# stand-in's place in the same way, as long as it has the stand-in's length.
_VERBATIM = re.compile(r"[A-Za-z0-9@._-]+")


def _date_digits(day: dt.date) -> bytes:
    from icalendar import vDate

    encoded: Any = vDate(day)
    digits: bytes = encoded.to_ical()
    return digits


def _time_digits(time: dt.time) -> bytes:
    from icalendar import vTime

    encoded: Any = vTime(time)
    return str(encoded.to_ical()).encode("ascii")


@lru_cache(maxsize=256)
def _is_text(name: str) -> bool:
    """Whether icalendar writes this property's values as TEXT."""
    from icalendar import Component, vText

    return Component.types_factory.for_property(name) is vText


@lru_cache(maxsize=64)
def _frame(kind: str) -> tuple[bytes, bytes]:
    """The BEGIN and END lines of a component of this kind."""
    begin, end = _component(kind).to_ical().splitlines(keepends=True)
    return begin, end


@lru_cache(maxsize=256)
def _order(kind: str, names: tuple[str, ...]) -> tuple[int, ...]:
    """The positions of `names` in the order icalendar writes them for this kind."""
    component = _component(kind)
    for name in names:
        component[name] = ""
    position = {name.upper(): i for i, name in enumerate(names)}
    return tuple(position[name.upper()] for name in component.sorted_keys())


class Writer:
    """Writes calendars, reusing the lines, templates and folds kept in a run's memo."""

    __slots__ = ("_dates", "_folds", "_lines", "_patterns", "_stand_in", "_times", "_zoned")

    def __init__(self, memo: Memo | None = None) -> None:
        memo = memo if memo is not None else Memo()
        self._lines: Table[tuple[Any, ...], bytes | None] = memo.table(
            "ics.lines", maxsize=MEMO_SIZE
        )
        self._folds: Table[Any, Any] = memo.table("ics.folds", maxsize=BEGINNINGS)
        self._dates: Table[dt.date, bytes] = memo.table("ics.dates", maxsize=DIGITS_SIZE)
        self._times: Table[dt.time, bytes] = memo.table("ics.times", maxsize=DIGITS_SIZE)
        self._zoned: Table[tuple[Any, ...], bytes | None] = memo.table(
            "ics.zoned", maxsize=ZONED_SIZE
        )
        self._patterns: Table[tuple[Any, ...], _Pattern | None] = memo.table(
            "ics.patterns", maxsize=PATTERNS_SIZE
        )
        # The digits every date-time template holds, replaced by each value's own.
        self._stand_in = self._digits(_STAND_INS[0])

    def to_bytes(self, node: Node) -> bytes:
        """The component as RFC 5545 bytes: the same bytes as `to_component(node).to_ical()`."""
        begin, end = _frame(node.kind)
        parts = [begin]
        properties = node.properties
        for i in _order(node.kind, tuple(name for name, _ in properties)):
            name, value = properties[i]
            parts.append(self._line(node.kind, name.upper(), value))
        for child in node.children:
            parts.append(child.data if isinstance(child, Ready) else self.to_bytes(child))
        parts.append(end)
        return b"".join(parts)

    def shaped(self, item: Shaped) -> bytes:
        """The component's bytes: the same as `to_bytes(item.node())`, filled into the
        pattern of `item.key` where one could be made (otherwise written line by line)."""
        values = item.values
        shapes = tuple(_hole(value) for value in values)
        pattern = self._patterns.get_with((item.key, shapes), lambda _: self._pattern(item, shapes))
        if pattern is None:
            return self.to_bytes(item.node())
        pieces, lines, kind = pattern.pieces, pattern.lines, pattern.kind
        parts = []
        for piece, number in zip(pieces[:-1], pattern.order, strict=True):
            parts.append(piece)
            name = lines.get(number)
            value = values[number]
            parts.append(
                self._line(kind, name, value) if name is not None else self._hole_bytes(value)
            )
        parts.append(pieces[-1])
        for child in item.children:
            parts.append(
                child.data
                if isinstance(child, Ready)
                else self.shaped(child)
                if isinstance(child, Shaped)
                else self.to_bytes(child)
            )
        parts.append(pattern.end)
        return b"".join(parts)

    def _hole_bytes(self, value: Value) -> bytes:
        """A value as it stands in its line: a date-time's or a date's digits, a UID."""
        if type(value) is dt.datetime:
            assert isinstance(value, dt.datetime)
            return self._digits(value)
        if type(value) is dt.date:
            assert isinstance(value, dt.date)
            return self._dates.get_with(value, _date_digits)
        assert isinstance(value, str)
        return value.encode("ascii")

    def _pattern(self, item: Shaped, shapes: tuple[Hashable, ...]) -> _Pattern | None:
        """The pattern of `item`'s key, proven on two sets of stand-ins; None where a value
        is not written as it is in its line (then the component is written line by line)."""
        if None in shapes:
            return None
        sets = [
            tuple(
                _hole_stand_in(value, shape, number, second)
                for number, (value, shape) in enumerate(zip(item.values, shapes, strict=True))
            )
            for second in (False, True)
        ]
        if any(None in stand_ins for stand_ins in sets):
            return None
        try:
            first, second = (item.build(stand_ins) for stand_ins in sets)  # type: ignore[arg-type]
            kind = first.kind
            texts = {
                number: name.upper()
                for name, value in first.properties
                for number, shape in enumerate(shapes)
                if shape == "text" and value == sets[0][number]
            }
            if len(texts) != shapes.count("text"):  # a text inside another value
                return None
            made = self._cut(first, sets[0], texts)
            if made is None:
                return None
            pieces, order, end = made
            proof = self._cut(second, sets[1], texts)
            if proof is None or proof[0] != pieces or proof[1] != order:
                return None
            # icalendar converts some date-times to UTC, which leaves the digits as they are
            # only where the offset is zero: the date-times must also be written as given in
            # a zone never at UTC (as `_template` checks for one line).
            elsewhere = tuple(
                stand_in.replace(tzinfo=ZoneInfo(_NEVER_UTC))
                if isinstance(stand_in, dt.datetime)
                else stand_in
                for stand_in in sets[0]
            )
            written = self.to_bytes(replace(item.build(elsewhere), children=()))  # type: ignore[arg-type]
            for stand_in in elsewhere:
                if isinstance(stand_in, dt.datetime) and written.count(self._digits(stand_in)) != 1:
                    return None
        except Exception:  # a refused stand-in only means no shortcut, as for one line
            return None
        return _Pattern(kind, pieces, order, texts, end)

    def _cut(
        self, node: Node, stand_ins: tuple[Value | None, ...], texts: dict[int, str]
    ) -> tuple[tuple[bytes, ...], tuple[int, ...], bytes] | None:
        """The component's bytes (children left out) cut where each stand-in stands, which
        must be exactly once; None otherwise."""
        data = self.to_bytes(replace(node, children=()))
        end = _frame(node.kind)[1]
        if not data.endswith(end):
            return None
        data = data[: -len(end)]
        found = []
        for number, stand_in in enumerate(stand_ins):
            assert stand_in is not None
            name = texts.get(number)
            marker = (
                self._line(node.kind, name, stand_in)
                if name is not None
                else self._hole_bytes(stand_in)
            )
            if data.count(marker) != 1:
                return None
            found.append((data.index(marker), len(marker), number))
        pieces, order, at = [], [], 0
        for start, length, number in sorted(found):
            if start < at:  # two stand-ins overlap
                return None
            pieces.append(data[at:start])
            order.append(number)
            at = start + length
        pieces.append(data[at:])
        return tuple(pieces), tuple(order), end

    def _encode(self, kind: str, name: str, value: Value) -> bytes:
        """One property as icalendar writes it in a component of this kind, CRLF included."""
        component = _component(kind)
        component.add(name, _plain(value))
        line = component.content_line(name, component[name])
        return fold(str(line), (kind, name), self._folds) + b"\r\n"

    def _digits(self, when: dt.datetime) -> bytes:
        """The date-time's digits as icalendar writes them (YYYYMMDDTHHMMSS)."""
        return (
            self._dates.get_with(when.date(), _date_digits)
            + b"T"
            + self._times.get_with(when.time(), _time_digits)
        )

    def _template(self, kind: str, name: str, value: Value, when: dt.datetime) -> bytes | None:
        """The line with the first stand-in's digits where the date-time goes, or None when
        icalendar does not write the date-time's digits as given."""
        first, second = self._stand_in, self._digits(_STAND_INS[1])
        elsewhere = self._encode(
            kind, name, _with_datetime(value, _STAND_INS[0].replace(tzinfo=ZoneInfo(_NEVER_UTC)))
        )
        if elsewhere.count(first) != 1:
            return None
        winter, summer = (
            _with_datetime(value, stand_in.replace(tzinfo=when.tzinfo)) for stand_in in _STAND_INS
        )
        line = self._encode(kind, name, winter)
        if line.count(first) != 1 or line.replace(first, second) != self._encode(
            kind, name, summer
        ):
            return None
        return line

    def _text_template(self, kind: str, name: str, length: int) -> bytes | None:
        """The line with a stand-in text of this length, or None when icalendar does not
        write such a text as it is (a long line folds inside it, say)."""
        first, second = "q" * length, "z" * length
        line = self._encode(kind, name, first)
        if line.count(first.encode()) != 1:
            return None
        if line.replace(first.encode(), second.encode()) != self._encode(kind, name, second):
            return None
        return line

    def _datetime_template(
        self, kind: str, name: str, value: Value, when: dt.datetime
    ) -> bytes | None:
        """The memoised template of a line holding one date-time, or None (no shortcut)."""
        shape = _identity(_with_datetime(value, _STAND_INS[0].replace(tzinfo=when.tzinfo)))
        if shape is None:
            return None
        return self._memo_template(
            ("template", kind, name, shape), lambda: self._template(kind, name, value, when)
        )

    def _memo_template(
        self, key: tuple[Any, ...], make: Callable[[], bytes | None]
    ) -> bytes | None:
        """A memoised template, or None where icalendar refuses a stand-in the value's type
        allows (then the value itself is written, and any error is the value's own)."""

        def attempt() -> bytes | None:
            try:
                return make()
            except Exception:  # a refused stand-in only means no shortcut
                return None

        return self._lines.get(key, attempt)

    def _line(self, kind: str, name: str, value: Value) -> bytes:
        """One property line, made by icalendar or from a line icalendar made."""
        if type(value) is str:
            if _is_text(name) and _VERBATIM.fullmatch(value):
                length = len(value)
                template = self._memo_template(
                    ("text", kind, name, length), lambda: self._text_template(kind, name, length)
                )
                if template is not None:
                    return template.replace(b"q" * length, value.encode("ascii"))
            # Most lines of a calendar are texts (summaries, descriptions, CLASS, TRANSP): a
            # text's identity is known without building it.
            return self._memoised(kind, name, value, None if name in UNSHARED else (str, value))
        if name in UNSHARED:
            return self._encode(kind, name, value)
        when = _the_datetime(value)
        if when is not None:
            zone = _zone_identity(when.tzinfo)
            if zone is None:  # a zone icalendar may name by the date: no shortcut
                return self._encode(kind, name, value)
            if type(value) is dt.datetime:
                # A plain date-time's template depends on its zone alone: looked up by the
                # zone, without building the stand-in and its key for every line.
                template = self._zoned.get(
                    (kind, name, zone), lambda: self._datetime_template(kind, name, value, when)
                )
            else:
                template = self._datetime_template(kind, name, value, when)
            if template is not None:
                return template.replace(self._stand_in, self._digits(when))
        return self._memoised(kind, name, value, _identity(value))

    def _memoised(self, kind: str, name: str, value: Value, identity: Any) -> bytes:
        """The whole line, written by icalendar once per identity (every time for None)."""
        if identity is None:
            return self._encode(kind, name, value)
        line = self._lines.get(
            ("line", kind, name, identity), lambda: self._encode(kind, name, value)
        )
        assert line is not None
        return line


def to_bytes(node: Node, memo: Memo | None = None) -> bytes:
    """The component as RFC 5545 bytes: the same bytes as `to_component(node).to_ical()`.

    :param memo: the run's memo, so lines shared by many calendars are made once; without
        one, nothing is reused beyond this call.
    """
    return Writer(memo).to_bytes(node)


def to_component(node: Node) -> Any:
    """The component as new icalendar objects, for callers that want to change it further
    (a shared `Ready` component is copied, so changing it changes no other calendar)."""
    component = _component(node.kind)
    for name, value in node.properties:
        component.add(name, _plain(value))
    for child in node.children:
        if isinstance(child, Ready):
            component.add_component(copy.deepcopy(child.component))
        else:
            component.add_component(to_component(child))
    return component
