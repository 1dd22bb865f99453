"""PDF booklets: every booklet of the bundled content (each plan, standard and large print),
in a pool of processes (the default) and in one process, with pages per second."""

from __future__ import annotations

import datetime as dt
import functools
import io
import os

import pypdf

from benchmarks.common import report, timed
from sciatica_pipeline.exporters.pdf import EDITIONS, PdfBooklets
from sciatica_pipeline.exporters.pdf.booklet import BookletJob, render_all
from sciatica_pipeline.plugins.exporter import BuildContext
from sciatica_pipeline.plugins.testing import load_example_bundle
from sciatica_pipeline.run.pool import WorkerPool

RUNS = 5


def main() -> None:
    bundle = load_example_bundle()
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    pool = WorkerPool()  # one process per core, as `build` uses
    context = BuildContext(bundle, when, {}, workers=pool)
    exporter = PdfBooklets()
    artifacts = list(exporter.render(context))  # warm up: imports, fonts, first layout
    pages = sum(len(pypdf.PdfReader(io.BytesIO(a.data)).pages) for a in artifacts)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    label = f"{len(artifacts)} booklets, {pages} pages"

    figures = timed(lambda: exporter.render(context), RUNS)
    pool.close()
    rate = f"{pages / figures[0]:6.0f} pages/s  ({cores} cores)"
    report(f"pdf: {label}, default [{RUNS} runs]", figures, rate)

    jobs = [
        BookletJob(plan.id, edition, large, "letter", when)
        for plan in bundle.plans.values()
        for edition, large in EDITIONS
    ]
    figures = timed(lambda: render_all(bundle, jobs), RUNS)
    report(
        f"pdf: {label}, one process [{RUNS} runs]", figures, f"{pages / figures[0]:6.0f} pages/s"
    )
    for edition, large in EDITIONS:
        some = [job for job in jobs if job.large == large]
        figures = timed(functools.partial(render_all, bundle, some), RUNS)
        report(f"pdf: {len(some)} {edition} booklets, one process", figures)
