"""Prints a sha256 per output file of `build` and of `patients` on 1,000 generated patients,
so a refactoring can prove it changed no byte: run it before and after, and diff the two.

    python tools/output_digest.py > before.txt   # on the old commit
    python tools/output_digest.py > after.txt    # on the new one
    diff before.txt after.txt
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.patients import write_patients  # noqa: E402


def with_mobiles(path: Path) -> None:
    """Give two patients in three a mobile number, so the SMS format runs too."""
    rng = random.Random(7)
    lines = path.read_text().splitlines()
    out = [lines[0] + ",mobile"]
    for line in lines[1:]:
        mobile = f"+1202555{rng.randrange(10_000):04d}" if rng.random() < 2 / 3 else ""
        out.append(f"{line},{mobile}")
    path.write_text("\n".join(out) + "\n")


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
        with_mobiles(source)
        for args in (
            ["build", "content", "--out", str(work / "build")],
            ["patients", str(source), "--content", "content", "--out", str(work / "patients")],
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
