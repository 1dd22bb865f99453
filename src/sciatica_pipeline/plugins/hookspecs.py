"""The hook specifications plugins implement, and the markers they use.

A plugin is a module (or object) with functions marked `@hookimpl` whose names and arguments
match the specs below. `from sciatica_pipeline import hookimpl` is all a plugin imports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from sciatica_pipeline.inputs.validation import ContentCheck
    from sciatica_pipeline.plugins.exporter import Exporter

hookspec = pluggy.HookspecMarker("sciatica_pipeline")
hookimpl = pluggy.HookimplMarker("sciatica_pipeline")


@hookspec
def register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register the output formats this plugin provides.

    Called once per run, when a command first needs the exporters (`build`, `patients`,
    `formats`, `plugins`), after every plugin has been loaded.

    :param register: call it once per exporter, as `register(MyExporter())`. The host checks
        the exporter (a slug name, a one-line description, a known `needs`) and refuses a
        name another plugin already registered; either problem is reported with the plugin's
        name and the exporter is skipped.
    :returns: nothing; the return value is ignored.
    """


@hookspec
def register_checks(register: Callable[[ContentCheck], None]) -> None:
    """Register content checks that `validate` (and `build`) run on a valid bundle.

    Called once per run, before the first validation, after every plugin has been loaded.

    :param register: call it once per check. A check is a callable
        `check(bundle, origins) -> Iterable[Problem]`; `origins.file(kind, id)` gives the file
        an item came from, for the problem's `file`. Problems with level `warning` are
        reported but only fail `validate --strict`; errors fail validation.
    :returns: nothing; the return value is ignored.
    """
