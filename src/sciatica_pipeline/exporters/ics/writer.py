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
from collections.abc import Callable
from dataclasses import dataclass
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

    __slots__ = ("_dates", "_folds", "_lines", "_stand_in", "_times", "_zoned")

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
