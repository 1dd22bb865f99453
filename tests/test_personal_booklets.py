"""Personal booklets: one PDF per patient, dated from the same schedule as their calendar and
text messages, with their clinic and clinician, private, and fast to write.

The PDFs are read back with pdftotext and qpdf; the calendars with icalendar; the text
messages from the run's gateway file with the csv module. Expected dates are formatted with
Babel directly (CLDR), not with the code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import icalendar
import pytest
from babel.dates import format_date, format_skeleton
from click.testing import Result

from conftest import CONTENT
from sciatica_pipeline.exporters.pdf import PdfBooklets
from sciatica_pipeline.exporters.pdf.personal import MIN_SCALE, fit, render_template
from sciatica_pipeline.exporters.personal import personal
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.schedule import schedule
from sciatica_pipeline.plugins.testing import check_patient_exporter, example_patient

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext is not installed (poppler-utils)"
)

Run = Callable[..., Result]
EXAMPLES = CONTENT / "examples" / "patients.csv"
BUILT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def text_of(path: Path, *args: str) -> str:
    """pdftotext's reading of a PDF, with runs of white space (and no-break spaces) as one."""
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *args, str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return re.sub(r"\s+", " ", done.stdout.replace("\u00a0", " "))


def pages_of(path: Path) -> list[str]:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    )
    return [re.sub(r"\s+", " ", p.replace("\u00a0", " ")) for p in done.stdout.split("\f")]


