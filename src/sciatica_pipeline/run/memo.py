"""The per-run memo: what an exporter computes once in a run and reuses for every plan or
patient (a plan's texts, a calendar's shared lines).

The pipeline gives each exporter a memo of its own in its context, made when the run starts
and dropped when it ends, so nothing is kept in module globals, nothing outlives the run, and
two formats cannot see each other's entries. In a run on several processes each worker fills
its own copy.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


class Same:
    """A memo key that is one object itself, not any equal one: for values whose hash walks
    all of them (a bundle, a phase, a patient). The key holds the object, so its id is not
    reused while the key lives."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.value is self.value


class Table(Generic[K, V]):
    """A bounded memo table. When it is full it is emptied and fills again: for values that
    vary from patient to patient (texts per clinic, calendar lines), where keeping the
    most recent ones costs more bookkeeping than it saves."""

    __slots__ = ("_values", "maxsize")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("a memo table holds at least one value")
        self.maxsize = maxsize
        self._values: dict[K, V] = {}

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The value for `key`, made by `make` when the table does not hold it."""
        try:  # one hash of the key on a hit, which is what a warm run mostly sees
            return self._values[key]
        except KeyError:
            pass  # made outside the handler, so a failure in `make` carries no KeyError
        return self._keep(key, make())

    def get_with(self, key: K, make: Callable[[K], V]) -> V:
        """The value for `key`, made by `make(key)` when the table does not hold it: for hot
        paths, where building a closure for `get` on every hit would cost more than the
        lookup."""
        try:
            return self._values[key]
        except KeyError:
            pass
        return self._keep(key, make(key))

    def _keep(self, key: K, value: V) -> V:
        values = self._values
        if len(values) >= self.maxsize:
            values.clear()
        values[key] = value
        return value

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values


class Memo:
    """One exporter's memo for one run (`context.memo`)."""

    __slots__ = ("_tables", "_values")

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._tables: dict[str, Table[Any, Any]] = {}

    def once(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value for `key`, made by `make` the first time it is asked for in this run.

        For a handful of values per run (one per plan or per option set): they are never
        evicted. Use `table` for values that vary per patient.
        """
        values = self._values
        if key not in values:
            values[key] = make()
        value: T = values[key]
        return value

    def table(self, name: str, *, maxsize: int) -> Table[Any, Any]:
        """The bounded table called `name`, made on first use with room for `maxsize` values."""
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = Table(maxsize)
        return table
