"""What an exporter is: the base class plugins subclass, the artifacts they return and the
context they render from.

An exporter renders bytes from the model. It never writes files, never prints, and names its
artifacts by paths relative to its own output folder: the host does the writing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

from sciatica_pipeline.model.content import Bundle

if TYPE_CHECKING:
    from sciatica_pipeline.inputs.patients import Patient
    from sciatica_pipeline.model.schedule import Schedule

Needs = Literal["bundle", "patients"]

NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


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
class BuildContext:
    """What a bundle-level render receives.

    :param bundle: the validated content.
    :param build_time: the build's timestamp (UTC): SOURCE_DATE_EPOCH when set, otherwise
        the bundle's review date. Never the wall clock, so builds are reproducible.
    :param options: this exporter's options as set on the command line (`--set name.key=value`).
    """

    bundle: Bundle
    build_time: dt.datetime
    options: Mapping[str, str] = field(default_factory=dict)


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
    :param schedule: the patient's dated plan (`sciatica_pipeline.model.schedule.schedule`).
    :param build_time: as in `BuildContext`.
    :param options: this exporter's options.
    """

    bundle: Bundle
    patient: Patient
    schedule: Schedule
    build_time: dt.datetime
    options: Mapping[str, str] = field(default_factory=dict)


class Exporter:
    """Base class for exporters. Subclass it, set the class attributes, implement `render`.

    :cvar name: the format's name: a lowercase slug, also the output subfolder (`pdf`).
    :cvar description: one line saying what the format is for.
    :cvar needs: `"bundle"` when the bundle alone is enough; `"patients"` when the format
        also has a per-patient part rendered from patient schedules.
    :cvar options: the options the exporter accepts, name -> one-line help.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    needs: ClassVar[Needs] = "bundle"
    options: ClassVar[Mapping[str, str]] = {}

    def check_options(self, options: Mapping[str, str]) -> None:
        """Raise `PipelineError` with a plain message when an option value is not acceptable.

        Called once, before any work, so a typo in `--set` is a usage error (exit 2) rather
        than a failure per plan or per patient. The default accepts anything.
        """

    def render(self, context: BuildContext) -> Iterable[Artifact]:
        """The bundle-level artifacts (the default renders none)."""
        return ()

    def render_patient(self, context: PatientContext) -> Iterable[Artifact]:
        """One patient's artifacts, for exporters whose `needs` is `"patients"`.

        Raise `SkipPatient("reason")` when the format does not apply to the patient.
        """
        return ()


def exporter_problems(exporter: object) -> list[str]:
    """What is wrong with an object offered as an exporter (empty when it is fine)."""
    problems = []
    name = getattr(exporter, "name", None)
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.append(f"its name {name!r} is not a lowercase slug such as 'pdf' or 'vendor-csv'")
    description = getattr(exporter, "description", None)
    if not isinstance(description, str) or not description.strip() or "\n" in description:
        problems.append("it needs a one-line description")
    needs = getattr(exporter, "needs", None)
    if needs not in ("bundle", "patients"):
        problems.append(f"its needs {needs!r} must be 'bundle' or 'patients'")
    if not callable(getattr(exporter, "render", None)):
        problems.append("it has no render(context) method")
    if needs == "patients" and not callable(getattr(exporter, "render_patient", None)):
        problems.append("it needs patients but has no render_patient(context) method")
    options = getattr(exporter, "options", {})
    if not isinstance(options, Mapping) or not all(isinstance(k, str) for k in options):
        problems.append("its options must map option names to help text")
    return problems
