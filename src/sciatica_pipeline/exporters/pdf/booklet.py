"""One booklet from start to end: check the glyphs, build the story section by section, lay
it out; and every booklet of a build, in a process pool when there are several cores."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sciatica_pipeline.exporters.pdf.fonts import check_glyphs, register_fonts
from sciatica_pipeline.model.content import Bundle


@dataclass(frozen=True, slots=True)
class BookletJob:
    """One PDF to render: a plan in one edition on one paper size."""

    plan_id: str
    edition: str
    large: bool
    paper: str
    build_time: dt.datetime


def render_booklet(bundle: Bundle, job: BookletJob) -> bytes:
    """The PDF bytes of one booklet."""
    from sciatica_pipeline.exporters.pdf import back, document, exercises, front, program
    from sciatica_pipeline.exporters.pdf.parts import Booklet
    from sciatica_pipeline.exporters.pdf.styles import make_styles

    plan = bundle.plans[job.plan_id]
    check_glyphs(bundle, plan)
    register_fonts()
    st = make_styles(large=job.large, width=document.text_width(job.paper))
    b = Booklet(bundle, plan, st)
    body = [
        *front.about(b),
        *program.program(b),
        *exercises.exercises(b),
        *exercises.habits(b),
        *program.tracking_log(b),
        *back.sources(b),
        *back.back_page(b),
    ]
    start = [*front.cover(b), *front.safety(b)]
    story = [*start, *front.contents(b, [*start, *body]), *body]
    m = bundle.manifest
    condition = bundle.condition_of(plan)
    edition = " (large print)" if job.large else ""
    meta = document.Metadata(
        title=plan.title + edition,
        author=m.title or "sciatica-pipeline",
        subject=f"Home exercise booklet for {condition.name}{edition}",
        keywords=tuple(
            dict.fromkeys(
                k.lower() for k in ("sciatica", condition.name, "home exercise", "patient booklet")
            )
        ),
        language=m.language,
        footer=(plan.title, f"Version {m.version}"),
        created=job.build_time,
    )
    return document.build(
        story, job.paper, meta, footer_size=st.footer_size, contents_size=st.body_size
    )


#: The bundle the forked workers render from (inherited through fork, never pickled).
_SHARED: dict[str, Bundle] = {}


def _render_shared(job: BookletJob) -> bytes:
    return render_booklet(_SHARED["bundle"], job)


def _workers(jobs: int, wanted: int | None) -> int:
    """How many processes to use: one per core by default, and only where forking is safe and
    cheap: on Linux (a spawned worker would spend longer importing than rendering), from a
    process with no other thread (a fork can inherit a lock another thread holds)."""
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return 1
    cores = wanted if wanted is not None else len(os.sched_getaffinity(0))
    return max(1, min(jobs, cores))


def render_all(
    bundle: Bundle, jobs: Sequence[BookletJob], *, workers: int | None = None
) -> list[bytes]:
    """Every booklet, in the order of `jobs`; in a pool of forked processes on several cores.

    The content is checked in this process first, so a bad character is reported from here.

    :param workers: how many processes (default: one per core; 1 renders in this process)."""
    from sciatica_pipeline.exporters.pdf import back, document, exercises, front, program  # noqa: F401 - load before forking

    for plan_id in dict.fromkeys(job.plan_id for job in jobs):
        check_glyphs(bundle, bundle.plans[plan_id])
    register_fonts()
    workers = _workers(len(jobs), workers)
    if workers == 1:
        return [render_booklet(bundle, job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    # Longest booklets first, so no worker is left with a long one at the end.
    def cost(job: BookletJob) -> tuple[bool, int]:
        return job.large, len(bundle.plan_exercises(bundle.plans[job.plan_id]))

    order = sorted(range(len(jobs)), key=lambda i: cost(jobs[i]), reverse=True)
    _SHARED["bundle"] = bundle
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            done = dict(zip(order, pool.map(_render_shared, [jobs[i] for i in order]), strict=True))
    finally:
        _SHARED.clear()
    return [done[i] for i in range(len(jobs))]
