"""The campaign plan: from config and templates to dated posts, one per channel. Pure.

Rules (DESIGN.md, "The campaign plan"), the same for the article and for every course:
- a subject's phases are placed relative to its start or to its last useful day (`expires`);
- a course without phases is promoted `posts` times, spread evenly over its period (from the
  plan's start to its own `expires`, else the article's last day, else 13 weeks), the courses
  taking turns between the phases;
- every post falls on a posting window (weekday and local wall-clock time, across DST), never on
  a public holiday, at most `max_per_day` per channel and day, at least `min_gap` apart, other
  campaigns' posts on the same channel counting too (`busy`);
- a target that is not a free slot moves back to the latest free slot before it (not before
  the campaign start or `as_of`); failing that, forward to the earliest free slot after it;
- a subject's post is never placed after its deadline (its last day minus the safety margin)
  nor after the campaign's `end`; a post with no slot is left out and the plan says why;
- every post says why it falls where it falls (`PlannedPost.why`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from posts.campaign import Config, Phase, SubjectDates, link_deadline, link_end
from posts.language import gettext as _
from posts.language import ngettext, show_date, show_time
from posts.links import tagged
from posts.slots import Slots
from posts.timing import wall_clock

# (subject, phase, channel name, due_at, occurrence) -> the post's text.
Render = Callable[[str, str, str, datetime, int], str]

COURSE_PHASE = "promo"
SEARCH_HORIZON = timedelta(days=400)
# The plan's note already says so; `plan` prints no line for it (it compares the reason).
LINK_EXPIRED = "link expired"  # untranslated: a value scheduler/commands/campaign.py compares


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
    why: str = ""  # one short line: what placed it there, and any move


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


def course_phase(occurrence: int) -> str:
    return COURSE_PHASE if occurrence == 1 else f"{COURSE_PHASE}-{occurrence}"


def plan_key(subject: str, phase: str, channel: str) -> str:
    return f"{subject}/{phase}/{channel}"


@dataclass(frozen=True)
class _Target:
    subject: SubjectDates
    phase: str
    instant: datetime
    why: str
    occurrence: int = 1


class _Planner:
    def __init__(
        self, config: Config, as_of: datetime, busy: Mapping[str, Sequence[datetime]] | None
    ):
        self.config = config
        self.campaign = config.campaign
        self.as_of = as_of
        self.slots = Slots(config, busy)
        self.lower = max(self.campaign.start_instant(), as_of)
        self.channels = list(config.channels)
        self.plan = Plan()
        self.placed: list[tuple[_Target, str, datetime, str]] = []

    def deadline(self, subject: SubjectDates) -> tuple[datetime, str]:
        """The instant no post of the subject may reach, and what the plan says of a post that
        finds no slot before it."""
        tz = self.campaign.timezone
        limits = [(self.lower + SEARCH_HORIZON, _("no free posting slot within 400 days"))]
        end = self.campaign.end_instant()
        if end is not None:
            limits.append(
                (
                    end,
                    _("no free posting slot before the campaign's end ({time})").format(
                        time=show_time(end, tz)
                    ),
                )
            )
        if subject.expires is not None:
            deadline = link_deadline(subject.expires, self.campaign)
            if subject.subject == "article":
                none = _("no free posting slot before the link's deadline ({time})")
            else:
                none = _("no free posting slot before its deadline ({time})")
            limits.append((deadline, none.format(time=show_time(deadline, tz))))
        return min(limits, key=lambda limit: limit[0])

    def expired(self, subject: SubjectDates, names: list[str]) -> bool:
        """When the subject's deadline has passed: say so once, skip its posts, True."""
        if subject.expires is None or self.as_of < link_deadline(subject.expires, self.campaign):
            return False
        day = show_date(subject.expires)
        if subject.subject == "article":
            self.plan.notes.append(
                _(
                    "The article's offprint phases ({phases}) were skipped because the link "
                    "expired on {day}."
                ).format(phases=", ".join(names), day=day)
            )
        else:
            self.plan.notes.append(
                _(
                    "The posts of {subject} ({phases}) were skipped because its last useful day "
                    "was {day}."
                ).format(subject=subject.label, phases=", ".join(names), day=day)
            )
        for name in names:
            self.plan.skipped.append(Skipped(subject.subject, name, None, LINK_EXPIRED))
        return True

    def phase_targets(self, subject: SubjectDates) -> list[_Target]:
        if self.expired(subject, [p.name for p in subject.phases]):
            return []
        first = self.campaign.windows.times[0]
        timed = [
            (p, _instant(p.target_day(subject.start, subject.expires), p.at or first, self.config))
            for p in subject.phases
        ]
        targets = []
        end = self.campaign.end
        for index, (phase, instant) in enumerate(timed):
            later = [t for _, t in timed[index + 1 :]]
            if instant < self.as_of and later and min(later) <= self.as_of:
                reason = _("its time passed and a later phase is due")
                self.plan.skipped.append(Skipped(subject.subject, phase.name, None, reason))
                continue
            if end is not None and self.slots.local_day(instant) > end:
                reason = _("its day falls after the campaign's end ({day})").format(
                    day=show_date(end)
                )
                self.plan.skipped.append(Skipped(subject.subject, phase.name, None, reason))
                continue
            # A course's n-th phase is its n-th promotion (`occurrence` in its templates).
            occurrence = 1 if subject.subject == "article" else index + 1
            why = self.phase_why(subject, phase)
            targets.append(_Target(subject, phase.name, instant, why, occurrence))
        return targets

    def phase_why(self, subject: SubjectDates, phase: Phase) -> str:
        days = phase.offset.days
        if phase.anchor == "expires":
            assert subject.expires is not None
            shown = self.slots.day_text(subject.expires)
            if subject.subject == "article":
                anchor = _("the link's last day ({day})").format(day=shown)
            else:
                anchor = _("{subject}'s last day ({day})").format(subject=subject.label, day=shown)
        elif subject.start == self.campaign.start:
            anchor = _("the campaign start ({day})").format(day=self.slots.day_text(subject.start))
        else:
            anchor = _("{subject}'s start ({day})").format(
                subject=subject.label, day=self.slots.day_text(subject.start)
            )
        if days == 0:
            return _("{phase}: on {anchor}").format(phase=phase.name, anchor=anchor)
        if days < 0:
            why = ngettext(
                "{phase}: {count} day before {anchor}",
                "{phase}: {count} days before {anchor}",
                -days,
            )
        else:
            why = ngettext(
                "{phase}: {count} day after {anchor}", "{phase}: {count} days after {anchor}", days
            )
        return why.format(phase=phase.name, count=abs(days), anchor=anchor)

    def spread_targets(self, subjects: list[SubjectDates]) -> list[_Target]:
        """Evenly spaced targets for the courses without phases, the courses taking turns.

        Courses sharing a period are spread together; each period runs from the plan's start
        (or the course's own) to the course's `expires`, else the campaign's default end.
        """
        groups: dict[tuple[date, date], list[SubjectDates]] = {}
        for subject in subjects:
            names = [course_phase(n) for n in range(1, subject.spread + 1)]
            if subject.spread and not self.expired(subject, names):
                groups.setdefault(self.spread_period(subject), []).append(subject)
        first = self.campaign.windows.times[0]
        targets = []
        for (start, end), members in groups.items():
            order = [
                (subject, occurrence)
                for occurrence in range(1, max(s.spread for s in members) + 1)
                for subject in members
                if occurrence <= subject.spread
            ]
            span = max(end - start, timedelta(0))
            for index, (subject, occurrence) in enumerate(order, start=1):
                day = start + timedelta(days=round(span.days * index / (len(order) + 1)))
                why = _("promotion {index} of {count} in turn, spread {start} to {end}").format(
                    index=index,
                    count=len(order),
                    start=self.slots.day_text(start),
                    end=self.slots.day_text(end),
                )
                instant = _instant(day, first, self.config)
                targets.append(_Target(subject, course_phase(occurrence), instant, why, occurrence))
        return targets

    def spread_period(self, subject: SubjectDates) -> tuple[date, date]:
        """From the plan's start (or the course's own) to its last useful day, else to the
        article's last day, else to the campaign's end, else 13 weeks; never past the end.

        Once the article's last day has passed, courses without a deadline are spread over a
        period of the campaign's original length starting today."""
        campaign = self.campaign
        start = max(self.lower.astimezone(campaign.timezone).date(), subject.start)
        article = self.config.article
        if subject.expires is not None:
            end = subject.expires
        elif article is None:
            end = campaign.end or start + timedelta(weeks=13)
        else:
            end = article.expires
            length = max(end - campaign.start, timedelta(weeks=1))
            if end - start < timedelta(weeks=1):
                end = start + length
        if campaign.end is not None:
            end = min(end, campaign.end)
        return start, end

    def place(self, target: _Target) -> None:
        subject = target.subject
        upper, none = self.deadline(subject)
        for channel in self.channels:
            reason = self.slots.why_not(channel, target.instant, self.lower, upper)
            owner = _("{channel}'s {subject} {phase}").format(
                channel=channel, subject=subject.subject, phase=target.phase
            )
            instant = self.slots.place(channel, target.instant, self.lower, upper, owner)
            if instant is None:
                self.plan.skipped.append(Skipped(subject.subject, target.phase, channel, none))
                continue
            why = target.why
            if instant != target.instant:
                if instant > target.instant and target.instant >= self.lower:
                    reason = _("{reason}; nothing free before it").format(reason=reason)
                same_day = self.slots.local_day(instant) == self.slots.local_day(target.instant)
                text = self.slots.time_text if same_day else self.slots.day_text
                if instant < target.instant:
                    moved = _("{why}; moved back from {before} ({reason}) to {after}")
                else:
                    moved = _("{why}; moved forward from {before} ({reason}) to {after}")
                why = moved.format(
                    why=why,
                    before=text(target.instant),
                    reason=reason,
                    after=self.slots.instant_text(instant),
                )
            self.placed.append((target, channel, instant, why))


