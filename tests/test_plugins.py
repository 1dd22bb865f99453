"""Plugin discovery and registration: built-ins, entry points, local files, the allowlist, and
broken or clashing plugins reported by name while every command keeps working."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from conftest import REPO
from plugin_fixtures import DIST, VERSION, install_demo_distribution
from sciatica_pipeline.plugins import hookspecs
from sciatica_pipeline.plugins.manager import DEFAULT_PLUGINS, load_plugins

Run = Callable[..., Result]


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_demo_distribution(tmp_path_factory.mktemp("site") / "site-packages")


@pytest.fixture
def with_demo(demo_site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The throwaway distribution on sys.path, as if installed; cleaned up afterwards."""
    monkeypatch.syspath_prepend(str(demo_site))
    importlib.invalidate_caches()
    yield demo_site
    for name in ("sciatica_demo_good", "sciatica_demo_broken"):
        sys.modules.pop(name, None)


@pytest.fixture
def local_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "local-plugins"
    folder.mkdir()
    return folder


def write_plugin(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text("from sciatica_pipeline import hookimpl\n" + body)
    return path


DUPLICATE = """
from sciatica_pipeline.plugins.exporter import Exporter

class Clash(Exporter):
    name = "plain-demo"
    description = "Clashes with the packaged demo."

    def render(self, context):
        return []

@hookimpl
def register_exporters(register):
    register(Clash())
"""

MISSPELLED = """
@hookimpl
def register_exporter(register):
    pass
"""

RAISES_ON_REGISTER = """
@hookimpl
def register_exporters(register):
    raise RuntimeError("cannot reach the licence server")
"""

BAD_EXPORTER = """
from sciatica_pipeline import Exporter

class NotReally(Exporter):
    name = "Bad Name"
    scopes = None

@hookimpl
def register_exporters(register):
    register(NotReally())
"""

WRONG_ARGS = """
@hookimpl
def register_exporters(registrar):
    pass
"""


def test_builtins_load_without_external_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIATICA_PIPELINE_PLUGINS", "")
    host = load_plugins(REPO / "plugins")
    assert [i.name for i in host.infos] == list(DEFAULT_PLUGINS)
    assert all(i.origin == "built-in" for i in host.infos)
    assert host.problems == []


def test_entry_point_plugin_is_discovered_with_its_package(with_demo: Path) -> None:
    host = load_plugins(None)
    info = {i.name: i for i in host.infos}["demo_good"]
    assert info.origin == "package"
    assert info.location == f"{DIST} {VERSION}"
    assert info.version == VERSION
    assert info.formats == ("plain-demo",)
    assert host.exporter_plugin["plain-demo"] == "demo_good"


def test_broken_entry_point_is_reported_and_others_still_load(with_demo: Path) -> None:
    host = load_plugins(None)
    problems = {p.plugin: p.reason for p in host.problems}
    assert "demo_broken" in problems
    assert (
        "failed to import (ImportError: the vendor SDK is not installed)" in problems["demo_broken"]
    )
    assert "plain-demo" in host.exporters


def test_allowlist_selects_external_plugins(
    with_demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCIATICA_PIPELINE_PLUGINS", "demo_good")
    host = load_plugins(REPO / "plugins")
    names = [i.name for i in host.infos]
    assert names == [*DEFAULT_PLUGINS, "demo_good"]
    assert host.problems == []  # the broken one is not even loaded
    monkeypatch.setenv("SCIATICA_PIPELINE_PLUGINS", "")
    assert [i.name for i in load_plugins(REPO / "plugins").infos] == list(DEFAULT_PLUGINS)


def test_local_plugins_load_in_sorted_order_as_modules(local_dir: Path) -> None:
    for name in ("zeta", "alpha", "_private"):
        write_plugin(local_dir, name, "")
    host = load_plugins(local_dir)
    local = [i for i in host.infos if i.origin == "local"]
    assert [i.name for i in local] == ["alpha", "zeta"]
    assert local[0].location == str(local_dir / "alpha.py")
    assert sys.modules["sciatica_pipeline_local_plugins.alpha"].__file__ == str(
        local_dir / "alpha.py"
    )


def test_duplicate_format_names_both_plugins(with_demo: Path, local_dir: Path) -> None:
    write_plugin(local_dir, "clash", DUPLICATE)
    host = load_plugins(local_dir)
    reasons = [str(p) for p in host.problems if p.plugin == "clash"]
    assert reasons == [
        f"plugin clash ({local_dir / 'clash.py'}): its exporter 'plain-demo' was refused: "
        "plugin demo_good already provides a format named 'plain-demo'"
    ]
    assert host.exporter_plugin["plain-demo"] == "demo_good"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (MISSPELLED, "skipped: it implements a hook that does not exist, probably misspelled"),
        (RAISES_ON_REGISTER, "skipped: its register_exporters hook failed (RuntimeError: cannot"),
        (WRONG_ARGS, "skipped: its hooks are not valid"),
        ("import nonexistent_vendor_sdk\n", "skipped: it failed to import (ModuleNotFoundError"),
        ("def broken(:\n", "skipped: it failed to import (SyntaxError"),
    ],
    ids=["misspelled-hook", "raises", "wrong-args", "import-error", "syntax"],
)
def test_broken_local_plugin_is_skipped_and_reported_by_name(
    local_dir: Path, body: str, reason: str
) -> None:
    write_plugin(local_dir, "broken", body)
    write_plugin(local_dir, "fine", "")
    host = load_plugins(local_dir)
    [problem] = host.problems
    assert problem.plugin == "broken"
    assert problem.reason.startswith(reason)
    assert "fine" in [i.name for i in host.infos]
    assert "broken" not in [i.name for i in host.infos]


