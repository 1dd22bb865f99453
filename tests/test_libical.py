"""Calendars held to libical's RFC 5545 restriction check (`icalrestriction_check`), an
independent C implementation: which properties each component may carry, and how often.

The checker (tests/libical/check.c) is compiled here against libical-dev; `make tools`
installs libical-dev when it can, and these tests skip, saying why, when it cannot be had.
"""

from __future__ import annotations

import datetime as dt
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CONTENT, REPO
from sciatica_pipeline.exporters.ics import calendar_bytes
from sciatica_pipeline.inputs.patients import read_patients
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.schedule import schedule
from sciatica_pipeline.run.memo import Memo
from test_ics_writer import patients as generated_patients

BUILD = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
SOURCE = REPO / "tests" / "libical" / "check.c"


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compiled checker, or a skip naming what is missing."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (gcc) to build the libical checker")
    flags = ["-lical"]
    if shutil.which("pkg-config"):
        found = subprocess.run(
            ["pkg-config", "--cflags", "--libs", "libical"],
            check=False,
            capture_output=True,
            text=True,
        )
        if found.returncode == 0:
            flags = shlex.split(found.stdout)
    binary = tmp_path_factory.mktemp("libical") / "check"
    built = subprocess.run(
        [compiler, "-o", str(binary), str(SOURCE), *flags],
        check=False,
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        reason = (built.stderr.strip().splitlines() or ["the compiler failed"])[0]
        pytest.skip(f"libical-dev is not installed (make tools installs it as root): {reason}")
    return binary


def restriction_errors(checker: Path, folder: Path, calendars: dict[str, bytes]) -> list[str]:
    """What libical reports for each calendar, one line per error (empty when all pass)."""
    paths = []
    for name, data in calendars.items():
        path = folder / f"{name}.ics"
        path.write_bytes(data)
        paths.append(str(path))
    done = subprocess.run([str(checker), *paths], check=False, capture_output=True, text=True)
    errors = done.stdout.splitlines()
    assert (done.returncode == 0) == (not errors), done.stdout + done.stderr
    return errors


def test_the_checker_catches_a_property_rfc5545_forbids(checker: Path, tmp_path: Path) -> None:
    bad = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//x//EN\r\n"
        b"BEGIN:VTIMEZONE\r\nTZID:UTC\r\nCOMMENT:not allowed here\r\n"
        b"BEGIN:STANDARD\r\nDTSTART:20270101T000000\r\nTZOFFSETFROM:+0000\r\n"
        b"TZOFFSETTO:+0000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
    )
    [error] = restriction_errors(checker, tmp_path, {"bad": bad})
    assert "VTIMEZONE" in error
    assert "COMMENT" in error


def test_every_example_calendar_passes_libicals_check(
    checker: Path, tmp_path: Path, run: Callable[..., Result], bundle: Bundle
) -> None:
    example = CONTENT / "examples" / "patients.csv"
    out = tmp_path / "out"
    result = run(
        "patients", str(example), "--content", str(CONTENT), "--out", str(out), "-f", "ics"
    )
    assert result.exit_code == 0, result.output
    calendars = {p.parent.parent.name: p.read_bytes() for p in sorted(out.glob("*/ics/*.ics"))}
    assert sorted(calendars) == sorted(
        r.patient.id for r in read_patients(example, bundle) if r.patient
    )
    assert restriction_errors(checker, tmp_path, calendars) == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_generated_calendars_pass_libicals_check(
    bundle: Bundle, checker: Path, tmp_path: Path, data: st.DataObject
) -> None:
    patient = data.draw(generated_patients(bundle))
    calendar = calendar_bytes(bundle, schedule(bundle, patient), BUILD, Memo())
    assert restriction_errors(checker, tmp_path, {"generated": calendar}) == []
