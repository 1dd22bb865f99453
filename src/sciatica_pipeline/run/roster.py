"""Runs the per-patient formats for a whole list of patients, on every core, in flat memory.

Records stream in one at a time and go to worker processes in small batches, with a bounded
number of batches in flight; each worker writes its patients' folders itself and returns only
a short outcome, so memory does not grow with the number of patients.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.inputs.patients import Patient, PatientRecord
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.schedule import schedule
from sciatica_pipeline.plugins.exporter import Exporter, PatientContext, SkipPatient
from sciatica_pipeline.run.build import artifact_problem
from sciatica_pipeline.run.writer import PATIENTS_MARKER, write_tree

BATCH_SIZE = 32


@dataclass(frozen=True, slots=True)
class RosterJob:
    """What every worker needs to render and write patients (picklable)."""

    content_dir: Path
    plugins_dir: Path | None
    formats: tuple[str, ...]
    options: Mapping[str, Mapping[str, str]]
    build_time: dt.datetime
    out_dir: Path


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one patient: files written, or why not, and formats skipped."""

    patient_id: str
    files: int = 0
    error: str | None = None
    skipped: tuple[str, ...] = ()


@dataclass
class RosterSummary:
    """Counts for the closing line of a run."""

    written: int = 0
    skipped: int = 0
    failed: int = 0
    bad_records: int = 0
    files: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every record was good and every patient written."""
        return not (self.failed or self.bad_records)


@dataclass(frozen=True, slots=True)
class _Worker:
    bundle: Bundle
    exporters: tuple[Exporter, ...]


_WORKER: _Worker | None = None


def prepare(job: RosterJob, bundle: Bundle, exporters: Sequence[Exporter]) -> None:
    """Set the worker state in this process (forked workers inherit it)."""
    global _WORKER  # noqa: PLW0603 - per-process worker state, set once
    _WORKER = _Worker(bundle, tuple(exporters))


def _init_worker(job: RosterJob) -> None:
    """Load the content and plugins in a worker that did not inherit them (spawn start)."""
    if _WORKER is not None:
        return
    from sciatica_pipeline.inputs.validation import load_bundle
    from sciatica_pipeline.plugins.manager import load_plugins

    host = load_plugins(job.plugins_dir)
    prepare(job, load_bundle(job.content_dir), [host.exporter(name) for name in job.formats])


def render_patient(job: RosterJob, patient: Patient) -> Outcome:
    """Render every format for one patient, then replace each format's folder atomically.

    Nothing is written unless every format rendered. Formats not run this time keep their
    folders; a format that no longer applies (a mobile number removed, say) loses its old
    folder, which would otherwise go on holding stale contact data.
    """
    assert _WORKER is not None
    bundle = _WORKER.bundle
    try:
        plan_schedule = schedule(bundle, patient)
    except (ValueError, OverflowError) as exc:  # the record passed its checks; say so, go on
        return Outcome(patient.id, error=f"its schedule cannot be made: {exc}")
    files: dict[str, dict[str, bytes]] = {}
    skipped: list[str] = []
    for exporter in _WORKER.exporters:
        context = PatientContext(
            bundle, patient, plan_schedule, job.build_time, dict(job.options.get(exporter.name, {}))
        )
        try:
            artifacts = tuple(exporter.render_patient(context))
        except SkipPatient as skip:
            skipped.append(f"no {exporter.name}: {skip}")
            files[exporter.name] = {}
            continue
        except Exception as exc:
            detail = str(exc) if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
            return Outcome(patient.id, error=f"the {exporter.name} exporter failed: {detail}")
        problem = artifact_problem(artifacts)
        if problem:
            return Outcome(patient.id, error=f"the {exporter.name} exporter failed: {problem}")
        files[exporter.name] = {a.path: a.data for a in artifacts}
    folder = job.out_dir / patient.id
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        for name, format_files in files.items():
            if format_files:
                write_tree(folder / name, format_files, private=True)
            else:
                shutil.rmtree(folder / name, ignore_errors=True)
    except (OSError, PipelineError) as exc:
        return Outcome(patient.id, error=f"cannot write the patient's folder: {exc}")
    written = sum(len(f) for f in files.values())
    return Outcome(patient.id, files=written, skipped=tuple(skipped))


def _render_batch(job: RosterJob, patients: list[Patient]) -> list[Outcome]:
    return [render_patient(job, p) for p in patients]


def _batches(
    records: Iterable[PatientRecord], on_bad: Callable[[PatientRecord], None]
) -> Iterator[list[Patient]]:
    batch: list[Patient] = []
    for record in records:
        if record.patient is None:
            on_bad(record)
            continue
        batch.append(record.patient)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def run_roster(
    job: RosterJob,
    records: Iterable[PatientRecord],
    *,
    jobs: int,
    on_bad_record: Callable[[PatientRecord], None],
    on_outcome: Callable[[Outcome], None],
) -> RosterSummary:
    """Render and write every good patient; report bad records and failures as they come.

    With `jobs` > 1 the work runs in that many processes; `prepare()` must have been called
    in this process first (forked workers inherit its state).
    """
    summary = RosterSummary()
    job.out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (job.out_dir / PATIENTS_MARKER).write_text(
        "Patient folders written by sciatica-pipeline patients; a later run replaces them.\n"
    )

    def bad(record: PatientRecord) -> None:
        summary.bad_records += 1
        on_bad_record(record)

    def done(outcome: Outcome) -> None:
        if outcome.error:
            summary.failed += 1
        else:
            summary.written += 1
            summary.files += outcome.files
        summary.skipped += bool(outcome.skipped)
        on_outcome(outcome)

    if jobs <= 1:
        for batch in _batches(records, bad):
            for outcome in _render_batch(job, batch):
                done(outcome)
        return summary

    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_init_worker, initargs=(job,)
    ) as pool:
        in_flight: deque[Future[list[Outcome]]] = deque()
        for batch in _batches(records, bad):
            in_flight.append(pool.submit(_render_batch, job, batch))
            while len(in_flight) >= jobs * 2:  # bounded: memory stays flat
                for outcome in in_flight.popleft().result():
                    done(outcome)
        while in_flight:
            for outcome in in_flight.popleft().result():
                done(outcome)
    return summary
