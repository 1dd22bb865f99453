"""The PDF booklets (`pdf` format): the exporter contract; the safety text, exercises and log
read back with poppler; valid files with only embedded TrueType fonts; page counts and page
numbers; reproducible bytes; paper sizes; metadata and bookmarks; type sizes measured from the
PDF; and a clear error for a character the font cannot draw.

Every check reads the PDF with an independent tool (pdftotext, pdffonts, qpdf, pypdf), never
the exporter's own style objects. The booklets are rendered once for the module.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest

from conftest import REPO
from sciatica_pipeline.errors import PipelineError
from sciatica_pipeline.exporters.pdf import PdfBooklets, paper_for, register_exporters
from sciatica_pipeline.exporters.wording import SEVERITY_HEADINGS
from sciatica_pipeline.model.content import Bundle, Plan
from sciatica_pipeline.plugins.exporter import Artifact, BuildContext, Exporter
from sciatica_pipeline.plugins.testing import check_exporter, normalise

BUILD_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
LETTER = (612.0, 792.0)
A4 = (595.28, 841.89)
BASE14 = ("Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats")


def needs(tool: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        shutil.which(tool) is None, reason=f"{tool} is not installed (poppler-utils / qpdf)"
    )


def run_tool(tool: str, *args: str, data: bytes, tmp: Path) -> subprocess.CompletedProcess[str]:
    path = tmp / "booklet.pdf"
    path.write_bytes(data)
    return subprocess.run([tool, *args, str(path)], capture_output=True, text=True, check=False)


def pdftotext(data: bytes, tmp: Path, *args: str) -> str:
    """The text of the PDF, pages separated by form feeds."""
    path = tmp / "booklet.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *args, str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def one_plan(bundle: Bundle, plan_id: str = "piriformis-syndrome-plan") -> Bundle:
    """The bundle with a single plan, for renders that need only one booklet pair."""
    return dataclasses.replace(bundle, plans={plan_id: bundle.plans[plan_id]})


def render(bundle: Bundle, **options: str) -> list[Artifact]:
    return PdfBooklets().render(BuildContext(bundle, BUILD_TIME, options))


@pytest.fixture(scope="module")
def booklets(bundle: Bundle) -> dict[str, Artifact]:
    """Every booklet, rendered through the exporter contract (which renders twice)."""
    artifacts = check_exporter(PdfBooklets(), bundle, build_time=BUILD_TIME)
    return {a.path: a for a in artifacts}


@pytest.fixture(scope="module")
def texts(
    booklets: dict[str, Artifact], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Each booklet's text as pdftotext reads it, pages separated by form feeds."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (poppler-utils)")
    tmp = tmp_path_factory.mktemp("text")
    return {path: pdftotext(a.data, tmp) for path, a in booklets.items()}


def editions(booklets: dict[str, Artifact], bundle: Bundle) -> Iterator[tuple[Plan, Artifact]]:
    """(plan, booklet) for every booklet."""
    for artifact in booklets.values():
        assert artifact.plan is not None
        yield bundle.plans[artifact.plan], artifact


def test_one_standard_and_one_large_print_booklet_per_plan(
    booklets: dict[str, Artifact], bundle: Bundle
) -> None:
    expected = {f"{e}/{p}.pdf" for p in bundle.plans for e in ("standard", "large-print")}
    assert set(booklets) == expected
    for path, artifact in booklets.items():
        assert artifact.media_type == "application/pdf"
        assert artifact.patient_facing
        assert artifact.plan == Path(path).stem
        assert artifact.data.startswith(b"%PDF-")


def test_the_plugin_registers_the_exporter() -> None:
    registered: list[Exporter] = []
    register_exporters(registered.append)
    assert [type(e) for e in registered] == [PdfBooklets]
    assert registered[0].name == "pdf"
    assert "paper" in registered[0].options


def test_text_carries_safety_content_exercises_and_sources(
    booklets: dict[str, Artifact], texts: dict[str, str], bundle: Bundle
) -> None:
    m = bundle.manifest
    for plan, artifact in editions(booklets, bundle):
        text = normalise(texts[artifact.path])
        severities = dict.fromkeys(flag.severity for flag in bundle.red_flags_for(plan))
        wanted = [m.disclaimer, *(SEVERITY_HEADINGS[s] for s in severities)]
        wanted += [flag.title for flag in bundle.red_flags_for(plan)]
        wanted += [flag.action for flag in bundle.red_flags_for(plan)]
        wanted += [p.title for p in bundle.general_precautions_for(plan)]
        for exercise in bundle.plan_exercises(plan):
            wanted += [exercise.name, exercise.purpose, *exercise.steps]
            wanted += [p.title for p in bundle.precautions_for(exercise)]
        wanted += [src.title for src in m.sources]
        wanted += [plan.title, f"version {m.version}", "next review is due"]
        missing = [w for w in wanted if normalise(w) not in text]
        assert not missing, f"{artifact.path} lacks {missing}"


def test_the_heat_and_ice_disagreement_is_told_honestly(
    texts: dict[str, str], bundle: Bundle
) -> None:
    advice = bundle.advice["heat-and-ice"]
    assert advice.disagreement is not None
    text = normalise(texts["standard/sciatica-plan.pdf"])
    assert "the sources disagree" in text
    for position in advice.disagreement.positions:
        title = bundle.source(position.source).title
        assert normalise(f"{title} says: {position.says}") in text
    assert normalise(f"What to do: {advice.disagreement.what_to_do}") in text


def test_the_tracking_log_covers_every_week_day_and_session(
    texts: dict[str, str], bundle: Bundle
) -> None:
    plan = bundle.plans["sciatica-plan"]
    text = texts["standard/sciatica-plan.pdf"]
    weeks = {int(n) for n in re.findall(r"\bWeek (\d+): ", text)}
    assert weeks == set(range(1, plan.duration_weeks + 1))
    assert text.count("Day 7") == plan.duration_weeks
    for session in range(1, plan.sessions_per_day + 1):
        heading = normalise(f"Session {session} pain 0-10")
        assert normalise(text).count(heading) == plan.duration_weeks


def test_every_page_after_the_cover_says_page_n_of_total(
    booklets: dict[str, Artifact], texts: dict[str, str]
) -> None:
    for artifact in booklets.values():
        total = pages_of(artifact)
        pages = texts[artifact.path].split("\f")[:total]
        for number, page in enumerate(pages[1:], start=2):
            assert f"Page {number} of {total}" in page, f"{artifact.path} page {number}"


@needs("pdftotext")
def test_the_contents_give_the_pages_the_bookmarks_point_to(
    booklets: dict[str, Artifact], bundle: Bundle, tmp_path: Path
) -> None:
    for plan, artifact in editions(booklets, bundle):
        reader = pypdf.PdfReader(io.BytesIO(artifact.data))
        targets = dict(outline_entries(reader))
        layout = pdftotext(artifact.data, tmp_path, "-layout")
        start = layout.index("Contents")
        end = layout.index("\f", layout.index("When to get help: in short", start))
        footer = (plan.title, "Version ", "Page ")
        lines = [
            line for line in layout[start:end].splitlines() if not line.strip().startswith(footer)
        ]
        listed = contents_lines("\n".join(lines))
        assert len(listed) > 10
        for label, page in listed:
            assert targets[label] == int(page), f"{artifact.path}: {label!r}"


def contents_lines(layout: str) -> list[tuple[str, str]]:
    """(label, page) of each contents line of `pdftotext -layout` text; a long label wraps
    onto the next line, which carries the page number."""
    entries, pending = [], ""
    for line in layout.splitlines()[1:]:
        match = re.fullmatch(r"\s*(\S.*?)\s{2,}(\d+)\s*", line)
        if match:
            entries.append((f"{pending} {match[1]}".strip(), match[2]))
            pending = ""
        elif line.strip():
            pending = f"{pending} {line.strip()}".strip()
    return entries


@needs("qpdf")
def test_qpdf_finds_no_structural_problem(booklets: dict[str, Artifact], tmp_path: Path) -> None:
    for artifact in booklets.values():
        done = run_tool("qpdf", "--check", data=artifact.data, tmp=tmp_path)
        assert done.returncode == 0, f"{artifact.path}: {done.stdout}{done.stderr}"
        assert "No syntax or stream encoding errors found" in done.stdout


@needs("pdffonts")
def test_only_embedded_truetype_fonts_and_no_base_14(
    booklets: dict[str, Artifact], tmp_path: Path
) -> None:
    for artifact in booklets.values():
        done = run_tool("pdffonts", data=artifact.data, tmp=tmp_path)
        assert done.returncode == 0, done.stderr
        rows = done.stdout.splitlines()[2:]
        assert rows, f"{artifact.path}: no fonts listed"
        for row in rows:
            columns = row.split()
            name, kind, embedded = columns[0], columns[1], columns[-5]
            assert kind == "TrueType", f"{artifact.path}: {row}"
            assert embedded == "yes", f"{artifact.path}: {row}"
            assert not any(base in name for base in BASE14), f"{artifact.path}: {row}"


def test_page_counts_are_sane_and_large_print_is_longer(
    booklets: dict[str, Artifact], bundle: Bundle
) -> None:
    for plan_id in bundle.plans:
        standard = pages_of(booklets[f"standard/{plan_id}.pdf"])
        large = pages_of(booklets[f"large-print/{plan_id}.pdf"])
        assert 8 <= standard <= 60, (plan_id, standard)
        assert large > standard, (plan_id, standard, large)


def test_same_bytes_whatever_the_wall_clock(
    booklets: dict[str, Artifact], bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = time.time() + 3 * 365 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda secs=None: time.gmtime(later))
    again = render(one_plan(bundle))
    assert again
    for artifact in again:
        assert artifact.data == booklets[artifact.path].data, artifact.path


def test_same_bytes_in_a_fresh_process_with_another_hash_seed(
    booklets: dict[str, Artifact],
) -> None:
    script = (
        "import datetime as dt, sys\n"
        "from sciatica_pipeline.plugins.exporter import BuildContext\n"
        "from sciatica_pipeline.exporters.pdf import PdfBooklets\n"
        "from sciatica_pipeline.plugins.testing import load_example_bundle\n"
        "b = load_example_bundle()\n"
        "import dataclasses\n"
        "b = dataclasses.replace(b, plans={'piriformis-syndrome-plan':"
        " b.plans['piriformis-syndrome-plan']})\n"
        "when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)\n"
        "[a] = [a for a in PdfBooklets().render(BuildContext(b, when, {}))"
        " if a.path.startswith('standard/')]\n"
        "sys.stdout.buffer.write(a.data)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, check=True, env=env, cwd=REPO
    )
    assert done.stdout == booklets["standard/piriformis-syndrome-plan.pdf"].data


def test_dates_come_from_the_build_time(booklets: dict[str, Artifact], bundle: Bundle) -> None:
    info = pypdf.PdfReader(io.BytesIO(booklets["standard/sciatica-plan.pdf"].data)).metadata
    assert info is not None
    assert str(info["/CreationDate"]) == "D:20260101000000+00'00'"
    assert str(info["/ModDate"]) == "D:20260101000000+00'00'"
    other = dt.datetime(2027, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    [artifact, *_] = PdfBooklets().render(BuildContext(one_plan(bundle), other, {}))
    info = pypdf.PdfReader(io.BytesIO(artifact.data)).metadata
    assert info is not None
    assert str(info["/CreationDate"]) == "D:20270304050607+00'00'"


def media_box(artifact: Artifact) -> tuple[float, float]:
    box = pypdf.PdfReader(io.BytesIO(artifact.data)).pages[0].mediabox
    return round(float(box.width), 2), round(float(box.height), 2)


def test_paper_follows_the_option_and_defaults_to_the_region(
    booklets: dict[str, Artifact], bundle: Bundle
) -> None:
    assert bundle.manifest.language == "en-US"
    assert {media_box(a) for a in booklets.values()} == {LETTER}
    small = one_plan(bundle)
    assert {media_box(a) for a in render(small, paper="a4")} == {A4}
    british = dataclasses.replace(small.manifest, language="en-GB")
    assert {media_box(a) for a in render(dataclasses.replace(small, manifest=british))} == {A4}
    for language, paper in (("fr-CA", "letter"), ("en", "a4"), ("es-us", "letter")):
        manifest = dataclasses.replace(small.manifest, language=language)
        assert paper_for(manifest, None) == paper, language
    assert paper_for(british, " Letter ") == "letter"


def test_an_unknown_paper_size_is_a_plain_error(bundle: Bundle) -> None:
    with pytest.raises(PipelineError) as caught:
        render(one_plan(bundle), paper="legal")
    message = str(caught.value)
    assert "'legal'" in message
    assert "letter" in message
    assert "a4" in message
    assert "\n" not in message


def test_metadata_title_author_language_and_viewer_preferences(
    booklets: dict[str, Artifact], bundle: Bundle
) -> None:
    for plan, artifact in editions(booklets, bundle):
        reader = pypdf.PdfReader(io.BytesIO(artifact.data))
        info = reader.metadata
        assert info is not None
        assert info.title is not None
        assert info.title.startswith(plan.title)
        assert ("large print" in info.title) == artifact.path.startswith("large-print/")
        assert info.author == bundle.manifest.title
        assert info.subject
        assert "sciatica" in str(info["/Keywords"])
        catalog: Any = reader.trailer["/Root"]
        assert catalog["/Lang"] == bundle.manifest.language
        assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
        assert catalog["/PageMode"] == "/UseOutlines"


def outline_entries(reader: pypdf.PdfReader) -> Iterator[tuple[str, int]]:
    """(title, 1-based page) of every outline entry, depth first."""

    def walk(items: list[Any]) -> Iterator[tuple[str, int]]:
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                page = reader.get_destination_page_number(item)
                assert page is not None, item.title
                yield item.title, page + 1

    yield from walk(reader.outline)


def test_bookmarks_for_every_section_and_exercise_point_to_their_pages(
    booklets: dict[str, Artifact], texts: dict[str, str], bundle: Bundle
) -> None:
    sections = [
        "Before you start",
        "When to get help",
        "Good to know",
        "Contents",
        "Your program at a glance",
        "Your exercises",
        "Daily habits",
        "Your tracking log",
        "Sources and review",
        "When to get help: in short",
    ]
    for plan, artifact in editions(booklets, bundle):
        reader = pypdf.PdfReader(io.BytesIO(artifact.data))
        entries = dict(outline_entries(reader))
        about = f"About {bundle.condition_of(plan).name}"
        advice = [a.title for a in bundle.plan_advice(plan)]
        for title in [*sections, about, *advice]:
            assert title in entries, f"{artifact.path}: no bookmark {title!r}"
        pages = texts[artifact.path].split("\f")
        for exercise in bundle.plan_exercises(plan):
            page = entries[exercise.name]
            assert normalise(exercise.name) in normalise(pages[page - 1]), exercise.name


def test_the_outline_nests_the_exercises_under_their_section(
    booklets: dict[str, Artifact], bundle: Bundle
) -> None:
    plan = bundle.plans["sciatica-plan"]
    outline = pypdf.PdfReader(io.BytesIO(booklets["standard/sciatica-plan.pdf"].data)).outline
    titles: list[Any] = [item if isinstance(item, list) else item.title for item in outline]
    children = titles[titles.index("Your exercises") + 1]
    assert isinstance(children, list)
    assert [c.title for c in children] == [e.name for e in bundle.plan_exercises(plan)]


#: Text below this height (points from the bottom edge) is the running footer.
FOOTER_ZONE = 72.0


def font_sizes(artifact: Artifact) -> tuple[collections.Counter[float], collections.Counter[float]]:
    """Characters of text by their size on the page (points), read with pypdf: the body (all
    but the running footer) and the footer."""
    body: collections.Counter[float] = collections.Counter()
    footer: collections.Counter[float] = collections.Counter()

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        chars = len(text.strip())
        if not chars:
            return
        # The text matrix times the CTM: its vertical scale, and where the baseline is.
        c = tm[2] * cm[0] + tm[3] * cm[2]
        d = tm[2] * cm[1] + tm[3] * cm[3]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        where = footer if y < FOOTER_ZONE else body
        where[round(size * (c * c + d * d) ** 0.5, 1)] += chars

    for page in pypdf.PdfReader(io.BytesIO(artifact.data)).pages:
        page.extract_text(visitor_text=visit)
    return body, footer


@pytest.mark.parametrize(
    ("edition", "body_size", "smallest", "footer_size"),
    [("standard", 12, 10, 10), ("large-print", 18, 18, 16)],
)
def test_type_sizes_measured_from_the_pdf(
    booklets: dict[str, Artifact],
    edition: str,
    body_size: float,
    smallest: float,
    footer_size: float,
) -> None:
    # The longest plan, and the one whose long title makes the longest footer.
    for plan_id in ("sciatica-plan", "degenerative-disc-disease-with-instability-plan"):
        path = f"{edition}/{plan_id}.pdf"
        body, footer = font_sizes(booklets[path])
        [(most_common, _)] = body.most_common(1)
        assert most_common >= body_size, (path, body.most_common(5))
        at_size = sum(n for size, n in body.items() if size >= body_size)
        assert at_size / sum(body.values()) >= 0.95, (path, sorted(body.items()))
        assert min(body) >= smallest, (path, sorted(body))
        assert footer, f"{path}: no running footer found"
        assert min(footer) >= footer_size, (path, sorted(footer))


def test_a_character_the_font_lacks_is_a_clear_error(bundle: Bundle) -> None:
    small = one_plan(bundle)
    bridging = dataclasses.replace(small.exercises["bridging"], name="Bridging \u6a4b")
    broken = dataclasses.replace(small, exercises={**small.exercises, "bridging": bridging})
    with pytest.raises(PipelineError) as caught:
        render(broken)
    message = str(caught.value)
    assert "'\u6a4b'" in message
    assert "U+6A4B" in message
    assert "exercise 'bridging' name" in message
    assert "\n" not in message


def test_loading_the_plugin_does_not_import_reportlab() -> None:
    probe = (
        "import sys\n"
        "import sciatica_pipeline.exporters.pdf as pdf\n"
        "pdf.PdfBooklets()\n"
        "print('reportlab' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def pages_of(artifact: Artifact) -> int:
    return len(pypdf.PdfReader(io.BytesIO(artifact.data)).pages)


def test_each_exercise_has_its_precautions_on_the_page_where_it_starts(
    booklets: dict[str, Artifact], texts: dict[str, str], bundle: Bundle
) -> None:
    """Invariant 1: a page showing an exercise (a photocopy, say) names its precautions; their
    text follows the steps (its own) or opens the section (those every exercise shares)."""

    def flat(text: str) -> str:
        return " ".join(text.split())

    for path, artifact in booklets.items():
        assert artifact.plan is not None
        pages = [flat(page) for page in texts[path].split("\f")]
        large = path.startswith("large-print/")
        for exercise in bundle.plan_exercises(bundle.plans[artifact.plan]):
            # Large print gives the purpose after the steps.
            opening = flat(f"{exercise.name} Take care:" if large else exercise.purpose)[:50]
            starts = [i for i, page in enumerate(pages) if opening in page]
            assert starts, f"{path}: {exercise.name} not found"
            page = pages[starts[-1]]
            for precaution in bundle.precautions_for(exercise):
                assert flat(precaution.title) in page, (
                    f"{path}: {precaution.title!r} of {exercise.name} is not on page "
                    f"{starts[-1] + 1}"
                )


def _page_fill(data: bytes, tmp: Path) -> tuple[list[float], set[int]]:
    """Each page's used share of the text frame (from the top margin to the lowest line of
    text above the footer, read by pdftotext's bounding boxes), and the pages (from 0) on
    which a top-level section begins (the outline's first level, read by pypdf)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    height = float(reader.pages[0].mediabox.height)
    top, foot = 54.0, 75.0  # the top margin; the footer band and its rule
    xml = pdftotext(data, tmp, "-bbox")
    fills = []
    for page in xml.split("<page ")[1:]:
        bottoms = [
            float(y) for y in re.findall(r'yMax="([\d.]+)"', page) if float(y) < height - foot
        ]
        fills.append((max(bottoms, default=top) - top) / (height - top - foot))
    starts: set[int] = set()
    for item in reader.outline:
        if not isinstance(item, list):
            number = reader.get_destination_page_number(item)
            starts.update([number] if number is not None else [])
    return fills, starts


@needs("pdftotext")
def test_no_page_is_under_a_third_full_but_the_last_of_a_section(
    booklets: dict[str, Artifact], tmp_path: Path
) -> None:
    """Issue 19: no page holds a lone line ("Instead: ...", "End of week 4") in either edition
    of any plan; only the last page of a section (before the next one begins) may be short."""
    for path, artifact in sorted(booklets.items()):
        fills, starts = _page_fill(artifact.data, tmp_path)
        sparse = [
            (i + 1, round(fill, 2))
            for i, fill in enumerate(fills[:-1])
            if fill < 1 / 3 and i + 1 not in starts
        ]
        assert not sparse, f"{path}: pages under a third full: {sparse}"


def test_each_exercise_has_its_heading_dose_and_steps_together(
    booklets: dict[str, Artifact], texts: dict[str, str], bundle: Bundle
) -> None:
    """The heading, the dose and the steps on one page; in large print the steps of an
    exercise whose whole is taller than a page continue on the next page, never further."""

    def flat(text: str) -> str:
        return " ".join(text.split())

    for path, artifact in booklets.items():
        assert artifact.plan is not None
        large = path.startswith("large-print/")
        pages = [flat(page) for page in texts[path].split("\f")]
        for exercise in bundle.plan_exercises(bundle.plans[artifact.plan]):
            opening = flat(f"{exercise.name} Take care:" if large else exercise.purpose[:50])
            start = max(i for i, page in enumerate(pages) if opening in page)
            assert "How much in each session" in pages[start], (path, exercise.id)
            first, last = (flat(step)[:40] for step in (exercise.steps[0], exercise.steps[-1]))
            begins = next(i for i in range(start, len(pages)) if first in pages[i])
            ends = next(i for i in range(begins, len(pages)) if last in pages[i])
            assert begins == ends, (path, exercise.id)
            assert begins == start or (large and begins == start + 1), (path, exercise.id)


def test_general_rules_are_said_once_and_each_exercise_names_them(
    booklets: dict[str, Artifact], texts: dict[str, str], bundle: Bundle
) -> None:
    """Issue 19: "Stop if an exercise hurts" in full once, not before every exercise."""
    for path, artifact in booklets.items():
        assert artifact.plan is not None
        plan = bundle.plans[artifact.plan]
        text = " ".join(texts[path].split())
        shared = bundle.shared_precautions(bundle.plan_exercises(plan))
        assert shared
        for precaution in shared:
            assert text.count(" ".join(precaution.text.split())) == 1, (path, precaution.id)
        assert "The rules for every exercise" in text


def test_the_program_gives_a_dose_per_session_and_one_row_per_checkpoint_week(
    booklets: dict[str, Artifact], texts: dict[str, str], bundle: Bundle
) -> None:
    """Issue 19: no "3 times a day" beside "2 sessions a day"; every phase after the first
    says what changes; "Week 4" once in the checkpoints."""
    for path, artifact in booklets.items():
        assert artifact.plan is not None
        plan = bundle.plans[artifact.plan]
        text = " ".join(texts[path].split())
        begin = text.rindex("Your program at a glance")
        program = text[begin : text.index("Checkpoints", begin)]
        assert "times a day" not in program and "twice a day" not in program, path
        assert text.count("What changes") == len(plan.phases) - 1, path
        checkpoints = text[text.index("End of week What to check") :]
        checkpoints = checkpoints[: checkpoints.index("Notes")]
        for week in {c.after_week for c in plan.checkpoints}:
            assert checkpoints.count(f"Week {week} ") == 1, (path, week)


def test_booklets_give_the_emergency_number_of_the_contents_region(
    texts: dict[str, str], bundle: Bundle
) -> None:
    assert bundle.manifest.region == "US"
    for path, text in texts.items():
        assert "In an emergency, call 911." in " ".join(text.split()), path


def test_every_exercise_shows_its_pictures_with_their_captions(
    booklets: dict[str, Artifact], texts: dict[str, str], bundle: Bundle
) -> None:
    """Each pose is drawn with a caption: the step it shows and its text alternative."""
    for path, artifact in booklets.items():
        assert artifact.plan is not None
        figures = [bundle.figures[e.id] for e in bundle.plan_exercises(bundle.plans[artifact.plan])]
        labels = collections.Counter(f"{p.label}:" for f in figures for p in f.poses)
        text = texts[path]
        for label, count in labels.items():
            found = text.count(label)
            assert found >= count, (path, label, found, count)
