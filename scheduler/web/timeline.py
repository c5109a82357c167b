"""The campaign as a calendar: whole weeks, Monday first, from the campaign's start (or its
first post) to its last post or the day after the offprint link dies, whichever is later.

Each day carries its posts in due order and its marks: the campaign start, the last moment a
post carrying the link may go out (expiry minus the safety margin), the link's last day, and
every day after it, when the link no longer works.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from posts.campaign import Config, link_deadline, link_end
from posts.models import Post

# Two years of weeks at most: a post typed in for 2099 must not draw a thousand weeks.
MAX_WEEKS = 104


@dataclass
class Day:
    day: date
    posts: list[Post] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)


@dataclass
class Timeline:
    weeks: list[list[Day]]
    link_last_day: date | None
    link_deadline: datetime | None  # in the campaign timezone
    beyond: int = 0  # posts due after the last week drawn
    shown_until: date | None = None
    has_today: bool = False


def build_timeline(config: Config, posts: Sequence[Post], now: datetime) -> Timeline:
    tz = config.campaign.timezone
    by_day: dict[date, list[Post]] = defaultdict(list)
    for post in posts:
        by_day[post.due_at.astimezone(tz).date()].append(post)
    today = now.astimezone(tz).date()
    article = config.article
    deadline = link_deadline(article.expires, config.campaign).astimezone(tz) if article else None
    ends = link_end(article.expires, config.campaign).astimezone(tz).date() if article else None
    first = min([config.campaign.start, *by_day])
    last = max([first, *by_day, *([ends] if ends else [])])
    # Today is drawn too when it is within a month of the campaign's days.
    if first - timedelta(days=31) <= today < first:
        first = today
    elif last < today <= last + timedelta(days=31):
        last = today
    first -= timedelta(days=first.weekday())
    last += timedelta(days=6 - last.weekday())
    shown_until = min(last, first + timedelta(weeks=MAX_WEEKS, days=-1))
    beyond = sum(len(posts) for day, posts in by_day.items() if day > shown_until)
    last = shown_until
    weeks: list[list[Day]] = []
    current = first
    while current <= last:
        week = []
        for _ in range(7):
            day = Day(current, sorted(by_day.get(current, []), key=lambda p: (p.due_at, p.id)))
            if current == today:
                day.classes.append("today")
                day.marks.append("today")
            if current == config.campaign.start:
                day.marks.append("campaign starts")
            if current.weekday() >= 5:
                day.classes.append("weekend")
            if deadline is not None and current == deadline.date():
                day.classes.append("deadline")
                day.marks.append(f"last post with the link by {deadline:%H:%M}")
            if article is not None and current == article.expires:
                day.classes.append("link-last-day")
                day.marks.append("offprint link: last day")
            if ends is not None and current >= ends:
                day.classes.append("link-dead")
                if current == ends:
                    day.marks.append("offprint link dead from today")
            week.append(day)
            current += timedelta(days=1)
        weeks.append(week)
    has_today = first <= today <= last
    return Timeline(
        weeks, article.expires if article else None, deadline, beyond, shown_until, has_today
    )
