"""The `pdf` format: a printable booklet per plan, in a standard and a large-print edition
(`build`), and a personal booklet per patient (`patients`, `booklet`): dated, with their
clinic and clinician, in large print as well when the record asks for it.

This module only declares the exporter; reportlab is imported when a booklet is rendered, so
loading the plugin (and `sciatica-pipeline --help`) stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import ClassVar

from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.model.content import Manifest
from sciatica_pipeline.plugins.exporter import Artifact, BuildContext, Exporter, PatientContext
from sciatica_pipeline.plugins.hookspecs import hookimpl

#: The paper sizes the booklet is laid out for.
PAPERS = ("letter", "a4")

#: Regions that print on US Letter; everywhere else uses A4.
LETTER_REGIONS = frozenset({"US", "CA"})

#: The editions rendered for every plan: folder name -> large print?
EDITIONS: tuple[tuple[str, bool], ...] = (("standard", False), ("large-print", True))


def paper_for(manifest: Manifest, option: str | None) -> str:
    """The paper size: the `paper` option if given, else the one of the content's region."""
    if option is None:
        return "letter" if (manifest.region or "").upper() in LETTER_REGIONS else "a4"
    return paper_for_option(option)


def paper_for_option(option: str) -> str:
    """The paper size a `paper` option names; PipelineError when it names none we know."""
    paper = option.strip().lower()
    if paper not in PAPERS:
        raise PipelineError(
            f"unknown paper size {option!r}; use --set pdf.paper=letter or --set pdf.paper=a4"
        )
    return paper


#: A patient's booklets: file name -> large print? (the large one only when asked for).
PATIENT_FILES = {"booklet.pdf": False, "booklet-large-print.pdf": True}


class PdfBooklets(Exporter):
    """Patient booklets as PDF: per plan in standard and large print, and per patient."""

    name = "pdf"
    description = (
        "Printable patient booklets (PDF): per plan in standard and large print, and a "
        "personal, dated one per patient."
    )
    scopes = frozenset({"bundle", "patient"})
    options: ClassVar[Mapping[str, str]] = {
        "paper": "letter or a4 (default: from the content's language region: Letter for "
        "US/CA, A4 elsewhere)"
    }

    def check_options(self, options: Mapping[str, str]) -> None:
        """An unknown paper size is refused before anything is rendered."""
        if "paper" in options:
            paper_for_option(options["paper"])

    def render(self, context: BuildContext) -> list[Artifact]:
        """Both editions of every plan's booklet: `standard/<plan>.pdf`, `large-print/<plan>.pdf`.

        Raises PipelineError for an unknown paper size or a character the font cannot draw."""
        from sciatica_pipeline.exporters.pdf.booklet import BookletJob, render_all

        bundle = context.bundle
        paper = paper_for(bundle.manifest, context.options.get("paper"))
        jobs = [
            BookletJob(plan.id, edition, large, paper, context.build_time)
            for plan in bundle.plans.values()
            for edition, large in EDITIONS
        ]
        return [
            Artifact(
                f"{job.edition}/{job.plan_id}.pdf",
                data,
                "application/pdf",
                patient_facing=True,
                plan=job.plan_id,
            )
            for job, data in zip(jobs, render_all(bundle, jobs, context.workers), strict=True)
        ]

    def render_patient(self, context: PatientContext) -> list[Artifact]:
        """The patient's booklet, `booklet.pdf`, and `booklet-large-print.pdf` when the
        record asks for large print: the plan's booklet with the patient's dates, clinic and
        clinician written in.

        The layout of each plan, edition and unit of distance is made once per run (per
        worker) and kept in the memo; a patient costs the writing of their texts only.
        Raises PipelineError for a text the font cannot print."""
        from sciatica_pipeline.exporters.pdf.personal import (
            Template,
            check_texts,
            fill,
            miles_region,
            render_template,
        )
        from sciatica_pipeline.exporters.personal import personal
        from sciatica_pipeline.exporters.region import patient_region

        bundle, patient = context.bundle, context.patient
        paper = paper_for(bundle.manifest, context.options.get("paper"))
        texts = personal(context.schedule, bundle.manifest).texts
        check_texts(texts)
        units = miles_region(patient_region(patient))

        def make(large: bool) -> Template:
            return render_template(
                bundle,
                patient.plan,
                large=large,
                paper=paper,
                units_region=units,
                build_time=context.build_time,
            )

        artifacts = []
        for path, large in PATIENT_FILES.items():
            if large and not patient.large_print:
                continue
            key = ("template", patient.plan, large, paper, units)
            template = context.memo.once(key, partial(make, large))
            artifacts.append(
                Artifact(
                    path,
                    fill(template, texts),
                    "application/pdf",
                    patient_facing=True,
                    plan=patient.plan,
                )
            )
        return artifacts


@hookimpl
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Provide the `pdf` format."""
    register(PdfBooklets())
