"""CSV for EHR import, read back with the csv module and validated against the published Table
Schemas with the frictionless package: RFC 4180 bytes, the codes, one row per (plan or patient,
phase, exercise), byte-identical builds, hostile text neutralised, and the exporter contract."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import frictionless
import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CONTENT
from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.exporters.ehr_csv import EhrCsv
from sciatica_pipeline.exporters.ehr_csv.cells import neutralise
from sciatica_pipeline.exporters.ehr_csv.docs import data_dictionary, dictionary_path
from sciatica_pipeline.exporters.ehr_csv.schema import ASSIGNMENTS, CATALOG
from sciatica_pipeline.inputs.patients import read_patients
from sciatica_pipeline.model.content import Bundle, Exercise, Plan
from sciatica_pipeline.model.patient import Patient
from sciatica_pipeline.model.schedule import phase_days
from sciatica_pipeline.plugins.exporter import Artifact, BuildContext
from sciatica_pipeline.plugins.testing import check_exporter, check_run_exporter, run_files_for

Run = Callable[..., Result]
BUILD = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
BOM = b"\xef\xbb\xbf"
EXAMPLE = CONTENT / "examples" / "patients.csv"

#: What a spreadsheet reads as the start of a formula (OWASP's list), said independently of the
#: exporter's own table.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Hostile text and the cell it must become (the quote in front is OWASP's neutralisation).
HOSTILE = {
    '=HYPERLINK("http://x","y")': '\'=HYPERLINK("http://x","y")',
    "+1+1": "'+1+1",
    "-2": "'-2",
    "@SUM(A1)": "'@SUM(A1)",
    "\t=1+1": "' =1+1",
    "\r=1+1": "' =1+1",
    "\n-1": "' -1",
    "  =cmd|' /C calc'!A0": "'  =cmd|' /C calc'!A0",
    "Bridge; =1+1": "Bridge; '=1+1",
    'Say "hi", then =1': 'Say "hi", then =1',
}


@pytest.fixture(scope="module")
def patients(bundle: Bundle) -> list[Patient]:
    records = list(read_patients(EXAMPLE, bundle))
    assert all(r.patient for r in records), [r.problems for r in records]
    return [r.patient for r in records if r.patient]


def rows(data: bytes) -> list[dict[str, str]]:
    """A CSV file read back with the standard library's reader (BOM tolerated)."""
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def validate(datapackage: Path) -> list[Any]:
    """Every frictionless error of a Data Package on disk (empty when valid)."""
    report = frictionless.validate(str(datapackage))
    errors: list[Any] = report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])
    return errors


def expected_rows(bundle: Bundle, plan: Plan) -> list[tuple[int, str]]:
    return [(ph.number, rx.exercise) for ph in plan.phases for rx in ph.exercises]


def render(bundle: Bundle, options: Mapping[str, str] | None = None) -> dict[str, bytes]:
    context = BuildContext(bundle, BUILD, dict(options or {}))
    return {a.path: a.data for a in EhrCsv().render(context)}


def render_patient(
    bundle: Bundle, patient: Patient, options: Mapping[str, str] | None = None
) -> dict[str, bytes]:
    """The run files of a run of this one patient (assignments.csv and its datapackage)."""
    return run_files_for(EhrCsv(), bundle, [patient], build_time=BUILD, options=options)


