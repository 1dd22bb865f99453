"""Turns jsonschema's validation errors into one plain-English line each, with a JSON pointer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from jsonschema import ValidationError

_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object with fields",
    "null": "null",
}


def json_pointer(parts: Iterable[str | int]) -> str:
    """An RFC 6901 JSON pointer for a path of keys and indexes ("" is the whole document)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def describe_value(value: Any, limit: int = 60) -> str:
    """A short, readable rendering of a JSON value for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 1] + "…"
        return f'"{text}"'
    if isinstance(value, list):
        return "an empty list" if not value else f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return "an object"
    return str(value)


def _type_name(expected: str | Sequence[str]) -> str:
    if isinstance(expected, str):
        return _TYPE_NAMES.get(expected, expected)
    return " or ".join(_TYPE_NAMES.get(t, t) for t in expected)


def _actual_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def humanize(error: ValidationError, *, echo: bool = True) -> Iterator[tuple[str, str]]:
    """(pointer, message) pairs for one validation error.

    A missing or unknown field is reported at the field's own pointer, which is where the
    author has to look.

    :param echo: quote the wrong value in the message. Patient records pass False: in a row
        with a missing cell, the value in a column may be another column's name or number.
    """
    base = list(error.absolute_path)
    here = json_pointer(base)
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    hint = schema.get("x-hint")
    expected: Any = error.validator_value
    # Fields marked x-private (a patient's name or mobile number) are never echoed.
    shown = "the value" if schema.get("x-private") or not echo else describe_value(value)
    match error.validator:
        case "required":
            missing = [f for f in expected if isinstance(value, dict) and f not in value]
            for field in missing:
                yield json_pointer([*base, field]), "this required field is missing"
        case "additionalProperties":
            allowed = sorted(schema.get("properties", {}))
            extras = sorted(set(value) - set(allowed)) if isinstance(value, dict) else []
            for field in extras:
                yield (
                    json_pointer([*base, field]),
                    "unknown field (check the spelling); allowed fields are: " + ", ".join(allowed),
                )
        case "type":
            message = f"expected {_type_name(expected)}, got {_actual_type(value)} ({shown})"
            yield here, f"{message}; {hint}" if hint else message
        case "enum":
            choices = ", ".join(str(v) for v in expected)
            yield here, f"{shown} is not allowed; use one of: {choices}"
        case "format" if expected == "date" and isinstance(value, str) and _looks_like_date(value):
            yield here, f"{shown} is not a real date: check the day and the month"
        case "pattern" | "format":
            fix = hint or f"it must match the pattern {expected}"
            if error.validator == "format":
                fix = hint or f"it must be a valid {expected}"
            yield here, f"{shown} is not valid: {fix}"
        case "minLength":
            if expected == 1:
                yield here, "must not be empty"
            else:
                yield here, f"is too short: use at least {expected} characters"
        case "maxLength":
            yield here, f"is too long: use at most {expected} characters"
        case "minItems":
            yield here, f"needs at least {expected} item(s)"
        case "maxItems":
            yield here, f"has too many items: at most {expected}"
        case "uniqueItems":
            yield here, "lists the same item more than once"
        case "minProperties":
            yield here, "give at least one field"
        case "minimum" | "exclusiveMinimum" if not echo:
            yield here, f"is too small: the least allowed is {expected}"
        case "maximum" | "exclusiveMaximum" if not echo:
            yield here, f"is too large: the most allowed is {expected}"
        case _ if not echo:
            yield here, f"the value is not allowed here ({error.validator})"
        case _:
            yield here, error.message


def _looks_like_date(value: str) -> bool:
    """Written as YYYY-MM-DD, whether or not such a day exists."""
    return len(value) == 10 and value[4] == value[7] == "-" and value.replace("-", "").isdigit()
