"""Scale: the daemon's tick as the store grows, and `postsched queue` on 10k pending posts.

For each size, a fresh database holding that many posts, filled with bulk INSERT ... SELECT
(a recursive CTE on SQLite, generate_series on PostgreSQL): all published (one `published`
event each, both channels) except 100 scheduled in the future and 5 due now. Then, in this
process, on the shipped campaign's channels in dry-run (min_gap 0):

- tick: one `posts.publishing.publish_due` call publishing the 5 due posts (they are put back
  to `scheduled` before each run), median of --runs runs after one warm-up run, with min_gap
  on (1 µs: the last post out is looked up at every claim, nothing is held) and with min_gap 0
  (the campaign's setting here: no lookup);
- idle tick: the same call with nothing due;
- next due: `Claims.next_due_time`, the query the daemon makes after each tick and wake-up;
- `postsched queue` (the next 50) as its own process on that database, median of --runs runs.

The SQL of one tick is captured as it is sent and each statement timed; the claim query and
the "last post out on this channel" query (min_gap's) are shown with their plan (EXPLAIN QUERY
PLAN on SQLite, EXPLAIN on PostgreSQL). SQLite gets no ANALYZE (postsched never runs one);
PostgreSQL gets one after the fill, as autovacuum would.

Then `postsched queue` (the next 50), `queue --all` and `queue --json` as their own processes on
a database holding 10k pending posts, median of --runs runs, with the time of `Store.list_posts`
and of each way of rendering all 10k beside it.

The fill writes posts behind the daemon's back, so it then runs migration 0003's backfill to
set each channel's `last_published_at`, as the daemon would have.

PostgreSQL is used when postgresql://postgres@127.0.0.1:5432 answers: each size in a database
this script creates and drops.

    python bench/scale.py [--sizes 1000,100000,1000000] [--pg-sizes 1000,100000,1000000]
                          [--runs 7] [--queue 10000]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import (
    campaign,
    cli,
    env,
    machine,
    median,
    remove,
    run_times,
    seen,
    table,
    watch_machine,
)

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
DUE = 5
FUTURE = 100
COLUMNS = (
    "campaign, plan_key, channel, subject, phase, body, link, link_expires_at, media_path, "
    "media_alt, status, due_at, next_attempt_at, attempts, last_error, idempotency_key, "
    "remote_id, remote_url, published_at, claimed_by, claimed_at, edited, created_at, updated_at"
)
BODY = "'Archive n° ' || n || ' : IA et recherche en intervention sociale, Vie sociale n° 52. '"

# Rows n = 1..count: status and times from n; `kind` picks published, future or due rows.
SQLITE_FILL = f"""
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :count)
INSERT INTO posts ({COLUMNS})
SELECT 'bench', NULL, CASE n % 2 WHEN 0 THEN 'mastodon' ELSE 'linkedin' END, 'one-off',
  'one-off', {BODY} || :kind, NULL, NULL, NULL, NULL, :status,
  strftime('%Y-%m-%d %H:%M:%S', :base, (:sign * n * :step) || ' seconds') || '.000000',
  NULL, :attempts, NULL, :kind || '-' || n || '-' || :salt,
  CASE :status WHEN 'published' THEN 'r' || n END,
  CASE :status WHEN 'published' THEN 'https://mastodon.example/@bench/' || n END,
  CASE :status WHEN 'published'
    THEN strftime('%Y-%m-%d %H:%M:%S', :base, (:sign * n * :step + 1) || ' seconds') || '.000000'
  END,
  NULL, NULL, 0, :base || '.000000', :base || '.000000'
