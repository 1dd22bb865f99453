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
from sciatica_pipeline.model.frozen import FrozenMap, frozen, pickled_as_call
from sciatica_pipeline.run.memo import Memo

if TYPE_CHECKING:
    from sciatica_pipeline.model.patient import Patient
    from sciatica_pipeline.model.schedule import Schedule

#: What an exporter can serve: the bundle alone (`build`: a file per plan, say), each
#: patient of a list (`patients`, and the one-patient commands such as `calendar`), or the
#: run of a list as a whole (`patients`: one file for every patient, for an EHR or a gateway).
Scope = Literal["bundle", "patient", "run"]
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


@dataclass(frozen=True, slots=True)
class RunFile:
    """A file for a whole `patients` run, which the host assembles from every patient's parts
    (`Exporter.render_run`) as they come, so a run of any length streams in flat memory.

    :param path: its path inside the format's run folder (`<out>/_run/<format>/`).
    :param media_type: the IANA media type.
    :param header: the bytes the file starts with (a CSV header row, say).
    :param footer: the bytes it ends with.
    :param ordered: True when the parts carry a sort key and the file must be in key order
        (a gateway file ordered by send time); the host sorts on disk, not in memory.
    """

    path: str
    media_type: str = "application/octet-stream"
    header: bytes = b""
    footer: bytes = b""
    ordered: bool = False


@pickled_as_call
@dataclass(frozen=True, slots=True)
class RunPart:
    """One patient's lines of a run file.

    :param path: the `RunFile.path` they go into.
    :param data: the bytes to add (whole lines).
    :param key: where they go in an ordered file (compared as text; the patient id breaks
        ties). Ignored in an unordered file, where parts follow the patients' order.
    """

    path: str
    data: bytes
    key: str = ""


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a run-level exporter receives at the start of a `patients` run (`run_files`).

    :param bundle: the validated content.
    :param build_time: as in `BuildContext`.
    :param options: this exporter's options.
    :param memo: this exporter's memo for the run (in the main process).
    """

    bundle: Bundle
    build_time: dt.datetime
    options: Mapping[str, str] = field(default_factory=FrozenMap)
    memo: Memo = field(default_factory=Memo, compare=False)

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
        write it), `"run"` (implement `run_files` and `render_run`; `patients` writes one
        file for the whole run), or several.
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

    def run_files(self, context: RunContext) -> Iterable[RunFile | Artifact]:
        """The run-level files, for exporters whose scopes include `"run"`: each `RunFile`
        is assembled from the patients' parts; an `Artifact` is written as it is (a
        descriptor of the files, say). Called once, before the first patient."""
        raise NotImplementedError(f"{type(self).__name__} writes no run-level files")

    def render_run(self, context: PatientContext) -> Iterable[RunPart]:
        """One patient's parts of the run files (called in the workers, next to
        `render_patient`). Raise `SkipPatient` when the patient has no part; a patient whose
        record or render fails has none either."""
        raise NotImplementedError(f"{type(self).__name__} writes no run-level files")


#: The methods each scope calls.
RENDER_METHODS: Mapping[Scope, tuple[str, ...]] = {
    "bundle": ("render",),
    "patient": ("render_patient",),
    "run": ("run_files", "render_run"),
}


def serves(exporter: Exporter, scope: Scope) -> bool:
    """Whether the exporter declares `scope`."""
    return scope in exporter.scopes


def exporter_problems(exporter: object) -> list[str]:
    """What is wrong with an object offered as an exporter (empty when it is fine)."""
    if not isinstance(exporter, Exporter):
        return [f"it is a {type(exporter).__name__}, not a subclass of sciatica_pipeline.Exporter"]
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
            for method in RENDER_METHODS[scope]:
                if _inherited(exporter, method):
                    problems.append(
                        f"it serves the {scope} scope but does not implement {method}()"
                    )
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
