"""Helpers shared by the benchmark modules."""

from __future__ import annotations

import resource
import statistics
import sys
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


def report(label: str, figures: tuple[float, float], extra: str = "") -> None:
    """Print one figure line: label, median and minimum in milliseconds, and any extra."""
    median, best = figures
    print(f"{label:<48} median {median * 1000:9.1f} ms   min {best * 1000:9.1f} ms  {extra}")


def children_peak_rss_mib() -> float:
    """The peak resident memory of finished child processes, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
