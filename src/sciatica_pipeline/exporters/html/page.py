"""Render a handout view to HTML with Jinja2: autoescaping on, undefined names an error, and
the templates and stylesheet loaded from this package (the page needs no network)."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

    from sciatica_pipeline.exporters.html.view import HandoutView

#: A web address in content text; it stops at white space, quotes and angle brackets.
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)

#: Punctuation that ends a sentence after an address rather than belonging to it.
_TRAILING = ".,;:!?)]}"


def linked(text: str) -> Markup:
    """`text` escaped, with each http(s) address in it made a link. Only http and https
    become links: `javascript:`, `data:` and every other scheme stay plain text."""
    from markupsafe import Markup, escape

    out = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        out.append(escape(text[last : match.start()]))
        out.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


@functools.cache
def environment() -> jinja2.Environment:
    """The template environment, made once per process (it holds no content)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sciatica_pipeline.exporters.html", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["linked"] = linked
    return env


def render_handout(view: HandoutView) -> str:
    """The whole page of one handout."""
    return environment().get_template("handout.html.j2").render(v=view)
