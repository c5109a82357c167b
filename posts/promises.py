"""Dates a course's text promises, checked against its `expires`.

A course whose summary (or a post rendered from it) announces "inscriptions jusqu'au 3 mars
2027" while its `expires` says 26 February would be promoted after the date it gave: refuse
that. Dates are found in the forms officers write them, in the campaign's language and in
English: `26 février 2027`, `1er mars 2027`, `February 26, 2027`, `26/02/2027`, `2027-02-26`.
The course's own session dates are not promises about registration and are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date
from functools import cache

from babel.dates import get_month_names

from posts.campaign import Config, Course
from posts.errors import ConfigError
from posts.language import gettext as _
from posts.planning import PlannedPost


@cache
def _patterns(language: str) -> tuple[dict[str, int], list[re.Pattern[str]]]:
    months: dict[str, int] = {}
    for locale in dict.fromkeys((language, "en")):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                names = get_month_names(width, context=context, locale=locale)
                for number, name in names.items():
                    months.setdefault(_fold(name).rstrip("."), number)
    alternatives = "|".join(re.escape(m) for m in sorted(months, key=len, reverse=True))
    month = rf"(?P<month>{alternatives})\.?"
    day = r"(?P<day>\d{1,2})(?:er|st|nd|rd|th)?"
    year = r"(?P<year>\d{4})(?!\d)"
    patterns = [
        rf"(?<!\d){day}\s+(?:de\s+)?{month},?\s+{year}",  # 26 février 2027, 1st May 2027
        rf"\b{month}\s+{day},?\s+{year}",  # February 26, 2027
        rf"(?<![\d/.]){day}[/.](?P<mon>\d{{1,2}})[/.]{year}",  # 26/02/2027, 26.02.2027
        r"(?<![\d-])(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})(?![\d])",  # 2027-02-26
    ]
    return months, [re.compile(p, re.IGNORECASE) for p in patterns]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def find_dates(text: str, language: str) -> Iterator[tuple[date, str]]:
    """Every date written in `text`, with the words that wrote it."""
    months, patterns = _patterns(language)
    text = unicodedata.normalize("NFC", text)
    for pattern in patterns:
        for match in pattern.finditer(text):
            found = match.groupdict()
            month = found.get("month")
            number = months[_fold(month)] if month else int(found["mon"])
            try:
                day = date(int(found["year"]), number, int(found["day"]))
            except ValueError:
                continue  # 31/02/2027 is no date: not a promise either
            yield day, " ".join(match.group(0).split())


def check_promises(config: Config, posts: Iterable[PlannedPost]) -> None:
    """Refuse, in one sentence, a course whose text promises a date after its `expires`."""
    language = config.campaign.language
    source = config.path.name if config.path else "config.toml"
    rendered: dict[str, list[PlannedPost]] = {}
    for post in posts:
        rendered.setdefault(post.subject, []).append(post)
    for course in config.courses:
        if course.expires is None:
            continue
        own = {d for s in course.sessions for d in (s.start, s.end) if d is not None}
        texts = list(_fields(course))
        for post in rendered.get(f"course:{course.key}", []):
            texts.append((_("the text of {post}").format(post=post.plan_key), post.body))
        for where, text in texts:
            for day, written in find_dates(text, language):
                if day > course.expires and day not in own:
                    raise ConfigError(
                        _(
                            "{source}: course {key!r} promises {written} in {where}, after its "
                            "expires {expires}: correct the date or move expires."
                        ).format(
                            source=source,
                            key=course.key,
                            written=written,
                            where=where,
                            expires=course.expires.isoformat(),  # as config.toml writes it
                        )
                    )


def _fields(course: Course) -> Iterator[tuple[str, str]]:
    yield _("its title"), course.title
    yield _("its summary"), course.summary
    for number, session in enumerate(course.sessions, start=1):
        for name in ("place", "format", "note"):
            yield (
                _("session {number}'s {field}").format(number=number, field=name),
                getattr(session, name),
            )
