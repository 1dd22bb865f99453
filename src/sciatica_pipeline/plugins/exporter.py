"""What an exporter is: the base class plugins subclass, the artifacts they return and the
contexts they render from.

An exporter renders bytes from the model. It never writes files, never prints, and names its
artifacts by paths relative to its own output folder: the host does the writing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeVar, get_args

from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.frozen import FrozenMap, frozen
from sciatica_pipeline.run.memo import Memo

if TYPE_CHECKING:
    from sciatica_pipeline.model.patient import Patient
    from sciatica_pipeline.model.schedule import Schedule

#: What an exporter can serve: the bundle alone (`build`: a file per plan, say), or each
#: patient of a list (`patients`, and the one-patient commands such as `calendar`).
Scope = Literal["bundle", "patient"]
SCOPES: tuple[Scope, ...] = get_args(Scope)

NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Artifact:
    """One output file: its path inside the exporter's folder and its bytes.

    :param path: a relative POSIX path such as `booklets/sciatica-plan.pdf`; no `..`, no
        leading `/`.
    :param data: the file's exact bytes.
    :param media_type: the IANA media type, for example `application/pdf` or `text/calendar`.
    :param patient_facing: True when a patient reads it: it must then carry the red flags and
        the disclaimer (the contract checks hold it to that).
    :param plan: the id of the plan the artifact is for, if it is for one plan.
    """

    path: str
    data: bytes
    media_type: str = "application/octet-stream"
    patient_facing: bool = True
    plan: str | None = None


@dataclass(frozen=True, slots=True)
class Alias:
    """A command-line flag an exporter declares for one of its options: `--excel` on `build`
    and `patients` is the csv format's alias for `--set csv.excel=true`.

    :param flag: the flag's name without dashes, for example `excel`.
    :param option: the exporter option it sets (a key of `Exporter.options`).
    :param value: the value it sets the option to.
    :param help: one line for `--help`.
    """

    flag: str
    option: str
    value: str
    help: str


class Workers(Protocol):
    """Runs independent pieces of a bundle-level render in parallel (`context.workers`).

    `fn` must be a module-level function and each item picklable: the pieces may run in
    other processes. Results come back in the order of `items`.
    """

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[fn(item) for item in items]`, possibly on several cores."""
        ...


