"""SMS text as carriers see it: the GSM 03.38 alphabet (from the `gsm0338` codec), a documented
transliteration into it, and segment counting (GSM-7 septets or UCS-2 code units).

Pure functions only. See docs/sms.md for the transliteration table and
docs/decisions/0005-sms.md for why the alphabet comes from `gsm0338`.
"""

from __future__ import annotations

import importlib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

#: GSM-7: septets in a single-part message, and per part of a multi-part (concatenated) one.
GSM7_SINGLE, GSM7_PART = 160, 153
#: UCS-2: UTF-16 code units in a single-part message, and per part of a multi-part one.
UCS2_SINGLE, UCS2_PART = 70, 67

#: Characters replaced before encoding, so that text from editors and word processors stays
#: GSM-7. Anything not listed and not in GSM-7 is decomposed (NFKD) and its accents dropped
#: when that gives GSM-7 letters (`ê` -> `e`); otherwise it is kept, and the text is UCS-2.
TRANSLITERATIONS: dict[str, str] = {
    # quotes and apostrophes
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark, apostrophe
    "\u201a": "'",  # single low-9 quotation mark
    "\u201b": "'",  # single high-reversed-9 quotation mark
    "\u2032": "'",  # prime
    "\u2039": "'",  # single left-pointing angle quotation mark
    "\u203a": "'",  # single right-pointing angle quotation mark
    "`": "'",  # grave accent (not in GSM-7)
    "\u00b4": "'",  # acute accent
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark
    "\u201f": '"',  # double high-reversed-9 quotation mark
    "\u2033": '"',  # double prime
    "\u00ab": '"',  # left-pointing double angle quotation mark
    "\u00bb": '"',  # right-pointing double angle quotation mark
    # dashes and hyphens
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u2043": "-",  # hyphen bullet
    "\u2022": "-",  # bullet
    "\u00b7": "-",  # middle dot
    # ellipsis, fractions, signs
    "\u2026": "...",  # horizontal ellipsis
    "\u00bd": "1/2",
    "\u00bc": "1/4",
    "\u00be": "3/4",
    "\u2044": "/",  # fraction slash
    "\u00d7": "x",  # multiplication sign
    "\u00f7": "/",  # division sign
    "\u00ae": "(R)",
    "\u00a9": "(C)",
    # spaces: no-break, typographic, tab
    "\t": " ",
    "\u00a0": " ",  # no-break space
    "\u2000": " ",
    "\u2001": " ",
    "\u2002": " ",  # en space
    "\u2003": " ",  # em space
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": " ",
    "\u2007": " ",  # figure space
    "\u2008": " ",
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u202f": " ",  # narrow no-break space
    "\u205f": " ",
    "\u3000": " ",  # ideographic space
    # invisible characters: dropped
    "\u00ad": "",  # soft hyphen
    "\u200b": "",  # zero-width space
    "\u200c": "",  # zero-width non-joiner
    "\u200d": "",  # zero-width joiner
    "\u2060": "",  # word joiner
    "\ufeff": "",  # zero-width no-break space (byte order mark)
}

_TABLE = str.maketrans(TRANSLITERATIONS)


@dataclass(frozen=True, slots=True)
class Alphabet:
    """The GSM 03.38 default alphabet: the basic table and the extension table, whose
    characters are sent as ESC + code and so cost two septets."""

    basic: frozenset[str]
    extension: frozenset[str]

    @property
    def all(self) -> frozenset[str]:
        """Every character GSM-7 can send."""
        return self.basic | self.extension


@lru_cache(maxsize=1)
def alphabet() -> Alphabet:
    """The alphabet as the `gsm0338` codec decodes it (imported here: only SMS needs it)."""
    importlib.import_module("gsm0338")  # registers the "gsm03.38" codec
    escape = 0x1B
    basic = frozenset(bytes([code]).decode("gsm03.38") for code in range(128) if code != escape)
    extension = set()
    for code in range(128):
        try:
            extension.add(bytes([escape, code]).decode("gsm03.38"))
        except UnicodeDecodeError:
            continue
    return Alphabet(basic, frozenset(extension))


@lru_cache(maxsize=1)
def _sets() -> tuple[frozenset[str], frozenset[str], dict[int, str]]:
    """Every GSM-7 character, the extension ones, and a table doubling the extension ones
    (so that the length of a translated text is its septet count)."""
    table = alphabet()
    return table.all, table.extension, str.maketrans({c: c + c for c in table.extension})


def is_gsm7(text: str) -> bool:
    """True when every character of `text` is in the GSM 03.38 alphabet."""
    return set(text) <= _sets()[0]


def septets(text: str) -> int | None:
    """The GSM-7 length of `text` (extension characters count two), or None when `text`
    cannot be sent in GSM-7."""
    allowed, _, doubled = _sets()
    if not set(text) <= allowed:
        return None
    return len(text.translate(doubled))


def ucs2_units(text: str) -> int:
    """The UCS-2 (UTF-16) length of `text`: characters outside the BMP count two."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class SmsCount:
    """How carriers count a text: its encoding, its length in that encoding's units (septets
    or UTF-16 code units) and the number of segments (billed messages) it takes."""

    encoding: Encoding
    units: int
    segments: int


def _parts(costs: list[int], single: int, part: int) -> int:
    """Segments for characters of the given costs: one if they all fit in a single message,
    otherwise parts of at most `part` units that never split a character."""
    if sum(costs) <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > part:
            parts, used = parts + 1, 0
        used += cost
    return parts


def count(text: str) -> SmsCount:
    """Encoding, length and segments of `text` as sent (GSM-7 when it can be, else UCS-2).

    A multi-part message never splits an extension character (ESC + code) or a surrogate pair
    between two parts, as handsets decode each part alone; so a part may hold one unit less.
    """
    allowed, extension, doubled = _sets()
    if set(text) <= allowed:
        units = len(text.translate(doubled))
        if units <= GSM7_SINGLE:
            return SmsCount("GSM-7", units, 1)
        costs = [2 if c in extension else 1 for c in text]
        return SmsCount("GSM-7", units, _parts(costs, GSM7_SINGLE, GSM7_PART))
    units = ucs2_units(text)
    if units <= UCS2_SINGLE:
        return SmsCount("UCS-2", units, 1)
    costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return SmsCount("UCS-2", units, _parts(costs, UCS2_SINGLE, UCS2_PART))


def transliterate(text: str) -> str:
    """`text` composed (NFC), with the table's replacements, then accents dropped from letters
    GSM-7 lacks.

    GSM-7 text comes back unchanged, and the result is the same when applied twice.
    Characters with no GSM-7 form are kept; `count` then reports the text as UCS-2.
    """
    allowed = _sets()[0]
    if set(text) <= allowed:
        return text
    text = unicodedata.normalize("NFC", text).translate(_TABLE)
    if set(text) <= allowed:
        return text
    return "".join(c if c in allowed else _decomposed(c) for c in text)


@lru_cache(maxsize=1024)
def _decomposed(char: str) -> str:
    """The GSM-7 letters of `char` without its accents (`ê` -> `e`), nothing for a lone
    accent, or `char` itself."""
    if unicodedata.category(char) == "Mn":
        return ""
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", char) if unicodedata.category(c) != "Mn"
    )
    plain = plain.translate(_TABLE)
    return plain if plain and set(plain) <= _sets()[0] else char
