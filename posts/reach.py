"""Reach: what each published post reached, read at `[daemon] reach_after` after publication.

Each read is its own row in reach_snapshots, never updated. A network that refuses the read
(403, a missing scope, a dry run) is recorded once, and later snapshots of that post are not
asked; an answer that is not what the network's docs say is recorded for that snapshot only; a
network that cannot be reached is asked again at a later tick.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from posts.errors import AuthError, PermanentError, TransientError, UnreadableAnswerError
from posts.language import gettext as _
from posts.models import Post, ReachSnapshot, Status
from posts.store import Store

log = logging.getLogger("postsched.reach")
Schedule = Sequence[tuple[str, timedelta]]  # (label, delay after publication), shortest first
PER_TICK = 3  # reads a tick makes at most, so that snapshots never hold up a due post


@runtime_checkable
class ReachReader(Protocol):
    """A channel that can read a published post's counts. `reach` returns them under the
    network's own names, or raises PermanentError (the read is refused: recorded once),
    UnreadableAnswerError (recorded for this snapshot), TransientError or AuthError (asked
    again later)."""

    name: str
    network: str

    def reach(self, remote_id: str) -> dict[str, int]: ...


@dataclass(frozen=True)
class Taken:
    post_id: int
    channel: str
    snapshot: str
    counts: dict[str, int] | None
    reason: str | None
    refused: bool


def due_snapshot(
    published_at: datetime, taken: set[str], schedule: Schedule, now: datetime
) -> str | None:
    """The snapshot to take now: the latest one due, unless it is taken. Earlier ones a daemon
    that was down missed are not taken late under their name (a "1h" read a day after would
    say something false)."""
    latest = None
    for label, delay in schedule:
        if published_at + delay <= now:
            latest = label
    if latest is None or latest in taken:
        return None
    return latest


def take_snapshots(
    store: Store,
    readers: Mapping[str, ReachReader],
    schedule: Schedule,
    now: datetime,
    *,
    limit: int = PER_TICK,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[Taken]:
    """Take up to `limit` due snapshots, oldest post first; return what was recorded."""
    if not schedule or not readers:
        return []
    shortest, last = schedule[0][1], schedule[-1][0]
    settled = select(ReachSnapshot.id).where(
        ReachSnapshot.post_id == Post.id,
        (ReachSnapshot.refused.is_(True)) | (ReachSnapshot.snapshot == last),
    )
    with store.session() as session:
        candidates = session.execute(
            select(Post.id, Post.channel, Post.remote_id, Post.published_at)
            .where(
                Post.status == Status.PUBLISHED,
                Post.channel.in_(list(readers)),
                Post.remote_id.is_not(None),
                Post.published_at <= now - shortest,
                ~exists(settled),
            )
            .order_by(Post.published_at, Post.id)
        ).all()
        ids = [row.id for row in candidates]
        labels: dict[int, set[str]] = {}
        for post_id, name in session.execute(
            select(ReachSnapshot.post_id, ReachSnapshot.snapshot).where(
                ReachSnapshot.post_id.in_(ids)
            )
        ):
            labels.setdefault(post_id, set()).add(name)
    taken: list[Taken] = []
    resting: set[str] = set()  # channels that could not be reached this tick
    for post_id, channel, remote_id, published_at in candidates:
        if len(taken) >= limit or should_stop():
            break
        if channel in resting or remote_id is None or published_at is None:
            continue
        label = due_snapshot(published_at, labels.get(post_id, set()), schedule, now)
        if label is None:
            continue
        reader = readers[channel]
        try:
            counts: dict[str, int] | None = reader.reach(remote_id)
            reason, refused = None, False
        except (TransientError, AuthError) as exc:
            log.info(
                _("reach of post {id} on {channel} not read now: {error}").format(
                    id=post_id, channel=channel, error=exc
                )
            )
            resting.add(channel)
            continue
        except PermanentError as exc:
            counts, reason, refused = None, str(exc), True
        except UnreadableAnswerError as exc:
            counts, reason, refused = None, str(exc), False
        row = Taken(post_id, channel, label, counts, reason, refused)
        if _record(store, row, reader.network, now):
            taken.append(row)
    return taken


def _record(store: Store, taken: Taken, network: str, now: datetime) -> bool:
    """Insert the snapshot; False when another daemon recorded it first."""
    try:
        with store.session() as session:
            session.add(
                ReachSnapshot(
                    post_id=taken.post_id,
                    taken_at=now,
                    snapshot=taken.snapshot,
                    channel=taken.channel,
                    network=network,
                    counts=None if taken.counts is None else json.dumps(taken.counts),
                    reason=taken.reason,
                    refused=taken.refused,
                )
            )
    except IntegrityError:
        return False
    return True
