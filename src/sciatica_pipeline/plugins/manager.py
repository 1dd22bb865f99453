"""The plugin manager: finds plugins, registers them defensively, and collects their exporters
and content checks.

Plugins come from three places, in this order: the built-in plugins below, installed packages
(the `sciatica_pipeline` entry-point group), and `*.py` files in a local plugins folder. A
plugin that fails to load or to register is reported by name and skipped; every command still
works.

Hooks are called through pluggy, one plugin at a time (`subset_hook_caller`), so the host
knows which plugin registered what, and pluggy's own rules hold: `tryfirst`/`trylast` order
the calls, and a `wrapper=True` implementation wraps its plugin's call. Which plugin keeps a
format name two plugins register does not depend on that order: the one loaded first does
(built-in, then package, then local).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pluggy

from sciatica_pipeline import __version__
from sciatica_pipeline.errors import did_you_mean
from sciatica_pipeline.inputs.validation import ContentCheck
from sciatica_pipeline.plugins import hookspecs
from sciatica_pipeline.plugins.exporter import Exporter, exporter_problems

#: The entry-point group installed plugin packages declare.
ENTRY_POINT_GROUP = "sciatica_pipeline"

#: Comma-separated names of the external plugins to load; empty loads none; unset loads all.
ALLOWLIST_ENV = "SCIATICA_PIPELINE_PLUGINS"

#: The built-in plugins, registered first. They are written exactly like third-party ones.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "sciatica_pipeline.inputs.readability",
    "sciatica_pipeline.inputs.codes",
    "sciatica_pipeline.exporters.ics",
    "sciatica_pipeline.exporters.pdf",
    "sciatica_pipeline.exporters.ehr_csv",
    "sciatica_pipeline.exporters.sms",
    "sciatica_pipeline.exporters.fhir",
    "sciatica_pipeline.exporters.html",
)

Origin = Literal["built-in", "package", "local"]


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """A loaded plugin: its name, version and where it came from."""

    name: str
    origin: Origin
    version: str
    location: str
    formats: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PluginProblem:
    """A plugin that could not be loaded or registered, and why."""

    plugin: str
    location: str
    reason: str

    def __str__(self) -> str:
        return f"plugin {self.plugin} ({self.location}): {self.reason}"


@dataclass
class _Candidate:
    name: str
    origin: Origin
    version: str
    location: str
    load: Callable[[], object]


@dataclass
class PluginHost:
    """The loaded plugins with the exporters and checks they registered."""

    pm: pluggy.PluginManager
    infos: list[PluginInfo] = field(default_factory=list)
    problems: list[PluginProblem] = field(default_factory=list)
    exporters: dict[str, Exporter] = field(default_factory=dict)
    exporter_plugin: dict[str, str] = field(default_factory=dict)
    checks: list[tuple[str, ContentCheck]] = field(default_factory=list)

    def exporter(self, name: str) -> Exporter:
        """The exporter registered for a format name."""
        return self.exporters[name]

    def content_checks(self) -> list[ContentCheck]:
        """Every registered content check, wrapped so a failing check is reported, not raised."""
        return [_guarded(plugin, check) for plugin, check in self.checks]


def _guarded(plugin: str, check: ContentCheck) -> ContentCheck:
    from sciatica_pipeline.errors import Problem

    def run(bundle: Any, origins: Any) -> list[Problem]:
        try:
            return list(check(bundle, origins))
        except PLUGIN_FAILURES as exc:  # reported, not raised: the other checks still run
            name = getattr(check, "__name__", type(check).__name__)
            # An error: content a check could not look at must not be exported as checked.
            return [
                Problem(
                    f"plugin {plugin}",
                    "",
                    f"the content check {name} failed, so the content is not checked "
                    f"({type(exc).__name__}: {exc}); fix the plugin, or leave it out with "
                    "SCIATICA_PIPELINE_PLUGINS",
                )
            ]

    return run


def _allowlist() -> set[str] | None:
    raw = os.environ.get(ALLOWLIST_ENV)
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def _entry_point_candidates() -> Iterable[_Candidate]:
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist
        dist_name = dist.metadata["Name"] if dist is not None else "unknown package"
        version = dist.version if dist is not None else "unknown"
        yield _Candidate(ep.name, "package", version, f"{dist_name} {version}", ep.load)


def _load_local(path: Path) -> Callable[[], object]:
    def load() -> ModuleType:
        module_name = f"sciatica_pipeline_local_plugins.{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # a proper module: dataclasses and pickling work
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
        return module

    return load


def _local_candidates(plugins_dir: Path) -> Iterable[_Candidate]:
    if not plugins_dir.is_dir():
        return
    for path in sorted(plugins_dir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        yield _Candidate(path.stem, "local", "", str(path), _load_local(path))


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    detail = f": {text[0]}" if text else ""
    return f"{type(exc).__name__}{detail}"


#: What a plugin's code may raise that must not end the command: any exception, and also
#: `sys.exit()`. (A KeyboardInterrupt during a run is the person pressing Ctrl-C: it stops
#: the run.)
PLUGIN_FAILURES = (Exception, SystemExit)

#: While plugins load, a KeyboardInterrupt can only be the plugin's own (importing is quick):
#: contained too, so one plugin cannot make every command print "Aborted!".
LOAD_FAILURES = (*PLUGIN_FAILURES, KeyboardInterrupt)


def default_plugins_dir() -> Path:
    """The local plugins folder used when none is given: `plugins/` in the folder you are in,
    else the one beside the bundled content (a source checkout's own `plugins/`)."""
    here = Path("plugins")
    if here.is_dir():
        return here
    from sciatica_pipeline.inputs.schemas import data_dir

    return data_dir("content").parent / "plugins"


def load_plugins(plugins_dir: Path | None = Path("plugins")) -> PluginHost:
    """Load every plugin, register what each provides, and report the ones that failed.

    :param plugins_dir: the local plugins folder (`plugins/` of the working directory by
        default); `None` loads no local plugins.
    """
    pm = pluggy.PluginManager("sciatica_pipeline")
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm)
    candidates = [
        _Candidate(name, "built-in", __version__, "built-in", _importer(name))
        for name in DEFAULT_PLUGINS
    ]
    external = [*_entry_point_candidates()]
    if plugins_dir is not None:
        external += _local_candidates(plugins_dir)
    allow = _allowlist()
    if allow is not None:
        known = {c.name for c in external}
        for name in sorted(allow - known):
            host.problems.append(
                PluginProblem(
                    name,
                    ALLOWLIST_ENV,
                    f"{ALLOWLIST_ENV} names it, but no installed package or file in "
                    f"{plugins_dir or 'the plugins folder'} provides a plugin of that name"
                    + did_you_mean(name, known),
                )
            )
        external = [c for c in external if c.name in allow]
    for candidate in [*candidates, *external]:
        _register(host, candidate)
    _collect(host)
    return host


