"""The campaign as values: what config.toml says, once it has been read and checked.

scheduler/config.py builds these from TOML; tests build them in code. Nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from posts.language import gettext as _

Anchor = Literal["start", "expires"]


@dataclass(frozen=True)
class Subject:
    """What a post promotes: `article` or `course:<key>`."""

    kind: str
    key: str | None = None

    @classmethod
    def parse(cls, text: str) -> Subject:
        kind, _sep, key = text.partition(":")
        return cls(kind, key or None)

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}" if self.key else self.kind


@dataclass(frozen=True)
class Author:
    name: str
    role: str = ""


@dataclass(frozen=True)
class Phase:
    """One moment of a subject's campaign, placed relative to its start or to its expiry."""

    name: str
    anchor: Anchor
    offset: timedelta = timedelta(0)
    at: time | None = None  # preferred local time; the first window time when None

    def target_day(self, start: date, expires: date | None) -> date:
        base = start if self.anchor == "start" else expires
        assert base is not None, (
            "a phase anchored on expires needs its subject's expires"  # untranslated: a bug
        )
        return base + timedelta(days=self.offset.days)


@dataclass(frozen=True)
class Session:
    """One run of a course: its dates (end inclusive, None for a single day), place, format."""

    start: date
    end: date | None = None
    place: str = ""
    format: str = ""
    note: str = ""


@dataclass(frozen=True)
class Article:
    title: str
    authors: tuple[Author, ...]
    journal: str
    issue: str
    publisher: str
    url: str
    expires: date  # the last day the link works, inclusive, in the campaign timezone
    phases: tuple[Phase, ...]
    subtitle: str = ""
    platform: str = ""
    pages: int | None = None
    topics: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    image: Path | None = None  # the link card's picture (LinkedIn's thumbnail), absolute
    image_alt: str = ""  # required with image
    dead_if: str = ""  # a phrase on the link's page that says it no longer works


@dataclass(frozen=True)
class Course:
    key: str
    title: str
    formats: tuple[str, ...]
    url: str | None = None
    summary: str = ""
    hashtags: tuple[str, ...] = ()
    posts: int = 1  # how many times each channel promotes it, when it has no phases
    image: Path | None = None  # the link card's picture, as for the article
    image_alt: str = ""
    # The last day its link or its registration is useful, inclusive, campaign timezone.
    expires: date | None = None
    phases: tuple[Phase, ...] = ()  # placed as the article's are; none: `posts` spread evenly
    start: date | None = None  # the day its promotion begins; None: the campaign start
    sessions: tuple[Session, ...] = ()
    dead_if: str = ""  # as the article's


@dataclass(frozen=True)
class SubjectDates:
    """What the planner needs of a subject, article or course: one path for both."""

    subject: str  # "article" or "course:<key>"
    url: str | None
    expires: date | None
    phases: tuple[Phase, ...]
    start: date
    spread: int = 0  # promotions spread evenly over its period when it has no phases

    @property
    def label(self) -> str:
        if self.subject == "article":
            return _("the article")
        return _("course {key}").format(key=self.subject[7:])


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str
    name: str = ""


@dataclass(frozen=True)
class Windows:
    weekdays: tuple[int, ...]  # 0 = Monday
    times: tuple[time, ...]  # local wall-clock times, sorted


@dataclass(frozen=True)
class Campaign:
    name: str
    timezone: ZoneInfo
    language: str
    start: date
    windows: Windows
    holidays: str | None = None  # ISO country code for the `holidays` package
    review: bool = True
    safety_margin: timedelta = timedelta(hours=12)
    max_per_day: int = 1
    min_gap: timedelta = timedelta(0)
    hashtags: tuple[str, ...] = ()
    end: date | None = None  # the last day a post may be planned, inclusive
    # [campaign] utm: (utm_source, …) pairs appended to the subjects' own links; () for none
    utm: tuple[tuple[str, str], ...] = ()

    def start_instant(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=self.timezone).astimezone(UTC)

    def end_instant(self) -> datetime | None:
        """The first instant after the campaign's last day, when it has one."""
        if self.end is None:
            return None
        return link_end(self.end, self)


