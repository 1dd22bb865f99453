"""A growing corpus of hostile input: each attack is a patients file or content change that
once mixed up patients, echoed a name or number, hung, or ended in an internal error. Each
must now be refused with a clear message naming the place, the good records still written.

Add an attack here whenever one is found: (id, file body, expected message fragment, ids
that must still be written).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import CONTENT

Run = Callable[..., Result]
HEADER = "id,plan,start_date,timezone,session_times,name,mobile,clinic_name,clinic_phone\n"
GOOD = "P-1,sciatica-plan,2027-03-08,Europe/London,08:00;18:00,Ann Lee,+447700900123,,\n"
P2 = "P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,"
SECRETS = ("Ann Lee", "+447700900123", "Bea Cho", "+447700900456", "Secret Clinic", "0207 946")

PATIENT_ATTACKS: list[tuple[str, bytes, str, list[str]]] = [
    (
        "case-only-duplicate-id",
        (HEADER + GOOD + "p-1,sciatica-plan,2027-03-08,UTC,08:00;18:00,Bea Cho,,,\n").encode(),
        "row 3: the patient id p-1 is already used at row 2",
        ["P-1"],
    ),
    (
        "missing-cell-shifts-the-mobile-into-another-column",
        (HEADER + GOOD + "P-2,sciatica-plan,2027-03-08,+447700900456,08:00;18:00\n").encode(),
        "row 3, column timezone: the value is not valid",
        ["P-1"],
    ),
    (
        "a-name-in-the-plan-column",
        (HEADER + GOOD + "P-2,Bea Cho,2027-03-08,UTC,08:00;18:00,,,,\n").encode(),
        "row 3, column plan: the value is not valid",
        ["P-1"],
    ),
    (
        "clinic-phone-is-not-echoed",
        (HEADER + GOOD + "P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,,,,0207 946 x\n").encode(),
        "row 3, column clinic_phone: the value is not valid",
        ["P-1"],
    ),
    (
        "nul-in-the-clinic-name",
        (
            HEADER + GOOD + "P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,,,Secret\x00Clinic,\n"
        ).encode(),
        "row 3, column clinic_name: holds a control character",
        ["P-1"],
    ),
    (
        "escape-in-the-clinic-name",
        (
            HEADER + GOOD + "P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,,,Secret\x1b[2JClinic,\n"
        ).encode(),
        "row 3, column clinic_name: holds a control character",
        ["P-1"],
    ),
    (
        "bare-carriage-return-in-a-name",
        (HEADER + GOOD + 'P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,"Bea\rCho",,,\n').encode(),
        "row 3, column name: holds a control character",
        ["P-1"],
    ),
    (
        "a-row-in-latin-1-among-utf-8-rows",
        HEADER.encode()
        + GOOD.encode()
        + "P-2,sciatica-plan,2027-03-08,UTC,08:00;18:00,Bea Chö,,,\n".encode("latin-1")
        + b"P-3,sciatica-plan,2027-03-08,UTC,08:00;18:00,,,,\n",
        "row 3, column name: is not UTF-8 text",
        ["P-1", "P-3"],
    ),
    (
        "header-only",
        HEADER.encode(),
        "row 2: the file holds no patient record",
        [],
    ),
    (
        "a-5000-digit-number-in-json-lines",
        b'{"id": "P-1", "plan": "sciatica-plan", "start_date": "2027-03-08", "timezone": "UTC",'
        b' "session_times": ["08:00", "18:00"]}\n{"id": "P-2", "reminder_minutes": '
        + b"9" * 5000
        + b"}\n",
        "line 2: this JSON holds a number too long to read",
        ["P-1"],
    ),
    (
        "deep-nesting-in-json-lines",
        b'{"id": "P-1", "plan": "sciatica-plan", "start_date": "2027-03-08", "timezone": "UTC",'
        b' "session_times": ["08:00", "18:00"]}\n'
        + b'{"id": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}\n",
        "line 2: this JSON is nested too deeply",
        ["P-1"],
    ),
    (
        "a-json-list-with-a-bad-record-among-good-ones",
        b'[{"id": "P-1", "plan": "sciatica-plan", "start_date": "2027-03-08", "timezone": "UTC",'
        b' "session_times": ["08:00", "18:00"]}, 7,\n{"id": "P-3", "plan": "sciatica-plan",'
        b' "start_date": "2027-03-08", "timezone": "UTC", "session_times": ["08:00", "18:00"]}]',
        "/1: expected an object with the patient's fields, not int",
        ["P-1", "P-3"],
    ),
    (
        "no-header-row-names-no-patient",
        GOOD.encode(),
        "row 1, column 6 (its header does not look like a column name; is the header row "
        "missing?): unknown column",
        [],
    ),
    (
        "a-name-as-a-json-field-name",
        b'{"id": "P-1", "plan": "sciatica-plan", "start_date": "2027-03-08", "timezone": "UTC",'
        b' "session_times": ["08:00", "18:00"]}\n{"id": "P-2", "Bea Cho": "+447700900456"}\n',
        "line 2, field (one whose name does not look like a field's): unknown field",
        ["P-1"],
    ),
    (
        "a-pseudo-zone",
        (HEADER + GOOD + "P-2,sciatica-plan,2027-03-08,posixrules,08:00;18:00,,,,\n").encode(),
        "row 3, column timezone: is not a known time zone",
        ["P-1"],
    ),
]


@pytest.mark.parametrize(
    ("body", "message", "written"),
    [attack[1:] for attack in PATIENT_ATTACKS],
    ids=[attack[0] for attack in PATIENT_ATTACKS],
)
def test_a_hostile_patients_file_is_refused_row_by_row(
    run: Run, tmp_path: Path, body: bytes, message: str, written: list[str]
) -> None:
    source = tmp_path / "patients.csv"
    source.write_bytes(body)
    out = tmp_path / "out"
    result = run("patients", str(source), "--content", str(CONTENT), "--out", str(out), "-f", "ics")
    assert result.exit_code == 1, result.output
    assert f"{source}: {message}" in result.stderr
    assert "internal error" not in result.stderr
    folders = sorted(p.name for p in out.glob("P-*") if p.is_dir()) if out.exists() else []
    assert folders == written
    for secret in SECRETS:
        assert secret not in result.output


def test_a_zone_that_is_not_a_regions_is_written_with_a_warning(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "patients.csv"
    source.write_text(HEADER + "P-1,sciatica-plan,2027-03-08,EST,08:00;18:00,,,,\n")
    out = tmp_path / "out"
    result = run("patients", str(source), "--content", str(CONTENT), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"{source}: row 2, column timezone: warning: is a fixed abbreviation" in result.stderr
    assert (out / "P-1" / "ics" / "reminders.ics").exists()


def test_a_fifo_is_refused_instead_of_read_forever(run: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "patients.csv"
    os.mkfifo(fifo)
    result = run("patients", str(fifo), "--content", str(CONTENT), "--out", str(tmp_path / "o"))
    assert result.exit_code == 1
    assert "this is not a regular file" in result.stderr


def test_a_long_json_list_is_read_one_record_at_a_time(tmp_path: Path) -> None:
    """The list is parsed as it is read: records come out before the file is read whole."""
    from sciatica_pipeline.inputs.patients import read_patients
    from sciatica_pipeline.inputs.validation import load_bundle

    record = (
        '{"id": "P-%d", "plan": "sciatica-plan", "start_date": "2027-03-08", '
        '"timezone": "UTC", "session_times": ["08:00", "18:00"]}'
    )
    source = tmp_path / "patients.json"
    source.write_text("[" + ",\n".join(record % i for i in range(20_000)) + "]")
    records = read_patients(source, load_bundle(CONTENT))
    first = next(records)
    assert first.patient is not None and first.patient.id == "P-0"
    assert sum(1 for _ in records) == 19_999


CONTROL = "holds a control character"
CONTENT_ATTACKS: list[tuple[str, str, str]] = [
    (
        "a-whole-number-written-with-a-fraction",
        '"reps": 2.0',
        "/dosage/reps: expected a whole number",
    ),
    ("a-nul-in-a-text", '"purpose": "Strong\\u0000glutes."', "/purpose: holds a control character"),
    ("an-escape-in-a-text", '"purpose": "\\u001b[31mRed"', "/purpose: holds a control character"),
    (
        "a-bare-carriage-return",
        '"purpose": "One\\r# Heading"',
        "/purpose: holds a control character",
    ),
    ("a-lone-surrogate", '"purpose": "Bad \\ud800 text"', "/purpose: holds a lone surrogate"),
    ("a-5000-digit-number", '"reps": ' + "9" * 5000, "the JSON holds a number too long to read"),
]


@pytest.mark.parametrize(
    ("replacement", "message"),
    [attack[1:] for attack in CONTENT_ATTACKS],
    ids=[attack[0] for attack in CONTENT_ATTACKS],
)
def test_hostile_content_is_refused_by_validate(
    run: Run, content: Path, replacement: str, message: str
) -> None:
    path = content / "exercises" / "bridging.json"
    text = path.read_text()
    key = replacement.split(":", maxsplit=1)[0]
    start = text.index(key)
    end = text.index("\n", start)
    line = text[start:end]
    path.write_text(text[:start] + replacement + ("," if line.endswith(",") else "") + text[end:])
    result = run("validate", str(content))
    assert result.exit_code == 1, result.output
    assert f"{path}: {message}" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "huge"])
def test_a_content_file_that_is_a_fifo_or_huge_is_refused(
    run: Run, content: Path, kind: str
) -> None:
    path = content / "exercises" / "zzz.json"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_text('{"id": "zzz", "name": "' + "x" * (2 << 20) + '"}')
    result = run("validate", str(content))
    assert result.exit_code == 1
    expected = "this is not a regular file" if kind == "fifo" else "the file is 2048 KiB"
    assert f"{path}: {expected}" in result.stderr


def test_a_second_run_into_the_same_folder_fails_fast(run: Run, tmp_path: Path) -> None:
    import fcntl

    from sciatica_pipeline.run.lock import lock_path

    out = tmp_path / "out"
    example = CONTENT / "examples" / "patients.csv"
    with lock_path(out).open("a") as held:  # another run holds the folder
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run("patients", str(example), "--content", str(CONTENT), "--out", str(out))
        built = run("build", str(CONTENT), "--out", str(out.parent / "dist"), "-f", "csv")
    assert result.exit_code == 1
    assert f"another sciatica-pipeline run is writing {out}" in result.stderr
    assert not out.exists()
    assert built.exit_code == 0  # another folder: not locked


def test_staging_left_by_a_killed_run_is_cleaned_up(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "out"
    example = CONTENT / "examples" / "patients.csv"
    first = run("patients", str(example), "--content", str(CONTENT), "--out", str(out))
    assert first.exit_code == 0, first.stderr
    # What kill -9 leaves: a half-written patient folder and a retired one, with patient data.
    for stale in (out / ".P-0001.abc123.tmp", out / ".P-0002.def456.old"):
        stale.mkdir()
        (stale / "reminders.ics").write_text("half written")
    again = run("patients", str(example), "--content", str(CONTENT), "--out", str(out))
    assert again.exit_code == 0, again.stderr
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [
        ".sciatica-pipeline-patients"
    ]


def test_a_patients_formats_are_replaced_as_one_folder(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "out"
    example = CONTENT / "examples" / "patients.csv"
    assert (
        run("patients", str(example), "--content", str(CONTENT), "--out", str(out)).exit_code == 0
    )
    before = (out / "P-0001" / "sms" / "messages.txt").read_bytes()
    again = run("patients", str(example), "--content", str(CONTENT), "--out", str(out), "-f", "ics")
    assert again.exit_code == 0, again.stderr
    # The formats not asked for this time are carried over into the new folder unchanged.
    assert (out / "P-0001" / "sms" / "messages.txt").read_bytes() == before
    assert (out / "P-0001" / "ics" / "reminders.ics").exists()


def test_public_output_is_never_writable_by_others(tmp_path: Path) -> None:
    from sciatica_pipeline.run.writer import write_tree

    old = os.umask(0)
    try:
        write_tree(tmp_path / "a" / "b" / "out", {"x/y.txt": b"y"})
    finally:
        os.umask(old)
    for path in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "out" / "x"):
        assert path.stat().st_mode & 0o022 == 0, path
    assert (tmp_path / "a" / "b" / "out" / "x" / "y.txt").stat().st_mode & 0o777 == 0o644


def test_a_full_disk_is_a_clear_error(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    real = os.open

    def full(path: object, flags: int, *args: int) -> int:
        if str(path).endswith(".csv"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", full)
    out = tmp_path / "dist"
    result = run("build", str(CONTENT), "--out", str(out), "-f", "csv")
    assert result.exit_code == 1
    assert "No space left on device; the disk is full; free some space" in result.stderr
    assert not out.exists()


def test_a_worker_ended_by_a_plugin_is_a_clear_error(run: Run, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "quitter.py").write_text(
        "import os\n"
        "from sciatica_pipeline import Exporter, hookimpl\n\n\n"
        "class Quitter(Exporter):\n"
        '    name = "quitter"\n'
        '    description = "Ends its process."\n'
        '    scopes = frozenset({"patient"})\n\n'
        "    def render_patient(self, context):\n"
        "        os._exit(3)\n\n\n"
        "@hookimpl\n"
        "def register_exporters(register):\n"
        "    register(Quitter())\n"
    )
    example = CONTENT / "examples" / "patients.csv"
    result = run(
        "--plugins-dir",
        str(plugins),
        "patients",
        str(example),
        "--content",
        str(CONTENT),
        "--out",
        str(tmp_path / "out"),
        "-f",
        "quitter",
        "--jobs",
        "2",
    )
    assert result.exit_code == 1
    assert "a worker process stopped without a word" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
def test_kill_9_of_the_main_process_ends_its_workers_and_a_rerun_recovers(
    tmp_path: Path,
) -> None:
    import signal
    import subprocess
    import sys
    import time

    sys.path.insert(0, str(CONTENT.parent))
    from benchmarks.patients import write_patients

    source = tmp_path / "patients.csv"
    write_patients(source, 4000)
    out = tmp_path / "out"
    # An earlier run's run-level files, which the killed run must leave as they are.
    example = CONTENT / "examples" / "patients.csv"
    earlier = [sys.executable, "-m", "sciatica_pipeline", "patients", str(example)]
    earlier += ["--content", str(CONTENT), "--out", str(out)]
    subprocess.run(earlier, capture_output=True, check=True)
    run_files = {p: p.read_bytes() for p in (out / "_run").rglob("*") if p.is_file()}
    assert {p.parent.name for p in run_files} == {"csv", "fhir", "sms"}
    command = [sys.executable, "-m", "sciatica_pipeline", "patients", str(source)]
    command += ["--content", str(CONTENT), "--out", str(out), "--jobs", "2"]
    main = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (len(workers) < 2 or len(list(out.glob("B-*"))) < 50):
        time.sleep(0.05)
        children = Path(f"/proc/{main.pid}/task/{main.pid}/children")
        if children.exists():
            workers = children.read_text().split()
    assert len(workers) >= 2, "the workers did not start"
    main.send_signal(signal.SIGKILL)
    main.wait()

    def alive(pid: str) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return False
        return state not in ("Z", "X")

    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in workers), "workers outlived their parent"
    assert {p: p.read_bytes() for p in (out / "_run").rglob("*") if p.is_file()} == run_files
    again = subprocess.run(command, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert len(list(out.glob("B-*"))) == 4000
    assert [p.name for p in out.iterdir() if p.name.startswith(".") and p.is_dir()] == []


SLOW_OR_HUGE = """
import time
from sciatica_pipeline import Artifact, Exporter, hookimpl


