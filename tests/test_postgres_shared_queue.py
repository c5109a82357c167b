"""Three daemon processes on one PostgreSQL database, one queue: each post goes out once.

Every test here starts the daemons before the posts fall due, so that all three wake up at the
same instant and race for the same rows: claiming must be exclusive (FOR UPDATE SKIP LOCKED and
the conditional UPDATE), or a post shows up twice in the logs, the outbox or on the server.
The database is a fresh one per test (`postgres_url`); skipped, with the reason, when no
PostgreSQL answers, mandatory under POSTSCHED_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import MASTODON_TOKEN, mastodon_statuses, plain, run

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
DAEMONS = 3
PUBLISHED_LINE = re.compile(r"post (\d+) (\w+) published: ")


@dataclass
class Daemon:
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def published(self) -> list[int]:
        return [int(m.group(1)) for m in PUBLISHED_LINE.finditer(self.text())]


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """The daemons a test starts; any still running at the end is killed."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.kill()
        daemon.process.wait(timeout=10)


def start(
    project: Path,
    started: list[Daemon],
    *,
    db_flag: str | None = None,
    env: dict[str, str] | None = None,
) -> Daemon:
    """`python -m scheduler daemon`, its stdout and stderr in a file of its own."""
    log = project / f"daemon-{len(started)}.log"
    args = [sys.executable, "-m", "scheduler"]
    if db_flag:
        args += ["--db", db_flag]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*args, "daemon"],
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        )
    daemon = Daemon(process, log)
    started.append(daemon)
    return daemon


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_for_heartbeats(url: str, started: list[Daemon], count: int) -> None:
    def ready() -> bool:
        dead = [d for d in started if d.process.poll() is not None]
        assert not dead, f"a daemon exited early:\n{dead[0].text()}"
        return query(url, "select count(*) from heartbeats") == [(count,)]

    wait_until(ready, 30, f"{count} daemons to tick")


def stop_all(started: list[Daemon]) -> None:
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.send_signal(signal.SIGTERM)
    for daemon in started:
        code = daemon.process.wait(timeout=30)
        assert code in (0, -signal.SIGKILL), f"daemon exited {code}:\n{daemon.text()}"


def configure(project: Path, *, min_gap: str = "0s", extra: dict[str, str] | None = None) -> None:
    config = project / "config.toml"
    body = config.read_text().replace('min_gap = "2h"', f'min_gap = "{min_gap}"')
    for old, new in (extra or {}).items():
        assert old in body, old
        body = body.replace(old, new)
    config.write_text(body)


def queue_posts(project: Path, url: str, at: datetime, count: int, channels: list[str]) -> None:
    """Queue `count` one-off posts, all due at `at`, through `postsched import --csv`."""
    sheet = project / "posts.csv"
    with sheet.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["channel", "time", "text"])
        for n in range(count):
            channel = channels[n % len(channels)]
            writer.writerow([channel, at.isoformat(), f"Message partagé n° {n} sur {channel}"])
    result = run("--db", url, "import", "--csv", str(sheet))
    assert result.code == 0, result.err
    assert query(url, "select count(*) from posts where status = 'scheduled'") == [(count,)]


def histories(url: str) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for post_id, event in query(url, "select post_id, event from events order by id"):
        out.setdefault(int(str(post_id)), []).append(str(event))
    return out


def assert_each_published_once_by_one_daemon(url: str, started: list[Daemon], total: int) -> None:
    """The claims were exclusive: one `published` event per post, one daemon per post."""
    assert query(url, "select status, count(*) from posts group by status") == [
        ("published", total)
    ]
    ids = [int(str(i)) for (i,) in query(url, "select id from posts order by id")]
    per_post = Counter(
        int(str(i)) for (i,) in query(url, "select post_id from events where event = 'published'")
    )
    assert sorted(per_post) == ids and set(per_post.values()) == {1}
    assert (
        query(
            url,
            "select event, count(*) from events "
            "where event in ('late-result', 'reclaimed', 'unknown', 'failed') group by event",
        )
        == []
    )
    by_daemon = [d.published() for d in started]
    everything = [i for ids_ in by_daemon for i in ids_]
    assert Counter(everything) == Counter(ids), "each post in exactly one daemon's log"
    busy = [len(ids_) for ids_ in by_daemon]
    assert sum(1 for n in busy if n) >= 2, f"the daemons did not share the queue: {busy}"
    assert query(url, "select count(distinct worker) from heartbeats") == [(len(started),)]


