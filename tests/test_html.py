"""The HTML handouts (`html` format), read back with the standard library's HTML parser (an
independent reader, not the templates): the exporter contract, a self-contained page with
no script and nothing fetched, its semantic structure (landmarks, one h1, ordered headings,
dosage tables with headers), the red flags first and last, every exercise with its
precautions, and the build writing `html/<plan>.html`. The browser checks (axe, reflow) are
in test_html_browser.py."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import Result

from conftest import CONTENT
from sciatica_pipeline.exporters.html import HtmlHandouts, register_exporters
from sciatica_pipeline.exporters.html.page import linked
from sciatica_pipeline.exporters.html.view import handout_view
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.plugins.exporter import Artifact, BuildContext, Exporter
from sciatica_pipeline.plugins.testing import artifact_text, check_exporter, normalise

BUILD_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
Run = Callable[..., Result]
LANDMARKS = ("header", "nav", "main", "footer")


@dataclass
class Element:
    """An element as the parser saw it: its tag, attributes, text and children."""

    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def all_text(self) -> str:
        return " ".join([*self.text, *(c.all_text() for c in self.children)])

    def walk(self) -> list[Element]:
        out = [self]
        for child in self.children:
            out += child.walk()
        return out

    def find(self, tag: str) -> list[Element]:
        return [e for e in self.walk() if e.tag == tag]


VOID = {"meta", "br", "input", "img", "link", "hr", "path", "circle", "polygon"}


class Tree(HTMLParser):
    """The page as a tree of elements (the stdlib parser; void and self-closed elements
    have no children)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Element(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.text.append(data)


def parse(data: bytes) -> Element:
    tree = Tree()
    tree.feed(data.decode("utf-8"))
    tree.close()
    return tree.root


@pytest.fixture(scope="module")
def pages(bundle: Bundle) -> dict[str, Artifact]:
    """Every handout, rendered through the exporter contract (which renders twice)."""
    return {a.path: a for a in check_exporter(HtmlHandouts(), bundle, build_time=BUILD_TIME)}


def test_one_page_per_plan(pages: dict[str, Artifact], bundle: Bundle) -> None:
    assert set(pages) == {f"{plan}.html" for plan in bundle.plans}
    for path, artifact in pages.items():
        assert artifact.media_type == "text/html"
        assert artifact.patient_facing
        assert artifact.plan == Path(path).stem
        assert artifact.data.startswith(b"<!DOCTYPE html>\n")


def test_the_plugin_registers_the_exporter() -> None:
    registered: list[Exporter] = []
    register_exporters(registered.append)
    assert [type(e) for e in registered] == [HtmlHandouts]
    assert registered[0].name == "html"


def test_the_page_is_self_contained(pages: dict[str, Artifact]) -> None:
    """Nothing to fetch and nothing to run: no script, no external stylesheet, image or
    font; links only within the page."""
    for path, artifact in pages.items():
        root = parse(artifact.data)
        tags = {e.tag for e in root.walk()}
        assert not tags & {"script", "link", "img", "iframe", "object", "embed"}, path
        for e in root.walk():
            assert not any(name.startswith("on") for name in e.attrs), (path, e.tag)
            assert "src" not in e.attrs, (path, e.tag)
            if "href" in e.attrs:
                assert e.attrs["href"].startswith("#"), (path, e.attrs["href"])
        css = " ".join(s.all_text() for s in root.find("style"))
        assert "url(" not in css and "@import" not in css and "@font-face" not in css


def test_language_title_and_viewport(pages: dict[str, Artifact], bundle: Bundle) -> None:
    for path, artifact in pages.items():
        root = parse(artifact.data)
        [html] = root.find("html")
        assert html.attrs["lang"] == bundle.manifest.language
        assert artifact.plan is not None
        [title] = root.find("head")[0].find("title")
        assert title.all_text().strip() == bundle.plans[artifact.plan].title
        metas = {m.attrs.get("name"): m.attrs.get("content") for m in root.find("meta")}
        assert metas["viewport"] == "width=device-width, initial-scale=1", path


def test_landmarks_one_h1_and_headings_in_order(pages: dict[str, Artifact]) -> None:
    for path, artifact in pages.items():
        root = parse(artifact.data)
        [body] = root.find("body")
        top = [e.tag for e in body.children if e.tag in LANDMARKS]
        assert top == list(LANDMARKS), path
        headings = [e for e in root.walk() if re.fullmatch(r"h[1-6]", e.tag)]
        levels = [int(h.tag[1]) for h in headings]
        assert levels.count(1) == 1 and levels[0] == 1, path
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, (path, before, after)
        ids = [e.attrs["id"] for e in root.walk() if "id" in e.attrs]
        assert len(ids) == len(set(ids)), path
        # Every in-page link goes somewhere; the first is the skip link to <main>.
        links = [e.attrs["href"] for e in root.find("a")]
        assert links[0] == "#main" and "main" in ids
        assert {href[1:] for href in links} <= set(ids), path


def test_the_contents_link_every_section_and_exercise(
    pages: dict[str, Artifact], bundle: Bundle
) -> None:
    for artifact in pages.values():
        assert artifact.plan is not None
        root = parse(artifact.data)
        [nav] = root.find("nav")
        labels = [a.all_text().strip() for a in nav.find("a")]
        names = [e.name for e in bundle.plan_exercises(bundle.plans[artifact.plan])]
        assert labels[:2] == ["Before you start", "When to get help"]
        assert labels[-1] == "When to get help: in short"
        assert all(name in labels for name in names)


def test_red_flags_come_first_and_last(pages: dict[str, Artifact], bundle: Bundle) -> None:
    """The warning signs are the first section after the disclaimer and the last one."""
    for path, artifact in pages.items():
        assert artifact.plan is not None
        flags = bundle.red_flags_for(bundle.plans[artifact.plan])
        [main] = parse(artifact.data).find("main")
        sections = [e for e in main.children if e.tag == "section"]
        first, last = sections[1], sections[-1]
        for section, heading in ((first, "When to get help"), (last, "When to get help: in short")):
            assert section.find("h2")[0].all_text().strip() == heading
            text = normalise(section.all_text())
            assert "in an emergency, call 911." in text, path
            for flag in flags:
                assert normalise(flag.title) in text, (path, flag.title)
                assert normalise(flag.action) in text, (path, flag.title)


def test_each_exercise_carries_its_precautions(pages: dict[str, Artifact], bundle: Bundle) -> None:
    """Each exercise's article names all its precautions; those not given in full once for
    every exercise are given in full in the article itself."""
    for path, artifact in pages.items():
        assert artifact.plan is not None
        plan = bundle.plans[artifact.plan]
        exercises = bundle.plan_exercises(plan)
        shared = {p.id for p in bundle.shared_precautions(exercises)}
        general = {p.id for p in bundle.general_precautions_for(plan)}
        articles = {a.attrs["aria-labelledby"]: a for a in parse(artifact.data).find("article")}
        for exercise in exercises:
            article = articles[f"exercise-{exercise.id}"]
            text = normalise(article.all_text())
            for p in bundle.precautions_for(exercise):
                assert normalise(p.title) in text, (path, exercise.id, p.id)
                if p.id not in shared:
                    assert normalise(p.action) in text, (path, exercise.id, p.id)
                    if p.id not in general:
                        assert normalise(p.text) in text, (path, exercise.id, p.id)
            for step in exercise.steps:
                assert normalise(step) in text


def test_dosage_tables_have_captions_and_header_cells(pages: dict[str, Artifact]) -> None:
    for path, artifact in pages.items():
        tables = parse(artifact.data).find("table")
        assert tables, path
        for table in tables:
            assert table.find("caption"), path
            cells = table.find("th")
            assert cells and all(th.attrs.get("scope") in ("row", "col") for th in cells), path
        dosage = [t for t in tables if "dosage" in t.attrs.get("class", "").split()]
        assert dosage, path
        for table in dosage:
            assert table.find("caption")[0].all_text().strip() == "How much in each session"
            assert {th.attrs["scope"] for th in table.find("th")} == {"row"}


def test_program_rows_give_each_exercises_dose(pages: dict[str, Artifact], bundle: Bundle) -> None:
    from sciatica_pipeline.exporters.wording import session_dosage

    page = pages["sciatica-plan.html"]
    text = normalise(artifact_text(page))
    plan = bundle.plans["sciatica-plan"]
    for phase in plan.phases:
        assert normalise(f"{phase.weeks_label}: what to do in each session") in text
        for rx in phase.exercises:
            dose = session_dosage(bundle.dosage_in(rx), plan.sessions_per_day)
            assert normalise(dose) in text


def test_pictures_are_inline_svg_with_an_accessible_name(
    pages: dict[str, Artifact], bundle: Bundle
) -> None:
    for path, artifact in pages.items():
        assert artifact.plan is not None
        root = parse(artifact.data)
        svgs = root.find("svg")
        poses = [
            p
            for e in bundle.plan_exercises(bundle.plans[artifact.plan])
            for p in bundle.figures[e.id].poses
        ]
        assert len(svgs) == len(poses), path
        for svg, pose in zip(svgs, poses, strict=True):
            assert svg.attrs["role"] == "img"
            [title] = svg.find("title")
            assert title.all_text() == f"{pose.label}: {pose.alt}"
            assert svg.parent is not None and svg.parent.tag == "figure"
            [caption] = svg.parent.find("figcaption")
            assert normalise(pose.alt) in normalise(caption.all_text())


def test_disagreements_and_sources_as_the_content_records_them(
    pages: dict[str, Artifact], bundle: Bundle
) -> None:
    text = normalise(artifact_text(pages["sciatica-plan.html"]))
    heat = bundle.advice["heat-and-ice"]
    assert heat.disagreement is not None
    assert normalise(heat.disagreement.summary) in text
    assert normalise(heat.disagreement.what_to_do) in text
    for position in heat.disagreement.positions:
        assert normalise(f"{bundle.source(position.source).title} says: {position.says}") in text
    for source in bundle.manifest.sources:
        assert normalise(source.title) in text
    assert "notes for your clinician" in text
    assert normalise(bundle.plans["sciatica-plan"].clinician_notes[0]) in text


def test_the_large_text_switch_needs_no_script(pages: dict[str, Artifact]) -> None:
    """A labelled checkbox whose state the stylesheet reads (docs/decisions/0013)."""
    root = parse(pages["sciatica-plan.html"].data)
    [box] = [e for e in root.find("input") if e.attrs.get("id") == "large-text"]
    assert box.attrs["type"] == "checkbox"
    labels = [e for e in root.find("label") if e.attrs.get("for") == "large-text"]
    assert [label.all_text().strip() for label in labels] == ["Larger text"]
    css = " ".join(s.all_text() for s in root.find("style"))
    assert ":root:has(#large-text:checked)" in css
    assert "@media print" in css


def test_per_patient_fields_show_when_present(bundle: Bundle) -> None:
    """The view's optional fields are for a per-patient view: shown when set, absent here."""
    import dataclasses

    from sciatica_pipeline.exporters.html.page import render_handout

    view = handout_view(bundle, bundle.plans["sciatica-plan"])
    plain = render_handout(view)
    assert "Clinic</dt>" not in plain
    phases = tuple(dataclasses.replace(p, dates=f"March {i}") for i, p in enumerate(view.phases, 1))
    personal = dataclasses.replace(
        view,
        patient_first_name="Alex",
        clinic_name="Main Street Clinic",
        clinic_phone="+1 202 555 0100",
        start_date="March 8, 2027",
        session_times=("08:00", "18:00"),
        phases=phases,
    )
    html = render_handout(personal)
    for shown in ("For Alex", "Main Street Clinic", "+1 202 555 0100", "March 8, 2027"):
        assert shown in html
    assert "Session 1 (08:00), pain 0-10" in html
    assert f"{view.phases[0].weeks_label}: {view.phases[0].name} (March 1)" in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "See https://example.org/a.",
            'See <a href="https://example.org/a">https://example.org/a</a>.',
        ),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("data:text/html,<b>x</b>", "data:text/html,&lt;b&gt;x&lt;/b&gt;"),
        (
            'http://x.org/"onmouseover="a',
            '<a href="http://x.org/">http://x.org/</a>&#34;onmouseover=&#34;a',
        ),
        ("a & b < c", "a &amp; b &lt; c"),
    ],
)
def test_only_http_addresses_become_links(text: str, expected: str) -> None:
    assert str(linked(text)) == expected


