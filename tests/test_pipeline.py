"""The guarantees every command gets from the one Pipeline: plugin content checks apply to
every command, hooks go through pluggy (wrappers and call order honoured), a failing
per-patient plugin stops only its own format, and output folders are never replaced when
they hold something a build did not write."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import CONTENT
from sciatica_pipeline.inputs.validation import load_bundle
from sciatica_pipeline.model.frozen import FrozenMap
from sciatica_pipeline.plugins.manager import load_plugins

Run = Callable[..., Result]
EXAMPLE = CONTENT / "examples" / "patients.csv"

REJECTING_CHECK = """
from sciatica_pipeline import hookimpl
from sciatica_pipeline.errors import Problem


def no_bridging(bundle, origins):
    if "bridging" in bundle.exercises:
        yield Problem(origins.file("exercise", "bridging"), "/name", "the clinic withdrew it")


@hookimpl
def register_checks(register):
    register(no_bridging)
"""

CALENDAR_ARGS = (
    "--plan",
    "sciatica-plan",
    "--start",
    "2027-03-08",
    "--tz",
    "America/New_York",
    "--times",
    "08:00,18:00",
)


def plugin_dir(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir(exist_ok=True)
    for name, body in files.items():
        (folder / f"{name}.py").write_text(body)
    return folder


@pytest.mark.parametrize(
    "command",
    [
        ["validate", str(CONTENT)],
        ["build", str(CONTENT), "--out", "{out}"],
        ["patients", str(EXAMPLE), "--content", str(CONTENT), "--out", "{out}", "-f", "csv"],
        ["calendar", "--content", str(CONTENT), *CALENDAR_ARGS, "-o", "{out}/cal.ics"],
    ],
    ids=["validate", "build", "patients", "calendar"],
)
def test_every_command_refuses_content_a_plugin_check_rejects(
    run: Run, tmp_path: Path, command: list[str]
) -> None:
    plugins = plugin_dir(tmp_path, withdrawn=REJECTING_CHECK)
    out = tmp_path / "out"
    args = [a.replace("{out}", str(out)) for a in command]
    result = run("--plugins-dir", str(plugins), *args)
    assert result.exit_code == 1, result.output
    assert "bridging.json: /name: the clinic withdrew it" in result.stderr
    assert "internal error" not in result.stderr
    assert not out.exists()


WRAPPER = """
from sciatica_pipeline import hookimpl
from sciatica_pipeline.plugins.exporter import Artifact, Exporter


class Wrapped(Exporter):
    name = "wrapped"
    description = "Registered from inside a hook wrapper."

    def render(self, context):
        return []


@hookimpl(wrapper=True)
def register_exporters(register):
    register(Wrapped())
    return (yield)
"""


def test_a_hook_wrapper_is_honoured(tmp_path: Path) -> None:
    host = load_plugins(plugin_dir(tmp_path, wrapper=WRAPPER))
    assert host.problems == []
    assert host.exporter_plugin["wrapped"] == "wrapper"


def ordered(name: str, marker: str) -> str:
    return f"""
import os
from sciatica_pipeline import hookimpl


@hookimpl{marker}
def register_checks(register):
    with open(os.environ["CALLS_FILE"], "a") as calls:
        calls.write("{name}\\n")
"""


def test_tryfirst_and_trylast_order_the_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("CALLS_FILE", str(calls))
    folder = plugin_dir(
        tmp_path,
        alpha=ordered("alpha", "(trylast=True)"),
        beta=ordered("beta", "(tryfirst=True)"),
        gamma=ordered("gamma", ""),
    )
    host = load_plugins(folder)
    assert host.problems == []
    # Loaded alpha, beta, gamma: pluggy calls tryfirst first, trylast last.
    assert calls.read_text().split() == ["beta", "gamma", "alpha"]


def test_a_format_name_goes_to_the_plugin_loaded_first_whatever_the_call_order(
    tmp_path: Path,
) -> None:
    pdf = """
from sciatica_pipeline import hookimpl
from sciatica_pipeline.plugins.exporter import Exporter


class Pdf(Exporter):
    name = "pdf"
    description = "Would take over the built-in booklets."

    def render(self, context):
        return []


@hookimpl(tryfirst=True)
def register_exporters(register):
    register(Pdf())
"""
    host = load_plugins(plugin_dir(tmp_path, takeover=pdf))
    assert host.exporter_plugin["pdf"] == "sciatica_pipeline.exporters.pdf"
    [problem] = host.problems
    assert problem.plugin == "takeover"
    assert "plugin sciatica_pipeline.exporters.pdf already provides a format named 'pdf'" in (
        problem.reason
    )


@pytest.mark.parametrize(
    "code", ["import sys\nsys.exit(3)\n", "raise KeyboardInterrupt\n"], ids=["exit", "interrupt"]
)
def test_a_plugin_that_exits_at_import_is_contained(run: Run, tmp_path: Path, code: str) -> None:
    plugins = plugin_dir(tmp_path, quitter=code)
    result = run("--plugins-dir", str(plugins), "formats")
    assert result.exit_code == 0
    assert "plugin quitter" in result.stderr and "failed to import" in result.stderr
    assert "pdf" in result.stdout


RAISES_PER_PATIENT = """
import sys
from sciatica_pipeline import hookimpl
from sciatica_pipeline.plugins.exporter import Exporter


class Raiser(Exporter):
    name = "raiser"
    description = "Fails for every patient."
    scopes = frozenset({{"patient"}})

    def render_patient(self, context):
        {failure}


