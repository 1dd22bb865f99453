"""CLI start-up, validation and the whole build, run as a user would (a new process each)."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import CLI, ROOT, report, timed


def run_cli(*args: str) -> Callable[[], object]:
    def action() -> object:
        return subprocess.run([*CLI, *args], cwd=ROOT, check=True, capture_output=True)

    return action


def main() -> None:
    report("sciatica-pipeline --help [15 runs]", timed(run_cli("--help"), 15))
    report("sciatica-pipeline --version [15 runs]", timed(run_cli("--version"), 15))
    report("sciatica-pipeline validate content [7 runs]", timed(run_cli("validate", "content"), 7))
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "dist")
        figures = timed(run_cli("build", "content", "--out", out), 5)
        report("sciatica-pipeline build content, all formats [5 runs]", figures)
