"""Publishing: the Channel protocol and `publish_due`, the daemon's one tick.

The tick is a plain function of `now`: tests call it with fixed times, the daemon calls it on a
timer, the demo calls it with a simulated clock. It never raises for one post's failure; every
outcome is recorded with its event in one transaction, and returned; a post the network took is
recorded in the transaction that claims the next one.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from posts.claims import Claims
from posts.confirming import Confirmation, Sent, confirm_due
from posts.errors import AuthError, PermanentError, PublishError, RateLimitError, TransientError
from posts.language import gettext as _
from posts.link_gate import LinkGate
from posts.outcomes import ClaimLostError, Outcome, PostView, Published
from posts.policy import TickRules as TickRules  # where the daemon imports it
from posts.policy import backoff, shown_at

log = logging.getLogger("postsched.publishing")


@dataclass
class TickReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, event: str) -> int:
        return sum(1 for o in self.outcomes if o.event == event)


@dataclass(frozen=True)
class Receipt:
    """What a network says it made of a post. `note`: what the log should say of an answer
    that could not be kept (a returned URL that is not a web address, say)."""

    remote_id: str
    url: str | None
    note: str | None = None


class Channel(Protocol):
    """One account on one network. `publish` raises TransientError (or RateLimitError),
    PermanentError or AuthError, and nothing else on purpose."""

    name: str
    # How long after an attempt the network still recognises a repeat of it (Mastodon's
    # Idempotency-Key lasts about an hour); a post left `publishing` by a crash is retried
    # within it, and marked `unknown` after it.
    dedup_window: timedelta

    def publish(self, post: PostView) -> Receipt: ...

    def confirm(self, post: Sent) -> Confirmation:
        """Read a published post back: present or not (404/410); raises as `publish` does
        when the network cannot answer (TransientError), refuses the token (AuthError) or the
        read for good (PermanentError)."""
        ...

    def find(self, post: PostView, since: datetime) -> Receipt | None:
        """The post among the account's own latest ones (same text, made after `since`), or
        None when it is not there; raises as `publish` does when the network cannot say."""
        ...


# How long before a post's due time a status found by `find` may have been made (clocks differ).
FIND_SLACK = timedelta(minutes=2)


# How often a tick that publishes a run of posts beats the heartbeat, at most.
HEARTBEAT_EVERY = timedelta(seconds=1)


def publish_due(
    claims: Claims,
    channels: Mapping[str, Channel],
    rules: TickRules,
    now: datetime,
    *,
    worker: str,
    clock: Callable[[], datetime] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_outcome: Callable[[Outcome], None] | None = None,
    rng: random.Random | None = None,
    links: LinkGate | None = None,
) -> TickReport:
    """Publish every post due at `now` on the given channels; return what happened to each.
    `links`: ask each post's links first and hold a post whose link is dead (posts/link_gate.py;
    None, as in the demo: links are not asked)."""
    report = TickReport()
    clock = clock or (lambda: now)

    def note(outcome: Outcome) -> None:
        report.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    claims.heartbeat(worker, now)
    beaten, unbeaten = now, False
    dedup = {name: channel.dedup_window for name, channel in channels.items()}
    for outcome in claims.settle_stale(now, rules, dedup, worker):
        note(outcome)
    # A post the network took is recorded in the transaction that claims the next post: one
    # commit a post. The claim is still committed before the next send, and a record that a
    # crash loses leaves its post `publishing`, which settle_stale settles (docs/reliability.md).
    pending: Published | None = None
    while True:
        if should_stop():
            if pending is not None:
                _record(claims, pending, worker, clock, note)
            break
        # `now` decides which posts this tick takes (so it ends); each post is claimed,
        # judged and recorded at the time it is reached, which a long tick moves on.
        # claim_next leaves paused channels out itself, in the claim's transaction.
        current = clock()
        if pending is None:
            step = claims.claim_next(current, list(channels), worker, rules, due_by=now)
        else:
            published, pending = pending, None
            try:
                recorded, step = claims.record_and_claim(
                    published, current, list(channels), worker, rules, due_by=now
                )
            except ClaimLostError as exc:
                _claim_lost(claims, exc, clock)
                continue
            note(recorded)
        if step is None:
            break
        if isinstance(step, Outcome):
            note(step)
            continue
        try:
            held = links.hold(claims, step, worker, clock(), rules) if links else None
            result = held or _publish_one(
                claims, channels[step.channel], step, rules, worker, clock, rng
            )
        except ClaimLostError as exc:
            _claim_lost(claims, exc, clock)
        else:
            if isinstance(result, Published):
                pending = result
            else:
                note(result)
        # The heartbeat tells other daemons this one is alive (they settle a dead one's claims
        # after rules.worker_timeout, minutes): once a second is plenty, and per post is a
        # transaction per post.
        unbeaten = True
        at = clock()
        if at - beaten >= HEARTBEAT_EVERY:
            claims.heartbeat(worker, at)
            beaten, unbeaten = at, False
    if rules.confirm_after is not None and not should_stop():
        # Publishing first: the reads never delay a due post.
        channel_map: Mapping[str, Channel] = channels
        for outcome in confirm_due(claims, channel_map, rules, clock(), limit=rules.confirm_batch):
            note(outcome)
        unbeaten = True
    if unbeaten:
        claims.heartbeat(worker, clock())
    return report


def _record(
    claims: Claims,
    published: Published,
    worker: str,
    clock: Callable[[], datetime],
    note: Callable[[Outcome], None],
) -> None:
    try:
        note(claims.record(published, worker))
    except ClaimLostError as exc:
        _claim_lost(claims, exc, clock)


def _claim_lost(claims: Claims, exc: ClaimLostError, clock: Callable[[], datetime]) -> None:
    """Another daemon took this post for dead and settled it; say so in its log, where a
    person checking for a duplicate will look."""
    detail = _("{claim}: its outcome came back after the claim was settled").format(claim=exc)
    log.warning(detail)
    claims.note(exc.post_id, clock(), "late-result", detail)


def _publish_one(
    claims: Claims,
    channel: Channel,
    post: PostView,
    rules: TickRules,
    worker: str,
    clock: Callable[[], datetime],
    rng: random.Random | None,
) -> Outcome | Published:
    """Send one claimed post. A failure is recorded here; a success is returned, stamped with
    the time the network answered, for the caller to record with the next claim."""
    try:
        receipt = channel.publish(post)
    except Exception as exc:
        settled: str | None = None
        if post.attempts >= 1 and _answer_lost(exc):
            found, settled = _reconcile(channel, post, exc)
            if found is not None:
                receipt = found
                return _published(post, clock(), receipt, rules)
        return _record_failure(claims, post, rules, worker, clock(), rng, exc, settled)
    return _published(post, clock(), receipt, rules)


def _published(post: PostView, at: datetime, receipt: Receipt, rules: TickRules) -> Published:
    confirm_at = at + rules.confirm_after if rules.confirm_after is not None else None
    return Published(post, at, receipt.remote_id, receipt.url, receipt.note, confirm_at)


def _answer_lost(error: Exception) -> bool:
    """A timeout or a 5xx: the network may have made the post without our hearing of it."""
    return isinstance(error, TransientError) and not isinstance(error, RateLimitError)


def _reconcile(
    channel: Channel, post: PostView, error: Exception
) -> tuple[Receipt | None, str | None]:
    """Look for a retried post among the account's own latest ones (the answer to an earlier
    attempt may have been lost, and Mastodon 4.6.0-4.6.5 answers 500 to every repeat of its
    Idempotency-Key, mastodon/mastodon#40399). (receipt, None) when it is there; (None, None)
    when it is not; (None, why) when the network could not say."""
    find = getattr(channel, "find", None)  # a channel without the read cannot reconcile
    if find is None:
        return None, None
    try:
        found = find(post, post.due - FIND_SLACK)
    except PublishError as exc:
        attempt = post.attempts + 1
        return None, _(
            "attempt {attempt} failed ({error}); looking for the post failed ({reason})"
        ).format(attempt=attempt, error=error, reason=exc)
    if found is None:
        return None, None
    note = _(
        "found among the account's latest posts after attempt {attempt} failed: {error}"
    ).format(attempt=post.attempts + 1, error=error)
    if found.note:
        note = _("{note}; {more}").format(note=note, more=found.note)
    return Receipt(found.remote_id, found.url, note), None


def _record_failure(
    claims: Claims,
    post: PostView,
    rules: TickRules,
    worker: str,
    now: datetime,
    rng: random.Random | None,
    error: Exception,
    unsettled: str | None = None,
) -> Outcome:
    """Classify once (DESIGN.md rule 4): wait, retry, pause or fail. `unsettled`: why a post
    that may be out could not be looked for; on its last attempt it becomes `unknown`."""
    attempt = post.attempts + 1
    try:
        raise error
    except RateLimitError as exc:
        until = exc.retry_after or now + backoff(attempt, rules, rng)
        claims.pause_channel(post.channel, _("rate limited: {error}").format(error=exc), until, now)
        return claims.reschedule(
            post,
            worker,
            now,
            until,
            _("waiting until {time}: {error}").format(time=shown_at(until, rules), error=exc),
            event="rate-limited",
        )
    except TransientError as exc:
        if attempt >= rules.max_attempts:
            if unsettled is not None:
                return claims.unknown(
                    post,
                    worker,
                    now,
                    _(
                        "gave up after {attempts} attempts; {why}: it may be out, check the "
                        "account, then `retry` or leave it"
                    ).format(attempts=attempt, why=unsettled),
                )
            return claims.fail(
                post,
                worker,
                now,
                _("gave up after {attempts} attempts: {error}").format(attempts=attempt, error=exc),
            )
        delay = backoff(attempt, rules, rng)
        when = max(now + delay, exc.retry_after or now)
        return claims.reschedule(
            post,
            worker,
            now,
            when,
            _("attempt {attempt} failed ({error}); next at {time}").format(
                attempt=attempt, error=exc, time=shown_at(when, rules)
            ),
        )
    except AuthError as exc:
        claims.pause_channel(
            post.channel, _("authentication refused: {error}").format(error=exc), None, now
        )
        return claims.reschedule(
            post,
            worker,
            now,
            None,
            _("channel {channel} paused: {error}").format(channel=post.channel, error=exc),
            event="paused",
        )
    except PermanentError as exc:
        return claims.fail(post, worker, now, str(exc))
    except Exception as exc:  # an adapter bug: fail the post (never risk a repeat), keep going
        log.exception(_("unexpected error publishing post {id}").format(id=post.id))
        return claims.fail(
            post,
            worker,
            now,
            _("unexpected {kind}: {error}").format(kind=type(exc).__name__, error=exc),
        )
