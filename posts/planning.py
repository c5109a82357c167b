"""The campaign plan: from config and templates to dated posts, one per channel. Pure.

Rules (DESIGN.md, "The campaign plan"):
- article phases are placed relative to the campaign start or to the link's last day;
- course posts are spread evenly over the campaign, between the article's phases;
- every post falls on a posting window (weekday and local wall-clock time, across DST), never on
  a public holiday, at most `max_per_day` per channel and day, at least `min_gap` apart;
- a target that is not a free slot moves back to the latest free slot before it (not before
  the campaign start or `as_of`); failing that, forward to the earliest free slot after it;
  a post carrying the article's link is never placed after the link's deadline (its last day
  minus the safety margin); a post with no slot is left out and the plan says why.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from babel.dates import format_date

from posts.campaign import Config, link_deadline, link_end
from posts.networks import network_for
from posts.timing import wall_clock

Render = Callable[[str, str, str, datetime, int], str]
"""(subject, phase, channel name, due_at, occurrence) -> the post's text."""

COURSE_PHASE = "promo"
SEARCH_HORIZON = timedelta(days=400)


@dataclass(frozen=True)
class PlannedPost:
    plan_key: str
    channel: str
    subject: str
    phase: str
    due_at: datetime
    body: str
    link: str | None
    link_expires_at: datetime | None
    occurrence: int = 1


@dataclass(frozen=True)
class Skipped:
    subject: str
    phase: str
    channel: str | None
    reason: str


@dataclass
class Plan:
    posts: list[PlannedPost] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the plan must not be saved while any


def course_phase(occurrence: int) -> str:
    return COURSE_PHASE if occurrence == 1 else f"{COURSE_PHASE}-{occurrence}"


def plan_key(subject: str, phase: str, channel: str) -> str:
    return f"{subject}/{phase}/{channel}"


class _Calendar:
    """The posting slots of one campaign, and which of them each channel has taken."""

    def __init__(self, config: Config):
        self.campaign = config.campaign
        self.holidays = _holiday_checker(config.campaign.holidays)
        self.taken: dict[str, list[datetime]] = defaultdict(list)
        self.per_day: dict[tuple[str, date], int] = defaultdict(int)

    def is_open_day(self, day: date) -> bool:
        return day.weekday() in self.campaign.windows.weekdays and not self.holidays(day)

    def slots_backward(self, target: datetime, lower: datetime) -> Iterator[datetime]:
        """Slots from `target` back to `lower`, both included, latest first."""
        tz = self.campaign.timezone
        day, first_day = target.astimezone(tz).date(), lower.astimezone(tz).date()
        while day >= first_day:
            if self.is_open_day(day):
                for at in reversed(self.campaign.windows.times):
                    instant = wall_clock(day, at, tz)
                    if instant is not None and lower <= instant <= target:
                        yield instant
            day -= timedelta(days=1)

    def slots_forward(self, start: datetime, upper: datetime) -> Iterator[datetime]:
        """Slots from `start` (included) up to `upper` (excluded), earliest first."""
        tz = self.campaign.timezone
        day, last_day = start.astimezone(tz).date(), upper.astimezone(tz).date()
        while day <= last_day:
            if self.is_open_day(day):
                for at in self.campaign.windows.times:
                    instant = wall_clock(day, at, tz)
                    if instant is not None and start <= instant < upper:
                        yield instant
            day += timedelta(days=1)

    def is_free(self, channel: str, instant: datetime) -> bool:
        local_day = instant.astimezone(self.campaign.timezone).date()
        if self.per_day[(channel, local_day)] >= self.campaign.max_per_day:
            return False
        taken = self.taken[channel]
        index = bisect.bisect_left(taken, instant)
        gap = self.campaign.min_gap
        neighbours = taken[max(index - 1, 0) : index + 1]
        return all(abs(other - instant) >= gap and other != instant for other in neighbours)

    def take(self, channel: str, instant: datetime) -> None:
        bisect.insort(self.taken[channel], instant)
        self.per_day[(channel, instant.astimezone(self.campaign.timezone).date())] += 1

    def place(
        self, channel: str, target: datetime, lower: datetime, upper: datetime
    ) -> datetime | None:
        """The latest free slot at or before target (not before lower), else the earliest after."""
        for instant in self.slots_backward(target, lower):
            if instant < upper and self.is_free(channel, instant):
                self.take(channel, instant)
                return instant
        for instant in self.slots_forward(max(target, lower), upper):
            if self.is_free(channel, instant):
                self.take(channel, instant)
                return instant
        return None


