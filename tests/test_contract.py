"""The exporter contract (sciatica_pipeline.plugins.testing): it passes a good exporter and
catches each rule a bad one breaks, so third-party exporters are held to the same invariants."""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterator

import pytest

from conftest import REPO
from sciatica_pipeline.model.content import Bundle
from sciatica_pipeline.plugins.exporter import Artifact, BuildContext, Exporter
from sciatica_pipeline.plugins.testing import check_exporter, safety_failures

sys.path.insert(0, str(REPO / "plugins"))
from markdown_handout import MarkdownHandout, handout


class Good(Exporter):
    name = "good"
    description = "The Markdown handout, as a good exporter."

    def render(self, context: BuildContext) -> Iterator[Artifact]:
        for plan in context.bundle.plans.values():
            text = handout(context.bundle, plan)
            yield Artifact(f"{plan.id}.md", text.encode(), "text/markdown", plan=plan.id)


class Tampered(Good):
    """The good exporter with every line that mentions one thing dropped."""

    remove = ""

    def render(self, context: BuildContext) -> Iterator[Artifact]:
        for artifact in super().render(context):
            lines = artifact.data.decode().splitlines()
            text = "\n".join(line for line in lines if self.remove.lower() not in line.lower())
            yield Artifact(artifact.path, text.encode(), artifact.media_type, plan=artifact.plan)


def test_markdown_example_plugin_keeps_the_contract(bundle: Bundle) -> None:
    artifacts = check_exporter(MarkdownHandout(), bundle)
    assert len(artifacts) == len(bundle.plans)


def test_missing_disclaimer_is_caught(bundle: Bundle) -> None:
    exporter = Tampered()
    exporter.remove = bundle.manifest.disclaimer
    with pytest.raises(AssertionError, match=r"sciatica-plan\.md: the disclaimer is missing"):
        check_exporter(exporter, bundle)


def test_missing_red_flag_is_caught(bundle: Bundle) -> None:
    exporter = Tampered()
    exporter.remove = bundle.precautions["saddle-area-numbness"].title
    with pytest.raises(
        AssertionError, match="the red flag 'Numbness in the saddle area' is missing"
    ):
        check_exporter(exporter, bundle)


def test_exercise_without_its_precaution_is_caught(bundle: Bundle) -> None:
    exporter = Tampered()
    exporter.remove = bundle.precautions["mckenzie-only-if-pain-centralizes"].title
    with pytest.raises(AssertionError, match="without its precaution"):
        check_exporter(exporter, bundle)


def test_printing_is_caught(bundle: Bundle) -> None:
    class Chatty(Good):
        def render(self, context: BuildContext) -> Iterator[Artifact]:
            print("rendering...")
            yield from super().render(context)

    with pytest.raises(AssertionError, match=re.escape("it printed output: 'rendering...\\n'")):
        check_exporter(Chatty(), bundle)


def test_nondeterminism_is_caught(bundle: Bundle) -> None:
    counter = itertools.count()

    class Stamped(Good):
        def render(self, context: BuildContext) -> Iterator[Artifact]:
            for artifact in super().render(context):
                data = artifact.data + f"\nrun {next(counter)}".encode()
                yield Artifact(artifact.path, data, artifact.media_type, plan=artifact.plan)

    with pytest.raises(AssertionError, match="two renders of the same input differ"):
        check_exporter(Stamped(), bundle)


@pytest.mark.parametrize("path", ["../x.md", "/etc/x.md", "a//b.md", "a\\b.md", ""])
def test_paths_outside_the_folder_are_caught(bundle: Bundle, path: str) -> None:
    class Escaping(Good):
        def render(self, context: BuildContext) -> Iterator[Artifact]:
            yield Artifact(path, b"x", "text/plain", patient_facing=False)

    with pytest.raises(AssertionError, match="is not a relative path inside its folder"):
        check_exporter(Escaping(), bundle)


def test_non_patient_artifacts_are_not_held_to_safety_text(bundle: Bundle) -> None:
    artifact = Artifact("data.csv", b"a,b\r\n", "text/csv", patient_facing=False)
    assert safety_failures(bundle, [artifact]) == []


def test_an_artifact_for_no_plan_needs_every_plans_red_flags(bundle: Bundle) -> None:
    text = bundle.manifest.disclaimer
    artifact = Artifact("all.txt", text.encode(), "text/plain")
    failures = safety_failures(bundle, [artifact])
    titles = {p.title for plan in bundle.plans.values() for p in bundle.red_flags_for(plan)}
    assert len(failures) == len(titles)


class CalendarOnly(Exporter):
    name = "calendar-only"
    description = "Serves patients only."
    scopes = frozenset({"patient"})

    def render_patient(self, context: object) -> Iterator[Artifact]:
        return iter(())


def test_checking_an_exporter_at_a_scope_it_does_not_serve_is_refused(bundle: Bundle) -> None:
    with pytest.raises(AssertionError, match="does not serve the bundle scope"):
        check_exporter(CalendarOnly(), bundle)


def test_html_is_read_as_text_without_markup(bundle: Bundle) -> None:
    plan = bundle.plans["sciatica-plan"]
    flags = "".join(f"<li><em>{f.title}</em>: {f.action}</li>" for f in bundle.red_flags_for(plan))
    page = f"<html><body><p>{bundle.manifest.disclaimer}</p><ul>{flags}</ul></body></html>"
    artifact = Artifact("a.html", page.encode(), "text/html", plan=plan.id)
    assert safety_failures(bundle, [artifact]) == []
    hidden = page.replace("<p>", "<script>").replace("</p>", "</script>")
    failures = safety_failures(
        bundle, [Artifact("a.html", hidden.encode(), "text/html", plan=plan.id)]
    )
    assert failures == ["a.html: the disclaimer is missing"]
