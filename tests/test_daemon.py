"""The daemon as a process: it publishes on time, stops cleanly, survives SIGKILL, and two of
them on one SQLite file never publish a post twice."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from posts.language import speaking
from posts.outcomes import Outcome
from scheduler.daemon import LocalTimeFormatter, describe
from tests.conftest import run

pytestmark = pytest.mark.slow
PARIS = ZoneInfo("Europe/Paris")


def set_config(project: Path, *, min_gap: str = "0s", latency: str | None = None) -> None:
    path = project / "config.toml"
    text = path.read_text().replace('min_gap = "2h"', f'min_gap = "{min_gap}"')
    if latency:
        text = text.replace(
            'mode = "dry-run"                # "live" publishes for real',
            f'mode = "dry-run"\nlatency = "{latency}"',
        )
    path.write_text(text)


def start_daemon(project: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler", "daemon", *extra],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )


@pytest.fixture
def daemons() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def rows(project: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(project / "postsched.db", timeout=30) as db:
        return db.execute(sql).fetchall()


def wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def add_posts(count: int, at: str, channel: str = "mastodon") -> list[int]:
    ids = []
    for n in range(count):
        result = run("add", channel, "--at", at, "--text", f"Message numéro {n} (test)")
        assert result.code == 0, result.err
        ids.append(result.new_id)
    return ids


def test_the_daemon_publishes_a_post_added_while_it_runs_and_stops_on_sigterm(
    project: Path, daemons: list[subprocess.Popen[str]]
) -> None:
    set_config(project)
    assert run("init").code == 0
    daemon = start_daemon(project)
    daemons.append(daemon)
    time.sleep(1.5)  # running, with nothing due
    (post_id,) = add_posts(1, "+2s")
    wait_for(
        lambda: rows(project, f"select status from posts where id={post_id}") == [("published",)]
    )
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=10) == 0
    err = daemon.stderr.read() if daemon.stderr else ""
    assert f"post {post_id} mastodon published: file://" in err
    assert "received SIGTERM" in err
    (stopped,) = rows(project, "select stopped_at from heartbeats")
    assert stopped[0] is not None


def test_sigkill_mid_publish_then_restart_settles_the_post_once(
    project: Path, daemons: list[subprocess.Popen[str]]
) -> None:
    set_config(project, latency="3s")
    run("init")
    (post_id,) = add_posts(1, "+1s")
    first = start_daemon(project)
    daemons.append(first)
    wait_for(
        lambda: rows(project, f"select status from posts where id={post_id}") == [("publishing",)]
    )
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert rows(project, f"select status from posts where id={post_id}") == [("publishing",)]
    second = start_daemon(project)
    daemons.append(second)
    wait_for(
        lambda: rows(project, f"select status from posts where id={post_id}") == [("published",)]
    )
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=15) == 0
    history = [
        e for (e,) in rows(project, f"select event from events where post_id={post_id} order by id")
    ]
    assert history == ["added", "reclaimed", "published"]
    assert len(list((project / "outbox" / "mastodon").glob("*.json"))) == 1


def test_two_daemons_on_one_sqlite_file_never_publish_a_post_twice(
    project: Path, daemons: list[subprocess.Popen[str]]
) -> None:
    set_config(project)
    run("init")
    ids = add_posts(15, "+4s", "mastodon") + add_posts(15, "+4s", "linkedin")
    daemons.extend([start_daemon(project), start_daemon(project)])
    wait_for(
        lambda: rows(project, "select count(*) from posts where status='published'") == [(30,)],
        timeout=40,
    )
    for process in daemons:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    published = rows(
        project, "select post_id, count(*) from events where event='published' group by post_id"
    )
    assert sorted(published) == [(i, 1) for i in sorted(ids)]
    assert rows(
        project, "select count(*) from events where event in ('late-result', 'reclaimed')"
    ) == [(0,)]
    workers = rows(project, "select count(*) from heartbeats")
    assert workers == [(2,)]
    logs = "".join(p.stderr.read() for p in daemons if p.stderr)
    assert logs.count(" published: ") == 30


def test_daemon_once_makes_one_pass_and_exits(project: Path) -> None:
    set_config(project)
    run("init")
    ids = add_posts(2, "now")
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "daemon", "--once"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert result.returncode == 0, result.stderr
    assert rows(project, "select id, status from posts order by id") == [
        (i, "published") for i in ids
    ]
    # Its log lines carry the campaign's time (Europe/Paris) with its offset, never UTC's "Z".
    lines = [line for line in result.stderr.splitlines() if " published: " in line]
    assert len(lines) == 2, result.stderr
    for line in lines:
        stamp = datetime.fromisoformat(line.split(" ", 1)[0])
        assert stamp.utcoffset() == stamp.astimezone(PARIS).utcoffset()
        assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=2)


def test_the_log_formatter_writes_the_campaign_time() -> None:
    formatter = LocalTimeFormatter(PARIS)
    record = logging.LogRecord("postsched", logging.INFO, __file__, 1, "post 7 done", None, None)
    record.created = datetime(2026, 7, 1, 7, 30, tzinfo=UTC).timestamp()
    assert formatter.format(record) == "2026-07-01T09:30:00+02:00 post 7 done"
    record.created = datetime(2026, 1, 12, 8, 30, tzinfo=UTC).timestamp()
    assert formatter.format(record) == "2026-01-12T09:30:00+01:00 post 7 done"


def test_a_log_line_whose_detail_names_its_event_says_it_once() -> None:
    """A held post once read "held: held until …", in English and in French."""
    held = Outcome(3, "mastodon", "scheduled", "held", "held until 10:30 to keep 10 min")
    assert describe(held) == "post 3 mastodon: held until 10:30 to keep 10 min"
    out = Outcome(4, "bluesky", "published", "published", "", "https://bsky.app/x")
    assert describe(out) == "post 4 bluesky published: https://bsky.app/x"
    with speaking("fr"):
        french = Outcome(3, "mastodon", "scheduled", "held", "retenue jusqu’au 10:30")
        assert describe(french) == "publication 3 mastodon\u00a0: retenue jusqu’au 10:30"