def test_build_writes_a_page_per_plan(run: Run, tmp_path: Path, bundle: Bundle) -> None:
    out = tmp_path / "dist"
    result = run("build", str(CONTENT), "--out", str(out), "--format", "html")
    assert result.exit_code == 0, result.stderr
    written = sorted(p.relative_to(out).as_posix() for p in (out / "html").iterdir())
    assert written == sorted(f"html/{plan}.html" for plan in bundle.plans)
    listed = run("formats")
    assert "html" in listed.stdout


def test_same_bytes_in_a_fresh_process(pages: dict[str, Artifact], tmp_path: Path) -> None:
    probe = (
        "import sys, datetime as dt\n"
        "from sciatica_pipeline.plugins.testing import load_example_bundle\n"
        "from sciatica_pipeline.exporters.html import HtmlHandouts\n"
        "from sciatica_pipeline.plugins.exporter import BuildContext\n"
        "b = load_example_bundle()\n"
        "[a] = [a for a in HtmlHandouts().render(BuildContext(b, dt.datetime(2026, 1, 1, "
        "tzinfo=dt.UTC))) if a.path == 'sciatica-plan.html']\n"
        "sys.stdout.buffer.write(a.data)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout == pages["sciatica-plan.html"].data


def test_loading_the_plugin_does_not_import_jinja() -> None:
    probe = (
        "import sys, sciatica_pipeline.exporters.html\n"
        "print('jinja2' in sys.modules, 'markupsafe' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_render_context_is_the_only_input(bundle: Bundle) -> None:
    """The build time does not show (the review date does), so any build time gives the
    same bytes."""
    one = HtmlHandouts().render(BuildContext(bundle, BUILD_TIME))
    two = HtmlHandouts().render(BuildContext(bundle, BUILD_TIME + dt.timedelta(days=400)))
    assert [a.data for a in one] == [a.data for a in two]


def test_a_patients_handout_has_the_dates_of_their_booklet_and_calendar(
    run: Run, tmp_path: Path
) -> None:
    """`patients` writes each patient's handout next to their booklet and calendar, with
    the same dates: read back from the page, the PDF and the calendar."""
    import shutil

    import icalendar

    out = tmp_path / "out"
    examples = CONTENT / "examples" / "patients.csv"
    args = ["patients", str(examples), "--content", str(CONTENT), "--out", str(out)]
    result = run(*args, "-f", "html", "-f", "ics", "-f", "pdf")
    assert result.exit_code == 0, result.output
    page = parse((out / "P-0002" / "html" / "handout.html").read_bytes()).all_text()
    text = re.sub(r"\s+", " ", page)
    assert "For Sam" in text and "Okafor" not in text
    assert "In an emergency, call 999." in text  # the patient's region, not the content's
    assert "Priya Shah" in text and "07:30 and 19:00, London time" in text
    calendar = icalendar.Calendar.from_ical((out / "P-0002" / "ics" / "reminders.ics").read_bytes())
    starts = sorted(
        e.decoded("DTSTART").date()
        for e in calendar.walk("VEVENT")
        if str(e["SUMMARY"]).endswith("(morning)")
    )
    for start in starts:
        assert f"({start.day} {start.strftime('%B')} \u2013" in text, start
    if shutil.which("pdftotext"):
        pdf = subprocess.run(
            ["pdftotext", str(out / "P-0002" / "pdf" / "booklet.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        booklet = re.sub(r"\s+", " ", pdf)
        for start in starts:
            assert f"Your dates {start.day} {start.strftime('%B')} \u2013" in booklet
    assert "Mon 11 Jan" in text  # the log's first day


def test_a_patients_handout_keeps_the_contract(bundle: Bundle) -> None:
    from sciatica_pipeline.plugins.testing import check_patient_exporter, example_patient

    patient = example_patient(bundle, "piriformis-syndrome-plan", name="Zoë Adams")
    (artifact,) = check_patient_exporter(HtmlHandouts(), bundle, patient)
    assert artifact.path == "handout.html"
    assert "For Zoë" in artifact.data.decode("utf-8")