def _importer(module: str) -> Callable[[], object]:
    return lambda: importlib.import_module(module)


def _register(host: PluginHost, candidate: _Candidate) -> None:
    def skip(reason: str) -> None:
        host.problems.append(PluginProblem(candidate.name, candidate.location, reason))

    if host.pm.has_plugin(candidate.name):
        skip(f"skipped: another plugin already has the name {candidate.name!r}")
        return
    printed = io.StringIO()
    try:
        # What a plugin prints while it loads would end up in `plugins --json`'s output.
        with contextlib.redirect_stdout(printed):
            plugin = candidate.load()
    except LOAD_FAILURES as exc:
        skip(f"skipped: it failed to import ({_describe(exc)})")
        return
    if printed.getvalue():
        skip("it printed while loading; the output was discarded (plugins must not print)")
    try:
        host.pm.register(plugin, name=candidate.name)
    except Exception as exc:
        skip(f"skipped: its hooks are not valid ({_describe(exc)})")
        return
    try:
        # An @hookimpl whose name matches no spec (a misspelled hook) would otherwise be
        # silently ignored.
        host.pm.check_pending()
    except pluggy.PluginValidationError as exc:
        host.pm.unregister(name=candidate.name)
        skip(f"skipped: it implements a hook that does not exist, probably misspelled ({exc})")
        return
    version = candidate.version or str(getattr(plugin, "__version__", "")) or "-"
    host.infos.append(PluginInfo(candidate.name, candidate.origin, version, candidate.location))


