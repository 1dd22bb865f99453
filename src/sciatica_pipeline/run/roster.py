"""Runs the per-patient formats for a whole list of patients, on the run's worker pool, in flat
memory.

Records stream in one at a time and go to the workers in small batches, a bounded number in
flight; each worker writes its patients' folders itself and returns only a short outcome, so
memory does not grow with the number of patients. A format that fails for a patient is
reported by name and the patient's other formats are still written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.inputs.patients import PatientRecord
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.frozen import pickled_as_call
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.model.schedule import schedule
from sciatica_pipeline.plugins.exporter import (
    Artifact,
    Exporter,
    PatientContext,
    RunContext,
    RunFile,
    RunPart,
    SkipPatient,
    serves,
)
from sciatica_pipeline.plugins.manager import PLUGIN_FAILURES
from sciatica_pipeline.run import pool
from sciatica_pipeline.run.build import ExportError, artifact_problem
from sciatica_pipeline.run.limits import Limits, RenderTimer
from sciatica_pipeline.run.memo import Memo
from sciatica_pipeline.run.runfiles import RUN_FOLDER, RunFiles
from sciatica_pipeline.run.selection import Selection
from sciatica_pipeline.run.spool import Spool, Spooled
from sciatica_pipeline.run.writer import PATIENTS_MARKER, OutputError, os_error_message, write_tree

BATCH_SIZE = 32


@dataclass(frozen=True, slots=True)
class PatientRun:
    """What every worker needs to render and write patients; workers inherit it by fork."""

    bundle: Bundle
    exporters: tuple[tuple[Exporter, str], ...]
    selection: Selection
    build_time: dt.datetime
    out_dir: Path
    limits: Limits = field(default_factory=Limits)
    memos: dict[str, Memo] = field(default_factory=dict)
    #: Where the workers put the parts of the unordered run files, and which files those are
    #: ((format, path) pairs); parts of other files go to the main process with the outcome.
    spool: Spool | None = None
    unordered: frozenset[tuple[str, str]] = frozenset()

    def memo(self, name: str) -> Memo:
        """The format's memo for this run (in a worker: that worker's copy)."""
        return self.memos.setdefault(name, Memo())

    @property
    def writes_patient_folders(self) -> bool:
        """Whether any format of the run writes into the patients' own folders."""
        return any(serves(e, "patient") for e, _ in self.exporters)


@pickled_as_call
@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one patient: files written, formats skipped or failed, or why
    nothing could be written."""

    patient_id: str
    files: int = 0
    error: str | None = None
    skipped: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    parts: tuple[tuple[str, tuple[RunPart | Spooled, ...]], ...] = ()
    #: Why this process could not spool the patient's parts of the run files (the disk's
    #: message): the run stops, leaving the previous run files.
    spool_error: str | None = None


@dataclass
class RosterSummary:
    """Counts for the closing line of a run."""

    written: int = 0
    skipped: int = 0
    failed: int = 0
    bad_records: int = 0
    files: int = 0
    run_files: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every record was good and every patient written in every format."""
        return not (self.failed or self.bad_records)


def scrub(text: str, patient: Patient) -> str:
    """`text` with the patient's name, numbers and clinic details taken out: a plugin's error
    message may quote them (in any case, or in part), and messages name a patient by id only.
    Any run of six or more digits goes too: it may be a phone number, however written."""
    for value in (patient.name, patient.mobile, patient.clinic_name, patient.clinic_phone):
        if value and value.strip():
            for word in {value, *value.split()}:
                if len(word) >= 3:
                    text = re.sub(re.escape(word), "[removed]", text, flags=re.IGNORECASE)
    return _DIGITS.sub("[removed]", text)


# Six digits or more, with the separators phone numbers are written with.
_DIGITS = re.compile(r"\+?\d(?:[\d ().-]{4,}\d)")


def failure_detail(exc: BaseException, patient: Patient) -> str:
    """What an exporter's failure for a patient says, scrubbed of the patient's details."""
    detail = str(exc) if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
    return scrub(detail, patient)