def test_three_daemons_publish_150_posts_due_at_one_instant_each_once(
    project: Path, postgres_url: str, daemons: list[Daemon], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dry-run on both channels; the database comes from POSTSCHED_DATABASE_URL."""
    configure(project)
    monkeypatch.setenv("POSTSCHED_DATABASE_URL", postgres_url)
    assert run("init").code == 0
    for _ in range(DAEMONS):
        start(project, daemons)  # the URL comes from the environment they inherit
    wait_for_heartbeats(postgres_url, daemons, DAEMONS)
    total = 150
    due = datetime.now(UTC) + timedelta(seconds=2)
    queue_posts(project, postgres_url, due, total, ["mastodon", "linkedin"])
    wait_until(
        lambda: (
            query(postgres_url, "select count(*) from posts where status = 'published'")
            == [(total,)]
        ),
        40,
        "every post to be published",
    )
    stop_all(daemons)
    assert all(d.process.returncode == 0 for d in daemons)
    assert_each_published_once_by_one_daemon(postgres_url, daemons, total)
    assert set(map(tuple, histories(postgres_url).values())) == {("added", "published")}
    files = sorted((project / "outbox").rglob("*.json"))
    assert len(files) == total, "one outbox file per post, none rewritten under another name"
    records = [json.loads(f.read_text()) for f in files]
    assert sorted(r["post_id"] for r in records) == sorted(range(1, total + 1))
    remote = query(postgres_url, "select id, remote_id from posts order by id")
    assert remote == [(i, f"dry-run:{i}") for i in range(1, total + 1)]
    late = query(
        postgres_url,
        "select max(extract(epoch from published_at - due_at)) from posts",
    )
    assert float(str(late[0][0])) < 30, "the queue went out promptly, not at the next poll"


def test_three_daemons_post_each_status_once_to_mastodon_even_with_500s(
    project: Path,
    postgres_url: str,
    mastodon: str,
    daemons: list[Daemon],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A live Mastodon channel on mastodon-mock: the server ends with each status exactly once,
    although six attempts got a 500 and were retried, perhaps by another daemon."""
    configure(
        project,
        extra={
            'mode = "dry-run"                # "live" publishes for real': 'mode = "live"',
            'instance = "https://mastodon.example"': f'instance = "{mastodon}"',
            "max_attempts = 5": 'max_attempts = 5\nretry_base = "1s"',
        },
    )
    faults = f"{mastodon}/api/v1/_mock/faults"
    statuses = {"methods": ["POST"], "path": "/api/v1/statuses"}
    rules: list[dict[str, Any]] = [
        {"match": statuses, "effect": {"type": "status", "status": 500}, "count": 6},
        {"match": statuses, "effect": {"type": "latency", "delay_ms": 15}},
    ]
    for rule in rules:
        requests.post(faults, json=rule, timeout=10).raise_for_status()
    monkeypatch.setenv("POSTSCHED_MASTODON_TOKEN", MASTODON_TOKEN)
    assert run("--db", postgres_url, "init").code == 0
    env = {"POSTSCHED_MASTODON_TOKEN": MASTODON_TOKEN}
    for _ in range(DAEMONS):
        start(project, daemons, db_flag=postgres_url, env=env)
    wait_for_heartbeats(postgres_url, daemons, DAEMONS)
    total = 120
    due = datetime.now(UTC) + timedelta(seconds=2)
    queue_posts(project, postgres_url, due, total, ["mastodon"])
    wait_until(
        lambda: (
            query(postgres_url, "select count(*) from posts where status = 'published'")
            == [(total,)]
        ),
        40,
        "every post to be published",
    )
    stop_all(daemons)
    assert all(d.process.returncode == 0 for d in daemons)
    on_server = mastodon_statuses(mastodon)
    texts = Counter(plain(s["content"]) for s in on_server)
    assert len(on_server) == total and set(texts.values()) == {1}
    assert set(texts) == {f"Message partagé n° {n} sur mastodon" for n in range(total)}
    remote = [str(r) for (r,) in query(postgres_url, "select remote_id from posts")]
    assert sorted(remote) == sorted(s["id"] for s in on_server)
    assert_each_published_once_by_one_daemon(postgres_url, daemons, total)
    assert query(postgres_url, "select count(*) from events where event = 'retrying'") == [(6,)]
    assert set(map(tuple, histories(postgres_url).values())) <= {
        ("added", "published"),
        ("added", "retrying", "published"),
    }


def test_a_daemon_killed_mid_publish_leaves_its_post_to_another_which_publishes_it_once(
    project: Path, postgres_url: str, daemons: list[Daemon]
) -> None:
    """SIGKILL one of three daemons while it holds a claim: a survivor settles that claim
    (its process is gone) and publishes the post, once; no other post is touched twice."""
    configure(
        project,
        extra={
            'mode = "dry-run"                # "live" publishes for real': (
                'mode = "dry-run"\nlatency = "1s"'
            ),
            'poll = "30s"': 'poll = "1s"',
        },
    )
    assert run("--db", postgres_url, "init").code == 0
    for _ in range(DAEMONS):
        start(project, daemons, db_flag=postgres_url)
    wait_for_heartbeats(postgres_url, daemons, DAEMONS)
    total = 15
    due = datetime.now(UTC) + timedelta(seconds=2)
    queue_posts(project, postgres_url, due, total, ["mastodon"])
    by_pid = {d.process.pid: d for d in daemons}
    held: list[tuple[Daemon, int]] = []

    def freeze_one_holding_a_claim() -> bool:
        """SIGSTOP a daemon, then read its claim from the database: frozen, it cannot finish
        the post between the look and the kill. No claim: let it go on, try again."""
        for pid, daemon in by_pid.items():
            os.kill(pid, signal.SIGSTOP)
            rows = query(
                postgres_url,
                "select p.id from posts p join heartbeats h on h.worker = p.claimed_by "
                f"where p.status = 'publishing' and h.pid = {pid}",
            )
            if rows:
                held.append((daemon, int(str(rows[0][0]))))
                return True
            os.kill(pid, signal.SIGCONT)
        return False

    wait_until(freeze_one_holding_a_claim, 20, "a daemon holding a claim")
    target, post = held[0]
    target.process.send_signal(signal.SIGKILL)
    target.process.wait(timeout=10)
    wait_until(
        lambda: (
            query(postgres_url, "select count(*) from posts where status = 'published'")
            == [(total,)]
        ),
        40,
        "the survivors to publish everything",
    )
    stop_all(daemons)
    survivors = [d for d in daemons if d is not target]
    assert all(d.process.returncode == 0 for d in survivors)
    history = histories(postgres_url)
    assert history[post] == ["added", "reclaimed", "published"]
    assert {tuple(h) for i, h in history.items() if i != post} == {("added", "published")}
    assert post not in target.published()
    logged = Counter(i for d in daemons for i in d.published())
    assert set(logged.values()) == {1} and len(logged) == total
    assert len(list((project / "outbox" / "mastodon").glob("*.json"))) == total


def test_min_gap_holds_across_three_daemons(
    project: Path, postgres_url: str, daemons: list[Daemon]
) -> None:
    """Four posts due together on one channel: they go out min_gap apart, whichever daemon
    sends each one."""
    configure(
        project,
        min_gap="3s",
        extra={
            'mode = "dry-run"                # "live" publishes for real': (
                'mode = "dry-run"\nlatency = "1s"'
            )
        },
    )
    assert run("--db", postgres_url, "init").code == 0
    for _ in range(DAEMONS):
        start(project, daemons, db_flag=postgres_url)
    wait_for_heartbeats(postgres_url, daemons, DAEMONS)
    due = datetime.now(UTC) + timedelta(seconds=2)
    queue_posts(project, postgres_url, due, 4, ["mastodon"])
    wait_until(
        lambda: (
            query(postgres_url, "select count(*) from posts where status = 'published'") == [(4,)]
        ),
        40,
        "the four posts to be published",
    )
    stop_all(daemons)
    times = [
        t for (t,) in query(postgres_url, "select published_at from posts order by published_at")
    ]
    assert all(isinstance(t, datetime) for t in times)
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]  # type: ignore[operator]
    assert all(gap >= 2.9 for gap in gaps), f"published {gaps} s apart, min_gap is 3 s"
