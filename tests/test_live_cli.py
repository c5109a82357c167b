"""Both channels live, from the command line: mastodon-mock and a local LinkedIn server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer

from posts.littletext import unescape_little_text
from tests import test_linkedin
from tests.conftest import MASTODON_TOKEN, mastodon_statuses, plain, run

SEED = (
    "Article « IA et recherche en intervention sociale » (Cairn.info – 2025/4 n° 52 – Editions "
    "érès – 160 pages) #IntelligenceArtificielle #TravailSocial"
)


@pytest.fixture
def live(
    project: Path, mastodon: str, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> test_linkedin.FakeLinkedIn:
    fake = test_linkedin.FakeLinkedIn()
    httpserver.expect_request("/rest/posts", method="POST").respond_with_handler(fake.create)
    httpserver.expect_request("/v2/userinfo").respond_with_json(
        {"sub": "x1", "name": "Camille Martin"}
    )
    test_linkedin.serve_page(httpserver)
    text = (project / "config.toml").read_text()
    text = text.replace('min_gap = "2h"', 'min_gap = "0s"')
    text = text.replace("max_attempts = 5", 'max_attempts = 5\nretry_base = "1s"')
    text = text.replace(
        'mode = "dry-run"                # "live" publishes for real', 'mode = "live"'
    )
    text = text.replace('instance = "https://mastodon.example"', f'instance = "{mastodon}"')
    text = text.replace('mode = "dry-run"\nauthor', 'mode = "live"\nauthor')
    text = text.replace("urn:li:organization:0", test_linkedin.AUTHOR)
    text = text.replace(
        'api_url = "https://api.linkedin.com"',
        f'api_url = "{httpserver.url_for("/").rstrip("/")}"\ntoken_expires = 2027-01-01',
    )
    (project / "config.toml").write_text(text)
    assert text.count('mode = "live"') == 2
    monkeypatch.setenv("POSTSCHED_MASTODON_TOKEN", MASTODON_TOKEN)
    monkeypatch.setenv("POSTSCHED_LINKEDIN_TOKEN", test_linkedin.TOKEN)
    assert run("init").code == 0
    return fake


def test_both_live_channels_get_the_seed_text_once_even_after_a_500(
    project: Path, mastodon: str, live: test_linkedin.FakeLinkedIn
) -> None:
    requests.post(
        f"{mastodon}/api/v1/_mock/faults",
        timeout=10,
        json={
            "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
            "effect": {"type": "status", "status": 500},
            "count": 1,
        },
    ).raise_for_status()
    ids = {}
    for channel in ("mastodon", "linkedin"):
        for n in (1, 2):
            added = run("add", channel, "--at", "now", "--text", f"{SEED} ({n}/2)")
            assert added.code == 0, added.err
            ids[(channel, n)] = added.new_id
    daemon = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "daemon"],
        cwd=project,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            queue = json.loads(run("queue", "--json").out)
            if not queue:
                break
            time.sleep(0.3)
    finally:
        daemon.terminate()
        assert daemon.wait(timeout=15) == 0
    log = daemon.stderr.read() if daemon.stderr else ""
    assert "retrying: attempt 1 failed (Mastodon 500" in log
    texts = [plain(s["content"]) for s in mastodon_statuses(mastodon)]
    assert sorted(texts) == [f"{SEED} (1/2)", f"{SEED} (2/2)"]
    commentaries = [p["commentary"] for p in live.posts.values()]
    assert sorted(unescape_little_text(c) for c in commentaries) == [
        f"{SEED} (1/2)",
        f"{SEED} (2/2)",
    ]
    assert all(
        "\\(Cairn.info – 2025/4 n° 52 – Editions érès – 160 pages\\)" in c for c in commentaries
    )
    for (channel, _), post_id in ids.items():
        post = json.loads(run("show", str(post_id), "--json").out)
        assert post["status"] == "published", post
        if channel == "linkedin":
            assert re.fullmatch(r"urn:li:share:\d+", post["remote_id"])
            assert (
                post["remote_url"] == f"https://www.linkedin.com/feed/update/{post['remote_id']}/"
            )


def test_check_online_says_who_each_token_posts_as(live: test_linkedin.FakeLinkedIn) -> None:
    result = run("check", "--online")
    assert result.code == 0, result.err
    assert "mastodon: posts as" in result.out and "(@testuser)" in result.out
    assert (
        "linkedin: posts as the page Hétis (urn:li:organization:2414183), through Camille "
        "Martin's token; its token ($POSTSCHED_LINKEDIN_TOKEN) expires on 1 January 2027."
        in result.out
    )


def test_check_online_refuses_a_bad_token(
    live: test_linkedin.FakeLinkedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTSCHED_MASTODON_TOKEN", "wrong-token-f00")
    result = run("check", "--online")
    assert result.code == 1
    assert "mastodon: Mastodon 401 while checking the token" in result.out
    assert result.err.strip() == (
        "Error: mastodon failed the online check (each one's line above says why)."
    )
    assert "wrong-token-f00" not in result.out + result.err


def test_the_web_status_page_verifies_the_tokens_as_check_online_does(
    project: Path, live: test_linkedin.FakeLinkedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    import html
    import re

    from scheduler.app import App
    from scheduler.web import create_app, hash_password

    monkeypatch.setenv("POSTSCHED_MASTODON_TOKEN", "wrong-token-f00")
    web = create_app(
        App(config_path=project / "config.toml"),
        password_hash=hash_password("correct horse"),
    )
    client = web.test_client()

    def csrf(path: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
        assert match
        return match.group(1)

    client.post("/login", data={"password": "correct horse", "csrf_token": csrf("/login")})
    assert "Verify the tokens" in client.get("/status").text
    page = html.unescape(client.post("/status", data={"csrf_token": csrf("/status")}).text)
    assert "mastodon: Mastodon 401" in page
    assert (
        "linkedin: posts as the page Hétis (urn:li:organization:2414183), through Camille "
        "Martin's token; its token ($POSTSCHED_LINKEDIN_TOKEN) expires on 1 January 2027." in page
    )
    assert "wrong-token-f00" not in page
    assert client.post("/status", data={}).status_code == 400  # no CSRF token, no network call
    monkeypatch.setenv("POSTSCHED_LANG", "fr")  # French puts a no-break space before the colon
    page = html.unescape(client.post("/status", data={"csrf_token": csrf("/status")}).text)
    assert "mastodon\u00a0: Mastodon 401" in page


def test_a_missing_token_stops_the_daemon_before_it_starts(
    live: test_linkedin.FakeLinkedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTSCHED_LINKEDIN_TOKEN")
    result = run("daemon", "--once")
    assert result.code == 1
    assert result.err.strip() == (
        "Error: [channels.linkedin] is live but has no token: run postsched connect linkedin, "
        "or export its token in $POSTSCHED_LINKEDIN_TOKEN."
    )


def test_status_never_calls_a_live_channel_without_a_token_healthy(
    live: test_linkedin.FakeLinkedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("add", "linkedin", "--at", "now", "--text", SEED).code == 0
    assert run("daemon", "--once").code == 0  # published: the channel was healthy
    assert json.loads(run("status", "--json").out)["channels"]["linkedin"]["health"] == "ok"
    monkeypatch.delenv("POSTSCHED_LINKEDIN_TOKEN")
    channel = json.loads(run("status", "--json").out)["channels"]["linkedin"]
    assert channel["health"] == "unknown"
    assert "is live but has no token" in channel["token_problem"]
    assert ", ok," not in run("status").out.split("Channel linkedin")[1].splitlines()[0]


def test_status_warns_when_the_token_expires_before_the_last_post(
    live: test_linkedin.FakeLinkedIn,
) -> None:
    assert run("add", "linkedin", "--at", "2027-02-01T09:30", "--text", "Plus tard").code == 0
    data = json.loads(run("status", "--json").out)
    warning = data["channels"]["linkedin"]["token_warning"]
    assert "expires on 1 January 2027, before the channel's last scheduled post" in warning
    assert "($POSTSCHED_LINKEDIN_TOKEN)" in warning
    assert data["channels"]["mastodon"]["token_warning"] is None
    assert "warning: the token ($POSTSCHED_LINKEDIN_TOKEN) expires" in run("status").out


def test_the_token_is_nowhere_in_the_database_or_the_logs(
    project: Path, live: test_linkedin.FakeLinkedIn
) -> None:
    assert run("add", "linkedin", "--at", "now", "--text", SEED).code == 0
    assert run("add", "mastodon", "--at", "now", "--text", SEED).code == 0
    result = run("-v", "daemon", "--once")
    assert result.code == 0, result.err
    assert "POST http" in result.err, "the debug log names each request"
    outputs = [result.out, result.err, run("log", "--json").out, run("show", "1", "--json").out]
    for secret in (test_linkedin.TOKEN, MASTODON_TOKEN):
        assert all(secret not in text for text in outputs)
        for path in project.rglob("postsched.db*"):
            assert secret.encode() not in path.read_bytes()
