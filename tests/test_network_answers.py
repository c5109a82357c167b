"""What a network sends back is not trusted (issue 13): a URL that is not a web address is
kept as text in the log, not as a link."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from posts.claims import Claims
from posts.policy import TickRules
from posts.publishing import publish_due
from scheduler.exchange import posts_ics
from tests.factories import migrated_store, queue
from tests.test_mastodon import channel_for

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

# 11. a URL a network sends back ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(document.cookie)", "https://mastodon.example/@x/1\r\nDTSTART:20000101"],
    ids=["javascript", "crlf"],
)
def test_a_url_that_is_not_a_web_address_is_kept_as_text_not_as_a_link(
    mastodon: str, tmp_path: Path, url: str
) -> None:
    store = migrated_store(str(tmp_path / "p.db"))
    now = datetime.now(UTC)
    post = queue(store, now, subject="article", phase="announce", body="Bonjour")
    rule = {
        "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
        "effect": {"type": "status", "status": 200, "body": {"id": "4242", "url": url}},
        "count": 1,
    }
    requests.post(f"{mastodon}/api/v1/_mock/faults", json=rule, timeout=10).raise_for_status()
    tick = publish_due(
        Claims(store), {"mastodon": channel_for(mastodon)}, TickRules(), now, worker="w"
    )
    [outcome] = tick.outcomes
    assert outcome.event == "published" and outcome.url is None
    assert "\r" not in outcome.detail and "\n" not in outcome.detail
    stored = store.get(post.id)
    assert stored.remote_id == "4242" and stored.remote_url is None
    [published] = [e for e in stored.events if e.event == "published"]
    assert repr(url) in published.detail and "not a web address" in published.detail
    calendar = posts_ics([stored], "t")
    assert b"DTSTART:20000101" not in calendar and b"javascript" not in calendar