def render_patient(run: PatientRun, patient: Patient) -> Outcome:
    """Render every format for one patient, then replace each format's folder atomically.

    A format that fails is reported and its previous folder kept; the others are written.
    A format that no longer applies (a mobile number removed, say) loses its old folder,
    which would otherwise go on holding stale contact data.
    """
    bundle = run.bundle
    try:
        plan_schedule = schedule(bundle, patient)
    except (ValueError, OverflowError) as exc:  # the record passed its checks; say so, go on
        return Outcome(patient.id, error=f"its schedule cannot be made: {exc}")
    files: dict[str, dict[str, bytes]] = {}
    parts: list[tuple[str, tuple[RunPart | Spooled, ...]]] = []
    spool_error: str | None = None
    skipped: list[str] = []
    failed: list[str] = []
    # One alarm handler for the patient's renders; each render sets the timer.
    with RenderTimer(run.limits.render_seconds) as timer:
        for exporter, plugin in run.exporters:
            name = exporter.name
            context = PatientContext(
                bundle,
                patient,
                plan_schedule,
                run.build_time,
                run.selection.options_for(name),
                run.memo(name),
            )
            skip_note = None
            if serves(exporter, "patient"):
                try:
                    with timer.render:
                        artifacts = tuple(exporter.render_patient(context))
                except SkipPatient as skip:
                    skip_note = f"no {name}: {scrub(str(skip), patient)}"
                    artifacts = ()
                except PLUGIN_FAILURES as exc:
                    detail = failure_detail(exc, patient)
                    failed.append(f"the {name} exporter (plugin {plugin}) failed: {detail}")
                    artifacts = None
                if artifacts is not None:
                    problem = artifact_problem(artifacts, run.limits.file_bytes)
                    if problem:
                        failed.append(f"the {name} exporter (plugin {plugin}) failed: {problem}")
                    else:
                        files[name] = {a.path: a.data for a in artifacts}
            else:
                files[name] = {}  # a run-level format keeps no copy in the patient's folder
            if serves(exporter, "run"):
                try:
                    with timer.render:
                        own = tuple(exporter.render_run(context))
                except SkipPatient as skip:
                    skip_note = skip_note or f"no {name}: {scrub(str(skip), patient)}"
                    own = ()
                except PLUGIN_FAILURES as exc:
                    detail = failure_detail(exc, patient)
                    failed.append(f"the {name} exporter (plugin {plugin}) failed: {detail}")
                    own = ()
                if any(isinstance(part, Spooled) for part in own):
                    # Only this process makes spool references: one from a plugin could point
                    # anywhere, another patient's bytes or a file outside the run.
                    failed.append(
                        f"the {name} exporter (plugin {plugin}) failed: render_run() returned "
                        "Spooled, not a RunPart of bytes"
                    )
                elif own:
                    try:
                        parts.append((name, _spooled(run, name, own)))
                    except OSError as exc:
                        # The run files would miss this patient: the run stops, as it does when
                        # the main process cannot write them.
                        spool_error = os_error_message(run.out_dir / RUN_FOLDER, exc)
            if skip_note:
                skipped.append(skip_note)
    folder = run.out_dir / patient.id
    written = sum(len(f) for f in files.values())
    try:
        # The patient's folder is replaced as one unit: the new formats, and the files of the
        # formats this run did not write (not asked for, or failed) as they were.
        if run.writes_patient_folders:
            kept = _files_of_other_formats(folder, files)
            new = {f"{n}/{path}": data for n, fs in files.items() for path, data in fs.items()}
            write_tree(folder, {**kept, **new}, private=True)
    except (OSError, PipelineError) as exc:
        return Outcome(patient.id, error=f"cannot write the patient's folder: {exc}")
    return Outcome(
        patient.id,
        files=written,
        skipped=tuple(skipped),
        failed=tuple(failed),
        parts=tuple(parts),
        spool_error=spool_error,
    )


def _spooled(
    run: PatientRun, name: str, parts: tuple[RunPart, ...]
) -> tuple[RunPart | Spooled, ...]:
    """The parts, those of unordered run files put in this process's spool (anything else,
    an undeclared path say, goes to the main process as it is, which refuses it)."""
    if run.spool is None:
        return parts
    spool = run.spool
    return tuple(
        spool.add(name, part.path, part.data)
        if isinstance(part, RunPart)
        and isinstance(part.data, bytes)
        and (name, part.path) in run.unordered
        else part
        for part in parts
    )


