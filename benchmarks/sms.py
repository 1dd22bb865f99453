"""SMS sequences for 10,000 generated patients: messages per second rendered in-process
(`render_patient`, one core, both files per patient), and through `patients --format sms`
(every core, files written)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT
from benchmarks.patients import PLANS, ZONES

COUNT = 10_000
CLINICS = (
    ("Riverside Physical Therapy", "+1 202 555 0100"),
    ("Thames Spine Clinic", "+44 20 7946 0000"),
    ("Harbour Physio", "+61 2 5550 1234"),
    ("Praxis am Park", "+49 30 5550 1200"),
)
SESSIONS = (("08:00", "18:00"), ("06:45", "20:15"), ("07:30", "19:00"))


def write_patients(path: Path, count: int) -> None:
    """A CSV of `count` fictional patients with mobile numbers, spread over plans, zones,
    clinics, session times and start dates."""
    lines = [
        "id,name,plan,start_date,timezone,session_times,reminder_minutes,mobile,"
        "clinic_name,clinic_phone"
    ]
    for i in range(count):
        day = 1 + i % 28
        plan, zone = PLANS[i % len(PLANS)], ZONES[i % len(ZONES)]
        clinic, phone = CLINICS[i % len(CLINICS)]
        times = ";".join(SESSIONS[i % len(SESSIONS)])
        lines.append(
            f"S-{i:06d},Pat {i},{plan},2027-03-{day:02d},{zone},{times},15,"
            f"+1202555{i % 10_000:04d},{clinic},{phone}"
        )
    path.write_text("\n".join(lines) + "\n")


def in_process(source: Path) -> None:
    from sciatica_pipeline.exporters.sms import SmsSequence
    from sciatica_pipeline.inputs.patients import read_patients
    from sciatica_pipeline.inputs.validation import load_bundle
    from sciatica_pipeline.model.schedule import schedule
    from sciatica_pipeline.plugins.exporter import PatientContext

    bundle = load_bundle(ROOT / "content")
    patients = [r.patient for r in read_patients(source, bundle) if r.patient]
    schedules = [schedule(bundle, p) for p in patients]
    exporter = SmsSequence()
    when = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    messages = 0
    start = time.perf_counter()
    for patient, plan_schedule in zip(patients, schedules, strict=True):
        context = PatientContext(bundle, patient, plan_schedule, when)
        artifacts = list(exporter.render_patient(context))
        messages += artifacts[1].data.count(b"\r\n") - 1  # gateway rows less the header
    elapsed = time.perf_counter() - start
    print(
        f"sms render_patient, {len(patients):>6} patients: {elapsed:6.2f} s  "
        f"{messages / elapsed:9.0f} messages/s  {len(patients) / elapsed:7.0f} patients/s  "
        f"({messages} messages, 1 core, no files written)"
    )


def command(source: Path, out: Path) -> None:
    args = ["patients", str(source), "--content", "content", "--out", str(out), "--format", "sms"]
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sciatica_pipeline", *args],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    elapsed = time.perf_counter() - start
    messages = sum(len(p.read_bytes().splitlines()) - 1 for p in out.glob("*/sms/gateway.csv"))
    print(
        f"patients --format sms, {COUNT:>6} patients: {elapsed:6.2f} s  "
        f"{messages / elapsed:9.0f} messages/s  {COUNT / elapsed:7.0f} patients/s  "
        f"({messages} messages, every core, files written)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "patients.csv"
        write_patients(source, COUNT)
        in_process(source)
        command(source, Path(tmp) / "out")


if __name__ == "__main__":
    main()
