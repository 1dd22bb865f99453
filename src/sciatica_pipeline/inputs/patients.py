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
import stat
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sciatica_pipeline.errors import Level, PatientDataError, Problem, did_you_mean
from sciatica_pipeline.inputs.schema_messages import humanize
from sciatica_pipeline.inputs.schemas import load_schemas, record_verdicts, validator
from sciatica_pipeline.inputs.verdicts import RecordVerdicts
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
    """One record of a patients file: the patient, or the problems that stop it (a patient
    may come with warnings)."""

    where: str
    patient: Patient | None
    problems: tuple[Problem, ...]


#: Names the tz database has that are not a place's time zone.
PSEUDO_ZONES = frozenset({"localtime", "posixrules", "Factory"})

# A record's text must be printable: control characters (a NUL, an escape, a bare carriage
# return) would be written raw into calendars and messages; a surrogate is what is left of
# bytes that are not UTF-8.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def zone_problem(name: str) -> tuple[Level, str] | None:
    """(level, message) when `name` is not a usable time zone, or is one that is not a
    region's (`EST` has no daylight saving); None when it is fine. Never quotes the name."""
    if name in PSEUDO_ZONES or not _known_zone(name):
        return "error", (
            "is not a known time zone"
            + did_you_mean(name, _zone_names())
            + "; use an IANA name such as Europe/London or America/New_York"
        )
    if "/" not in name and name != "UTC":
        return "warning", (
            "is a fixed abbreviation, not a region's time zone, so it may not follow the "
            "region's daylight-saving changes; use one such as America/New_York"
        )
    return None


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _zone_names() -> set[str]:
    import zoneinfo

    return zoneinfo.available_timezones() - PSEUDO_ZONES


def _text_problems(
    record: Mapping[str, Any], file: str, locate: Callable[[str | None], str]
) -> list[Problem]:
    problems = []
    for field, value in record.items():
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str) and _UNPRINTABLE.search(text):
                surrogate = any("\ud800" <= c <= "\udfff" for c in text)
                message = (
                    "is not UTF-8 text; save the file as UTF-8 (in a spreadsheet: Save As, "
                    "CSV UTF-8)"
                    if surrogate
                    else "holds a control character (a tab, line break or other invisible "
                    "character); remove it"
                )
                problems.append(Problem(file, locate(str(field)), message))
                break
    return problems


def patient_from_record(
    record: Mapping[str, Any],
    bundle: Bundle,
    file: str,
    locate: Any,
    quick: RecordVerdicts | None = None,
) -> tuple[Patient | None, list[Problem]]:
    """Check one record (already in JSON types) and build the patient.

    Messages never quote a value of the record: a shifted row puts one column's value (a
    name, a number) in another. Warnings (a zone that is not a region's) come back with the
    patient; errors come back without one.

    :param locate: maps a field name (or None for the whole record) to the `where` text:
        `row 3, column timezone` for CSV, `/2/timezone` for JSON.
    :param quick: the list's quick verdicts (`record_verdicts`), which spare the records
        that pass the whole schema check; without them every record gets it.
    """
    if not isinstance(record, Mapping):
        kind = type(record).__name__
        return None, [
            Problem(file, locate(None), f"expected an object with the patient's fields, not {kind}")
        ]
    problems: list[Problem] = _text_problems(record, file, locate)
    if problems:
        return None, problems
    # Most records of a long list pass: a quick verdict, field by field, spares them the
    # whole check; the whole check is what finds and words the problems of the others.
    valid = quick is not None and quick.valid(record)
    for error in () if valid else validator("patient").iter_errors(dict(record)):
        for pointer, message in humanize(error, echo=False):
            field = pointer.strip("/").split("/")[0] or None
            if field is not None and not _FIELD_NAME.fullmatch(field):
                # A field named like no patient field may be a value (a name, a number).
                field = "(one whose name does not look like a field's)"
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
                "is not a plan in the content"
                + did_you_mean(record["plan"], bundle.plans)
                + f"; use one of: {plans}",
            )
        )
    zone = zone_problem(record["timezone"])
    if zone is not None:
        level, message = zone
        problems.append(
            Problem(file, locate("timezone"), message, "error" if level == "error" else "warning")
        )
    start = dt.date.fromisoformat(record["start_date"])
    if not FIRST_START <= start <= LAST_START:
        problems.append(
            Problem(
                file,
                locate("start_date"),
                f"is out of range: a plan starts between {FIRST_START} and {LAST_START}",
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
    if any(p.level == "error" for p in problems):
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
        clinician_name=record.get("clinician_name"),
        clinician_phone=record.get("clinician_phone"),
        large_print=record.get("large_print", False),
    )
    return patient, problems


#: The words a CSV cell may use for a yes-or-no field; anything else is left for the schema
#: to refuse with its hint.
_YES_NO = {
    **dict.fromkeys(("yes", "y", "true", "1"), True),
    **dict.fromkeys(("no", "n", "false", "0"), False),
}


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
        elif key == "large_print" and value.casefold() in _YES_NO:
            record[key] = _YES_NO[value.casefold()]
        else:
            record[key] = value
    return record


def _read_csv(stream: IO[str], file: str, bundle: Bundle) -> Iterator[PatientRecord]:
    quick = record_verdicts("patient")
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
                f"row 1, column {_column_name(name, number)}",
                "unknown column; allowed columns are: " + ", ".join(_FIELDS),
            )
            for number, name in enumerate(header, start=1)
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

        patient, problems = patient_from_record(record, bundle, file, locate, quick)
        yield PatientRecord(where, patient, tuple(problems))