class Slow(Exporter):
    name = "slow"
    description = "Never finishes."

    def render(self, context):
        while True:
            time.sleep(0.01)


class Huge(Exporter):
    name = "huge"
    description = "Returns a file of 3 MiB."

    def render(self, context):
        return [Artifact("big.bin", b"x" * (3 << 20), patient_facing=False)]


@hookimpl
def register_exporters(register):
    register(Slow())
    register(Huge())
"""


@pytest.mark.parametrize(
    ("fmt", "limit", "message"),
    [
        ("slow", ["--render-timeout", "0.5"], "it took longer than 0.5 seconds"),
        ("huge", ["--max-file-mb", "2"], "its file big.bin is 3 MiB, more than the limit of 2"),
    ],
)
def test_a_render_is_bounded_in_time_and_size(
    run: Run, tmp_path: Path, fmt: str, limit: list[str], message: str
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "bounded.py").write_text(SLOW_OR_HUGE)
    out = tmp_path / "dist"
    result = run(
        "--plugins-dir", str(plugins), *limit, "build", str(CONTENT), "--out", str(out), "-f", fmt
    )
    assert result.exit_code == 1
    assert f"the {fmt} exporter (from plugin bounded) failed" in result.stderr
    assert message in result.stderr
    assert not out.exists()


def test_a_plugin_printing_at_import_does_not_break_plugins_json(run: Run, tmp_path: Path) -> None:
    import json

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "chatty.py").write_text("print('hello from a plugin')\n")
    result = run("--plugins-dir", str(plugins), "plugins", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)  # stdout is JSON and nothing else
    assert "chatty" in [p["name"] for p in data["plugins"]]
    assert any("printed while loading" in p["reason"] for p in data["skipped"])


@pytest.mark.parametrize("folder", ["elsewhere"])
def test_commands_work_from_any_folder(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    """Run from a folder with no content/ or plugins/: the bundled ones are used."""
    where = tmp_path / folder
    where.mkdir()
    monkeypatch.chdir(where)
    validated = run("validate")
    assert validated.exit_code == 0, validated.stderr
    formats = run("formats")
    assert "markdown" in formats.stdout  # the example plugin beside the bundled content
    missing = run("validate", "no-such-folder")
    assert missing.exit_code == 2
    assert "give the path of a content folder (the one holding bundle.json)" in missing.stderr


def test_an_ordered_run_file_sorted_on_disk_is_the_one_sorted_in_memory(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sciatica_pipeline.run import runfiles

    example = CONTENT / "examples" / "patients.csv"
    args = ["patients", str(example), "--content", str(CONTENT), "-f", "sms", "--jobs", "1"]
    assert run(*args, "--out", str(tmp_path / "memory")).exit_code == 0
    monkeypatch.setattr(runfiles, "SPILL_PARTS", 7)  # 144 messages: 21 sorted runs on disk
    monkeypatch.setattr(runfiles, "SPILL_CHUNK", 3)  # each in pickled chunks of 3, 3 and 1
    assert run(*args, "--out", str(tmp_path / "disk")).exit_code == 0
    memory = (tmp_path / "memory" / "_run" / "sms" / "gateway.csv").read_bytes()
    disk = (tmp_path / "disk" / "_run" / "sms" / "gateway.csv").read_bytes()
    assert disk == memory
    sends = [line.split(",")[4] for line in memory.decode().splitlines()[1:]]
    assert sends == sorted(sends) and len(sends) > 7 * 3


def test_a_json_list_after_much_white_space_is_read_as_json(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "patients.json"
    record = (
        '{"id": "P-1", "plan": "sciatica-plan", "start_date": "2027-03-08", "timezone": "UTC",'
        ' "session_times": ["08:00", "18:00"], "name": "Ann Lee"}'
    )
    source.write_text("\n" * 5000 + " " * 5000 + "[" + record + "]")
    result = run("patients", str(source), "--content", str(CONTENT), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.stderr
    assert "Ann Lee" not in result.output


def test_an_object_that_is_not_an_exporter_is_refused(run: Run, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "duck.py").write_text(
        "from sciatica_pipeline import hookimpl\n\n\n"
        "class Duck:\n"
        '    name = "duck"\n'
        '    description = "Quacks like an exporter."\n'
        '    scopes = frozenset({"bundle"})\n\n'
        "    def render(self, context):\n"
        "        return []\n\n\n"
        "@hookimpl\n"
        "def register_exporters(register):\n"
        "    register(Duck())\n"
    )
    for command in (["plugins"], ["formats"], ["validate", str(CONTENT)]):
        result = run("--plugins-dir", str(plugins), *command)
        assert result.exit_code == 0, (command, result.output)
        assert "not a subclass of sciatica_pipeline.Exporter" in result.stderr


@pytest.mark.parametrize("out", ["/dev/null/x", "/proc/no-such/x"])
def test_an_output_folder_that_cannot_be_made_is_bad_usage(run: Run, out: str) -> None:
    example = CONTENT / "examples" / "patients.csv"
    for command in (["build", str(CONTENT)], ["patients", str(example)]):
        result = run(*command, "--out", out)
        assert result.exit_code == 2, (command, result.output)
        assert "internal error" not in result.stderr


def test_cleaning_up_one_output_never_touches_anothers_staging(run: Run, tmp_path: Path) -> None:
    other = tmp_path / ".patient-output.abc123.tmp"  # another output's run, in progress
    other.mkdir()
    (other / "reminders.ics").write_text("theirs")
    out = tmp_path / "p*"
    result = run("build", str(CONTENT), "--out", str(out), "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert (other / "reminders.ics").read_text() == "theirs"


def test_a_content_check_that_crashes_fails_every_command(run: Run, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "crashing.py").write_text(
        "from sciatica_pipeline import hookimpl\n\n\n"
        "def red_flags_present(bundle, origins):\n"
        "    raise RuntimeError('cannot reach the terminology server')\n\n\n"
        "@hookimpl\n"
        "def register_checks(register):\n"
        "    register(red_flags_present)\n"
    )
    out = tmp_path / "dist"
    for command in (["validate", str(CONTENT)], ["build", str(CONTENT), "--out", str(out)]):
        result = run("--plugins-dir", str(plugins), *command)
        assert result.exit_code == 1, (command, result.output)
        assert "the content check red_flags_present failed, so the content is not checked" in (
            result.stderr
        )
    assert not out.exists()


def test_ctrl_c_during_a_render_stops_the_run(run: Run, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "interrupted.py").write_text(
        "from sciatica_pipeline import Exporter, hookimpl\n\n\n"
        "class Interrupted(Exporter):\n"
        '    name = "interrupted"\n'
        '    description = "The person presses Ctrl-C while it renders."\n'
        '    scopes = frozenset({"patient"})\n\n'
        "    def render_patient(self, context):\n"
        "        raise KeyboardInterrupt\n\n\n"
        "@hookimpl\n"
        "def register_exporters(register):\n"
        "    register(Interrupted())\n"
    )
    example = CONTENT / "examples" / "patients.csv"
    out = tmp_path / "out"
    result = run(
        "--plugins-dir",
        str(plugins),
        "patients",
        str(example),
        "--content",
        str(CONTENT),
        "--out",
        str(out),
        "-f",
        "interrupted",
        "-f",
        "ics",
        "--jobs",
        "1",
    )
    assert result.exit_code == 1
    assert "Aborted!" in result.stderr
    assert "failed: KeyboardInterrupt" not in result.stderr
    assert not list(out.glob("P-*"))  # it stopped at the first patient


def test_a_run_part_that_is_not_a_run_part_is_a_named_failure(run: Run, tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "sloppy.py").write_text(
        "from sciatica_pipeline import Exporter, hookimpl\n"
        "from sciatica_pipeline.plugins.exporter import RunFile, RunPart\n\n\n"
        "class Sloppy(Exporter):\n"
        '    name = "sloppy"\n'
        '    description = "Returns a text where a run part belongs."\n'
        '    scopes = frozenset({"run"})\n\n'
        "    def run_files(self, context):\n"
        '        return [RunFile("all.txt")]\n\n'
        "    def render_run(self, context):\n"
        '        yield RunPart("all.txt", context.patient.id.encode() + b"\\n")\n'
        '        yield "not a part"\n\n\n'
        "@hookimpl\n"
        "def register_exporters(register):\n"
        "    register(Sloppy())\n"
    )
    out = tmp_path / "out"
    example = CONTENT / "examples" / "patients.csv"
    args = ["--plugins-dir", str(plugins), "patients", str(example), "--content", str(CONTENT)]
    result = run(*args, "--out", str(out), "-f", "sloppy", "--jobs", "2")
    assert result.exit_code == 1
    assert "render_run() returned str, not a RunPart of bytes" in result.stderr
    assert "internal error" not in result.stderr
    # A patient whose parts were refused has none of them in the run file.
    assert (out / "_run" / "sloppy" / "all.txt").read_bytes() == b""


def test_a_spool_reference_from_a_plugin_is_refused(run: Run, tmp_path: Path) -> None:
    # Only the host makes spool references: a plugin's could copy any file into the run.
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the run file\n")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "forger.py").write_text(
        "from sciatica_pipeline import Exporter, hookimpl\n"
        "from sciatica_pipeline.plugins.exporter import RunFile, RunPart\n"
        "from sciatica_pipeline.run.spool import Spooled\n\n\n"
        "class Forger(Exporter):\n"
        '    name = "forger"\n'
        '    description = "Points a run part at a file of its choice."\n'
        '    scopes = frozenset({"run"})\n\n'
        "    def run_files(self, context):\n"
        '        return [RunFile("all.txt")]\n\n'
        "    def render_run(self, context):\n"
        '        yield RunPart("all.txt", context.patient.id.encode() + b"\\n")\n'
        f'        yield Spooled("all.txt", {str(secret)!r}, 0, 10)\n\n\n'
        "@hookimpl\n"
        "def register_exporters(register):\n"
        "    register(Forger())\n"
    )
    out = tmp_path / "out"
    example = CONTENT / "examples" / "patients.csv"
    args = ["--plugins-dir", str(plugins), "patients", str(example), "--content", str(CONTENT)]
    for jobs in ("1", "2"):
        result = run(*args, "--out", str(out), "-f", "forger", "--jobs", jobs)
        assert result.exit_code == 1, result.stderr
        assert "render_run() returned Spooled, not a RunPart of bytes" in result.stderr
        assert "internal error" not in result.stderr
        assert (out / "_run" / "forger" / "all.txt").read_bytes() == b""


def test_a_spool_the_disk_refuses_stops_the_run_and_keeps_the_run_files(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from sciatica_pipeline.run import spool

    out = tmp_path / "out"
    example = CONTENT / "examples" / "patients.csv"
    args = ["patients", str(example), "--content", str(CONTENT), "--out", str(out), "-f", "csv"]
    assert run(*args).exit_code == 0
    before = (out / "_run" / "csv" / "assignments.csv").read_bytes()

    def full(self: object, name: str, path: str, data: bytes) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spool.Spool, "add", full)
    result = run(*args, "--jobs", "1")
    assert result.exit_code == 1
    assert "No space left on device; the disk is full; free some space" in result.stderr
    assert "The previous output is unchanged." in result.stderr
    # Not a run file that silently misses the patients the spool could not take.
    assert (out / "_run" / "csv" / "assignments.csv").read_bytes() == before
    assert not list(out.glob("._run.*"))


def test_a_run_in_this_process_leaves_no_spool_file_open(run: Run, tmp_path: Path) -> None:
    def spool_files() -> list[str]:
        found = []
        for fd in Path("/proc/self/fd").iterdir():
            try:
                found.append(str(fd.readlink()))
            except OSError:
                continue
        return [target for target in found if ".part" in target]

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("no /proc/self/fd to list this process's open files")
    example = CONTENT / "examples" / "patients.csv"
    for number in range(2):
        out = tmp_path / f"out{number}"
        args = ["patients", str(example), "--content", str(CONTENT), "--out", str(out)]
        assert run(*args, "-f", "csv", "-f", "fhir", "--jobs", "1").exit_code == 0
    assert spool_files() == []


SLOW_FOR_ONE = """
import signal
import time
from sciatica_pipeline import Artifact, Exporter, hookimpl


