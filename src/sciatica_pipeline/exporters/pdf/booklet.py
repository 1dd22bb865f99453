"""One booklet from start to end: check the glyphs, build the story section by section, lay
it out; and every booklet of a build, on the run's workers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sciatica_pipeline.exporters.pdf.flowables import Place
from sciatica_pipeline.exporters.pdf.fonts import check_glyphs, register_fonts
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.plugins.exporter import InProcess, Workers


@dataclass(frozen=True, slots=True)
class BookletJob:
    """One PDF to render: a plan in one edition on one paper size; or, with `personal`, the
    template of the personal booklets of that plan, edition, paper and unit of distance."""

    plan_id: str
    edition: str
    large: bool
    paper: str
    build_time: dt.datetime
    personal: bool = False
    units_region: str | None = None


def render_booklet(bundle: Bundle, job: BookletJob) -> bytes:
    """The PDF bytes of one booklet."""
    return lay_out(bundle, job, [])


def lay_out(
    bundle: Bundle,
    job: BookletJob,
    places: list[Place],
    glyphs: dict[str, dict[str, tuple[str, int]]] | None = None,
) -> bytes:
    """The PDF bytes of one booklet, noting the places of its `Slot`s in `places` (and, for a
    template, how its faces write each character in `glyphs`: see `document.build`)."""
    from sciatica_pipeline.exporters.pdf import back, document, exercises, front, program
    from sciatica_pipeline.exporters.pdf.parts import Booklet
    from sciatica_pipeline.exporters.pdf.styles import make_styles

    plan = bundle.plans[job.plan_id]
    check_glyphs(bundle, plan)
    register_fonts()
    st = make_styles(large=job.large, width=document.text_width(job.paper))
    b = Booklet(bundle, plan, st, personal=job.personal, units_region=job.units_region)
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
        subject=f"{'Personal h' if job.personal else 'H'}ome exercise booklet for "
        f"{condition.name}{edition}",
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
        story,
        job.paper,
        meta,
        footer_size=st.footer_size,
        contents_size=st.body_size,
        places=places,
        glyphs=glyphs,
    )


def _render_item(item: tuple[Bundle, BookletJob]) -> bytes:
    bundle, job = item
    return render_booklet(bundle, job)


def render_all(
    bundle: Bundle, jobs: Sequence[BookletJob], workers: Workers | None = None
) -> list[bytes]:
    """Every booklet, in the order of `jobs`, on the run's `workers` (in this process when
    none are given).

    The content is checked in this process first, so a bad character is reported from here.
    """
    # reportlab and the page modules are imported before the workers start, once.
    from sciatica_pipeline.exporters.pdf import back, document, exercises, front, program  # noqa: F401

    for plan_id in dict.fromkeys(job.plan_id for job in jobs):
        check_glyphs(bundle, bundle.plans[plan_id])
    register_fonts()
    workers = workers or InProcess()

    # Longest booklets first, so no worker is left with a long one at the end.
    def cost(job: BookletJob) -> tuple[bool, int]:
        return job.large, len(bundle.plan_exercises(bundle.plans[job.plan_id]))

    order = sorted(range(len(jobs)), key=lambda i: cost(jobs[i]), reverse=True)
    rendered = workers.map(_render_item, [(bundle, jobs[i]) for i in order])
    done = dict(zip(order, rendered, strict=True))
    return [done[i] for i in range(len(jobs))]
