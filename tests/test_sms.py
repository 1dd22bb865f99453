"""SMS sequences: each rule of the issue proven on the bundled plans and the example patients,
through the exporter, the CLI and the files it writes (the gateway file read back with csv and
json)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from conftest import CONTENT, Edit
from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.exporters.sms import SmsSequence, parse_options
from sciatica_pipeline.exporters.sms.encoding import TRANSLITERATIONS, count
from sciatica_pipeline.exporters.sms.merge import MergeLimits, clinic_name, fill, first_name
from sciatica_pipeline.exporters.sms.messages import (
    condition_pattern,
    condition_words,
    exercise_word,
)
from sciatica_pipeline.exporters.sms.sequence import SmsOptions, plan_sequence, weekly_slots
from sciatica_pipeline.exporters.sms.timing import Window, send_times
from sciatica_pipeline.exporters.wording import SEVERITY_HEADINGS
from sciatica_pipeline.inputs.patients import read_patients
from sciatica_pipeline.model.content import Bundle, Precaution
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.model.schedule import schedule
from sciatica_pipeline.plugins.exporter import BuildContext, PatientContext, SkipPatient
from sciatica_pipeline.plugins.testing import (
    check_exporter,
    check_patient_exporter,
    check_run_exporter,
    run_files_for,
)

Run = Callable[..., Result]
BUILD = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
EXAMPLE = CONTENT / "examples" / "patients.csv"

#: Names of diagnoses no body may contain; the bundle's condition names are added in `banned`.
CONDITION_WORDS = {
    "sciatica",
    "sciatic",
    "disc",
    "herniated",
    "herniation",
    "stenosis",
    "spondylolisthesis",
    "piriformis",
    "radiculopathy",
    "syndrome",
}

#: Option sets the rules must hold for, not only the defaults.
OPTION_SETS: list[dict[str, str]] = [
    {},
    {"max_per_week": "2"},
    {"max_per_week": "1"},
    {"max_per_day": "2", "max_per_week": "5"},
    {"max_per_day": "2", "max_per_week": "14"},
    {"window": "09:30-18:00"},
]


@pytest.fixture(scope="module")
def patients(bundle: Bundle) -> dict[str, Patient]:
    records = list(read_patients(EXAMPLE, bundle))
    assert all(r.patient for r in records), [r.problems for r in records]
    return {r.patient.id: r.patient for r in records if r.patient}


@pytest.fixture(scope="module")
def early_and_late(patients: dict[str, Patient]) -> Patient:
    """P-0004's 06:45 and 20:15 sessions, with a mobile number and a clinic."""
    return dataclasses.replace(
        patients["P-0004"],
        id="P-0004-M",
        mobile="+919876543210",
        clinic_name="Lotus Spine & Physio",
        clinic_phone="+91 22 5550 1234",
    )


@pytest.fixture(scope="module")
def senders(patients: dict[str, Patient], early_and_late: Patient) -> list[Patient]:
    """Every example patient an SMS can go to."""
    return [p for p in patients.values() if p.mobile] + [early_and_late]


def banned(bundle: Bundle) -> re.Pattern[str]:
    words = set(CONDITION_WORDS)
    for condition in bundle.conditions.values():
        for name in (condition.name, *condition.also_called):
            words.update(w for w in re.findall(r"[a-z]+", name.lower()) if len(w) > 3)
    words -= {"with", "disease"}  # "disease" alone is in no condition's name here
    return re.compile(r"\b(" + "|".join(sorted(words)) + r")\b", re.IGNORECASE)


def render(
    bundle: Bundle, patient: Patient, options: dict[str, str] | None = None
) -> dict[str, bytes]:
    context = PatientContext(bundle, patient, schedule(bundle, patient), BUILD, options or {})
    own = {a.path: a.data for a in SmsSequence().render_patient(context)}
    # The gateway file is the run's: here, of a run of this one patient.
    return {
        **own,
        **run_files_for(SmsSequence(), bundle, [patient], build_time=BUILD, options=options),
    }


