"""GSM 03.38 and segment counting: the alphabet the `gsm0338` codec gives against the table of
3GPP TS 23.038, counts against known examples, and properties for any text."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sciatica_pipeline.exporters.sms.encoding import (
    TRANSLITERATIONS,
    alphabet,
    count,
    is_gsm7,
    septets,
    transliterate,
    ucs2_units,
)
from sciatica_pipeline.exporters.sms.merge import Filler, fill

# The default alphabet of 3GPP TS 23.038 section 6.2.1, in code order 0x00-0x7F, typed from
# the standard (0x1B, the escape to the extension table, is not a character).
BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION_TABLE = "\f^{}\\[~]|€"


def test_the_library_alphabet_is_the_standard_table() -> None:
    assert len(BASIC_TABLE) == 128
    table = alphabet()
    assert table.basic == frozenset(BASIC_TABLE) - {"\x1b"}
    assert table.extension == frozenset(EXTENSION_TABLE)


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€", "GSM-7", 2, 1),
        ("^{}\\[~]|€", "GSM-7", 18, 1),
        ("€" * 80, "GSM-7", 160, 1),
        ("a" * 159 + "€", "GSM-7", 161, 2),
        # A part never ends on the escape of an extension character: 152 + (2 + 151) + 1.
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
        ("Ω" * 160, "GSM-7", 160, 1),  # Greek capitals of the basic table cost one
        ("ж" * 70, "UCS-2", 70, 1),
        ("ж" * 71, "UCS-2", 71, 2),
        ("ж" * 134, "UCS-2", 134, 2),
        ("ж" * 135, "UCS-2", 135, 3),
        ("a" * 69 + "ж", "UCS-2", 70, 1),  # one non-GSM character makes all of it UCS-2
        ("😀", "UCS-2", 2, 1),  # a surrogate pair: two UTF-16 code units
        ("😀" * 35, "UCS-2", 70, 1),
        ("😀" * 36, "UCS-2", 72, 2),
        # A part never splits a surrogate pair: 66 + (2 + 65) + 1.
        ("a" * 66 + "😀" + "a" * 66, "UCS-2", 134, 3),
        ("ç", "UCS-2", 1, 1),  # GSM-7 has the capital Ç only
    ],
)
def test_known_counts(text: str, encoding: str, units: int, segments: int) -> None:
    result = count(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("\u201cStop\u201d \u2018now\u2019", "\"Stop\" 'now'"),
        ("5\u201310 \u2014 slowly \u2212 1", "5-10 - slowly - 1"),
        ("wait\u2026", "wait..."),
        ("10\u00a0minutes\u202fnow\u2009ok", "10 minutes now ok"),
        ("soft\u00adhyphen\u200b", "softhyphen"),
        ("\u00bd cup \u00d7 2", "1/2 cup x 2"),
        ("Zo\u00eb na\u00efve fa\u00e7ade", "Zoe naive facade"),
        ("e\u0301t\u00e9", "été"),  # composed first: é is GSM-7
        ("Müller Straße £5 €5", "Müller Straße £5 €5"),  # already GSM-7: unchanged
        ("\u0416", "\u0416"),  # no GSM-7 form: kept, so the text is UCS-2
    ],
)
def test_transliteration_examples(raw: str, plain: str) -> None:
    assert transliterate(raw) == plain


def test_every_replacement_in_the_table_is_gsm7() -> None:
    assert all(is_gsm7(value) for value in TRANSLITERATIONS.values())


@given(st.text())
def test_counts_follow_the_encoding_rules(text: str) -> None:
    result = count(text)
    if is_gsm7(text):
        extension = sum(text.count(c) for c in alphabet().extension)
        assert result.encoding == "GSM-7"
        assert result.units == len(text) + extension == septets(text)
        single, part = 160, 153
    else:
        assert result.encoding == "UCS-2"
        assert septets(text) is None
        assert result.units == ucs2_units(text) == len(text.encode("utf-16-be")) // 2
        single, part = 70, 67
    if result.units <= single:
        assert result.segments == 1
    else:
        # Each part but the last holds `part` units, or one fewer when the next character is
        # two units wide; never more.
        assert math.ceil(result.units / part) <= result.segments
        assert result.segments <= (result.units - 1) // (part - 1) + 1


@given(st.text())
def test_transliterated_text_is_gsm7_or_reported_as_ucs2(text: str) -> None:
    plain = transliterate(text)
    assert transliterate(plain) == plain
    if is_gsm7(plain):
        assert count(plain).encoding == "GSM-7"
    else:
        assert count(plain).encoding == "UCS-2"
        assert any(not is_gsm7(c) for c in plain)


@given(st.text(alphabet=st.sampled_from(sorted(alphabet().basic | alphabet().extension))))
def test_gsm7_text_is_left_alone(text: str) -> None:
    assert transliterate(text) == text
    assert count(text).encoding == "GSM-7"


@given(
    st.text(
        alphabet=st.sampled_from(sorted(set(TRANSLITERATIONS) | set("abcXYZ 019.,'-éü"))),
    )
)
def test_text_from_word_processors_becomes_gsm7(text: str) -> None:
    assert is_gsm7(transliterate(text))


# Template text and merge values as they may come: plain GSM-7, extension characters (two
# septets), braces that could make a new field, and characters GSM-7 lacks.
_pieces = st.text(st.sampled_from("ab {}€^é中\n"), max_size=12) | st.sampled_from(
    ["Emergency? Call {emergency_number} now", "Hi {first_name}", "{clinic_phone}", "{clinic_"]
)
_fields = st.sampled_from(["{first_name}", "{clinic_name}", "{clinic_phone}", "{emergency_number}"])
_templates = st.lists(_pieces | _fields, max_size=30).map("".join)
_values = st.fixed_dictionaries(
    {
        # "name}" after "{clinic_" in a template spells another field once filled in
        "first_name": st.text(st.sampled_from("Ana {}€é中"), max_size=8)
        | st.sampled_from(["name}", "name", "phone}"]),
        "clinic_name": st.text(st.sampled_from("Clinic &[]"), max_size=40),
        "clinic_phone": st.text(st.sampled_from("+0123 ()"), max_size=20),
        "emergency_number": st.sampled_from(["", "911", "999", "112"]),
    }
)


@given(_templates, _values)
@example(  # the first name completes a field name that `fill` then fills too
    "Call {clinic_{first_name}} now",
    {"first_name": "name", "clinic_name": "Spine", "clinic_phone": "0", "emergency_number": ""},
)
def test_a_filled_message_counts_as_the_whole_text_counts(
    template: str, values: dict[str, str]
) -> None:
    # The filler counts a message from its template's septets and its values' (each counted
    # once a patient): always what counting the filled text gives.
    body, size = Filler(values).fill(template)
    assert body == fill(template, values)
    assert size == count(body)
