"""sciatica-pipeline: one reviewed body of sciatica exercise-therapy content, published through
exporter plugins to PDF booklets, calendars, EHR CSV and SMS.

The names below are the stable public API (docs/plugins.md, "The public API"): plugins and
programs import them from here, not from the modules that define them. They are imported on
first use, so `import sciatica_pipeline` (and `sciatica-pipeline --help`) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sciatica_pipeline.plugins.hookspecs import hookimpl

if TYPE_CHECKING:
    from sciatica_pipeline.errors import PipelineError, Problem, UsageError
    from sciatica_pipeline.exporters.wording import describe_dosage
    from sciatica_pipeline.model.content import Bundle
    from sciatica_pipeline.model.patient import Patient
    from sciatica_pipeline.model.schedule import Schedule, schedule
    from sciatica_pipeline.plugins.exporter import (
        Alias,
        Artifact,
        BuildContext,
        Exporter,
        PatientContext,
        RunContext,
        RunFile,
        RunPart,
        Scope,
        SkipPatient,
        Workers,
    )
    from sciatica_pipeline.plugins.manager import PluginHost, load_plugins
    from sciatica_pipeline.run.memo import Memo
    from sciatica_pipeline.run.pipeline import Pipeline
    from sciatica_pipeline.run.selection import Selection, select

#: Public name -> the module that defines it.
_PUBLIC = {
    "Alias": "sciatica_pipeline.plugins.exporter",
    "Artifact": "sciatica_pipeline.plugins.exporter",
    "BuildContext": "sciatica_pipeline.plugins.exporter",
    "Exporter": "sciatica_pipeline.plugins.exporter",
    "PatientContext": "sciatica_pipeline.plugins.exporter",
    "RunContext": "sciatica_pipeline.plugins.exporter",
    "RunFile": "sciatica_pipeline.plugins.exporter",
    "RunPart": "sciatica_pipeline.plugins.exporter",
    "Scope": "sciatica_pipeline.plugins.exporter",
    "SkipPatient": "sciatica_pipeline.plugins.exporter",
    "Workers": "sciatica_pipeline.plugins.exporter",
    "Memo": "sciatica_pipeline.run.memo",
    "Bundle": "sciatica_pipeline.model.content",
    "Patient": "sciatica_pipeline.model.patient",
    "Schedule": "sciatica_pipeline.model.schedule",
    "schedule": "sciatica_pipeline.model.schedule",
    "describe_dosage": "sciatica_pipeline.exporters.wording",
    "PipelineError": "sciatica_pipeline.errors",
    "Problem": "sciatica_pipeline.errors",
    "UsageError": "sciatica_pipeline.errors",
    "PluginHost": "sciatica_pipeline.plugins.manager",
    "load_plugins": "sciatica_pipeline.plugins.manager",
    "Pipeline": "sciatica_pipeline.run.pipeline",
    "Selection": "sciatica_pipeline.run.selection",
    "select": "sciatica_pipeline.run.selection",
}

__all__ = [
    "Alias",
    "Artifact",
    "BuildContext",
    "Bundle",
    "Exporter",
    "Memo",
    "Patient",
    "PatientContext",
    "Pipeline",
    "PipelineError",
    "PluginHost",
    "Problem",
    "RunContext",
    "RunFile",
    "RunPart",
    "Schedule",
    "Scope",
    "Selection",
    "SkipPatient",
    "UsageError",
    "Workers",
    "__version__",
    "describe_dosage",
    "hookimpl",
    "load_plugins",
    "schedule",
    "select",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # importlib.metadata costs about 40 ms at start-up, which `--help` does not need.
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("sciatica-pipeline")
        except PackageNotFoundError:  # running from a source tree that is not installed
            return "0.0.0"
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
