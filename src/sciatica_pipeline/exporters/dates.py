"""Dates and times as a patient reads them, in the content's language and the patient's
region: `March 8 \u2013 March 21, 2027` in the US, `8 March \u2013 21 March 2027` in the UK.

The words come from the Unicode CLDR data that Babel carries, so a content bundle in another
language gets its own month names and order without code here. Babel is imported when a
`DateWords` is made, not when this module is.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Hashable, Sequence
from typing import Any

#: CLDR puts narrow and thin spaces in some patterns (`8:00\u202fAM`); not every font has
#: them, and a no-break space keeps the time and its `AM` together just as well.
_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2009": " "})


@functools.lru_cache(maxsize=64)
def date_words(language: str, region: str | None = None) -> DateWords:
    """A shared `DateWords` per language and region: each remembers what it formatted, and
    a clinic's patients share most of their days."""
    return DateWords(language, region)


#: How many formatted texts a `DateWords` keeps (a few years of days, in every form).
_KEPT = 20_000


class DateWords:
    """Formats dates for one language and region.

    :param language: the content's language tag (`en-US`); only its language part is used
        when `region` is given.
    :param region: the reader's ISO 3166 region (`GB`), or None for the language tag's own.
    """

    def __init__(self, language: str, region: str | None = None) -> None:
        from babel import Locale, UnknownLocaleError

        lang, _, own = language.replace("_", "-").partition("-")
        candidates = [f"{lang}_{r.upper()}" for r in (region, own.split("-")[0]) if r]
        self.locale: Any = None
        for tag in [*candidates, lang, "en"]:
            try:
                self.locale = Locale.parse(tag)
                break
            except (ValueError, UnknownLocaleError):
                continue

        self._made: dict[Hashable, str] = {}

    def _clean(self, text: str) -> str:
        return text.translate(_SPACES)

    def _once(self, key: Hashable, make: Callable[[], str]) -> str:
        made = self._made.get(key)
        if made is None:
            if len(self._made) >= _KEPT:
                self._made.clear()
            made = self._made[key] = self._clean(make())
        return made

    def long(self, day: dt.date) -> str:
        """`March 8, 2027` / `8 March 2027`."""
        from babel.dates import format_date

        return self._once(("long", day), lambda: format_date(day, "long", locale=self.locale))

    def full(self, day: dt.date) -> str:
        """`Monday, March 8, 2027` / `Monday 8 March 2027`."""
        from babel.dates import format_date

        return self._once(("full", day), lambda: format_date(day, "full", locale=self.locale))

    def short(self, day: dt.date) -> str:
        """`Mon, Mar 8` / `Mon 8 Mar`: a day in a table whose heading gives the year."""
        from babel.dates import format_skeleton

        return self._once(("short", day), lambda: format_skeleton("MMMEd", day, locale=self.locale))

    def medium(self, day: dt.date) -> str:
        """`Sun, Mar 21, 2027` / `Sun 21 Mar 2027`."""
        from babel.dates import format_skeleton

        return self._once(
            ("medium", day), lambda: format_skeleton("yMMMEd", day, locale=self.locale)
        )

    def span(self, first: dt.date, last: dt.date) -> str:
        """`March 8 \u2013 March 21, 2027`; both years when they differ
        (`December 27, 2027 \u2013 January 9, 2028`)."""
        from babel.dates import format_skeleton

        if first.year != last.year:
            return f"{self.long(first)} \u2013 {self.long(last)}"
        start = self._once(
            ("month-day", first), lambda: format_skeleton("MMMMd", first, locale=self.locale)
        )
        return f"{start} \u2013 {self.long(last)}"

    def time(self, time: dt.time) -> str:
        """`8:00 AM` / `08:00`."""
        from babel.dates import format_time

        return self._once(("time", time), lambda: format_time(time, "short", locale=self.locale))

    def times(self, times: Sequence[dt.time]) -> str:
        """`8:00 AM and 6:00 PM`."""
        from babel.lists import format_list

        return self._clean(format_list([self.time(t) for t in times], locale=self.locale))

    def zone(self, zone: str) -> str:
        """The time zone's place as the reader's language names it (`New York`), or the zone
        id when the data has no name for it."""
        from babel.dates import get_timezone_location

        try:
            return self._clean(get_timezone_location(zone, locale=self.locale, return_city=True))
        except (LookupError, ValueError):
            return zone
