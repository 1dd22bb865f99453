"""`make bench`: times the CLI's start-up, validation and the build, and prints the figures.

Each figure is the median of several runs, with the minimum beside it; nothing is asserted,
since timings belong in reports, not in unit tests.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "sciatica_pipeline"]


def timed(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, minimum) wall-clock seconds of `runs` calls."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)


def run_cli(*args: str) -> Callable[[], object]:
    def action() -> object:
        return subprocess.run([*CLI, *args], cwd=ROOT, check=True, capture_output=True)

    return action


def report(label: str, figures: tuple[float, float], extra: str = "") -> None:
    median, best = figures
    print(f"{label:<44} median {median * 1000:8.1f} ms   min {best * 1000:8.1f} ms  {extra}")


def main() -> int:
    print(f"python {sys.version.split()[0]} on {sys.platform}; runs per figure shown in brackets")
    report("sciatica-pipeline --help [15]", timed(run_cli("--help"), 15))
    report("sciatica-pipeline --version [15]", timed(run_cli("--version"), 15))
    report("sciatica-pipeline validate content [7]", timed(run_cli("validate", "content"), 7))
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "dist")
        report(
            "sciatica-pipeline build content (all) [5]",
            timed(run_cli("build", "content", "--out", out), 5),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
