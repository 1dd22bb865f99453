"""Builds and installs a real throwaway plugin distribution (a wheel with entry points) for the
plugin tests, and writes local plugin files."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

DIST = "sciatica-demo-plugins"
VERSION = "2.3.4"

GOOD = """
from sciatica_pipeline import hookimpl
from sciatica_pipeline.plugins.exporter import Artifact, Exporter


class PlainDemo(Exporter):
    name = "plain-demo"
    description = "A plain-text demo format."

    def render(self, context):
        b = context.bundle
        for plan in b.plans.values():
            lines = [plan.title, b.manifest.disclaimer]
            lines += [f.title for f in b.red_flags_for(plan)]
            yield Artifact(f"{plan.id}.txt", "\\n".join(lines).encode(), "text/plain", plan=plan.id)


@hookimpl
def register_exporters(register):
    register(PlainDemo())
"""

BROKEN = "raise ImportError('the vendor SDK is not installed')\n"


def _wheel(folder: Path) -> Path:
    """A minimal, valid wheel holding two modules and their entry points."""
    dist_info = f"{DIST.replace('-', '_')}-{VERSION}.dist-info"
    files = {
        "sciatica_demo_good.py": GOOD,
        "sciatica_demo_broken.py": BROKEN,
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {VERSION}\n",
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        f"{dist_info}/entry_points.txt": (
            "[sciatica_pipeline]\n"
            "demo_good = sciatica_demo_good\n"
            "demo_broken = sciatica_demo_broken\n"
        ),
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    wheel = folder / f"{DIST.replace('-', '_')}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def install_demo_distribution(target: Path) -> Path:
    """pip-install the throwaway distribution into `target` (a folder for sys.path)."""
    wheel = _wheel(target.parent)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    return target
