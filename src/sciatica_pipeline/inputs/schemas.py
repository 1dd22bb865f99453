"""The JSON Schema contract: finds the schema files and builds one validator per kind of file."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from sciatica_pipeline.inputs.kinds import Kind
from sciatica_pipeline.inputs.verdicts import RecordVerdicts

__all__ = [
    "Kind",
    "data_dir",
    "load_schemas",
    "record_verdicts",
    "registry",
    "schema_dir",
    "validator",
]


def data_dir(name: str) -> Path:
    """A top-level folder of the repository that the wheel also ships (`schema`, `content`).

    An installed wheel carries it inside the package; an editable install or a source checkout
    reads the repository's own folder, which is the one authors edit.
    """
    packaged = resources.files("sciatica_pipeline") / name
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / name


def schema_dir() -> Path:
    """The folder holding the schema files."""
    return data_dir("schema")


@cache
def load_schemas() -> dict[str, dict[str, Any]]:
    """Every schema document keyed by its `$id` (the file name)."""
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(schema_dir().glob("*.schema.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        documents[document["$id"]] = document
    return documents


@cache
def registry() -> Registry[Any]:
    """A `referencing` registry so schemas can `$ref` each other by file name."""
    resources_ = [
        (uri, Resource.from_contents(doc, default_specification=DRAFT202012))
        for uri, doc in load_schemas().items()
    ]
    return Registry().with_resources(resources_)


def _strict_integer(checker: Any, instance: Any) -> bool:
    # JSON Schema counts 2.0 as an integer; the content's counts (reps, sets, seconds) are
    # written as whole numbers, and outputs would print "2.0".
    return isinstance(instance, int) and not isinstance(instance, bool)


#: Draft 2020-12, with `integer` meaning a number written without a fraction.
StrictValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)


@cache
def validator(kind: Kind) -> Draft202012Validator:
    """The validator for one kind of file, with format checking on (dates, for example)."""
    schema = load_schemas()[f"{kind}.schema.json"]
    made: Draft202012Validator = StrictValidator(
        schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return made


def record_verdicts(kind: Kind) -> RecordVerdicts:
    """New quick verdicts for the records of one kind (see `inputs.verdicts`), from validators
    built as `validator` builds them: one for each list read, so what it remembers of the
    records goes with the list."""
    schema = load_schemas()[f"{kind}.schema.json"]

    def make(shell: dict[str, Any]) -> Draft202012Validator:
        made: Draft202012Validator = StrictValidator(
            shell, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        return made

    return RecordVerdicts(schema, make)
