"""A read-only, hashable mapping, so the model's objects can hold mappings and still be
immutable values (compared and hashed by content)."""

from __future__ import annotations

import copyreg
import inspect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import fields
from operator import attrgetter
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")
C = TypeVar("C", bound=type)


class FrozenMap(Mapping[K, V]):
    """A mapping that cannot change after it is made; it keeps its items' order.

    Equal to any mapping with the same items (like `dict`), and hashable when its values
    are, so a frozen dataclass that holds one is a value too.
    """

    __slots__ = ("_hash", "_items")

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._items: dict[K, V] = dict(items)
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:  # computed once: a bundle's maps are hashed as memo keys
            self._hash = hash(frozenset(self._items.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._items,))


def frozen(items: Mapping[K, V]) -> FrozenMap[K, V]:
    """`items` as a FrozenMap (itself when it already is one)."""
    return items if isinstance(items, FrozenMap) else FrozenMap(items)


def pickled_as_call(cls: C) -> C:
    """Make a slotted dataclass pickle as a call of the class with its fields, in order.

    dataclasses pickles a slotted class with a `__getstate__` and a `__setstate__` that look
    up the class's fields for every object. The parts and outcomes of a patient cross from a
    worker to the main process by the dozen, and that lookup was most of their cost: 36 parts
    took 135 µs to pickle and 149 µs to unpickle, 39 and 47 µs as calls.

    Only for classes whose `__init__` takes exactly their fields, each by position, and that
    have no `__post_init__` (a call would run it again); a subclass (a plugin's own part,
    say) is still pickled as dataclasses pickles it, keeping its type and fields."""
    names = tuple(f.name for f in fields(cls))
    parameters = list(inspect.signature(cls).parameters.values())
    if (
        len(names) < 2  # attrgetter gives a tuple for two names or more
        or tuple(p.name for p in parameters) != names
        or any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in parameters)
        or hasattr(cls, "__post_init__")
    ):
        raise TypeError(
            f"{cls.__name__} cannot be pickled as a call: its __init__ must take its two or "
            "more fields, each by position, and nothing else, and it may have no __post_init__"
        )
    values = attrgetter(*names)
    new_object = getattr(copyreg, "__newobj__")  # noqa: B009 - missing from the type stubs

    def __reduce__(self: Any) -> tuple[Any, ...]:
        if type(self) is not cls:
            return (new_object, (type(self),), self.__getstate__())
        return (cls, values(self))

    setattr(cls, "__reduce__", __reduce__)  # noqa: B010 - mypy refuses assigning a method
    return cls
