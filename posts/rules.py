"""What the campaign's rules say of a time the officer set by hand. Pure.

The planner never places a post on a public holiday, on a day or at a time outside the posting
windows, within `min_gap` of another post on its channel, or over `max_per_day`; a person may,
and is told so (or refused, with --strict). `check_time` takes the campaign, the channel, the
instant and the channel's neighbouring posts (read from the store, or given by an import), and
returns one `RuleBreak` per rule the time breaks, in the order the officer should read them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

from posts.campaign import Campaign
from posts.timing import format_duration

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PLANNER_NEVER = "the planner never posts then"


@dataclass(frozen=True)
class Neighbour:
    """Another post on the same channel: `name` as the officer knows it ("post 12", "line 3")."""

    name: str
    at: datetime  # when it went out, or when it is due
    published: bool = False


@dataclass(frozen=True)
class RuleBreak:
    rule: str  # "holiday", "weekday", "window", "min_gap" or "max_per_day"
    when: str  # the local time, "Fri 25 Dec 2026 09:30"
    reason: str  # "Christmas Day (Noël), a public holiday in FR"
    consequence: str  # "the planner never posts then"

    def warning(self, who: str) -> str:
        """One sentence: 'post 17 is due Fri 25 Dec 2026 09:30, …: the planner never posts then.'"""
        return f"{who} is due {self.when}, {self.reason}: {self.consequence}."


def refusal(who: str, breaks: Sequence[RuleBreak]) -> str:
    """The one sentence --strict refuses with, naming every rule the time breaks."""
    reasons = "; ".join(b.reason for b in breaks)
    return (
        f"{who} would be due {breaks[0].when}, {reasons}: --strict refuses a time the "
        "campaign's rules advise against (choose another, or drop --strict to be warned only)."
    )


def check_time(
    campaign: Campaign, channel: str, at: datetime, neighbours: Sequence[Neighbour]
) -> list[RuleBreak]:
    """Every rule of the campaign that a post on `channel` due `at` breaks."""
    tz = campaign.timezone
    local = at.astimezone(tz)
    when = show(local)
    breaks = []
    holiday = holiday_name(campaign.holidays, local.date())
    if holiday is not None:
        reason = f"{holiday}, a public holiday in {campaign.holidays}"
        breaks.append(RuleBreak("holiday", when, reason, PLANNER_NEVER))
    if local.weekday() not in campaign.windows.weekdays:
        days = ", ".join(WEEKDAY_NAMES[d][:3] for d in campaign.windows.weekdays)
        breaks.append(
            RuleBreak(
                "weekday",
                when,
                f"a {WEEKDAY_NAMES[local.weekday()]}, not one of the posting days ({days})",
                PLANNER_NEVER,
            )
        )
    if local.time().replace(second=0, microsecond=0) not in campaign.windows.times:
        times = ", ".join(t.strftime("%H:%M") for t in campaign.windows.times)
        breaks.append(
            RuleBreak("window", when, f"not one of the posting times ({times})", PLANNER_NEVER)
        )
    gap = _gap_break(campaign, channel, at, neighbours, when)
    if gap is not None:
        breaks.append(gap)
    same_day = [n for n in neighbours if n.at.astimezone(tz).date() == local.date()]
    if len(same_day) >= campaign.max_per_day:
        names = ", ".join(n.name for n in sorted(same_day, key=lambda n: n.at))
        breaks.append(
            RuleBreak(
                "max_per_day",
                when,
                f"post number {len(same_day) + 1} on {channel} that day (with {names}), over "
                f"max_per_day = {campaign.max_per_day}",
                f"the planner never puts more than {campaign.max_per_day} a day on a channel",
            )
        )
    return breaks


def _gap_break(
    campaign: Campaign, channel: str, at: datetime, neighbours: Sequence[Neighbour], when: str
) -> RuleBreak | None:
    """min_gap: the daemon holds a post until min_gap after the last one out on its channel.

    A neighbour at or before `at` goes first, so this post is held; one after it is held
    instead (the daemon publishes in due order)."""
    gap = campaign.min_gap
    if not gap:
        return None
    tz = campaign.timezone
    close = [n for n in neighbours if abs(n.at - at) < gap]
    if not close:
        return None
    before = [n for n in close if n.at <= at]
    shown = format_duration(gap)
    if before:
        last = max(before, key=lambda n: n.at)
        verb = "published" if last.published else "due"
        return RuleBreak(
            "min_gap",
            when,
            f"within {shown} of {last.name} on {channel} ({verb} {hhmm(last.at, tz, at)})",
            f"the daemon will hold it until {hhmm(last.at + gap, tz, at)}",
        )
    first = min(close, key=lambda n: n.at)
    return RuleBreak(
        "min_gap",
        when,
        f"within {shown} of {first.name} on {channel} (due {hhmm(first.at, tz, at)})",
        f"the daemon will hold {first.name} until {hhmm(at + gap, tz, at)}",
    )


def window_of(campaign: Campaign, at: datetime) -> tuple[datetime, datetime]:
    """The span of neighbours that matter for a post due `at`: its local day and min_gap."""
    tz = campaign.timezone
    local = at.astimezone(tz)
    day_start = datetime.combine(local.date(), datetime.min.time(), tzinfo=tz)
    day_end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return min(day_start, at - campaign.min_gap), max(day_end, at + campaign.min_gap)


def show(local: datetime) -> str:
    """'Fri 25 Dec 2026 09:30' (English, as the command line's sentences are)."""
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def hhmm(instant: datetime, tz: tzinfo, reference: datetime) -> str:
    """'13:00', or the whole date when it is not the reference's local day."""
    local = instant.astimezone(tz)
    if local.date() == reference.astimezone(tz).date():
        return f"{local:%H:%M}"
    return show(local)


def english_holidays(country: str) -> Callable[[date], str | None]:
    """A day's holiday in `country` by its English name, or None: what the planner says."""
    return _calendars(country)[0]


def holiday_name(country: str | None, day: date) -> str | None:
    """ "Christmas Day (Noël)": the English name, and the country's own when it differs."""
    if country is None:
        return None
    english, own = _calendars(country)
    name = english(day)
    if name is None:
        return None
    local = own(day)
    return f"{name} ({local})" if local and local != name else name


@lru_cache(maxsize=8)
def _calendars(
    country: str,
) -> tuple[Callable[[date], str | None], Callable[[date], str | None]]:
    # Read once per country for every check and plan of the process (posts/slots.py too).
    import holidays

    own = holidays.country_holidays(country)
    languages = own.supported_languages or ()
    english = holidays.country_holidays(country, language="en_US") if "en_US" in languages else own
    if own.default_language and own.default_language in languages:
        own = holidays.country_holidays(country, language=own.default_language)
    return english.get, own.get
