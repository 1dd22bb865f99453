"""The authoring docs are generated from the schemas and must not go stale."""

from __future__ import annotations

from sciatica_pipeline.docs_gen import DOCUMENTED, authoring_guide_path, render
from sciatica_pipeline.inputs.schemas import load_schemas


def test_authoring_guide_field_reference_is_current() -> None:
    current = authoring_guide_path().read_text(encoding="utf-8")
    assert render(current) == current, "docs/authoring.md is stale: run `make docs`"


def _walk(node: object, where: str) -> list[str]:
    """Pointers of every property that has no description."""
    missing = []
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            described = isinstance(prop, dict) and ("description" in prop or "$ref" in prop)
            if name != "$schema" and not described:
                missing.append(f"{where}/properties/{name}")
        for key, value in node.items():
            missing += _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            missing += _walk(value, f"{where}/{i}")
    return missing


def test_every_property_has_a_description() -> None:
    schemas = load_schemas()
    missing = [p for name in schemas for p in _walk(schemas[name], name)]
    assert missing == []


def test_every_object_forbids_unknown_fields() -> None:
    def objects(node: object, where: str) -> list[str]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "object" and node.get("additionalProperties") is not False:
                found.append(where)
            for key, value in node.items():
                found += objects(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                found += objects(value, f"{where}/{i}")
        return found

    schemas = load_schemas()
    assert [p for name in DOCUMENTED for p in objects(schemas[name], name)] == []
