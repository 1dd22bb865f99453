"""`patients` on generated lists of 1,000 and 10,000 patients (calendars only): patients per
second and peak memory of the main process and of the largest worker.

Each run is a fresh process that reports its own peak resident memory (ru_maxrss) and that of
its largest worker, so the figures of one run do not leak into the next.
"""

from __future__ import annotations

import json
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
)
PLANS = (
    "sciatica-plan",
    "lumbar-disc-herniation-plan",
    "lumbar-spinal-stenosis-plan",
    "piriformis-syndrome-plan",
    "degenerative-disc-disease-with-instability-plan",
    "isthmic-spondylolisthesis-plan",
)

RUNNER = """
import json, resource, sys
from sciatica_pipeline.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({
    "main_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}), file=sys.stderr)
"""


def write_patients(path: Path, count: int) -> None:
    """A CSV of `count` fictional patients spread over plans, zones and start dates."""
    lines = ["id,plan,start_date,timezone,session_times,reminder_minutes"]
    for i in range(count):
        day = 1 + i % 28
        plan, zone = PLANS[i % len(PLANS)], ZONES[i % len(ZONES)]
        lines.append(f"B-{i:06d},{plan},2027-03-{day:02d},{zone},08:00;18:00,15")
    path.write_text("\n".join(lines) + "\n")


def run(count: int, tmp: Path) -> None:
    source = tmp / f"patients-{count}.csv"
    write_patients(source, count)
    out = tmp / f"out-{count}"
    args = ["patients", str(source), "--content", "content", "--out", str(out), "--format", "ics"]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    memory = json.loads(done.stderr.strip().splitlines()[-1])
    written = sum(1 for p in out.iterdir() if p.is_dir())
    print(
        f"patients, {count:>6} calendars: {elapsed:6.2f} s  {count / elapsed:7.0f} patients/s  "
        f"peak RSS main {memory['main_mib']:.0f} MiB, "
        f"largest worker {memory['worker_mib']:.0f} MiB  "
        f"({written} folders written)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for count in (1_000, 10_000):
            run(count, Path(tmp))


if __name__ == "__main__":
    main()