def plan_campaign(
    config: Config,
    as_of: datetime,
    render: Render,
    busy: Mapping[str, Sequence[datetime]] | None = None,
) -> Plan:
    """The whole campaign as of `as_of`: what to post, where, when, and what was left out.

    `busy` holds, per channel, the instants other campaigns already hold there: they count
    toward `min_gap` and `max_per_day`, so two campaigns never share a slot."""
    planner = _Planner(config, as_of, busy)
    plan = planner.plan
    subjects = config.subjects()
    end = config.campaign.end_instant()
    if end is not None and as_of >= end:
        assert config.campaign.end is not None
        plan.notes.append(
            _("The campaign ended on {day}: nothing is planned after it.").format(
                day=show_date(config.campaign.end)
            )
        )
    for subject in subjects:
        for target in planner.phase_targets(subject):
            planner.place(target)
    for target in planner.spread_targets(subjects):
        planner.place(target)

    for target, channel, instant, why in planner.placed:
        subject = target.subject
        body = render(subject.subject, target.phase, channel, instant, target.occurrence)
        expires = link_end(subject.expires, config.campaign) if subject.expires else None
        plan.posts.append(
            PlannedPost(
                plan_key=plan_key(subject.subject, target.phase, channel),
                channel=channel,
                subject=subject.subject,
                phase=target.phase,
                due_at=instant,
                body=body,
                link=tagged(subject.url, config.campaign.utm) if subject.url else None,
                link_expires_at=expires,
                occurrence=target.occurrence,
                why=why,
            )
        )
    plan.posts.sort(key=lambda p: (p.due_at, planner.channels.index(p.channel)))
    return plan


def _instant(day: date, at: time, config: Config) -> datetime:
    """The UTC instant of a local day and time; a time DST skips is read an hour later."""
    instant = wall_clock(day, at, config.campaign.timezone)
    if instant is None:
        later = (datetime.combine(day, at) + timedelta(hours=1)).time()
        instant = wall_clock(day, later, config.campaign.timezone)
    assert instant is not None
    return instant