def write(folder: Path, files: Mapping[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder / "datapackage.json"


# -- build and patients, through the CLI ----------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from sciatica_pipeline.cli import cli

    out = tmp_path_factory.mktemp("build") / "dist"
    result = CliRunner().invoke(
        cli, ["build", str(CONTENT), "--out", str(out), "--format", "csv"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return out / "csv"


def test_build_writes_the_catalog_and_a_package_that_validates(built: Path) -> None:
    assert sorted(p.name for p in built.iterdir()) == [
        "assignments.csv",
        "datapackage.json",
        "program-catalog.csv",
    ]
    assert validate(built / "datapackage.json") == []
    descriptor = json.loads((built / "datapackage.json").read_text())
    assert [r["name"] for r in descriptor["resources"]] == [
        "program-catalog",
        "patient-assignments",
    ]
    catalog = descriptor["resources"][0]["schema"]
    assert catalog["primaryKey"] == ["plan_id", "phase_number", "exercise_id"]
    fields = {f["name"]: f for f in catalog["fields"]}
    assert fields["sets"]["type"] == "integer"
    assert fields["content_reviewed_on"]["type"] == "date"
    assert fields["procedure_cpt"]["constraints"] == {"required": True, "enum": ["97110"]}
    assert "enum" in fields["exercise_category"]["constraints"]
    assert "pattern" in fields["condition_icd10cm"]["constraints"]


def test_catalog_has_one_row_per_plan_phase_and_exercise(built: Path, bundle: Bundle) -> None:
    catalog = rows((built / "program-catalog.csv").read_bytes())
    expected = [
        (plan.id, *key) for plan in bundle.plans.values() for key in expected_rows(bundle, plan)
    ]
    assert [(r["plan_id"], int(r["phase_number"]), r["exercise_id"]) for r in catalog] == expected
    assert list(catalog[0]) == list(CATALOG.header)
    assert rows((built / "assignments.csv").read_bytes()) == []


def test_catalog_carries_codes_dosage_and_text(built: Path, bundle: Bundle) -> None:
    for row in rows((built / "program-catalog.csv").read_bytes()):
        plan = bundle.plans[row["plan_id"]]
        condition = bundle.condition_of(plan)
        assert row["condition_icd10cm"].split("|") == [c.code for c in condition.icd10cm]
        assert row["condition_snomedct"] == "|".join(c.code for c in condition.snomed)
        assert row["procedure_snomedct"] == "229065009"
        assert row["procedure_cpt"] == "97110"
        assert row["content_version"] == bundle.manifest.version
        assert row["content_reviewed_on"] == bundle.manifest.review.reviewed_on.isoformat()
        phase = plan.phases[int(row["phase_number"]) - 1]
        assert (row["phase_week_from"], row["phase_week_to"]) == (
            str(phase.week_from),
            str(phase.week_to),
        )
        [rx] = [rx for rx in phase.exercises if rx.exercise == row["exercise_id"]]
        dosage = bundle.dosage_in(rx)
        for name in ("sets", "reps", "hold_seconds", "times_per_day", "minutes"):
            value = getattr(dosage, name)
            assert row[name] == ("" if value is None else str(value))
        exercise = bundle.exercises[rx.exercise]
        assert row["exercise_name"] == exercise.name
        steps = row["instructions"]
        for i, step in enumerate(exercise.steps, start=1):
            assert f"{i}. {step}" in steps
        for precaution in bundle.precautions_for(exercise):
            assert precaution.title in row["precautions"]


def test_the_data_dictionary_says_the_cpt_code_is_no_charge(built: Path) -> None:
    # Every home-exercise row carries 97110; the contract says what that does and does not mean.
    descriptor = json.loads((built / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        [field] = [f for f in resource["schema"]["fields"] if f["name"] == "procedure_cpt"]
        assert "records no service and no charge" in field["description"]
        assert "clinic's decision" in field["description"]


def test_cpt_descriptor_text_is_never_written(built: Path) -> None:
    everything = b"".join(p.read_bytes() for p in built.iterdir()).lower()
    assert b"therapeutic procedure" not in everything  # the AMA descriptor's opening words


@pytest.fixture(scope="module")
def patient_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from sciatica_pipeline.cli import cli

    out = tmp_path_factory.mktemp("patients") / "out"
    args = ["patients", str(EXAMPLE), "--content", str(CONTENT), "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--format", "csv"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def run_rows(patient_out: Path, patient_id: str | None = None) -> list[dict[str, str]]:
    """The run's assignments (every patient's, or one patient's rows)."""
    got = rows((patient_out / "_run" / "csv" / "assignments.csv").read_bytes())
    return [r for r in got if patient_id is None or r["patient_id"] == patient_id]


def test_patients_writes_one_assignments_file_that_validates(
    patient_out: Path, bundle: Bundle, patients: list[Patient]
) -> None:
    run_folder = patient_out / "_run" / "csv"
    assert sorted(p.name for p in run_folder.iterdir()) == ["assignments.csv", "datapackage.json"]
    assert validate(run_folder / "datapackage.json") == []
    # No patient folder keeps a copy: the run's file is the one an EHR imports.
    assert not any((patient_out / p.id / "csv").exists() for p in patients)
    assert [r["patient_id"] for r in run_rows(patient_out)] == [
        p.id for p in patients for _ in expected_rows(bundle, bundle.plans[p.plan])
    ]  # the patients' order, each patient's rows together
    for patient in patients:
        plan = bundle.plans[patient.plan]
        got = run_rows(patient_out, patient.id)
        assert [(int(r["phase_number"]), r["exercise_id"]) for r in got] == expected_rows(
            bundle, plan
        )
        for row in got:
            assert row["plan_id"] == plan.id
            phase = plan.phases[int(row["phase_number"]) - 1]
            first, last = phase_days(patient.start_date, phase)
            assert (row["phase_start"], row["phase_end"]) == (first.isoformat(), last.isoformat())
            assert row["procedure_cpt"] == "97110"
            assert row["condition_icd10cm"].split("|") == [
                c.code for c in bundle.condition_of(plan).icd10cm
            ]


def test_assignments_agree_with_the_catalog(built: Path, patient_out: Path) -> None:
    catalog = {
        (r["plan_id"], r["phase_number"], r["exercise_id"]): r
        for r in rows((built / "program-catalog.csv").read_bytes())
    }
    for row in run_rows(patient_out):
        template = catalog[(row["plan_id"], row["phase_number"], row["exercise_id"])]
        shared = set(row) & set(template)
        assert {k: row[k] for k in shared} == {k: template[k] for k in shared}


def test_assignments_never_carry_a_name_or_number(
    patient_out: Path, patients: list[Patient]
) -> None:
    data = (patient_out / "_run" / "csv" / "assignments.csv").read_bytes()
    for patient in patients:
        for private in (patient.name, patient.mobile, patient.clinic_phone):
            if private:
                assert private.encode() not in data


def test_the_run_descriptor_describes_the_assignments_of_the_build_one(
    built: Path, patient_out: Path
) -> None:
    build = json.loads((built / "datapackage.json").read_text())
    run = json.loads((patient_out / "_run" / "csv" / "datapackage.json").read_text())
    assert run["resources"] == [build["resources"][1]]
    assert run["resources"][0]["schema"] == ASSIGNMENTS.schema()


def test_a_bad_record_stays_out_of_the_run_files(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "patients.csv"
    good = "P-1,sciatica-plan,2027-03-08,UTC,08:00;18:00,+12025550143,+1 202 555 0100\n"
    bad = "P-2,sciatica-plan,2027-03-08,Mars/Base,08:00;18:00,+12025550144,+1 202 555 0100\n"
    header = "id,plan,start_date,timezone,session_times,mobile,clinic_phone\n"
    source.write_text(header + good + bad)
    out = tmp_path / "out"
    result = run("patients", str(source), "--content", str(CONTENT), "--out", str(out))
    assert result.exit_code == 1
    assert {r["patient_id"] for r in run_rows(out)} == {"P-1"}
    gateway = (out / "_run" / "sms" / "gateway.csv").read_text()
    assert "P-1," in gateway and "P-2," not in gateway


def test_two_builds_are_byte_identical(run: Run, tmp_path: Path) -> None:
    for name in ("a", "b"):
        result = run("build", str(CONTENT), "--out", str(tmp_path / name), "--format", "csv")
        assert result.exit_code == 0, result.stderr
    for path in (tmp_path / "a" / "csv").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / "csv" / path.name).read_bytes(), path.name


# -- RFC 4180 and the excel option ----------------------------------------------------------


def test_files_are_rfc4180_with_crlf_and_no_bom(bundle: Bundle, patients: list[Patient]) -> None:
    files = [render(bundle)["program-catalog.csv"]]
    files += [render_patient(bundle, p)["assignments.csv"] for p in patients]
    for data in files:
        assert not data.startswith(BOM)
        data.decode("utf-8")
        assert data.endswith(b"\r\n")
        assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r")
        # one physical line per record: no cell holds a line break
        assert data.count(b"\r\n") == len(rows(data)) + 1
        # quoting only where needed: the minimal RFC 4180 writing of the same records
        records = list(csv.reader(io.StringIO(data.decode(), newline="")))
        again = io.StringIO()
        csv.writer(again, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(records)
        assert again.getvalue().encode() == data


def test_excel_true_adds_a_bom_and_nothing_else(bundle: Bundle, patients: list[Patient]) -> None:
    plain, excel = render(bundle), render(bundle, {"excel": "true"})
    for name in ("program-catalog.csv", "assignments.csv"):
        assert excel[name] == BOM + plain[name]
    assert excel["datapackage.json"] == plain["datapackage.json"]
    assert render(bundle, {"excel": "false"}) == plain
    patient = patients[0]
    plain_p, excel_p = (
        render_patient(bundle, patient),
        render_patient(bundle, patient, {"excel": "TRUE"}),
    )
    assert excel_p["assignments.csv"] == BOM + plain_p["assignments.csv"]


@pytest.mark.parametrize("value", ["yes", "1", "", "truee"])
def test_a_bad_excel_value_is_a_plain_error(bundle: Bundle, value: str) -> None:
    with pytest.raises(PipelineError, match="excel must be true or false"):
        render(bundle, {"excel": value})


def test_excel_files_still_validate(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = run("build", str(CONTENT), "--out", str(out), "-f", "csv", "--set", "csv.excel=true")
    assert result.exit_code == 0, result.stderr
    assert (out / "csv" / "program-catalog.csv").read_bytes().startswith(BOM)
    assert validate(out / "csv" / "datapackage.json") == []


def test_bad_excel_value_is_bad_usage(run: Run, tmp_path: Path) -> None:
    result = run("build", str(CONTENT), "--out", str(tmp_path), "-f", "csv", "--set", "csv.excel=1")
    assert result.exit_code == 2
    assert "excel must be true or false" in result.stderr
    assert "internal error" not in result.stderr


# -- hostile text ----------------------------------------------------------------------------


def with_exercise(bundle: Bundle, exercise_id: str, **changes: Any) -> Bundle:
    exercise: Exercise = dataclasses.replace(bundle.exercises[exercise_id], **changes)
    return dataclasses.replace(bundle, exercises={**bundle.exercises, exercise_id: exercise})


def starts_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_START) or cell.lstrip().startswith(FORMULA_START[:4])


@pytest.mark.parametrize(("hostile", "cell"), HOSTILE.items())
def test_hostile_exercise_text_is_neutralised(
    bundle: Bundle, patients: list[Patient], hostile: str, cell: str, tmp_path: Path
) -> None:
    evil = with_exercise(
        bundle,
        "bridging",
        name=hostile,
        starting_position=hostile,
        steps=(hostile, f"Then {hostile}"),
    )
    evil = dataclasses.replace(
        evil,
        precautions={
            **evil.precautions,
            "stop-if-pain": dataclasses.replace(evil.precautions["stop-if-pain"], title=hostile),
        },
    )
    built = render(evil)
    patient = next(p for p in patients if p.plan == "sciatica-plan")
    assigned = render_patient(evil, patient)
    for data in (built["program-catalog.csv"], assigned["assignments.csv"]):
        records = rows(data)
        assert data.count(b"\r\n") == len(records) + 1  # never a broken row
        bridging = [r for r in records if r["exercise_id"] == "bridging"]
        assert bridging
        for row in records:
            for value in row.values():
                assert not starts_formula(value), value
        for row in bridging:
            assert row["exercise_name"] == cell
            assert "1. " in row["instructions"]
            assert "2. Then " in row["instructions"]
    assert validate(write(tmp_path / "build", built)) == []
    assert validate(write(tmp_path / "patient", assigned)) == []


TEXT = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=TEXT)
def test_any_exercise_name_round_trips_to_its_neutralised_form(bundle: Bundle, name: str) -> None:
    data = render(with_exercise(bundle, "cat-cow", name=name))["program-catalog.csv"]
    records = rows(data)
    assert data.count(b"\r\n") == len(records) + 1
    cells = [r["exercise_name"] for r in records if r["exercise_id"] == "cat-cow"]
    assert cells and all(cell == neutralise(name) for cell in cells)
    assert not starts_formula(cells[0])


@given(text=st.text(max_size=60))
def test_neutralised_text_never_starts_a_formula(text: str) -> None:
    cell = neutralise(text)
    assert not starts_formula(cell)
    assert not any(ch in cell for ch in "\r\n\t\x00")
    for part in cell.split(";")[1:]:
        assert not part.lstrip().startswith(FORMULA_START[:4])
    safe = text[:1] not in "=+-@\t\r\n" and not text.lstrip().startswith(("=", "+", "-", "@"))
    if safe and text.isprintable() and ";" not in text:
        assert cell == text  # safe text is left alone


def test_numbers_and_dates_are_never_prefixed(bundle: Bundle) -> None:
    for row in rows(render(bundle)["program-catalog.csv"]):
        for name in ("phase_number", "phase_week_from", "reps", "hold_seconds"):
            assert row[name] == "" or row[name].isdigit()
        dt.date.fromisoformat(row["content_reviewed_on"])


# -- the exporter contract -------------------------------------------------------------------


def test_csv_exporter_keeps_the_contract(bundle: Bundle, patients: list[Patient]) -> None:
    artifacts: list[Artifact] = check_exporter(EhrCsv(), bundle, build_time=BUILD)
    assert [a.path for a in artifacts] == [
        "program-catalog.csv",
        "assignments.csv",
        "datapackage.json",
    ]
    assert not any(a.patient_facing for a in artifacts)
    done = check_run_exporter(EhrCsv(), bundle, patients, build_time=BUILD)
    assert sorted(done) == ["assignments.csv", "datapackage.json"]
    assert len(rows(done["assignments.csv"])) == sum(
        len(rows(render_patient(bundle, p)["assignments.csv"])) for p in patients
    )


def test_a_cached_exporter_renders_another_bundle_afresh(
    bundle: Bundle, patients: list[Patient]
) -> None:
    exporter, patient = EhrCsv(), patients[0]
    plan = bundle.plans[patient.plan]
    first_id = plan.phases[0].exercises[0].exercise
    renamed = with_exercise(bundle, first_id, name="Renamed")
    for source, name in ((bundle, bundle.exercises[first_id].name), (renamed, "Renamed")):
        assignments = run_files_for(exporter, source, [patient], build_time=BUILD)
        assert rows(assignments["assignments.csv"])[0]["exercise_name"] == name


# -- the data dictionary ---------------------------------------------------------------------


def test_data_dictionary_is_current() -> None:
    current = dictionary_path().read_text(encoding="utf-8")
    assert current == data_dictionary(), "docs/csv-data-dictionary.md is stale: run `make docs`"


def test_data_dictionary_lists_every_column() -> None:
    text = data_dictionary()
    for table in (CATALOG, ASSIGNMENTS):
        for column in table.columns:
            assert f"`{column.name}`" in text
