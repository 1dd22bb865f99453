"""The `html` format: an accessible, self-contained HTML handout per plan, and per patient
(`handout.html`: the plan's, with the dates, clinic and clinician their booklet has).

This module only declares the exporter; Jinja2 and the templates are loaded when a handout is
rendered, so loading the plugin (and `sciatica-pipeline --help`) stays fast. See docs/html.md
for what the page holds and how a portal embeds it.
"""

from __future__ import annotations

from collections.abc import Callable

from sciatica_pipeline.plugins.exporter import Artifact, BuildContext, Exporter, PatientContext
from sciatica_pipeline.plugins.hookspecs import hookimpl

#: The media type of every handout.
MEDIA_TYPE = "text/html"


class HtmlHandouts(Exporter):
    """A handout per plan, as one HTML file with its styles and pictures inline."""

    name = "html"
    description = (
        "An accessible HTML handout per plan and per patient (WCAG 2.1 AA): one "
        "self-contained page, for patient portals and screen readers."
    )
    scopes = frozenset({"bundle", "patient"})

    def render(self, context: BuildContext) -> list[Artifact]:
        """`<plan>.html` for every plan."""
        from sciatica_pipeline.exporters.html.page import render_handout
        from sciatica_pipeline.exporters.html.view import handout_view

        bundle = context.bundle
        return [
            Artifact(
                f"{plan.id}.html",
                render_handout(handout_view(bundle, plan)).encode("utf-8"),
                MEDIA_TYPE,
                patient_facing=True,
                plan=plan.id,
            )
            for plan in bundle.plans.values()
        ]

    def render_patient(self, context: PatientContext) -> list[Artifact]:
        """`handout.html`: the patient's own handout, dated like their booklet."""
        from sciatica_pipeline.exporters.html.page import render_handout
        from sciatica_pipeline.exporters.html.view import patient_view

        view = patient_view(context.bundle, context.schedule)
        return [
            Artifact(
                "handout.html",
                render_handout(view).encode("utf-8"),
                MEDIA_TYPE,
                patient_facing=True,
                plan=context.patient.plan,
            )
        ]


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Provide the `html` format."""
    register(HtmlHandouts())
