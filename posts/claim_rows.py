"""The claim store's steps on rows, each inside the transaction of a `Claims` verb: a channel's
row created or locked, the channels not paused, the last post out, a post moved from one status
to another, an event added.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from posts.models import ChannelState, Event, Post, Status
from posts.outcomes import ClaimLostError, PostView

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SQLiteInsert


def upsert(session: Session, table: Any) -> PostgresInsert | SQLiteInsert:
    """An INSERT that takes ON CONFLICT, in the session's database's own words. The dialect is
    imported here, when needed: PostgreSQL's costs every command 40 ms on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgres_insert

        return postgres_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def channel_row(session: Session, channel: str, now: datetime) -> ChannelState:
    """The channel's row, created if missing; INSERT ... ON CONFLICT DO NOTHING, because two
    daemons may record the first outcome of a channel at the same moment."""
    state = session.get(ChannelState, channel)
    if state is None:
        values = {"name": channel, "updated_at": now}
        session.execute(upsert(session, ChannelState).values(values).on_conflict_do_nothing())
        state = session.get(ChannelState, channel, populate_existing=True)
        assert state is not None
    state.updated_at = now
    return state


def lock_channel(
    session: Session, channel: str, now: datetime, *, wait: bool = True
) -> ChannelState | None:
    """The channel's row, locked. With `wait=False`, None if another transaction holds it
    or it does not exist yet: a transaction that already locks a channel (its record)
    never waits for a second one, so two daemons cannot deadlock."""
    lock: dict[str, bool] | bool = True if wait else {"skip_locked": True}
    state = session.get(ChannelState, channel, with_for_update=lock, populate_existing=True)
    if state is None and not wait:
        return None
    if state is None:
        channel_row(session, channel, now)
        state = session.get(ChannelState, channel, with_for_update=True, populate_existing=True)
        assert state is not None
    return state


def unpaused(session: Session, channels: Sequence[str], now: datetime) -> list[str]:
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


def last_out(session: Session, state: ChannelState) -> datetime | None:
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


def move(
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


def finish(
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


def add_event(session: Session, post_id: int, at: datetime, event: str, detail: str) -> None:
    session.execute(insert(Event).values(post_id=post_id, at=at, event=event, detail=detail))


def process_alive(host: str, pid: int) -> bool:
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
