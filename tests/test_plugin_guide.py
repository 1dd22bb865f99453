"""The examples of docs/plugins.md work as written: each plugin loads and builds, its
contract test passes, and the library example runs."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import CONTENT, REPO

Run = Callable[..., Result]
GUIDE = (REPO / "docs" / "plugins.md").read_text()
BLOCKS: list[str] = re.findall(r"```python\n(.*?)```", GUIDE, flags=re.DOTALL)


def block(marker: str) -> str:
    [found] = [b for b in BLOCKS if marker in b]
    return found


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "plain_text.py").write_text(block("class PlainText"))
    (folder / "session_list.py").write_text(block("class SessionList"))
    (folder / "no_exclamations.py").write_text(block("def no_exclamation_marks"))
    (folder / "visit_list.py").write_text(block("class VisitList"))
    return folder


def test_the_guide_plugins_load_and_write(run: Run, plugins: Path, tmp_path: Path) -> None:
    listed = run("--plugins-dir", str(plugins), "plugins", "--json")
    data = json.loads(listed.stdout)
    assert data["skipped"] == []
    by_name = {p["name"]: p for p in data["plugins"]}
    assert by_name["plain_text"]["version"] == "1.0.0"
    assert by_name["session_list"]["formats"] == ["session-list"]
    assert by_name["no_exclamations"]["checks"] == ["no_exclamation_marks"]
    out = tmp_path / "dist"
    built = run(
        "--plugins-dir", str(plugins), "build", str(CONTENT), "-f", "plain-text", "--out", str(out)
    )
    assert built.exit_code == 0, built.stderr
    assert "When to get help:" in (out / "plain-text" / "sciatica-plan.txt").read_text()
    patients = tmp_path / "patients"
    example = CONTENT / "examples" / "patients.csv"
    result = run(
        "--plugins-dir",
        str(plugins),
        "patients",
        str(example),
        "--content",
        str(CONTENT),
        "-f",
        "session-list",
        "--out",
        str(patients),
    )
    assert result.exit_code == 0, result.stderr
    visits = run(
        "--plugins-dir",
        str(plugins),
        "patients",
        str(example),
        "--content",
        str(CONTENT),
        "-f",
        "visit-list",
        "--out",
        str(patients),
    )
    assert visits.exit_code == 0, visits.stderr
    lines = (patients / "_run" / "visit-list" / "visits.csv").read_text().splitlines()
    assert lines[0] == "patient_id,first_day,last_day"
    assert [line.split(",")[0] for line in lines[1:]] == [f"P-000{i}" for i in range(1, 7)]
    text = (patients / "P-0001" / "session-list" / "sessions.txt").read_text()
    assert text.startswith("Sessions for P-0001") and "Precaution:" in text
    skipped = [
        p.name for p in patients.glob("P-*") if p.is_dir() and not (p / "session-list").exists()
    ]
    with example.open(newline="", encoding="utf-8") as f:
        records = list(csv.DictReader(f))
    assert sorted(skipped) == [r["id"] for r in records if not r["clinic_phone"]]


def test_the_guide_contract_test_passes(plugins: Path, tmp_path: Path) -> None:
    test = tmp_path / "tests" / "test_my_plugins.py"
    test.parent.mkdir()
    test.write_text(block("def test_plain_text_keeps_the_contract"))
    env = {**os.environ, "PYTHONPATH": str(plugins)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_the_guide_library_example_runs(plugins: Path, tmp_path: Path) -> None:
    shutil.copytree(CONTENT, tmp_path / "content")
    script = tmp_path / "example.py"
    script.write_text(block("Pipeline.open"))
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (
        (tmp_path / "dist" / "csv" / "program-catalog.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    )
    assert (tmp_path / "patient-output" / "P-0001" / "ics" / "reminders.ics").exists()
