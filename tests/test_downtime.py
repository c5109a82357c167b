"""A daemon down while posts fall due: on its return, a post whose link died (or would be
inside the safety margin) becomes `expired`, a post reached beyond the grace becomes `missed`,
and neither is published, late, anywhere: no outbox file, nothing on the server.

Real time, short spans, real daemon processes (`daemon --once`, and `daemon` started, stopped
and started again). The shipped campaign is replayed by `daemon --once` processes whose clock
is set (time-machine) to its due times, then to the last day of the offprint.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MASTODON_TOKEN, mastodon_statuses, plain, run

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
OFFPRINT = "https://shs.cairn.info/tap-tdgcu5qbq9556"


def environment(**extra: str) -> dict[str, str]:
    """This process's environment as it is now (monkeypatched tokens included)."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def configure(project: Path, **replacements: str) -> None:
    """Edit the project's config.toml: each key=value is `old` -> `new`, `old` must be there."""
    config = project / "config.toml"
    body = config.read_text().replace('min_gap = "2h"', 'min_gap = "0s"')
    for old, new in replacements.items():
        assert old in body, old
        body = body.replace(old, new)
    config.write_text(body)


SAFETY_1S = {'safety_margin = "12h"': 'safety_margin = "1s"'}


def add(channel: str, at: datetime, text: str, *extra: str) -> int:
    result = run("add", channel, "--at", at.isoformat(), "--text", text, *extra)
    assert result.code == 0, result.err
    return result.new_id


