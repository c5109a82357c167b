"""Throughput: posts due at once, drained to mastodon-mock, against a bare requests loop.

One mastodon-mock server (its own process, empty temporary folder, free loopback port,
--in-memory, token mock_token) and one throwaway copy of the shipped campaign with the mastodon
channel live on it. Each round sends the same statuses three ways, in an order that rotates
from round to round. The server is emptied (`POST /api/v1/_mock/reset`) before each sender:
mastodon-mock answers more slowly the more statuses it holds (the bare loop went from 150 to
67 posts/s over the 6,000 statuses of a run without the reset), so without it each sender
would be measured against a fuller, slower server than the one before it:

- bare: a `requests.Session` loop posting each status (JSON body as postsched sends it, a fresh
  Idempotency-Key each), nothing else;
- publish_due: the posts queued due now (`Officer.add_many`, as `postsched import` does), then
  one `posts.publishing.publish_due` call in this process with the live `MastodonChannel` (the
  daemon's tick: claim, publish, record, one transaction each), its Claims methods and the
  channel's HTTP send wrapped with timers;
- daemon: the posts queued due now, then `postsched daemon` started as its own process; timed
  from its start (Python start-up and imports included) to the last published_at, and as a
  steady rate between its first and last post.

    python bench/throughput.py [--posts 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import (
    MOCK_TOKEN,
    Timers,
    campaign,
    daemon,
    init,
    machine,
    mastodon_mock,
    median,
    remove,
    seen,
    statuses_count,
    table,
    wait_until_published,
    watch_machine,
)

TEXT = (
    "Débit n° {n}, tour {r} : « IA et recherche en intervention sociale », Vie sociale n° 52 "
    "(érès, 2025), un numéro sur la robustesse, l'explicabilité et la gouvernance démocratique. "
    "#IntelligenceArtificielle #TravailSocial"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--no-what-if",
        dest="what_if",
        action="store_false",
        help="leave out the what-if run (SQLite PRAGMA synchronous=NORMAL)",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}")
    watch_machine()
    os.environ["POSTSCHED_MASTODON_TOKEN"] = MOCK_TOKEN

    modes = ["bare", "publish_due", "daemon"] + (["what-if"] if args.what_if else [])
    rates: dict[str, list[float]] = {mode: [] for mode in [*modes, "steady"]}
    timers = {"publish_due": Timers(), "what-if": Timers()}
    with mastodon_mock() as url:
        config = campaign("throughput", mastodon_url=url)
        try:
            init(config)
            for r in range(args.rounds):
                for mode in modes[r % len(modes) :] + modes[: r % len(modes)]:
                    reset(url)
                    texts = [TEXT.format(n=n, r=f"{r}{mode[:2]}") for n in range(args.posts)]
                    if mode == "bare":
                        rates[mode].append(bare(url, texts))
                    elif mode == "daemon":
                        wall, steady = as_daemon(config, texts)
                        rates[mode].append(wall)
                        rates["steady"].append(steady)
                    else:
                        normal = mode == "what-if"
                        rates[mode].append(in_process(config, texts, timers[mode], normal))
                    held = statuses_count(url)
                    assert held == args.posts, f"{mode}: the server holds {held} statuses"
        finally:
            remove(config)
    print(
        f"mastodon-mock, emptied before each sender, held {args.posts} statuses after each one "
        "(none twice, none lost)"
    )

    bare_rate = median(rates["bare"])
    print(
        f"\n{args.posts} posts due at once to mastodon-mock, {args.rounds} rounds: median "
        "posts/s, and median of each round's ratio to that round's bare loop"
    )
    rows = []
    for key, name in (
        ("bare", "bare requests.Session loop"),
        ("publish_due", "postsched publish_due in-process (live MastodonChannel)"),
        ("daemon", "postsched daemon process, from its start"),
        ("steady", "postsched daemon process, first to last post"),
        ("what-if", "what-if: publish_due with SQLite synchronous=NORMAL (not shipped)"),
    ):
        if rates.get(key):
            value = median(rates[key])
            each = ", ".join(f"{x:.1f}" for x in rates[key])
            ratios = [x / b for x, b in zip(rates[key], rates["bare"], strict=True)]
            rows.append([name, f"{value:.1f}", f"{median(ratios):.2f}", each])
    table(["sender", "posts/s", "ratio to bare, same round", "each round"], rows)

    posts = args.posts * args.rounds
    print(f"\nWhere publish_due's time goes, per post ({posts} posts, timers around each call)")
    columns = ["publish_due"] + (["what-if"] if args.what_if else [])
    rows = []
    for key, name in (
        ("claim_next", "claims.claim_next (a claim on its own: the tick's first)"),
        ("record_and_claim", "claims.record_and_claim (record post N, claim post N+1)"),
        ("record", "claims.record (a record on its own: the tick's last)"),
        ("mark_published", "claims.mark_published (no longer called by the tick)"),
        ("heartbeat", "claims.heartbeat"),
        ("is_paused", "claims.is_paused (no longer called by the tick)"),
        ("settle_stale", "claims.settle_stale (once per tick)"),
        ("send", "HttpClient.send (the HTTP request)"),
        ("publish", "MastodonChannel.publish (send included)"),
    ):
        calls = timers["publish_due"].calls[key] / posts
        rows.append([name, *(_ms(timers[c], posts, key) for c in columns), f"{calls:.2f}"])
    claim_record = ("claim_next", "record_and_claim", "record", "mark_published")
    store = (*claim_record, "heartbeat", "is_paused", "settle_stale")
    rows.append(
        [
            "claim + record (the four rows above)",
            *(_ms(timers[c], posts, *claim_record) for c in columns),
            "",
        ]
    )
    rows.append(
        [
            "all store work (the Claims rows)",
            *(_ms(timers[c], posts, *store) for c in columns),
            "",
        ]
    )
    rows.append(["bare loop, one POST", f"{1000 / bare_rate:.2f} ms", *([""] * len(columns))])
    names = {"publish_due": "per post, as shipped", "what-if": "per post, synchronous=NORMAL"}
    table(["step", *(names[c] for c in columns), "calls per post"], rows)
    print(f"\n{seen()}")


def _ms(timers: Timers, posts: int, *keys: str) -> str:
    return f"{sum(timers.total[k] for k in keys) / posts * 1000:.2f} ms"


def reset(url: str) -> None:
    """Empty mastodon-mock (its statuses, media and idempotency keys; the account stays)."""
    import requests

    requests.post(f"{url}/api/v1/_mock/reset", timeout=30).raise_for_status()


def bare(url: str, texts: list[str]) -> float:
    """The same statuses, one POST each over one keep-alive session; posts per second."""
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = "postsched-bench/bare"
    start = time.perf_counter()
    for text in texts:
        response = session.post(
            f"{url}/api/v1/statuses",
            json={"status": text, "visibility": "public", "language": "fr"},
            headers={"Authorization": f"Bearer {MOCK_TOKEN}", "Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        )
        response.raise_for_status()
        assert response.json()["id"]
    elapsed = time.perf_counter() - start
    session.close()
    return len(texts) / elapsed


def queue(config: Path, texts: list[str]) -> None:
    """The posts due now, in one transaction, as `postsched import --csv` queues them."""
    from posts.officer import AddRequest
    from scheduler.app import App

    app = App(config_path=config)
    now = datetime.now(UTC)
    requests = [(f"post {n}", AddRequest("mastodon", now, text=t)) for n, t in enumerate(texts)]
    app.officer.add_many(requests, now)
    app.store.engine.dispose()


def in_process(config: Path, texts: list[str], timers: Timers, normal: bool = False) -> float:
    """One publish_due call draining the posts; posts per second. With `normal`, the store's
    SQLite connections run PRAGMA synchronous=NORMAL (a what-if: postsched ships the default,
    FULL, so a commit waits for its fsync)."""
    from posts.claims import Claims, worker_id
    from posts.publishing import publish_due
    from posts.timing import utc_now
    from scheduler.app import App
    from scheduler.channels import build_channel
    from scheduler.daemon import tick_rules

    queue(config, texts)
    app = App(config_path=config)
    if normal:
        from sqlalchemy import event

        app.store.engine.dispose()  # new connections from here on get the pragma
        event.listen(app.store.engine, "connect", _synchronous_normal)
    claims = Claims(app.store)
    channel = build_channel(app.config, "mastodon")
    for name in (
        *("claim_next", "record_and_claim", "record", "mark_published"),
        *("heartbeat", "is_paused", "settle_stale"),
    ):
        timers.wrap(claims, name)
    timers.wrap(channel, "publish")
    timers.wrap(channel.http, "send")  # type: ignore[attr-defined]
    worker = worker_id()
    rules = tick_rules(app.config)
    start = time.perf_counter()
    report = publish_due(claims, {"mastodon": channel}, rules, utc_now(), worker=worker)
    elapsed = time.perf_counter() - start
    claims.stopped(worker, utc_now())
    app.store.engine.dispose()
    assert report.count("published") == len(texts), report.outcomes[:3]
    return len(texts) / elapsed


def _synchronous_normal(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")


def as_daemon(config: Path, texts: list[str]) -> tuple[float, float]:
    """`postsched daemon` draining the posts: (rate from its start, rate first to last)."""
    database = config.parent / "postsched.db"
    with contextlib.closing(sqlite3.connect(database)) as db:
        (before,) = db.execute("select count(*) from posts where status = 'published'").fetchone()
    queue(config, texts)
    started = datetime.now(UTC)
    with daemon(config, POSTSCHED_MASTODON_TOKEN=MOCK_TOKEN) as process:
        done = wait_until_published(database, before + len(texts), 120)
        if process.poll() is not None:
            raise subprocess.SubprocessError(f"the daemon exited with {process.returncode}")
    assert done == before + len(texts), f"{done - before} of {len(texts)} published"
    with contextlib.closing(sqlite3.connect(database)) as db:
        marks = ",".join("?" * len(texts))
        query = f"select published_at from posts where body in ({marks})"
        rows = db.execute(query, texts).fetchall()
    stamps = sorted(datetime.fromisoformat(p).replace(tzinfo=UTC) for (p,) in rows)
    wall = (stamps[-1] - started).total_seconds()
    steady = (stamps[-1] - stamps[0]).total_seconds()
    return len(texts) / wall, (len(texts) - 1) / steady


if __name__ == "__main__":
    main()
