"""The HTML handouts in a real browser (headless Chromium through Playwright): axe-core finds
no WCAG 2.1 A or AA violation on any page, in standard and in larger text; the page reflows
with no horizontal scrolling at 320 CSS pixels (400% zoom of a 1280-pixel window) and at
640 (200% zoom); the larger-text switch works without script; no dialog fires on a page
built from hostile content; and a screenshot of each plan's page is kept for people to look
at (set SCIATICA_PIPELINE_SHOTS to a folder to collect them).

Skipped, with the reason, where Chromium, axe-core or Playwright is missing (`make tools`).
Run them alone with `pytest -m browser`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import axe_violations, browser, overflow, save_shot
from sciatica_pipeline.exporters.html import HtmlHandouts
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.model.schedule import schedule
from sciatica_pipeline.plugins.exporter import BuildContext, PatientContext
from sciatica_pipeline.plugins.testing import example_patient
from test_html import BUILD_TIME
from test_html_hostile import hostile, hostile_bundle, hostile_pages

pytestmark = pytest.mark.browser

__all__ = ["browser", "hostile", "hostile_bundle", "hostile_pages"]  # fixtures, used by name

#: (name, viewport width in CSS pixels): a desktop window; 200% zoom of a 1280-pixel window;
#: 400% zoom of it, which WCAG 1.4.10 (Reflow) asks to work without scrolling sideways.
WIDTHS = (("desktop", 1280), ("zoom-200", 640), ("zoom-400", 320))


@pytest.fixture(scope="module")
def files(bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every plan's page, and two patients' (their dates, clinic and clinician filled in),
    written to a folder to open with file:// (as a portal serves it)."""
    folder = tmp_path_factory.mktemp("html")
    out = {}
    for artifact in HtmlHandouts().render(BuildContext(bundle, BUILD_TIME)):
        path = folder / artifact.path
        path.write_bytes(artifact.data)
        out[artifact.path] = path
    for patient in (
        example_patient(
            bundle,
            "sciatica-plan",
            id="P-1",
            name="Alex Rivera",
            clinic_name="Riverside Physical Therapy",
            clinic_phone="+1 202 555 0100",
            clinician_name="Jamie Ortiz, PT",
        ),
        example_patient(bundle, "lumbar-spinal-stenosis-plan", id="P-2", timezone="Asia/Kolkata"),
    ):
        context = PatientContext(bundle, patient, schedule(bundle, patient), BUILD_TIME)
        (artifact,) = HtmlHandouts().render_patient(context)
        path = folder / f"{patient.id}-{artifact.path}"
        path.write_bytes(artifact.data)
        out[path.name] = path
    return out


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that fails the test on any dialog or page error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    events: list[str] = []

    def dialog(d: Any) -> None:
        events.append(f"dialog: {d.message}")
        d.dismiss()

    def console(m: Any) -> None:
        if m.type == "error":
            events.append(f"console: {m.text}")

    opened.on("dialog", dialog)
    opened.on("pageerror", lambda e: events.append(f"page error: {e}"))
    opened.on("console", console)
    yield opened
    context.close()
    assert events == []


def _open(page: Any, path: Path, *, large: bool = False) -> None:
    page.goto(path.as_uri())
    if large:
        page.check("#large-text")


@pytest.mark.parametrize("large", [False, True], ids=["standard", "larger-text"])
def test_axe_finds_no_wcag_21_aa_violation(page: Any, files: dict[str, Path], large: bool) -> None:
    found = {}
    for name, path in files.items():
        _open(page, path, large=large)
        violations = axe_violations(page)
        if violations:
            found[name] = violations
    assert found == {}


@pytest.mark.parametrize("large", [False, True], ids=["standard", "larger-text"])
@pytest.mark.parametrize(("label", "width"), WIDTHS, ids=[w[0] for w in WIDTHS])
def test_no_horizontal_scrolling(
    page: Any, files: dict[str, Path], label: str, width: int, large: bool
) -> None:
    """The page fits its window: nothing is wider than the viewport."""
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in files.items():
        _open(page, path, large=large)
        measured = overflow(page)
        assert measured["scrollWidth"] <= measured["clientWidth"] == width, (name, measured)
        assert measured["wide"] == [], (name, measured)


def test_larger_text_makes_text_half_as_large_again(page: Any, files: dict[str, Path]) -> None:
    _open(page, files["sciatica-plan.html"])
    size = "getComputedStyle(document.querySelector('main p')).fontSize"
    standard = float(page.evaluate(size).removesuffix("px"))
    page.check("#large-text")
    assert float(page.evaluate(size).removesuffix("px")) == pytest.approx(standard * 1.5)


