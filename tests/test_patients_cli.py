"""`calendar` and `patients`: one patient or a whole list; bad records reported by row and
column and skipped; private, atomically replaced patient folders; names never in messages."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import icalendar
import pytest
from click.testing import Result

from conftest import CONTENT

Run = Callable[..., Result]
EXAMPLE = CONTENT / "examples" / "patients.csv"
HEADER = "id,name,plan,start_date,timezone,session_times,reminder_minutes,mobile\n"


def patients(run: Run, source: str | Path, out: Path, *extra: str, **kwargs: object) -> Result:
    return run(
        "patients", str(source), "--content", str(CONTENT), "--out", str(out), *extra, **kwargs
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_calendar_to_stdout_parses(run: Run) -> None:
    result = run(
        "calendar",
        "--content",
        str(CONTENT),
        "--plan",
        "sciatica-plan",
        "--start",
        "2027-03-08",
        "--tz",
        "America/New_York",
        "--times",
        "08:00,18:00",
        "--patient-id",
        "P-9",
    )
    assert result.exit_code == 0, result.stderr
    cal = icalendar.Calendar.from_ical(result.stdout_bytes)
    assert len(cal.walk("VEVENT")) == 8 + 5


def test_calendar_to_a_private_file(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "cal" / "alex.ics"
    result = run(
        "calendar",
        "--content",
        str(CONTENT),
        "--plan",
        "piriformis-syndrome-plan",
        "--start",
        "2027-01-04",
        "--tz",
        "Asia/Kolkata",
        "--times",
        "06:45 20:15",
        "--name",
        "Alex Secret",
        "--clinic-phone",
        "+91 80 5550 0000",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    assert mode(out) == 0o600
    assert "Alex Secret" not in result.output
    assert icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tz", "Mars/Olympus_Mons"], "--tz: is not a known time zone; use an IANA name"),
        (["--tz", "Europe/Londn"], "--tz: is not a known time zone (did you mean Europe/London?)"),
        (["--tz", "localtime"], "--tz: is not a known time zone"),
        (
            ["--times", "8am,18:00"],
            "--times: the value is not valid: write a 24-hour time as HH:MM",
        ),
        (
            ["--times", "08:00"],
            "--times: the plan sciatica-plan has 2 session(s) a day; give 2 time(s), not 1",
        ),
        (["--start", "2027-02-30"], "--start: the value is not a real date: check the day and"),
        (
            ["--start", "2027/02/03"],
            "--start: the value is not valid: write the date as YYYY-MM-DD",
        ),
        (
            ["--plan", "sciatica-plna"],
            "--plan: is not a plan in the content (did you mean sciatica-plan?); use one of: ",
        ),
    ],
)
def test_calendar_bad_options_are_usage_errors(run: Run, args: list[str], message: str) -> None:
    base = {
        "--plan": "sciatica-plan",
        "--start": "2027-03-08",
        "--tz": "Europe/London",
        "--times": "08:00,18:00",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = run("calendar", "--content", str(CONTENT), *[x for kv in base.items() for x in kv])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "internal error" not in result.stderr


def test_patients_writes_a_private_folder_per_patient(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "patients"
    result = patients(run, EXAMPLE, out, "--jobs", "1", "--format", "ics")
    assert result.exit_code == 0, result.stderr
    assert "Wrote 6 patients (ics)" in result.stdout
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == [f"P-000{i}" for i in range(1, 7)]
    assert mode(out) == 0o700
    for folder in (p for p in out.iterdir() if p.is_dir()):
        assert mode(folder) == 0o700
        calendar = folder / "ics" / "reminders.ics"
        assert mode(calendar) == 0o600
        assert mode(calendar.parent) == 0o700
        icalendar.Calendar.from_ical(calendar.read_bytes())


def test_names_never_appear_in_messages(run: Run, tmp_path: Path) -> None:
    result = patients(run, EXAMPLE, tmp_path / "out")
    for name in ("Alex Rivera", "Sam Okafor", "Mia Chen", "+12025550143"):
        assert name not in result.output


def test_parallel_and_serial_runs_write_the_same_bytes(run: Run, tmp_path: Path) -> None:
    """Every file, the run's own (sorted by send time, in the patients' order) included."""
    assert patients(run, EXAMPLE, tmp_path / "one", "--jobs", "1").exit_code == 0
    assert patients(run, EXAMPLE, tmp_path / "two", "--jobs", "2").exit_code == 0

    def files(folder: Path) -> dict[Path, bytes]:
        return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    one, two = files(tmp_path / "one"), files(tmp_path / "two")
    assert one == two
    assert len([p for p in one if p.suffix == ".ics"]) == 6
    assert {p.parent.name for p in one if p.parts[0] == "_run"} == {"csv", "fhir", "sms"}


def test_bad_rows_are_reported_and_good_ones_still_written(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    source.write_text(
        HEADER
        + "P-1,Good Person,sciatica-plan,2027-03-08,Europe/London,08:00;18:00,15,\n"
        + "P-2,Secret Name,sciatica-plan,2027-03-08,Mars/Base,08:00;18:00,15,\n"
        + "P-3,Other Secret,no-such-plan,2027-13-01,Europe/London,25:00,-5,0999877\n"
        + "P-4,Good Too,piriformis-syndrome-plan,2027-01-04,Asia/Tokyo,07:00 19:00,,\n"
        + "P-1,Dupe,sciatica-plan,2027-03-08,Europe/London,08:00;18:00,15,\n"
    )
    out = tmp_path / "out"
    result = patients(run, source, out, "--jobs", "2")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert (
        f"{source}: row 3, column timezone: is not a known time zone; use an IANA "
        "name such as Europe/London or America/New_York" in lines
    )
    assert (
        f"{source}: row 4, column start_date: the value is not a real date: check the day and "
        "the month" in lines
    )
    assert (
        f"{source}: row 4, column session_times: the value is not valid: write a 24-hour time "
        "as HH:MM, for example 08:00 or 18:30" in lines
    )
    assert (
        f"{source}: row 4, column reminder_minutes: is too small: the least allowed is 0" in lines
    )
    assert any(
        line.startswith(f"{source}: row 4, column mobile: the value is not valid") for line in lines
    )
    assert any(f"{source}: row 6: the patient id P-1 is already used at row 2" in x for x in lines)
    assert "3 records had problems" in result.stderr
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["P-1", "P-4", "_run"]
    for secret in ("Secret Name", "Other Secret", "0999877", "Dupe", "Mars/Base", "2027-13-01"):
        assert secret not in result.output


def test_header_problems_stop_the_run(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    source.write_text(
        "id,plan,start,timezone,session_times\nP-1,sciatica-plan,2027-03-08,UTC,08:00;18:00\n"
    )
    result = patients(run, source, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{source}: row 1, column start: unknown column; allowed columns are: " in result.stderr
    assert f"{source}: row 1: the required column start_date is missing" in result.stderr
    assert "internal error" not in result.stderr


def test_json_and_json_lines_input(run: Run, tmp_path: Path) -> None:
    records = [
        {
            "id": "J-1",
            "plan": "sciatica-plan",
            "start_date": "2027-03-08",
            "timezone": "UTC",
            "session_times": ["08:00", "18:00"],
        },
        {
            "id": "J-2",
            "plan": "sciatica-plan",
            "start_date": "2027-03-08",
            "timezone": "UTC",
            "session_times": "08:00",
        },
    ]
    as_json = tmp_path / "list.json"
    as_json.write_text(json.dumps(records))
    result = patients(run, as_json, tmp_path / "a")
    assert result.exit_code == 1
    assert f"{as_json}: /1/session_times: expected a list, got text (the value)" in result.stderr
    assert (tmp_path / "a" / "J-1" / "ics" / "reminders.ics").exists()
    lines = tmp_path / "list.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in records) + "\n{broken\n")
    result = patients(run, lines, tmp_path / "b")
    assert f"{lines}: line 2, field session_times: expected a list" in result.stderr
    assert f"{lines}: line 3: this is not valid JSON" in result.stderr


def test_standard_input(run: Run, tmp_path: Path) -> None:
    result = patients(run, "-", tmp_path / "out", input=EXAMPLE.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert len([p for p in (tmp_path / "out").glob("P-*") if p.is_dir()]) == 6


def test_rerun_replaces_each_patient_folder(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert patients(run, EXAMPLE, out).exit_code == 0
    stale = out / "P-0001" / "ics" / "old.ics"
    stale.write_text("from an earlier run")
    assert patients(run, EXAMPLE, out).exit_code == 0
    assert not stale.exists()
    leftovers = [p.name for p in out.rglob(".*") if p.name != ".sciatica-pipeline-patients"]
    assert leftovers == [], "no temporary folders left behind"


def test_unknown_patient_format_is_bad_usage(run: Run, tmp_path: Path) -> None:
    result = patients(run, EXAMPLE, tmp_path / "out", "--format", "markdown")
    assert result.exit_code == 2
    assert (
        "markdown: not a per-patient format; its output comes from `sciatica-pipeline build`"
        in result.stderr
    )


SKIPPING = """
from sciatica_pipeline import hookimpl
from sciatica_pipeline.plugins.exporter import Artifact, Exporter, SkipPatient


