"""Contract checks for exporters: the ones every built-in exporter passes, for plugin authors
to run against their own exporter in their own pytest suite.

    from sciatica_pipeline.plugins.testing import check_exporter, load_example_bundle

    def test_my_exporter_keeps_the_contract():
        check_exporter(MyExporter(), load_example_bundle())

`check_exporter` raises `AssertionError` listing every broken rule:
- output is deterministic: two renders give the same paths and bytes;
- every path stays inside the exporter's folder, and no two artifacts share one;
- nothing is printed;
- every patient-facing artifact carries the disclaimer and the red flags (for its plan, or
  for every plan when it serves none in particular);
- wherever an exercise is named, the titles of its precautions appear too.
Text is read back with an independent reader per media type: UTF-8 for text/*, icalendar for
text/calendar, pdftotext (poppler) or pypdf for application/pdf, the human-readable elements
(narrative, display, instructions, notes) for application/fhir+json.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sciatica_pipeline.model.content import Bundle, Exercise, Plan
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.plugins.exporter import (
    Artifact,
    BuildContext,
    Exporter,
    PatientContext,
    Scope,
    exporter_problems,
)
from sciatica_pipeline.run.writer import safe_relative_path

TextReader = Callable[[Artifact], str]


def _read_utf8(artifact: Artifact) -> str:
    return artifact.data.decode("utf-8-sig")


def _read_calendar(artifact: Artifact) -> str:
    import icalendar

    texts = []
    for component in icalendar.Calendar.from_ical(artifact.data).walk():
        for key in ("SUMMARY", "DESCRIPTION", "X-WR-CALNAME", "NAME"):
            if key in component:
                texts.append(str(component[key]))
    return "\n".join(texts)


def _read_pdf(artifact: Artifact) -> str:
    if shutil.which("pdftotext"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "artifact.pdf"
            path.write_bytes(artifact.data)
            done = subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(path), "-"],
                check=True,
                capture_output=True,
            )
            return done.stdout.decode("utf-8")
    try:
        import pypdf
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise RuntimeError("reading PDFs needs pdftotext (poppler-utils) or pypdf") from exc
    reader = pypdf.PdfReader(io.BytesIO(artifact.data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _read_html(artifact: Artifact) -> str:
    """The text a reader sees: markup and scripts taken out, entities decoded, so a title
    inside <em> still reads as the title."""
    return _html_text(artifact.data.decode("utf-8-sig"))


#: Elements that sit inside a line of text: their text runs on with the text around them
#: (`<a>https://x.org</a>.` reads `https://x.org.`); every other element is a break.
_INLINE = frozenset(
    {
        "a",
        "abbr",
        "b",
        "cite",
        "code",
        "em",
        "i",
        "mark",
        "q",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
    }
)


def _html_text(markup: str) -> str:
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.hidden = 0

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.hidden += tag in ("script", "style")
            if tag not in _INLINE:
                self.parts.append(" ")

        def handle_endtag(self, tag: str) -> None:
            self.hidden -= tag in ("script", "style") and self.hidden > 0
            if tag not in _INLINE:
                self.parts.append(" ")

        def handle_data(self, data: str) -> None:
            if not self.hidden:
                self.parts.append(data)

    parser = Text()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


#: The FHIR elements whose text a patient or clinician reads (an XHTML narrative's `div`
#: is read as HTML); ids, references, systems and codes are not read.
FHIR_TEXT_ELEMENTS = frozenset(
    {"text", "div", "display", "title", "description", "patientInstruction", "comment"}
)


def _read_fhir_json(artifact: Artifact) -> str:
    """The human-readable texts of FHIR JSON (a resource or a Bundle), in document order."""
    import json

    texts: list[str] = []

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                walk(value, name)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif isinstance(node, str) and key in FHIR_TEXT_ELEMENTS:
            texts.append(_html_text(node) if key == "div" else node)

    walk(json.loads(artifact.data.decode("utf-8-sig")))
    return "\n".join(texts)


#: Text readers by media type; text/* falls back to UTF-8.
READERS: dict[str, TextReader] = {
    "text/calendar": _read_calendar,
    "text/html": _read_html,
    "application/xhtml+xml": _read_html,
    "application/pdf": _read_pdf,
    "application/fhir+json": _read_fhir_json,
}


def artifact_text(artifact: Artifact, readers: Mapping[str, TextReader] | None = None) -> str:
    """The artifact's text, read back with an independent reader for its media type."""
    table = {**READERS, **(readers or {})}
    reader = table.get(artifact.media_type)
    if reader is None and artifact.media_type.startswith("text/"):
        reader = _read_utf8
    if reader is None:
        raise AssertionError(
            f"{artifact.path}: no text reader for {artifact.media_type}; pass one in readers="
        )
    return reader(artifact)


