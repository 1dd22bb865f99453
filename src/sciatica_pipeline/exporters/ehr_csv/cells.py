"""Cells and lines of the EHR CSV files: text neutralised for spreadsheets, steps numbered in one
line, and RFC 4180 serialisation with the standard library's csv module.

Text cells are made safe as OWASP's CSV Injection page recommends: a cell that would start with
`=`, `+`, `-`, `@`, tab, CR or LF gets a single quote in front, so a spreadsheet shows it as text
instead of running it as a formula. See docs/decisions/0004-csv-for-ehr.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

#: Characters that make a spreadsheet read a cell as a formula, with their full-width forms
#: (East Asian input methods type these; some spreadsheets fold them to the ASCII ones).
FORMULA_CHARS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")

#: Characters that must not open a cell (OWASP: formula characters, tab, CR and LF; ASVS adds NUL).
DANGEROUS_FIRST = FORMULA_CHARS | frozenset("\t\r\n\x00")

#: The prefix that makes a spreadsheet keep a cell as text.
TEXT_PREFIX = "'"

# Line breaks, tabs and other control characters: a cell is always one line of text, so an
# importer that reads line by line never sees a broken row.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")

# A formula character that starts a `;`-separated part (after optional spaces): spreadsheets
# set to a semicolon list separator split an unquoted cell there, making a new cell.
_AFTER_SEMICOLON = re.compile(r";(\s*)(?=[=+\-@\uff1d\uff0b\uff0d\uff20])")

BOM = b"\xef\xbb\xbf"
LINE_END = "\r\n"


def neutralise(text: str) -> str:
    """`text` as a safe one-line cell: control characters become spaces, and a quote goes in
    front of any formula character a spreadsheet could read as the start of a cell.

    A cell starting with a dangerous character, or with spaces and then a formula character,
    gets the quote at the very start (`=1+2` becomes `'=1+2`, a leading tab `' ...`); a formula
    character after a `;` gets it there (`a; =1` becomes `a; '=1`). Nothing else changes.
    """
    flat = _CONTROLS.sub(" ", text)
    if text[:1] in DANGEROUS_FIRST or flat.lstrip()[:1] in FORMULA_CHARS:
        flat = TEXT_PREFIX + flat
    if ";" in flat:
        flat = _AFTER_SEMICOLON.sub(r";\1" + TEXT_PREFIX, flat)
    return flat


def numbered(steps: Iterable[str]) -> str:
    """Steps numbered on one line: `1. Lie on your back. 2. Bend your knees.`"""
    return " ".join(f"{i}. {step}" for i, step in enumerate(steps, start=1))


def join_codes(codes: Iterable[str]) -> str:
    """Several codes in one cell, separated by `|` (the character no code contains)."""
    return "|".join(codes)


Cell = str | int | bool | None


def cell_text(value: Cell) -> str:
    """A typed value as CSV text: integers as digits, booleans as true/false, None as empty.

    Only text values are neutralised, by the caller: numbers and dates are typed by the schema
    and written as they are.
    """
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """Rows as RFC 4180 text: CRLF after every row, fields quoted only where needed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=LINE_END, quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return out.getvalue()


def csv_fragment(cells: Sequence[str]) -> str:
    """Consecutive fields of a row, serialised (no line end): fragments joined with `,` give
    exactly the row `csv_text` would write, since quoting is decided field by field."""
    return csv_text([cells])[: -len(LINE_END)]


def encode(text: str, *, bom: bool) -> bytes:
    """UTF-8 bytes, with a byte-order mark in front when asked (for spreadsheet users)."""
    data = text.encode("utf-8")
    return BOM + data if bom else data
