"""Several daemons against one PostgreSQL database, publishing one queue: none twice, none left.

The database is the machine's own PostgreSQL, in a database of this test's own (created and
dropped by the `postgres_url` fixture); skipped with the reason where none answers, mandatory in
.ci/run (POSTSCHED_REQUIRE_POSTGRES=1).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from posts.checks import AddRequest
from scheduler.app import App
from tests.conftest import MASTODON_TOKEN, mastodon_statuses, plain, run

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
DAEMONS = 3


def start(project: Path, url: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler", "--db", url, "daemon"],
        cwd=project,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={
            **os.environ,
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
            **(env or {}),
        },
    )


def queue_posts(project: Path, url: str, count: int, channels: list[str]) -> None:
    app = App(config_path=project / "config.toml", database_url=url)
    now = datetime.now(UTC)
    rows = [
        (
            f"post {n}",
            AddRequest(
                channel=channels[n % len(channels)],
                at=now + timedelta(seconds=4 + (n % 20) * 0.1),
                text=f"Publication partagée n° {n} (PostgreSQL)",
            ),
        )
        for n in range(count)
    ]
    app.officer.add_many(rows, now)
    app.store.engine.dispose()


def drain(url: str, daemons: list[subprocess.Popen[str]], total: int) -> list[str]:
    engine = create_engine(url)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                done = connection.execute(
                    text("select count(*) from posts where status = 'published'")
                ).scalar()
            if done == total:
                break
            time.sleep(0.3)
    finally:
        engine.dispose()
    logs = []
    for daemon in daemons:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
        logs.append(daemon.stderr.read() if daemon.stderr else "")
    return logs


def events(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(sql))]
    finally:
        engine.dispose()


def prepare(project: Path, postgres_url: str) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text().replace('min_gap = "2h"', 'min_gap = "0s"'))
    assert run("--db", postgres_url, "init").code == 0


def test_three_daemons_share_one_queue_on_postgresql(project: Path, postgres_url: str) -> None:
    prepare(project, postgres_url)
    total = 150
    queue_posts(project, postgres_url, total, ["mastodon", "linkedin"])
    daemons = [start(project, postgres_url) for _ in range(DAEMONS)]
    logs = drain(postgres_url, daemons, total)
    left = events(
        postgres_url,
        "select p.id, p.status, p.claimed_by, e.event, e.detail from posts p "
        "left join events e on e.post_id = p.id where p.status != 'published'",
    )
    errors = [line for log in logs for line in log.splitlines() if "Error" in line]
    assert left == [], (left, errors[:5])
    published = events(
        postgres_url,
        "select post_id, count(*) from events where event = 'published' group by post_id",
    )
    assert len(published) == total and {n for _, n in published} == {1}
    assert events(postgres_url, "select count(*) from posts where status != 'published'") == [(0,)]
    assert events(
        postgres_url,
        "select count(*) from events where event in ('late-result', 'reclaimed', 'unknown')",
    ) == [(0,)]
    per_daemon = [len(re.findall(r" published: ", log)) for log in logs]
    assert sum(per_daemon) == total, "each post published by exactly one daemon"
    assert sum(1 for n in per_daemon if n > 0) >= 2, f"the daemons shared the work: {per_daemon}"


def test_three_daemons_on_postgresql_post_each_status_once_to_mastodon(
    project: Path, postgres_url: str, mastodon: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTSCHED_MASTODON_TOKEN", MASTODON_TOKEN)
    config = project / "config.toml"
    text_ = config.read_text()
    text_ = text_[: text_.index("[channels.linkedin]")]
    text_ = text_.replace(
        'mode = "dry-run"                # "live" publishes for real', 'mode = "live"'
    )
    config.write_text(
        text_.replace('instance = "https://mastodon.example"', f'instance = "{mastodon}"')
    )
    prepare(project, postgres_url)
    total = 90
    queue_posts(project, postgres_url, total, ["mastodon"])
    env = {"POSTSCHED_MASTODON_TOKEN": MASTODON_TOKEN}
    daemons = [start(project, postgres_url, env) for _ in range(DAEMONS)]
    logs = drain(postgres_url, daemons, total)
    texts = Counter(plain(s["content"]) for s in mastodon_statuses(mastodon))
    assert len(texts) == total and set(texts.values()) == {1}
    per_daemon = [len(re.findall(r" published: ", log)) for log in logs]
    assert sum(per_daemon) == total and sum(1 for n in per_daemon if n > 0) >= 2, per_daemon
