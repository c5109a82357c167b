"""A daemon down across the link's expiry: on restart, the posts that carried the link are
expired, none is published; posts without a link, down beyond the grace, are missed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from posts.claims import Claims
from posts.models import Status
from posts.publishing import publish_due
from scheduler.app import App
from scheduler.channels import build_channels
from scheduler.daemon import tick_rules
from tests.conftest import run

pytestmark = pytest.mark.slow


def test_the_shipped_campaign_after_a_downtime_past_the_16th_of_april(planned: Path) -> None:
    """Approved in January, the daemon down from March to May: nothing with the link goes out."""
    assert run("approve", "--all").code == 0
    app = App(config_path=planned.parent / "config.toml")
    claims, channels = Claims(app.store), build_channels(app.config)
    rules = tick_rules(app.config)
    # Up until early March: the January and February posts go out on time.
    for day in (
        "2026-01-12T09:30+01:00",
        "2026-01-30T12:30+01:00",
        "2026-02-19T09:30+01:00",
        "2026-03-09T09:30+01:00",
    ):
        publish_due(claims, channels, rules, datetime.fromisoformat(day), worker="w")
    # Down until 5 May 2026, then back.
    back = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)
    report = publish_due(claims, channels, rules, back, worker="w")
    posts = {p.id: p for p in app.store.list_posts(list(Status))}
    expired = [p for p in posts.values() if p.status == Status.EXPIRED]
    assert {p.phase for p in expired} == {"reminder-30d", "reminder-10d", "last-call"}
    assert all(p.link == "https://shs.cairn.info/tap-tdgcu5qbq9556" for p in expired)
    assert all(p.published_at is None for p in expired)
    assert all("stops working at Fri 17 Apr 2026, 00:00" in (p.last_error or "") for p in expired)
    missed = [p for p in posts.values() if p.status == Status.MISSED]
    assert {p.subject for p in missed} == {"course:outils"}, "no link: missed, not expired"
    published_after = [
        p
        for p in posts.values()
        if p.published_at is not None and p.published_at > back - timedelta(days=1)
    ]
    assert published_after == []
    # The posts published before the downtime are read back in the same tick, after it.
    assert {o.event for o in report.outcomes if o.event != "confirmed"} == {"expired", "missed"}
    confirmed = [o.post_id for o in report.outcomes if o.event == "confirmed"]
    assert confirmed and all(posts[i].status == Status.PUBLISHED for i in confirmed)
    outbox = planned.parent / "outbox"
    published = sorted(p.id for p in posts.values() if p.status == Status.PUBLISHED)
    assert len(list(outbox.rglob("*.json"))) == len(published) == 12


def test_a_daemon_process_restarted_after_the_link_died_expires_the_post(
    project: Path,
) -> None:
    config = project / "config.toml"
    config.write_text(
        config.read_text()
        .replace('safety_margin = "12h"', 'safety_margin = "1s"')
        .replace('min_gap = "2h"', 'min_gap = "0s"')
    )
    assert run("init").code == 0
    linked = run(
        "add",
        "mastodon",
        "--at",
        "+3s",
        "--text",
        "Lien éphémère",
        "--link",
        "https://x.example/offprint",
        "--link-expires",
        "+5s",
    )
    plain = run("add", "linkedin", "--at", "+3s", "--text", "Sans lien")
    assert linked.code == 0 and plain.code == 0, linked.err + plain.err
    time.sleep(6.5)  # no daemon while the post falls due and its link dies
    daemon = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "daemon"],
        cwd=project,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and json.loads(run("queue", "--json").out):
            time.sleep(0.2)
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=15) == 0
    post = json.loads(run("show", str(linked.new_id), "--json").out)
    assert post["status"] == "expired" and post["published_at"] is None
    assert [e["event"] for e in post["events"]] == ["added", "expired"]
    assert "https://x.example/offprint stops working" in post["events"][-1]["detail"]
    other = json.loads(run("show", str(plain.new_id), "--json").out)
    assert other["status"] == "published", "within the grace, a post without link still goes"
    assert not (project / "outbox" / "mastodon").exists(), "nothing written for the dead link"