FROM seq
"""
PG_FILL = f"""
INSERT INTO posts ({COLUMNS})
SELECT 'bench', NULL, CASE n % 2 WHEN 0 THEN 'mastodon' ELSE 'linkedin' END, 'one-off',
  'one-off', {BODY} || p.kind, NULL, NULL, NULL, NULL, p.status,
  p.base + make_interval(secs => p.sign * n * p.step),
  NULL, p.attempts, NULL, p.kind || '-' || n || '-' || p.salt,
  CASE WHEN p.status = 'published' THEN 'r' || n END,
  CASE WHEN p.status = 'published' THEN 'https://mastodon.example/@bench/' || n END,
  CASE WHEN p.status = 'published' THEN p.base + make_interval(secs => p.sign * n * p.step + 1) END,
  NULL, NULL, false, p.base, p.base
FROM generate_series(1, :count) AS n,
  (SELECT CAST(:kind AS text) AS kind, CAST(:status AS text) AS status,
    CAST(CAST(:base AS text) || '+00' AS timestamptz) AS base, CAST(:sign AS integer) AS sign,
    CAST(:step AS integer) AS step, CAST(:attempts AS integer) AS attempts,
    CAST(:salt AS text) AS salt) AS p
"""
EVENTS = (
    "INSERT INTO events (post_id, at, event, detail) "
    "SELECT id, published_at, 'published', remote_url FROM posts WHERE status = 'published'"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000", help="SQLite sizes")
    parser.add_argument("--pg-sizes", default="1000,100000,1000000", help="'' for none")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--queue", type=int, default=10000, help="pending posts for `queue`")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    watch_machine()

    backends = [("sqlite", [int(s) for s in args.sizes.split(",") if s])]
    reason = postgres_unavailable()
    if reason is None and args.pg_sizes:
        backends.append(("postgresql", [int(s) for s in args.pg_sizes.split(",")]))
    elif reason is not None:
        print(f"PostgreSQL left out: {reason}")

    if args.queue:
        print(f"\n`postsched queue` on {args.queue:,} pending posts (median of {args.runs} runs)")
        rows = []
        for backend, _ in backends:
            with database(backend) as url:
                rows.append(measure_queue(url, backend, args.queue, args.runs))
        table(
            [
                "database",
                "queue (next 50)",
                "queue --all (plain lines)",
                "queue --json (all)",
                "queue, no post (start-up)",
                "in-process: Store.list_posts (all)",
                "plain lines (all)",
                "rich table (all, no longer used)",
                "JSON",
            ],
            rows,
        )

    results: list[dict[str, Any]] = []
    plans: list[tuple[str, int, str, str, str]] = []
    for backend, sizes in backends:
        for size in sizes:
            with database(backend) as url:
                result, plan = measure(url, backend, size, args.runs)
            results.append(result)
            plans += plan
            print(f"  {backend} {size}: done", flush=True)

    print("\nTick cost by stored posts (median of", args.runs, "runs; dry-run channels)")
    rows = []
    for r in results:
        base = next(x for x in results if x["backend"] == r["backend"])
        rows.append(
            [
                r["backend"],
                f"{r['size']:,}",
                f"{r['fill']:.1f} s",
                f"{r['tick'] * 1000:.1f} ms",
                f"{r['tick'] / base['tick']:.2f}x",
                f"{r['no_gap'] * 1000:.1f} ms",
                f"{r['no_gap'] / base['no_gap']:.2f}x",
                f"{r['idle'] * 1000:.1f} ms",
                f"{r['idle'] / base['idle']:.2f}x",
                f"{r['watch'] * 1000:.2f} ms",
                f"{r['queue']:.3f} s",
                f"{r['queue'] / base['queue']:.2f}x",
                f"{r['last'] * 1000:.1f} ms",
            ]
        )
    table(
        [
            "database",
            "stored posts",
            "fill",
            f"tick ({DUE} due, min_gap on)",
            "vs smallest",
            "tick, min_gap 0",
            "vs smallest",
            "idle tick",
            "vs smallest",
            "next-due query",
            "`queue` process",
            "vs smallest",
            "last-out queries, per claimed post",
        ],
        rows,
    )

    print(f"\nWhere one tick's time goes ({DUE} due posts; one traced tick, each statement timed)")
    rows = [[part, *(f"{r['parts'][part] * 1000:.1f} ms" for r in results)] for part in PARTS]
    table(["part", *(f"{r['backend']} {r['size']:,}" for r in results)], rows)

    for backend, size, name, sql, plan in plans:
        print(f"\n{backend}, {size:,} posts, {name}:\n")
        print("```sql\n" + sql.strip() + "\n```\n")
        print("```\n" + plan + "\n```")

    print(f"\n{seen()}")


# databases ---------------------------------------------------------------------------------


def postgres_unavailable() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL at {PG_ADMIN}: {str(exc).strip().splitlines()[0]}"


@contextlib.contextmanager
def database(backend: str) -> Iterator[str | None]:
    """None for SQLite (the campaign's own file), or the URL of a PostgreSQL database created
    for this and dropped after."""
    if backend == "sqlite":
        yield None
        return
    import psycopg

    name = f"postsched_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(name=name)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute("CHECKPOINT")  # the next measure starts with its writes flushed


def prepare(url: str | None, backend: str, counts: dict[str, int]) -> tuple[Path, float]:
    """A campaign folder on that database, initialised and filled; (its config, fill seconds)."""
    from sqlalchemy import text

    from scheduler.database import open_engine, upgrade

    config = campaign("scale", database_url=url)
    engine = open_engine(url or f"sqlite:///{config.parent / 'postsched.db'}", create=True)
    upgrade(engine)
    start = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    base = now.strftime("%Y-%m-%d %H:%M:%S")
    fill = SQLITE_FILL if backend == "sqlite" else PG_FILL
    salt = uuid.uuid4().hex[:6]
    kinds = {
        # kind: (status, sign, step seconds): published ones every minute into the past,
        # future ones every hour ahead, due ones a few seconds ago.
        "published": ("published", -1, 60),
        "future": ("scheduled", 1, 3600),
        "due": ("scheduled", -1, 1),
    }
    with engine.begin() as connection:
        for kind, count in counts.items():
            status, sign, step = kinds[kind]
            if count:
                connection.execute(
                    text(fill),
                    {
                        "count": count,
                        "kind": kind,
                        "status": status,
                        "base": base,
                        "sign": sign,
                        "step": step,
                        "attempts": 1 if status == "published" else 0,
                        "salt": salt,
                    },
                )
        connection.execute(text(EVENTS))
        # What the daemon (or migration 0003, for older databases) keeps on each channel's row.
        connection.execute(text(MIGRATION_0003_BACKFILL_ROWS))
        connection.execute(text(MIGRATION_0003_BACKFILL))
    if backend == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "ANALYZE posts; ANALYZE events"
            )
    engine.dispose()
    return config, time.perf_counter() - start


# The backfill of migration 0003 (scheduler/migrations/versions/0003_channel_last_published.py):
# what the daemon keeps on each channel's row, for posts the fill wrote behind its back.
MIGRATION_0003_BACKFILL_ROWS = (
    "INSERT INTO channel_states (name, updated_at) "
    "SELECT channel, max(published_at) FROM posts "
    "WHERE status = 'published' AND published_at IS NOT NULL "
    "AND channel NOT IN (SELECT name FROM channel_states) "
    "GROUP BY channel"
)
MIGRATION_0003_BACKFILL = (
    "UPDATE channel_states SET last_published_at = ("
    "SELECT max(posts.published_at) FROM posts "
    "WHERE posts.channel = channel_states.name AND posts.status = 'published')"
)


# the tick ----------------------------------------------------------------------------------


def measure(
    url: str | None, backend: str, size: int, runs: int
) -> tuple[dict[str, Any], list[tuple[str, int, str, str, str]]]:
    from sqlalchemy import event, text

    from posts.claims import Claims, worker_id
    from posts.publishing import publish_due
    from posts.timing import utc_now
    from scheduler.app import App
    from scheduler.channels import build_channels
    from scheduler.daemon import tick_rules

    counts = {"published": size - DUE - FUTURE, "future": FUTURE, "due": DUE}
    config, fill = prepare(url, backend, counts)
    try:
        app = App(config_path=config)
        engine = app.store.engine
        claims = Claims(app.store)
        channels = build_channels(app.config)
        rules = tick_rules(app.config)  # min_gap 0, as the bench campaign sets
        # min_gap on: the last post out on the channel is looked up at every claim; a gap of
        # 1 µs holds nothing back, so the tick publishes the same 5 posts.
        gap_rules = replace(rules, min_gap=timedelta(microseconds=1))
        worker = worker_id()
        with engine.connect() as connection:
            due_ids = [
                i
                for (i,) in connection.execute(
                    text("SELECT id FROM posts WHERE idempotency_key LIKE 'due-%'")
                )
            ]
        assert len(due_ids) == DUE

        def reset() -> None:
            """The due posts back to `scheduled`, due a few seconds ago."""
            with app.store.session() as session:
                session.execute(
                    text(
                        "UPDATE posts SET status = 'scheduled', published_at = NULL, "
                        "remote_id = NULL, remote_url = NULL, attempts = 0, due_at = :due "
                        f"WHERE id IN ({', '.join(map(str, due_ids))})"
                    ),
                    {"due": datetime.now(UTC) - timedelta(seconds=5)},
                )

        def tick(rules: Any = gap_rules) -> float:
            start = time.perf_counter()
            report = publish_due(claims, channels, rules, utc_now(), worker=worker, clock=utc_now)
            elapsed = time.perf_counter() - start
            assert report.count("published") in (0, DUE), [o.event for o in report.outcomes]
            return elapsed

        ticks, no_gaps, idles, watches = [], [], [], []
        for run in range(runs + 1):
            reset()
            busy = tick()
            reset()
            no_gap = tick(rules)
            idle = tick()
            start = time.perf_counter()
            claims.next_due_time(list(channels))
            watch = time.perf_counter() - start
            if run:  # the first run warms the pool and SQLAlchemy's statement cache
                ticks.append(busy)
                no_gaps.append(no_gap)
                idles.append(idle)
                watches.append(watch)

        # One more tick with every statement captured and timed.
        captured: list[list[Any]] = []

        def before(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            captured.append([statement, params, time.perf_counter()])

        def after(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            captured[-1][2] = time.perf_counter() - captured[-1][2]

        reset()
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        traced = tick()
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        claim = next(c for c in captured if "ORDER BY coalesce" in c[0] and "LIMIT" in c[0])
        last = [c for c in captured if _is_last_published(c[0])]
        plans = [
            (backend, size, "the claim query", claim[0], explain(engine, backend, claim)),
            (
                backend,
                size,
                "the last-out query (posts being sent)",
                last[0][0],
                explain(engine, backend, last[0]),
            ),
        ]
        result = {
            "backend": backend,
            "size": size,
            "fill": fill,
            "tick": median(ticks),
            "no_gap": median(no_gaps),
            "idle": median(idles),
            "watch": median(watches),
            "queue": median(run_times([*cli(config), "queue"], runs, env=env())),
            "last": statistics.mean(c[2] for c in last) * len(last) / DUE,
            "parts": parts(captured, traced),
        }
        claims.stopped(worker, utc_now())
        engine.dispose()
        return result, plans
    finally:
        remove(config)


PARTS = (
    "claim: SELECT the most overdue post",
    "claim: SELECT the last post out on its channel",
    "UPDATE posts (claim, then record)",
    "INSERT INTO events",
    "heartbeats",
    "channel_states (paused?, lock, last published)",
    "settle_stale: SELECT heartbeats, posts publishing",
    "other SQL (BEGIN IMMEDIATE...)",
    "not in SQL: Python, ORM, commits, outbox files",
)


def parts(captured: list[list[Any]], traced: float) -> dict[str, float]:
    """Seconds of the traced tick by kind of statement; the rest is not SQL."""
    found = dict.fromkeys(PARTS, 0.0)
    for statement, _, elapsed in captured:
        text = " ".join(statement.split())
        if "ORDER BY coalesce" in text:
            kind = PARTS[0]
        elif _is_last_published(text):
            kind = PARTS[1]
        elif text.startswith("UPDATE posts"):
            kind = PARTS[2]
        elif text.startswith("INSERT INTO events"):
            kind = PARTS[3]
        elif "heartbeats" in text and "posts" not in text:
            kind = PARTS[4] if "last_tick_at >=" not in text else PARTS[6]
        elif "channel_states" in text:
            kind = PARTS[5]
        elif "posts.status =" in text and "claimed_at <" in text:
            kind = PARTS[6]
        else:
            kind = PARTS[7]
        found[kind] += elapsed
    found[PARTS[8]] = traced - sum(found.values())
    return found


def _is_last_published(statement: str) -> bool:
    """The query for the last post out on a channel (min_gap's), however it is written: once
    max(coalesce(published_at, claimed_at)) over the channel's posts, now max(claimed_at) over
    the ones being sent (the last publication is on the channel's row)."""
    return (
        "max(" in statement
        and ("published_at" in statement or "claimed_at" in statement)
        and "ORDER BY" not in statement
    )


def explain(engine: Any, backend: str, captured: list[Any]) -> str:
    statement, params = captured[0], captured[1]
    with engine.connect() as connection:
        if backend == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            return "\n".join(f"{'  ' * _depth(rows, r)}{r[3]}" for r in rows)
        rows = connection.exec_driver_sql("EXPLAIN " + statement, params).all()
        return "\n".join(r[0] for r in rows)


def _depth(rows: list[Any], row: Any) -> int:
    """Nesting of an EXPLAIN QUERY PLAN row (id, parent, notused, detail)."""
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent:
        depth, parent = depth + 1, parents.get(parent, 0)
    return depth


# queue ---------------------------------------------------------------------------------------


def measure_queue(url: str | None, backend: str, pending: int, runs: int) -> list[str]:
    """`queue` and `queue --json` as processes, on `pending` posts and on none; then, in this
    process, how long listing and rendering those posts take."""
    import json
    import os

    from rich.console import Console

    from scheduler.app import App
    from scheduler.output import post_json, posts_lines, posts_table

    empty, _ = prepare(url, backend, {})
    try:
        floor = run_times([*cli(empty), "queue"], runs, env=env())
    finally:
        remove(empty)
    config, _ = prepare(url, backend, {"future": pending})
    try:
        command = cli(config)
        table_times = run_times([*command, "queue"], runs, env=env())
        all_times = run_times([*command, "queue", "--all"], runs, env=env())
        json_times = run_times([*command, "queue", "--json"], runs, env=env())
        app = App(config_path=config)
        store, tz = app.store, app.config.campaign.timezone
        lists, tables, plains, jsons = [], [], [], []
        with open(os.devnull, "w") as null:  # noqa: PTH123
            for _ in range(runs):
                start = time.perf_counter()
                posts = store.list_posts()
                lists.append(time.perf_counter() - start)
                start = time.perf_counter()
                out = Console(file=null, width=200, highlight=False, soft_wrap=False)
                out.print(posts_table(posts, tz, title="Queue"))
                tables.append(time.perf_counter() - start)
                start = time.perf_counter()
                null.write("\n".join(posts_lines(posts, tz, width=200, color=False)))
                plains.append(time.perf_counter() - start)
                start = time.perf_counter()
                null.write(
                    json.dumps([post_json(p, tz) for p in posts], ensure_ascii=False, indent=2)
                )
                jsons.append(time.perf_counter() - start)
        assert len(posts) == pending
        store.engine.dispose()
        return [
            backend,
            f"{median(table_times):.3f} s",
            f"{median(all_times):.3f} s",
            f"{median(json_times):.3f} s",
            f"{median(floor):.3f} s",
            f"{median(lists):.3f} s",
            f"{median(plains):.3f} s",
            f"{median(tables):.3f} s",
            f"{median(jsons):.3f} s",
        ]
    finally:
        remove(config)


if __name__ == "__main__":
    main()
