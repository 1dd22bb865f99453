"""A quick "valid" for the records of a long patient list, remembered field by field.

jsonschema checks every record whole: about 0.2 ms a patient, most of the main process's
time in a `patients` run. But the patient schema is an object of independent fields (`type:
object`, `properties`, `required`, `additionalProperties: false`), so a record is valid
exactly when it has every required field, no other field, and each field's value is valid
on its own. And most values repeat from record to record (the plan, the zone, the session
times, the clinic). `RecordVerdicts` asks jsonschema about each distinct (field, value) once,
using the schema itself without `required`, and answers True only when every field of the
record is known to be valid. Any other answer means "check the whole record", which is what
reports the problems: a record that fails never gets a verdict from here.

What it remembers is the valid values alone, for one list (the readers make one each):
fields marked `x-private` (a name, a mobile number) are asked every time and never kept, and
a value that fails is not kept either, as a shifted row can put a name in another column.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

#: Keywords of the top-level schema this reasoning holds for; with any other (`if`,
#: `dependentRequired`, `patternProperties`, ...) fields would not be independent.
_INDEPENDENT_FIELDS = frozenset({"type", "properties", "required", "additionalProperties"})
#: Keywords that do not constrain the instance.
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$comment", "examples"})

#: How many valid (field, value) pairs to keep; the memo is emptied when it is full.
VERDICTS_SIZE = 65_536


def _hashable(value: Any) -> Hashable | None:
    """The value as a memo key that tells apart what JSON tells apart (1, 1.0 and true are
    three values), or None for values not worth keeping (objects, nested lists)."""
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return (kind, value)
    if kind is list and all(type(item) in (str, int, float, bool) for item in value):
        return (list, tuple((type(item), item) for item in value))
    return None


class RecordVerdicts:
    """Quick verdicts for records of one object schema (see the module's text).

    :param schema: the schema records must match.
    :param make_validator: builds a validator for a schema, the same way the whole records'
        validator is built (the same class, format checker and registry), so a field's verdict
        is the one the whole check gives it.
    """

    __slots__ = ("_field_valid", "_private", "_properties", "_required", "_usable", "_valid")

    def __init__(
        self, schema: Mapping[str, Any], make_validator: Callable[[dict[str, Any]], Any]
    ) -> None:
        keywords = set(schema) - _ANNOTATIONS
        self._usable = (
            keywords <= _INDEPENDENT_FIELDS
            and schema.get("type") == "object"
            and schema.get("additionalProperties") is False
            and isinstance(schema.get("properties"), dict)
        )
        properties = schema.get("properties", {})
        self._properties = frozenset(properties)
        # Private values (names, mobile numbers) are checked every time and never kept: the
        # memo outlives the run, and they seldom repeat anyway.
        self._private = frozenset(
            name
            for name, sub in properties.items()
            if isinstance(sub, Mapping) and sub.get("x-private") is True
        )
        self._required = frozenset(schema.get("required", ()))
        shell = {key: value for key, value in schema.items() if key != "required"}
        self._field_valid: Callable[[Any], bool] = make_validator(shell).is_valid
        self._valid: set[tuple[str, Hashable]] = set()

    def valid(self, record: Mapping[str, Any]) -> bool:
        """True when the record is certainly valid; False when it must be checked whole."""
        if not self._usable or not isinstance(record, dict):
            return False
        keys = record.keys()
        if not (self._required <= keys <= self._properties):
            return False
        valid = self._valid
        for name, value in record.items():
            if name in self._private:
                if not self._field_valid({name: value}):
                    return False
                continue
            key = _hashable(value)
            if key is None:
                return False
            if (name, key) in valid:
                continue
            if not self._field_valid({name: value}):
                return False
            if len(valid) >= VERDICTS_SIZE:
                valid.clear()
            valid.add((name, key))
        return True
