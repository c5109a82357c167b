"""The campaign as a calendar: whole weeks, Monday first.

It opens on the current week and runs to the last post or the day after the last subject's
link dies, whichever is later; asked `from_start`, it begins at the campaign's start (or its
first post) instead, so the weeks already past can be read again.

Each day carries its posts in due order and its marks: today, the campaign start, a public
holiday of `[campaign] holidays` (by name), and for each subject with an `expires` (the article
and any course that has one) the last moment a post may carry its link (expiry minus the safety
margin), its last day and the first day it is over. A post due after its own subject is over is
hatched; a day is hatched whole only when every subject of the campaign is over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from babel.dates import format_date, get_day_names

from posts.campaign import Config, link_deadline, link_end
from posts.language import current
from posts.language import gettext as _
from posts.models import Post

# Two years of weeks at most: a post typed in for 2099 must not draw a thousand weeks.
MAX_WEEKS = 104


@dataclass(frozen=True)
class Ending:
    """A subject whose link (or registration) stops being useful after `expires`."""

    subject: str  # "article", "course:<key>"
    label: str  # how the calendar names it: "article", the course's key
    expires: date  # its last day, inclusive, in the campaign timezone
    deadline: datetime  # the last moment a post carrying it may go out, campaign timezone
    over: date  # the first day it is no longer useful


@dataclass
class Day:
    day: date
    posts: list[Post] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    holiday: str | None = None
    over: list[str] = field(default_factory=list)  # labels of the subjects over on this day

    def dead(self, post: Post) -> bool:
        """The post is due on a day its own subject is no longer useful."""
        return post.subject in self.over


@dataclass
class Timeline:
    weeks: list[list[Day]]
    endings: list[Ending]
    beyond: int = 0  # posts due after the last week drawn
    shown_until: date | None = None
    has_today: bool = False
    earlier_weeks: int = 0  # weeks before the first drawn, back to the campaign's start
    day_names: list[str] = field(default_factory=list)
    show_date: Callable[[date, str], str] = lambda d, _f: d.isoformat()


def endings(config: Config) -> list[Ending]:
    """Every subject that has an `expires`: the article, and each course that says one
    (`Course.expires`, read with getattr so a campaign whose courses have none works)."""
    campaign = config.campaign
    tz = campaign.timezone
    found: list[tuple[str, str, date]] = []
    if config.article is not None:
        found.append(("article", "article", config.article.expires))
    for course in config.courses:
        expires = getattr(course, "expires", None)
        if isinstance(expires, date):
            found.append((f"course:{course.key}", course.key, expires))
    return [
        Ending(
            subject,
            label,
            expires,
            link_deadline(expires, campaign).astimezone(tz),
            link_end(expires, campaign).astimezone(tz).date(),
        )
        for subject, label, expires in found
    ]


def holiday_names(country: str | None, language: str, first: date, last: date) -> dict[date, str]:
    """The public holidays of `country` between two days, named in `language` (the page's)
    where the holidays package has it (else in the country's own)."""
    if country is None:
        return {}
    import holidays

    calendar = holidays.country_holidays(
        country, years=range(first.year, last.year + 1), language=language
    )
    return {day: name for day, name in calendar.items() if first <= day <= last}


def build_timeline(
    config: Config,
    posts: Sequence[Post],
    now: datetime,
    *,
    from_start: bool = False,
    others: Sequence[Config] = (),
) -> Timeline:
    """The calendar of config.toml's campaign and of the installation's `others`: every
    subject's end is drawn, and a day is hatched whole only when all of them are over."""
    campaign = config.campaign
    tz = campaign.timezone
    by_day: dict[date, list[Post]] = defaultdict(list)
    for post in posts:
        by_day[post.due_at.astimezone(tz).date()].append(post)
    today = now.astimezone(tz).date()
    ends = [ending for each in (config, *others) for ending in endings(each)]
    start = min([campaign.start, *by_day, today])
    first = start if from_start else today
    last = max([today, *by_day, *(e.over for e in ends)])
    start -= timedelta(days=start.weekday())
    first -= timedelta(days=first.weekday())
    last += timedelta(days=6 - last.weekday())
    shown_until = min(last, first + timedelta(weeks=MAX_WEEKS, days=-1))
    beyond = sum(len(posts) for day, posts in by_day.items() if day > shown_until)
    last = shown_until
    # Every subject of the campaign: one without an `expires` is never over.
    subjects = sum((1 if c.article else 0) + len(c.courses) for c in (config, *others))
    starts = {c.campaign.start: c.campaign.name for c in others}
    language = current()  # the page's: day and month names, holidays and marks
    names = holiday_names(campaign.holidays, language, first, last)
    weeks: list[list[Day]] = []
    shown = first
    while shown <= last:
        week = []
        for _weekday in range(7):
            day = _day(shown, by_day, today, config, ends, names, subjects)
            if shown in starts:
                day.marks.append(_("{campaign} starts").format(campaign=starts[shown]))
            week.append(day)
            shown += timedelta(days=1)
        weeks.append(week)

    def show_date(day: date, pattern: str) -> str:
        return format_date(day, pattern, locale=language)

    day_names = get_day_names("abbreviated", locale=language)
    return Timeline(
        weeks,
        ends,
        beyond,
        shown_until,
        has_today=first <= today <= last,
        earlier_weeks=(first - start).days // 7,
        day_names=[day_names[i] for i in range(7)],
        show_date=show_date,
    )


def _day(
    current: date,
    by_day: dict[date, list[Post]],
    today: date,
    config: Config,
    ends: list[Ending],
    holidays: dict[date, str],
    subjects: int,
) -> Day:
    day = Day(current, sorted(by_day.get(current, []), key=lambda p: (p.due_at, p.id)))
    if current == today:
        day.classes.append("today")
        day.marks.append(_("today"))
    if current == config.campaign.start:
        day.marks.append(_("campaign starts"))
    if current.weekday() >= 5:
        day.classes.append("weekend")
    if current in holidays:
        day.holiday = holidays[current]
        day.classes.append("holiday")
    for ending in ends:
        if current == ending.deadline.date():
            day.classes.append("deadline")
            day.marks.append(
                _("{subject}: last post by {time}").format(
                    subject=ending.label,
                    time=ending.deadline.strftime("%H:%M"),
                )
            )
        if current == ending.expires:
            day.classes.append("link-last-day")
            day.marks.append(_("{subject}: last day").format(subject=ending.label))
        if current == ending.over:
            day.marks.append(_("{subject}: over from today").format(subject=ending.label))
        if current >= ending.over:
            day.over.append(ending.subject)
    if day.over:
        day.classes.append("link-dead" if len(day.over) == subjects else "some-dead")
    return day
