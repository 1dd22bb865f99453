"""sciatica-pipeline: one reviewed body of sciatica exercise-therapy content, published through
exporter plugins to PDF booklets, calendars, EHR CSV and SMS."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sciatica-pipeline")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

from .hookspecs import hookimpl

__all__ = ["__version__", "hookimpl"]
