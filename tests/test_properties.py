"""Property tests: random damage to valid content never produces a traceback, and the small
text helpers keep their contracts for any input."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CONTENT
from sciatica_pipeline.errors import PatientDataError
from sciatica_pipeline.inputs.loader import parse_json
from sciatica_pipeline.inputs.patients import read_patients
from sciatica_pipeline.inputs.schema_messages import json_pointer
from sciatica_pipeline.inputs.validation import validate
from sciatica_pipeline.model.content import Bundle

CONTENT_FILES = sorted(p.relative_to(CONTENT) for p in CONTENT.rglob("*.json"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


@st.composite
def damage(draw: st.DrawFn) -> tuple[Path, bytes]:
    """A content file and damaged bytes for it: structural JSON edits or raw byte edits."""
    relative = draw(st.sampled_from(CONTENT_FILES))
    original = (CONTENT / relative).read_bytes()
    how = draw(st.sampled_from(["replace", "delete", "add", "truncate", "bytes"]))
    if how in {"truncate", "bytes"}:
        cut = draw(st.integers(0, len(original)))
        extra = draw(st.binary(max_size=8)) if how == "bytes" else b""
        return relative, original[:cut] + extra + original[cut + (1 if extra else 0) :]
    document = json.loads(original)
    path = draw(st.sampled_from(_paths(document)))
    if how == "replace":
        value = draw(json_values)
        if not path:
            document = value
        else:
            parent = document
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = value
    elif how == "delete" and path:
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        del parent[path[-1]]
    elif how == "add" and isinstance(document, dict):
        document[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
    return relative, json.dumps(document).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damage())
def test_random_damage_never_raises_and_always_points_somewhere(case: tuple[Path, bytes]) -> None:
    relative, data = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "content"
        shutil.copytree(CONTENT, root)
        (root / relative).write_bytes(data)
        report = validate(root)  # must not raise, whatever the damage
    for problem in report.problems:
        assert problem.file.startswith(str(root))
        assert problem.message
        assert problem.where == "" or problem.where.startswith(("/", "line ", "(top level)"))
        assert "\n" not in str(problem)
    if report.bundle is None:
        assert report.errors, "an unusable bundle must come with at least one error"


@given(st.text(max_size=200))
def test_parse_json_never_raises(text: str) -> None:
    value, problems = parse_json(text, "x.json")
    if problems:
        assert value is None
        assert len(problems) == 1
        assert problems[0].where == "" or problems[0].where.startswith("line ")
    else:
        assert json.loads(text) == value


@given(st.lists(st.text(max_size=6) | st.integers(0, 99), max_size=6))
def test_json_pointer_round_trips(parts: list[str | int]) -> None:
    pointer = json_pointer(parts)
    decoded = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    assert decoded == [str(p) for p in parts]


PATIENTS = (CONTENT / "examples" / "patients.csv").read_text(encoding="utf-8")


@st.composite
def damaged_patients(draw: st.DrawFn) -> str:
    """The example patients file with random edits: cells replaced, text cut or inserted."""
    lines = PATIENTS.splitlines()
    how = draw(st.sampled_from(["cell", "cut", "insert", "json"]))
    if how == "cell":
        row = draw(st.integers(1, len(lines) - 1))
        cells = lines[row].split(",")
        cells[draw(st.integers(0, len(cells) - 1))] = draw(st.text(max_size=30))
        lines[row] = ",".join(cells)
        return "\n".join(lines) + "\n"
    if how == "json":
        values = st.lists(
            json_values
            | st.dictionaries(
                st.sampled_from(["id", "plan", "start_date", "timezone", "session_times"]),
                json_values,
            ),
            max_size=4,
        )
        return json.dumps(draw(values))
    text = "\n".join(lines)
    cut = draw(st.integers(0, len(text)))
    extra = draw(st.text(max_size=20)) if how == "insert" else ""
    return text[:cut] + extra + text[cut:]


@settings(max_examples=150, deadline=None)
@given(damaged_patients())
def test_damaged_patients_files_never_raise(bundle: Bundle, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "patients.csv"
        path.write_text(text, encoding="utf-8")
        try:
            records = list(read_patients(path, bundle))
        except PatientDataError as exc:
            assert exc.problems
            return
    for record in records:
        assert (record.patient is None) == bool(record.problems)
        for problem in record.problems:
            assert problem.where.startswith(("row ", "line ", "/"))
            assert "\n" not in str(problem)
