"""Patient records: read from CSV, JSON or JSON Lines, checked against the patient schema and
the content, one at a time so a list of any length streams through in flat memory.

A bad record never stops the others: each comes back with its problems (row and column, or
JSON pointer), and problems name a patient by id only, never by name or number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sciatica_pipeline.errors import PatientDataError, Problem
from sciatica_pipeline.inputs.schema_messages import humanize
from sciatica_pipeline.inputs.schemas import load_schemas, validator
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.patient import DEFAULT_REMINDER_MINUTES, Patient

#: The range of plan start dates accepted: wide enough for any real patient, and far enough
#: from the calendar's limits that a year-long plan's dates can always be computed.
FIRST_START = dt.date(2000, 1, 1)
LAST_START = dt.date(2099, 12, 31)

_FIELDS: tuple[str, ...] = tuple(load_schemas()["patient.schema.json"]["properties"])
_REQUIRED: tuple[str, ...] = tuple(load_schemas()["patient.schema.json"]["required"])
_TIMES_SPLIT = re.compile(r"[;,\s]+")


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """One record of a patients file: the patient, or the problems that stop it."""

    where: str
    patient: Patient | None
    problems: tuple[Problem, ...]


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def patient_from_record(
    record: Mapping[str, Any],
    bundle: Bundle,
    file: str,
    locate: Any,
) -> tuple[Patient | None, list[Problem]]:
    """Check one record (already in JSON types) and build the patient.

    :param locate: maps a field name (or None for the whole record) to the `where` text:
        `row 3, column timezone` for CSV, `/2/timezone` for JSON.
    """
    if not isinstance(record, Mapping):
        kind = type(record).__name__
        return None, [
            Problem(file, locate(None), f"expected an object with the patient's fields, not {kind}")
        ]
    problems: list[Problem] = []
    for error in validator("patient").iter_errors(dict(record)):
        for pointer, message in humanize(error):
            field = pointer.strip("/").split("/")[0] or None
            problems.append(Problem(file, locate(field), message))
    if problems:
        return None, list(dict.fromkeys(problems))  # jsonschema repeats some, e.g. `required`
    plan = bundle.plans.get(record["plan"])
    if plan is None:
        plans = ", ".join(bundle.plans)
        problems.append(
            Problem(
                file,
                locate("plan"),
                f'"{record["plan"]}" is not a plan in the content; use one of: {plans}',
            )
        )
    if not _known_zone(record["timezone"]):
        problems.append(
            Problem(
                file,
                locate("timezone"),
                f'"{record["timezone"]}" is not a known time zone; use an IANA name such as '
                "Europe/London or America/New_York",
            )
        )
    start = dt.date.fromisoformat(record["start_date"])
    if not FIRST_START <= start <= LAST_START:
        problems.append(
            Problem(
                file,
                locate("start_date"),
                f"{start} is out of range: a plan starts between {FIRST_START} and {LAST_START}",
            )
        )
    times = tuple(sorted(dt.time.fromisoformat(t) for t in record["session_times"]))
    if plan is not None and len(times) != plan.sessions_per_day:
        problems.append(
            Problem(
                file,
                locate("session_times"),
                f"the plan {plan.id} has {plan.sessions_per_day} session(s) a day; give "
                f"{plan.sessions_per_day} time(s), not {len(times)}",
            )
        )
    if problems:
        return None, problems
    patient = Patient(
        id=record["id"],
        plan=record["plan"],
        start_date=start,
        timezone=record["timezone"],
        session_times=times,
        reminder_minutes=record.get("reminder_minutes", DEFAULT_REMINDER_MINUTES),
        name=record.get("name"),
        mobile=record.get("mobile"),
        clinic_name=record.get("clinic_name"),
        clinic_phone=record.get("clinic_phone"),
    )
    return patient, []


def _csv_record(row: Mapping[str, str]) -> dict[str, Any]:
    """A CSV row in JSON types: empty cells left out, numbers and time lists parsed."""
    record: dict[str, Any] = {}
    for key, raw in row.items():
        value = (raw or "").strip()
        if not value:
            continue
        if key == "session_times":
            record[key] = [t for t in _TIMES_SPLIT.split(value) if t]
        elif key == "reminder_minutes" and re.fullmatch(r"-?\d+", value):
            record[key] = int(value)
        else:
            record[key] = value
    return record


def _read_csv(stream: IO[str], file: str, bundle: Bundle) -> Iterator[PatientRecord]:
    # strict: a quote that never closes is an error, not the rest of the file in one cell.
    reader = csv.reader(stream, strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise PatientDataError([_unreadable(file, "row 1", exc)], file) from exc
    header_problems = (
        [
            Problem(
                file,
                f"row 1, column {name}",
                "unknown column; allowed columns are: " + ", ".join(_FIELDS),
            )
            for name in header
            if name not in _FIELDS
        ]
        + [
            Problem(file, "row 1", f"the required column {name} is missing")
            for name in _REQUIRED
            if name not in header
        ]
        + [
            Problem(file, f"row 1, column {name}", "this column appears more than once; keep one")
            for name in sorted({h for h in header if h and header.count(h) > 1})
        ]
    )
    if not header:
        header_problems = [Problem(file, "row 1", "the file is empty; it needs a header row")]
    elif len(header) == 1 and ";" in header[0]:
        header_problems = [
            Problem(
                file,
                "row 1",
                "the columns are separated by semicolons; save the file as comma-separated CSV "
                "(in a spreadsheet: Save As, CSV UTF-8)",
            )
        ]
    if header_problems:
        raise PatientDataError(header_problems, file)
    # Rows are numbered as a spreadsheet shows them (the header is row 1, a blank line is a
    # row); a cell holding line breaks makes the file's line number differ, so give both.
    number, line = 1, reader.line_num
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:  # the good rows before it still count
            where = _row(number + 1, line + 1)
            yield PatientRecord(where, None, (_unreadable(file, where, exc),))
            return
        if cells is None:
            return
        number, first_line, line = number + 1, line + 1, reader.line_num
        where = _row(number, first_line)
        if any(cell.strip() for cell in cells[len(header) :]):
            yield PatientRecord(
                where, None, (Problem(file, where, "this row has more cells than the header"),)
            )
            continue
        record = _csv_record(dict(zip(header, cells, strict=False)))
        if not record:
            continue  # blank line

        def locate(field: str | None, where: str = where) -> str:
            return f"{where}, column {field}" if field else where

        patient, problems = patient_from_record(record, bundle, file, locate)
        yield PatientRecord(where, patient, tuple(problems))


def _row(number: int, line: int) -> str:
    return f"row {number}" if line == number else f"row {number} (line {line})"


def _unreadable(file: str, where: str, exc: csv.Error) -> Problem:
    return Problem(
        file,
        where,
        f"this row is not valid CSV ({exc}), so the rest of the file cannot be read; check its "
        'quotes ("): a cell that starts with a quote must end with one, just before the next '
        "comma or the end of the line",
    )


def _read_json_lines(stream: IO[str], file: str, bundle: Bundle) -> Iterator[PatientRecord]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield PatientRecord(
                where, None, (Problem(file, where, f"this is not valid JSON: {exc.msg}"),)
            )
            continue

        def locate(field: str | None, where: str = where) -> str:
            return f"{where}, field {field}" if field else where

        patient, problems = patient_from_record(record, bundle, file, locate)
        yield PatientRecord(where, patient, tuple(problems))


def _read_json_array(stream: IO[str], file: str, bundle: Bundle) -> Iterator[PatientRecord]:
    try:
        records = json.load(stream)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        problem = Problem(file, where, f"this is not valid JSON: {exc.msg}")
        raise PatientDataError([problem], file) from exc
    if not isinstance(records, list):
        raise PatientDataError([Problem(file, "", "expected a JSON list of patient objects")], file)
    for index, record in enumerate(records):
        where = f"/{index}"

        def locate(field: str | None, where: str = where) -> str:
            return f"{where}/{field}" if field else where

        patient, problems = patient_from_record(record, bundle, file, locate)
        yield PatientRecord(where, patient, tuple(problems))


def count_records(source: Path | str) -> int | None:
    """How many records a patients file holds (for a progress bar), or None when it cannot
    be told without consuming the input (standard input) or the file cannot be read."""
    if str(source) == "-":
        return None
    try:
        with Path(source).open(encoding="utf-8-sig", newline="") as stream:
            first = _peek(stream)
            if first == "[":
                records = json.load(stream)
                return len(records) if isinstance(records, list) else None
            if first == "{":
                return sum(1 for line in stream if line.strip())
            return max(0, sum(1 for row in csv.reader(stream) if any(row)) - 1)
    except (OSError, ValueError, csv.Error):
        return None


def read_patients(source: Path | str, bundle: Bundle) -> Iterator[PatientRecord]:
    """Every record of a patients file (`-` for standard input), one at a time.

    The format is recognised from the content: a JSON list, JSON Lines (one object per
    line), or CSV with a header row. Duplicate patient ids are reported on the later record.
    """
    file = str(source)
    try:
        stream: IO[str] = (
            io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
            if file == "-"
            else Path(source).open(encoding="utf-8-sig", newline="")  # noqa: SIM115
        )
    except OSError as exc:
        problem = Problem(file, "", f"cannot read the file: {exc.strerror}")
        raise PatientDataError([problem], file) from exc
    with stream:
        try:
            first = _peek(stream)
            if first == "[":
                records = _read_json_array(stream, file, bundle)
            elif first == "{":
                records = _read_json_lines(stream, file, bundle)
            else:
                records = _read_csv(stream, file, bundle)
            seen: dict[str, str] = {}
            for record in records:
                patient = record.patient
                if patient is not None and patient.id in seen:
                    problem = Problem(
                        file,
                        record.where,
                        f"the patient id {patient.id} is already used at {seen[patient.id]}",
                    )
                    yield PatientRecord(record.where, None, (problem,))
                    continue
                if patient is not None:
                    seen[patient.id] = record.where
                yield record
        except UnicodeDecodeError as exc:
            problem = Problem(file, "", "the file is not UTF-8 text; save it as UTF-8")
            raise PatientDataError([problem], file) from exc


def _peek(stream: IO[str]) -> str:
    """The first non-space character, without consuming the stream's content."""
    buffer = stream.buffer if isinstance(stream, io.TextIOWrapper) else None
    if buffer is not None and hasattr(buffer, "peek"):
        head = bytes(buffer.peek(64)[:64]).decode("utf-8-sig", errors="ignore")
        return head.lstrip()[:1]
    position = stream.tell()
    head = str(stream.read(64))
    stream.seek(position)
    return head.lstrip()[:1]


def patient_from_options(
    values: Mapping[str, Any], bundle: Bundle, option_names: Mapping[str, str]
) -> Patient:
    """One patient from a command's options (`calendar --plan ... --tz ...`), checked like a
    record of a patients file.

    :param values: field -> value; None values are left out.
    :param option_names: field -> the option that sets it (`timezone` -> `--tz`), for messages.
    :raises UsageError: naming each option at fault.
    """
    from sciatica_pipeline.errors import UsageError

    record = {k: v for k, v in values.items() if v is not None}

    def locate(field: str | None) -> str:
        return option_names.get(field or "", "options")

    patient, problems = patient_from_record(record, bundle, "options", locate)
    if patient is None:
        raise UsageError("; ".join(f"{p.where}: {p.message}" for p in problems))
    return patient
