"""When an SMS goes out: before a session, never after it began. The session time less the
patient's lead time, moved into the sending window (08:00-21:00 by default) of the patient's
own time zone, on the message's local day; when that is not before the session (a 07:30
session and a window opening at 08:00), before the day's next session that leaves room.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from sciatica_pipeline.model.schedule import local_datetime

_WINDOW = re.compile(
    r"^\s*([01][0-9]|2[0-3]):([0-5][0-9])\s*-\s*([01][0-9]|2[0-3]):([0-5][0-9])\s*$"
)
_MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Window:
    """The local hours in which messages may be sent, both ends included."""

    start: dt.time = dt.time(8, 0)
    end: dt.time = dt.time(21, 0)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @classmethod
    def parse(cls, text: str) -> Window:
        """`08:00-21:00`; raises ValueError with a plain message."""
        match = _WINDOW.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a window such as 08:00-21:00 (24-hour HH:MM-HH:MM)")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        window = cls(dt.time(h1, m1), dt.time(h2, m2))
        if _minutes(window.end) - _minutes(window.start) < 60:
            raise ValueError(
                f"the window {text!r} must start before it ends, an hour apart or more"
            )
        return window

    def clamp(self, minute_of_day: int) -> int:
        """A minute of the day moved into the window."""
        return min(max(minute_of_day, _minutes(self.start)), _minutes(self.end))

    def holds(self, moment: dt.datetime) -> bool:
        """True when an aware local time is inside the window."""
        return self.start <= moment.time() <= self.end


def _minutes(time: dt.time) -> int:
    return time.hour * 60 + time.minute


def _time(minute_of_day: int) -> dt.time:
    return dt.time(minute_of_day // 60, minute_of_day % 60)


def send_times(
    day: dt.date,
    sessions: Sequence[dt.time],
    lead_minutes: int,
    window: Window,
    zone: ZoneInfo,
) -> list[dt.datetime]:
    """The local send times of a day's messages, one per given session, in order.

    Each is the session's time less the lead time (not before midnight), moved into the window;
    messages that land on the same minute are spread a minute apart, inside the window.
    """
    clock = send_clock(tuple(sessions), lead_minutes, window)
    return [send_at(day, time, window, zone) for time in clock]


@lru_cache(maxsize=1024)
def send_clock(
    sessions: tuple[dt.time, ...], lead_minutes: int, window: Window
) -> tuple[dt.time, ...]:
    """The wall-clock send times of `send_times`, before the day and zone are applied: the
    same for every day with the same sessions, so a patient's days share them."""
    minutes = [window.clamp(max(0, _minutes(t) - lead_minutes)) for t in sessions]
    for i in range(1, len(minutes)):
        minutes[i] = max(minutes[i], minutes[i - 1] + 1)
    for i in range(len(minutes) - 1, -1, -1):
        ceiling = _minutes(window.end) if i == len(minutes) - 1 else minutes[i + 1] - 1
        minutes[i] = min(minutes[i], ceiling)
    return tuple(_time(m) for m in minutes)


def send_at(day: dt.date, time: dt.time, window: Window, zone: ZoneInfo) -> dt.datetime:
    """One send time of `send_times`: `time` (from `send_clock`) on `day` in `zone`; a time
    skipped by a daylight-saving change moves forward by the gap, or back before it if moving
    forward would leave the window."""
    moment = local_datetime(day, time, zone)
    if not window.holds(moment):
        shift = dt.datetime.combine(day, moment.time()) - dt.datetime.combine(day, time)
        moment = (moment.astimezone(dt.UTC) - shift - _MINUTE).astimezone(zone)
    return moment


def session_before(
    sessions: Sequence[dt.time], first: int, lead_minutes: int, window: Window
) -> int | None:
    """The first of the day's sessions from number `first` on (then the earlier ones) that a
    message can precede inside the window: its time less the lead, moved into the window, is
    still before the session begins. None when no session of the day leaves room."""
    order: list[int] = [*range(first, len(sessions)), *range(first)]
    for index in order:
        start = _minutes(sessions[index])
        if window.clamp(max(0, start - lead_minutes)) < start:
            return index
    return None
