"""User-facing failures: each problem says where (file and JSON pointer, or row and column)
and what."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]

# Control characters (a newline in a JSON key, say) would break "one line per problem".
_ESCAPES = {c: f"\\x{c:02x}" for c in range(32)} | {10: "\\n", 13: "\\r", 9: "\\t", 127: "\\x7f"}


def close_matches(word: str, choices: Iterable[str], n: int = 1) -> list[str]:
    """The choices closest to a misspelled `word` (case does not count), for "did you mean"."""
    import difflib

    by_case = {choice.casefold(): choice for choice in choices}
    found = difflib.get_close_matches(word.casefold(), sorted(by_case), n=n, cutoff=0.6)
    return [by_case[match] for match in found]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean X?)`, or "" when nothing is close."""
    found = close_matches(word, choices)
    return f" (did you mean {found[0]}?)" if found else ""


def one_line(text: str) -> str:
    """`text` with control characters written as escapes, so it prints on one line."""
    return text.translate(_ESCAPES)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in content or patient data.

    :param file: the file as the user named it, for example `content/exercises/bridging.json`.
    :param where: a JSON pointer (`/dosage/reps`), `line 3, column 5`, `row 4, column tz`, or ""
        when the problem concerns the whole file.
    :param message: what is wrong, in plain words, and where it helps, how to fix it.
    :param level: `error` stops a build; `warning` is reported (and fails with `--strict`).
    """

    file: str
    where: str
    message: str
    level: Level = "error"

    def __str__(self) -> str:
        parts = [self.file]
        if self.where:
            parts.append(self.where)
        if self.level == "warning":
            parts.append("warning")
        parts.append(self.message)
        return one_line(": ".join(parts))

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """Order problems by file, then position, so reports read top to bottom."""
        return (self.file, self.where, self.message)


def sorted_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Problems in report order, duplicates removed."""
    return tuple(sorted(set(problems), key=lambda p: p.sort_key))


class PipelineError(Exception):
    """Base class of the errors a person caused and can fix; the CLI exits 1 on them."""


class UsageError(PipelineError):
    """A command was asked for something it cannot do (an unknown format, an unsafe output
    folder); the CLI exits 2 and names the option.

    :param option: the option at fault, as the library names it (`out`, `format`, `set`), or
        None when no one option is.
    """

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class ProblemsError(PipelineError):
    """An input with problems; `problems` lists every one, one line each."""

    def __init__(self, problems: Iterable[Problem], source: str) -> None:
        self.problems = sorted_problems(problems)
        self.source = source
        errors = sum(1 for p in self.problems if p.level == "error")
        super().__init__(f"{source}: {errors} problem(s)")


class ContentError(ProblemsError):
    """The content bundle has problems."""


class PatientDataError(ProblemsError):
    """A patients file cannot be read at all (as opposed to one bad record in it)."""
