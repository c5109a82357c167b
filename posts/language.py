"""The language postsched speaks to a person: translated sentences and dates as the locale
writes them.

Every sentence a person reads goes through `gettext`/`ngettext` (imported as `_` and `ngettext`),
looked up in the gettext catalog of the current language (posts/locale/<lang>/LC_MESSAGES/).
Sentences are written in English in the code; English is the source language and needs no
catalog. The language is a context variable: the command line sets it once, the web page per
request, so that nothing below them has to pass it along. Stored values (statuses, event names,
JSON fields) never go through here; only what a person reads of them does.
"""

from __future__ import annotations

import gettext as stdlib_gettext
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from functools import cache
from pathlib import Path

SOURCE = "en"
# The languages whose catalogs are complete (checked by tests/test_catalogs.py): the ones a
# person may choose and the web page may pick from a browser's Accept-Language.
LANGUAGES = ("en", "fr")
DOMAIN = "postsched"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# One way to write an instant and a day for a person, in every language (Babel patterns):
# "lun. 30 nov. 2026, 12:30" in French, "Mon 30 Nov 2026, 12:30" in English.
TIME_PATTERN = "EEE d MMM y, HH:mm"
DAY_PATTERN = "EEE d MMM y"

_language: ContextVar[str] = ContextVar("postsched_language", default=SOURCE)


def normalize(code: str | None) -> str | None:
    """The complete language a code such as "fr", "fr_FR", "fr-CA" or "FR" names, or None."""
    if not code:
        return None
    base = code.strip().replace("-", "_").split("_")[0].split(".")[0].lower()
    return base if base in LANGUAGES else None


def choose(*candidates: str | None) -> str:
    """The first candidate that names a complete language; English when none does."""
    for candidate in candidates:
        found = normalize(candidate)
        if found:
            return found
    return SOURCE


def current() -> str:
    return _language.get()


def set_language(code: str) -> None:
    """Speak `code` (a complete language) from now on in this thread or task."""
    _language.set(choose(code))


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """Speak `code` inside the block, then the language spoken before it."""
    token = _language.set(choose(code))
    try:
        yield
    finally:
        _language.reset(token)


@cache
def translations(code: str) -> stdlib_gettext.NullTranslations:
    """The catalog of a language: the compiled .mo shipped in the package, or, in a source
    checkout where nothing compiled it, the .po read and compiled in memory."""
    if code == SOURCE:
        return stdlib_gettext.NullTranslations()
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.exists():
        with mo.open("rb") as handle:
            return stdlib_gettext.GNUTranslations(handle)
    if not po.exists():
        return stdlib_gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return stdlib_gettext.GNUTranslations(buffer)


def gettext(message: str) -> str:
    """`message` (English) in the current language."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural sentence for `n`, in the current language's plural rules."""
    return translations(_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it yet: for a sentence defined once
    (a table, a default) and translated with `gettext` where it is shown."""
    return message


def clauses(parts: Iterable[str]) -> str:
    """Clauses of one sentence joined by semicolons as the current language writes them
    (French puts a no-break space before each)."""
    return gettext(N_("; ")).join(parts)


def babel_locale() -> str:
    return _language.get()


def _first(pattern: str, day: date) -> str:
    """French writes the first of a month « 1er mars », which Babel's patterns do not."""
    if day.day == 1 and _language.get() == "fr":
        return re.sub(r"(?<![d'])d(?![d'])", "d'er'", pattern, count=1)
    return pattern


def show_time(instant: datetime | None, tz: tzinfo) -> str:
    """An instant for a person, in the campaign's time zone and the current language."""
    if instant is None:
        return ""
    from babel.dates import format_datetime

    local = instant.astimezone(tz)
    return format_datetime(local, _first(TIME_PATTERN, local), locale=babel_locale())


def show_day(day: date) -> str:
    """A day for a person, in the current language."""
    from babel.dates import format_date

    return format_date(day, _first(DAY_PATTERN, day), locale=babel_locale())


def show_date(day: date) -> str:
    """A day inside a sentence ("16 avril 2026", "16 April 2026", « 1er mars 2027 »)."""
    from babel.dates import format_date

    return format_date(day, _first("d MMMM y", day), locale=babel_locale())


def show_number(value: float) -> str:
    """A count or figure as the current language writes it ("1 234", "1,234")."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=babel_locale())
