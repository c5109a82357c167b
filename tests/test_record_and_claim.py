"""The tick records post N and claims post N+1 in one transaction (one commit a post): the
rules that the two separate transactions kept must still hold."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

import posts.claim_rows
import posts.claims
from posts.claims import Claims
from posts.models import ChannelState, Post, Status
from posts.outcomes import PostView
from posts.publishing import Receipt, publish_due
from posts.store import Store
from tests.factories import ScriptedChannel
from tests.test_publishing import RULES, T0, add, claims, events, store, tick

__all__ = ["claims", "store"]  # the fixtures, imported for this module's tests


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class SlowChannel(ScriptedChannel):
    """Each send takes `took` on the tick's clock, and checks what is committed meanwhile."""

    def __init__(self, name: str, clock: Clock, store: Store, took: timedelta):
        super().__init__(name)
        self.clock, self.store, self.took = clock, store, took
        self.seen: list[tuple[int, Status, list[Status]]] = []

    def publish(self, post: PostView) -> Receipt:
        # A fresh session sees only what is committed.
        earlier = [self.store.get(c.id).status for c in self.calls]
        self.seen.append((post.id, self.store.get(post.id).status, earlier))
        self.clock.now += self.took
        return super().publish(post)


def test_min_gap_counts_from_the_recorded_publication_in_the_same_transaction(
    store: Store, claims: Claims
) -> None:
    """Post B is judged after A's record, in A's transaction: held min_gap after A's
    publication (T0 + 3 min + 30 min), not after A's claim (T0 + 30 min)."""
    a, b = add(store, due=T0), add(store, due=T0)
    rules = replace(RULES, min_gap=timedelta(minutes=30))
    clock = Clock(T0)
    channel = SlowChannel("mastodon", clock, store, timedelta(minutes=3))
    report = publish_due(claims, {"mastodon": channel}, rules, T0, worker="w1", clock=clock)
    assert [(o.post_id, o.event) for o in report.outcomes] == [
        (a.id, "published"),
        (b.id, "held"),
    ]
    assert store.get(a.id).published_at == T0 + timedelta(minutes=3)
    assert store.get(b.id).next_attempt_at == T0 + timedelta(minutes=33)
    assert claims.channel_states()["mastodon"].last_published_at == T0 + timedelta(minutes=3)


def test_each_claim_is_committed_before_its_send_and_the_previous_record_with_it(
    store: Store, claims: Claims
) -> None:
    posts = [add(store, due=T0) for _ in range(3)]
    clock = Clock(T0)
    channel = SlowChannel("mastodon", clock, store, timedelta(seconds=1))
    publish_due(claims, {"mastodon": channel}, RULES, T0, worker="w1", clock=clock)
    assert channel.seen == [
        (posts[0].id, Status.PUBLISHING, []),
        (posts[1].id, Status.PUBLISHING, [Status.PUBLISHED]),
        (posts[2].id, Status.PUBLISHING, [Status.PUBLISHED, Status.PUBLISHED]),
    ]
    assert [store.get(p.id).status for p in posts] == [Status.PUBLISHED] * 3


def test_a_crash_between_the_send_and_the_record_with_the_next_claim_loses_nothing(
    store: Store, claims: Claims, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transaction that records A and claims B fails: both roll back. A is left
    `publishing` under this worker (as after a crash mid-send), B is untouched; the next tick
    retries A with the same key and publishes B, each once on the network's side."""
    a, b = add(store, due=T0), add(store, due=T0)
    channel = ScriptedChannel("mastodon")
    unpaused = posts.claim_rows.unpaused
    calls = []

    def failing(*args: object) -> list[str]:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return unpaused(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(posts.claims, "unpaused", failing)
    with pytest.raises(RuntimeError):
        tick(claims, {"mastodon": channel}, T0)
    monkeypatch.undo()
    left, waiting = store.get(a.id), store.get(b.id)
    assert (left.status, left.claimed_by, left.published_at) == (Status.PUBLISHING, "w1", None)
    assert events(store, a.id) == ["added"]
    assert (waiting.status, waiting.claimed_by, waiting.attempts) == (Status.SCHEDULED, None, 0)
    assert claims.channel_states().get("mastodon") is None or (
        claims.channel_states()["mastodon"].last_published_at is None
    )
    later = T0 + timedelta(seconds=5)
    assert tick(claims, {"mastodon": channel}, later) == [
        (a.id, "reclaimed"),
        (b.id, "published"),  # due before A's retry time
        (a.id, "published"),
    ]
    assert [c.idempotency_key for c in channel.calls] == [
        a.idempotency_key,
        b.idempotency_key,
        a.idempotency_key,
    ]
    assert events(store, a.id) == ["added", "reclaimed", "published"]


def test_a_record_whose_claim_was_settled_meanwhile_is_refused_and_the_next_post_still_goes(
    store: Store, claims: Claims
) -> None:
    """Another daemon settled A's claim while it was sent: the combined transaction rolls back
    (no record, no claim), A gets a `late-result` event, and B is claimed on its own."""
    a, b = add(store, due=T0), add(store, due=T0)

    class Stolen(ScriptedChannel):
        def publish(self, post: PostView) -> Receipt:
            if post.id == a.id:
                with store.session() as session:
                    session.execute(
                        update(Post)
                        .where(Post.id == a.id)
                        .values(claimed_by="w2")  # another daemon took it over
                    )
            return super().publish(post)

    channel = Stolen("mastodon")
    report = publish_due(
        claims, {"mastodon": channel}, RULES, T0, worker="w1", rng=random.Random(1)
    )
    assert [(o.post_id, o.event) for o in report.outcomes] == [(b.id, "published")]
    assert events(store, a.id) == ["added", "late-result"]
    assert (store.get(a.id).status, store.get(a.id).claimed_by) == (Status.PUBLISHING, "w2")
    assert store.get(b.id).status == Status.PUBLISHED


def test_the_last_post_of_a_tick_stopped_after_its_send_is_recorded(
    store: Store, claims: Claims
) -> None:
    posts = [add(store, due=T0) for _ in range(3)]
    channel = ScriptedChannel("mastodon")
    report = publish_due(
        claims,
        {"mastodon": channel},
        RULES,
        T0,
        worker="w1",
        should_stop=lambda: len(channel.calls) >= 2,
    )
    assert [(o.post_id, o.event) for o in report.outcomes] == [
        (posts[0].id, "published"),
        (posts[1].id, "published"),
    ]
    statuses = [store.get(p.id).status for p in posts]
    assert statuses == [Status.PUBLISHED, Status.PUBLISHED, Status.SCHEDULED]
    with store.session() as session:
        assert session.scalar(select(ChannelState.last_published_at)) == T0


def test_a_record_on_one_channel_and_a_claim_on_another_share_the_transaction(
    store: Store, claims: Claims
) -> None:
    """Alternating channels: the record's channel row and the next claim's are two rows; the
    first time the second channel has no row yet, which the claim creates after committing
    the record."""
    posts = [add(store, channel=("mastodon", "linkedin")[i % 2], due=T0) for i in range(4)]
    channels = {name: ScriptedChannel(name) for name in ("mastodon", "linkedin")}
    assert tick(claims, channels, T0) == [(p.id, "published") for p in posts]  # type: ignore[arg-type]
    assert {n: s.last_published_at for n, s in claims.channel_states().items()} == {
        "mastodon": T0,
        "linkedin": T0,
    }
