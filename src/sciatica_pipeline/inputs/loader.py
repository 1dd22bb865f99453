"""Reads a content folder: parses each JSON file, checks it against its schema and builds the model.

This is the only module that reads content files. It never stops at the first problem: every
file is read and every problem is collected.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast, get_args

from sciatica_pipeline.errors import Problem, sorted_problems
from sciatica_pipeline.inputs.schema_messages import humanize, json_pointer
from sciatica_pipeline.inputs.schemas import Kind, validator
from sciatica_pipeline.model import content as m
from sciatica_pipeline.model import figure as fm

#: The folder each kind of item lives in, below the content folder.
FOLDERS: Mapping[Kind, str] = {
    "condition": "conditions",
    "exercise": "exercises",
    "precaution": "precautions",
    "plan": "plans",
    "advice": "advice",
    "figure": "figures",
}

#: The field that holds an item's id, which must match its file name: a figure file is named
#: after the exercise it shows.
ID_FIELDS: Mapping[Kind, str] = {"figure": "exercise"}

#: Folders of a content folder that hold no bundle items (example patient files, for instance).
IGNORED_FOLDERS = frozenset({"examples"})

MANIFEST_NAME = "bundle.json"


class _DuplicateKeyError(ValueError):
    pass


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f'the field "{key}" appears twice in the same object')
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise _DuplicateKeyError(f"{name} is not valid JSON; write a number")


#: The largest content file read. The biggest item is a few kilobytes; a file this large
#: is a mistake (a device, a log, a generated file) that would take the machine's memory.
MAX_CONTENT_FILE = 1 << 20

# Control characters break "one line" texts (a bare carriage return starts a new line in a
# calendar or a Markdown heading; a NUL or an escape is written raw); line breaks belong in
# lists, not inside a text. A lone surrogate cannot be written as UTF-8 at all.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def parse_json(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse JSON text; a syntax error becomes a problem with its line and column."""
    try:
        document = json.loads(
            text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        return None, [Problem(file, where, f"this is not valid JSON: {exc.msg}")]
    except _DuplicateKeyError as exc:
        return None, [Problem(file, "", str(exc))]
    except RecursionError:
        return None, [Problem(file, "", "the JSON is nested too deeply to read")]
    except ValueError:  # Python refuses to read an integer of more than 4,300 digits
        return None, [Problem(file, "", "the JSON holds a number too long to read")]
    return document, unprintable_text(document, file)


def unprintable_text(document: Any, file: str, path: tuple[str | int, ...] = ()) -> list[Problem]:
    """A problem for every text (or field name) holding a control character or a lone
    surrogate, at its JSON pointer."""
    problems = []
    if isinstance(document, str):
        found = _UNPRINTABLE.search(document)
        if found:
            char = found.group()
            code = f"\\u{ord(char):04x}"
            kind = (
                f"a lone surrogate ({code}), which is not a character"
                if "\ud800" <= char <= "\udfff"
                else f"a control character ({code}); use a list item for each line"
            )
            problems.append(Problem(file, json_pointer(path) or "(top level)", f"holds {kind}"))
    elif isinstance(document, dict):
        for key, value in document.items():
            problems += unprintable_text(key, file, (*path, key))
            problems += unprintable_text(value, file, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            problems += unprintable_text(value, file, (*path, index))
    return problems


def read_document(path: Path, file: str) -> tuple[Any, list[Problem]]:
    """Read and parse one JSON file; unreadable files become problems too."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, [Problem(file, "", "this is not a regular file; content files are JSON")]
        if info.st_size > MAX_CONTENT_FILE:
            return None, [
                Problem(
                    file,
                    "",
                    f"the file is {info.st_size >> 10} KiB; a content file may be at most "
                    f"{MAX_CONTENT_FILE >> 10} KiB: split it into items of their own",
                )
            ]
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [Problem(file, "", "the file is not UTF-8 text; save it as UTF-8")]
    except OSError as exc:
        return None, [Problem(file, "", f"cannot read the file: {exc.strerror}")]
    return parse_json(text, file)


def schema_problems(document: Any, kind: Kind, file: str) -> list[Problem]:
    """Every schema violation of one document, as problems with JSON pointers."""
    problems = []
    for error in validator(kind).iter_errors(document):
        for where, message in humanize(error):
            problems.append(Problem(file, where or "(top level)", message))
    return problems


def check_document(text: str, source: str, kind: str | None = None) -> list[Problem]:
    """Every problem of one content item given as text (an editor's buffer, standard input),
    checked against its schema: `kind`, or the kind its `$schema` names. Bundle-wide checks
    (references, duplicates) need the whole folder and are not run."""
    document, problems = parse_json(text, source)
    if problems:
        return problems
    if kind is None and isinstance(document, dict):
        named = str(document.get("$schema", "")).rsplit("/", 1)[-1]
        kind = named.removesuffix(".schema.json") if named.endswith(".schema.json") else None
    kinds = get_args(Kind)
    if kind not in kinds:
        return [
            Problem(
                source,
                "",
                "cannot tell what kind of item this is: give its kind with --kind ("
                + ", ".join(kinds)
                + '), or a "$schema" naming its schema file',
            )
        ]
    return list(sorted_problems(schema_problems(document, cast(Kind, kind), source)))


@dataclass
class Documents:
    """The parsed, schema-valid documents of a content folder, and where each came from."""

    manifest: dict[str, Any] | None = None
    items: dict[Kind, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {kind: {} for kind in FOLDERS}
    )
    #: (kind, id) -> the file it came from, for every item whose id could be read.
    origins: dict[tuple[Kind, str], str] = field(default_factory=dict)
    #: (kind, id) of items that exist but failed their schema: references to them are not
    #: reported again as unknown.
    invalid: set[tuple[Kind, str]] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


def _display(content_dir: Path, path: Path) -> str:
    return str(content_dir / path.relative_to(content_dir))


def read_documents(content_dir: Path) -> Documents:
    """Read every file of a content folder and check each against its schema."""
    docs = Documents()
    manifest_path = content_dir / MANIFEST_NAME
    manifest_file = _display(content_dir, manifest_path)
    if not manifest_path.is_file():
        docs.problems.append(
            Problem(
                manifest_file, "", "the bundle manifest is missing; every content folder needs one"
            )
        )
    else:
        document, problems = read_document(manifest_path, manifest_file)
        problems = problems or schema_problems(document, "bundle", manifest_file)
        docs.problems.extend(problems)
        if not problems:
            docs.manifest = document

    for path in sorted(content_dir.iterdir()):
        if path.is_file() and path.suffix == ".json" and path.name != MANIFEST_NAME:
            docs.problems.append(
                Problem(
                    _display(content_dir, path),
                    "",
                    "this file is not part of the bundle: move it into one of the folders "
                    + ", ".join(sorted(FOLDERS.values())),
                )
            )

    for kind, folder in FOLDERS.items():
        folder_path = content_dir / folder
        files = sorted(folder_path.rglob("*.json")) if folder_path.is_dir() else []
        if not files:
            docs.problems.append(
                Problem(
                    _display(content_dir, folder_path), "", f"no {folder} found: add at least one"
                )
            )
        for path in files:
            _read_item(docs, kind, path, _display(content_dir, path))
    return docs


def _read_item(docs: Documents, kind: Kind, path: Path, file: str) -> None:
    document, problems = read_document(path, file)
    if problems:
        # The id must equal the file name, so references to this item are not "unknown":
        # reporting them again would bury the one real problem.
        docs.invalid.add((kind, path.stem))
        docs.problems.extend(problems)
        return
    problems = schema_problems(document, kind, file)
    id_field = ID_FIELDS.get(kind, "id")
    item_id = document.get(id_field) if isinstance(document, dict) else None
    if isinstance(item_id, str):
        if item_id != path.stem:
            problems.append(
                Problem(
                    file,
                    f"/{id_field}",
                    f'the {id_field} "{item_id}" does not match the file name; '
                    f'rename the file to {item_id}.json or set the {id_field} to "{path.stem}"',
                )
            )
        if (kind, item_id) in docs.origins:
            first = docs.origins[(kind, item_id)]
            problems.append(
                Problem(
                    file, f"/{id_field}", f'the {kind} id "{item_id}" is already used by {first}'
                )
            )
        else:
            docs.origins[(kind, item_id)] = file
    docs.problems.extend(problems)
    if problems:
        if isinstance(item_id, str):
            docs.invalid.add((kind, item_id))
        return
    assert isinstance(item_id, str)  # the schema requires a string id (or exercise)
    docs.items[kind][item_id] = document


# Building the model from schema-valid documents ---------------------------------------------


def _texts(values: Any) -> tuple[str, ...]:
    return tuple(cast(list[str], values or ()))


def build_dosage(raw: Mapping[str, Any] | None) -> m.Dosage:
    """A dosage from its JSON form (missing fields stay None)."""
    return m.Dosage(**dict(raw or {}))


def build_manifest(raw: Mapping[str, Any]) -> m.Manifest:
    """The manifest model from a schema-valid `bundle.json`."""
    review = raw["review"]
    return m.Manifest(
        id=raw["id"],
        title=raw["title"],
        version=raw["version"],
        language=raw["language"],
        audience=raw["audience"],
        disclaimer=raw["disclaimer"],
        review=m.Review(
            reviewed_on=dt.date.fromisoformat(review["reviewed_on"]),
            next_review_due=dt.date.fromisoformat(review["next_review_due"]),
            reviewed_by=review.get("reviewed_by"),
        ),
        sources=tuple(m.Source(**src) for src in raw["sources"]),
    )


def build_precaution(raw: Mapping[str, Any]) -> m.Precaution:
    """A precaution from its schema-valid JSON form."""
    return m.Precaution(
        id=raw["id"],
        title=raw["title"],
        severity=raw["severity"],
        text=raw["text"],
        action=raw["action"],
        sources=_texts(raw["sources"]),
        clinician_notes=_texts(raw.get("clinician_notes")),
    )


def build_exercise(raw: Mapping[str, Any]) -> m.Exercise:
    """An exercise from its schema-valid JSON form."""
    return m.Exercise(
        id=raw["id"],
        name=raw["name"],
        category=raw["category"],
        body_position=raw["body_position"],
        purpose=raw["purpose"],
        starting_position=raw["starting_position"],
        steps=_texts(raw["steps"]),
        dosage=build_dosage(raw.get("dosage")),
        cues=_texts(raw.get("cues")),
        common_mistakes=tuple(m.Mistake(**x) for x in raw.get("common_mistakes", ())),
        variations=tuple(m.Variation(**x) for x in raw.get("variations", ())),
        equipment=_texts(raw.get("equipment")),
        precautions=_texts(raw["precautions"]),
        sources=_texts(raw["sources"]),
        clinician_notes=_texts(raw.get("clinician_notes")),
        learn_in_person=bool(raw.get("learn_in_person", False)),
    )


def build_condition(raw: Mapping[str, Any]) -> m.Condition:
    """A condition from its schema-valid JSON form."""
    codes = raw["codes"]
    return m.Condition(
        id=raw["id"],
        name=raw["name"],
        also_called=_texts(raw.get("also_called")),
        explanation=_texts(raw["explanation"]),
        how_exercise_helps=_texts(raw["how_exercise_helps"]),
        icd10cm=tuple(m.Code("icd10cm", c["code"], c["display"]) for c in codes["icd10cm"]),
        snomed=tuple(m.Code("snomed", c["code"], c["display"]) for c in codes.get("snomed", ())),
        recommended_exercises=_texts(raw["recommended_exercises"]),
        avoid_or_caution=tuple(m.AvoidEntry(**x) for x in raw.get("avoid_or_caution", ())),
        red_flags=_texts(raw["red_flags"]),
        precautions=_texts(raw.get("precautions")),
        sources=_texts(raw["sources"]),
        clinician_notes=_texts(raw.get("clinician_notes")),
    )


def build_plan(raw: Mapping[str, Any]) -> m.Plan:
    """A progression plan from its schema-valid JSON form."""
    phases = []
    for number, phase in enumerate(raw["phases"], start=1):
        walking = phase.get("walking")
        phases.append(
            m.Phase(
                number=number,
                name=phase["name"],
                week_from=phase["weeks"]["from"],
                week_to=phase["weeks"]["to"],
                goals=_texts(phase["goals"]),
                progress_markers=_texts(phase["progress_markers"]),
                exercises=tuple(
                    m.Prescription(
                        x["exercise"], build_dosage(x["dosage"]) if "dosage" in x else None
                    )
                    for x in phase["exercises"]
                ),
                walking=m.Walking(**walking) if walking else None,
            )
        )
    return m.Plan(
        id=raw["id"],
        title=raw["title"],
        condition=raw["condition"],
        summary=raw.get("summary"),
        duration_weeks=raw["duration_weeks"],
        sessions_per_day=raw["sessions_per_day"],
        phases=tuple(phases),
        checkpoints=tuple(
            sorted(
                (m.Checkpoint(**c) for c in raw["checkpoints"]),
                key=lambda c: (c.after_week, c.title),
            )
        ),
        notes=_texts(raw.get("notes")),
        advice=_texts(raw["advice"]),
        precautions=_texts(raw.get("precautions")),
        sources=_texts(raw["sources"]),
        clinician_notes=_texts(raw.get("clinician_notes")),
    )


def build_advice(raw: Mapping[str, Any]) -> m.Advice:
    """A daily-habit advice item from its schema-valid JSON form."""
    disagreement = raw.get("disagreement")
    return m.Advice(
        id=raw["id"],
        topic=raw["topic"],
        title=raw["title"],
        tips=_texts(raw["tips"]),
        disagreement=m.Disagreement(
            summary=disagreement["summary"],
            positions=tuple(m.Position(**p) for p in disagreement["positions"]),
            what_to_do=disagreement["what_to_do"],
        )
        if disagreement
        else None,
        precautions=_texts(raw.get("precautions")),
        sources=_texts(raw["sources"]),
        clinician_notes=_texts(raw.get("clinician_notes")),
    )


def _side(raw: Mapping[str, Any]) -> fm.Side:
    return fm.Side(**{k: float(v) for k, v in raw.items()})


def build_figure(raw: Mapping[str, Any]) -> fm.Figure:
    """An exercise's figure from its schema-valid JSON form."""
    poses = []
    for pose in raw["poses"]:
        joints = pose["joints"]
        poses.append(
            fm.Pose(
                step=pose["step"],
                alt=pose["alt"],
                joints=fm.Joints(
                    trunk=float(joints["trunk"]),
                    near=_side(joints["near"]),
                    far=_side(joints["far"]),
                    spine=float(joints.get("spine", 0)),
                    neck=float(joints.get("neck", 0)),
                ),
                props=tuple(pose.get("props", ())),
                arrows=tuple(
                    fm.Arrow(
                        at=a["at"],
                        direction=float(a["direction"]),
                        length=float(a.get("length", 0.2)),
                        bend=float(a.get("bend", 0)),
                        points_at=bool(a.get("points_at", False)),
                    )
                    for a in pose.get("arrows", ())
                ),
                unspecified=bool(pose.get("unspecified", False)),
            )
        )
    return fm.Figure(exercise=raw["exercise"], poses=tuple(poses))


BUILDERS: Mapping[Kind, Callable[[Mapping[str, Any]], Any]] = {
    "condition": build_condition,
    "exercise": build_exercise,
    "precaution": build_precaution,
    "plan": build_plan,
    "advice": build_advice,
    "figure": build_figure,
}


@dataclass(frozen=True)
class Parts:
    """The model objects built from every schema-valid file, before bundle-wide checks."""

    manifest: m.Manifest | None
    conditions: Mapping[str, m.Condition]
    exercises: Mapping[str, m.Exercise]
    precautions: Mapping[str, m.Precaution]
    plans: Mapping[str, m.Plan]
    advice: Mapping[str, m.Advice]
    origins: Mapping[tuple[Kind, str], str]
    invalid: frozenset[tuple[Kind, str]]
    manifest_file: str
    figures: Mapping[str, fm.Figure] = field(default_factory=dict)

    def bundle(self) -> m.Bundle:
        """The immutable bundle; only call this when no check reported an error."""
        assert self.manifest is not None
        return m.Bundle(
            manifest=self.manifest,
            conditions=self.conditions,
            exercises=self.exercises,
            precautions=self.precautions,
            plans=self.plans,
            advice=self.advice,
            figures=self.figures,
        )


def build_parts(content_dir: Path, docs: Documents) -> Parts:
    """Model objects for every schema-valid document, keyed by id in id order."""

    def built(kind: Kind) -> dict[str, Any]:
        return {i: BUILDERS[kind](docs.items[kind][i]) for i in sorted(docs.items[kind])}

    return Parts(
        manifest=build_manifest(docs.manifest) if docs.manifest is not None else None,
        conditions=built("condition"),
        exercises=built("exercise"),
        precautions=built("precaution"),
        plans=built("plan"),
        advice=built("advice"),
        origins=dict(docs.origins),
        invalid=frozenset(docs.invalid),
        manifest_file=str(content_dir / MANIFEST_NAME),
        figures=built("figure"),
    )


def pointer(*parts: str | int) -> str:
    """A JSON pointer from keys and indexes (re-exported for the checks)."""
    return json_pointer(parts)
