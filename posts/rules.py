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
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

from posts.campaign import Campaign
from posts.language import N_, babel_locale, clauses, current, show_time
from posts.language import gettext as _
from posts.timing import format_duration

PLANNER_NEVER = N_("the planner never posts then")
# The holidays package's name of each language postsched speaks.
HOLIDAY_LANGUAGES = {"en": "en_US", "fr": "fr"}


@dataclass(frozen=True)
class Neighbour:
    """Another post on the same channel: `name` as the officer knows it ("post 12", "line 3")."""

    name: str
    at: datetime  # when it went out, or when it is due
    published: bool = False


@dataclass(frozen=True)
class RuleBreak:
    rule: str  # "holiday", "weekday", "window", "min_gap" or "max_per_day"
    when: str  # the local time, "Fri 25 Dec 2026, 09:30"
    reason: str  # "Christmas Day (Noël), a public holiday in FR"
    consequence: str  # "the planner never posts then"

    def warning(self, who: str) -> str:
        """One sentence: 'post 17 is due Fri 25 Dec 2026, 09:30, …: the planner never posts
        then.'"""
        return _("{who} is due {when}, {reason}: {consequence}.").format(
            who=who, when=self.when, reason=self.reason, consequence=self.consequence
        )


def refusal(who: str, breaks: Sequence[RuleBreak]) -> str:
    """The one sentence --strict refuses with, naming every rule the time breaks."""
    reasons = clauses(b.reason for b in breaks)
    return _(
        "{who} would be due {when}, {reasons}: --strict refuses a time the campaign's rules "
        "advise against (choose another, or drop --strict to be warned only)."
    ).format(who=who, when=breaks[0].when, reasons=reasons)


def check_time(
    campaign: Campaign, channel: str, at: datetime, neighbours: Sequence[Neighbour]
) -> list[RuleBreak]:
    """Every rule of the campaign that a post on `channel` due `at` breaks."""
    tz = campaign.timezone
    local = at.astimezone(tz)
    when = show(local)
    never = _(PLANNER_NEVER)
    breaks = []
    holiday = holiday_name(campaign.holidays, local.date())
    if holiday is not None:
        reason = _("{holiday}, a public holiday in {country}").format(
            holiday=holiday, country=campaign.holidays
        )
        breaks.append(RuleBreak("holiday", when, reason, never))
    if local.weekday() not in campaign.windows.weekdays:
        from babel.dates import get_day_names

        wide = get_day_names("wide", locale=babel_locale())
        short = get_day_names("abbreviated", locale=babel_locale())
        days = ", ".join(short[d] for d in campaign.windows.weekdays)
        breaks.append(
            RuleBreak(
                "weekday",
                when,
                _("a {weekday}, not one of the posting days ({days})").format(
                    weekday=wide[local.weekday()], days=days
                ),
                never,
            )
        )
    if local.time().replace(second=0, microsecond=0) not in campaign.windows.times:
        times = ", ".join(t.strftime("%H:%M") for t in campaign.windows.times)
        breaks.append(
            RuleBreak(
                "window",
                when,
                _("not one of the posting times ({times})").format(times=times),
                never,
            )
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
                _(
                    "post number {number} on {channel} that day (with {names}), over "
                    "max_per_day = {most}"
                ).format(
                    number=len(same_day) + 1,
                    channel=channel,
                    names=names,
                    most=campaign.max_per_day,
                ),
                _("the planner never puts more than {most} a day on a channel").format(
                    most=campaign.max_per_day
                ),
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
        if last.published:
            reason = _("within {gap} of {name} on {channel} (published {time})")
        else:
            reason = _("within {gap} of {name} on {channel} (due {time})")
        return RuleBreak(
            "min_gap",
            when,
            reason.format(gap=shown, name=last.name, channel=channel, time=hhmm(last.at, tz, at)),
            _("the daemon will hold it until {time}").format(time=hhmm(last.at + gap, tz, at)),
        )
    first = min(close, key=lambda n: n.at)
    return RuleBreak(
        "min_gap",
        when,
        _("within {gap} of {name} on {channel} (due {time})").format(
            gap=shown, name=first.name, channel=channel, time=hhmm(first.at, tz, at)
        ),
        _("the daemon will hold {name} until {time}").format(
            name=first.name, time=hhmm(at + gap, tz, at)
        ),
    )


def window_of(campaign: Campaign, at: datetime) -> tuple[datetime, datetime]:
    """The span of neighbours that matter for a post due `at`: its local day and min_gap."""
    tz = campaign.timezone
    local = at.astimezone(tz)
    day_start = datetime.combine(local.date(), datetime.min.time(), tzinfo=tz)
    day_end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return min(day_start, at - campaign.min_gap), max(day_end, at + campaign.min_gap)


def show(local: datetime) -> str:
    """'Fri 25 Dec 2026, 09:30', « ven. 25 déc. 2026, 09:30 »: in the current language."""
    return show_time(local, local.tzinfo or UTC)


def hhmm(instant: datetime, tz: tzinfo, reference: datetime) -> str:
    """'13:00', or the whole date when it is not the reference's local day."""
    local = instant.astimezone(tz)
    if local.date() == reference.astimezone(tz).date():
        return f"{local:%H:%M}"
    return show(local)


def spoken_holidays(country: str) -> Callable[[date], str | None]:
    """A day's holiday in `country` by its name in the current language (when the holidays
    package has it, else the country's own), or None: what the planner says."""
    return _calendars(country, current())[0]


def holiday_name(country: str | None, day: date) -> str | None:
    """ "Christmas Day (Noël)": the name in the current language, and the country's own when
    it differs (« Noël » alone in French)."""
    if country is None:
        return None
    spoken, own = _calendars(country, current())
    name = spoken(day)
    if name is None:
        return None
    local = own(day)
    return f"{name} ({local})" if local and local != name else name


@lru_cache(maxsize=16)
def _calendars(
    country: str, language: str
) -> tuple[Callable[[date], str | None], Callable[[date], str | None]]:
    # Read once per country and language for every check and plan of the process
    # (posts/slots.py too).
    import holidays

    own = holidays.country_holidays(country)
    languages = own.supported_languages or ()
    wanted = HOLIDAY_LANGUAGES.get(language, language)
    spoken = holidays.country_holidays(country, language=wanted) if wanted in languages else own
    if own.default_language and own.default_language in languages:
        own = holidays.country_holidays(country, language=own.default_language)
    return spoken.get, own.get