def test_print_hides_the_contents_and_starts_sections_on_a_page(
    page: Any, files: dict[str, Path]
) -> None:
    _open(page, files["sciatica-plan.html"])
    page.emulate_media(media="print")
    shown = page.evaluate(
        """() => ({
          nav: getComputedStyle(document.querySelector('nav')).display,
          toggle: getComputedStyle(document.querySelector('.text-size')).display,
          writeIn: getComputedStyle(document.querySelector('.print-only')).display,
          breaks: [...document.querySelectorAll('main > section')]
                    .map(s => getComputedStyle(s).breakBefore),
        })"""
    )
    assert shown["nav"] == shown["toggle"] == "none"
    assert shown["writeIn"] == "block"
    assert shown["breaks"][0] == "auto"
    assert set(shown["breaks"][1:]) == {"page"}
    pdf = page.pdf(format="Letter")
    assert pdf.startswith(b"%PDF-")


def test_every_picture_has_an_accessible_name(page: Any, files: dict[str, Path]) -> None:
    """As the browser's accessibility tree names them, not as the markup says."""
    _open(page, files["sciatica-plan.html"])
    names = [
        page.locator("svg[role=img]").nth(i).evaluate("e => e.querySelector('title').textContent")
        for i in range(page.locator("svg[role=img]").count())
    ]
    images = page.get_by_role("img")
    assert images.count() == len(names) > 0
    assert all(n.startswith(("Start:", "Step ")) for n in names)


def test_hostile_content_runs_nothing(
    page: Any, hostile_pages: dict[str, bytes], tmp_path: Path
) -> None:
    """No dialog, no script error (the `page` fixture fails on either), after hovering every
    element an attack names."""
    for name, data in hostile_pages.items():
        path = tmp_path / name.replace("/", "-")
        path.write_bytes(data)
        _open(page, path)
        assert page.locator("script, img, [onmouseover], [onclick], [onerror]").count() == 0
        for link in page.locator("a[href^='http']").all()[:3]:
            link.hover()
        assert page.evaluate("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0


def test_screenshot_of_each_plan(page: Any, files: dict[str, Path], tmp_path: Path) -> None:
    """A screenshot per plan, standard at desktop width and larger text on a phone."""
    for name, path in files.items():
        stem = Path(name).stem
        page.set_viewport_size({"width": 1280, "height": 1000})
        _open(page, path)
        shot = save_shot(page, tmp_path, f"{stem}-desktop")
        assert shot.stat().st_size > 10_000
        page.set_viewport_size({"width": 320, "height": 900})
        _open(page, path, large=True)
        page.locator("#exercises").scroll_into_view_if_needed()
        save_shot(page, tmp_path, f"{stem}-phone-larger-text")


#: The policy docs/html.md gives portals: nothing may load or run; inline styles may apply.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def test_a_portal_can_serve_it_under_a_strict_policy_and_in_a_sandbox(
    page: Any, files: dict[str, Path]
) -> None:
    """Served with the strict Content-Security-Policy, and inside a sandboxed iframe, the page
    is styled, its contents links work, and the larger-text switch works (no script needed).
    A blocked load would be a console error, which fails the test."""
    data = files["sciatica-plan.html"].read_bytes()
    portal = (
        b'<!DOCTYPE html><html lang="en"><title>Portal</title><main>'
        b'<iframe sandbox src="/handout.html" title="Your exercise handout" '
        b'style="width:100%;height:600px"></iframe></main></html>'
    )

    def serve(route: Any) -> None:
        headers = {"content-type": "text/html; charset=utf-8"}
        if route.request.url.endswith("/handout.html"):
            route.fulfill(body=data, headers={**headers, "content-security-policy": POLICY})
        else:  # the portal's own page, with its own policy
            route.fulfill(body=portal, headers=headers)

    page.route("http://portal.test/**", serve)
    background = "getComputedStyle(document.querySelector('.emergency')).backgroundColor"
    page.goto("http://portal.test/handout.html")
    assert page.evaluate(background) == "rgb(164, 22, 26)"
    page.goto("http://portal.test/")
    frame = page.frame_locator("iframe")
    frame.locator("nav a", has_text="Your exercises").click()
    assert frame.locator("#exercises").is_visible()
    frame.locator("#large-text").check()
    size = frame.locator("main p").first.evaluate("e => getComputedStyle(e).fontSize")
    assert size == "27px"
