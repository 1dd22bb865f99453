"""Prints a sha256 per output file of `build`, of `patients` on the example patients (every
format) and on 1,000 generated patients (the formats `make bench` times), so a refactoring
can prove it changed no byte: run it before and after, and diff the two.

    python tools/output_digest.py > before.txt   # on the old commit
    python tools/output_digest.py > after.txt    # on the new one
    diff before.txt after.txt
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.patients import write_patients  # noqa: E402


def digests(folder: Path) -> list[str]:
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        rows.append(f"{hashlib.sha256(data).hexdigest()}  {path.relative_to(folder)}")
    return rows


def main() -> int:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1800000000"}
    cli = [sys.executable, "-m", "sciatica_pipeline"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "patients.csv"
        write_patients(source, 1_000)
        for args in (
            ["build", "content", "--out", str(work / "build")],
            [
                "patients",
                str(source),
                "--content",
                "content",
                "--out",
                str(work / "patients"),
                *("-f", "ics", "-f", "csv", "-f", "sms", "-f", "fhir"),
            ],
            [
                "patients",
                "content/examples/patients.csv",
                "--content",
                "content",
                "--out",
                str(work / "examples"),
            ],
        ):
            done = subprocess.run(
                [*cli, *args], cwd=ROOT, env=env, capture_output=True, check=False
            )
            if done.returncode not in (0, 1):
                sys.stderr.write(done.stderr.decode())
                return done.returncode
        for line in digests(work):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