def _call_each(
    host: PluginHost, hook: str, make_register: Callable[[str], Callable[[Any], None]]
) -> None:
    """Call one hook through pluggy, plugin by plugin, so each registration is attributed
    and a plugin whose hook fails is withdrawn alone."""
    caller = getattr(host.pm.hook, hook)
    # pluggy's own call order: tryfirst first, trylast last, otherwise the newest first.
    order = dict.fromkeys(impl.plugin_name for impl in reversed(caller.get_hookimpls()))
    locations = {info.name: info.location for info in host.infos}
    for name in order:
        if name not in locations:
            continue
        others = [p for n, p in host.pm.list_name_plugin() if n != name and p is not None]
        own = host.pm.subset_hook_caller(hook, remove_plugins=others)
        try:
            own(register=make_register(name))
        except LOAD_FAILURES as exc:
            _drop(host, name)
            host.problems.append(
                PluginProblem(
                    name, locations[name], f"skipped: its {hook} hook failed ({_describe(exc)})"
                )
            )


def _drop(host: PluginHost, plugin: str) -> None:
    """Withdraw a plugin and everything it registered (its hook failed half-way)."""
    host.pm.unregister(name=plugin)
    host.infos = [i for i in host.infos if i.name != plugin]
    for name in [n for n, p in host.exporter_plugin.items() if p == plugin]:
        del host.exporters[name]
        del host.exporter_plugin[name]
    host.checks = [(p, c) for p, c in host.checks if p != plugin]


def _collect(host: PluginHost) -> None:
    offered: list[tuple[str, Any]] = []
    locations = {info.name: info.location for info in host.infos}
    loaded = {info.name: index for index, info in enumerate(host.infos)}

    def exporter_register(plugin: str) -> Callable[[Any], None]:
        def register(exporter: Any) -> None:
            problems = exporter_problems(exporter)
            if problems:
                host.problems.append(
                    PluginProblem(
                        plugin,
                        locations[plugin],
                        "an exporter was refused: " + "; ".join(problems),
                    )
                )
                return
            offered.append((plugin, exporter))

        return register

    checks: dict[str, list[str]] = {}

    def check_register(plugin: str) -> Callable[[Any], None]:
        def register(check: Any) -> None:
            if not callable(check):
                host.problems.append(
                    PluginProblem(
                        plugin,
                        locations[plugin],
                        "a content check that is not callable was refused",
                    )
                )
                return
            host.checks.append((plugin, check))
            checks.setdefault(plugin, []).append(getattr(check, "__name__", type(check).__name__))

        return register

    _call_each(host, "register_exporters", exporter_register)
    _call_each(host, "register_checks", check_register)
    host.checks.sort(key=lambda pair: loaded[pair[0]])
    formats = _accept_exporters(host, offered, loaded)
    host.infos = [
        PluginInfo(
            i.name,
            i.origin,
            i.version,
            i.location,
            tuple(formats.get(i.name, ())),
            tuple(checks.get(i.name, ())),
        )
        for i in host.infos
    ]


def _accept_exporters(
    host: PluginHost, offered: list[tuple[str, Any]], loaded: dict[str, int]
) -> dict[str, list[str]]:
    """Take the offered exporters in plugin load order: a format name (or alias flag) already
    taken is refused, naming the plugin that has it."""
    formats: dict[str, list[str]] = {}
    flags: dict[str, str] = {}
    locations = {info.name: info.location for info in host.infos}
    for plugin, exporter in sorted(offered, key=lambda pair: loaded.get(pair[0], len(loaded))):
        if plugin not in locations:  # withdrawn: its hook failed after offering this one
            continue
        name = exporter.name
        if name in host.exporters:
            first = host.exporter_plugin[name]
            host.problems.append(
                PluginProblem(
                    plugin,
                    locations[plugin],
                    f"its exporter {name!r} was refused: plugin {first} already provides "
                    f"a format named {name!r}",
                )
            )
            continue
        taken = [a.flag for a in getattr(exporter, "aliases", ()) if a.flag in flags]
        if taken:
            host.problems.append(
                PluginProblem(
                    plugin,
                    locations[plugin],
                    f"its exporter {name!r} was refused: the format {flags[taken[0]]} already "
                    f"has the flag --{taken[0]}",
                )
            )
            continue
        flags.update({a.flag: name for a in getattr(exporter, "aliases", ())})
        host.exporters[name] = exporter
        host.exporter_plugin[name] = plugin
        formats.setdefault(plugin, []).append(name)
    return formats
