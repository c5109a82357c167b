"""Mastodon: POST /api/v1/statuses with an Idempotency-Key on every attempt."""

from __future__ import annotations

from posts.campaign import ChannelConfig, Config
from posts.claims import PostView
from scheduler.channels.http import USER_AGENT, HttpRequest


def build_request(post: PostView, channel: ChannelConfig, config: Config) -> HttpRequest:
    """The status a live publish creates. The same key on every attempt of one post lets the
    server return the first status instead of creating a second one."""
    instance = str(channel.options["instance"]).rstrip("/")
    body: dict[str, object] = {
        "status": post.body,
        "visibility": str(channel.options.get("visibility", "public")),
        "language": str(channel.options.get("language", config.campaign.language)),
    }
    return HttpRequest(
        method="POST",
        url=f"{instance}/api/v1/statuses",
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": post.idempotency_key,
            "User-Agent": USER_AGENT,
        },
        json=body,
    )
