"""Built-in plugin: checks the diagnosis codes of every condition when content is validated.

ICD-10-CM codes must have the right form (beyond the schema's pattern), SNOMED CT concept ids
must pass their Verhoeff check digit and carry a concept partition, and one condition must not
list two ICD-10-CM codes that exclude each other (Excludes1). The procedure codes the EHR CSV
carries are defined here too, so they are checked in the same place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sciatica_pipeline.errors import Problem
from sciatica_pipeline.inputs.validation import ContentCheck, Origins
from sciatica_pipeline.model.content import Bundle, Code, Condition
from sciatica_pipeline.plugins.hookspecs import hookimpl

#: SNOMED CT 229065009 |Exercise therapy (regime/therapy)|: the procedure of every CSV row.
EXERCISE_THERAPY_SNOMED = "229065009"

#: CPT 97110, therapeutic exercise. The code only: the AMA's descriptor text is licensed and is
#: never written anywhere.
THERAPEUTIC_EXERCISE_CPT = "97110"

# Verhoeff's tables: multiplication in the dihedral group D5, and the position permutations
# (the permutation of position i is the first one applied i times).
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)


def _permutations(first: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    rows = [tuple(range(10))]
    for _ in range(7):
        rows.append(tuple(first[x] for x in rows[-1]))
    return tuple(rows)


_P = _permutations((1, 5, 7, 6, 2, 8, 3, 0, 9, 4))
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def _verhoeff(digits: str, offset: int) -> int:
    check = 0
    for i, digit in enumerate(reversed(digits)):
        check = _D[check][_P[(i + offset) % 8][int(digit)]]
    return check


def verhoeff_digit(digits: str) -> str:
    """The Verhoeff check digit to append to `digits` (a string of 0-9)."""
    return str(_INV[_verhoeff(digits, 1)])


def verhoeff_ok(number: str) -> bool:
    """True when `number` (digits, check digit last) passes the Verhoeff check."""
    return number.isascii() and number.isdigit() and _verhoeff(number, 0) == 0


#: SCTID partition identifiers (the two digits before the check digit) of concepts: 00 in the
#: short (international) format, 10 in the long (extension namespace) format.
CONCEPT_PARTITIONS = {"00": "short", "10": "long"}
_OTHER_PARTITIONS = {
    "01": "a description id",
    "02": "a relationship id",
    "11": "a description id",
    "12": "a relationship id",
}
_SCTID = re.compile(r"[1-9][0-9]{5,17}")


def sctid_problem(code: str) -> str | None:
    """Why `code` is not a valid SNOMED CT concept id, or None when it is."""
    if not _SCTID.fullmatch(code):
        return (
            f'"{code}" is not a SNOMED CT id: it must be 6 to 18 digits and not start with 0; '
            "copy the concept id from a SNOMED CT browser"
        )
    if not verhoeff_ok(code):
        return (
            f'"{code}" fails the SNOMED CT check digit (Verhoeff), so a digit is wrong or two are '
            "swapped; copy the concept id again from a SNOMED CT browser"
        )
    partition = code[-3:-1]
    if partition not in CONCEPT_PARTITIONS:
        kind = _OTHER_PARTITIONS.get(partition, "not a concept id")
        return (
            f'"{code}" has the partition digits "{partition}" (the two before the check digit), '
            f"so it is {kind}; a concept id has 00 or 10 there. Use the concept's own id"
        )
    if partition == "10" and len(code) < 11:
        return (
            f'"{code}" has the extension partition 10 but is too short to hold a 7-digit '
            "namespace; copy the concept id again from a SNOMED CT browser"
        )
    return None


_ICD10CM = re.compile(r"[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?")


def icd10cm_problem(code: str) -> str | None:
    """Why `code` is not a well-formed ICD-10-CM code, or None when it is.

    Beyond the schema's pattern: characters 4 to 6 are digits or the placeholder X (a letter
    there is usually a 7th character written without its placeholders), and a code never ends
    with the placeholder.
    """
    if not _ICD10CM.fullmatch(code):
        return (
            f'"{code}" is not an ICD-10-CM code: write a letter, two characters, then a dot and '
            "up to four characters, for example M54.31"
        )
    chars = code.replace(".", "")
    for i in range(3, min(len(chars), 6)):
        char = chars[i]
        if char.isalpha() and char != "X":
            fixed = chars[:i] + "X" * (6 - i) + char
            return (
                f'"{code}" has the letter {char} as character {i + 1}; characters 4 to 6 are '
                f"digits or the placeholder X. If {char} is a 7th character, fill the empty "
                f"places with X before it: {fixed[:3]}.{fixed[3:]}"
            )
    if len(chars) > 3 and chars[-1] == "X":
        return (
            f'"{code}" ends with the placeholder X, which only fills a place before another '
            "character; remove it or add the character that follows it"
        )
    return None


@dataclass(frozen=True, slots=True)
class Excludes1:
    """An Excludes1 note: codes under `category` are never reported with codes under
    `excludes`. Both are written as in the tabular (`M51.1-` for the whole subcategory) and
    matched as prefixes."""

    category: str
    excludes: str
    what: str

    def applies(self, first: str, second: str) -> bool:
        """True when this note forbids `first` and `second` together (in either order)."""
        note, excluded = self.category.rstrip("-"), self.excludes.rstrip("-")
        return (first.startswith(note) and second.startswith(excluded)) or (
            second.startswith(note) and first.startswith(excluded)
        )


#: Excludes1 notes of the categories the bundle uses. Source: the ICD-10-CM Tabular List,
#: FY2025 and FY2026 editions (CMS/NCHS), as quoted by coding references; checked against
#: both years. Extend this table when content adds a category with Excludes1 notes.
EXCLUDES1: tuple[Excludes1, ...] = (
    Excludes1("M54.3-", "M51.1-", "sciatica due to an intervertebral disc disorder"),
    Excludes1("M54.3-", "M54.4-", "sciatica with lumbago"),
    Excludes1("M54.3-", "G57.0-", "a lesion of the sciatic nerve"),
    Excludes1("M54.3-", "M51.361", "lumbar disc degeneration with lower extremity pain only"),
    Excludes1("M54.3-", "M51.371", "lumbosacral disc degeneration with lower extremity pain only"),
    Excludes1("M54.4-", "M51.1-", "lumbago with sciatica due to an intervertebral disc disorder"),
    Excludes1("G57.0-", "M54.3-", "sciatica"),
)


def excluded_pairs(codes: Sequence[str]) -> Iterator[tuple[int, int, Excludes1]]:
    """(earlier index, later index, note) for every pair of `codes` an Excludes1 note forbids."""
    for j, second in enumerate(codes):
        for i, first in enumerate(codes[:j]):
            note = next((n for n in EXCLUDES1 if n.applies(first, second)), None)
            if note is not None:
                yield i, j, note


def condition_problems(condition: Condition, file: str) -> Iterator[Problem]:
    """Every code problem of one condition."""
    icd: tuple[Code, ...] = condition.icd10cm
    for i, code in enumerate(icd):
        message = icd10cm_problem(code.code)
        if message:
            yield Problem(file, f"/codes/icd10cm/{i}/code", message)
    for i, code in enumerate(condition.snomed):
        message = sctid_problem(code.code)
        if message:
            yield Problem(file, f"/codes/snomed/{i}/code", message)
    for i, j, note in excluded_pairs([c.code for c in icd]):
        first, second = icd[i].code, icd[j].code
        yield Problem(
            file,
            f"/codes/icd10cm/{j}/code",
            f"{second} and {first} (/codes/icd10cm/{i}/code) exclude each other: the "
            f"Excludes1 note at {note.category} says {note.what} ({note.excludes}) is never "
            "coded with it. Keep the code that fits this condition and remove the other, or "
            "describe the other one as a condition of its own",
        )


def check_codes(bundle: Bundle, origins: Origins) -> list[Problem]:
    """The code problems of every condition of the bundle."""
    problems: list[Problem] = []
    for condition in bundle.conditions.values():
        problems += condition_problems(condition, origins.file("condition", condition.id))
    return problems


@hookimpl
def register_checks(register: Callable[[ContentCheck], None]) -> None:
    """Register the diagnosis-code check."""
    register(check_codes)
