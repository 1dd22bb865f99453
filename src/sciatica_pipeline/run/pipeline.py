"""The one entry point every command goes through.

`Pipeline.open` reads the content once and checks it with every check, built-in and plugin,
so content that `validate` refuses is never exported by any command. The pipeline then
builds the bundle-level formats, runs a list of patients, or renders one format for one
patient, always through the plugin host: the core knows no concrete format.

    host = load_plugins()
    selection = select(host, "bundle", ["pdf"])
    Pipeline.open(Path("content"), host).build(Path("dist"), selection)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sciatica_pipeline.errors import ContentError, UsageError
from sciatica_pipeline.inputs.patients import PatientRecord, read_patients
from sciatica_pipeline.inputs.validation import Report, validate
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.model.schedule import schedule
from sciatica_pipeline.plugins.exporter import (
    Artifact,
    Exporter,
    PatientContext,
    SkipPatient,
    serves,
)
from sciatica_pipeline.plugins.manager import PLUGIN_FAILURES, PluginHost
from sciatica_pipeline.run.build import (
    BuildResult,
    ExportError,
    artifact_problem,
    build,
    build_time,
)
from sciatica_pipeline.run.limits import Limits, time_limit
from sciatica_pipeline.run.lock import output_lock
from sciatica_pipeline.run.memo import Memo
from sciatica_pipeline.run.pool import WorkerPool
from sciatica_pipeline.run.roster import (
    Outcome,
    PatientRun,
    RosterSummary,
    failure_detail,
    run_roster,
)
from sciatica_pipeline.run.selection import Selection, runs_in
from sciatica_pipeline.run.writer import unsafe_build_output, unsafe_patients_output


def check_content(content_dir: Path, host: PluginHost) -> Report:
    """Validate `content_dir` with the built-in checks and every plugin's checks."""
    return validate(content_dir, checks=host.content_checks())


def require_build_output(out_dir: Path, content_dir: Path) -> None:
    """Raise UsageError (option `out`) when `build` must not replace `out_dir`."""
    unsafe = unsafe_build_output(out_dir, content_dir)
    if unsafe:
        raise UsageError(unsafe, "out")


def require_patients_output(out_dir: Path, content_dir: Path) -> None:
    """Raise UsageError (option `out`) when `patients` must not write into `out_dir`."""
    unsafe = unsafe_patients_output(out_dir, content_dir)
    if unsafe:
        raise UsageError(unsafe, "out")


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Checked content and the loaded plugins: what every command runs on.

    :param host: the loaded plugins.
    :param bundle: the content, valid under every check.
    :param report: the validation report (its warnings are worth showing).
    :param build_time: the timestamp outputs carry (SOURCE_DATE_EPOCH, else the review date).
    :param content_dir: where the content was read from.
    :param limits: how long one render may take and how large one file may be.
    """

    host: PluginHost
    bundle: Bundle
    report: Report
    build_time: dt.datetime
    content_dir: Path
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def open(
        cls,
        content_dir: Path,
        host: PluginHost,
        *,
        strict: bool = False,
        limits: Limits | None = None,
    ) -> Pipeline:
        """Read and check the content once.

        :param strict: refuse content with warnings too.
        :param limits: bounds on each render (default: `Limits()`).
        :raises ContentError: listing every problem, when the content cannot be used.
        """
        report = check_content(content_dir, host)
        if report.bundle is None or not report.ok(strict=strict):
            raise ContentError(report.problems, report.source)
        when = build_time(report.bundle)
        return cls(host, report.bundle, report, when, content_dir, limits or Limits())

    def _exporters(self, selection: Selection) -> tuple[tuple[Exporter, str], ...]:
        exporters = []
        for name in selection.formats:
            exporter = self.host.exporter(name)
            if not runs_in(exporter, selection.scope):
                raise UsageError(
                    f"the {name} format does not serve the {selection.scope}", "format"
                )
            exporters.append((exporter, self.host.exporter_plugin[name]))
        return tuple(exporters)

    def build(self, out_dir: Path, selection: Selection, *, jobs: int | None = None) -> BuildResult:
        """Render the selected bundle-level formats and replace `out_dir` atomically.

        :param jobs: worker processes (default: one per core).
        :raises UsageError: when `out_dir` holds anything a build did not write.
        :raises ExportError: when a format fails; nothing is written then.
        """
        with output_lock(out_dir):
            require_build_output(out_dir, self.content_dir)
            with WorkerPool(jobs) as workers:
                return build(
                    self.bundle,
                    self._exporters(selection),
                    out_dir,
                    options=selection.options,
                    when=self.build_time,
                    workers=workers,
                    limits=self.limits,
                )

    def run_patients(
        self,
        source: Path | str,
        out_dir: Path,
        selection: Selection,
        *,
        jobs: int | None = None,
        on_bad_record: Callable[[PatientRecord], None] = lambda record: None,
        on_outcome: Callable[[Outcome], None] = lambda outcome: None,
        on_warning: Callable[[PatientRecord], None] = lambda record: None,
    ) -> RosterSummary:
        """Write the selected per-patient formats for every patient of `source` (a CSV, JSON
        or JSON Lines file, `-` for standard input) into one private folder each.

        Bad records, warnings (the patient is still written) and failed formats are reported
        through the callbacks as they come; the good patients are still written.
        """
        with output_lock(out_dir, private=True):
            require_patients_output(out_dir, self.content_dir)
            run = PatientRun(
                self.bundle,
                self._exporters(selection),
                selection,
                self.build_time,
                out_dir,
                self.limits,
            )
            records = read_patients(source, self.bundle)
            return run_roster(
                run,
                records,
                jobs=jobs,
                on_bad_record=on_bad_record,
                on_outcome=on_outcome,
                on_warning=on_warning,
            )

    def render_patient(self, selection: Selection, patient: Patient) -> tuple[Artifact, ...]:
        """The artifacts of the one selected per-patient format for one patient.

        :raises SkipPatient: when the format does not apply to this patient.
        :raises ExportError: when the exporter fails (its message scrubbed of the patient's
            name and numbers).
        """
        [(exporter, plugin)] = self._exporters(selection)
        if not serves(exporter, "patient"):
            raise UsageError(f"the {exporter.name} format writes no file for one patient", "format")
        context = PatientContext(
            self.bundle,
            patient,
            schedule(self.bundle, patient),
            self.build_time,
            selection.options_for(exporter.name),
            Memo(),
        )
        try:
            with time_limit(self.limits.render_seconds):
                artifacts = tuple(exporter.render_patient(context))
        except SkipPatient:
            raise
        except PLUGIN_FAILURES as exc:
            detail = failure_detail(exc, patient)
            raise ExportError([(exporter.name, plugin, detail)]) from exc
        problem = artifact_problem(artifacts, self.limits.file_bytes)
        if problem:
            raise ExportError([(exporter.name, plugin, problem)])
        return artifacts