def plan_campaign(config: Config, as_of: datetime, render: Render) -> Plan:
    """The whole campaign as of `as_of`: what to post, where, when, and what was left out."""
    plan = Plan()
    calendar = _Calendar(config)
    campaign = config.campaign
    lower = max(campaign.start_instant(), as_of)
    first_time = campaign.windows.times[0]
    channels = list(config.channels)
    article = config.article
    placed: list[tuple[str, str, str, datetime, int, str | None, datetime | None]] = []

    if article is not None:
        deadline = link_deadline(article.expires, campaign)
        expiry = link_end(article.expires, campaign)
        if as_of >= deadline:
            expired_on = format_date(article.expires, format="d MMMM y", locale=campaign.language)
            plan.notes.append(
                f"The article's offprint phases ({', '.join(p.name for p in article.phases)}) "
                f"were skipped because the link expired on {expired_on}."
            )
            for phase in article.phases:
                plan.skipped.append(Skipped("article", phase.name, None, "link expired"))
        else:
            targets = [
                (
                    phase,
                    _instant(
                        phase.target_day(campaign.start, article.expires),
                        phase.at or first_time,
                        config,
                    ),
                )
                for phase in article.phases
            ]
            for index, (phase, target) in enumerate(targets):
                later = [t for _, t in targets[index + 1 :]]
                if target < as_of and later and min(later) <= as_of:
                    plan.skipped.append(
                        Skipped(
                            "article", phase.name, None, "its time passed and a later phase is due"
                        )
                    )
                    continue
                for channel in channels:
                    instant = calendar.place(channel, target, lower, deadline)
                    if instant is None:
                        plan.skipped.append(
                            Skipped(
                                "article",
                                phase.name,
                                channel,
                                "no free posting slot before the link's deadline "
                                f"({deadline.astimezone(campaign.timezone).isoformat(timespec='minutes')})",
                            )
                        )
                        continue
                    placed.append(("article", phase.name, channel, instant, 1, article.url, expiry))

    course_targets = _course_targets(config, lower)
    for (course_key, occurrence), target in course_targets:
        subject = f"course:{course_key}"
        course = config.course(course_key)
        for channel in channels:
            instant = calendar.place(channel, target, lower, lower + SEARCH_HORIZON)
            if instant is None:
                plan.skipped.append(
                    Skipped(
                        subject,
                        course_phase(occurrence),
                        channel,
                        "no free posting slot within 400 days",
                    )
                )
                continue
            placed.append(
                (
                    subject,
                    course_phase(occurrence),
                    channel,
                    instant,
                    occurrence,
                    course.url if course else None,
                    None,
                )
            )

    for subject, phase_name, channel, instant, occurrence, link, expires_at in placed:
        body = render(subject, phase_name, channel, instant, occurrence)
        plan.posts.append(
            PlannedPost(
                plan_key=plan_key(subject, phase_name, channel),
                channel=channel,
                subject=subject,
                phase=phase_name,
                due_at=instant,
                body=body,
                link=link,
                link_expires_at=expires_at,
                occurrence=occurrence,
            )
        )
    plan.posts.sort(key=lambda p: (p.due_at, channels.index(p.channel)))
    plan.problems.extend(check_posts(config, plan.posts))
    return plan


def check_posts(config: Config, posts: list[PlannedPost]) -> list[str]:
    """Each text within its network's limit, and no text twice on one channel."""
    problems = []
    seen: dict[tuple[str, str], str] = {}
    for post in posts:
        channel = config.channels[post.channel]
        network = network_for(channel.type, channel.options)
        length = network.measure(post.body)
        if length > network.limit:
            problems.append(
                f"{post.plan_key} is {length} characters as {network.name} counts them, over its "
                f"limit of {network.limit}: shorten its template."
            )
        if not post.body.strip():
            problems.append(f"{post.plan_key} renders to an empty text.")
        earlier = seen.get((post.channel, post.body))
        if earlier:
            problems.append(
                f"{post.plan_key} has the same text as {earlier}; {network.name} refuses "
                "repeated posts: make the templates differ."
            )
        seen[(post.channel, post.body)] = post.plan_key
    return problems


def _course_targets(config: Config, lower: datetime) -> list[tuple[tuple[str, int], datetime]]:
    """Evenly spaced targets for every course promotion, the courses taking turns."""
    order = [
        (course.key, occurrence)
        for occurrence in range(1, max((c.posts for c in config.courses), default=0) + 1)
        for course in config.courses
        if occurrence <= course.posts
    ]
    if not order:
        return []
    start, end = _course_period(config, lower)
    span = end - start
    first_time = config.campaign.windows.times[0]
    targets = []
    for index, item in enumerate(order, start=1):
        day = start + timedelta(days=round(span.days * index / (len(order) + 1)))
        targets.append((item, _instant(day, first_time, config)))
    return targets


def _course_period(config: Config, lower: datetime) -> tuple[date, date]:
    """From the campaign start (or today, once it has begun) to the link's last day.

    Once that day has passed, courses (which carry no dying link) are spread over a period of
    the campaign's original length starting today. Without an article the period is 13 weeks.
    """
    campaign = config.campaign
    start = lower.astimezone(campaign.timezone).date()
    if config.article is None:
        return start, start + timedelta(weeks=13)
    end = config.article.expires
    length = max(end - campaign.start, timedelta(weeks=1))
    if end - start < timedelta(weeks=1):
        return start, start + length
    return start, end


def _instant(day: date, at: time, config: Config) -> datetime:
    """The UTC instant of a local day and time; a time DST skips is read an hour later."""
    instant = wall_clock(day, at, config.campaign.timezone)
    if instant is None:
        later = (datetime.combine(day, at) + timedelta(hours=1)).time()
        instant = wall_clock(day, later, config.campaign.timezone)
    assert instant is not None
    return instant


def _holiday_checker(country: str | None) -> Callable[[date], bool]:
    if country is None:
        return lambda _day: False
    import holidays

    calendar = holidays.country_holidays(country)
    return lambda day: day in calendar
