"""Confirmation: each published post is read back from its network `confirm_after` later.

The read answers `confirmed` (the network shows it) or `vanished` (404/410: removed, or never
visible), each an event in the post log. The post stays `published` either way: `vanished` is
kept in the post's `presence` column, which the queue, `status` and the email to the officer
show as needing a person. A network that cannot be reached (timeout, 5xx, 429) is asked again
later, with a growing delay, never counted as vanished; a 401 pauses the channel as publishing
does, and the read waits for it.

Each read is taken by a conditional UPDATE that moves its `confirm_at` on by `claim_timeout`
before the network call, so two daemons never read one post together, and a daemon that dies
in the middle leaves a read that another takes again later.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import insert, select, update

from posts.claims import Claims
from posts.errors import AuthError, PermanentError, RateLimitError, TransientError
from posts.language import gettext as _
from posts.language import show_time
from posts.models import Event, Post, Status
from posts.outcomes import Outcome
from posts.policy import TickRules

log = logging.getLogger("postsched.confirming")

CONFIRMED, VANISHED, UNCONFIRMED = "confirmed", "vanished", "unconfirmed"


@dataclass(frozen=True)
class Sent:
    """A published post as its network knows it: what a read-back needs."""

    id: int
    channel: str
    body: str
    remote_id: str
    remote_url: str | None
    published_at: datetime


@dataclass(frozen=True)
class Confirmation:
    """What the network said of a published post: there (`present`) or gone, and in what words."""

    present: bool
    detail: str = ""


class Confirmer(Protocol):
    name: str

    def confirm(self, post: Sent) -> Confirmation: ...


def confirm_due(
    claims: Claims,
    channels: Mapping[str, Confirmer],
    rules: TickRules,
    now: datetime,
    *,
    limit: int = 5,
) -> list[Outcome]:
    """Read back up to `limit` published posts whose confirmation is due at `now`."""
    active = [
        name
        for name, channel in channels.items()
        if hasattr(channel, "confirm") and not claims.is_paused(name, now)
    ]
    outcomes: list[Outcome] = []
    for sent, taken in _take(claims, active, now, rules.claim_timeout, limit):
        if claims.is_paused(sent.channel, now):  # a 401 or 429 earlier in this batch
            _release(claims, sent, taken, now)
            continue
        outcome = _confirm_one(claims, channels[sent.channel], sent, taken, rules, now)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _take(
    claims: Claims, channels: list[str], now: datetime, hold: timedelta, limit: int
) -> list[tuple[Sent, datetime]]:
    """The due reads, each taken by moving its confirm_at on to `now + hold`."""
    if not channels:
        return []
    taken = []
    with claims.store.session() as session:
        rows = session.execute(
            select(
                Post.id,
                Post.channel,
                Post.body,
                Post.remote_id,
                Post.remote_url,
                Post.published_at,
                Post.confirm_at,
            )
            .where(
                Post.confirm_at <= now,
                Post.status == Status.PUBLISHED,
                Post.channel.in_(channels),
            )
            .order_by(Post.confirm_at, Post.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for pid, channel, body, remote_id, url, published_at, due in rows:
            moved = session.execute(
                update(Post)
                .where(Post.id == pid, Post.confirm_at == due)
                .values(confirm_at=now + hold)
            )
            if moved.rowcount == 1 and remote_id:  # type: ignore[attr-defined]
                sent = Sent(pid, channel, body, remote_id, url, published_at or now)
                taken.append((sent, now + hold))
    return taken


def _confirm_one(
    claims: Claims,
    channel: Confirmer,
    sent: Sent,
    taken: datetime,
    rules: TickRules,
    now: datetime,
) -> Outcome | None:
    try:
        answer = channel.confirm(sent)
    except RateLimitError as exc:
        until = exc.retry_after or now + rules.backoff_base
        claims.pause_channel(sent.channel, _("rate limited: {error}").format(error=exc), until, now)
        _later(claims, sent, taken, max(until, now + rules.backoff_base), f"{exc}")
        return None
    except AuthError as exc:
        claims.pause_channel(
            sent.channel, _("authentication refused: {error}").format(error=exc), None, now
        )
        _release(claims, sent, taken, now)
        return Outcome(sent.id, sent.channel, Status.PUBLISHED, "paused", str(exc), sent.remote_url)
    except TransientError as exc:
        _later(claims, sent, taken, now + _delay(sent, rules, now), str(exc))
        return None
    except PermanentError as exc:
        detail = _("could not be read back: {error}").format(error=exc)
        return _settle(claims, sent, taken, now, UNCONFIRMED, detail)
    except Exception as exc:  # an adapter bug: say so, stop asking, keep the tick going
        log.exception(_("unexpected error confirming post {id}").format(id=sent.id))
        detail = _("could not be read back: unexpected {kind}: {error}").format(
            kind=type(exc).__name__, error=exc
        )
        return _settle(claims, sent, taken, now, UNCONFIRMED, detail)
    if answer.present:
        detail = answer.detail or _("still there: {address}").format(
            address=sent.remote_url or sent.remote_id
        )
        return _settle(claims, sent, taken, now, CONFIRMED, detail)
    detail = answer.detail or _("{address} is no longer there").format(
        address=sent.remote_url or sent.remote_id
    )
    return _settle(claims, sent, taken, now, VANISHED, detail)


def _delay(sent: Sent, rules: TickRules, now: datetime) -> timedelta:
    """Half the post's age, between retry_base and retry_cap: the delay grows by half each
    time the network cannot be reached."""
    age = now - sent.published_at
    return min(max(age / 2, rules.backoff_base), rules.backoff_cap)


def _later(claims: Claims, sent: Sent, taken: datetime, when: datetime, why: str) -> None:
    shown = show_time(when, claims.store.display_tz)
    log.warning(
        _("post {id}: read-back deferred to {time}: {why}").format(id=sent.id, time=shown, why=why)
    )
    with claims.store.session() as session:
        session.execute(
            update(Post).where(Post.id == sent.id, Post.confirm_at == taken).values(confirm_at=when)
        )


def _release(claims: Claims, sent: Sent, taken: datetime, now: datetime) -> None:
    """Give the read back, due at once: it waits for its channel to be resumed."""
    _later(claims, sent, taken, now, _("its channel is paused"))


def _settle(
    claims: Claims, sent: Sent, taken: datetime, now: datetime, presence: str, detail: str
) -> Outcome | None:
    with claims.store.session() as session:
        moved = session.execute(
            update(Post)
            .where(Post.id == sent.id, Post.confirm_at == taken)
            .values(confirm_at=None, presence=presence, updated_at=now)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            return None  # another daemon took it after our hold ran out, and settles it
        session.execute(
            insert(Event).values(post_id=sent.id, at=now, event=presence, detail=detail)
        )
    return Outcome(sent.id, sent.channel, Status.PUBLISHED, presence, detail, sent.remote_url)
