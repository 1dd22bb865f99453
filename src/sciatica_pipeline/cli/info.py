"""`formats` and `plugins`: what is loaded and what it provides."""

from __future__ import annotations

import json

import click

from sciatica_pipeline.cli.common import host

SCOPE_LABELS = {"bundle": "build", "patient": "per patient", "run": "per run"}


@click.command("formats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a list.")
def formats_command(as_json: bool) -> None:
    """List the available output formats with their descriptions and options."""
    loaded = host()
    if as_json:
        data = [
            {
                "name": name,
                "description": e.description,
                "scopes": sorted(e.scopes),
                "plugin": loaded.exporter_plugin[name],
                "options": dict(sorted(e.options.items())),
                "flags": {f"--{a.flag}": f"{a.option}={a.value}" for a in e.aliases},
            }
            for name, e in sorted(loaded.exporters.items())
        ]
        click.echo(json.dumps({"formats": data}, indent=2))
        return
    if not loaded.exporters:
        click.echo("No formats are available: no exporter plugin is loaded.")
        return
    width = max(len(name) for name in loaded.exporters)
    for name in sorted(loaded.exporters):
        exporter = loaded.exporter(name)
        scopes = ", ".join(SCOPE_LABELS[s] for s in sorted(exporter.scopes))
        click.echo(f"{name:<{width}}  {exporter.description} [{scopes}]")
        for key, help_text in sorted(exporter.options.items()):
            click.echo(f"{'':<{width}}    --set {name}.{key}=...  {help_text}")
        for alias in exporter.aliases:
            click.echo(
                f"{'':<{width}}    --{alias.flag}  the same as --set {name}.{alias.option}="
                f"{alias.value}"
            )


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins_command(as_json: bool) -> None:
    """List every loaded plugin: version, where it came from, and what it provides."""
    loaded = host()
    if as_json:
        data = {
            "plugins": [
                {
                    "name": i.name,
                    "version": i.version,
                    "origin": i.origin,
                    "location": i.location,
                    "formats": list(i.formats),
                    "checks": list(i.checks),
                }
                for i in loaded.infos
            ],
            "skipped": [
                {"name": p.plugin, "location": p.location, "reason": p.reason}
                for p in loaded.problems
            ],
        }
        click.echo(json.dumps(data, indent=2))
        return
    rows = [("NAME", "VERSION", "SOURCE", "PROVIDES")]
    for i in loaded.infos:
        source = i.origin if i.origin == "built-in" else f"{i.origin}: {i.location}"
        provides = ", ".join([*i.formats, *(f"check {c}" for c in i.checks)]) or "-"
        rows.append((i.name, i.version, source, provides))
    widths = [max(len(r[c]) for r in rows) for c in range(3)]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
        )
