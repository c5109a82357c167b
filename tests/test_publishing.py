"""The tick, `publish_due(..., now)`, called with fixed times for every rule it keeps."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from posts.claims import Claims
from posts.errors import AuthError, PermanentError, RateLimitError, TransientError
from posts.models import Post, Status
from posts.outcomes import PostView
from posts.policy import TickRules
from posts.publishing import Receipt, publish_due
from posts.store import Store
from scheduler.channels.dryrun import DryRunChannel
from scheduler.channels.linkedin_request import build_request as linkedin_request
from scheduler.channels.mastodon import build_request as mastodon_request
from tests.factories import ScriptedChannel, migrated_store, queue
from tests.factories import config as make_config

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # Monday 2 March 2026, 09:30 in Paris
RULES = TickRules(grace=timedelta(hours=2), max_attempts=3, min_gap=timedelta(0))


@pytest.fixture
def store(database_url: str) -> Store:
    return migrated_store(database_url)


@pytest.fixture
def claims(store: Store) -> Claims:
    return Claims(store)


def add(store: Store, channel: str = "mastodon", due: datetime = T0, **extra: object) -> Post:
    return queue(store, due, now=due - timedelta(days=1), channel=channel, **extra)


def tick(
    claims: Claims,
    channels: dict[str, ScriptedChannel],
    now: datetime,
    rules: TickRules = RULES,
    worker: str = "w1",
) -> list[tuple[int, str]]:
    report = publish_due(claims, channels, rules, now, worker=worker, rng=random.Random(1))
    return [(o.post_id, o.event) for o in report.outcomes]


def events(store: Store, post_id: int) -> list[str]:
    return [e.event for e in store.get(post_id).events]


def test_a_due_post_is_published_and_a_future_one_waits(store: Store, claims: Claims) -> None:
    due, later = add(store), add(store, due=T0 + timedelta(minutes=5))
    channel = ScriptedChannel("mastodon")
    assert tick(claims, {"mastodon": channel}, T0) == [(due.id, "published")]
    post = store.get(due.id)
    assert post.status == Status.PUBLISHED and post.remote_id == f"r{due.id}"
    assert post.published_at == T0 and post.attempts == 1
    assert store.get(later.id).status == Status.SCHEDULED
    assert [c.idempotency_key for c in channel.calls] == [due.idempotency_key]
    assert events(store, due.id) == ["added", "published"]


def test_a_post_whose_link_dies_before_publishing_is_expired(store: Store, claims: Claims) -> None:
    link_end = T0 + timedelta(hours=6)  # less than the 12 h safety margin away
    post = add(store, link="https://shs.cairn.info/x", link_expires_at=link_end)
    channel = ScriptedChannel("mastodon")
    assert tick(
        claims, {"mastodon": channel}, T0, replace(RULES, safety_margin=timedelta(hours=12))
    ) == [(post.id, "expired")]
    assert channel.calls == []
    stored = store.get(post.id)
    assert stored.status == Status.EXPIRED and stored.published_at is None
    assert "stops working" in stored.events[-1].detail


def test_a_post_reached_beyond_the_grace_is_missed(store: Store, claims: Claims) -> None:
    post = add(store)
    channel = ScriptedChannel("mastodon")
    late = T0 + timedelta(hours=2, minutes=1)
    assert tick(claims, {"mastodon": channel}, late) == [(post.id, "missed")]
    assert channel.calls == []
    detail = store.get(post.id).events[-1].detail
    assert "reached 2 h 1 min after its time, beyond the 2 h grace" in detail


def test_a_post_within_the_grace_is_still_published(store: Store, claims: Claims) -> None:
    post = add(store)
    assert tick(
        claims, {"mastodon": ScriptedChannel("mastodon")}, T0 + timedelta(hours=1, minutes=59)
    ) == [(post.id, "published")]


def test_transient_errors_retry_with_backoff_then_fail(store: Store, claims: Claims) -> None:
    post = add(store)
    channel = ScriptedChannel(
        "mastodon",
        [TransientError("HTTP 500"), TransientError("HTTP 502"), TransientError("timeout")],
    )
    channels = {"mastodon": channel}
    assert tick(claims, channels, T0) == [(post.id, "retrying")]
    first = store.get(post.id)
    assert first.status == Status.SCHEDULED and first.attempts == 1
    assert first.next_attempt_at is not None
    assert T0 + timedelta(seconds=15) <= first.next_attempt_at <= T0 + timedelta(seconds=30)
    assert tick(claims, channels, first.next_attempt_at - timedelta(seconds=1)) == []
    now = first.next_attempt_at
    assert tick(claims, channels, now) == [(post.id, "retrying")]
    second = store.get(post.id)
    assert second.next_attempt_at is not None
    assert now + timedelta(seconds=30) <= second.next_attempt_at <= now + timedelta(seconds=60)
    assert tick(claims, channels, second.next_attempt_at) == [(post.id, "failed")]
    final = store.get(post.id)
    assert final.status == Status.FAILED and final.attempts == 3
    assert "gave up after 3 attempts: timeout" in (final.last_error or "")
    assert len({c.idempotency_key for c in channel.calls}) == 1, "one key for every attempt"


def test_a_retry_time_from_the_network_is_honoured(store: Store, claims: Claims) -> None:
    post = add(store)
    retry_at = T0 + timedelta(minutes=20)
    channel = ScriptedChannel("mastodon", [TransientError("503", retry_after=retry_at)])
    tick(claims, {"mastodon": channel}, T0)
    assert store.get(post.id).next_attempt_at == retry_at


def test_a_permanent_error_fails_the_post_with_the_network_words(
    store: Store, claims: Claims
) -> None:
    post = add(store)
    channel = ScriptedChannel("mastodon", [PermanentError("422 Validation failed: Text too long")])
    assert tick(claims, {"mastodon": channel}, T0) == [(post.id, "failed")]
    assert store.get(post.id).last_error == "422 Validation failed: Text too long"


def test_an_authentication_error_pauses_the_channel_and_burns_nothing(
    store: Store, claims: Claims
) -> None:
    first, second = add(store), add(store)
    other = add(store, channel="linkedin")
    mastodon = ScriptedChannel("mastodon", [AuthError("401 The access token is invalid")])
    linkedin = ScriptedChannel("linkedin")
    channels = {"mastodon": mastodon, "linkedin": linkedin}
    outcomes = tick(claims, channels, T0)
    assert outcomes == [(first.id, "paused"), (other.id, "published")]
    assert len(mastodon.calls) == 1, "the second Mastodon post is not tried on a refused token"
    waiting = store.get(first.id)
    assert waiting.status == Status.SCHEDULED and waiting.attempts == 0
    assert store.get(second.id).status == Status.SCHEDULED
    assert claims.is_paused("mastodon", T0 + timedelta(days=1))
    assert tick(claims, channels, T0 + timedelta(minutes=10)) == []
    # Resumed (as a daemon restart with a renewed token does), both go out.
    assert claims.resume_channel("mastodon", T0 + timedelta(minutes=20))
    assert sorted(tick(claims, channels, T0 + timedelta(minutes=20))) == sorted(
        [(first.id, "published"), (second.id, "published")]
    )


def test_a_rate_limit_pauses_the_channel_until_its_reset(store: Store, claims: Claims) -> None:
    post = add(store)
    reset = T0 + timedelta(minutes=5)
    channel = ScriptedChannel(
        "mastodon", [RateLimitError("429 Too many requests", retry_after=reset)]
    )
    assert tick(claims, {"mastodon": channel}, T0) == [(post.id, "rate-limited")]
    assert store.get(post.id).attempts == 0
    assert claims.is_paused("mastodon", reset - timedelta(seconds=1))
    assert tick(claims, {"mastodon": channel}, reset - timedelta(seconds=1)) == []
    assert tick(claims, {"mastodon": channel}, reset) == [(post.id, "published")]


def test_one_post_failing_never_stops_the_others(store: Store, claims: Claims) -> None:
    posts = [add(store, due=T0 + timedelta(seconds=i)) for i in range(3)]
    channel = ScriptedChannel(
        "mastodon", [Receipt("a", None), ZeroDivisionError("adapter bug"), Receipt("c", None)]
    )
    outcomes = tick(claims, {"mastodon": channel}, T0 + timedelta(seconds=5))
    assert outcomes == [
        (posts[0].id, "published"),
        (posts[1].id, "failed"),
        (posts[2].id, "published"),
    ]
    assert "unexpected ZeroDivisionError" in (store.get(posts[1].id).last_error or "")


def test_posts_due_together_after_downtime_go_out_min_gap_apart(
    store: Store, claims: Claims
) -> None:
    posts = [add(store, due=T0 + timedelta(minutes=i)) for i in range(3)]
    rules = replace(RULES, min_gap=timedelta(minutes=30))
    channel = ScriptedChannel("mastodon")
    now = T0 + timedelta(minutes=10)
    outcomes = tick(claims, {"mastodon": channel}, now, rules)
    assert outcomes == [(posts[0].id, "published"), (posts[1].id, "held"), (posts[2].id, "held")]
    held = store.get(posts[1].id)
    assert held.next_attempt_at == now + timedelta(minutes=30)
    assert tick(claims, {"mastodon": channel}, now + timedelta(minutes=29), rules) == []
    later = tick(claims, {"mastodon": channel}, now + timedelta(minutes=30), rules)
    assert later == [(posts[1].id, "published"), (posts[2].id, "held")]
    assert store.get(posts[2].id).next_attempt_at == now + timedelta(minutes=60)


def test_a_post_held_behind_another_held_post_is_published_not_missed(
    store: Store, claims: Claims
) -> None:
    """min_gap equal to grace (the shipped campaign: 2h each): three posts due together go out
    two hours apart; the third, held twice, waited four hours by the daemon's own choice and is
    published, not missed. A hold that the daemon cannot honour (it was down) still misses."""
    posts = [add(store, due=T0) for _ in range(4)]
    rules = replace(RULES, min_gap=timedelta(hours=2), grace=timedelta(hours=2))
    channel = ScriptedChannel("mastodon")
    first = tick(claims, {"mastodon": channel}, T0, rules)
    assert [o for _, o in first] == ["published", "held", "held", "held"]
    second = tick(claims, {"mastodon": channel}, T0 + timedelta(hours=2), rules)
    assert second == [(posts[1].id, "published"), (posts[2].id, "held"), (posts[3].id, "held")]
    third = tick(claims, {"mastodon": channel}, T0 + timedelta(hours=4), rules)
    assert third == [(posts[2].id, "published"), (posts[3].id, "held")]
    assert store.get(posts[2].id).status == "published"
    # The daemon is down from the last hold's end (T0+6h) until 2 h 1 min later.
    late = tick(claims, {"mastodon": channel}, T0 + timedelta(hours=8, minutes=1), rules)
    assert late == [(posts[3].id, "missed")]


def test_min_gap_counts_a_post_another_daemon_is_sending_but_not_a_failed_attempt(
    store: Store, claims: Claims
) -> None:
    """The last post out is the last published one or one being sent now (by any daemon); an
    attempt that failed and went back to `scheduled` does not hold the next post."""
    other = T0 + timedelta(minutes=40)
    sent = add(store, due=T0)
    sending, waiting = add(store, due=other), add(store, due=other + timedelta(seconds=1))
    rules = replace(RULES, min_gap=timedelta(minutes=30))
    channel = ScriptedChannel("mastodon")
    assert tick(claims, {"mastodon": channel}, T0, rules) == [(sent.id, "published")]
    # Another daemon has claimed the second post 40 min later and is sending it.
    step = claims.claim_next(other, ["mastodon"], "w2", RULES)
    assert isinstance(step, PostView) and step.id == sending.id
    now = other + timedelta(minutes=5)
    claims.heartbeat("w2", now)  # alive: its claim is left alone
    assert tick(claims, {"mastodon": channel}, now, rules) == [(waiting.id, "held")]
    assert store.get(waiting.id).next_attempt_at == other + timedelta(minutes=30)
    # Its attempt fails and goes back to `scheduled`: the gap counts from the last post that
    # went out, 50 min ago, so the waiting post may go now.
    claims.reschedule(step, "w2", now, now + timedelta(hours=1), "timed out")
    later = other + timedelta(minutes=30)
    assert tick(claims, {"mastodon": channel}, later, rules) == [(waiting.id, "published")]


def test_a_long_tick_beats_the_heartbeat_once_a_second_not_once_a_post(
    store: Store, claims: Claims, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts = [add(store, due=T0) for _ in range(12)]
    clock = iter(T0 + timedelta(milliseconds=50 * i) for i in range(1000))
    beats: list[datetime] = []
    beat = claims.heartbeat
    monkeypatch.setattr(
        claims, "heartbeat", lambda worker, at: (beats.append(at), beat(worker, at))[1]
    )
    report = publish_due(
        claims,
        {"mastodon": ScriptedChannel("mastodon")},
        RULES,
        T0,
        worker="w1",
        clock=lambda: next(clock),
    )
    assert report.count("published") == len(posts)
    gaps = [later - earlier for earlier, later in itertools.pairwise(beats)]
    assert len(beats) < len(posts) / 2, beats
    assert all(gap >= timedelta(seconds=1) for gap in gaps[:-1]), gaps
    # The last beat is at the end of the tick, so `status` shows when it last worked.
    last = claims.latest_heartbeat()
    assert last is not None and last.last_tick_at == beats[-1] and beats[-1] > T0


def test_a_paused_channel_is_left_out_and_its_pause_lifted_when_its_time_is_up(
    store: Store, claims: Claims
) -> None:
    waiting, other = add(store), add(store, channel="linkedin")
    until = T0 + timedelta(minutes=5)
    claims.pause_channel("mastodon", "rate limited", until, T0 - timedelta(minutes=1))
    mastodon, linkedin = ScriptedChannel("mastodon"), ScriptedChannel("linkedin")
    channels = {"mastodon": mastodon, "linkedin": linkedin}
    assert tick(claims, channels, T0) == [(other.id, "published")]
    assert mastodon.calls == []
    assert tick(claims, channels, until) == [(waiting.id, "published")]
    state = claims.channel_states()["mastodon"]
    assert state.paused_reason is None and state.paused_until is None


def claim_as_dead_worker(store: Store, claims: Claims, post: Post, at: datetime) -> None:
    """Leave `post` publishing under a worker that stopped beating long ago."""
    step = claims.claim_next(at, ["mastodon"], "dead:1:x", RULES)
    assert isinstance(step, PostView) and step.id == post.id
    claims.heartbeat("dead:1:x", at)


def test_a_claim_left_by_a_dead_daemon_is_retried_with_the_same_key_within_the_window(
    store: Store, claims: Claims
) -> None:
    post = add(store)
    claim_as_dead_worker(store, claims, post, T0)
    assert store.get(post.id).status == Status.PUBLISHING
    channel = ScriptedChannel("mastodon", dedup_window=timedelta(hours=1))
    now = T0 + timedelta(minutes=15)  # beyond the dead worker's 2 min heartbeat timeout
    assert tick(claims, {"mastodon": channel}, now) == [
        (post.id, "reclaimed"),
        (post.id, "published"),
    ]
    assert channel.calls[0].idempotency_key == post.idempotency_key
    assert events(store, post.id) == ["added", "reclaimed", "published"]


def test_a_claim_left_beyond_the_dedup_window_becomes_unknown(store: Store, claims: Claims) -> None:
    post = add(store)
    claim_as_dead_worker(store, claims, post, T0)
    channel = ScriptedChannel("mastodon", dedup_window=timedelta(hours=1))
    assert tick(claims, {"mastodon": channel}, T0 + timedelta(hours=1, minutes=1)) == [
        (post.id, "unknown")
    ]
    assert channel.calls == [], "never silently re-sent"
    assert "check it" in (store.get(post.id).last_error or "")


def test_a_live_worker_claim_is_left_alone(store: Store, claims: Claims) -> None:
    post = add(store)
    claim_as_dead_worker(store, claims, post, T0)
    claims.heartbeat("dead:1:x", T0 + timedelta(minutes=4))  # it is beating after all
    channel = ScriptedChannel("mastodon")
    assert tick(claims, {"mastodon": channel}, T0 + timedelta(minutes=5)) == []
    assert store.get(post.id).status == Status.PUBLISHING


def test_the_dry_run_channel_writes_the_exact_request_without_the_token(
    store: Store, claims: Claims, tmp_path: Path
) -> None:
    config = make_config()
    config = replace(
        config,
        channels={
            n: replace(
                c,
                outbox=tmp_path / "outbox",
                options={
                    "instance": "https://mastodon.example",
                    "author": "urn:li:person:7",
                    "api_version": "202611",
                    "token_env": "T",
                },
            )
            for n, c in config.channels.items()
        },
    )
    text = "Vie sociale (Cairn.info – 2025/4 n° 52) #IA"
    toot = add(store, "mastodon", body=text)
    share = add(store, "linkedin", body=text, link="https://shs.cairn.info/tap-tdgcu5qbq9556")
    channels = {
        "mastodon": DryRunChannel(config.channels["mastodon"], config, mastodon_request),
        "linkedin": DryRunChannel(config.channels["linkedin"], config, linkedin_request),
    }
    report = publish_due(claims, channels, RULES, T0, worker="w")
    assert [o.event for o in report.outcomes] == ["published", "published"]
    files = sorted((tmp_path / "outbox").rglob("*.json"))
    assert len(files) == 2
    records = {json.loads(f.read_text())["channel"]: json.loads(f.read_text()) for f in files}
    mastodon = records["mastodon"]["request"]
    assert mastodon["url"] == "https://mastodon.example/api/v1/statuses"
    assert mastodon["headers"]["Idempotency-Key"] == toot.idempotency_key
    assert mastodon["json"] == {"status": text, "visibility": "public", "language": "fr"}
    linkedin = records["linkedin"]["request"]
    assert linkedin["headers"]["LinkedIn-Version"] == "202611"
    assert linkedin["headers"]["X-Restli-Protocol-Version"] == "2.0.0"
    assert linkedin["json"]["commentary"] == "Vie sociale \\(Cairn.info – 2025/4 n° 52\\) #IA"
    assert linkedin["json"]["content"]["article"]["source"] == share.link
    for record in records.values():
        assert not any(k.lower() == "authorization" for k in record["request"]["headers"])
    stored = store.get(toot.id)
    assert (
        stored.remote_url
        == files[1 if files[1].parent.name == "mastodon" else 0].resolve().as_uri()
    )


def test_a_claim_left_by_this_daemons_own_failed_tick_is_settled_by_its_next(
    store: Store, claims: Claims
) -> None:
    """A tick that ended in an error (the database refused a write, say) leaves its post
    `publishing`; the same daemon holds no claim between two posts, so its next tick retries
    that post with the same key at once rather than after claim_timeout."""
    post = add(store)
    step = claims.claim_next(T0, ["mastodon"], "w1", RULES)
    assert isinstance(step, PostView) and step.id == post.id
    channel = ScriptedChannel("mastodon")
    later = T0 + timedelta(seconds=15)
    assert tick(claims, {"mastodon": channel}, later, worker="w1") == [
        (post.id, "reclaimed"),
        (post.id, "published"),
    ]
    assert channel.calls[0].idempotency_key == post.idempotency_key


def test_a_network_answer_never_forges_a_line_of_the_log(store: Store, claims: Claims) -> None:
    """A 422 whose message holds a line break and an escape sequence: the event, the last error
    and the daemon's log line keep it on one line, escaped."""
    from scheduler.daemon import describe

    post = add(store)
    forged = "bad\n2026-11-30T00:00:00+01:00 post 99 mastodon published: https://x/\x1b[2J"
    channel = ScriptedChannel("mastodon", [PermanentError(forged)])
    report = publish_due(claims, {"mastodon": channel}, RULES, T0, worker="w")
    stored = store.get(post.id)
    assert stored.status == "failed"
    details = [e.detail for e in stored.events] + [stored.last_error or ""]
    for text in details:
        assert "\n" not in text and "\x1b" not in text, text
    assert any("bad\\n2026-11-30" in text for text in details)
    for outcome in report.outcomes:
        assert "\n" not in describe(outcome)
