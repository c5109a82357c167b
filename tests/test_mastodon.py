"""The live Mastodon channel against mastodon-mock, a Mastodon-shaped server in its own process."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer

from posts.claims import Claims
from posts.errors import AuthError, PermanentError, RateLimitError, TransientError
from posts.models import Status
from posts.outcomes import PostView
from posts.policy import TickRules
from posts.publishing import publish_due
from scheduler.channels import build_channel
from scheduler.channels.mastodon import MastodonChannel
from tests.conftest import MASTODON_TOKEN, mastodon_statuses, plain
from tests.factories import config as make_config
from tests.factories import migrated_store, post_view, queue

SEED_TEXT = (
    "« IA et recherche en intervention sociale » (Cairn.info – 2025/4 n° 52 – Editions érès – "
    "160 pages) https://shs.cairn.info/tap-tdgcu5qbq9556 #IntelligenceArtificielle #TravailSocial"
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e221bc330000000049454e44ae426082"
)


def fault(
    url: str, effect: dict[str, object], count: int = 1, path: str = "/api/v1/statuses"
) -> None:
    rule = {"match": {"methods": ["POST"], "path": path}, "effect": effect, "count": count}
    requests.post(f"{url}/api/v1/_mock/faults", json=rule, timeout=10).raise_for_status()


def live_config(url: str, **options: object):  # type: ignore[no-untyped-def]
    config = make_config()
    channel = replace(
        config.channels["mastodon"],
        mode="live",
        token_env="POSTSCHED_MASTODON_TOKEN",
        options={"instance": url, "token_env": "POSTSCHED_MASTODON_TOKEN", **options},
    )
    return replace(config, channels={"mastodon": channel})


def channel_for(url: str, token: str = MASTODON_TOKEN, **options: object) -> MastodonChannel:
    config = live_config(url, **options)
    built = build_channel(config, "mastodon", {"POSTSCHED_MASTODON_TOKEN": token})
    assert isinstance(built, MastodonChannel)
    return built


def view(text: str = SEED_TEXT, **changes: object) -> PostView:
    return post_view(**{"subject": "article", "phase": "announce", **changes, "body": text})


def test_a_post_reaches_mastodon_with_its_language_and_visibility(mastodon: str) -> None:
    receipt = channel_for(mastodon).publish(view())
    (status,) = mastodon_statuses(mastodon)
    assert receipt.remote_id == status["id"] and receipt.url == status["url"]
    assert plain(status["content"]) == SEED_TEXT
    assert status["language"] == "fr" and status["visibility"] == "public"


def test_the_same_key_on_every_attempt_makes_one_status(mastodon: str) -> None:
    channel, post = channel_for(mastodon), view()
    first = channel.publish(post)
    again = channel.publish(replace(post, attempts=1))
    assert again.remote_id == first.remote_id
    assert len(mastodon_statuses(mastodon)) == 1


def test_a_500_is_transient_and_the_retry_makes_one_status(mastodon: str) -> None:
    fault(mastodon, {"type": "status", "status": 500})
    channel, post = channel_for(mastodon), view()
    with pytest.raises(TransientError, match="Mastodon 500"):
        channel.publish(post)
    channel.publish(replace(post, attempts=1))
    assert [plain(s["content"]) for s in mastodon_statuses(mastodon)] == [SEED_TEXT]


def test_a_429_pauses_until_the_iso_reset_time(mastodon: str) -> None:
    reset = (datetime.now(UTC) + timedelta(seconds=42)).replace(microsecond=0)
    fault(
        mastodon,
        {
            "type": "ratelimit",
            "headers": {"X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z")},
        },
    )
    with pytest.raises(RateLimitError) as caught:
        channel_for(mastodon).publish(view())
    assert caught.value.retry_after == reset
    assert mastodon_statuses(mastodon) == []


def test_malformed_json_is_transient(mastodon: str) -> None:
    fault(mastodon, {"type": "malformed"})
    channel, post = channel_for(mastodon), view()
    with pytest.raises(TransientError, match="not a JSON object"):
        channel.publish(post)
    channel.publish(replace(post, attempts=1))
    assert len(mastodon_statuses(mastodon)) == 1


def test_a_slow_answer_is_a_transient_timeout(mastodon: str) -> None:
    fault(mastodon, {"type": "latency", "delay_ms": 3000})
    with pytest.raises(TransientError, match="timed out"):
        channel_for(mastodon, timeout="1s").publish(view())


def test_a_refused_token_is_an_authentication_error_that_never_shows_the_token(
    mastodon: str,
) -> None:
    secret = "not-the-right-token-5f3a9c"
    with pytest.raises(AuthError) as caught:
        channel_for(mastodon, token=secret).publish(view())
    assert "401" in str(caught.value) and "POSTSCHED_MASTODON_TOKEN" in str(caught.value)
    assert secret not in str(caught.value)


def test_a_422_is_permanent_with_the_server_words(mastodon: str) -> None:
    with pytest.raises(PermanentError) as caught:
        channel_for(mastodon).publish(view("x" * 600))  # mastodon-mock counts raw length
    assert "422" in str(caught.value) and "Validation failed" in str(caught.value)


def test_a_missing_token_is_refused_before_anything_is_sent(mastodon: str) -> None:
    from posts.errors import ConfigError

    with pytest.raises(
        ConfigError,
        match=r"has no token: run postsched connect mastodon, or export its token in "
        r"\$POSTSCHED_MASTODON_TOKEN",
    ):
        build_channel(live_config(mastodon), "mastodon", {})


def test_the_instance_limits_are_read_and_cached_with_a_fallback(mastodon: str) -> None:
    channel = channel_for(mastodon)
    assert channel.limits() == (500, 23)
    channel.instance = "http://127.0.0.1:9"  # nothing listens: the cached figures stay
    assert channel.limits() == (500, 23)
    assert channel_for("http://127.0.0.1:9").limits() == (500, 23)


def test_an_image_is_uploaded_with_its_alt_text_and_attached(mastodon: str, tmp_path: Path) -> None:
    image = tmp_path / "affiche.png"
    image.write_bytes(PNG)
    post = view(media_path=str(image), media_alt="Affiche de la formation (texte alternatif)")
    channel_for(mastodon).publish(post)
    (status,) = mastodon_statuses(mastodon)
    (media,) = status["media_attachments"]
    assert media["description"] == "Affiche de la formation (texte alternatif)"
    assert media["type"] == "image"


def test_an_image_without_alt_text_is_refused(mastodon: str, tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(PNG)
    with pytest.raises(PermanentError, match="alt text"):
        channel_for(mastodon).publish(view(media_path=str(image), media_alt=None))
    assert mastodon_statuses(mastodon) == []


def test_whoami_names_the_account(mastodon: str) -> None:
    assert channel_for(mastodon).whoami()["account"] == "@testuser"


def test_through_the_tick_the_seed_text_reaches_mastodon_once_despite_a_500(
    mastodon: str, tmp_path: Path
) -> None:
    store = migrated_store(str(tmp_path / "p.db"))
    now = datetime.now(UTC)
    post = queue(store, now, subject="article", phase="announce", body=SEED_TEXT)
    fault(mastodon, {"type": "status", "status": 500})
    channels = {"mastodon": channel_for(mastodon)}
    claims, rules = Claims(store), TickRules(backoff_base=timedelta(seconds=1))
    first = publish_due(claims, channels, rules, now, worker="w")
    assert [o.event for o in first.outcomes] == ["retrying"]
    retry_at = store.get(post.id).next_attempt_at
    assert retry_at is not None
    second = publish_due(claims, channels, rules, retry_at, worker="w")
    assert [o.event for o in second.outcomes] == ["published"]
    (status,) = mastodon_statuses(mastodon)
    stored = store.get(post.id)
    assert stored.status == Status.PUBLISHED and stored.remote_id == status["id"]
    assert plain(status["content"]) == SEED_TEXT


def test_a_status_stored_whose_answer_was_lost_is_not_posted_again(mastodon: str) -> None:
    """The case no fault makes: the server stored the status, the daemon never heard back.
    Staged by creating the status with the post's Idempotency-Key before the retry."""
    post = view()
    requests.post(
        f"{mastodon}/api/v1/statuses",
        headers={
            "Authorization": f"Bearer {MASTODON_TOKEN}",
            "Idempotency-Key": post.idempotency_key,
        },
        json={"status": post.body, "language": "fr"},
        timeout=10,
    ).raise_for_status()
    receipt = channel_for(mastodon).publish(replace(post, attempts=1))
    (status,) = mastodon_statuses(mastodon)
    assert receipt.remote_id == status["id"]


