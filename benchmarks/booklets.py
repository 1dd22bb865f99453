"""Personal booklets: `patients --format pdf` on 1,000 and 2,000 generated patients
(booklets per second, peak memory of the main process and of the largest worker), then the
page count of every plan's personal booklet against the plan's own booklet.

One patient in ten asks for large print, so gets two booklets; the figure counts booklets.
Target: >= 50 booklets/s on 2 cores, with the same peak memory for 2,000 patients as for
1,000. Length target: a patient's standard booklet is no longer than the plan's booklet plus
one page (the dates add a line here and there, never a section).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT
from benchmarks.patients import EVENINGS, MORNINGS, PLANS, RUNNER, ZONES

#: Every tenth patient asks for large print.
LARGE_EVERY = 10


def write_patients(path: Path, count: int) -> int:
    """A CSV of `count` fictional patients with clinicians; returns the booklets it asks for."""
    rng = random.Random(count)
    lines = [
        "id,name,plan,start_date,timezone,session_times,clinic_name,clinic_phone,"
        "clinician_name,clinician_phone,large_print"
    ]
    booklets = 0
    for i in range(count):
        start = dt.date(2027, 1, 1) + dt.timedelta(days=rng.randrange(365))
        times = f"{rng.choice(MORNINGS)};{rng.choice(EVENINGS)}"
        clinic = rng.randrange(20)
        large = i % LARGE_EVERY == 0
        booklets += 2 if large else 1
        lines.append(
            f"B-{i:06d},Patient {i},{PLANS[i % len(PLANS)]},{start},{rng.choice(ZONES)},{times},"
            f"Clinic {clinic:02d} Physio,+1 202 555 01{clinic:02d},Therapist {clinic:02d},"
            f"+1 202 555 02{clinic:02d},{'yes' if large else 'no'}"
        )
    path.write_text("\n".join(lines) + "\n")
    return booklets


def run(count: int, tmp: Path) -> None:
    source = tmp / f"booklet-patients-{count}.csv"
    booklets = write_patients(source, count)
    out = tmp / f"booklets-{count}"
    args = ["patients", str(source), "--content", "content", "--out", str(out), "-f", "pdf"]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode:
        print(done.stderr[-2000:])
        raise SystemExit(f"patients failed with exit code {done.returncode}")
    memory = json.loads(done.stderr.strip().splitlines()[-1])
    written = sum(1 for _ in out.glob("B-*/pdf/*.pdf"))
    print(
        f"booklets, {count:>5} patients: {elapsed:6.2f} s  {written / elapsed:6.1f} booklets/s  "
        f"peak RSS main {memory['main_mib']:.0f} MiB, "
        f"largest worker {memory['worker_mib']:.0f} MiB  ({written} of {booklets} written)"
    )


def _pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def _cli(*args: str) -> None:
    command = [sys.executable, "-m", "sciatica_pipeline", "-q", *args]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)


def lengths(tmp: Path) -> None:
    """Pages of each plan's booklet and of a patient's, standard and large print."""
    out = tmp / "lengths"
    _cli("build", "content", "-f", "pdf", "--out", str(out / "plans"))
    patient = ["--plan", "{plan}", "--start", "2027-03-08", "--tz", "Europe/London"]
    patient += ["--times", "08:00,18:00", "--name", "Sam"]
    for plan in PLANS:
        options = [arg.format(plan=plan) for arg in patient]
        booklet, large = out / f"{plan}.pdf", out / f"{plan}-large.pdf"
        _cli("booklet", "--content", "content", *options, "-o", str(booklet))
        _cli("booklet", "--content", "content", *options, "--large-print", "-o", str(large))
        plan_pages = _pages(out / "plans" / "pdf" / "standard" / f"{plan}.pdf")
        plan_large = _pages(out / "plans" / "pdf" / "large-print" / f"{plan}.pdf")
        print(
            f"pages, {plan:<48} plan {plan_pages:>3} / large {plan_large:>3}   "
            f"patient {_pages(booklet):>3} / large {_pages(large):>3}"
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for count in (1_000, 2_000):
            run(count, Path(tmp))
        lengths(Path(tmp))


if __name__ == "__main__":
    main()
