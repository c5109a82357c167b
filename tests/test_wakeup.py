"""The sleeping daemon is woken by another process's change: a post added while it sleeps, with
a heartbeat an hour away, goes out on time (SQLite and PostgreSQL); and the wake-up's parts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from scheduler.wakeup import SocketListener, send, wake_folder
from tests.conftest import run

ROOT = Path(__file__).resolve().parent.parent


def far_heartbeat(project: Path) -> None:
    path = project / "config.toml"
    text = path.read_text().replace('min_gap = "2h"', 'min_gap = "0s"')
    path.write_text(text.replace('poll = "30s"', 'poll = "1h"'))


def show(url: str, post_id: int) -> dict[str, str]:
    result = run("--db", url, "show", str(post_id), "--json")
    assert result.code == 0, result.err
    data: dict[str, str] = json.loads(result.out)
    return data


@pytest.mark.slow
def test_a_daemon_asleep_publishes_a_post_another_process_added_within_a_second(
    project: Path, database_url: str
) -> None:
    far_heartbeat(project)
    assert run("--db", database_url, "init").code == 0
    log = project / "daemon.log"
    with log.open("w") as err:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "--db", database_url, "daemon"],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    try:
        deadline = time.monotonic() + 30
        while " started on " not in log.read_text():
            assert daemon.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        time.sleep(1.0)  # its first tick done, nothing due: asleep until the heartbeat, 1 h
        ids = []
        for at in ("+2s", "now"):  # one due while it sleeps, one due at once
            added = run("--db", database_url, "add", "mastodon", "--at", at, "--text", at)
            assert added.code == 0, added.err
            assert added.new_id is not None
            ids.append(added.new_id)
        deadline = time.monotonic() + 10
        while any(show(database_url, i)["status"] != "published" for i in ids):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        for post_id in ids:
            post = show(database_url, post_id)
            late = datetime.fromisoformat(post["published_at"]) - datetime.fromisoformat(
                post["due_at"]
            )
            assert late.total_seconds() < 1.0, (post, log.read_text())
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=15) == 0
        assert "received SIGTERM" in log.read_text()
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    if database_url.startswith("sqlite"):
        folder = wake_folder(database_url.removeprefix("sqlite:///"))
        assert list(folder.iterdir()) == [], "the daemon removes its socket when it stops"


def test_a_wake_up_reaches_each_listener_and_a_stale_socket_is_removed(tmp_path: Path) -> None:
    # A long folder name: the socket address goes through /proc/self/fd (108 bytes at most).
    database = tmp_path / ("d" * 120) / "postsched.db"
    database.parent.mkdir()
    folder = wake_folder(str(database))
    listener = SocketListener(folder)
    try:
        assert listener.wait(0.05) is False
        stale = folder / "999999999"
        stale.touch()  # what a daemon killed with SIGKILL leaves: nobody reads it
        send(folder)
        assert listener.wait(5.0) is True
        assert listener.wait(0.05) is False, "one wake-up wakes once"
        assert not stale.exists()
        listener.interrupt()
        assert listener.wait(5.0) is True
    finally:
        listener.close()
    assert list(folder.iterdir()) == []
    send(folder)  # no daemon: nothing happens
    send(tmp_path / "nowhere-wake")


@pytest.mark.slow
def test_a_lost_wake_up_costs_a_heartbeat_never_a_post(project: Path) -> None:
    """A change that sends no wake-up (a lost datagram, a dropped LISTEN connection) is still
    published, at the daemon's next heartbeat."""
    from scheduler.app import App

    path = project / "config.toml"
    text = path.read_text().replace('min_gap = "2h"', 'min_gap = "0s"')
    path.write_text(text.replace('poll = "30s"', 'poll = "2s"'))
    assert run("init").code == 0
    log = project / "daemon.log"
    with log.open("w") as err:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "daemon"],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    try:
        deadline = time.monotonic() + 30
        while " started on " not in log.read_text():
            assert daemon.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        time.sleep(1.0)  # its first tick done: asleep until its heartbeat, 2 s after it
        app = App(config_path=path)
        app.wakes_daemon = False  # this change wakes nobody
        from posts.officer import AddRequest

        post = app.officer.add(AddRequest(channel="mastodon", at=app.now(), text="x"), app.now())
        deadline = time.monotonic() + 10
        while show("sqlite:///" + str(project / "postsched.db"), post.id)["status"] != (
            "published"
        ):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=15) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
