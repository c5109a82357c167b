"""Durations and instants as the officer writes them, and as postsched shows them.

Every instant inside postsched is an aware datetime in UTC; the campaign's timezone is used
only to read input without an offset, to place posts in local posting windows, and to display.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from posts.errors import InputError
from posts.language import gettext as _
from posts.typed_time import not_a_time, read_local_time

# "j" (jours) is read as "d": a French officer types +3j.
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdwj])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "j": "days", "w": "weeks"}
_RELATIVE = re.compile(r"^\+(\d+)([smhdwj])$")
NOW_WORDS = {"now", "maintenant"}
# Times outside these years are typing mistakes, and too close to the calendar's own limits
# for the arithmetic planning and display do on them.
FIRST_YEAR, LAST_YEAR = 2000, 2199


def parse_duration(text: str) -> timedelta:
    """Read "90s", "10m", "12h", "3d" or "2w"; raise InputError on anything else."""
    match = _DURATION.match(text)
    if not match:
        raise InputError(
            _(
                "{text!r} is not a duration: write a whole number and a unit, "
                "such as 90s, 10m, 12h or 3d."
            ).format(text=text)
        )
    try:
        return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:
        raise InputError(_("{text!r} is too long a duration.").format(text=text)) from None


def format_duration(delta: timedelta) -> str:
    """The shortest exact form among the units parse_duration reads."""
    seconds = int(delta.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_instant(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """Read an instant as the command line accepts it and return it in UTC.

    Accepted: ``now``; ``+90s``, ``+10m``, ``+2h``, ``+3d``; ISO 8601 with an offset; ISO 8601
    without one and the current language's usual forms (posts/typed_time.py), read as
    wall-clock time in the campaign timezone (a bare date means midnight).
    """
    try:
        instant = _parse_instant(text, now, tz)
    except OverflowError:
        instant = None
    if instant is None or not FIRST_YEAR <= instant.year <= LAST_YEAR:
        raise InputError(
            _(
                "{text!r} is outside the range of times postsched handles "
                "(years {first} to {last})."
            ).format(text=text, first=FIRST_YEAR, last=LAST_YEAR)
        )
    return instant


def _parse_instant(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    value = text.strip()
    if value.lower() in NOW_WORDS:
        return now.astimezone(UTC)
    relative = _RELATIVE.match(value)
    if relative:
        return (now + parse_duration(value[1:])).astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        typed = read_local_time(value, now.astimezone(tz).date())
        if typed is None:
            raise not_a_time(text) from None
        parsed = typed
    if parsed.tzinfo is None:
        parsed = localize(parsed, tz)
    return parsed.astimezone(UTC)


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Attach the campaign timezone to a wall-clock time, refusing one that does not exist.

    A time skipped by a DST change (02:30 on the last Sunday of March in Paris) has no instant;
    a repeated one (02:30 in October) is read as its first occurrence.
    """
    aware = naive.replace(tzinfo=tz, fold=0)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise InputError(
            _("{time} does not exist in {zone}: the clocks skip it.").format(
                time=naive.isoformat(timespec="minutes"), zone=tz.key
            )
        )
    return aware


def wall_clock(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a local date and time, or None when DST skips that time."""
    try:
        return localize(datetime.combine(day, at), tz).astimezone(UTC)
    except InputError:
        return None


def format_instant(
    instant: datetime | None, tz: ZoneInfo, *, timespec: str = "milliseconds"
) -> str | None:
    """ISO 8601 with the campaign timezone's offset, to the millisecond (JSON: lateness can be
    read from it); `timespec="seconds"` for files people open in a spreadsheet (CSV)."""
    if instant is None:
        return None
    return instant.astimezone(tz).isoformat(timespec=timespec)


def utc_now() -> datetime:
    """The current instant, aware and in UTC: the one place postsched reads the clock."""
    return datetime.now(UTC)
