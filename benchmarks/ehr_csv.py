"""EHR CSV: the program catalog (build), and 10,000 generated patients' assignments rendered
in-process; then `patients --format csv` end to end on 1,000 patients (writing ~50 kB per
patient). Rows per second throughout.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.common import CLI, ROOT, report, timed
from benchmarks.patients import PLANS, ZONES, write_patients
from sciatica_pipeline.exporters.ehr_csv import EhrCsv
from sciatica_pipeline.inputs.validation import load_bundle
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.model.schedule import schedule
from sciatica_pipeline.plugins.exporter import BuildContext, PatientContext

BUILD = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def generated(count: int) -> list[Patient]:
    """`count` fictional patients spread over plans, zones and start dates."""
    return [
        Patient(
            id=f"B-{i:06d}",
            plan=PLANS[i % len(PLANS)],
            start_date=dt.date(2027, 3, 1 + i % 28),
            timezone=ZONES[i % len(ZONES)],
            session_times=(dt.time(8), dt.time(18)),
        )
        for i in range(count)
    ]


def catalog(bundle: Bundle) -> None:
    context = BuildContext(bundle, BUILD, {})
    artifacts = list(EhrCsv().render(context))
    rows = artifacts[0].data.count(b"\r\n") - 1
    figures = timed(lambda: list(EhrCsv().render(context)), runs=20)
    report("csv catalog (build, fresh exporter)", figures, f"{rows / figures[0]:9.0f} rows/s")


def assignments(bundle: Bundle, count: int) -> None:
    patients = generated(count)
    schedules = [schedule(bundle, p) for p in patients]
    exporter = EhrCsv()
    start = time.perf_counter()
    rows = 0
    for patient, plan_schedule in zip(patients, schedules, strict=True):
        context = PatientContext(bundle, patient, plan_schedule, BUILD, {})
        rows += next(iter(exporter.render_patient(context))).data.count(b"\r\n") - 1
    rendered = time.perf_counter() - start
    print(
        f"csv assignments, {count} patients in-process: {rendered:6.2f} s  "
        f"{rows / rendered:9.0f} rows/s  {count / rendered:7.0f} patients/s  ({rows} rows; "
        "schedules made beforehand)"
    )
    start = time.perf_counter()
    for patient in patients:
        context = PatientContext(bundle, patient, schedule(bundle, patient), BUILD, {})
        list(exporter.render_patient(context))
    total = time.perf_counter() - start
    print(
        f"csv assignments, {count} patients with schedule(): {total:6.2f} s  "
        f"{rows / total:9.0f} rows/s  {count / total:7.0f} patients/s"
    )


def end_to_end(count: int, tmp: Path) -> None:
    source = tmp / f"patients-{count}.csv"
    write_patients(source, count)
    out = tmp / "out"
    args = ["patients", str(source), "--content", "content", "--out", str(out), "--format", "csv"]
    start = time.perf_counter()
    subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, check=True)
    elapsed = time.perf_counter() - start
    rows = sum(
        (folder / "csv" / "assignments.csv").read_bytes().count(b"\r\n") - 1
        for folder in out.iterdir()
        if folder.is_dir()
    )
    print(
        f"patients --format csv, {count} patients: {elapsed:6.2f} s  {rows / elapsed:9.0f} rows/s  "
        f"{count / elapsed:7.0f} patients/s  (whole process: start-up, validation, writing)"
    )


def main() -> None:
    bundle = load_bundle(ROOT / "content")
    catalog(bundle)
    assignments(bundle, 10_000)
    with tempfile.TemporaryDirectory() as tmp:
        end_to_end(1_000, Path(tmp))


if __name__ == "__main__":
    main()