def gateway(
    bundle: Bundle, patient: Patient, options: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The gateway file, read back with the csv module (or json for JSON Lines)."""
    files = render(bundle, patient, options)
    if "gateway.jsonl" in files:
        return [json.loads(line) for line in files["gateway.jsonl"].decode().splitlines()]
    rows = list(csv.DictReader(io.StringIO(files["gateway.csv"].decode(), newline="")))
    for row in rows:
        row["message"], row["segments"] = int(row["message"]), int(row["segments"])
        row["characters"] = int(row["characters"])
    return rows


def local_times(rows: list[dict[str, Any]]) -> list[dt.datetime]:
    return [dt.datetime.fromisoformat(r["send_at_local"]) for r in rows]


# -- the exporter contract -------------------------------------------------------------------


def test_plan_review_files_keep_the_contract(bundle: Bundle) -> None:
    artifacts = check_exporter(SmsSequence(), bundle, build_time=BUILD)
    assert sorted(a.path for a in artifacts) == sorted(f"{p}.txt" for p in bundle.plans)
    assert all(a.patient_facing and a.media_type == "text/plain" for a in artifacts)


def test_patient_files_keep_the_contract(bundle: Bundle, senders: list[Patient]) -> None:
    for patient in senders:
        artifacts = check_patient_exporter(SmsSequence(), bundle, patient, build_time=BUILD)
        assert {a.path: a.patient_facing for a in artifacts} == {
            "messages.txt": True,
            "help-reply.txt": False,
        }
    files = check_run_exporter(SmsSequence(), bundle, senders, build_time=BUILD)
    assert sorted(files) == ["gateway.csv"]
    lines = files["gateway.csv"].decode().splitlines()[1:]
    sends = [line.split(",")[4] for line in lines]  # send_at_utc: the run's file in send order
    assert sends == sorted(sends) and len({line.split(",")[0] for line in lines}) == len(senders)


def test_review_file_shows_merge_fields_day_slot_and_body(bundle: Bundle) -> None:
    [artifact] = [
        a
        for a in SmsSequence().render(BuildContext(bundle, BUILD))
        if a.path == "sciatica-plan.txt"
    ]
    text = artifact.data.decode()
    assert "1. Day 1 (week 1), before session 1: welcome" in text
    assert (
        "{clinic_name}: Hi {first_name}, exercise texts: up to 3/wk. Msg & data rates may apply."
        in text
    )
    assert "HELP REPLY" in text and "For help call {clinic_phone}." in text
    assert "{clinic_phone}" in text
    assert bundle.manifest.disclaimer.split(".")[0] in text


# -- what the messages say -------------------------------------------------------------------


def test_sequence_has_welcome_phases_checkpoint_red_flags_early_and_late(bundle: Bundle) -> None:
    for plan in bundle.plans.values():
        messages = plan_sequence(bundle, plan, SmsOptions()).messages
        kinds = [m.kind for m in messages]
        assert kinds[0] == "welcome"
        assert kinds.count("phase") == len(plan.phases) - 1
        assert kinds[-1] == "closing"
        [check] = [m for m in messages if m.kind == "checkpoint"]
        assert check.slot.week == 4 and "No improvement after 4 weeks" in check.template
        flags = [f.title.lower() for f in bundle.red_flags_for(plan)]
        middle = plan.duration_weeks * 7 // 2
        early = " ".join(m.template.lower() for m in messages if m.slot.day < 14)
        late = " ".join(m.template.lower() for m in messages if m.slot.day >= middle)
        for title in flags:
            assert title in early and title in late, (plan.id, title)
        reminders = [m for m in messages if m.kind == "reminder"]
        assert len(reminders) >= len(messages) // 2


def test_phase_change_says_what_is_added_with_its_dosage(bundle: Bundle) -> None:
    messages = plan_sequence(bundle, bundle.plans["sciatica-plan"], SmsOptions()).messages
    [week5] = [m for m in messages if m.kind == "phase" and m.slot.week == 5]
    assert "This week: add bridging (2 sets of 10), bird-dog and partial curl" in week5.template
    assert "walking now 30 minutes" in week5.template


def test_reminders_name_exercises_in_turn(bundle: Bundle) -> None:
    plan = bundle.plans["sciatica-plan"]
    messages = plan_sequence(bundle, plan, SmsOptions()).messages
    weeks_5_to_8 = " ".join(
        m.template for m in messages if m.kind == "reminder" and 5 <= m.slot.week <= 8
    )
    for name in ("bridging", "bird-dog", "partial curl", "pelvic tilt", "seated stretch"):
        assert name in weeks_5_to_8


def test_no_body_names_a_condition(bundle: Bundle, senders: list[Patient]) -> None:
    pattern = banned(bundle)
    for plan in bundle.plans.values():
        for message in plan_sequence(bundle, plan, SmsOptions()).messages:
            assert not pattern.search(message.template), message.template
    for patient in senders:
        for row in gateway(bundle, patient):
            assert not pattern.search(row["body"]), row["body"]


def test_every_body_names_the_clinic_and_a_number(bundle: Bundle, senders: list[Patient]) -> None:
    limits = MergeLimits()
    for plan in bundle.plans.values():
        for message in plan_sequence(bundle, plan, SmsOptions()).messages:
            assert message.template.startswith("{clinic_name}: ")
            assert "{clinic_phone}" in message.template
    for patient in senders:
        name = clinic_name(patient.clinic_name, limits.clinic_name)
        for row in gateway(bundle, patient):
            assert row["body"].startswith(f"{name}: ")
            assert patient.clinic_phone and patient.clinic_phone in row["body"]


def test_clinic_names_are_shortened_by_the_documented_rules() -> None:
    assert clinic_name("Riverside Physical Therapy", 20) == "Riverside PT"
    assert clinic_name("Thames Spine Clinic", 20) == "Thames Spine Clinic"
    assert clinic_name("The Northern Centre for Spine and Sports Rehabilitation", 20) == (
        "The Northern Ctr"
    )
    assert clinic_name("Clinic \u201cSaint Mary\u2019s\u201d", 30) == 'Clinic "Saint Mary\'s"'
    assert clinic_name("=HYPERLINK(x)", 20) == "HYPERLINK(x)"
    assert clinic_name(None, 20) == clinic_name("\u6771\u4eac", 20) == "your clinic"
    assert first_name("Alex Rivera", 12) == "Alex"
    assert first_name("Bartholomew-Alexander Smith", 12) == "there"
    assert first_name(None, 12) == "there"


def test_a_patient_without_a_clinic_name_hears_from_your_clinic(
    bundle: Bundle, senders: list[Patient]
) -> None:
    patient = dataclasses.replace(senders[0], clinic_name=None)
    rows = gateway(bundle, patient)
    assert all(r["body"].startswith("your clinic: ") for r in rows)
    assert "no clinic name" in render(bundle, patient)["messages.txt"].decode()


# -- encoding and length ---------------------------------------------------------------------


@pytest.mark.parametrize("options", OPTION_SETS)
def test_every_message_is_one_gsm7_segment_with_the_longest_merge_values(
    bundle: Bundle, options: dict[str, str]
) -> None:
    parsed = parse_options(options)
    longest = parsed.limits.longest()
    assert [len(longest[k]) for k in ("first_name", "clinic_name", "clinic_phone")] == [12, 20, 16]
    for plan in bundle.plans.values():
        for message in plan_sequence(bundle, plan, parsed).messages:
            result = count(fill(message.template, longest))
            assert (result.encoding, result.segments) == ("GSM-7", 1), message.label
            assert result.units <= 160


def test_patient_bodies_are_counted_as_carriers_count_them(
    bundle: Bundle, senders: list[Patient]
) -> None:
    for patient in senders:
        for row in gateway(bundle, patient):
            result = count(row["body"])
            assert row["encoding"] == result.encoding == "GSM-7"
            assert row["segments"] == result.segments == 1
            assert row["characters"] == result.units <= 160


def test_merge_values_are_transliterated(bundle: Bundle, senders: list[Patient]) -> None:
    patient = dataclasses.replace(
        senders[0], name="Zo\u00eb Smith", clinic_name="O\u2019Brien \u2013 Physio"
    )
    rows = gateway(bundle, patient)
    assert rows[0]["body"].startswith("O'Brien - Physio: Hi Zoe, ")
    assert all(r["encoding"] == "GSM-7" for r in rows)


# -- opt-out, limits, window -----------------------------------------------------------------


@pytest.mark.parametrize("options", OPTION_SETS)
def test_stop_and_help_in_the_first_message_and_every_7_days(
    bundle: Bundle, senders: list[Patient], options: dict[str, str]
) -> None:
    for patient in senders:
        rows = gateway(bundle, patient, options)
        days = [t.date() for t in local_times(rows)]
        carriers = [
            d for d, r in zip(days, rows, strict=True) if "Reply STOP to opt out" in r["body"]
        ]
        assert rows[0]["body"].endswith(" Reply STOP to opt out, HELP for help.")
        for day in days:  # every message has an opt-out line within the 7 days up to it
            assert any(0 <= (day - c).days <= 6 for c in carriers), (patient.id, day)


@pytest.mark.parametrize(
    ("options", "per_day", "per_week"),
    [
        ({}, 1, 3),
        ({"max_per_week": "2"}, 1, 2),
        ({"max_per_day": "2", "max_per_week": "5"}, 1, 5),  # spread over 5 days first
        ({"max_per_day": "2", "max_per_week": "10"}, 2, 10),
    ],
)
def test_at_most_the_limits_a_day_and_in_any_7_days(
    bundle: Bundle,
    senders: list[Patient],
    options: dict[str, str],
    per_day: int,
    per_week: int,
) -> None:
    for patient in senders:
        days = [t.date() for t in local_times(gateway(bundle, patient, options))]
        plan = bundle.plans[patient.plan]
        assert max(Counter(days).values()) == per_day
        assert len(set(local_times(gateway(bundle, patient, options)))) == len(days)
        for offset in range(plan.duration_weeks * 7):
            start = patient.start_date + dt.timedelta(days=offset)
            window = [d for d in days if 0 <= (d - start).days < 7]
            assert len(window) <= per_week
        assert len(days) == per_week * plan.duration_weeks  # every slot is used


def test_default_days_are_1_3_and_5_of_each_plan_week() -> None:
    assert [s.day for s in weekly_slots(1, 3, 2)] == [0, 2, 4]
    assert [s.day for s in weekly_slots(1, 2, 2)] == [0, 3]
    assert [(s.day, s.session) for s in weekly_slots(2, 8, 2)] == [
        (0, 0),
        (0, 1),
        *((d, 0) for d in range(1, 7)),
    ]


@pytest.mark.parametrize("options", OPTION_SETS)
def test_sent_only_in_the_window_of_the_patients_own_zone(
    bundle: Bundle, senders: list[Patient], options: dict[str, str]
) -> None:
    window = parse_options(options).window
    for patient in senders:
        zone = ZoneInfo(patient.timezone)
        for row, local in zip(
            rows := gateway(bundle, patient, options), local_times(rows), strict=True
        ):
            assert local.utcoffset() == local.astimezone(zone).utcoffset()  # the zone's offset
            assert window.start <= local.astimezone(zone).time() <= window.end, row


def test_early_and_late_sessions_are_moved_into_the_window(
    bundle: Bundle, early_and_late: Patient
) -> None:
    assert early_and_late.session_times == (dt.time(6, 45), dt.time(20, 15))
    # 06:45 less 15 minutes is before the window opens, and 08:00 is after the session began:
    # every message goes before the 20:15 session (issue 19), never after a session began.
    one = {t.time() for t in local_times(gateway(bundle, early_and_late))}
    assert one == {dt.time(20, 0)}
    two = local_times(gateway(bundle, early_and_late, {"max_per_day": "2", "max_per_week": "14"}))
    assert {t.time() for t in two} == {dt.time(20, 0), dt.time(20, 1)}


def test_early_and_late_sessions_across_the_spring_change(
    bundle: Bundle, early_and_late: Patient
) -> None:
    patient = dataclasses.replace(
        early_and_late, timezone="America/New_York", start_date=dt.date(2027, 3, 8)
    )
    rows = gateway(bundle, patient, {"max_per_day": "2", "max_per_week": "14"})
    local = local_times(rows)
    assert {t.time() for t in local} == {dt.time(20, 0), dt.time(20, 1)}
    utc = {t.date(): t.astimezone(dt.UTC).hour for t in local if t.minute == 0}
    assert utc[dt.date(2027, 3, 13)] == 1 and utc[dt.date(2027, 3, 15)] == 0  # EST, EDT


def test_sessions_after_the_window_keep_their_order() -> None:
    zone = ZoneInfo("Europe/Berlin")
    times = send_times(dt.date(2027, 3, 1), [dt.time(21, 30), dt.time(22, 30)], 0, Window(), zone)
    assert [t.time() for t in times] == [dt.time(20, 59), dt.time(21, 0)]


@given(
    st.lists(st.times(), min_size=1, max_size=4, unique=True),
    st.integers(0, 1440),
    st.sampled_from(["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]),
    st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)),
)
def test_send_times_are_in_the_window_in_order_on_the_day(
    sessions: list[dt.time], lead: int, zone: str, day: dt.date
) -> None:
    window = Window()
    times = send_times(day, sorted(sessions), lead, window, ZoneInfo(zone))
    assert all(window.holds(t) and t.date() == day for t in times)
    assert times == sorted(times) and len(set(times)) == len(times)


def test_gateway_times_are_utc_and_local_across_daylight_saving(
    bundle: Bundle, patients: dict[str, Patient]
) -> None:
    new_york = gateway(bundle, patients["P-0001"])
    by_day = {dt.date.fromisoformat(r["send_at_local"][:10]): r for r in new_york}
    before, after = by_day[dt.date(2027, 3, 12)], by_day[dt.date(2027, 3, 15)]
    # The 08:00 session less 15 minutes is before the window: the message goes before the
    # 18:00 session.
    assert before["send_at_local"] == "2027-03-12T17:45:00-05:00"
    assert before["send_at_utc"] == "2027-03-12T22:45:00Z"
    assert after["send_at_local"] == "2027-03-15T17:45:00-04:00"
    assert after["send_at_utc"] == "2027-03-15T21:45:00Z"
    sydney = gateway(bundle, patients["P-0003"])  # clocks go back on 2027-04-04
    offsets = {r["send_at_local"][-6:] for r in sydney}
    assert offsets == {"+11:00", "+10:00"}
    for rows in (new_york, sydney):
        for row in rows:
            local = dt.datetime.fromisoformat(row["send_at_local"])
            utc = dt.datetime.strptime(row["send_at_utc"], "%Y-%m-%dT%H:%M:%SZ")
            assert local.astimezone(dt.UTC).replace(tzinfo=None) == utc


def test_gateway_columns_and_json_lines(bundle: Bundle, patients: dict[str, Patient]) -> None:
    patient = patients["P-0002"]
    rows = gateway(bundle, patient)
    lines = gateway(bundle, patient, {"format": "jsonl"})
    assert list(rows[0]) == [
        "patient_id",
        "message",
        "kind",
        "to",
        "send_at_utc",
        "send_at_local",
        "timezone",
        "body",
        "encoding",
        "segments",
        "characters",
    ]
    assert rows == lines
    assert [r["message"] for r in rows] == list(range(1, len(rows) + 1))
    assert {r["to"] for r in rows} == {patient.mobile}
    assert {r["timezone"] for r in rows} == {"Europe/London"}
    for row in rows:  # no cell a spreadsheet would run as a formula
        assert not any(str(v).startswith(("=", "-", "@")) for v in row.values())


def test_same_patient_and_content_give_the_same_bytes(
    bundle: Bundle, patients: dict[str, Patient]
) -> None:
    first = render(bundle, patients["P-0005"])
    again = render(bundle, dataclasses.replace(patients["P-0005"]))
    assert first == again


# -- skipped patients and the CLI ------------------------------------------------------------


def test_no_mobile_or_no_clinic_phone_skips_the_patient(
    bundle: Bundle, patients: dict[str, Patient]
) -> None:
    with pytest.raises(SkipPatient, match="no mobile number"):
        render(bundle, patients["P-0006"])
    no_phone = dataclasses.replace(patients["P-0001"], clinic_phone=None)
    with pytest.raises(SkipPatient, match="no clinic phone number") as caught:
        render(bundle, no_phone)
    assert "Alex" not in str(caught.value) and "+1" not in str(caught.value)
    long_phone = dataclasses.replace(patients["P-0001"], clinic_phone="+1 (202) 555-0100 123")
    assert gateway(bundle, long_phone)[0]["body"].count("+12025550100123") == 1


def test_patients_command_skips_and_reports_patients_without_a_mobile(
    run: Run, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run(
        "patients",
        str(EXAMPLE),
        "--content",
        str(CONTENT),
        "--out",
        str(out),
        "--format",
        "sms",
        "--jobs",
        "1",
    )
    assert result.exit_code == 0, result.stderr
    for patient in ("P-0004", "P-0006"):
        assert f"patient {patient}: no sms: the record has no mobile number" in result.stderr
        assert not (out / patient / "sms").exists()
    assert "Lena" not in result.stderr and "+49" not in result.stderr
    senders = ("P-0001", "P-0002", "P-0003", "P-0005")
    for patient in senders:
        assert sorted(p.name for p in (out / patient / "sms").iterdir()) == [
            "help-reply.txt",
            "messages.txt",
        ]
    # One gateway file for the run, in send order, with the senders' messages only.
    lines = (out / "_run" / "sms" / "gateway.csv").read_text().splitlines()[1:]
    assert {line.split(",")[0] for line in lines} == set(senders)
    sends = [line.split(",")[4] for line in lines]
    assert sends == sorted(sends)


def test_build_writes_one_review_file_per_plan(run: Run, tmp_path: Path, bundle: Bundle) -> None:
    result = run("build", str(CONTENT), "--out", str(tmp_path / "dist"), "--format", "sms")
    assert result.exit_code == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "dist" / "sms").iterdir())
    assert written == sorted(f"{p}.txt" for p in bundle.plans)


# -- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_per_day": "0"}, "max_per_day='0' must be a whole number from 1 to 4"),
        ({"max_per_week": "three"}, "max_per_week='three' must be a whole number from 1 to 28"),
        ({"window": "9-17"}, "not a window such as 08:00-21:00"),
        ({"window": "21:00-08:00"}, "must start before it ends"),
        ({"format": "xml"}, "must be csv or jsonl"),
        ({"clinic_name_max": "5"}, "from 11 to 60"),
        ({"colour": "red"}, "has no option 'colour'"),
    ],
)
def test_bad_options_are_plain_errors(options: dict[str, str], message: str) -> None:
    with pytest.raises(PipelineError, match=re.escape(message)):
        parse_options(options)


def test_options_are_parsed() -> None:
    parsed = parse_options(
        {"max_per_day": "2", "window": "09:00-20:30", "format": "jsonl", "clinic_name_max": "24"}
    )
    assert parsed == SmsOptions(2, 3, "jsonl", MergeLimits(12, 24, 16), Window.parse("09:00-20:30"))


def test_limits_too_long_for_one_segment_fail_the_render_naming_the_message(
    bundle: Bundle,
) -> None:
    context = BuildContext(bundle, BUILD, {"clinic_name_max": "60"})
    with pytest.raises(PipelineError) as caught:
        list(SmsSequence().render(context))
    assert str(caught.value).startswith(
        "the SMS sequence of degenerative-disc-disease-with-instability-plan cannot be sent "
        "with these options: the day 1 welcome message is 195 GSM-7 characters with the longest "
        "merge fields (first name 12, clinic name 60, clinic phone 16); one SMS holds 160"
    )
    # the red flags take four messages (two for emergency care, one to see a doctor right
    # away, one to call), sent early and again later (then marked "Reminder:" where it fits)
    assert str(caught.value).endswith("(and 10 more messages)")


def test_bad_option_on_the_command_line_is_bad_usage(run: Run, tmp_path: Path) -> None:
    result = run(
        "build",
        str(CONTENT),
        "--out",
        str(tmp_path),
        "--format",
        "sms",
        "--set",
        "sms.max_per_day=9",
    )
    assert result.exit_code == 2
    assert "max_per_day='9' must be a whole number from 1 to 4" in result.stderr


# -- the content check -----------------------------------------------------------------------


def test_bundled_content_passes_validate_strict(run: Run) -> None:
    result = run("validate", str(CONTENT), "--strict")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_each_red_flag_message_says_what_its_red_flags_say(bundle: Bundle) -> None:
    # A message shows titles only, so its wording must be what each red flag's action asks:
    # emergency care, a doctor right away (and stop), or a call, and never more.
    for plan in bundle.plans.values():
        messages = plan_sequence(bundle, plan, SmsOptions()).messages
        for message in (m for m in messages if m.kind == "red-flags"):
            body = message.template.lower().replace(": reminder: ", ": ", 1)
            flags = [f for f in bundle.red_flags_for(plan) if _lower_title(f) in body]
            assert flags, message.template
            assert len({f.severity for f in flags}) == 1, message.template
            severity = flags[0].severity
            if severity == "call-clinician":
                assert body.startswith("{clinic_name}: call us at {clinic_phone} if you have")
                assert "stop" not in body and "emergency" not in body and "right away" not in body
            elif severity == "emergency":
                # Calling the region's emergency number is going to emergency care.
                assert body.startswith("{clinic_name}: emergency? call {emergency_number} now")
            else:
                assert SEVERITY_HEADINGS[severity].lower() in body
                assert "right away" in body


def _lower_title(flag: Precaution) -> str:
    return flag.title[0].lower() + flag.title[1:].lower()


def test_an_over_long_red_flag_fails_validation_naming_file_and_message(
    run: Run, content: Path, edit: Edit
) -> None:
    def lengthen(doc: dict[str, Any]) -> None:
        doc["title"] = "Numbness in the saddle area, the inner thighs or the buttocks, new or worse"

    edit("precautions/saddle-area-numbness", lengthen)
    result = run("validate", str(content))
    assert result.exit_code == 1
    output = result.stdout + result.stderr
    [line] = [
        x
        for x in output.splitlines()
        if "plans/sciatica-plan.json: SMS: the day 5 early red-flag message 2" in x
    ]
    assert "(Numbness in the saddle area, the inner thighs" in line
    assert "is 168 GSM-7 characters with the longest merge fields" in line
    assert line.endswith("shorten the red flag's title (precautions/saddle-area-numbness)")


def test_a_condition_word_fails_validation(run: Run, content: Path, edit: Edit) -> None:
    def rename(doc: dict[str, Any]) -> None:
        doc["phases"][1]["name"] = "Calm the sciatica"

    edit("plans/sciatica-plan", rename)
    result = run("validate", str(content))
    assert result.exit_code == 1
    output = result.stdout + result.stderr
    assert re.search(
        r"plans/sciatica-plan\.json: /phases/1: SMS: the day 17 phase change \(Weeks 3-4\) "
        r"names a condition \(sciatica\)",
        output,
    ), output


def test_an_exercise_named_after_a_condition_is_named_by_position(
    bundle: Bundle,
) -> None:
    plan = bundle.plans["piriformis-syndrome-plan"]
    text = " ".join(m.template for m in plan_sequence(bundle, plan, SmsOptions()).messages)
    assert "seated stretch" in text and "iriformis" not in text


def test_a_clinic_name_that_names_a_condition_is_not_used(
    bundle: Bundle, senders: list[Patient]
) -> None:
    patient = dataclasses.replace(senders[0], clinic_name="Sciatica Care Centre")
    rows = gateway(bundle, patient)
    assert all(r["body"].startswith("your clinic: ") for r in rows)
    assert "it names a condition" in render(bundle, patient)["messages.txt"].decode()


def test_the_guide_documents_every_option_and_transliteration() -> None:
    guide = (CONTENT.parent / "docs" / "sms.md").read_text(encoding="utf-8")
    for option in SmsSequence.options:
        assert f"`{option}`" in guide, option
    for char in TRANSLITERATIONS:
        code = f"U+{ord(char):04X}"
        ranged = "U+2000 to U+200A" in guide and 0x2000 <= ord(char) <= 0x200A
        assert code in guide or ranged, code


# -- issue 19: what the patient reads, and when ----------------------------------------------


@pytest.mark.parametrize("options", [{}, {"max_per_day": "2", "max_per_week": "14"}])
def test_no_message_goes_out_after_its_session_began(
    bundle: Bundle, senders: list[Patient], options: dict[str, str]
) -> None:
    """A message goes out before a session of its day, inside the window, or not at all."""
    for patient in senders:
        zone = ZoneInfo(patient.timezone)
        for local in local_times(gateway(bundle, patient, options)):
            day = local.astimezone(zone)
            starts = [
                dt.datetime.combine(day.date(), t, tzinfo=zone) for t in patient.session_times
            ]
            assert any(day < start for start in starts), (patient.id, day)
    london = gateway(bundle, next(p for p in senders if p.id == "P-0002"))
    # 07:30 less 10 minutes is before 08:00; 08:00 is after the session began: 18:50.
    assert {r["send_at_local"][11:16] for r in london} == {"18:50"}


def test_repeated_messages_are_varied(bundle: Bundle, senders: list[Patient]) -> None:
    """Issue 19: 23-29 of 36 messages were word-for-word repeats."""
    for patient in senders:
        bodies = [r["body"] for r in gateway(bundle, patient)]
        repeats = len(bodies) - len(set(bodies))
        assert repeats <= len(bodies) // 6, (patient.id, repeats)


def test_the_welcome_and_the_help_reply_say_what_ctia_asks(
    bundle: Bundle, senders: list[Patient]
) -> None:
    for patient in senders:
        files = render(bundle, patient)
        welcome = gateway(bundle, patient)[0]["body"]
        for words in ("exercise texts", "up to 3/wk", "Msg & data rates may apply", "HELP", "STOP"):
            assert words in welcome, (patient.id, words)
        reply = files["help-reply.txt"].decode().strip()
        assert reply.startswith(f"{welcome.split(':')[0]}: Exercise texts, up to 3/wk.")
        assert f"For help call {patient.clinic_phone}." in reply
        assert "Msg & data rates may apply" in reply and "Reply STOP to opt out." in reply
        assert count(reply).encoding == "GSM-7" and count(reply).segments == 1


def test_emergency_messages_give_the_patients_emergency_number(
    bundle: Bundle, senders: list[Patient]
) -> None:
    """By the patient's time zone: New York 911, London 999, Sydney 000, Kolkata 112."""
    numbers = {"P-0001": "911", "P-0002": "999", "P-0003": "000", "P-0005": "911"}
    numbers["P-0004-M"] = "112"
    for patient in senders:
        emergency = [r["body"] for r in gateway(bundle, patient) if "mergency" in r["body"]]
        assert emergency, patient.id
        for body in emergency:
            assert f"Emergency? Call {numbers[patient.id]} now if you have" in body, body


def test_a_region_without_a_known_number_is_sent_to_emergency_care(
    bundle: Bundle, patients: dict[str, Patient]
) -> None:
    patient = dataclasses.replace(
        patients["P-0001"],
        timezone="America/Sao_Paulo",
        clinic_phone="+55 11 5550 1234",
        mobile="+5511955501234",
    )
    emergency = [r["body"] for r in gateway(bundle, patient) if "mergency" in r["body"]]
    assert emergency and all("Go to emergency care now if you have" in b for b in emergency)
    assert not any("Call " + n in b for b in emergency for n in ("911", "999", "000", "112"))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_exercise_names_in_messages_are_the_booklets(bundle: Bundle, tmp_path: Path) -> None:
    """Issue 19: "seated stretch" in a text, "Piriformis stretch" in the booklet: the booklet
    now gives each exercise's text-message name where it differs."""
    from sciatica_pipeline.exporters.pdf import PdfBooklets

    plan = bundle.plans["sciatica-plan"]
    small = dataclasses.replace(bundle, plans={plan.id: plan})
    [standard, _] = PdfBooklets().render(BuildContext(small, BUILD))
    path = tmp_path / "booklet.pdf"
    path.write_bytes(standard.data)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    booklet = " ".join(done.stdout.split()).lower()
    messages = " ".join(m.template for m in plan_sequence(bundle, plan, SmsOptions()).messages)
    forbidden = condition_pattern(condition_words(bundle))
    for exercise in bundle.plan_exercises(plan):
        word = exercise_word(exercise, forbidden)
        if word in messages:
            assert word.lower() in booklet, word
    assert "in your text messages: the seated stretch" in booklet