def span(first: dt.date, last: dt.date, locale: str) -> str:
    """A date range as the booklet words it, from CLDR's patterns."""
    end = format_date(last, "long", locale=locale)
    if first.year != last.year:
        return f"{format_date(first, 'long', locale=locale)} \u2013 {end}"
    return f"{format_skeleton('MMMMd', first, locale=locale)} \u2013 {end}"


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example patients, with booklets, calendars and texts, written once."""
    from click.testing import CliRunner

    from sciatica_pipeline.cli import cli

    out = tmp_path_factory.mktemp("run") / "out"
    args = ["patients", str(EXAMPLES), "--content", str(CONTENT), "--out", str(out)]
    args += ["-f", "pdf", "-f", "ics", "-f", "sms"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def calendar_dates(path: Path) -> tuple[list[tuple[dt.date, dt.date]], dict[str, dt.date]]:
    """From a calendar: each phase's first and last day (its morning series) and each
    checkpoint's day, by the checkpoint's title."""
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    phases = []
    checkpoints = {}
    for event in calendar.walk("VEVENT"):
        summary = str(event["SUMMARY"])
        start = event.decoded("DTSTART")
        if summary.endswith("(morning)"):
            rule: Any = event["RRULE"]
            until = rule["UNTIL"][0].astimezone(start.tzinfo)
            phases.append((start.date(), until.date()))
        elif "RRULE" not in event and isinstance(start, dt.datetime):
            checkpoints[summary.removeprefix("Back exercises: ")] = start.date()
    return sorted(phases), checkpoints


def gateway_rows(out: Path, patient_id: str) -> list[dict[str, str]]:
    with (out / "_run" / "sms" / "gateway.csv").open(newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["patient_id"] == patient_id]


@pytest.mark.parametrize(
    ("patient_id", "locale"), [("P-0001", "en_US"), ("P-0002", "en_GB"), ("P-0003", "en_AU")]
)
def test_booklet_calendar_and_texts_give_the_same_dates(
    run_dir: Path, patient_id: str, locale: str
) -> None:
    booklet = run_dir / patient_id / "pdf" / "booklet.pdf"
    text = text_of(booklet)
    phases, checkpoints = calendar_dates(run_dir / patient_id / "ics" / "reminders.ics")
    assert len(phases) >= 3
    # Each phase's dates, in the order of the program, as the calendar's series run.
    at = 0
    for first, last in phases:
        found = text.find(f"Your dates {span(first, last, locale)}", at)
        assert found > at, f"the booklet lacks the phase {first} to {last} ({locale})"
        at = found
    # The start date on the cover is the calendar's first day.
    assert f"Your start date {clean(format_date(phases[0][0], 'full', locale=locale))}" in text
    # Each checkpoint on the day of its calendar event.
    for title, day in checkpoints.items():
        first_title = title.split("\\;")[0].split(";")[0]
        written = clean(format_date(day, "full", locale=locale))
        assert f"{written} {first_title}" in text, (title, written)
    # The tracking log's weeks cover the calendar's days, from the first to the last.
    assert span(phases[0][0], phases[0][0] + dt.timedelta(days=6), locale) in text
    assert span(phases[-1][1] - dt.timedelta(days=6), phases[-1][1], locale) in text
    # The texts: the welcome on the first day, every message within the plan, the k-th phase
    # message within the (k+1)-th phase, a checkpoint message in the week it names.
    rows = gateway_rows(run_dir, patient_id)
    sent = [(row["kind"], dt.date.fromisoformat(row["send_at_local"][:10]), row) for row in rows]
    assert sent[0][0] == "welcome" and sent[0][1] == phases[0][0]
    assert all(phases[0][0] <= day <= phases[-1][1] for _, day, _ in sent)
    phase_days = [day for kind, day, _ in sent if kind == "phase"]
    assert len(phase_days) == len(phases) - 1
    for (first, last), day in zip(phases[1:], phase_days, strict=True):
        assert first <= day <= last
    for kind, day, row in sent:
        if kind == "checkpoint":
            week = int(re.search(r"Week (\d+):", row["body"]).group(1))  # type: ignore[union-attr]
            week_start = phases[0][0] + dt.timedelta(weeks=week - 1)
            assert week_start <= day <= week_start + dt.timedelta(days=6)


def test_the_cover_names_the_patient_clinic_and_clinician(run_dir: Path) -> None:
    text = text_of(run_dir / "P-0001" / "pdf" / "booklet.pdf")
    assert "Prepared for Alex " in text
    assert "Rivera" not in text  # the first name only
    assert "Your clinician Jamie Ortiz, PT \u00b7 +1 202 555 0101" in text
    assert "Your clinic Riverside Physical Therapy \u00b7 +1 202 555 0100" in text
    assert "8:00 AM and 6:00 PM, New York time" in text
    assert "In an emergency, call 911." in text
    # Without a name or clinic, the id and lines left to fill in by hand.
    bare = text_of(run_dir / "P-0004" / "pdf" / "booklet.pdf")
    assert "Prepared for P-0004" in bare
    assert "Your clinician Your clinic Your start date Monday, 4 January 2027" in bare
    # The patient's region: the UK's emergency number, India's date order, Germany's 112.
    assert "In an emergency, call 999." in text_of(run_dir / "P-0002" / "pdf" / "booklet.pdf")
    assert "In an emergency, call 112." in text_of(run_dir / "P-0006" / "pdf" / "booklet.pdf")


def test_red_flags_front_and_back_and_every_precaution_with_its_exercise(
    run_dir: Path, bundle: Bundle
) -> None:
    for booklet in ("booklet.pdf", "booklet-large-print.pdf"):
        path = run_dir / "P-0002" / "pdf" / booklet
        pages = pages_of(path)
        plan = bundle.plans["lumbar-disc-herniation-plan"]
        flags = [flag.title for flag in bundle.red_flags_for(plan)]
        whole = " ".join(pages)
        contents = next(i for i, page in enumerate(pages) if page.lstrip().startswith("Contents"))
        front = " ".join(pages[:contents])
        back = whole[whole.rindex("When to get help") :]
        for title in flags:
            assert title in front, title
            assert title in back, title
        for exercise in bundle.plan_exercises(plan):
            assert f"Take care: {exercise.name}" in whole or exercise.name in whole


def test_large_print_only_when_the_record_asks(run_dir: Path) -> None:
    assert (run_dir / "P-0002" / "pdf" / "booklet-large-print.pdf").is_file()
    assert (run_dir / "P-0004" / "pdf" / "booklet-large-print.pdf").is_file()
    assert not (run_dir / "P-0001" / "pdf" / "booklet-large-print.pdf").exists()
    assert not (run_dir / "P-0003" / "pdf" / "booklet-large-print.pdf").exists()


def test_booklets_are_private_and_carry_no_name_in_their_metadata(run_dir: Path) -> None:
    import pikepdf

    for path in run_dir.glob("*/pdf/*.pdf"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with pikepdf.open(path) as pdf:
            info = " ".join(str(v) for v in pdf.docinfo.values())
            with pdf.open_metadata() as xmp:
                xmp_text = " ".join(str(v) for v in xmp.values())
        for private in ("Alex", "Rivera", "Okafor", "Chen", "Vogel", "+1202", "+4477"):
            assert private not in info and private not in xmp_text, (path, private)


def test_every_booklet_is_a_sound_pdf(run_dir: Path) -> None:
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf is not installed")
    for path in run_dir.glob("*/pdf/*.pdf"):
        done = subprocess.run(
            ["qpdf", "--check", str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_booklet_command_writes_one_patient(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "b.pdf"
    result = run(
        "booklet", "--content", str(CONTENT), "--plan", "sciatica-plan",
        "--start", "2027-12-27", "--tz", "Asia/Kolkata", "--times", "06:45,20:15",
        "--name", "Ravi Kumar", "--clinician-name", "Dr Meera Rao", "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = text_of(out)
    # A plan over New Year gives both years; India writes the day first and AM/PM.
    assert f"Your dates {span(dt.date(2027, 12, 27), dt.date(2028, 1, 9), 'en_IN')}" in text
    assert "6:45 AM and 8:15 PM, Kolkata time" in text
    assert "Your clinician Dr Meera Rao" in text
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # Standard output, and the large-print edition when asked for.
    piped = run(
        "booklet", "--content", str(CONTENT), "--plan", "sciatica-plan",
        "--start", "2027-03-08", "--tz", "Europe/London", "--times", "08:00,18:00",
        "--large-print", "-o", "-",
    )  # fmt: skip
    assert piped.exit_code == 0
    assert piped.stdout_bytes.startswith(b"%PDF-")
    large = tmp_path / "large.pdf"
    large.write_bytes(piped.stdout_bytes)
    assert len(pages_of(large)) > len(pages_of(out)) + 10


def test_a_name_the_font_cannot_print_fails_that_patient_only(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "patients.csv"
    source.write_text(
        "id,name,plan,start_date,timezone,session_times,clinician_name\n"
        "A-1,Ann,sciatica-plan,2027-03-08,Europe/London,08:00;18:00,Dr Li\n"
        "A-2,Bo,sciatica-plan,2027-03-08,Asia/Shanghai,08:00;18:00,\u674e\u533b\u751f\n"
        "A-3,Cy,sciatica-plan,2027-03-08,Europe/Berlin,08:00;18:00,\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run("patients", str(source), "--content", str(CONTENT), "--out", str(out), "-f", "pdf")
    assert result.exit_code == 1
    assert "A-2" in result.stderr
    assert "clinician_name field has characters the booklet's font cannot print" in result.stderr
    assert "U+674E" in result.stderr
    assert "\u674e" not in result.output + result.stderr  # the name itself is never echoed
    assert (out / "A-1" / "pdf" / "booklet.pdf").is_file()
    assert (out / "A-3" / "pdf" / "booklet.pdf").is_file()
    assert not (out / "A-2" / "pdf").exists()


def test_a_yes_or_no_that_is_neither_is_a_clear_error(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "patients.csv"
    source.write_text(
        "id,plan,start_date,timezone,session_times,large_print\n"
        "A-1,sciatica-plan,2027-03-08,Europe/London,08:00;18:00,maybe\n"
        "A-2,sciatica-plan,2027-03-08,Europe/London,08:00;18:00,YES\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run("patients", str(source), "--content", str(CONTENT), "--out", str(out), "-f", "pdf")
    assert "row 2, column large_print" in result.stderr
    assert "yes or no" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert (out / "A-2" / "pdf" / "booklet-large-print.pdf").is_file()


def test_the_exporter_keeps_the_plugin_contract(bundle: Bundle) -> None:
    patient = example_patient(bundle, "piriformis-syndrome-plan", name="Zoë Adams")
    artifacts = check_patient_exporter(PdfBooklets(), bundle, patient)
    assert [a.path for a in artifacts] == ["booklet.pdf"]


def test_same_texts_same_bytes(bundle: Bundle) -> None:
    patient = example_patient(bundle, "sciatica-plan", name="Alex", large_print=True)
    first = check_patient_exporter(PdfBooklets(), bundle, patient, build_time=BUILT)
    again = check_patient_exporter(PdfBooklets(), bundle, patient, build_time=BUILT)
    assert [a.data for a in first] == [a.data for a in again]
    assert [a.path for a in first] == ["booklet.pdf", "booklet-large-print.pdf"]


@pytest.mark.parametrize("large", [False, True])
def test_long_texts_fit_their_places(bundle: Bundle, large: bool) -> None:
    """The longest clinic name and phone the schema allows, and the longest dates of a year,
    keep at least `MIN_SCALE` of their size."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    template = render_template(
        bundle, "sciatica-plan", large=large, paper="letter", units_region=None, build_time=BUILT
    )
    worst: dict[str, float] = {}
    for start in (dt.date(2027, 9, 1) + dt.timedelta(days=d) for d in range(0, 40, 3)):
        patient = example_patient(
            bundle,
            "sciatica-plan",
            start_date=start,
            timezone="Europe/London",
            name="Maximilian-Alexander",
            clinic_name="Northern Sports Injury and Physiotherapy Rehabilitation Ltd",
            clinic_phone="+44 (0)20 7946 0000",
            clinician_name="Dr Wilhelmina Featherstonehaugh-Worthington",
        )
        texts = personal(schedule(bundle, patient), bundle.manifest).texts
        for place in template.places:
            text = texts.get(place.key)
            if text:
                lines, size = fit(place, text)
                assert all(stringWidth(line, place.font, size) <= place.width for line in lines)
                worst[place.key] = min(worst.get(place.key, 1.0), size / place.size)
    assert set(worst) >= {"clinic-contact", "start-date", "sessions", "emergency"}
    small = {key: round(scale, 2) for key, scale in worst.items() if scale < MIN_SCALE}
    assert not small, small