class SlowForOne(Exporter):
    name = "slow-for-one"
    description = "Takes 5 seconds for patient P-SLOW."
    scopes = frozenset({"patient"})

    def render_patient(self, context):
        # 5 s for P-SLOW: ten times the limit, and a failure rather than a hang without it
        deadline = time.monotonic() + 5
        while context.patient.id == "P-SLOW" and time.monotonic() < deadline:
            time.sleep(0.01)
        yield Artifact("note.txt", b"done", patient_facing=False)


class Tamper(Exporter):
    name = "a-tamper"
    description = "Ignores the alarm signal from its render on."
    scopes = frozenset({"patient"})

    def render_patient(self, context):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        yield Artifact("note.txt", b"tampered", patient_facing=False)


class Pause(Exporter):
    scopes = frozenset({"patient"})
    description = "Takes 0.3 seconds."

    def __init__(self, name):
        self.name = name

    def render_patient(self, context):
        time.sleep(0.3)
        yield Artifact("note.txt", b"done", patient_facing=False)


@hookimpl
def register_exporters(register):
    register(SlowForOne())
    register(Tamper())
    register(Pause("pause-1"))
    register(Pause("pause-2"))
"""


def test_a_patients_render_is_bounded_in_time_and_the_run_goes_on(run: Run, tmp_path: Path) -> None:
    # Every format of a patient shares one alarm handler; each render has its own time, and
    # the handler that was there before the run is back after it.
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "slow.py").write_text(SLOW_FOR_ONE)
    source = tmp_path / "patients.csv"
    source.write_text(
        HEADER
        + "P-SLOW,sciatica-plan,2027-03-08,Europe/London,08:00;18:00,,,,\n"
        + "P-FAST,sciatica-plan,2027-03-08,Europe/London,08:00;18:00,,,,\n"
    )
    out = tmp_path / "out"
    before = signal.getsignal(signal.SIGALRM)
    result = run(
        "--plugins-dir", str(plugins), "--render-timeout", "0.5", "patients", str(source),
        "--content", str(CONTENT), "--out", str(out), "-f", "slow-for-one", "-f", "ics", "-j", "1",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "patient P-SLOW: the slow-for-one exporter (plugin slow) failed" in result.stderr
    assert "it took longer than 0.5 seconds" in result.stderr
    assert (out / "P-SLOW" / "ics" / "reminders.ics").exists()
    assert (out / "P-FAST" / "slow-for-one" / "note.txt").read_bytes() == b"done"
    assert signal.getsignal(signal.SIGALRM) == before


@pytest.mark.parametrize(
    ("formats", "code", "expected"),
    [
        # each render has a limit of its own: two of 0.3 s pass a limit of 0.5 s
        (["pause-1", "pause-2"], 0, None),
        # a render that ignores the alarm does not lift the limit of the next one
        (["a-tamper", "slow-for-one"], 1, "it took longer than 0.5 seconds"),
    ],
)
def test_each_render_has_its_own_limit_whatever_the_one_before_did(
    run: Run, tmp_path: Path, formats: list[str], code: int, expected: str | None
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "slow.py").write_text(SLOW_FOR_ONE)
    source = tmp_path / "patients.csv"
    source.write_text(HEADER + "P-SLOW,sciatica-plan,2027-03-08,Europe/London,08:00;18:00,,,,\n")
    before = signal.getsignal(signal.SIGALRM)
    args = [arg for name in formats for arg in ("-f", name)]
    result = run(
        "--plugins-dir", str(plugins), "--render-timeout", "0.5", "patients", str(source),
        "--content", str(CONTENT), "--out", str(tmp_path / "out"), "-j", "1", *args,
    )  # fmt: skip
    assert result.exit_code == code, result.stderr
    if expected:
        assert expected in result.stderr
    assert signal.getsignal(signal.SIGALRM) == before
