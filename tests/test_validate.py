"""`sciatica-pipeline validate`: every kind of content problem is caught and reported in one
line with its file, JSON pointer and a plain message; exit codes follow the contract."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from conftest import CONTENT, Edit

Run = Callable[..., Result]


def problem_lines(result: Result) -> list[str]:
    """The problem lines of stderr (everything but the closing summary)."""
    return [line for line in result.stderr.splitlines() if not line.startswith("Error:")]


@pytest.fixture
def in_parent(content: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the content copy's parent so paths print as `content/...`."""
    monkeypatch.chdir(content.parent)
    return content


def test_bundled_content_is_valid_and_summarised(run: Run) -> None:
    result = run("validate", str(CONTENT), "--strict")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "6 conditions, 11 exercises, 19 precautions, 6 plans, 9 advice items" in result.stdout


def test_default_content_dir_is_content(run: Run, in_parent: Path) -> None:
    result = run("validate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("content: valid.")


def test_schema_error_is_one_line_with_file_pointer_and_message(
    run: Run, in_parent: Path, edit: Edit
) -> None:
    edit("exercises/bridging", lambda d: d["dosage"].update(reps=-3))
    result = run("validate")
    assert result.exit_code == 1
    assert problem_lines(result) == [
        "content/exercises/bridging.json: /dosage/reps: -3 is less than the minimum of 1"
    ]
    assert "found 1 error" in result.stderr
    assert "internal error" not in result.stderr


def test_json_syntax_error_gives_line_and_column(run: Run, in_parent: Path) -> None:
    (in_parent / "exercises" / "cat-cow.json").write_text('{\n  "id": "cat-cow"\n  "name": 1\n}')
    result = run("validate")
    assert result.exit_code == 1
    assert (
        "content/exercises/cat-cow.json: line 3, column 3: this is not valid JSON: "
        "Expecting ',' delimiter"
    ) in problem_lines(result)


def test_duplicate_json_key_is_reported(run: Run, in_parent: Path) -> None:
    (in_parent / "exercises" / "cat-cow.json").write_text('{"id": "cat-cow", "id": "x"}')
    result = run("validate")
    assert 'content/exercises/cat-cow.json: the field "id" appears twice in the same object' in (
        problem_lines(result)
    )


def test_file_that_is_not_utf8_is_reported(run: Run, in_parent: Path) -> None:
    (in_parent / "exercises" / "cat-cow.json").write_bytes(b'{"id": "caf\xe9"}')
    result = run("validate")
    assert result.exit_code == 1
    assert "content/exercises/cat-cow.json: the file is not UTF-8 text; save it as UTF-8" in (
        problem_lines(result)
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d.pop("purpose"),
            "content/exercises/bridging.json: /purpose: this required field is missing",
        ),
        (
            lambda d: d.update(colour="red"),
            "content/exercises/bridging.json: /colour: unknown field (check the spelling); "
            "allowed fields are: ",
        ),
        (
            lambda d: d.update(category="yoga"),
            'content/exercises/bridging.json: /category: "yoga" is not allowed; use one of: '
            "stretch, strengthening",
        ),
        (
            lambda d: d["dosage"].update(sets="two"),
            "content/exercises/bridging.json: /dosage/sets: expected a whole number, "
            'got text ("two")',
        ),
        (
            lambda d: d.update(steps=[]),
            "content/exercises/bridging.json: /steps: needs at least 1 item(s)",
        ),
        (
            lambda d: d["steps"].append(d["steps"][0]),
            "content/exercises/bridging.json: /steps: lists the same item more than once",
        ),
        (
            lambda d: d.update(name=" Bridging"),
            'content/exercises/bridging.json: /name: " Bridging" is not valid: write the text '
            "without leading or trailing spaces and on one line",
        ),
    ],
    ids=["missing", "unknown-field", "enum", "type", "empty-list", "duplicate-item", "spaces"],
)
def test_schema_problems_are_in_plain_words(
    run: Run, in_parent: Path, edit: Edit, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    edit("exercises/bridging", change)
    result = run("validate")
    assert result.exit_code == 1
    assert any(line.startswith(expected) for line in problem_lines(result)), result.stderr


def test_bad_date_names_the_expected_form(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("bundle", lambda d: d["review"].update(reviewed_on="2026-13-01"))
    result = run("validate")
    assert (
        'content/bundle.json: /review/reviewed_on: "2026-13-01" is not a real date: check the day '
        "and the month"
    ) in problem_lines(result)


def test_id_must_match_file_name(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("exercises/bridging", lambda d: d.update(id="bridge"))
    result = run("validate")
    assert (
        'content/exercises/bridging.json: /id: the id "bridge" does not match the file name; '
        'rename the file to bridge.json or set the id to "bridging"'
    ) in problem_lines(result)


def test_duplicate_id_names_both_files(run: Run, in_parent: Path) -> None:
    nested = in_parent / "exercises" / "more"
    nested.mkdir()
    (nested / "bridging.json").write_text((in_parent / "exercises" / "bridging.json").read_text())
    result = run("validate")
    assert result.exit_code == 1
    assert (
        'content/exercises/more/bridging.json: /id: the exercise id "bridging" is already used by '
        "content/exercises/bridging.json"
    ) in problem_lines(result)


def test_unknown_reference_says_what_to_add(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("exercises/bridging", lambda d: d["precautions"].append("no-such-warning"))
    result = run("validate")
    assert (
        "content/exercises/bridging.json: /precautions/3: no precaution has the id "
        '"no-such-warning"; check the spelling or add precautions/no-such-warning.json'
    ) in problem_lines(result) or any(
        "no-such-warning" in line and "/precautions/" in line for line in problem_lines(result)
    )


def test_unknown_source_is_reported(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("exercises/cat-cow", lambda d: d.update(sources=["a-blog"]))
    result = run("validate")
    assert (
        'content/exercises/cat-cow.json: /sources/0: no source has the id "a-blog"; add it to '
        '"sources" in bundle.json or fix the spelling'
    ) in problem_lines(result)


def _set_weeks(phase: int, start: int, end: int) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        d["phases"][phase]["weeks"] = {"from": start, "to": end}

    return change


def test_overlapping_phase_weeks(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("plans/sciatica-plan", _set_weeks(1, 2, 4))
    result = run("validate")
    assert (
        "content/plans/sciatica-plan.json: /phases/1/weeks: phase 2 (Increase hold times) starts "
        "in week 2, which overlaps the previous phase; start it in week 3"
    ) in problem_lines(result)


def test_gapped_phase_weeks(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("plans/sciatica-plan", _set_weeks(1, 4, 4))
    result = run("validate")
    assert (
        "content/plans/sciatica-plan.json: /phases/1/weeks: phase 2 (Increase hold times) leaves "
        "a gap: no phase covers week 3"
    ) in problem_lines(result)


def test_phases_must_reach_the_plan_end(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("plans/sciatica-plan", lambda d: d.update(duration_weeks=14))
    result = run("validate")
    assert (
        "content/plans/sciatica-plan.json: /duration_weeks: the plan runs 14 weeks but its phases "
        "end in week 12; make the last phase end in week 14"
    ) in problem_lines(result)


def test_plan_must_not_prescribe_an_exercise_its_condition_avoids(
    run: Run, in_parent: Path, edit: Edit
) -> None:
    def avoid_cat_cow(d: dict[str, Any]) -> None:
        d["recommended_exercises"].remove("cat-cow")
        d["avoid_or_caution"] = [
            {"exercise": "cat-cow", "level": "avoid", "reason": "A test reason."}
        ]

    edit("conditions/sciatica", avoid_cat_cow)
    result = run("validate")
    lines = [line for line in problem_lines(result) if "sciatica-plan.json" in line]
    assert lines, result.stderr
    assert all("which content/conditions/sciatica.json says to avoid" in line for line in lines)
    assert lines[0].startswith("content/plans/sciatica-plan.json: /phases/0/exercises/")


def test_caution_exercise_in_plan_is_a_warning_that_strict_fails(
    run: Run, in_parent: Path, edit: Edit
) -> None:
    def caution_cat_cow(d: dict[str, Any]) -> None:
        d["recommended_exercises"].remove("cat-cow")
        d["avoid_or_caution"] = [
            {"exercise": "cat-cow", "level": "caution", "reason": "A test reason."}
        ]

    edit("conditions/sciatica", caution_cat_cow)
    assert run("validate").exit_code == 0
    strict = run("validate", "--strict")
    assert strict.exit_code == 1
    assert ': warning: the plan prescribes "cat-cow"' in strict.stderr


def test_unused_precaution_is_an_error(run: Run, in_parent: Path) -> None:
    (in_parent / "precautions" / "orphan.json").write_text(
        json.dumps(
            {
                "id": "orphan",
                "title": "An orphan",
                "severity": "caution",
                "text": "Nobody cites this.",
                "action": "Nothing.",
                "sources": ["quick-relief-from-sciatica"],
            }
        )
    )
    result = run("validate")
    assert result.exit_code == 1
    assert problem_lines(result) == [
        "content/precautions/orphan.json: no exercise, condition, plan or advice item uses this "
        "precaution, so no patient would see it; reference it where it applies, or delete it"
    ]


def test_red_flag_must_be_a_warning_sign_severity(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("conditions/sciatica", lambda d: d["red_flags"].append("stop-if-pain"))
    result = run("validate")
    assert any(
        "/red_flags/" in line
        and 'red flags must be "emergency", "urgent" or "call-clinician"' in line
        for line in problem_lines(result)
    )


def test_red_flag_action_must_ask_for_what_its_heading_says(
    run: Run, in_parent: Path, edit: Edit
) -> None:
    # The heading says to go to emergency care now; SMS messages show the title under it
    # alone, so an action that only says to call contradicts it.
    edit("precautions/pain-in-both-legs", lambda d: d.update(severity="emergency"))
    result = run("validate")
    assert result.exit_code == 1
    assert problem_lines(result) == [
        'content/precautions/pain-in-both-legs.json: /action: the heading for "emergency" says '
        '"Go to emergency care now if you have ..."; this action does not say to "get help '
        'right away" or "go to emergency care" and also says to "call". Make the action say '
        "what the heading says, or give the precaution the severity whose heading matches it"
    ]


def test_an_urgent_red_flag_must_say_to_stop_and_go_right_away(
    run: Run, in_parent: Path, edit: Edit
) -> None:
    edit(
        "precautions/worsening-pain-despite-rest", lambda d: d.update(action="Call your clinician.")
    )
    result = run("validate")
    assert result.exit_code == 1
    [line] = problem_lines(result)
    assert line.startswith("content/precautions/worsening-pain-despite-rest.json: /action: ")
    assert 'does not say to "get help right away" or "stop exercising"' in line


@pytest.mark.parametrize(
    ("relative", "change", "where"),
    [
        (
            "bundle",
            lambda d: d.update(disclaimer=d["disclaimer"] + " If you notice a red flag, stop."),
            "content/bundle.json: /disclaimer",
        ),
        (
            "advice/staying-active",
            lambda d: d["tips"].append("If you notice a warning sign, get help right away."),
            "content/advice/staying-active.json: /tips/",
        ),
        (
            "plans/sciatica-plan",
            lambda d: d["notes"].append("Call your clinician if you notice a warning sign."),
            "content/plans/sciatica-plan.json: /notes/",
        ),
        (
            "exercises/bridging",
            lambda d: d["cues"].append("At any warning sign, stop right away."),
            "content/exercises/bridging.json: /cues/",
        ),
    ],
)
def test_text_about_warning_signs_as_a_group_must_not_contradict_any_of_them(
    run: Run,
    in_parent: Path,
    edit: Edit,
    relative: str,
    change: Callable[[dict[str, Any]], None],
    where: str,
) -> None:
    edit(relative, change)
    result = run("validate")
    assert result.exit_code == 1
    lines = problem_lines(result)
    assert lines, result.stderr
    assert all(line.startswith(where) for line in lines), lines
    assert all("speaks of the warning signs as a group" in line for line in lines)


def test_text_about_warning_signs_may_say_do_what_it_says(
    run: Run, in_parent: Path, edit: Edit
) -> None:
    edit(
        "plans/sciatica-plan",
        lambda d: d["notes"].append("If you notice a warning sign, do what it says."),
    )
    result = run("validate", "--strict")
    assert result.exit_code == 0, result.stderr


def test_checkpoint_must_not_ask_for_more_than_its_precaution(
    run: Run, in_parent: Path, edit: Edit
) -> None:
    def change(d: dict[str, Any]) -> None:
        checkpoint = next(c for c in d["checkpoints"] if c.get("precaution"))
        checkpoint["text"] = "Not getting better after 4 weeks? Stop exercising and call us."

    edit("plans/sciatica-plan", change)
    result = run("validate")
    assert result.exit_code == 1
    assert any(
        line.startswith("content/plans/sciatica-plan.json: /checkpoints/")
        and 'this checkpoint says to "stop exercising"' in line
        for line in problem_lines(result)
    )


def test_review_dates_in_order(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("bundle", lambda d: d["review"].update(next_review_due="2020-01-01"))
    result = run("validate")
    assert any(
        line.startswith("content/bundle.json: /review/next_review_due: the next review")
        for line in problem_lines(result)
    )


def test_stray_file_and_missing_manifest(run: Run, in_parent: Path) -> None:
    (in_parent / "bundle.json").rename(in_parent / "notes.json")
    result = run("validate")
    lines = problem_lines(result)
    assert (
        "content/bundle.json: the bundle manifest is missing; every content folder needs one"
        in lines
    )
    assert any(
        line.startswith("content/notes.json: this file is not part of the bundle") for line in lines
    )


def test_every_problem_is_reported_together(run: Run, in_parent: Path, edit: Edit) -> None:
    edit("exercises/bridging", lambda d: d["dosage"].update(reps=-3))
    edit("exercises/cat-cow", lambda d: d.pop("steps"))
    edit("plans/sciatica-plan", _set_weeks(1, 4, 4))
    (in_parent / "advice" / "sitting.json").write_text("{")
    result = run("validate")
    files = {line.split(":")[0] for line in problem_lines(result)}
    assert files == {
        "content/exercises/bridging.json",
        "content/exercises/cat-cow.json",
        "content/plans/sciatica-plan.json",
        "content/advice/sitting.json",
    }
    assert "found 4 errors" in result.stderr


def test_missing_folder_is_bad_usage(run: Run, tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_unknown_option_is_bad_usage(run: Run) -> None:
    assert run("validate", "--frobnicate").exit_code == 2


def test_internal_error_has_no_traceback_unless_debug(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("sciatica_pipeline.run.pipeline.validate", explode)
    quiet = run("validate", str(CONTENT))
    assert quiet.exit_code == 3  # neither bad content (1) nor bad usage (2): a bug
    assert "Traceback" not in quiet.stderr
    # The exception's text is not echoed: it may quote a patient's details.
    assert "unexpected internal error happened (RuntimeError)" in quiet.stderr
    assert "boom" not in quiet.stderr
    assert "--debug" in quiet.stderr
    loud = run("--debug", "validate", str(CONTENT))
    assert loud.exit_code == 3
    assert "Traceback" in loud.stderr and "RuntimeError: boom" in loud.stderr


def test_version_and_help(run: Run) -> None:
    assert run("--version").stdout.startswith("sciatica-pipeline, version ")
    help_text = run("--help").stdout
    assert "validate" in help_text


def test_one_item_on_standard_input(run: Run) -> None:
    good = (CONTENT / "exercises" / "bridging.json").read_text()
    assert run("validate", "-", input=good).exit_code == 0
    bad = run("validate", "-", "--kind", "exercise", input='{"id": "x"}')
    assert bad.exit_code == 1
    assert "<stdin>: /name: this required field is missing" in bad.stderr
    assert bad.stderr.count("/name: this required field is missing") == 1
    unknown = run("validate", "-", input="{}")
    assert unknown.exit_code == 1
    assert "cannot tell what kind of item this is" in unknown.stderr


def test_validate_json_lists_every_problem(run: Run, content: Path) -> None:
    (content / "exercises" / "bridging.json").write_text("{")
    result = run("validate", str(content), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert data["problems"][0]["where"] == "line 1, column 2"