def test_every_place_gets_a_text(bundle: Bundle) -> None:
    """No place of a template waits for a text that `personal` never writes."""
    template = render_template(
        bundle, "lumbar-spinal-stenosis-plan", large=False, paper="a4", units_region="US",
        build_time=BUILT,
    )  # fmt: skip
    patient = example_patient(
        bundle,
        "lumbar-spinal-stenosis-plan",
        name="Mia",
        clinic_name="Harbour Physio",
        clinic_phone="+61 2 5550 1234",
        clinician_name="Sam",
        clinician_phone="+61 2 5550 1235",
    )
    texts = personal(schedule(bundle, patient), bundle.manifest).texts
    assert template.keys <= set(texts), sorted(template.keys - set(texts))


def test_nothing_personal_reaches_the_log(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "patients.json"
    source.write_text(
        json.dumps(
            [
                {
                    "id": "Q-1",
                    "name": "Quentin Zabriskie",
                    "plan": "sciatica-plan",
                    "start_date": "2027-03-08",
                    "timezone": "Europe/London",
                    "session_times": ["08:00", "18:00"],
                    "clinician_name": "Dr Yolanda Xenakis",
                    "clinician_phone": "+44 20 7946 0999",
                    "large_print": True,
                }
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run("--debug", "patients", str(source), "--content", str(CONTENT), "--out", str(out))
    assert result.exit_code == 0, result.output
    said = result.output + result.stderr
    for private in ("Quentin", "Zabriskie", "Yolanda", "Xenakis", "7946"):
        assert private not in said
    assert (out / "Q-1" / "pdf" / "booklet-large-print.pdf").is_file()
    assert "Quentin" in text_of(out / "Q-1" / "pdf" / "booklet.pdf")


def test_a_booklet_is_read_back_by_pypdf_too(run_dir: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO((run_dir / "P-0003" / "pdf" / "booklet.pdf").read_bytes()))
    assert "Prepared for Mia" in reader.pages[0].extract_text()