def show(post_id: int) -> dict[str, Any]:
    result = run("show", str(post_id), "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def sleep_until(instant: datetime) -> None:
    delay = (instant - datetime.now(UTC)).total_seconds()
    if delay > 0:
        time.sleep(delay)


def once(project: Path, *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m scheduler daemon --once`, as cron would run it."""
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "daemon", "--once"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(**(env or {})),
    )
    assert result.returncode == 0, result.stderr
    return result


class Daemons:
    """Long-running `python -m scheduler daemon` processes, killed if a test leaves one."""

    def __init__(self, project: Path):
        self.project = project
        self.processes: list[subprocess.Popen[str]] = []

    def start(self) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "daemon"],
            cwd=self.project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
        )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[str]) -> str:
        # SIGTERM before the daemon has set its handlers (while Python still imports) would
        # kill it outright: wait for its first heartbeat, written after they are set.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.closing(
                sqlite3.connect(self.project / "postsched.db", timeout=30)
            ) as db:
                if db.execute("select 1 from heartbeats where pid = ?", (process.pid,)).fetchone():
                    break
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        return process.stderr.read() if process.stderr else ""


@pytest.fixture
def daemons(project: Path) -> Iterator[Daemons]:
    handle = Daemons(project)
    yield handle
    for process in handle.processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(post_id: int) -> str:
    return str(show(post_id)["status"])


def outbox_ids(project: Path) -> set[int]:
    """The ids of the posts the dry-run channels wrote a request for."""
    return {int(p.name.split("-")[0]) for p in (project / "outbox").rglob("*.json")}


def assert_expired(post: dict[str, Any], link: str, before: tuple[str, ...] = ("added",)) -> None:
    assert post["status"] == "expired", post
    assert post["published_at"] is None and post["remote_id"] is None
    events = [e["event"] for e in post["events"]]
    assert events == [*before, "expired"], events
    why = post["events"][-1]["detail"]
    assert f"the link {link} stops working at" in why and "safety margin" in why, why
    assert post["last_error"] == why


# --- the link dies while no daemon runs --------------------------------------------------


def test_daemon_once_after_the_links_expiry_expires_those_posts_and_publishes_the_others(
    project: Path,
) -> None:
    configure(project, **SAFETY_1S)
    assert run("init").code == 0
    base = datetime.now(UTC) + timedelta(seconds=1)
    dying = "https://x.example/tire-a-part-ephemere"
    doomed = [
        add(ch, base + timedelta(seconds=2), f"Lien éphémère sur {ch}", "--link", dying,
            "--link-expires", (base + timedelta(seconds=4)).isoformat())
        for ch in ("mastodon", "linkedin")
    ]  # fmt: skip
    alive = add(
        "mastodon",
        base + timedelta(seconds=2),
        "Lien durable",
        "--link",
        "https://x.example/durable",
        "--link-expires",
        (base + timedelta(hours=1)).isoformat(),
    )
    plain_post = add("linkedin", base + timedelta(seconds=2), "Sans lien du tout")
    # No daemon while they fall due (+2 s) and the link dies (+4 s, so +3 s with the margin).
    sleep_until(base + timedelta(seconds=5))
    result = once(project)
    for post_id in doomed:
        assert_expired(show(post_id), dying)
        channel = show(post_id)["channel"]
        assert f"post {post_id} {channel} expired: the link {dying} stops working" in result.stderr
    assert status_of(alive) == "published", "its link still works: it goes, a little late"
    assert status_of(plain_post) == "published", "no link, within the grace: it goes"
    assert outbox_ids(project) == {alive, plain_post}, "no request written for a dead link"
    assert "4 posts handled." in result.stdout + result.stderr
    again = once(project)
    assert outbox_ids(project) == {alive, plain_post} and "0 posts handled" in (
        again.stdout + again.stderr
    )
    assert all(show(p)["status"] == "expired" for p in doomed), "expired is final"


def test_the_safety_margin_expires_a_post_whose_link_still_works_when_the_daemon_returns(
    project: Path,
) -> None:
    """Link alive at +63 s, but a 1 min margin means nothing carrying it goes out after +3 s."""
    configure(project, **{'safety_margin = "12h"': 'safety_margin = "1m"'})
    assert run("init").code == 0
    base = datetime.now(UTC) + timedelta(seconds=1)
    link = "https://x.example/encore-valide"
    post_id = add(
        "mastodon",
        base + timedelta(seconds=2),
        "Bientôt périmé",
        "--link",
        link,
        "--link-expires",
        (base + timedelta(seconds=63)).isoformat(),
    )
    sleep_until(base + timedelta(seconds=4.5))
    result = once(project)
    post = show(post_id)
    assert_expired(post, link)
    assert "with the 1 min safety margin it was too late to publish" in post["last_error"]
    assert datetime.now(UTC) < base + timedelta(seconds=63), "the link itself still worked"
    assert outbox_ids(project) == set()
    assert f"post {post_id} mastodon expired" in result.stderr


def test_a_daemon_stopped_before_the_due_time_and_restarted_after_the_expiry(
    project: Path, daemons: Daemons
) -> None:
    """A real daemon runs, publishes what is due, is stopped (SIGTERM); the link dies; a new
    daemon process starts: the link's posts are expired, on both channels, none written."""
    configure(project, **SAFETY_1S)
    assert run("init").code == 0
    first = daemons.start()
    base = datetime.now(UTC) + timedelta(seconds=1)
    early = add("mastodon", base + timedelta(seconds=1), "Avant l'arrêt")
    dying = "https://x.example/offprint-du-jour"
    doomed = {
        ch: add(ch, base + timedelta(seconds=5), f"Dernier rappel sur {ch}", "--link", dying,
                "--link-expires", (base + timedelta(seconds=7)).isoformat())
        for ch in ("mastodon", "linkedin")
    }  # fmt: skip
    wait_for(lambda: status_of(early) == "published", 15, "the early post")
    log_first = daemons.stop(first)  # down from about +2 s, before the +5 s due time
    assert f"post {early} mastodon published" in log_first
    assert all(status_of(p) == "scheduled" for p in doomed.values())
    sleep_until(base + timedelta(seconds=8))  # due at +5 s, dead from +6 s (margin 1 s)
    second = daemons.start()
    wait_for(lambda: json.loads(run("queue", "--json").out) == [], 20, "an empty queue")
    log_second = daemons.stop(second)
    for channel, post_id in doomed.items():
        assert_expired(show(post_id), dying)
        assert f"post {post_id} {channel} expired: the link {dying}" in log_second
    assert " published: " not in log_second
    assert outbox_ids(project) == {early}


# --- the grace, for posts without a link -------------------------------------------------


def test_posts_without_a_link_reached_beyond_the_grace_are_missed_not_published_late(
    project: Path, daemons: Daemons
) -> None:
    configure(project, **{'grace = "2h"': 'grace = "5s"'})
    assert run("init").code == 0
    first = daemons.start()
    time.sleep(1)
    daemons.stop(first)  # it ran, then went down with nothing due
    base = datetime.now(UTC) + timedelta(seconds=1)
    late = {ch: add(ch, base + timedelta(seconds=1), f"Trop tard sur {ch}") for ch in
            ("mastodon", "linkedin")}  # fmt: skip
    in_time = add("mastodon", base + timedelta(seconds=7), "Encore dans les temps")
    sleep_until(base + timedelta(seconds=8))  # `late` is 7 s overdue, beyond the 5 s grace
    second = daemons.start()
    wait_for(lambda: json.loads(run("queue", "--json").out) == [], 20, "an empty queue")
    log = daemons.stop(second)
    for channel, post_id in late.items():
        post = show(post_id)
        assert post["status"] == "missed" and post["published_at"] is None, post
        assert [e["event"] for e in post["events"]] == ["added", "missed"]
        assert "after its time, beyond the 5 s grace" in post["events"][-1]["detail"]
        assert f"post {post_id} {channel} missed: reached" in log
    assert status_of(in_time) == "published", "within the grace it still goes"
    assert outbox_ids(project) == {in_time}


# --- a live Mastodon: the server holds nothing that should not be there -------------------


def test_live_mastodon_down_across_the_expiry_and_the_grace_receives_only_what_is_in_time(
    project: Path, mastodon: str, daemons: Daemons, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(
        project,
        **SAFETY_1S,
        **{
            'grace = "2h"': 'grace = "5s"',
            'mode = "dry-run"                # "live" publishes for real': 'mode = "live"',
            'instance = "https://mastodon.example"': f'instance = "{mastodon}"',
        },
    )
    monkeypatch.setenv("POSTSCHED_MASTODON_TOKEN", MASTODON_TOKEN)
    assert run("init").code == 0
    base = datetime.now(UTC) + timedelta(seconds=1)
    dying = "https://x.example/lien-mort"
    expired = add("mastodon", base + timedelta(seconds=5), "Lien mort à l'arrivée", "--link",
                  dying, "--link-expires", (base + timedelta(seconds=7)).isoformat())  # fmt: skip
    missed = add("mastodon", base + timedelta(seconds=1), "Arrivé trop tard")
    in_time = add("mastodon", base + timedelta(seconds=7), "Publié à temps")
    sleep_until(base + timedelta(seconds=8))
    result = once(project)
    assert_expired(show(expired), dying)
    assert status_of(missed) == "missed"
    post = show(in_time)
    assert post["status"] == "published", result.stderr
    statuses = mastodon_statuses(mastodon)
    assert [plain(s["content"]) for s in statuses] == ["Publié à temps"]
    assert post["remote_id"] == statuses[0]["id"]
    # A second daemon, running for a while, sends nothing more.
    again = daemons.start()
    time.sleep(2)
    assert " published: " not in daemons.stop(again)
    assert len(mastodon_statuses(mastodon)) == 1


# --- the shipped campaign, its daemon down across the offprint's last day ----------------

TRAVEL = """
import sys
from datetime import datetime

import time_machine

time_machine.travel(datetime.fromisoformat(sys.argv[1]), tick=True).start()
from scheduler.cli import main

main(sys.argv[2:])
"""


def once_at(project: Path, instant: str) -> subprocess.CompletedProcess[str]:
    """`postsched daemon --once` in a process whose clock reads `instant`."""
    result = subprocess.run(
        [sys.executable, "-c", TRAVEL, instant, "daemon", "--once"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment(),
    )
    assert result.returncode == 0, result.stderr
    return result


def test_the_shipped_campaign_with_its_daemon_down_from_march_to_the_offprints_last_day(
    planned: Path,
) -> None:
    """Cron ran `daemon --once` at each due time until 9 March, then nothing until 16 April at
    13:00 (Paris): the offprint still works that day, until midnight, but the 12 h safety
    margin forbids it from noon. Every article post left is expired with the reason, every
    course post left is missed (no link: the grace), and nothing more is written."""
    project = planned.parent
    assert run("approve", "--all").code == 0
    queue = json.loads(run("queue", "--json").out)
    assert len(queue) == 24
    for due in sorted({p["due_at"] for p in queue if p["due_at"] < "2026-03-10"}):
        once_at(project, due)
    assert len(outbox_ids(project)) == 12
    result = once_at(project, "2026-04-16T13:00:00+02:00")
    posts = [show(p["id"]) for p in queue]
    left = [p for p in posts if p["due_at"] > "2026-03-10"]
    assert {(p["subject"], p["status"]) for p in left} == {
        ("article", "expired"),
        ("course:outils", "missed"),
    }
    for post in left:
        if post["subject"] == "article":
            assert_expired(post, OFFPRINT, before=("planned", "approved"))
            assert "stops working at Fri 17 Apr 2026, 00:00" in post["last_error"]
            assert "with the 12 h safety margin" in post["last_error"]
        else:
            assert [e["event"] for e in post["events"]] == ["planned", "approved", "missed"]
            assert "beyond the 2 h grace" in post["last_error"]
    assert sorted(p["phase"] for p in left if p["subject"] == "article") == sorted(
        ["reminder-30d", "reminder-10d", "last-call"] * 3
    )
    assert len(outbox_ids(project)) == 12, "nothing written after the downtime"
    assert " published: " not in result.stderr
    assert all(p["status"] == "published" for p in posts if p["due_at"] < "2026-03-10")
