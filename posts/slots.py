"""The posting slots of one campaign, which of them each channel has taken, and by what.

A slot is a posting window (a weekday and a local wall-clock time in the campaign timezone)
on a day that is not a public holiday. A channel takes at most `max_per_day` slots a day, at
least `min_gap` apart; the instants other campaigns already hold on a channel count too.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta

from babel.dates import format_datetime

from posts.campaign import Config
from posts.language import babel_locale, show_date, show_day, show_time
from posts.language import gettext as _
from posts.rules import spoken_holidays
from posts.timing import wall_clock


class Slots:
    def __init__(self, config: Config, busy: Mapping[str, Sequence[datetime]] | None = None):
        self.campaign = config.campaign
        self.holiday_name = _holiday_names(config.campaign.holidays)
        self.taken: dict[str, list[datetime]] = defaultdict(list)
        self.per_day: dict[tuple[str, date], int] = defaultdict(int)
        self.owners: dict[tuple[str, datetime], str] = {}
        for channel, instants in (busy or {}).items():
            for instant in instants:
                self.take(channel, instant, _("a post of another campaign"))

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.campaign.timezone).date()

    def is_open_day(self, day: date) -> bool:
        return day.weekday() in self.campaign.windows.weekdays and not self.holiday_name(day)

    def slots_backward(self, target: datetime, lower: datetime) -> Iterator[datetime]:
        """Slots from `target` back to `lower`, both included, latest first."""
        tz = self.campaign.timezone
        day, first_day = self.local_day(target), self.local_day(lower)
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
        day, last_day = self.local_day(start), self.local_day(upper)
        while day <= last_day:
            if self.is_open_day(day):
                for at in self.campaign.windows.times:
                    instant = wall_clock(day, at, tz)
                    if instant is not None and start <= instant < upper:
                        yield instant
            day += timedelta(days=1)

    def _neighbours(self, channel: str, instant: datetime) -> list[datetime]:
        taken = self.taken[channel]
        index = bisect.bisect_left(taken, instant)
        return taken[max(index - 1, 0) : index + 1]

    def is_free(self, channel: str, instant: datetime) -> bool:
        if self.per_day[(channel, self.local_day(instant))] >= self.campaign.max_per_day:
            return False
        gap = self.campaign.min_gap
        return all(
            abs(other - instant) >= gap and other != instant
            for other in self._neighbours(channel, instant)
        )

    def take(self, channel: str, instant: datetime, owner: str = "") -> None:
        bisect.insort(self.taken[channel], instant)
        self.per_day[(channel, self.local_day(instant))] += 1
        self.owners[(channel, instant)] = owner

    def place(
        self, channel: str, target: datetime, lower: datetime, upper: datetime, owner: str = ""
    ) -> datetime | None:
        """The latest free slot at or before target (not before lower), else the earliest after."""
        for instant in self.slots_backward(target, lower):
            if instant < upper and self.is_free(channel, instant):
                self.take(channel, instant, owner)
                return instant
        for instant in self.slots_forward(max(target, lower), upper):
            if self.is_free(channel, instant):
                self.take(channel, instant, owner)
                return instant
        return None

    def why_not(self, channel: str, target: datetime, lower: datetime, upper: datetime) -> str:
        """Why `target` itself was not the post's slot, in a few words (before taking it)."""
        day = self.local_day(target)
        holiday = self.holiday_name(day)
        if target < lower:
            if lower > self.campaign.start_instant():
                return _("already past")
            return _("before the start")
        if target >= upper:
            return _("too late for its deadline")
        if day.weekday() not in self.campaign.windows.weekdays:
            return _("a weekend") if day.weekday() >= 5 else _("not a posting day")
        if holiday:
            return _("{holiday}, a public holiday").format(holiday=holiday)
        local = target.astimezone(self.campaign.timezone).time()
        if local not in self.campaign.windows.times:
            return _("outside the posting windows")
        same_day = [
            self.owners.get((channel, other), "")
            for other in self.taken[channel]
            if self.local_day(other) == day
        ]
        if len(same_day) >= self.campaign.max_per_day:
            return _("{channel}'s day was full with {posts}").format(
                channel=channel, posts=_named(same_day)
            )
        for other in self._neighbours(channel, target):
            if abs(other - target) < self.campaign.min_gap or other == target:
                return _("too close to {post}").format(
                    post=_named([self.owners.get((channel, other), "")])
                )
        return _("its slot was taken")

    # how the plan writes days and times in `why` --------------------------------------------

    def day_text(self, day: date | datetime) -> str:
        """`16 April 2026`; an instant is read as its local day with its weekday,
        `Sat 14 Mar 2026`: in the current language."""
        if isinstance(day, datetime):
            return show_day(day.astimezone(self.campaign.timezone).date())
        return show_date(day)

    def time_text(self, instant: datetime) -> str:
        return format_datetime(
            instant, format="HH:mm", tzinfo=self.campaign.timezone, locale=babel_locale()
        )

    def instant_text(self, instant: datetime) -> str:
        return show_time(instant, self.campaign.timezone)


def _named(owners: Sequence[str]) -> str:
    names = list(dict.fromkeys(o for o in owners if o)) or [_("another post")]
    if len(names) == 1:
        return names[0]
    return _("{posts} and {last}").format(posts=", ".join(names[:-1]), last=names[-1])


def _holiday_names(country: str | None) -> Callable[[date], str | None]:
    """The country's holidays by their name in the current language (posts/rules.py reads
    them the same way)."""
    if country is None:
        return lambda _day: None
    return spoken_holidays(country)
