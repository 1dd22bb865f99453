"""The bundled content says what its sources say: these hold the fixes of a claim-by-claim
review against the five articles, so they cannot quietly come undone."""

from __future__ import annotations

from sciatica_pipeline.model.content import Bundle


def test_no_exercise_is_prescribed_more_often_than_the_plan_has_sessions(bundle: Bundle) -> None:
    for plan in bundle.plans.values():
        for phase in plan.phases:
            for rx in phase.exercises:
                per_day = bundle.dosage_in(rx).times_per_day
                assert per_day is None or per_day <= plan.sessions_per_day, (
                    plan.id,
                    phase.name,
                    rx.exercise,
                )


def test_a_plan_that_fits_a_three_times_a_day_exercise_into_two_sessions_says_so(
    bundle: Bundle,
) -> None:
    for plan in bundle.plans.values():
        for exercise in bundle.plan_exercises(plan):
            if (exercise.dosage.times_per_day or 0) > plan.sessions_per_day:
                name = exercise.name.lower()
                assert any(
                    name in note.lower() and "3 times a day" in note for note in plan.notes
                ), (
                    plan.id,
                    exercise.id,
                )


def test_the_program_starts_once_pain_is_under_control(bundle: Bundle) -> None:
    # "Once pain control for sciatica has been achieved, gentle stretching ... and low-impact
    # exercise ... will help" (Stretching and Strengthening Exercises for Sciatica Relief).
    wanted = "once your pain is under control"
    for plan in bundle.plans.values():
        assert plan.summary is not None and wanted in plan.summary, plan.id
        assert wanted in plan.phases[0].goals[0].lower(), plan.id
    assert wanted in bundle.exercises["walking"].steps[0].lower()


def test_walking_targets_and_the_twelve_weeks_are_marked_as_the_plans_choices(
    bundle: Bundle,
) -> None:
    # Provenance is for clinicians (issue 19): the disclosure moved from the patient's summary
    # and walking targets to the plan's clinician notes.
    for plan in bundle.plans.values():
        notes = " ".join(plan.clinician_notes)
        assert "The 12 weeks and the walking targets are this plan's own choices" in notes
        assert "week 9 and after" in notes, plan.id
        assert "one patient's story" in notes, plan.id
        assert plan.summary is not None and "Your clinician may change" in plan.summary
        for phase in plan.phases:
            assert phase.walking is not None


def test_no_text_blends_two_articles_into_two_to_three_brisk_miles(bundle: Bundle) -> None:
    # One article says "up to 3 miles ... at a brisk pace"; another "walking two to three
    # miles", with no pace.
    texts = [*bundle.exercises["walking"].steps, bundle.exercises["walking"].dosage.note or ""]
    for plan in bundle.plans.values():
        for phase in plan.phases:
            texts += [phase.walking.target] if phase.walking else []
            texts += [bundle.dosage_in(rx).note or "" for rx in phase.exercises]
    assert not [t for t in texts if "2 to 3 miles" in t]


def test_plans_that_start_strengthening_late_disclose_the_core_work_warning(
    bundle: Bundle,
) -> None:
    # The conditions' treatment is strengthening, and one article warns that skipping core work
    # "Leaves spine vulnerable"; the plans follow another table that adds it in weeks 5-8.
    for plan_id in (
        "degenerative-disc-disease-with-instability-plan",
        "isthmic-spondylolisthesis-plan",
    ):
        plan = bundle.plans[plan_id]
        first = next(
            ph
            for ph in plan.phases
            if any(bundle.exercises[rx.exercise].category == "strengthening" for rx in ph.exercises)
        )
        assert first.week_from > 1
        assert any("skipping core work" in note.lower() for note in plan.notes), plan_id
        assert any("week-by-week table" in note for note in plan.clinician_notes), plan_id
        assert any("pelvic tilt" in goal for goal in plan.phases[0].goals), plan_id


def test_seated_pigeon_and_figure_4_keep_their_own_best_for_and_precaution(
    bundle: Bundle,
) -> None:
    exercise = bundle.exercises["piriformis-stretch"]
    notes = {v.name: v.note for v in exercise.variations}
    assert "deep buttock pain" in notes["Seated pigeon pose"]
    assert "Do not round your back" in notes["Seated pigeon pose"]
    assert "piriformis syndrome" in notes["Figure-4 stretch"]
    assert "knee pain" in notes["Figure-4 stretch"]
    travelling = {p.id for p in bundle.precautions_for(exercise)}
    assert {"do-not-round-your-back", "stop-if-knee-pain"} <= travelling


def test_hip_mobility_is_not_left_out_silently(bundle: Bundle) -> None:
    tips = " ".join(bundle.advice["routine"].tips)
    assert "hip mobility" in tips and "ask your clinician" in tips


def test_the_saddle_area_names_what_emergency_guidance_names(bundle: Bundle) -> None:
    text = bundle.precautions["saddle-area-numbness"].text
    assert "genitals" in text and "anus" in text


def test_stenosis_is_defined_and_cited_only_to_sources_that_speak_of_it(bundle: Bundle) -> None:
    condition = bundle.conditions["lumbar-spinal-stenosis"]
    assert any("Stenosis means narrowing" in t for t in condition.explanation)
    # The physical therapy guide never mentions stenosis.
    assert "sciatica-relief-exercises-pt-guide" not in condition.sources


def test_jargon_is_explained_where_it_is_used(bundle: Bundle) -> None:
    conditions = bundle.conditions
    worn = " ".join(conditions["degenerative-disc-disease-with-instability"].how_exercise_helps)
    assert "tiny extra movements" in worn
    herniated = " ".join(conditions["lumbar-disc-herniation"].how_exercise_helps)
    assert "The name means keeping your lower back (lumbar spine) stable" in herniated
    isthmic = " ".join(conditions["isthmic-spondylolisthesis"].explanation)
    assert "Isthmic is the name of one type" in isthmic


#: Words of a research note ("one source's author ...", "in one patient's story"): they belong
#: in clinician notes, not in what a patient reads (issue 19).
RESEARCH_VOICE = ("one source", "the source ", "another source", "a source", "story", "author")


def test_patient_text_gives_instructions_not_research_notes(bundle: Bundle) -> None:
    from sciatica_pipeline.inputs.readability import patient_texts

    class Origins:
        manifest_file = "bundle.json"

        def file(self, kind: str, item_id: str) -> str:
            return f"{kind}/{item_id}"

    found = [
        (file, where, text)
        for file, where, text in patient_texts(bundle, Origins())  # type: ignore[arg-type]
        if "/clinician_notes/" not in where
        and "/disagreement/" not in where
        and any(word in text.lower() for word in RESEARCH_VOICE)
    ]
    assert not found
    assert all(p.clinician_notes for p in bundle.plans.values())
