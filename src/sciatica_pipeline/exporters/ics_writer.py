"""Calendars as plain data, written by icalendar one distinct line at a time.

Most lines of a patient's calendar are the same for every patient on the same plan: the long
descriptions, the alarms, the VTIMEZONE. Only UIDs and dates differ. Building icalendar's
component objects for every line of every calendar took about 7 ms a calendar, most of it
re-encoding those shared lines (see docs/decisions/0006-calendar-speed.md).

So a calendar is described as a tree of `Node`s, and `to_bytes` has icalendar make each
distinct property line once: icalendar still picks the value type and parameters (TZID,
VALUE), escapes, folds and orders the properties. `to_component` turns the same tree into
icalendar's objects; the tests prove both give the same bytes.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

#: A property value: what icalendar's `Component.add` accepts, in a hashable form. A
#: recurrence rule is a tuple of (part, value) pairs, for example
#: `(("FREQ", "DAILY"), ("UNTIL", until))`.
Value = str | int | dt.date | dt.datetime | dt.timedelta | tuple[tuple[str, Any], ...]

#: Properties whose values are never shared between calendars: memoising them would only
#: push shared lines out of the memo.
UNSHARED = frozenset({"UID"})

#: How many distinct lines to keep; the memo is emptied when it is full.
MEMO_SIZE = 20_000


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


def _identity(value: Value) -> tuple[Any, ...]:
    """A memo key that tells apart values Python calls equal but icalendar writes
    differently: the same instant in two time zones, or 1 and True."""
    if isinstance(value, tuple):
        return tuple((part, _identity(item)) for part, item in value)
    if isinstance(value, dt.datetime):
        return (dt.datetime, value.isoformat(), str(value.tzinfo), value.fold)
    return (type(value), value)


def _encode(kind: str, name: str, value: Value) -> bytes:
    """One property as icalendar writes it in a component of this kind, CRLF included."""
    component = _component(kind)
    component.add(name, _plain(value))
    line: bytes = component.content_line(name, component[name]).to_ical()
    return line + b"\r\n"


_lines: dict[tuple[Any, ...], bytes] = {}


def _line(kind: str, name: str, value: Value) -> bytes:
    if name.upper() in UNSHARED:
        return _encode(kind, name, value)
    key = (kind, name, _identity(value))
    line = _lines.get(key)
    if line is None:
        if len(_lines) >= MEMO_SIZE:
            _lines.clear()
        line = _lines[key] = _encode(kind, name, value)
    return line


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


def to_bytes(node: Node) -> bytes:
    """The component as RFC 5545 bytes: the same bytes as `to_component(node).to_ical()`."""
    begin, end = _frame(node.kind)
    parts = [begin]
    properties = node.properties
    for i in _order(node.kind, tuple(name for name, _ in properties)):
        parts.append(_line(node.kind, *properties[i]))
    for child in node.children:
        parts.append(child.data if isinstance(child, Ready) else to_bytes(child))
    parts.append(end)
    return b"".join(parts)


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