def test_invalid_exporter_is_refused_with_reasons(local_dir: Path) -> None:
    write_plugin(local_dir, "bad", BAD_EXPORTER)
    host = load_plugins(local_dir)
    [problem] = host.problems
    assert problem.reason == (
        "an exporter was refused: its name 'Bad Name' is not a lowercase slug such as 'pdf' or "
        "'vendor-csv'; it needs a one-line description; its scopes None must be a non-empty "
        "frozenset of ('bundle', 'patient', 'run')"
    )
    assert "bad" not in host.exporter_plugin.values()


def test_plugins_command_lists_sources(run: Run, with_demo: Path) -> None:
    result = run("--plugins-dir", str(REPO / "plugins"), "plugins", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    by_name = {p["name"]: p for p in data["plugins"]}
    assert by_name["sciatica_pipeline.inputs.readability"]["origin"] == "built-in"
    assert by_name["sciatica_pipeline.inputs.readability"]["checks"] == ["reading_level"]
    assert by_name["demo_good"]["location"] == f"{DIST} {VERSION}"
    assert by_name["markdown_handout"]["location"] == str(REPO / "plugins" / "markdown_handout.py")
    assert by_name["markdown_handout"]["formats"] == ["markdown"]
    assert [s["name"] for s in data["skipped"]] == ["demo_broken"]
    assert "plugin demo_broken" in result.stderr


def test_plugins_table_and_formats_still_work_with_a_broken_plugin(
    run: Run, local_dir: Path
) -> None:
    write_plugin(local_dir, "broken", "raise ValueError('oops')\n")
    table = run("--plugins-dir", str(local_dir), "plugins")
    assert table.exit_code == 0
    assert re.search(r"sciatica_pipeline\.inputs\.readability\s+\S+\s+built-in", table.stdout)
    assert "warning: plugin broken" in table.stderr
    assert run("--plugins-dir", str(local_dir), "formats").exit_code == 0


def test_formats_lists_descriptions(run: Run) -> None:
    result = run("--plugins-dir", str(REPO / "plugins"), "formats")
    assert "markdown  A Markdown handout per plan, for patient portals and websites." in (
        result.stdout
    )


def _hookspecs() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(fn)
        for name, fn in vars(hookspecs).items()
        if callable(fn) and hasattr(fn, "sciatica_pipeline_spec")
    }


def test_every_hookspec_is_documented_with_its_signature() -> None:
    guide = (REPO / "docs" / "plugins.md").read_text()
    specs = _hookspecs()
    assert set(specs) == {"register_exporters", "register_checks"}
    for name, signature in specs.items():
        params = ", ".join(signature.parameters)
        assert f"### {name}({params})" in guide, f"docs/plugins.md lacks a heading for {name}"
        typed = ", ".join(
            f"{p}: {signature.parameters[p].annotation}" for p in signature.parameters
        )
        assert f"def {name}({typed}) -> None: ..." in guide


def test_every_hookspec_has_a_docstring_with_param_and_returns() -> None:
    for name in _hookspecs():
        doc = getattr(hookspecs, name).__doc__ or ""
        assert ":param register:" in doc and ":returns:" in doc, name
