"""Which formats a command runs and with which options: `--format`, `--set FORMAT.KEY=VALUE`
and the flags exporters declare as aliases (`--excel`), checked against the loaded plugins
before any work, so a typo is a usage error and not a failure half-way through a run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sciatica_pipeline.errors import PipelineError, UsageError, did_you_mean
from sciatica_pipeline.model.frozen import FrozenMap
from sciatica_pipeline.plugins.exporter import Alias, Exporter, Scope, serves
from sciatica_pipeline.plugins.manager import PluginHost

#: How each scope is named in messages.
SCOPE_NAMES: Mapping[Scope, str] = {"bundle": "format", "patient": "per-patient format"}


@dataclass(frozen=True, slots=True)
class Selection:
    """The formats a run writes, in order, and each one's options."""

    scope: Scope
    formats: tuple[str, ...]
    options: FrozenMap[str, FrozenMap[str, str]]

    def options_for(self, name: str) -> FrozenMap[str, str]:
        """The options set for one format (empty when none were)."""
        return self.options.get(name, FrozenMap())


def runs_in(exporter: Exporter, scope: Scope) -> bool:
    """Whether a run of `scope` writes the exporter: `patients` (scope "patient") writes the
    per-patient formats and the run-level ones."""
    return serves(exporter, scope) or (scope == "patient" and serves(exporter, "run"))


def formats_serving(host: PluginHost, scope: Scope) -> list[str]:
    """The names of the loaded formats a run of `scope` writes, sorted."""
    return sorted(name for name, e in host.exporters.items() if runs_in(e, scope))


def aliases(host: PluginHost) -> dict[str, tuple[str, Alias]]:
    """Every alias flag the loaded exporters declare: flag -> (format, alias)."""
    return {
        alias.flag: (name, alias)
        for name, exporter in sorted(host.exporters.items())
        for alias in exporter.aliases
    }


def select(
    host: PluginHost,
    scope: Scope,
    requested: Sequence[str] = (),
    settings: Sequence[str] = (),
    flags: Sequence[str] = (),
) -> Selection:
    """The formats to run (`requested`, or every one serving `scope`) with their options.

    :param settings: `FORMAT.OPTION=VALUE` strings from `--set`.
    :param flags: the alias flags given (`excel` for `--excel`).
    :raises UsageError: naming the option at fault.
    """
    what = SCOPE_NAMES[scope]
    names = formats_serving(host, scope)
    unknown = [f for f in requested if f not in host.exporters]
    if unknown:
        raise UsageError(
            f"no {what} named {', '.join(map(repr, unknown))}"
            + did_you_mean(unknown[0], names)
            + f"; available: {', '.join(names) or 'none'}",
            "format",
        )
    elsewhere = [f for f in requested if f not in names]
    if elsewhere:
        other = "patients" if scope == "bundle" else "build"
        raise UsageError(
            f"{', '.join(elsewhere)}: not a {what}; its output comes from "
            f"`sciatica-pipeline {other}`",
            "format",
        )
    chosen = tuple(dict.fromkeys(requested)) or tuple(names)
    if not chosen:
        raise UsageError(f"no exporter plugin provides a {what}, so there is nothing to do")
    declared = aliases(host)
    for flag in flags:
        name, _ = declared[flag]
        if name not in chosen:
            raise UsageError(f"it applies to the {name} format, which is not being written", flag)
    options = _parse(host, [*settings, *_alias_settings(declared, flags)], chosen)
    return Selection(scope, chosen, FrozenMap((k, FrozenMap(v)) for k, v in options.items()))


def _alias_settings(declared: Mapping[str, tuple[str, Alias]], flags: Sequence[str]) -> list[str]:
    settings = []
    for flag in flags:
        name, alias = declared[flag]
        settings.append(f"{name}.{alias.option}={alias.value}")
    return settings


def _parse(
    host: PluginHost, settings: Sequence[str], chosen: Sequence[str]
) -> dict[str, dict[str, str]]:
    """`--set pdf.paper=a4` values, checked against what each exporter accepts."""
    options: dict[str, dict[str, str]] = {}
    for setting in settings:
        target, sep, value = setting.partition("=")
        name, dot, key = target.partition(".")
        if not sep or not dot or not name or not key:
            raise UsageError(
                f"{setting!r} should look like FORMAT.OPTION=VALUE, for example pdf.paper=a4",
                "set",
            )
        if name not in chosen:
            raise UsageError(
                f"{name!r} is not one of the formats being written ({', '.join(chosen)})", "set"
            )
        accepted = host.exporter(name).options
        if key not in accepted:
            known = ", ".join(sorted(accepted)) or "none"
            raise UsageError(
                f"the {name} format has no option {key!r}{did_you_mean(key, accepted)} "
                f"(its options: {known})",
                "set",
            )
        options.setdefault(name, {})[key] = value
    for name, values in options.items():
        try:
            host.exporter(name).check_options(values)
        except PipelineError as exc:
            raise UsageError(str(exc), "set") from exc
    return options
