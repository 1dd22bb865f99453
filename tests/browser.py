"""A real browser for the HTML tests: Debian's Chromium driven by Playwright, with axe-core
(from npm, in .tools/) to inject into pages. `make tools` installs both; where either is
missing, the tests that need them skip and say how to get it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO

#: The axe-core build the tests inject (`npm ci --prefix .tools`, from .tools/package.json).
AXE = REPO / ".tools" / "node_modules" / "axe-core" / "axe.min.js"

#: The rules of WCAG 2.0 and 2.1, levels A and AA, that axe checks.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

#: Where the screenshots also go, when set: a folder to look at them in after the run.
SHOTS_ENV = "SCIATICA_PIPELINE_SHOTS"


def chromium_path() -> str | None:
    """The system Chromium (Debian's `chromium` package), or None."""
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if name and (found := shutil.which(name)):
            return found
    return None


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed: run `make test` (it installs .[dev])"
    if chromium_path() is None:
        return "Chromium is not installed: `apt-get install chromium` (make tools does, as root)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium for the session, or a skip saying what is missing."""
    reason = missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=chromium_path(),
                # Root (CI, containers) cannot use Chromium's sandbox.
                args=["--no-sandbox"] if os.geteuid() == 0 else [],
            )
        except Error as exc:
            pytest.skip(f"Chromium did not start: {str(exc).splitlines()[0]}")
        yield launched
        launched.close()


def axe_violations(page: Any) -> list[str]:
    """Every WCAG 2.1 A/AA violation axe finds on the page, one line each; a skip when
    axe-core is not installed."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: `npm ci --prefix .tools` (make tools does)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", list(WCAG_TAGS)
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


def overflow(page: Any) -> dict[str, Any]:
    """How wide the page is against its viewport, and the elements that stick out of it."""
    return dict(
        page.evaluate(
            """() => {
              const root = document.documentElement;
              const wide = [...document.querySelectorAll('body *')]
                .filter(e => e.getClientRects().length && e.getBoundingClientRect().right
                             > root.clientWidth + 0.5)
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''));
              return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
                      wide: wide.slice(0, 10)};
            }"""
        )
    )


def save_shot(page: Any, folder: Path, name: str) -> Path:
    """A screenshot of the page's top, into `folder` and into $SCIATICA_PIPELINE_SHOTS."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    extra = os.environ.get(SHOTS_ENV)
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)
    return path