@hookimpl
def register_exporters(register):
    register(Raiser())
"""


@pytest.mark.parametrize(
    ("failure", "shown"),
    [
        (
            "raise RuntimeError('vendor API down for ' + context.patient.name.upper() + ' on '"
            " + (context.patient.mobile or '+1 202 555 0143')[1:])",
            "RuntimeError",
        ),
        ("sys.exit(4)", "SystemExit: 4"),
    ],
    ids=["raises", "exits"],
)
def test_a_failing_per_patient_plugin_stops_only_its_own_format(
    run: Run, tmp_path: Path, failure: str, shown: str
) -> None:
    plugins = plugin_dir(tmp_path, raiser=RAISES_PER_PATIENT.format(failure=failure))
    out = tmp_path / "out"
    result = run(
        "--plugins-dir",
        str(plugins),
        "patients",
        str(EXAMPLE),
        "--content",
        str(CONTENT),
        "--out",
        str(out),
        "-f",
        "raiser",
        "-f",
        "ics",
        "-f",
        "csv",
    )
    assert result.exit_code == 1
    assert f"patient P-0001: the raiser exporter (plugin raiser) failed: {shown}" in result.stderr
    assert "6 patients could not be written in full" in result.stderr
    for patient in ("P-0001", "P-0006"):
        assert (out / patient / "ics" / "reminders.ics").exists()
        assert f"{patient}," in (out / "_run" / "csv" / "assignments.csv").read_text()
        assert not (out / patient / "raiser").exists()
    # The plugin put the patient's name and number in its message; they are not repeated,
    # in no case and no part.
    rows = [line.split(",") for line in EXAMPLE.read_text().splitlines()[1:]]
    for row in rows:
        name, mobile = row[1], row[7]
        assert not name or name.upper() not in result.output.upper()
        assert not mobile or mobile[1:] not in result.output


def test_build_never_replaces_a_folder_holding_patient_output(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    assert run("build", str(CONTENT), "--out", str(out), "-f", "csv").exit_code == 0
    patients = out / "patients"
    done = run("patients", str(EXAMPLE), "--content", str(CONTENT), "--out", str(patients))
    assert done.exit_code == 0, done.stderr
    result = run("build", str(CONTENT), "--out", str(out), "-f", "pdf")
    assert result.exit_code == 2
    assert "holds patient output written by `sciatica-pipeline patients`" in result.stderr
    assert (patients / "P-0001" / "ics" / "reminders.ics").exists()


def test_build_never_replaces_files_it_did_not_write(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    assert run("build", str(CONTENT), "--out", str(out), "-f", "csv").exit_code == 0
    (out / "src").mkdir()
    (out / "src" / "notes.py").write_text("keep me")
    result = run("build", str(CONTENT), "--out", str(out), "-f", "csv")
    assert result.exit_code == 2
    assert "holds files an earlier build did not write (src/notes.py)" in result.stderr
    assert (out / "src" / "notes.py").read_text() == "keep me"
    (out / "src" / "notes.py").unlink()
    (out / "src").rmdir()
    again = run("build", str(CONTENT), "--out", str(out), "-f", "csv")
    assert again.exit_code == 0, again.stderr


def test_the_model_is_an_immutable_value() -> None:
    one, two = load_bundle(CONTENT), load_bundle(CONTENT)
    assert one == two and hash(one) == hash(two)
    assert isinstance(one.exercises, FrozenMap)
    with pytest.raises(TypeError):
        one.exercises["bridging"] = one.exercises["cat-cow"]  # type: ignore[index]


def test_formats_json_lists_scopes_options_and_flags(run: Run) -> None:
    result = run("formats", "--json")
    assert result.exit_code == 0
    formats = {f["name"]: f for f in json.loads(result.stdout)["formats"]}
    assert formats["ics"]["scopes"] == ["patient"]
    assert formats["csv"]["scopes"] == ["bundle", "run"]
    assert formats["sms"]["scopes"] == ["bundle", "patient", "run"]
    assert formats["csv"]["flags"] == {"--excel": "excel=true"}


def test_a_misspelled_name_in_the_allowlist_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = plugin_dir(tmp_path, wrapper=WRAPPER)
    monkeypatch.setenv("SCIATICA_PIPELINE_PLUGINS", "wraper")
    host = load_plugins(folder)
    [problem] = host.problems
    assert problem.plugin == "wraper"
    assert "no installed package or file" in problem.reason
    assert "(did you mean wrapper?)" in problem.reason
    assert "wrapped" not in host.exporters


def test_calendar_without_an_id_does_not_say_patient_patient(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "cal.ics"
    result = run("calendar", "--content", str(CONTENT), *CALENDAR_ARGS, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == f"Wrote the calendar to {out}."


def test_a_zone_without_daylight_saving_is_warned_about_on_the_command_line(
    run: Run, tmp_path: Path
) -> None:
    args = [a if a != "America/New_York" else "EST" for a in CALENDAR_ARGS]
    result = run("calendar", "--content", str(CONTENT), *args, "-o", str(tmp_path / "c.ics"))
    assert result.exit_code == 0, result.stderr
    assert "warning: --tz: is a fixed abbreviation, not a region's time zone" in result.stderr


def test_quiet_prints_only_problems(run: Run, tmp_path: Path) -> None:
    result = run("--quiet", "build", str(CONTENT), "--out", str(tmp_path / "dist"), "-f", "csv")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert (tmp_path / "dist" / "csv" / "program-catalog.csv").exists()