def _files_of_other_formats(
    folder: Path, rendered: dict[str, dict[str, bytes]]
) -> dict[str, bytes]:
    """The files of the format folders a run leaves alone: those it did not render."""
    kept: dict[str, bytes] = {}
    if not folder.is_dir():
        return kept
    for sub in sorted(folder.iterdir()):
        if sub.is_dir() and not sub.is_symlink() and sub.name not in rendered:
            for path in sorted(sub.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    kept[f"{sub.name}/{path.relative_to(sub).as_posix()}"] = path.read_bytes()
    return kept


def _render_batch(patients: list[Patient]) -> list[Outcome]:
    run: PatientRun = pool.shared()
    return [render_patient(run, p) for p in patients]


def _batches(
    records: Iterable[PatientRecord],
    on_bad: Callable[[PatientRecord], None],
    on_warning: Callable[[PatientRecord], None],
) -> Iterator[list[Patient]]:
    batch: list[Patient] = []
    for record in records:
        if record.patient is None:
            on_bad(record)
            continue
        if record.problems:
            on_warning(record)
        batch.append(record.patient)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def run_roster(
    run: PatientRun,
    records: Iterable[PatientRecord],
    *,
    jobs: int | None,
    on_bad_record: Callable[[PatientRecord], None],
    on_outcome: Callable[[Outcome], None],
    on_warning: Callable[[PatientRecord], None] = lambda record: None,
) -> RosterSummary:
    """Render and write every good patient; report bad records, warnings and outcomes as
    they come.

    :param jobs: worker processes (default: one per core).
    """
    summary = RosterSummary()
    run.out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (run.out_dir / PATIENTS_MARKER).write_text(
        "Patient folders written by sciatica-pipeline patients; a later run replaces them.\n"
    )
    declared = _run_files(run)
    run_files = RunFiles(run.out_dir, declared) if declared else None
    if run_files is not None:
        # Set before the workers fork, so each inherits the spool folder and opens its own files.
        run = replace(run, spool=Spool(run_files.spool_folder), unordered=run_files.unordered)

    def bad(record: PatientRecord) -> None:
        summary.bad_records += 1
        on_bad_record(record)

    def done(outcome: Outcome) -> None:
        if outcome.spool_error is not None:
            raise OutputError(outcome.spool_error)
        if run_files is not None and not outcome.error:
            refused = []
            for name, parts in outcome.parts:
                problem = run_files.check(name, parts)
                if problem:
                    refused.append(f"the {name} exporter failed: {problem}")
                else:
                    run_files.add(name, parts)
            if refused:
                outcome = replace(outcome, failed=(*outcome.failed, *refused))
        if outcome.error or outcome.failed:
            summary.failed += 1
        if not outcome.error:
            summary.written += 1
            summary.files += outcome.files
        summary.skipped += bool(outcome.skipped)
        on_outcome(outcome)

    try:
        with pool.WorkerPool(jobs, shared=run) as workers:
            for outcomes in workers.imap(_render_batch, _batches(records, bad, on_warning)):
                for outcome in outcomes:
                    done(outcome)
        if run_files is not None:
            summary.run_files = tuple(f"{RUN_FOLDER}/{path}" for path in run_files.finish())
    except BaseException:
        if run_files is not None:
            run_files.abort()
        raise
    finally:
        if run.spool is not None:  # this process's own spool files, when it did the work
            run.spool.close()
    return summary


def _run_files(run: PatientRun) -> dict[str, list[RunFile | Artifact]]:
    """What each run-level format declares, before the first patient; a format that cannot
    declare its files fails the run before anything is written."""
    declared: dict[str, list[RunFile | Artifact]] = {}
    failures = []
    for exporter, plugin in run.exporters:
        if not serves(exporter, "run"):
            continue
        name = exporter.name
        context = RunContext(
            run.bundle, run.build_time, run.selection.options_for(name), run.memo(name)
        )
        try:
            declared[name] = list(exporter.run_files(context))
        except PLUGIN_FAILURES as exc:
            detail = str(exc) if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
            failures.append((name, plugin, detail))
    if failures:
        raise ExportError(failures)
    return declared
