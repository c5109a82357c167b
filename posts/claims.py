"""The daemon's side of the store: claim, settle and record, each in one short transaction.

A post is claimed by a conditional UPDATE (scheduled -> publishing) before any network call.
On PostgreSQL the candidate row is also selected FOR UPDATE SKIP LOCKED, so concurrent daemons
skip each other's rows; SQLite ignores that clause and the conditional UPDATE (inside a
`BEGIN IMMEDIATE` transaction, see scheduler/database.py) is what protects it there.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy import and_, case, func, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from posts.language import gettext as _
from posts.models import ChannelState, Event, Heartbeat, Post, Status
from posts.store import Store

if TYPE_CHECKING:
    from posts.publishing import TickRules

_due = func.coalesce(Post.next_attempt_at, Post.due_at)


@dataclass(frozen=True)
class PostView:
    """What a channel needs of a post: a snapshot, never a live database row."""

    id: int
    channel: str
    subject: str
    phase: str
    body: str
    link: str | None
    link_expires_at: datetime | None
    media_path: str | None
    media_alt: str | None
    idempotency_key: str
    attempts: int
    # Its due time, or the end of a hold by min_gap: lateness (grace) is measured from it,
    # retries or not.
    due: datetime
    campaign: str = ""  # whose safety margin holds its link

    @classmethod
    def of(cls, post: Post) -> PostView:
        return cls(
            id=post.id,
            channel=post.channel,
            subject=post.subject,
            phase=post.phase,
            body=post.body,
            link=post.link,
            link_expires_at=post.link_expires_at,
            media_path=post.media_path,
            media_alt=post.media_alt,
            idempotency_key=post.idempotency_key,
            attempts=post.attempts,
            due=post.grace_from or post.due_at,
            campaign=post.campaign,
        )


# PostView's fields, in order, as columns: a claim reads these, not a whole ORM object.
_VIEW_COLUMNS = (
    Post.id,
    Post.channel,
    Post.subject,
    Post.phase,
    Post.body,
    Post.link,
    Post.link_expires_at,
    Post.media_path,
    Post.media_alt,
    Post.idempotency_key,
    Post.attempts,
    func.coalesce(Post.grace_from, Post.due_at),
    Post.campaign,
)


@dataclass(frozen=True)
class Decision:
    action: Literal["claim", "expire", "miss", "hold"]
    reason: str
    until: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    post_id: int
    channel: str
    status: str  # the post's status afterwards
    event: str
    detail: str
    url: str | None = None


@dataclass(frozen=True)
class Published:
    """A post the network took, not yet recorded: the tick records it in the transaction that
    claims the next post (`Claims.record_and_claim`), or alone (`Claims.record`)."""

    post: PostView
    at: datetime  # when the network answered
    remote_id: str
    url: str | None
    note: str | None = None  # what the log says of an answer that was not kept
    confirm_at: datetime | None = None  # when the post is read back (posts/confirming.py)


class ClaimLostError(Exception):
    """A worker finished a post whose claim another worker had already settled as stale."""

    def __init__(self, post_id: int, worker: str):
        super().__init__(
            _("post {id} is no longer claimed by {worker}").format(id=post_id, worker=worker)
        )
        self.post_id = post_id
        self.worker = worker


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


class Claims:
    def __init__(self, store: Store):
        self.store = store
        self._show = store._show

    # the daemon itself ---------------------------------------------------------------------

    def heartbeat(self, worker: str, now: datetime) -> None:
        with self.store.session() as session:
            row = session.get(Heartbeat, worker)
            if row is None:
                host, _sep, rest = worker.partition(":")
                pid = int(rest.split(":")[0]) if rest.split(":")[0].isdigit() else 0
                session.add(
                    Heartbeat(worker=worker, host=host, pid=pid, started_at=now, last_tick_at=now)
                )
            else:
                row.last_tick_at = now
                row.stopped_at = None

    def stopped(self, worker: str, now: datetime) -> None:
        with self.store.session() as session:
            row = session.get(Heartbeat, worker)
            if row is not None:
                row.stopped_at = now

    def latest_heartbeat(self) -> Heartbeat | None:
        with self.store.session() as session:
            return session.scalar(
                select(Heartbeat).order_by(Heartbeat.last_tick_at.desc()).limit(1)
            )

    def next_due_time(self, channels: Sequence[str]) -> datetime | None:
        """When the next post on these channels falls due (its retry time, if it has one)."""
        if not channels:
            return None
        with self.store.session() as session:
            value = session.scalar(
                select(func.min(_due)).where(
                    Post.status == Status.SCHEDULED, Post.channel.in_(channels)
                )
            )
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    # channels ------------------------------------------------------------------------------

    def is_paused(self, channel: str, now: datetime) -> bool:
        with self.store.session() as session:
            state = session.get(ChannelState, channel)
            if state is None or state.paused_reason is None:
                return False
            if state.paused_until is not None and state.paused_until <= now:
                state.paused_reason = None
                state.paused_until = None
                state.updated_at = now
                return False
            return True

    def pause_channel(
        self, channel: str, reason: str, until: datetime | None, now: datetime
    ) -> None:
        with self.store.session() as session:
            state = self._state(session, channel, now)
            state.paused_reason = reason
            state.paused_until = until
            state.last_error = reason
            state.last_error_at = now

    def resume_channel(self, channel: str, now: datetime) -> bool:
        with self.store.session() as session:
            state = session.get(ChannelState, channel)
            if state is None or state.paused_reason is None:
                return False
            state.paused_reason = None
            state.paused_until = None
            state.updated_at = now
            return True

    def channel_states(self) -> dict[str, ChannelState]:
        with self.store.session() as session:
            return {s.name: s for s in session.scalars(select(ChannelState))}

    def _lock_channel(
        self, session: Session, channel: str, now: datetime, *, wait: bool = True
    ) -> ChannelState | None:
        """The channel's row, locked. With `wait=False`, None if another transaction holds it
        or it does not exist yet: a transaction that already locks a channel (its record)
        never waits for a second one, so two daemons cannot deadlock."""
        lock: dict[str, bool] | bool = True if wait else {"skip_locked": True}
        state = session.get(ChannelState, channel, with_for_update=lock, populate_existing=True)
        if state is None and not wait:
            return None
        if state is None:
            self._state(session, channel, now)
            state = session.get(ChannelState, channel, with_for_update=True, populate_existing=True)
            assert state is not None
        return state

    def _state(self, session: Session, channel: str, now: datetime) -> ChannelState:
        """The channel's row, created if missing; INSERT ... ON CONFLICT DO NOTHING, because two
        daemons may record the first outcome of a channel at the same moment."""
        state = session.get(ChannelState, channel)
        if state is None:
            values = {"name": channel, "updated_at": now}
            if session.get_bind().dialect.name == "postgresql":
                session.execute(pg_insert(ChannelState).values(values).on_conflict_do_nothing())
            else:
                session.execute(sqlite_insert(ChannelState).values(values).on_conflict_do_nothing())
            state = session.get(ChannelState, channel, populate_existing=True)
            assert state is not None
        state.updated_at = now
        return state

    # claiming ------------------------------------------------------------------------------

    def claim_next(
        self,
        now: datetime,
        channels: Sequence[str],
        worker: str,
        decide: Callable[[PostView, datetime | None], Decision],
        due_by: datetime | None = None,
        *,
        gap: bool = True,
    ) -> PostView | Outcome | None:
        """Take the most overdue post on `channels`, or settle it without publishing.

        Returns the claimed post, or the Outcome of an expire/miss/hold decision, or None when
        nothing is due by `due_by` (default `now`, the time the claim is stamped with). Paused
        channels are left out, in the same transaction. `decide` gets the time of the last post
        out on the post's channel; with `gap=False` (min_gap is 0) it gets None and that time is
        not looked up.
        """
        return self._claim(now, channels, worker, decide, due_by, gap, None)[1]

    def record_and_claim(
        self,
        published: Published,
        now: datetime,
        channels: Sequence[str],
        worker: str,
        decide: Callable[[PostView, datetime | None], Decision],
        due_by: datetime | None = None,
        *,
        gap: bool = True,
    ) -> tuple[Outcome, PostView | Outcome | None]:
        """Record a published post and claim the next one, in one transaction (one commit).

        The record comes first, so the claim sees it (min_gap counts from its publication);
        the claim is committed with it, before the next post is sent, as `claim_next` does.
        ClaimLostError (the record's claim was settled by another daemon) rolls both back.
        """
        recorded, step = self._claim(now, channels, worker, decide, due_by, gap, published)
        assert recorded is not None
        return recorded, step

    def _claim(
        self,
        now: datetime,
        channels: Sequence[str],
        worker: str,
        decide: Callable[[PostView, datetime | None], Decision],
        due_by: datetime | None,
        gap: bool,
        published: Published | None,
    ) -> tuple[Outcome | None, PostView | Outcome | None]:
        recorded = None
        while True:
            with self.store.session() as session:
                if published is not None:
                    recorded = self._record(session, published, worker)
                    locked, published = published.post.channel, None
                else:
                    locked = None
                if not channels:
                    return recorded, None
                active = self._unpaused(session, channels, now)
                if not active:
                    return recorded, None
                row = session.execute(
                    select(*_VIEW_COLUMNS)
                    .where(
                        Post.status == Status.SCHEDULED,
                        Post.channel.in_(active),
                        _due <= (due_by or now),
                    )
                    .order_by(_due, Post.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
                if row is None:
                    return recorded, None
                view = PostView(*tuple(row))
                # One claim at a time per channel across daemons (a row lock; SQLite's
                # BEGIN IMMEDIATE does the same), so min_gap sees the other daemons' claims.
                # A transaction that already holds its record's channel row takes another
                # channel's only if it is free; else it commits the record and looks again.
                wait = locked is None or locked == view.channel
                state = self._lock_channel(session, view.channel, now, wait=wait)
                if state is None:
                    continue
                last = self._last_out(session, state) if gap else None
                decision = decide(view, last)
                if decision.action == "claim":
                    if self._move(
                        session,
                        view.id,
                        Status.SCHEDULED,
                        Status.PUBLISHING,
                        now,
                        claimed_by=worker,
                        claimed_at=now,
                    ):
                        return recorded, view
                    continue  # another daemon took it first: look again
                if decision.action == "hold":
                    assert decision.until is not None
                    moved = self._move(
                        session,
                        view.id,
                        Status.SCHEDULED,
                        Status.SCHEDULED,
                        now,
                        next_attempt_at=decision.until,
                        grace_from=decision.until,
                    )
                    event, status = "held", Status.SCHEDULED
                else:
                    status = Status.EXPIRED if decision.action == "expire" else Status.MISSED
                    moved = self._move(
                        session, view.id, Status.SCHEDULED, status, now, last_error=decision.reason
                    )
                    event = status.value
                if not moved:
                    continue
                _event(session, view.id, now, event, decision.reason)
                return recorded, Outcome(view.id, view.channel, status, event, decision.reason)

    def _unpaused(self, session: Session, channels: Sequence[str], now: datetime) -> list[str]:
        """The channels not paused at `now`; a pause whose time is up is lifted here."""
        paused = session.execute(
            select(ChannelState.name, ChannelState.paused_until).where(
                ChannelState.name.in_(channels), ChannelState.paused_reason.is_not(None)
            )
        ).all()
        if not paused:
            return list(channels)
        waiting = set()
        for name, until in paused:
            if until is not None and until <= now:
                session.execute(
                    update(ChannelState)
                    .where(ChannelState.name == name)
                    .values(paused_reason=None, paused_until=None, updated_at=now)
                )
            else:
                waiting.add(name)
        return [name for name in channels if name not in waiting]

    def _last_out(self, session: Session, state: ChannelState) -> datetime | None:
        """The last post out on this channel, or being sent by any daemon now: min_gap holds
        across daemons too. Published posts are summed up on the channel's row; the ones in
        flight are read through ix_posts_status_channel_claimed, so neither grows with history.
        """
        sending = session.scalar(
            select(func.max(Post.claimed_at)).where(
                Post.status == Status.PUBLISHING, Post.channel == state.name
            )
        )
        times = [t for t in (state.last_published_at, sending) if t is not None]
        return max(times, default=None)

    def settle_stale(
        self, now: datetime, rules: TickRules, dedup: Mapping[str, timedelta], worker: str
    ) -> list[Outcome]:
        """Posts left `publishing` by a daemon that died: retry them with the same key while
        the network can still recognise a repeat, else mark them `unknown` for a person."""
        cutoff = now - rules.worker_timeout
        with self.store.session() as session:
            recent = session.scalars(
                select(Heartbeat).where(
                    Heartbeat.last_tick_at >= cutoff, Heartbeat.stopped_at.is_(None)
                )
            )
            alive = {h.worker for h in recent if _process_alive(h.host, h.pid)}
            stale = list(
                session.scalars(
                    select(Post)
                    .where(
                        Post.status == Status.PUBLISHING,
                        or_(
                            Post.claimed_at < now - rules.claim_timeout,
                            and_(Post.claimed_by.is_not(None), Post.claimed_by.not_in(alive)),
                            # Between two posts this worker holds no claim: one of its own is
                            # left over from a tick that ended in an error.
                            Post.claimed_by == worker,
                        ),
                    )
                    .with_for_update(skip_locked=True)
                )
            )
            outcomes = []
            for post in stale:
                claimed_at = post.claimed_at or post.updated_at
                window = dedup.get(post.channel, timedelta(0))
                if now - claimed_at < window:
                    detail = _(
                        "left publishing by {worker} at {time}; retrying with the same "
                        "idempotency key"
                    ).format(worker=post.claimed_by, time=self._show(claimed_at))
                    # The interrupted attempt counts: LinkedIn adopts a duplicate only after
                    # an earlier attempt of ours.
                    self._move(
                        session,
                        post.id,
                        Status.PUBLISHING,
                        Status.SCHEDULED,
                        now,
                        attempts=post.attempts + 1,
                        next_attempt_at=now,
                        claimed_by=None,
                        claimed_at=None,
                    )
                    status, event = Status.SCHEDULED, "reclaimed"
                else:
                    detail = _(
                        "left publishing by {worker} at {time}; the network may or may not "
                        "have it and can no longer deduplicate a retry: check it, then `retry` "
                        "or leave it"
                    ).format(worker=post.claimed_by, time=self._show(claimed_at))
                    self._move(
                        session, post.id, Status.PUBLISHING, Status.UNKNOWN, now, last_error=detail
                    )
                    status, event = Status.UNKNOWN, "unknown"
                _event(session, post.id, now, event, detail)
                outcomes.append(Outcome(post.id, post.channel, status, event, detail))
        return outcomes

    # outcomes ------------------------------------------------------------------------------

    def note(self, post_id: int, now: datetime, event: str, detail: str) -> None:
        """An event that changes no status (a result that came back too late to record)."""
        with self.store.session() as session:
            _event(session, post_id, now, event, detail)

    def mark_published(
        self, post: PostView, worker: str, at: datetime, remote_id: str, url: str | None
    ) -> Outcome:
        return self.record(Published(post, at, remote_id, url), worker)

    def record(self, published: Published, worker: str) -> Outcome:
        """Record a published post alone, in its own transaction."""
        with self.store.session() as session:
            return self._record(session, published, worker)

    def _record(self, session: Session, published: Published, worker: str) -> Outcome:
        post, at, url = published.post, published.at, published.url
        detail = url or published.remote_id
        if published.note:
            detail = _("{address} ({note})").format(address=detail, note=published.note)
        self._finish(
            session,
            post,
            worker,
            Status.PUBLISHED,
            at,
            published_at=at,
            remote_id=published.remote_id,
            remote_url=url,
            attempts=post.attempts + 1,
            last_error=None,
            confirm_at=published.confirm_at,
            presence=None,
        )
        _event(session, post.id, at, "published", detail)
        last = ChannelState.last_published_at
        kept = session.execute(
            update(ChannelState)
            .where(ChannelState.name == post.channel)
            .values(
                last_ok_at=at,
                updated_at=at,
                last_published_at=case(
                    (or_(last.is_(None), last < at), literal(at, last.type)), else_=last
                ),
            )
        )
        if kept.rowcount != 1:  # type: ignore[attr-defined]
            state = self._state(session, post.channel, at)
            state.last_ok_at = state.last_published_at = at
        return Outcome(post.id, post.channel, Status.PUBLISHED, "published", detail, url)

    def reschedule(
        self,
        post: PostView,
        worker: str,
        now: datetime,
        when: datetime | None,
        detail: str,
        *,
        event: str = "retrying",
    ) -> Outcome:
        """Back to `scheduled`; a `retrying` attempt counts towards max_attempts, a post that
        waits for its channel (`rate-limited`, `paused`) does not."""
        attempts = post.attempts + 1 if event == "retrying" else post.attempts
        with self.store.session() as session:
            self._finish(
                session,
                post,
                worker,
                Status.SCHEDULED,
                now,
                next_attempt_at=when,
                attempts=attempts,
                last_error=detail,
            )
            _event(session, post.id, now, event, detail)
            state = self._state(session, post.channel, now)
            state.last_error, state.last_error_at = detail, now
        return Outcome(post.id, post.channel, Status.SCHEDULED, event, detail)

    def fail(self, post: PostView, worker: str, now: datetime, detail: str) -> Outcome:
        with self.store.session() as session:
            self._finish(
                session,
                post,
                worker,
                Status.FAILED,
                now,
                attempts=post.attempts + 1,
                last_error=detail,
            )
            _event(session, post.id, now, "failed", detail)
            state = self._state(session, post.channel, now)
            state.last_error, state.last_error_at = detail, now
        return Outcome(post.id, post.channel, Status.FAILED, "failed", detail)

    def unknown(self, post: PostView, worker: str, now: datetime, detail: str) -> Outcome:
        """A claimed post that may or may not be out, which could not be settled."""
        with self.store.session() as session:
            self._finish(
                session,
                post,
                worker,
                Status.UNKNOWN,
                now,
                attempts=post.attempts + 1,
                last_error=detail,
            )
            _event(session, post.id, now, "unknown", detail)
        return Outcome(post.id, post.channel, Status.UNKNOWN, "unknown", detail)

    def _finish(
        self,
        session: Session,
        post: PostView,
        worker: str,
        status: Status,
        now: datetime,
        **values: object,
    ) -> None:
        """Record an outcome only if this worker still holds the claim."""
        result = session.execute(
            update(Post)
            .where(Post.id == post.id, Post.status == Status.PUBLISHING, Post.claimed_by == worker)
            .values(status=status, claimed_by=None, claimed_at=None, updated_at=now, **values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ClaimLostError(post.id, worker)

    def _move(
        self,
        session: Session,
        post_id: int,
        was: Status,
        status: Status,
        now: datetime,
        **values: object,
    ) -> bool:
        result = session.execute(
            update(Post)
            .where(Post.id == post_id, Post.status == was)
            .values(status=status, updated_at=now, **values)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _event(session: Session, post_id: int, at: datetime, event: str, detail: str) -> None:
    session.execute(insert(Event).values(post_id=post_id, at=at, event=event, detail=detail))


def _process_alive(host: str, pid: int) -> bool:
    """False only when the worker ran on this host and its process is gone: a daemon killed
    with SIGKILL is known dead at once, without waiting for its heartbeat to age."""
    if host != socket.gethostname() or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