class Texts(Exporter):
    name = "texts"
    description = "Needs a mobile number."
    scopes = frozenset({"patient"})

    def render_patient(self, context):
        if context.patient.mobile is None:
            raise SkipPatient("the record has no mobile number")
        yield Artifact("texts.txt", b"ok", "text/plain", patient_facing=False)


@hookimpl
def register_exporters(register):
    register(Texts())
"""


def test_a_format_that_does_not_apply_is_reported_not_failed(run: Run, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "texts.py").write_text(SKIPPING)
    out = tmp_path / "out"
    result = run(
        "--plugins-dir",
        str(plugins),
        "patients",
        str(EXAMPLE),
        "--content",
        str(CONTENT),
        "--out",
        str(out),
        "--format",
        "texts",
        "--format",
        "ics",
    )
    assert result.exit_code == 0, result.stderr
    assert f"{EXAMPLE}: patient P-0004: no texts: the record has no mobile number" in result.stderr
    assert "Wrote 6 patients (texts, ics)" in result.stdout  # in the order asked for
    assert "; 2 patients without some format (see above)." in result.stdout
    assert (out / "P-0004" / "ics" / "reminders.ics").exists()
    assert not (out / "P-0004" / "texts").exists()
    assert (out / "P-0001" / "texts" / "texts.txt").exists()


def test_out_that_holds_other_files_is_refused(run: Run, tmp_path: Path) -> None:
    """Patient folders are replaced by id, so --out must be a folder this command made."""
    out = tmp_path / "dist"
    (out / "csv").mkdir(parents=True)
    (out / "csv" / "catalog.csv").write_text("keep me")
    result = patients(run, EXAMPLE, out)
    assert result.exit_code == 2
    assert "was not written by `patients`" in result.stderr
    assert (out / "csv" / "catalog.csv").read_text() == "keep me"
    assert patients(run, EXAMPLE, tmp_path / "fresh").exit_code == 0
    assert patients(run, EXAMPLE, tmp_path / "fresh").exit_code == 0


def test_a_terminal_gets_a_progress_bar(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sciatica_pipeline.cli.patients.stderr_is_terminal", lambda: True)
    result = patients(run, EXAMPLE, tmp_path / "out", "--format", "ics")
    assert result.exit_code == 0, result.output
    assert (
        "Patients" in result.stderr
    )  # the bar's label (click draws the bar on real terminals only)
    piped = patients(run, "-", tmp_path / "piped", "--format", "ics", input=EXAMPLE.read_bytes())
    assert piped.exit_code == 0, piped.output  # standard input: no count, no bar


def test_count_records_of_each_input_form(tmp_path: Path) -> None:
    from sciatica_pipeline.inputs.patients import count_records

    (tmp_path / "a.json").write_text('[{"id": "a"}, {"id": "b"}]')
    (tmp_path / "b.jsonl").write_text('{"id": "a"}\n\n{"id": "b"}\n{"id": "c"}\n')
    (tmp_path / "c.csv").write_text('id,name\nA,"two\nlines"\nB,x\n\n')
    assert count_records(tmp_path / "a.json") == 2
    assert count_records(tmp_path / "b.jsonl") == 3
    assert count_records(tmp_path / "c.csv") == 2
    assert count_records("-") is None
    assert count_records(tmp_path / "missing.csv") is None


def test_records_that_are_not_objects_or_out_of_range_are_reported(
    run: Run, tmp_path: Path
) -> None:
    good = {
        "id": "G-1",
        "plan": "sciatica-plan",
        "start_date": "2027-03-08",
        "timezone": "UTC",
        "session_times": ["08:00", "18:00"],
    }
    far = {**good, "id": "F-1", "start_date": "9999-12-20"}
    source = tmp_path / "list.jsonl"
    lines_in = [good, "a string", [1], far, {"id": "A"}]  # JSON Lines start with an object
    source.write_text("\n".join(json.dumps(x) for x in lines_in) + "\n")
    result = patients(run, source, tmp_path / "out", "--jobs", "2")
    assert result.exit_code == 1
    assert "internal error" not in result.output
    lines = result.stderr.splitlines()
    assert f"{source}: line 2: expected an object with the patient's fields, not str" in lines
    assert f"{source}: line 3: expected an object with the patient's fields, not list" in lines
    assert (
        f"{source}: line 4, field start_date: is out of range: a plan starts between "
        "2000-01-01 and 2099-12-31"
    ) in lines
    missing = [line for line in lines if line.startswith(f"{source}: line 5, field ")]
    assert len(missing) == len(set(missing)) == 4  # plan, start_date, timezone, session_times
    assert (tmp_path / "out" / "G-1" / "ics" / "reminders.ics").exists()


def test_missing_patients_file_is_bad_usage(run: Run, tmp_path: Path) -> None:
    result = patients(run, tmp_path / "nope.csv", tmp_path / "out")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_calendar_output_to_a_folder_is_a_clear_error(run: Run, tmp_path: Path) -> None:
    result = run(
        "calendar",
        "--content",
        str(CONTENT),
        "--plan",
        "sciatica-plan",
        "--start",
        "2027-03-08",
        "--tz",
        "UTC",
        "--times",
        "08:00,18:00",
        "-o",
        str(tmp_path),
    )
    assert result.exit_code == 2
    assert f"{tmp_path} is a folder; give a file name" in result.stderr
    assert "internal error" not in result.stderr


def test_a_bad_option_value_is_reported_once_before_any_patient(run: Run, tmp_path: Path) -> None:
    result = patients(run, EXAMPLE, tmp_path / "out", "--set", "sms.max_per_day=0")
    assert result.exit_code == 2
    assert result.stderr.count("max_per_day") == 1
    assert not (tmp_path / "out").exists()


def test_a_run_of_one_format_keeps_the_others(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert patients(run, EXAMPLE, out).exit_code == 0
    csv_before = (out / "_run" / "csv" / "assignments.csv").read_bytes()
    gateway_before = (out / "_run" / "sms" / "gateway.csv").read_bytes()
    assert patients(run, EXAMPLE, out, "--format", "ics").exit_code == 0
    assert (out / "_run" / "csv" / "assignments.csv").read_bytes() == csv_before
    assert (out / "P-0001" / "sms").is_dir()
    # A run of one run-level format replaces its own run files and keeps the others'.
    assert patients(run, EXAMPLE, out, "--format", "csv").exit_code == 0
    assert (out / "_run" / "sms" / "gateway.csv").read_bytes() == gateway_before


def test_a_format_that_stops_applying_loses_its_old_files(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert patients(run, EXAMPLE, out, "--format", "sms").exit_code == 0
    assert (out / "P-0001" / "sms").is_dir()
    without_mobile = tmp_path / "list.csv"
    rows = EXAMPLE.read_text().splitlines()
    rows[1] = rows[1].replace("+12025550143", "")
    without_mobile.write_text("\n".join(rows) + "\n")
    result = patients(run, without_mobile, out, "--format", "sms")
    assert "patient P-0001: no sms: the record has no mobile number" in result.stderr
    assert not (out / "P-0001" / "sms").exists()


def test_a_semicolon_separated_file_gets_a_clear_message(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    source.write_text(
        "id;plan;start_date;timezone;session_times\nP-1;sciatica-plan;2027-03-08;UTC;08:00 18:00\n"
    )
    result = patients(run, source, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{source}: row 1: the columns are separated by semicolons; save the file as" in (
        result.stderr
    )


def test_rows_are_numbered_as_a_spreadsheet_shows_them(run: Run, tmp_path: Path) -> None:
    """A cell with a line break is still one row (refused: a line break would break a
    reminder's text); the file's line is given as well."""
    source = tmp_path / "list.csv"
    source.write_text(
        "id,plan,start_date,timezone,session_times,clinic_name\n"
        'P-1,sciatica-plan,2027-03-08,UTC,08:00;18:00,"Riverside\nPhysio"\n'
        "\n"
        "P-2,sciatica-plan,2027-03-08,Mars/Base,08:00;18:00,\n"
    )
    result = patients(run, source, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{source}: row 2, column clinic_name: holds a control character" in result.stderr
    assert f"{source}: row 4 (line 5), column timezone: " in result.stderr


def test_empty_trailing_cells_are_ignored_and_extra_values_are_not(
    run: Run, tmp_path: Path
) -> None:
    source = tmp_path / "list.csv"
    source.write_text(
        "id,plan,start_date,timezone,session_times\n"
        "P-1,sciatica-plan,2027-03-08,UTC,08:00;18:00,,\n"
        "P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,surprise\n"
    )
    result = patients(run, source, tmp_path / "out", "--format", "ics")
    assert result.exit_code == 1
    assert f"{source}: row 3: this row has more cells than the header" in result.stderr
    assert "row 2" not in result.stderr
    assert (tmp_path / "out" / "P-1" / "ics" / "reminders.ics").exists()


def test_a_column_given_twice_is_a_header_problem(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    source.write_text(
        "id,plan,start_date,timezone,session_times,plan\n"
        "P-1,sciatica-plan,2027-03-08,UTC,08:00;18:00,piriformis-syndrome-plan\n"
    )
    result = patients(run, source, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{source}: row 1, column plan: this column appears more than once; keep one" in (
        result.stderr
    )
    assert not (tmp_path / "out" / "P-1").exists()


@pytest.mark.parametrize("after", [1, 5000])
def test_a_quote_that_never_closes_is_reported_where_it_opens(
    run: Run, tmp_path: Path, after: int
) -> None:
    """However much follows (a long file used to overflow the csv module's cell limit, a short
    one to vanish silently into one cell)."""
    good = "sciatica-plan,2027-03-08,UTC,08:00;18:00"
    rows = [f"P-1,{good}", f'"P-2,{good}'] + [f"Q-{i},{good}" for i in range(after)]
    source = tmp_path / "list.csv"
    source.write_text("id,plan,start_date,timezone,session_times\n" + "\n".join(rows) + "\n")
    result = patients(run, source, tmp_path / "out", "--format", "ics")
    assert result.exit_code == 1
    assert "internal error" not in result.output
    [line] = [x for x in result.stderr.splitlines() if x.startswith(f"{source}: row 3: ")]
    assert line.startswith(f"{source}: row 3: this row is not valid CSV (")
    assert line.endswith("just before the next comma or the end of the line")
    assert (tmp_path / "out" / "P-1" / "ics" / "reminders.ics").exists()


def test_text_after_a_closing_quote_is_reported(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    source.write_text(
        "id,plan,start_date,timezone,session_times,clinic_name\n"
        'P-1,sciatica-plan,2027-03-08,UTC,08:00;18:00,"Riverside" Physio\n'
    )
    result = patients(run, source, tmp_path / "out")
    assert result.exit_code == 1
    assert f"{source}: row 2: this row is not valid CSV (" in result.stderr
