"""A growing corpus of hostile input: each attack is a patients file or content change that
once mixed up patients, echoed a name or number, hung, or ended in an internal error. Each
must now be refused with a clear message naming the place, the good records still written.

Add an attack here whenever one is found: (id, file body, expected message fragment, ids
that must still be written).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import CONTENT

Run = Callable[..., Result]
HEADER = "id,plan,start_date,timezone,session_times,name,mobile,clinic_name,clinic_phone\n"
GOOD = "P-1,sciatica-plan,2027-03-08,Europe/London,08:00;18:00,Ann Lee,+447700900123,,\n"
P2 = "P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,"
SECRETS = ("Ann Lee", "+447700900123", "Bea Cho", "+447700900456", "Secret Clinic", "0207 946")

PATIENT_ATTACKS: list[tuple[str, bytes, str, list[str]]] = [
    (
        "case-only-duplicate-id",
        (HEADER + GOOD + "p-1,sciatica-plan,2027-03-08,UTC,08:00;18:00,Bea Cho,,,\n").encode(),
        "row 3: the patient id p-1 is already used at row 2",
        ["P-1"],
    ),
    (
        "missing-cell-shifts-the-mobile-into-another-column",
        (HEADER + GOOD + "P-2,sciatica-plan,2027-03-08,+447700900456,08:00;18:00\n").encode(),
        "row 3, column timezone: the value is not valid",
        ["P-1"],
    ),
    (
        "a-name-in-the-plan-column",
        (HEADER + GOOD + "P-2,Bea Cho,2027-03-08,UTC,08:00;18:00,,,,\n").encode(),
        "row 3, column plan: the value is not valid",
        ["P-1"],
    ),
    (
        "clinic-phone-is-not-echoed",
        (HEADER + GOOD + "P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,,,,0207 946 x\n").encode(),
        "row 3, column clinic_phone: the value is not valid",
        ["P-1"],
    ),
    (
        "nul-in-the-clinic-name",
        (
            HEADER + GOOD + "P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,,,Secret\x00Clinic,\n"
        ).encode(),
        "row 3, column clinic_name: holds a control character",
        ["P-1"],
    ),
    (
        "escape-in-the-clinic-name",
        (
            HEADER + GOOD + "P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,,,Secret\x1b[2JClinic,\n"
        ).encode(),
        "row 3, column clinic_name: holds a control character",
        ["P-1"],
    ),
    (
        "bare-carriage-return-in-a-name",
        (HEADER + GOOD + 'P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,"Bea\rCho",,,\n').encode(),
        "row 3, column name: holds a control character",
        ["P-1"],
    ),
    (
        "a-row-in-latin-1-among-utf-8-rows",
        HEADER.encode()
        + GOOD.encode()
        + "P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,Bea Chö,,,\n".encode("latin-1")
        + b"P-3,sciatica-plan,2027-03-08,UTC,08:00;18:00,,,,\n",
        "row 3, column name: is not UTF-8 text",
        ["P-1", "P-3"],
    ),
    (
        "header-only",
        HEADER.encode(),
        "row 2: the file holds no patient record",
        [],
    ),
    (
        "a-5000-digit-number-in-json-lines",
        b'{"id": "P-1", "plan": "sciatica-plan", "start_date": "2027-03-08", "timezone": "UTC",'
        b' "session_times": ["08:00", "18:00"]}\n{"id": "P-2", "reminder_minutes": '
        + b"9" * 5000
        + b"}\n",
        "line 2: this JSON holds a number too long to read",
        ["P-1"],
    ),
    (
        "deep-nesting-in-json-lines",
        b'{"id": "P-1", "plan": "sciatica-plan", "start_date": "2027-03-08", "timezone": "UTC",'
        b' "session_times": ["08:00", "18:00"]}\n'
        + b'{"id": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}\n",
        "line 2: this JSON is nested too deeply",
        ["P-1"],
    ),
    (
        "a-json-list-with-a-bad-record-among-good-ones",
        b'[{"id": "P-1", "plan": "sciatica-plan", "start_date": "2027-03-08", "timezone": "UTC",'
        b' "session_times": ["08:00", "18:00"]}, 7,\n{"id": "P-3", "plan": "sciatica-plan",'
        b' "start_date": "2027-03-08", "timezone": "UTC", "session_times": ["08:00", "18:00"]}]',
        "/1: expected an object with the patient's fields, not int",
        ["P-1", "P-3"],
    ),
    (
        "a-pseudo-zone",
        (HEADER + GOOD + "P-2,sciatica-plan,2027-03-08,posixrules,08:00;18:00,,,,\n").encode(),
        "row 3, column timezone: is not a known time zone",
        ["P-1"],
    ),
]


@pytest.mark.parametrize(
    ("body", "message", "written"),
    [attack[1:] for attack in PATIENT_ATTACKS],
    ids=[attack[0] for attack in PATIENT_ATTACKS],
)
def test_a_hostile_patients_file_is_refused_row_by_row(
    run: Run, tmp_path: Path, body: bytes, message: str, written: list[str]
) -> None:
    source = tmp_path / "patients.csv"
    source.write_bytes(body)
    out = tmp_path / "out"
    result = run("patients", str(source), "--content", str(CONTENT), "--out", str(out), "-f", "ics")
    assert result.exit_code == 1, result.output
    assert f"{source}: {message}" in result.stderr
    assert "internal error" not in result.stderr
    folders = sorted(p.name for p in out.iterdir() if p.is_dir()) if out.exists() else []
    assert folders == written
    for secret in SECRETS:
        assert secret not in result.output


def test_a_zone_that_is_not_a_regions_is_written_with_a_warning(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "patients.csv"
    source.write_text(HEADER + "P-1,sciatica-plan,2027-03-08,EST,08:00;18:00,,,,\n")
    out = tmp_path / "out"
    result = run("patients", str(source), "--content", str(CONTENT), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"{source}: row 2, column timezone: warning: is a fixed abbreviation" in result.stderr
    assert (out / "P-1" / "ics" / "reminders.ics").exists()


def test_a_fifo_is_refused_instead_of_read_forever(run: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "patients.csv"
    os.mkfifo(fifo)
    result = run("patients", str(fifo), "--content", str(CONTENT), "--out", str(tmp_path / "o"))
    assert result.exit_code == 1
    assert "this is not a regular file" in result.stderr


def test_a_long_json_list_is_read_one_record_at_a_time(tmp_path: Path) -> None:
    """The list is parsed as it is read: records come out before the file is read whole."""
    from sciatica_pipeline.inputs.patients import read_patients
    from sciatica_pipeline.inputs.validation import load_bundle

    record = (
        '{"id": "P-%d", "plan": "sciatica-plan", "start_date": "2027-03-08", '
        '"timezone": "UTC", "session_times": ["08:00", "18:00"]}'
    )
    source = tmp_path / "patients.json"
    source.write_text("[" + ",\n".join(record % i for i in range(20_000)) + "]")
    records = read_patients(source, load_bundle(CONTENT))
    first = next(records)
    assert first.patient is not None and first.patient.id == "P-0"
    assert sum(1 for _ in records) == 19_999


CONTROL = "holds a control character"
CONTENT_ATTACKS: list[tuple[str, str, str]] = [
    (
        "a-whole-number-written-with-a-fraction",
        '"reps": 2.0',
        "/dosage/reps: expected a whole number",
    ),
    ("a-nul-in-a-text", '"purpose": "Strong\\u0000glutes."', "/purpose: holds a control character"),
    ("an-escape-in-a-text", '"purpose": "\\u001b[31mRed"', "/purpose: holds a control character"),
    (
        "a-bare-carriage-return",
        '"purpose": "One\\r# Heading"',
        "/purpose: holds a control character",
    ),
    ("a-lone-surrogate", '"purpose": "Bad \\ud800 text"', "/purpose: holds a lone surrogate"),
    ("a-5000-digit-number", '"reps": ' + "9" * 5000, "the JSON holds a number too long to read"),
]


@pytest.mark.parametrize(
    ("replacement", "message"),
    [attack[1:] for attack in CONTENT_ATTACKS],
    ids=[attack[0] for attack in CONTENT_ATTACKS],
)
def test_hostile_content_is_refused_by_validate(
    run: Run, content: Path, replacement: str, message: str
) -> None:
    path = content / "exercises" / "bridging.json"
    text = path.read_text()
    key = replacement.split(":", maxsplit=1)[0]
    start = text.index(key)
    end = text.index("\n", start)
    line = text[start:end]
    path.write_text(text[:start] + replacement + ("," if line.endswith(",") else "") + text[end:])
    result = run("validate", str(content))
    assert result.exit_code == 1, result.output
    assert f"{path}: {message}" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "huge"])
def test_a_content_file_that_is_a_fifo_or_huge_is_refused(
    run: Run, content: Path, kind: str
) -> None:
    path = content / "exercises" / "zzz.json"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_text('{"id": "zzz", "name": "' + "x" * (2 << 20) + '"}')
    result = run("validate", str(content))
    assert result.exit_code == 1
    expected = "this is not a regular file" if kind == "fifo" else "the file is 2048 KiB"
    assert f"{path}: {expected}" in result.stderr