def normalise(text: str) -> str:
    """Lowercase, with every run of white space made one space, for containment checks."""
    return re.sub(r"\s+", " ", text).strip().lower()


def load_example_bundle() -> Bundle:
    """The bundled sciatica content, for plugin authors' tests."""
    from sciatica_pipeline.inputs.schemas import data_dir
    from sciatica_pipeline.inputs.validation import load_bundle

    return load_bundle(data_dir("content"))


def _render(
    exporter: Exporter, context: BuildContext | PatientContext
) -> tuple[list[Artifact], str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        if isinstance(context, PatientContext):
            artifacts = list(exporter.render_patient(context))
        else:
            artifacts = list(exporter.render(context))
    return artifacts, out.getvalue() + err.getvalue()


def safety_failures(
    bundle: Bundle,
    artifacts: Iterable[Artifact],
    readers: Mapping[str, TextReader] | None = None,
) -> list[str]:
    """Every patient-facing artifact lacking the disclaimer, a red flag, or a precaution."""
    failures = []
    disclaimer = normalise(bundle.manifest.disclaimer)
    for artifact in artifacts:
        if not artifact.patient_facing:
            continue
        text = normalise(artifact_text(artifact, readers))
        if disclaimer not in text:
            failures.append(f"{artifact.path}: the disclaimer is missing")
        plans: Sequence[Plan] = (
            [bundle.plans[artifact.plan]] if artifact.plan else list(bundle.plans.values())
        )
        for plan in plans:
            for flag in bundle.red_flags_for(plan):
                if normalise(flag.title) not in text:
                    failures.append(f"{artifact.path}: the red flag {flag.title!r} is missing")
        failures += _precaution_failures(bundle, artifact.path, text)
    return sorted(set(failures))


def _precaution_failures(bundle: Bundle, path: str, text: str) -> list[str]:
    failures = []
    shown: list[Exercise] = [e for e in bundle.exercises.values() if normalise(e.name) in text]
    for exercise in shown:
        for precaution in bundle.precautions_for(exercise):
            if normalise(precaution.title) not in text:
                failures.append(
                    f"{path}: shows {exercise.name!r} without its precaution {precaution.title!r}"
                )
    return failures


def check_exporter(
    exporter: Exporter,
    bundle: Bundle,
    *,
    build_time: dt.datetime | None = None,
    options: Mapping[str, str] | None = None,
    readers: Mapping[str, TextReader] | None = None,
) -> list[Artifact]:
    """Hold an exporter's bundle-level output to the contract; returns the artifacts.

    Raises AssertionError listing every rule the exporter breaks.
    """
    _require(exporter, "bundle", "check_patient_exporter")
    when = build_time or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    context = BuildContext(bundle, when, dict(options or {}))
    return _check(exporter, bundle, context, readers)


def _require(exporter: Exporter, scope: Scope, instead: str) -> None:
    """Refuse an exporter that is not valid, or that does not serve `scope` (checking it
    would check nothing)."""
    problems = exporter_problems(exporter)
    if problems:
        raise AssertionError("not a valid exporter: " + "; ".join(problems))
    if scope not in exporter.scopes:
        raise AssertionError(
            f"the {exporter.name} exporter does not serve the {scope} scope, so this check "
            f"would check nothing; use {instead}() for it"
        )


def example_patient(bundle: Bundle, plan_id: str | None = None, **fields: Any) -> Patient:
    """A fictional patient on `plan_id` (default: the first plan) starting 2027-03-08 in
    New York, with one session time per daily session; `fields` override any setting
    (`mobile="+12025550143"`, `name="Alex"`)."""
    plan = bundle.plans[plan_id] if plan_id else next(iter(bundle.plans.values()))
    times = tuple(
        dt.time(8 + 10 * i // max(1, plan.sessions_per_day - 1))
        for i in range(plan.sessions_per_day)
    )
    settings: dict[str, Any] = {
        "id": "P-TEST",
        "plan": plan.id,
        "start_date": dt.date(2027, 3, 8),
        "timezone": "America/New_York",
        "session_times": times,
        **fields,
    }
    return Patient(**settings)


def check_patient_exporter(
    exporter: Exporter,
    bundle: Bundle,
    patient: Patient,
    *,
    build_time: dt.datetime | None = None,
    options: Mapping[str, str] | None = None,
    readers: Mapping[str, TextReader] | None = None,
) -> list[Artifact]:
    """Hold an exporter's per-patient output for `patient` to the same contract as
    `check_exporter`; also no artifact may carry the patient's name or mobile number in its
    path. Returns the artifacts."""
    from sciatica_pipeline.model.schedule import schedule

    _require(exporter, "patient", "check_exporter")
    when = build_time or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    context = PatientContext(bundle, patient, schedule(bundle, patient), when, dict(options or {}))
    artifacts = _check(exporter, bundle, context, readers)
    private = [v for v in (patient.name, patient.mobile) if v]
    leaked = [a.path for a in artifacts if any(v.lower() in a.path.lower() for v in private)]
    if leaked:
        raise AssertionError(f"artifact paths carry the patient's name or number: {leaked}")
    return artifacts


def _check(
    exporter: Exporter,
    bundle: Bundle,
    context: BuildContext | PatientContext,
    readers: Mapping[str, TextReader] | None,
) -> list[Artifact]:
    first, printed = _render(exporter, context)
    second, _ = _render(exporter, context)
    failures = []
    if printed:
        failures.append(f"it printed output: {printed[:200]!r}")
    if [(a.path, a.data) for a in first] != [(a.path, a.data) for a in second]:
        failures.append("two renders of the same input differ (output must be deterministic)")
    seen: set[str] = set()
    for artifact in first:
        if not isinstance(artifact, Artifact):
            failures.append(f"it returned {type(artifact).__name__}, not Artifact")
            continue
        if safe_relative_path(artifact.path) is None:
            failures.append(f"{artifact.path!r} is not a relative path inside its folder")
        if artifact.path in seen:
            failures.append(f"two artifacts share the path {artifact.path!r}")
        seen.add(artifact.path)
    failures += safety_failures(bundle, [a for a in first if isinstance(a, Artifact)], readers)
    if failures:
        raise AssertionError(
            f"exporter {exporter.name!r} breaks the contract:\n- " + "\n- ".join(failures)
        )
    return first


def run_files_for(
    exporter: Exporter,
    bundle: Bundle,
    patients: Sequence[Patient],
    *,
    build_time: dt.datetime | None = None,
    options: Mapping[str, str] | None = None,
) -> dict[str, bytes]:
    """A run-level exporter's files for `patients`, assembled in memory as `patients` writes
    them to `<out>/_run/<format>/`: each run file's header, every patient's parts (in the
    patients' order, or by key for an ordered file), its footer; and the whole artifacts.

    A patient the exporter skips (`SkipPatient`) has no part. Raises AssertionError when a
    part names a file `run_files` did not declare.
    """
    from sciatica_pipeline.model.schedule import schedule
    from sciatica_pipeline.plugins.exporter import RunContext, RunFile, SkipPatient
    from sciatica_pipeline.run.memo import Memo

    when = build_time or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    memo = Memo()
    declared = list(exporter.run_files(RunContext(bundle, when, dict(options or {}), memo)))
    files = {item.path: item for item in declared if isinstance(item, RunFile)}
    parts: dict[str, list[tuple[str, int, int, bytes]]] = {path: [] for path in files}
    for number, patient in enumerate(patients):
        context = PatientContext(
            bundle, patient, schedule(bundle, patient), when, dict(options or {}), memo
        )
        try:
            own = list(exporter.render_run(context))
        except SkipPatient:
            continue
        for index, part in enumerate(own):
            if part.path not in files:
                raise AssertionError(f"a part of {part.path!r}, which run_files() did not declare")
            key = part.key if files[part.path].ordered else ""
            parts[part.path].append((key, number, index, part.data))
    out = {
        path: file.header + b"".join(p[3] for p in sorted(parts[path])) + file.footer
        for path, file in files.items()
    }
    out.update({a.path: a.data for a in declared if isinstance(a, Artifact)})
    return out


def check_run_exporter(
    exporter: Exporter,
    bundle: Bundle,
    patients: Sequence[Patient],
    *,
    build_time: dt.datetime | None = None,
    options: Mapping[str, str] | None = None,
) -> dict[str, bytes]:
    """Hold a run-level exporter to the contract for a list of patients; returns its files.

    The files must be the same on two runs, every path must stay inside the format's folder,
    nothing may be printed, and no patient's name may appear in them (a run file goes to a
    record system or a gateway: ids, not names). Raises AssertionError listing every rule
    broken.
    """
    _require(exporter, "run", "check_exporter")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        first = run_files_for(exporter, bundle, patients, build_time=build_time, options=options)
        second = run_files_for(exporter, bundle, patients, build_time=build_time, options=options)
    failures = []
    if out.getvalue() or err.getvalue():
        failures.append(f"it printed output: {(out.getvalue() + err.getvalue())[:200]!r}")
    if first != second:
        failures.append("two runs of the same patients differ (output must be deterministic)")
    failures += [
        f"{p!r} is not a relative path inside its folder"
        for p in first
        if safe_relative_path(p) is None
    ]
    names = [p.name for p in patients if p.name]
    for path, data in first.items():
        text = data.decode("utf-8", errors="replace")
        failures += [f"{path}: carries a patient's name" for name in names if name in text][:1]
    if failures:
        raise AssertionError("; ".join(failures))
    return first
