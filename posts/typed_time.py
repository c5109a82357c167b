"""Dates and times as an officer types them in their own language, besides ISO 8601.

French: "07/01/2027 09:30", "7/1/2027 9h30", "7 janvier 2027 à 9 h 30", "jeu. 7 janv. 2027, 09:30".
English: "7 January 2027 9:30", "January 7, 2027 at 9:30 am", and "13/01/2027 09:30"; a numeric
date that reads as two days ("07/01/2027": 7 January or 1 July) is refused in English, with the
forms that are not ambiguous, since English writers put the month first or second. A date
without a time means midnight, as an ISO date does; "demain 9h30", "aujourd'hui à 14 h",
"tomorrow 9:30" name a day from today. A weekday that is not the date's ("mardi 8 mars 2027",
a Monday) is refused: one of the two is a typing mistake. Month and weekday names come from Babel.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import cache

from posts.errors import InputError
from posts.language import current, gettext

_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:\s*(?:,|à|at|a|-)?\s*(.*))?$")
_WORDS = re.compile(
    r"^(?:(?P<weekday>[^\W\d_]+)\.?,?\s+)?"
    r"(?:(?P<day>\d{1,2})(?:er|st|nd|rd|th)?\s+(?P<month>[^\W\d_]+)\.?"
    r"|(?P<month2>[^\W\d_]+)\.?\s+(?P<day2>\d{1,2})(?:st|nd|rd|th)?,?)"
    r"\s+(?P<year>\d{4})(?:\s*(?:,|à|at|a|-)?\s*(?P<time>.*))?$"
)
_DAY_WORD = re.compile(
    r"^(?P<word>[^\W\d_]+(?:['’ -][^\W\d_]+)?)(?:\s*(?:,|à|at|a|-)?\s*(?P<time>\d.*))?$"
)
# Days named from today, in each language's own words.
DAY_WORDS = {
    "fr": {"aujourd'hui": 0, "demain": 1, "apres-demain": 2, "hier": -1},
    "en": {"today": 0, "tomorrow": 1, "yesterday": -1},
}
_TIME = re.compile(
    r"^(?P<hour>\d{1,2})\s*(?:(?::|h)\s*(?P<minute>\d{2})?)?\s*(?P<half>am|pm|a\.m\.|p\.m\.)?$"
)


def _plain(word: str) -> str:
    """A word without accents, case or a final dot: "Févr." and "fevr" read alike."""
    decomposed = unicodedata.normalize("NFKD", word.strip().rstrip(".").lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _names(language: str) -> tuple[dict[str, int], dict[str, int]]:
    from babel.dates import get_day_names, get_month_names

    months: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, context, locale=language).items():
                months[_plain(name)] = number
    days = {
        _plain(name): number  # 0 is Monday, as date.weekday() counts
        for context in ("format", "stand-alone")
        for width in ("wide", "abbreviated")
        for number, name in get_day_names(width, context, locale=language).items()
    }
    return months, days


def examples(language: str) -> list[str]:
    """The forms a person may type, shown in refusals, with 7 January 2027 at 09:30."""
    if language == "fr":
        return ["07/01/2027 09:30", "7 janvier 2027 à 9 h 30", "2027-01-07T09:30"]
    return ["7 January 2027 09:30", "January 7, 2027 9:30 am", "2027-01-07T09:30"]


def _forms() -> str:
    return ", ".join(examples(current()))


def read_local_time(text: str, today: date | None = None) -> datetime | None:
    """The wall-clock time `text` names in the current language's usual forms, or None when
    it is none of them. Raises InputError when it is one but ambiguous or impossible. `today`
    (the campaign's local date) reads "demain 9h30"."""
    value = " ".join(text.strip().split())
    language = current()
    numeric = _NUMERIC.match(value)
    if numeric:
        first, second, year = (int(numeric.group(i)) for i in (1, 2, 3))
        day, month = _day_and_month(text, first, second, year, language)
        return _build(text, year, month, day, numeric.group(4))
    words = _WORDS.match(value)
    if words:
        months, days = _names(language)
        month_word = words.group("month") or words.group("month2")
        named = months.get(_plain(month_word))
        weekday = words.group("weekday")
        if named is None or (weekday is not None and _plain(weekday) not in days):
            return None
        day = int(words.group("day") or words.group("day2"))
        built = _build(text, int(words.group("year")), named, day, words.group("time"))
        if weekday is not None and days[_plain(weekday)] != built.weekday():
            raise _wrong_weekday(text, built)
        return built
    spoken = _DAY_WORD.match(value)
    if spoken and today is not None:
        offset = DAY_WORDS.get(language, {}).get(_plain(spoken.group("word")).replace("’", "'"))
        if offset is not None:
            named_day = today + timedelta(days=offset)
            return _build(
                text, named_day.year, named_day.month, named_day.day, spoken.group("time")
            )
    return None


def _wrong_weekday(text: str, built: datetime) -> InputError:
    from babel.dates import format_date

    return InputError(
        gettext(
            "{text!r} names another day of the week than its date: {date} is a {weekday}; "
            "correct the day or the date."
        ).format(
            text=text,
            date=format_date(built, "d MMMM y", locale=current()),
            weekday=format_date(built, "EEEE", locale=current()),
        )
    )


def _day_and_month(text: str, first: int, second: int, year: int, language: str) -> tuple[int, int]:
    if language == "fr" or first > 12 or first == second:
        return first, second
    if second > 12:
        return second, first
    from babel.dates import format_date

    def spoken(day: int, month: int) -> str:
        return format_date(date(year, month, day), "d MMMM", locale=language)

    raise InputError(
        gettext(
            "{text!r} could be {one} or {other}: write the month in words or in ISO 8601, "
            "such as {forms}."
        ).format(text=text, one=spoken(first, second), other=spoken(second, first), forms=_forms())
    )


def _build(text: str, year: int, month: int, day: int, clock: str | None) -> datetime:
    hour = minute = 0
    if clock:
        found = _TIME.match(clock.strip().lower())
        if not found:
            raise not_a_time(text)
        hour, minute = int(found.group("hour")), int(found.group("minute") or 0)
        half = (found.group("half") or "").replace(".", "")
        if half:
            if not 1 <= hour <= 12:
                raise not_a_time(text)
            hour = hour % 12 + (12 if half == "pm" else 0)
    try:
        return datetime(year, month, day, hour, minute)
    except ValueError:
        raise InputError(
            gettext("{text!r} is not a day of the calendar or a time of day.").format(text=text)
        ) from None


def not_a_time(text: str) -> InputError:
    """The refusal for a text that is no form of time postsched reads."""
    return InputError(
        gettext(
            "{text!r} is not a time: write it such as {forms}, or now, +90s, +10m, +2h, +3d."
        ).format(text=text, forms=_forms())
    )