_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,31}")
_COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_ -]{0,31}")


def _column_name(name: str, number: int) -> str:
    """A header cell as a message may show it: a file without a header row has a patient's
    name or number there, so anything that does not look like a column name is shown by
    its place only."""
    if _COLUMN_NAME.fullmatch(name) and not any(ch.isspace() for ch in name.strip()):
        return name
    return f"{number} (its header does not look like a column name; is the header row missing?)"


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
    quick = record_verdicts("patient")
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
        except (ValueError, RecursionError) as exc:
            message = _unreadable_number_or_depth(exc)
            yield PatientRecord(where, None, (Problem(file, where, message),))
            continue

        def locate(field: str | None, where: str = where) -> str:
            return f"{where}, field {field}" if field else where

        patient, problems = patient_from_record(record, bundle, file, locate, quick)
        yield PatientRecord(where, patient, tuple(problems))


def _json_array_items(stream: IO[str], file: str) -> Iterator[tuple[Any, str]]:
    """The items of a JSON list, one at a time, each with its line: a list of a million
    records is never held whole."""
    decoder = json.JSONDecoder()
    buffer, offset, line = "", 0, 1
    eof = False

    def fill() -> None:
        nonlocal buffer, offset, eof
        chunk = stream.read(1 << 16)
        if not chunk:
            eof = True
        buffer = buffer[offset:] + chunk
        offset = 0

    def skip_space() -> None:
        nonlocal offset, line
        while True:
            while offset < len(buffer) and buffer[offset] in " \t\r\n":
                line += buffer[offset] == "\n"
                offset += 1
            if offset < len(buffer) or eof:
                return
            fill()

    def fail(message: str) -> PatientDataError:
        return PatientDataError([Problem(file, f"line {line}", message)], file)

    fill()
    skip_space()
    if buffer[offset : offset + 1] != "[":
        raise fail("expected a JSON list of patient objects")
    offset += 1
    first = True
    while True:
        skip_space()
        if buffer[offset : offset + 1] == "]":
            return
        if not first:
            if buffer[offset : offset + 1] != ",":
                raise fail("this is not valid JSON: expected , or ] between records")
            offset += 1
            skip_space()
        first = False
        while True:
            try:
                item, end = decoder.raw_decode(buffer, offset)
            except json.JSONDecodeError as exc:
                if eof:
                    raise fail(f"this is not valid JSON: {exc.msg}") from exc
                fill()  # the item may go on in the next chunk
                continue
            except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
                raise fail(_unreadable_number_or_depth(exc)) from exc
            if end == len(buffer) and not eof:
                fill()  # a number may go on in the next chunk: decode it whole
                continue
            break
        where = line
        line += buffer.count("\n", offset, end)
        offset = end
        yield item, f"line {where}"