class InProcess:
    """`Workers` that run every piece in this process, one after another."""

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[fn(item) for item in items]`."""
        return [fn(item) for item in items]


def _options(value: Mapping[str, str]) -> FrozenMap[str, str]:
    return frozen(value)


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a bundle-level render receives.

    :param bundle: the validated content.
    :param build_time: the build's timestamp (UTC): SOURCE_DATE_EPOCH when set, otherwise
        the bundle's review date. Never the wall clock, so builds are reproducible.
    :param options: this exporter's options as set on the command line (`--set name.key=value`).
    :param memo: this exporter's memo for the run (see `sciatica_pipeline.Memo`).
    :param workers: runs independent pieces (one booklet each, say) on the run's worker pool.
    """

    bundle: Bundle
    build_time: dt.datetime
    options: Mapping[str, str] = field(default_factory=FrozenMap)
    memo: Memo = field(default_factory=Memo, compare=False)
    workers: Workers = field(default_factory=InProcess, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", _options(self.options))


class SkipPatient(Exception):
    """Raised by `render_patient` when the format does not apply to this patient (an SMS
    sequence for a patient with no mobile number, say). The patient is reported with the
    message and skipped for this format only; the run does not fail.

    The message must not contain the patient's name or number.
    """


@dataclass(frozen=True, slots=True)
class PatientContext:
    """What a per-patient render receives.

    :param bundle: the validated content.
    :param patient: the patient's settings. Never log or print the name or mobile number.
    :param schedule: the patient's dated plan (`sciatica_pipeline.schedule`).
    :param build_time: as in `BuildContext`.
    :param options: this exporter's options.
    :param memo: this exporter's memo for the run: texts shared by many patients are made
        once (in a run on several processes, once per worker).
    """

    bundle: Bundle
    patient: Patient
    schedule: Schedule
    build_time: dt.datetime
    options: Mapping[str, str] = field(default_factory=FrozenMap)
    memo: Memo = field(default_factory=Memo, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", _options(self.options))


class Exporter:
    """Base class for exporters. Subclass it, set the class attributes, and implement the
    render method of every scope the exporter declares.

    :cvar name: the format's name: a lowercase slug, also the output subfolder (`pdf`).
    :cvar description: one line saying what the format is for.
    :cvar scopes: what it serves: `"bundle"` (implement `render`; `build` writes it),
        `"patient"` (implement `render_patient`; `patients` and the one-patient commands
        write it), or both.
    :cvar options: the options the exporter accepts, name -> one-line help.
    :cvar aliases: command-line flags for some of those options (`--excel`).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    scopes: ClassVar[frozenset[Scope]] = frozenset({"bundle"})
    options: ClassVar[Mapping[str, str]] = {}
    aliases: ClassVar[tuple[Alias, ...]] = ()

    def check_options(self, options: Mapping[str, str]) -> None:
        """Raise `PipelineError` with a plain message when an option value is not acceptable.

        Called once, before any work, so a typo in `--set` is a usage error (exit 2) rather
        than a failure per plan or per patient. The default accepts anything.
        """

    def render(self, context: BuildContext) -> Iterable[Artifact]:
        """The bundle-level artifacts, for exporters whose scopes include `"bundle"`."""
        raise NotImplementedError(f"{type(self).__name__} does not render at the bundle level")

    def render_patient(self, context: PatientContext) -> Iterable[Artifact]:
        """One patient's artifacts, for exporters whose scopes include `"patient"`.

        Raise `SkipPatient("reason")` when the format does not apply to the patient.
        """
        raise NotImplementedError(f"{type(self).__name__} does not render per patient")


#: The render method each scope calls.
RENDER_METHOD: Mapping[Scope, str] = {"bundle": "render", "patient": "render_patient"}


def serves(exporter: Exporter, scope: Scope) -> bool:
    """Whether the exporter declares `scope`."""
    return scope in exporter.scopes


def exporter_problems(exporter: object) -> list[str]:
    """What is wrong with an object offered as an exporter (empty when it is fine)."""
    problems = []
    name = getattr(exporter, "name", None)
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.append(f"its name {name!r} is not a lowercase slug such as 'pdf' or 'vendor-csv'")
    description = getattr(exporter, "description", None)
    if not isinstance(description, str) or not description.strip() or "\n" in description:
        problems.append("it needs a one-line description")
    if hasattr(exporter, "needs"):
        problems.append(
            "it sets `needs`, which is replaced by `scopes`: write "
            "scopes = frozenset({'bundle'}), frozenset({'patient'}) or both"
        )
    scopes = getattr(exporter, "scopes", None)
    if not isinstance(scopes, frozenset) or not scopes or not scopes <= set(SCOPES):
        problems.append(f"its scopes {scopes!r} must be a non-empty frozenset of {SCOPES}")
    else:
        for scope in sorted(scopes):
            method = RENDER_METHOD[scope]
            if _inherited(exporter, method):
                problems.append(f"it serves the {scope} scope but does not implement {method}()")
    options = getattr(exporter, "options", {})
    if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
        problems.append("its options must map option names to help text")
        options = {}
    for alias in getattr(exporter, "aliases", ()):
        if not isinstance(alias, Alias):
            problems.append(f"its alias {alias!r} is not an Alias")
        elif not NAME_PATTERN.match(alias.flag):
            problems.append(f"its alias flag {alias.flag!r} is not a lowercase slug")
        elif alias.option not in options:
            problems.append(
                f"its alias --{alias.flag} sets {alias.option!r}, not one of its options"
            )
    return problems


def _inherited(exporter: object, method: str) -> bool:
    """Whether `method` is missing or is the base class's (which only raises)."""
    own: Any = getattr(type(exporter), method, None)
    return not callable(own) or own is getattr(Exporter, method)
