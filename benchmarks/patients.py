"""`patients` on generated lists of 1,000 and 10,000 patients, calendars only and then every
per-patient format (ics, csv, sms, fhir): patients per second and peak memory of the main
process and of the largest worker.

The patients are spread the way a clinic's list is: start dates over a whole year, their own
morning and evening times, several lead times, zones on both hemispheres and with half-hour
offsets, and many clinics. (A list where everyone starts on a few dates at the same times
would flatter the calendar writer, which reuses lines that repeat.)

Each run is a fresh process that reports its own peak resident memory (ru_maxrss) and that of
its largest worker, so the figures of one run do not leak into the next, and the CPU time of
the main process and of the workers, user and system (the file system's share), per patient.
The every-format run on 10,000 patients is made once more with the output in memory
(/dev/shm), where there is such a folder, to tell the program's time from the disk's. A fixed
piece of Python work is timed before and after the runs, to show the machine's own speed at
the start and at the end (it drifts).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT

ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Los_Angeles",
    "Europe/Berlin",
    "America/Chicago",
    "Australia/Adelaide",
)
PLANS = (
    "sciatica-plan",
    "lumbar-disc-herniation-plan",
    "lumbar-spinal-stenosis-plan",
    "piriformis-syndrome-plan",
    "degenerative-disc-disease-with-instability-plan",
    "isthmic-spondylolisthesis-plan",
)
#: Every plan has two sessions a day: one time from each list.
MORNINGS = tuple(f"{h:02d}:{m:02d}" for h in range(6, 12) for m in (0, 15, 30, 45))
EVENINGS = tuple(f"{h:02d}:{m:02d}" for h in range(16, 22) for m in (0, 15, 30, 45))
LEADS = (0, 10, 15, 15, 30, 60)
CLINICS = 40


# The main process's peak is read from /proc (VmHWM): Linux carries ru_maxrss over exec, so a
# runner started from a large benchmark process would report that process's peak.
RUNNER = """
import json, re, resource, sys
from pathlib import Path
from sciatica_pipeline.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
status = Path("/proc/self/status").read_text()
me, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "main_mib": int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024,
    "worker_mib": workers.ru_maxrss / 1024,
    "main_cpu": (me.ru_utime, me.ru_stime),
    "worker_cpu": (workers.ru_utime, workers.ru_stime),
}), file=sys.stderr)
"""


def write_patients(path: Path, count: int) -> None:
    """A CSV of `count` fictional patients, spread as described above (the same list for the
    same count, every run)."""
    rng = random.Random(count)
    lines = [
        "id,plan,start_date,timezone,session_times,reminder_minutes,clinic_name,clinic_phone,mobile"
    ]
    for i in range(count):
        start = dt.date(2027, 1, 1) + dt.timedelta(days=rng.randrange(365))
        times = f"{rng.choice(MORNINGS)};{rng.choice(EVENINGS)}"
        clinic = rng.randrange(CLINICS + 8)  # some patients have no clinic on record
        contact = (
            f"Clinic {clinic:02d} Physio,+1 202 555 01{clinic:02d}" if clinic < CLINICS else ","
        )
        mobile = f"+1202555{rng.randrange(10_000):04d}"
        lines.append(
            f"B-{i:06d},{PLANS[i % len(PLANS)]},{start},{rng.choice(ZONES)},{times},"
            f"{rng.choice(LEADS)},{contact},{mobile}"
        )
    path.write_text("\n".join(lines) + "\n")


def run(count: int, tmp: Path, formats: tuple[str, ...] = ("ics",), where: str = "") -> None:
    source = tmp / f"patients-{count}.csv"
    write_patients(source, count)
    out = tmp / f"out-{count}-{'-'.join(formats)}"
    args = ["patients", str(source), "--content", "content", "--out", str(out)]
    args += [arg for name in formats for arg in ("--format", name)]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    memory = json.loads(done.stderr.strip().splitlines()[-1])
    written = sum(1 for p in out.glob("B-*") if p.is_dir())
    label = ("calendars" if formats == ("ics",) else ",".join(formats)) + where
    print(
        f"patients, {count:>6} {label}: {elapsed:6.2f} s  {count / elapsed:7.0f} patients/s  "
        f"peak RSS main {memory['main_mib']:.0f} MiB, "
        f"largest worker {memory['worker_mib']:.0f} MiB  "
        f"({written} folders written)"
    )
    # Where the time goes, per patient: the main process (reading, checking, assembling the
    # run files) and the workers, in user code and in the kernel (the file system).
    (mu, ms), (wu, ws) = memory["main_cpu"], memory["worker_cpu"]
    print(
        f"    CPU per patient: main {1000 * mu / count:.2f} ms user + {1000 * ms / count:.2f} ms "
        f"system, workers {1000 * wu / count:.2f} ms user + {1000 * ws / count:.2f} ms system"
    )


def reference_ms() -> tuple[float, float]:
    """(wall, CPU) milliseconds of a fixed piece of Python work of the kinds a run does
    (JSON, hashing, zone conversion, text joins): the least of three fresh processes.

    On this project's virtual machine the same code takes up to 60% longer at some moments
    than at others. Patients/s is wall time, and the wall time also holds what the host takes
    from this machine, which its CPU time leaves out: both are given. Taken before and after
    the runs, the figures show the machine's speed at the start and at the end; two equal
    figures do not show that it was steady in between."""
    samples = [_reference_once() for _ in range(3)]
    return min(wall for wall, _ in samples), min(cpu for _, cpu in samples)


_REFERENCE = """
import datetime as dt, hashlib, json, time
from zoneinfo import ZoneInfo
zone = ZoneInfo("Europe/Berlin")
wall, cpu = time.perf_counter(), time.process_time()
for i in range(20_000):
    at = dt.datetime(2027, 1, 1 + i % 28, 8, tzinfo=zone).astimezone(dt.UTC)
    text = json.dumps({"id": i, "at": at.isoformat(), "zone": "Europe/Berlin"}, sort_keys=True)
    ",".join([hashlib.sha1(text.encode()).hexdigest(), text, f"{i:06d}"])
print(time.perf_counter() - wall, time.process_time() - cpu)
"""


def _reference_once() -> tuple[float, float]:
    # -I: the standard library alone, whatever the working folder and PYTHONPATH hold.
    done = subprocess.run(
        [sys.executable, "-I", "-c", _REFERENCE], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the reference work failed: {done.stderr.strip()}")
    wall, cpu = (1000 * float(x) for x in done.stdout.split())
    return wall, cpu


def _print_reference(when: str) -> None:
    wall, cpu = reference_ms()
    print(
        f"machine reference {when} (a fixed piece of Python work, least of 3): "
        f"{wall:.0f} ms wall, {cpu:.0f} ms CPU"
    )


#: A folder in memory, where there is one: the same run there shows how much of the time is the
#: disk's. On a virtual disk, creating a file or folder can take 20 times longer after a large
#: delete than on a quiet disk, so the figures on disk vary from run to run.
RAM = Path("/dev/shm")


def main() -> None:
    every = ("ics", "csv", "sms", "fhir")
    _print_reference("before the runs")
    with tempfile.TemporaryDirectory() as tmp:
        for formats in (("ics",), every):
            for count in (1_000, 10_000):
                run(count, Path(tmp), formats)
    if RAM.is_dir() and os.access(RAM, os.W_OK):
        with tempfile.TemporaryDirectory(dir=RAM) as tmp:
            run(10_000, Path(tmp), every, where=" (output in RAM)")
    _print_reference("after the runs")


if __name__ == "__main__":
    main()