@dataclass(frozen=True)
class ChannelConfig:
    """One account on one network. `options` keeps the network-specific keys as written."""

    name: str
    type: str
    mode: str
    outbox: Path
    token_env: str | None = None
    options: dict[str, object] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class DaemonSettings:
    poll: timedelta = timedelta(seconds=30)
    grace: timedelta = timedelta(hours=2)
    claim_timeout: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    retry_base: timedelta = timedelta(seconds=30)  # first retry after 15-30 s, then doubling
    retry_cap: timedelta = timedelta(hours=1)
    # How long after its publication a post is read back from its network (posts/confirming.py).
    confirm_after: timedelta = timedelta(minutes=10)
    # The file the service manager loads tokens from (systemd EnvironmentFile); postsched only
    # checks that nobody else can read it.
    env_file: Path | None = None
    # When each published post's reach is read, counted from its publication: (label, delay),
    # shortest first (docs/reach.md).
    reach_after: tuple[tuple[str, timedelta], ...] = (
        ("1h", timedelta(hours=1)),
        ("1d", timedelta(days=1)),
        ("7d", timedelta(days=7)),
    )


NOTIFY_EVENTS = ("failed", "missed", "expired", "unknown", "paused", "vanished", "link_dead")


@dataclass(frozen=True)
class NotifySettings:
    to: tuple[str, ...]
    sender: str
    host: str = "localhost"
    port: int = 25
    user: str | None = None
    password_env: str | None = None
    security: str = "none"  # "none", "starttls" or "ssl"
    events: tuple[str, ...] = NOTIFY_EVENTS
    timeout: float = 20.0


@dataclass(frozen=True)
class WebSettings:
    """[web]: the officer's web page. The password hash may also come from the environment."""

    password_hash: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    uploads: Path | None = None  # where images added from the browser are kept
    hosts: tuple[str, ...] = ()  # names it answers to besides loopback (behind a proxy)
    session_lifetime: timedelta = timedelta(hours=12)  # from login, however busy
    behind_proxy: bool = False  # trust X-Forwarded-For/-Proto/-Host from one proxy
    secure_cookies: bool = False  # the session cookie only over HTTPS


@dataclass(frozen=True)
class LinkSettings:
    """[links]: asking a post's links before it goes out (docs/links.md). `check`: "live"
    (links of posts on live channels), "always" (dry-run channels too) or "never"."""

    check: str = "live"
    timeout: timedelta = timedelta(seconds=5)
    redirects: int = 5
    fresh: timedelta = timedelta(minutes=5)  # a link asked this recently is not asked again
    retry: timedelta = timedelta(minutes=5)  # after an answer that proves nothing (5xx, timeout)
    loopback: bool = False  # the link itself may name this machine (tests); never a redirect


@dataclass(frozen=True)
class Config:
    campaign: Campaign
    article: Article | None
    courses: tuple[Course, ...]
    contact: Contact
    channels: dict[str, ChannelConfig] = field(hash=False, compare=False)
    daemon: DaemonSettings
    database_url: str
    templates_dir: Path
    path: Path | None = None
    notify: NotifySettings | None = None
    web: WebSettings = field(default_factory=WebSettings)
    # The other campaigns of this installation: files config.toml lists under `campaigns`.
    campaign_files: tuple[Path, ...] = ()
    # [ui] language: the language postsched speaks to people, when not the campaign's own.
    ui_language: str | None = None
    links: LinkSettings = field(default_factory=LinkSettings)

    def link_deadline(self) -> datetime | None:
        """The last instant a post carrying the article's link may go out (expiry minus margin)."""
        if self.article is None:
            return None
        return link_deadline(self.article.expires, self.campaign)

    def course(self, key: str) -> Course | None:
        return next((c for c in self.courses if c.key == key), None)

    def owner(self, subject: str) -> Article | Course | None:
        """The article or course a post's subject names; None for a one-off post."""
        parsed = Subject.parse(subject)
        if parsed.kind == "article":
            return self.article
        if parsed.kind == "course":
            return self.course(parsed.key or "")
        return None

    def subjects(self) -> list[SubjectDates]:
        """The article (when there is one) and every course, in config order."""
        start = self.campaign.start
        found = []
        if self.article is not None:
            a = self.article
            found.append(SubjectDates("article", a.url, a.expires, a.phases, start))
        for c in self.courses:
            spread = 0 if c.phases else c.posts
            subject = f"course:{c.key}"
            found.append(
                SubjectDates(subject, c.url, c.expires, c.phases, c.start or start, spread)
            )
        return found

    def subject_dates(self, subject: str) -> SubjectDates | None:
        return next((s for s in self.subjects() if s.subject == subject), None)


def link_deadline(expires: date, campaign: Campaign) -> datetime:
    """The last instant a post carrying the link may go out: its end minus the safety margin."""
    return link_end(expires, campaign) - campaign.safety_margin


def link_end(expires: date, campaign: Campaign) -> datetime:
    """The first instant the link no longer works."""
    end = datetime.combine(expires + timedelta(days=1), time(0), tzinfo=campaign.timezone)
    return end.astimezone(UTC)
