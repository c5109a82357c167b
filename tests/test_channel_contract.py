"""One contract, three channels: dry-run, Mastodon (mastodon-mock) and LinkedIn (local server).

Whatever the network, publishing returns a receipt, the network holds the exact text once, and
publishing the same post again (a retry after a lost answer) leaves it there once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from posts.littletext import unescape_little_text
from posts.outcomes import PostView
from posts.publishing import Channel
from scheduler.channels import build_channel
from tests import test_linkedin, test_mastodon
from tests.conftest import mastodon_statuses, plain
from tests.factories import config as make_config
from tests.factories import post_view

TEXT = (
    "Vie sociale (Cairn.info – 2025/4 n° 52 – Editions érès – 160 pages) : à lire [gratuit] "
    "jusqu'au 16 avril 2026 ! #IntelligenceArtificielle #TravailSocial"
)


@dataclass
class Under:
    """A channel under contract and a way to read back what its network holds."""

    channel: Channel
    held: Callable[[], list[str]]


def dry_run(tmp_path: Path) -> Under:
    config = make_config()
    channel = replace(
        config.channels["mastodon"],
        outbox=tmp_path / "outbox",
        options={"instance": "https://mastodon.example"},
    )
    config = replace(config, channels={"mastodon": channel})

    def held() -> list[str]:
        files = sorted((tmp_path / "outbox").rglob("*.json"))
        return [json.loads(f.read_text())["request"]["json"]["status"] for f in files]

    return Under(build_channel(config, "mastodon", {}), held)


@pytest.fixture(params=["dry-run", "mastodon", "linkedin"])
def under(request: pytest.FixtureRequest, tmp_path: Path) -> Under:
    if request.param == "dry-run":
        return dry_run(tmp_path)
    if request.param == "mastodon":
        url = request.getfixturevalue("mastodon")
        return Under(
            test_mastodon.channel_for(url),
            lambda: [plain(s["content"]) for s in mastodon_statuses(url)],
        )
    server: HTTPServer = request.getfixturevalue("httpserver")
    fake = request.getfixturevalue("linkedin")
    return Under(
        test_linkedin.channel_for(server),
        lambda: [unescape_little_text(p["commentary"]) for p in fake.posts.values()],
    )


@pytest.fixture
def linkedin(httpserver: HTTPServer) -> test_linkedin.FakeLinkedIn:
    fake = test_linkedin.FakeLinkedIn()
    httpserver.expect_request("/rest/posts", method="POST").respond_with_handler(fake.create)
    return fake


def post(text: str = TEXT) -> PostView:
    return post_view(id=7, body=text)


def test_publish_returns_a_receipt_and_the_network_holds_the_exact_text(under: Under) -> None:
    receipt = under.channel.publish(post())
    assert receipt.remote_id
    assert receipt.url and receipt.url.startswith(("http", "file:"))
    assert under.held() == [TEXT]


def test_a_retry_of_the_same_post_leaves_it_there_once(under: Under) -> None:
    sent = post()
    first = under.channel.publish(sent)
    again = under.channel.publish(replace(sent, attempts=1))
    assert again.remote_id == first.remote_id
    assert under.held() == [TEXT]


def test_two_different_posts_are_two_posts(under: Under) -> None:
    under.channel.publish(post(TEXT))
    under.channel.publish(replace(post(TEXT + " (suite)"), id=8))
    assert sorted(under.held()) == sorted([TEXT, TEXT + " (suite)"])


def test_the_channel_says_how_long_a_repeat_is_recognised(under: Under) -> None:
    assert under.channel.dedup_window >= timedelta(minutes=30)
    assert isinstance(under.channel.name, str) and under.channel.name
