"""How late the daemon publishes: published_at - due_at, with the daemon running.

A throwaway copy of the shipped campaign (min_gap 0): the linkedin and bluesky channels
dry-run, the mastodon channel live on a mastodon-mock server this script starts (its own
process, empty temporary folder, free loopback port, --in-memory, token mock_token), a daemon
started as its own process, then posts queued while it runs, due a few seconds ahead at
distinct seconds, taking the channels in turn, exactly as `postsched add CHANNEL --at TIME`
queues them.

Then, for comparison, the same posts with the wake-up disabled and a 60 s poll, as a one-minute
tick such as Mixpost's gives: the daemon has no switch for that, so this script drives
`posts.publishing.publish_due` itself (the daemon's own tick: same rules, channels and store),
at second :00 of every wall-clock minute as a `* * * * *` cron line would, in real time; and,
since one run sees one phase of that minute, it also computes what every phase would give
from the same due times and the per-post cost measured in that run.

With --trickle S, each post is queued S seconds before its due time instead of all at once:
the daemon is asleep when each arrives, and (with --poll 1h) only the wake-up that `add` sends
can make it punctual.

    python bench/lateness.py [--posts 200] [--seconds 20] [--lead 8] [--compare real|none]
    python bench/lateness.py --posts 100 --seconds 100 --trickle 2 --poll 1h --compare none
    python bench/lateness.py --dry-run-only    # every channel dry-run, no mastodon-mock
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import (
    MOCK_TOKEN,
    campaign,
    daemon,
    init,
    machine,
    mastodon_mock,
    median,
    percentile,
    remove,
    seen,
    statuses_count,
    table,
    wait_until_published,
    watch_machine,
)

Row = tuple[str, datetime, datetime | None]  # channel, due_at, published_at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=20, help="distinct due seconds")
    parser.add_argument("--lead", type=int, default=8, help="first post due this many s ahead")
    parser.add_argument("--poll", default="30s", help="the daemon's [daemon] poll")
    parser.add_argument(
        "--trickle", type=float, default=0.0, help="queue each post this many s before its time"
    )
    parser.add_argument(
        "--compare",
        choices=["real", "none"],
        default="real",
        help="real: also run the 60 s poll (about 90 s more); none: skip it",
    )
    parser.add_argument(
        "--dry-run-only", action="store_true", help="every channel dry-run (no mastodon-mock)"
    )
    args = parser.parse_args()
    print(f"machine: {machine()}")
    watch_machine()

    with contextlib.ExitStack() as stack:
        url = None if args.dry_run_only else stack.enter_context(mastodon_mock())
        os.environ["POSTSCHED_MASTODON_TOKEN"] = MOCK_TOKEN
        rows, queued = run_daemon(args, url)
        results = [(f"daemon (wake-up + {args.poll} heartbeat)", rows, queued)]
        if args.compare == "real":
            rows60, queued60, phase = run_sixty(args, url)
            results.append((f"60 s poll at :00, due from :{phase:02d}", rows60, queued60))
        if url is not None:
            live = sum(1 for _, rows_, _ in results for r in rows_ if r[0] == "mastodon" and r[2])
            print(f"mastodon-mock holds {statuses_count(url)} statuses for {live} live posts")

    kind = "dry-run" if args.dry_run_only else "dry-run linkedin and bluesky, live mastodon-mock"
    print(
        f"\n{args.posts} posts on three channels ({kind}), due at {args.seconds} distinct seconds"
    )
    print("| run | channel | posts | unpublished | p50 | p99 | max | min |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, rows_, _ in results:
        for channel in ("all", *sorted({r[0] for r in rows_})):
            chosen = [r for r in rows_ if channel in ("all", r[0])]
            late = lateness(chosen)
            missing = len(chosen) - len(late)
            if not late:
                print(f"| {name} | {channel} | {len(chosen)} | {missing} | - | - | - | - |")
                continue
            print(
                f"| {name} | {channel} | {len(chosen)} | {missing} | {median(late):.3f} s"
                f" | {percentile(late, 0.99):.3f} s | {max(late):.3f} s | {min(late):.3f} s |"
            )
    for name, _, queued in results:
        if args.trickle:
            print(f"{name}: each post queued {args.trickle} s before its time, over {queued:.2f} s")
        else:
            print(f"{name}: queueing took {queued:.2f} s of the {args.lead} s lead")
    if args.compare == "real":
        every_phase(rows60)
    print(f"\n{seen()}")


def run_daemon(args: argparse.Namespace, url: str | None) -> tuple[list[Row], float]:
    """The daemon as its own process, posts queued while it runs."""
    config = campaign("lateness", poll=args.poll, mastodon_url=url)
    try:
        init(config)
        with daemon(config, POSTSCHED_MASTODON_TOKEN=MOCK_TOKEN):
            time.sleep(2)  # the daemon is up and idle
            queued = queue(config, args)
            wait_until_published(config.parent / "postsched.db", args.posts, args.seconds + 60)
        return read(config.parent / "postsched.db"), queued
    finally:
        remove(config)


def run_sixty(args: argparse.Namespace, url: str | None) -> tuple[list[Row], float, int]:
    """No daemon: publish_due called at second :00 of every minute, and at no other time."""
    from posts.claims import Claims, worker_id
    from posts.publishing import publish_due
    from posts.timing import utc_now
    from scheduler.app import App
    from scheduler.channels import build_channels
    from scheduler.daemon import tick_rules

    config = campaign("lateness60", poll=args.poll, mastodon_url=url)
    try:
        init(config)
        queued = queue(config, args)
        app = App(config_path=config)
        claims = Claims(app.store)
        channels = build_channels(app.config)
        rules = tick_rules(app.config)
        worker = worker_id()
        first_due = min(r[1] for r in read(config.parent / "postsched.db"))
        deadline = time.time() + args.lead + args.seconds + 150
        while time.time() < deadline:
            time.sleep(60 - time.time() % 60)  # the next wall-clock minute, as cron starts it
            publish_due(claims, channels, rules, utc_now(), worker=worker, clock=utc_now)
            if all(r[2] is not None for r in read(config.parent / "postsched.db")):
                break
        claims.stopped(worker, utc_now())
        return read(config.parent / "postsched.db"), queued, first_due.second
    finally:
        remove(config)


def queue(config: Path, args: argparse.Namespace) -> float:
    """Queue the posts as `postsched add` does, one transaction each; how long it took."""
    from posts.officer import AddRequest
    from scheduler.app import App

    app = App(config_path=config)
    channels = sorted(app.config.channels)
    began = time.monotonic()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=args.lead)
    for n in range(args.posts):
        if args.trickle:
            due = start + timedelta(seconds=n % args.seconds)
            wait = (due - datetime.now(UTC)).total_seconds() - args.trickle
            time.sleep(max(wait, 0.0))
        request = AddRequest(
            channel=channels[n % len(channels)],
            at=start + timedelta(seconds=n % args.seconds),
            text=f"Mesure de ponctualité n° {n} (postsched)",
        )
        app.officer.add(request, datetime.now(UTC))
    app.store.engine.dispose()
    return time.monotonic() - began


def read(database: Path) -> list[Row]:
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:
        rows = db.execute("select channel, due_at, published_at from posts").fetchall()
    return [(c, _utc(d), _utc(p) if p else None) for c, d, p in rows]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def lateness(rows: list[Row]) -> list[float]:
    return sorted((p - d).total_seconds() for _, d, p in rows if p is not None)


def every_phase(rows: list[Row]) -> None:
    """What a 60 s poll gives over all its phases (0.1 s steps), from the same due times.

    At a tick, the posts due by then go out one after the other, most overdue first, each
    taking the per-post cost measured in the real 60 s run (the median gap between two posts
    of one tick); so post i of a tick is published at tick + (i + 1) * cost.
    """
    published = sorted(p for _, _, p in rows if p is not None)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(published)]
    cost = median([g for g in gaps if g < 1.0]) if gaps else 0.0
    dues = sorted(d.timestamp() for _, d, _ in rows)
    late: list[float] = []
    for step in range(600):
        phase = step / 10
        batches: dict[float, list[float]] = {}
        for due in dues:
            tick = math.ceil((due - phase) / 60) * 60 + phase
            batches.setdefault(tick, []).append(due)
        for tick, batch in batches.items():
            late += [tick + (i + 1) * cost - due for i, due in enumerate(batch)]
    print(
        f"\n60 s poll over every phase of the minute (computed: the due times above, "
        f"{cost * 1000:.1f} ms per post as measured in the 60 s run, 600 phases)"
    )
    table(
        ["run", "posts x phases", "p50", "p99", "max"],
        [
            [
                "60 s poll, all phases",
                len(late),
                f"{median(late):.3f} s",
                f"{percentile(late, 0.99):.3f} s",
                f"{max(late):.3f} s",
            ]
        ],
    )


if __name__ == "__main__":
    main()
