"""Chaos: hundreds of posts to a live Mastodon (mastodon-mock, its own process) while faults are
injected on POST /api/v1/statuses and the daemon process is killed with SIGKILL again and again.

Afterwards every post is final, the server holds each published post exactly once, every post
the database calls published is on the server under its remote_id, the statuses staged as
"stored, but the answer was lost" were recognised (not posted twice), and every post a killed
daemon left `publishing` was reclaimed and retried with its key (none became `unknown`).

Run with -s to see the one-line summary; POSTSCHED_CHAOS_REPORT=FILE also writes the figures
as JSON (docs/reliability.md quotes them); POSTSCHED_CHAOS_SEED=N replays the same fault order
and kill delays (the moments themselves still depend on the machine).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests

from posts.checks import AddRequest
from scheduler.app import App
from tests.conftest import MASTODON_TOKEN, mastodon_statuses, plain, run
from tests.factories import start_daemon

pytestmark = pytest.mark.slow

POSTS = 300  # due from now+3 s to now+18 s
STAGED = 5  # "the server stored it but the answer was lost", due after the others
KILLS = 4
READ_TIMEOUT = "2s"
FAULTS = {  # kind -> how many, all on POST /api/v1/statuses, one rule every INJECT_EVERY
    "500": 15,
    "503": 5,
    "429": 4,  # X-RateLimit-Reset 2 s ahead, ISO 8601 as Mastodon sends it
    "malformed": 10,  # 200 with a truncated JSON body: outcome unreadable
    "latency-1.5s": 8,  # answered late, inside the 2 s read timeout
    "latency-2.5s": 6,  # beyond it: a read timeout (the mock then stores nothing)
}
INJECT_EVERY = 0.25  # seconds
DRAIN_DEADLINE = 120.0  # seconds from the first daemon's start
STATUSES = "/api/v1/statuses"
FINAL = {"published", "failed", "unknown", "missed", "expired", "cancelled"}


def swap(text: str, old: str, new: str) -> str:
    assert old in text, f"config.toml no longer contains {old!r}"
    return text.replace(old, new)


def chaos_config(project: Path, mastodon: str) -> Path:
    """The shipped config with only Mastodon, live on the mock, and short daemon timings."""
    path = project / "config.toml"
    text = path.read_text()
    text = text[: text.index("[channels.linkedin]")]  # Mastodon is the only channel
    text = swap(text, 'min_gap = "2h"', 'min_gap = "0s"')
    text = swap(text, 'grace = "2h"', 'grace = "1h"')
    text = swap(text, "max_attempts = 5", 'max_attempts = 50\nretry_base = "1s"\nretry_cap = "4s"')
    text = swap(
        text,
        'mode = "dry-run"                # "live" publishes for real',
        f'mode = "live"\ntimeout = "{READ_TIMEOUT}"',
    )
    text = swap(text, 'instance = "https://mastodon.example"', f'instance = "{mastodon}"')
    assert "[channels." in text and text.count("[channels.") == 1
    path.write_text(text)
    return path


def fault_rule(kind: str) -> dict[str, Any]:
    reset = datetime.now(UTC) + timedelta(seconds=2)
    effects: dict[str, dict[str, Any]] = {
        "500": {"type": "status", "status": 500},
        "503": {"type": "status", "status": 503},
        "429": {
            "type": "ratelimit",
            "headers": {
                "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds"),
                "Retry-After": "2",
            },
        },
        "malformed": {"type": "malformed"},
        "latency-1.5s": {"type": "latency", "delay_ms": 1500},
        "latency-2.5s": {"type": "latency", "delay_ms": 2500},
    }
    return {"match": {"methods": ["POST"], "path": STATUSES}, "effect": effects[kind], "count": 1}


class Injector(threading.Thread):
    """Adds one single-shot fault rule every INJECT_EVERY seconds, in a shuffled order."""

    def __init__(self, url: str, rng: random.Random):
        super().__init__(daemon=True)
        self.url = url
        self.kinds = [kind for kind, n in FAULTS.items() for _ in range(n)]
        rng.shuffle(self.kinds)
        self.injected: Counter[str] = Counter()
        self.error: str | None = None
        self.halt = threading.Event()

    def run(self) -> None:
        for kind in self.kinds:
            if self.halt.wait(INJECT_EVERY):
                return
            try:
                answer = requests.post(
                    f"{self.url}/api/v1/_mock/faults", json=fault_rule(kind), timeout=10
                )
                answer.raise_for_status()
            except requests.RequestException as exc:
                self.error = f"injecting {kind}: {exc}"
                return
            self.injected[kind] += 1


def pending_faults(url: str) -> int:
    rules = requests.get(f"{url}/api/v1/_mock/faults", timeout=10).json()
    return sum(r["remaining"] or 0 for r in rules if r["match"]["path"] == STATUSES)


def query(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db, timeout=30)) as connection:
        return connection.execute(sql, args).fetchall()


def worker_of(db: Path, pid: int) -> str | None:
    """The worker id a daemon process wrote in its heartbeat (at its first tick)."""
    rows = query(db, "select worker from heartbeats where pid = ?", pid)
    return str(rows[0][0]) if rows else None


def wait_for(predicate: Callable[[], object], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def held_by(db: Path, worker: str | None) -> list[int]:
    """The posts this worker holds in `publishing`."""
    sql = "select id from posts where status = 'publishing' and claimed_by = ?"
    return [i for (i,) in query(db, sql, worker)]


def statuses(db: Path) -> Counter[str]:
    return Counter(s for (s,) in query(db, "select status from posts"))


def test_hundreds_of_posts_through_faults_and_kills_arrive_exactly_once(
    project: Path, mastodon: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = int(os.environ.get("POSTSCHED_CHAOS_SEED") or random.randrange(1_000_000))
    rng = random.Random(seed)
    config_path = chaos_config(project, mastodon)
    monkeypatch.setenv("POSTSCHED_MASTODON_TOKEN", MASTODON_TOKEN)
    assert run("init").code == 0
    app = App(config_path=config_path)
    now = datetime.now(UTC)
    requests_ = [
        (
            f"post {n}",
            AddRequest(
                channel="mastodon",
                at=now + timedelta(seconds=3 + n * 15 / POSTS),
                text=f"Chaos {n:03d} : message de test du planificateur #TravailSocial",
            ),
        )
        for n in range(POSTS)
    ] + [
        (
            f"staged {n}",
            AddRequest(
                channel="mastodon",
                at=now + timedelta(seconds=21 + n),
                text=f"Réponse perdue {n} : le serveur l'a, le démon ne l'a pas su (chaos)",
            ),
        )
        for n in range(STAGED)
    ]
    posts = app.officer.add_many(requests_, now)
    staged = posts[POSTS:]
    # Stored with the posts' own keys before the daemon sends them: as if the daemon's request
    # had been committed and only its answer lost. The daemon's publish is then a repeat.
    staged_ids: dict[int, str] = {}
    for post in staged:
        answer = requests.post(
            f"{mastodon}{STATUSES}",
            timeout=10,
            headers={
                "Authorization": f"Bearer {MASTODON_TOKEN}",
                "Idempotency-Key": post.idempotency_key,
            },
            json={"status": post.body, "language": "fr", "visibility": "public"},
        )
        answer.raise_for_status()
        staged_ids[post.id] = str(answer.json()["id"])
    assert len(mastodon_statuses(mastodon)) == STAGED

    db = project / "postsched.db"
    injector = Injector(mastodon, rng)
    left_publishing: list[int] = []  # posts a killed daemon held, one entry per kill
    answers_lost = 0  # ... of which the server already had: killed after the commit
    daemons: list[subprocess.Popen[bytes]] = []
    started = time.monotonic()
    injector.start()
    try:
        for _ in range(KILLS + 1):
            daemon = start_daemon(project, len(daemons), POSTSCHED_MASTODON_TOKEN=MASTODON_TOKEN)
            daemons.append(daemon)
            ticked = wait_for(partial(worker_of, db, daemon.pid), 30)
            assert ticked, "the daemon never ticked"
            if len(daemons) > KILLS:
                break
            time.sleep(rng.uniform(0.5, 2.5))
            worker = worker_of(db, daemon.pid)
            # Land the kill while a post is in flight if one is within a second (it nearly
            # always is), so that the next daemon has a claim to settle.
            wait_for(partial(held_by, db, worker), 1.0, step=0.01)
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(timeout=10)
            left = held_by(db, worker)
            left_publishing += left
            if left:  # was the post already stored? then its answer was lost for real
                bodies = {query(db, "select body from posts where id = ?", i)[0][0] for i in left}
                texts = {plain(s["content"]) for s in mastodon_statuses(mastodon)}
                answers_lost += len(bodies & texts)
        final = daemons[-1]
        wait_for(
            lambda: set(statuses(db)) <= FINAL,
            DRAIN_DEADLINE - (time.monotonic() - started),
            step=0.25,
        )
        # SIGTERM before its first heartbeat could land while it still imports (exit -15).
        wait_for(lambda: worker_of(db, final.pid) is not None, 20)
        final.send_signal(signal.SIGTERM)
        final_code = final.wait(timeout=30)
    finally:
        injector.halt.set()
        injector.join(timeout=30)
        for process in daemons:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    elapsed = time.monotonic() - started

    counts = statuses(db)
    rows = query(db, "select id, status, remote_id, body from posts order by id")
    events = query(db, "select post_id, event, detail from events order by id")
    logs = "".join(
        (project / f"daemon-{n}.log").read_text(errors="replace") for n in range(len(daemons))
    )
    server = mastodon_statuses(mastodon)
    on_server = {str(s["id"]): plain(s["content"]) for s in server}
    texts = Counter(on_server.values())
    duplicates = sum(n - 1 for n in texts.values() if n > 1)
    published = {r[2]: r[3] for r in rows if r[1] == "published"}
    # lost: a post whose text the server lacks; mismatched: a post called published whose
    # remote_id is not that text on the server.
    lost = [r[0] for r in rows if r[3] not in texts]
    mismatched = [r[0] for r in rows if r[1] == "published" and on_server.get(r[2]) != r[3]]
    reclaimed = [p for p, e, _ in events if e == "reclaimed"]
    injected = dict(injector.injected)
    fired = sum(injected.values()) - pending_faults(mastodon)
    report = {
        "seed": seed,
        "posts": len(rows),
        "staged_lost_answers": STAGED,
        "kills": len(daemons) - 1,
        "kills_mid_publish": len(left_publishing),
        "kills_after_server_commit": answers_lost,
        "faults_injected": injected,
        "faults_fired": fired,
        "published": len(published),
        "statuses_on_server": len(server),
        "duplicates": duplicates,
        "lost": len(lost),
        "mismatched": len(mismatched),
        "unknown": counts["unknown"],
        "reclaimed_after_kill": len(reclaimed),
        "retries": sum(1 for _, e, _ in events if e in ("retrying", "rate-limited")),
        "timeouts_seen": sum(1 for _, e, d in events if e == "retrying" and "timed out" in d),
        "final_statuses": dict(counts),
        "seconds": round(elapsed, 1),
    }
    faults = " ".join(f"{kind}:{n}" for kind, n in sorted(injected.items()))
    print(
        f"\nchaos: posts={report['posts']} ({STAGED} staged) kills={report['kills']} "
        f"({report['kills_mid_publish']} mid-publish, {answers_lost} after the server's commit) "
        f"faults={faults} "
        f"(fired {fired}/{sum(injected.values())}) published={report['published']} "
        f"on-server={report['statuses_on_server']} duplicates={duplicates} lost={len(lost)} "
        f"mismatched={len(mismatched)} unknown={report['unknown']} "
        f"reclaimed={report['reclaimed_after_kill']} retries={report['retries']} "
        f"timeouts={report['timeouts_seen']} seconds={report['seconds']} seed={seed}"
    )
    if os.environ.get("POSTSCHED_CHAOS_REPORT"):
        Path(os.environ["POSTSCHED_CHAOS_REPORT"]).write_text(json.dumps(report, indent=2) + "\n")

    # The run itself: every chaos ingredient happened, and the last daemon stopped cleanly.
    assert injector.error is None, injector.error
    assert injected == FAULTS and fired == sum(FAULTS.values()), (injected, fired)
    assert report["kills"] == KILLS
    assert final_code == 0, logs[-3000:]
    assert "Traceback" not in logs and "the tick failed" not in logs, logs[-3000:]
    # Every post final, and published: no fault here is permanent, max_attempts is out of
    # reach, and a post left `publishing` by a kill is retried with its key (well within
    # Mastodon's hour), never marked `unknown`.
    assert set(counts) <= FINAL, counts
    assert counts == Counter({"published": POSTS + STAGED}), counts
    # Exactly once on the server, and the database agrees with it id for id.
    assert duplicates == 0, texts.most_common(3)
    assert lost == [] and mismatched == []
    assert published == on_server, "database and server disagree"
    published_events = Counter(p for p, e, _ in events if e == "published")
    assert set(published_events.values()) == {1} and len(published_events) == POSTS + STAGED
    for post in staged:
        (row,) = [r for r in rows if r[0] == post.id]
        assert row[2] == staged_ids[post.id], "the repeat was recognised, not posted again"
    # Each claim a killed daemon left behind was reclaimed once by the next daemon, and nothing
    # else was: no daemon settled a claim of its own or found a result come back too late.
    assert Counter(reclaimed) == Counter(left_publishing), (reclaimed, left_publishing)
    assert not [e for _, e, _ in events if e in ("unknown", "late-result", "failed")]