def _unreadable_number_or_depth(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "this JSON is nested too deeply to be a patient record"
    return "this JSON holds a number too long to read; a patient record has no such number"


def _read_json_array(stream: IO[str], file: str, bundle: Bundle) -> Iterator[PatientRecord]:
    quick = record_verdicts("patient")
    for index, (record, _line) in enumerate(_json_array_items(stream, file)):
        where = f"/{index}"

        def locate(field: str | None, where: str = where) -> str:
            return f"{where}/{field}" if field else where

        patient, problems = patient_from_record(record, bundle, file, locate, quick)
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
                return sum(1 for _ in _json_array_items(stream, str(source)))
            if first == "{":
                return sum(1 for line in stream if line.strip())
            return max(0, sum(1 for row in csv.reader(stream) if any(row)) - 1)
    except (OSError, ValueError, csv.Error, PatientDataError):
        return None


#: The largest patients file read: a clinic's list is far smaller; a larger file is a
#: mistake (a disk image, a log) that would take the machine's memory.
MAX_PATIENTS_FILE = 2 << 30


def open_patients_file(source: Path | str) -> IO[str]:
    """The patients file as text (`-` for standard input). Bytes that are not UTF-8 are kept
    as surrogates, so the row that holds them is reported and the others are still read.

    :raises PatientDataError: when it is not a regular file, is too large, or cannot be read.
    """
    file = str(source)
    if file == "-":
        return io.TextIOWrapper(
            sys.stdin.buffer, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )

    def refuse(message: str) -> PatientDataError:
        return PatientDataError([Problem(file, "", message)], file)

    try:
        info = Path(source).stat()
    except OSError as exc:
        raise refuse(f"cannot read the file: {exc.strerror}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise refuse("this is not a regular file (a device, a pipe or a folder); give a file")
    if info.st_size > MAX_PATIENTS_FILE:
        raise refuse(
            f"the file is {info.st_size >> 20} MiB; a patients file may be at most "
            f"{MAX_PATIENTS_FILE >> 20} MiB: split it"
        )
    try:
        # A large buffer, so the format is told past any amount of leading white space.
        raw = Path(source).open("rb", buffering=PEEK_BYTES)  # noqa: SIM115
        return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as exc:
        raise refuse(f"cannot read the file: {exc.strerror}") from exc


def duplicate_key(patient_id: str) -> str:
    """The form of an id two patients must not share: ids that differ only in case (or in
    Unicode form) name the same folder on a case-insensitive disk."""
    return unicodedata.normalize("NFKC", patient_id).casefold()


def read_patients(source: Path | str, bundle: Bundle) -> Iterator[PatientRecord]:
    """Every record of a patients file (`-` for standard input), one at a time.

    The format is recognised from the content: a JSON list, JSON Lines (one object per
    line), or CSV with a header row. Duplicate patient ids (also when they differ only in
    case) are reported on the later record; a file with no record is reported too.
    """
    file = str(source)
    with open_patients_file(source) as stream:
        first = _peek(stream)
        if first == "[":
            records, first_record = _read_json_array(stream, file, bundle), "/0"
        elif first == "{":
            records, first_record = _read_json_lines(stream, file, bundle), "line 1"
        else:
            records, first_record = _read_csv(stream, file, bundle), "row 2"
        seen: dict[str, str] = {}
        count = 0
        for record in records:
            count += 1
            patient = record.patient
            key = duplicate_key(patient.id) if patient is not None else ""
            if patient is not None and key in seen:
                problem = Problem(
                    file,
                    record.where,
                    f"the patient id {patient.id} is already used at {seen[key]} (ids that "
                    "differ only in upper and lower case name the same folder)",
                )
                yield PatientRecord(record.where, None, (problem,))
                continue
            if patient is not None:
                seen[key] = record.where
            yield record
        if count == 0:
            problem = Problem(
                file, first_record, "the file holds no patient record; add one per patient"
            )
            yield PatientRecord(first_record, None, (problem,))


#: How far into a patients file its format is looked for (leading white space skipped).
PEEK_BYTES = 1 << 20


def _peek(stream: IO[str]) -> str:
    """The first non-space character, without consuming the stream's content."""
    buffer = stream.buffer if isinstance(stream, io.TextIOWrapper) else None
    if buffer is not None and hasattr(buffer, "peek"):
        head = bytes(buffer.peek(PEEK_BYTES)[:PEEK_BYTES]).decode("utf-8-sig", errors="ignore")
        return head.lstrip()[:1]
    position = stream.tell()
    head = str(stream.read(PEEK_BYTES))
    stream.seek(position)
    return head.lstrip()[:1]


def patient_from_options(
    values: Mapping[str, Any], bundle: Bundle, option_names: Mapping[str, str]
) -> tuple[Patient, list[Problem]]:
    """One patient from a command's options (`calendar --plan ... --tz ...`), checked like a
    record of a patients file.

    :param values: field -> value; None values are left out.
    :param option_names: field -> the option that sets it (`timezone` -> `--tz`), for messages.
    :returns: the patient and any warnings (a zone that is not a region's).
    :raises UsageError: naming each option at fault.
    """
    from sciatica_pipeline.errors import UsageError

    record = {k: v for k, v in values.items() if v is not None}

    def locate(field: str | None) -> str:
        return option_names.get(field or "", "options")

    patient, problems = patient_from_record(record, bundle, "options", locate)
    if patient is None:
        errors = [p for p in problems if p.level == "error"]
        raise UsageError("; ".join(f"{p.where}: {p.message}" for p in errors))
    return patient, problems
