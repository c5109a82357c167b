"""The database tables: posts, their events (the post log), and daemon heartbeats.

Every datetime is stored timezone-aware in UTC. Rows are never deleted by normal commands:
the post log is append-only, and a post's life is read from its events.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from posts.characters import one_line


class Status(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    MISSED = "missed"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


FINAL = frozenset(
    {
        Status.PUBLISHED,
        Status.FAILED,
        Status.MISSED,
        Status.EXPIRED,
        Status.UNKNOWN,
        Status.CANCELLED,
    }
)
PENDING = frozenset({Status.DRAFT, Status.SCHEDULED, Status.PUBLISHING})
# Statuses a person may send back to `scheduled` with `retry`.
RETRYABLE = frozenset({Status.FAILED, Status.MISSED, Status.EXPIRED, Status.UNKNOWN})


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime in, an aware UTC datetime out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                "postsched stores aware datetimes only"  # untranslated: a programming error
            )
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class OneLine(TypeDecorator[str]):
    """Text stored on one line: an event's detail, a last error, a pause's reason. Every
    control character (line breaks included) is written as an escape on the way in, so a
    network's answer can never forge a line of the post log, a CSV or the daemon's log."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else one_line(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def new_key() -> str:
    """Made once when a post is created, never changed; it begins with the post's Bluesky
    record key (posts/tid.py)."""
    from posts.tid import new_key as key_with_tid

    return key_with_tid()


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("campaign", "plan_key", name="uq_posts_campaign_plan_key"),
        Index("ix_posts_status_due", "status", "due_at"),
        Index("ix_posts_channel_due", "channel", "due_at"),
        # The posts being sent now on a channel (min_gap), found without reading its history.
        Index("ix_posts_status_channel_claimed", "status", "channel", "claimed_at"),
        # The published posts whose read-back is due (posts/confirming.py): status first, so
        # that SQLite prefers it to ix_posts_status_channel_claimed, which would read every
        # published post of the channels (migration 0008).
        Index("ix_posts_status_confirm", "status", "confirm_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(100))
    plan_key: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    media_path: Mapped[str | None] = mapped_column(Text)
    media_alt: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where lateness (grace) counts from when not its due time: the end of a hold by min_gap,
    # which the daemon chose while the post was on time (cleared when a person moves it).
    grace_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(OneLine)
    idempotency_key: Mapped[str] = mapped_column(String(64), default=new_key, unique=True)
    remote_id: Mapped[str | None] = mapped_column(String(200))
    remote_url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the daemon reads the published post back (null: nothing due), and what it found:
    # `confirmed`, `vanished` or `unconfirmed` (posts/confirming.py). The status stays
    # `published`; `vanished` needs a person.
    confirm_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    presence: Mapped[str | None] = mapped_column(String(16))
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    events: Mapped[list[Event]] = relationship(
        back_populates="post",
        order_by="Event.id",
        cascade="save-update, merge",  # untranslated: SQLAlchemy's option
    )

    @property
    def media(self) -> dict[str, str | None] | None:
        if self.media_path is None:
            return None
        return {"path": self.media_path, "alt": self.media_alt}

    def to_dict(self) -> dict[str, Any]:
        """The post as the JSON output and the dry-run outbox show it (times in UTC here)."""
        return {
            "id": self.id,
            "campaign": self.campaign,
            "plan_key": self.plan_key,
            "channel": self.channel,
            "subject": self.subject,
            "phase": self.phase,
            "status": self.status,
            "due_at": self.due_at,
            "body": self.body,
            "link": self.link,
            "link_expires_at": self.link_expires_at,
            "media": self.media,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at,
            "last_error": self.last_error,
            "idempotency_key": self.idempotency_key,
            "remote_id": self.remote_id,
            "remote_url": self.remote_url,
            "published_at": self.published_at,
            "presence": self.presence,
            "edited": self.edited,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def new_post(
    *,
    campaign: str,
    channel: str,
    subject: str,
    phase: str,
    body: str,
    status: Status,
    due_at: datetime,
    now: datetime,
    edited: bool,
    plan_key: str | None = None,
    link: str | None = None,
    link_expires_at: datetime | None = None,
    media_path: str | None = None,
    media_alt: str | None = None,
) -> Post:
    """The one place a Post row is made (a plan's post or a one-off): never attempted, created
    and updated `now`. `edited`: a person wrote it, so a re-plan leaves it alone."""
    return Post(
        campaign=campaign,
        plan_key=plan_key,
        channel=channel,
        subject=subject,
        phase=phase,
        body=body,
        link=link,
        link_expires_at=link_expires_at,
        media_path=media_path,
        media_alt=media_alt,
        status=status,
        due_at=due_at,
        attempts=0,
        edited=edited,
        created_at=now,
        updated_at=now,
    )


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_at", "at"), Index("ix_events_post_id", "post_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    event: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(OneLine, default="")

    post: Mapped[Post] = relationship(back_populates="events")

    def to_dict(self) -> dict[str, Any]:
        return {
            "post_id": self.post_id,
            "at": self.at,
            "event": self.event,
            "detail": self.detail,
            "channel": self.post.channel,
        }


class ChannelState(Base):
    """What the daemon knows of a channel's health: paused (and why, until when), last outcome."""

    __tablename__ = "channel_states"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Paused while paused_reason is set: until paused_until, or until a person resumes it
    # (authentication) when paused_until is None.
    paused_reason: Mapped[str | None] = mapped_column(OneLine)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The latest published_at of the channel's posts, kept by Claims.mark_published (and
    # backfilled by migration 0003): min_gap is measured from it without reading every post.
    last_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(OneLine)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Heartbeat(Base):
    """One row per daemon process: when it started, last ticked, and stopped."""

    __tablename__ = "heartbeats"

    worker: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_tick_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReachSnapshot(Base):
    """One read of a published post's reach, at one of `[daemon] reach_after` after its
    publication. Never updated: a later snapshot is a new row. `counts` is the network's JSON
    (its own names) or None when the read gave none: then `reason` says why, and `refused`
    marks a refusal that later snapshots of the post do not ask again."""

    __tablename__ = "reach_snapshots"
    __table_args__ = (
        UniqueConstraint("post_id", "snapshot", name="uq_reach_snapshots_post_id_snapshot"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    snapshot: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(100))
    network: Mapped[str] = mapped_column(String(20))
    counts: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    refused: Mapped[bool] = mapped_column(default=False)


class LinkCheck(Base):
    """The last time the daemon (or `check --online`) asked a link, one row per link: when,
    the verdict (`alive`, `dead`, `unsure`) and what it answered: the last HTTP status, or the
    problem (`loop`, `redirects`, `unresolved`, `scheme`, `private`, `timeout`, `unreachable`,
    `phrase`) and its detail (posts/link_health.py). Replaced by the next check of the link."""

    __tablename__ = "link_checks"

    # sha256 of the URL: a URL may be longer than an index allows.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verdict: Mapped[str] = mapped_column(String(16))
    code: Mapped[int | None] = mapped_column(Integer)
    problem: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(OneLine)
