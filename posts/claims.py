"""The daemon's side of the store: claim, settle and record, each in one short transaction.

A post is claimed by a conditional UPDATE (scheduled -> publishing) before any network call.
On PostgreSQL the candidate row is also selected FOR UPDATE SKIP LOCKED, so concurrent daemons
skip each other's rows; SQLite ignores that clause and the conditional UPDATE (inside a
`BEGIN IMMEDIATE` transaction, see scheduler/database.py) is what protects it there.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select

from posts.claim_rows import (
    add_event,
    channel_row,
    last_out,
    lock_channel,
    move,
    process_alive,
    unpaused,
)
from posts.language import gettext as _
from posts.models import ChannelState, Heartbeat, Post, Status
from posts.outcomes import VIEW_COLUMNS, PostView, Published
from posts.outcomes import Outcome as Outcome  # where the daemon imports it
from posts.policy import TickRules, decide
from posts.recording import Recorder

_due = func.coalesce(Post.next_attempt_at, Post.due_at)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


class Claims(Recorder):
    """The daemon's heartbeat, its channels' pauses, its claims and the settling of claims left
    by a dead daemon; the records of outcomes come from Recorder (posts/recording.py)."""

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
            state = channel_row(session, channel, now)
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

    # claiming ------------------------------------------------------------------------------

    def claim_next(
        self,
        now: datetime,
        channels: Sequence[str],
        worker: str,
        rules: TickRules,
        due_by: datetime | None = None,
    ) -> PostView | Outcome | None:
        """Take the most overdue post on `channels`, or settle it without publishing.

        Returns the claimed post, or the Outcome of an expire/miss/hold decision, or None when
        nothing is due by `due_by` (default `now`, the time the claim is stamped with). Paused
        channels are left out, in the same transaction. The policy (posts/policy.py `decide`,
        judging at `now` by `rules`) gets the time of the last post out on the post's channel;
        when min_gap is 0 it gets None and that time is not looked up.
        """
        return self._claim(now, channels, worker, rules, due_by, None)[1]

    def record_and_claim(
        self,
        published: Published,
        now: datetime,
        channels: Sequence[str],
        worker: str,
        rules: TickRules,
        due_by: datetime | None = None,
    ) -> tuple[Outcome, PostView | Outcome | None]:
        """Record a published post and claim the next one, in one transaction (one commit).

        The record comes first, so the claim sees it (min_gap counts from its publication);
        the claim is committed with it, before the next post is sent, as `claim_next` does.
        ClaimLostError (the record's claim was settled by another daemon) rolls both back.
        """
        recorded, step = self._claim(now, channels, worker, rules, due_by, published)
        assert recorded is not None
        return recorded, step

    def _claim(
        self,
        now: datetime,
        channels: Sequence[str],
        worker: str,
        rules: TickRules,
        due_by: datetime | None,
        published: Published | None,
    ) -> tuple[Outcome | None, PostView | Outcome | None]:
        recorded = None
        gap = bool(rules.min_gap)
        while True:
            with self.store.session() as session:
                if published is not None:
                    recorded = self._record(session, published, worker)
                    locked, published = published.post.channel, None
                else:
                    locked = None
                if not channels:
                    return recorded, None
                active = unpaused(session, channels, now)
                if not active:
                    return recorded, None
                row = session.execute(
                    select(*VIEW_COLUMNS)
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
                state = lock_channel(session, view.channel, now, wait=wait)
                if state is None:
                    continue
                last = last_out(session, state) if gap else None
                decision = decide(view, last, now=now, rules=rules)
                if decision.action == "claim":
                    if move(
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
                    moved = move(
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
                    moved = move(
                        session, view.id, Status.SCHEDULED, status, now, last_error=decision.reason
                    )
                    event = status.value
                if not moved:
                    continue
                add_event(session, view.id, now, event, decision.reason)
                return recorded, Outcome(view.id, view.channel, status, event, decision.reason)

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
            alive = {h.worker for h in recent if process_alive(h.host, h.pid)}
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
                    move(
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
                    move(
                        session, post.id, Status.PUBLISHING, Status.UNKNOWN, now, last_error=detail
                    )
                    status, event = Status.UNKNOWN, "unknown"
                add_event(session, post.id, now, event, detail)
                outcomes.append(Outcome(post.id, post.channel, status, event, detail))
        return outcomes
