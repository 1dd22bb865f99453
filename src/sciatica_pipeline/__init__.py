"""sciatica-pipeline: one reviewed body of sciatica exercise-therapy content, published through
exporter plugins to PDF booklets, calendars, EHR CSV and SMS."""

from __future__ import annotations

from sciatica_pipeline.plugins.hookspecs import hookimpl

__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str) -> str:
    # The version is looked up on first use: importlib.metadata costs about 40 ms at start-up,
    # which `--help` does not need.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("sciatica-pipeline")
        except PackageNotFoundError:  # running from a source tree that is not installed
            return "0.0.0"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