def test_an_image_still_processing_is_waited_for_before_it_is_attached(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """202 on upload, then 206 while processing, then 200 with its url: only then attach."""
    image = tmp_path / "affiche.png"
    image.write_bytes(PNG)
    httpserver.expect_ordered_request("/api/v2/media", method="POST").respond_with_json(
        {"id": "55", "url": None}, status=202
    )
    httpserver.expect_ordered_request("/api/v1/media/55").respond_with_json(
        {"id": "55", "url": None}, status=206
    )
    httpserver.expect_ordered_request("/api/v1/media/55").respond_with_json(
        {"id": "55", "url": "https://files.example/55.png"}, status=200
    )
    httpserver.expect_ordered_request(
        "/api/v1/statuses",
        method="POST",
        json={"status": SEED_TEXT, "visibility": "public", "language": "fr", "media_ids": ["55"]},
    ).respond_with_json({"id": "9", "url": "https://mastodon.example/@a/9"})
    channel = channel_for(httpserver.url_for("/").rstrip("/"))
    receipt = channel.publish(view(media_path=str(image), media_alt="Affiche"))
    assert receipt.remote_id == "9"
    httpserver.check_assertions()


def test_an_unreachable_instance_is_transient_and_said_in_words() -> None:
    with pytest.raises(TransientError, match="cannot reach") as caught:
        channel_for("http://127.0.0.1:9").publish(view())
    said = str(caught.value)
    assert "the connection was refused" in said
    assert "HTTPConnectionPool" not in said and "Errno" not in said


def test_a_web_page_where_the_api_answers_is_said_in_words(httpserver: HTTPServer) -> None:
    page = "<!DOCTYPE html><html><body>Welcome to nginx</body></html>"
    httpserver.expect_request("/api/v1/statuses").respond_with_data(
        page, status=404, content_type="text/html"
    )
    with pytest.raises(PermanentError) as caught:
        channel_for(httpserver.url_for("/").rstrip("/")).publish(view())
    assert "a web page instead of an answer of the API" in str(caught.value)
    assert "<!DOCTYPE" not in str(caught.value)
