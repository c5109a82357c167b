"""Channel adapters: one module per network, and the registry that builds them from config.

Each network module has a `build_request(post, channel, config)` that makes the exact HTTP
request a live publish sends, and an `upload_requests(...)` that describes the image uploads
made before it; the dry-run channel writes both to the outbox instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from posts.campaign import ChannelConfig, Config
from posts.claims import PostView
from posts.errors import ConfigError
from posts.publishing import Channel
from scheduler.channels.http import HttpRequest

RequestBuilder = Callable[[PostView, ChannelConfig, Config], HttpRequest]
# The image uploads a publish makes before its post request, as the outbox shows them.
UploadLister = Callable[[PostView, ChannelConfig, Config], list[dict[str, Any]]]


def request_builder(channel_type: str) -> RequestBuilder:
    from scheduler.channels import linkedin, mastodon

    builders: dict[str, RequestBuilder] = {
        "mastodon": mastodon.build_request,
        "linkedin": linkedin.build_request,
    }
    return builders[channel_type]


def upload_lister(channel_type: str) -> UploadLister:
    from scheduler.channels import linkedin, mastodon

    listers: dict[str, UploadLister] = {
        "mastodon": mastodon.upload_requests,
        "linkedin": linkedin.upload_requests,
    }
    return listers[channel_type]


def build_channel(config: Config, name: str, environ: Mapping[str, str] | None = None) -> Channel:
    channel = config.channels[name]
    if channel.mode == "dry-run":
        from scheduler.channels.dryrun import DryRunChannel

        return DryRunChannel(
            channel, config, request_builder(channel.type), upload_lister(channel.type)
        )
    token = read_token(channel, os.environ if environ is None else environ)
    if channel.type == "mastodon":
        from scheduler.channels.mastodon import MastodonChannel

        return MastodonChannel(channel, config, token)
    from scheduler.channels.linkedin import LinkedInChannel

    return LinkedInChannel(channel, config, token)


def read_token(channel: ChannelConfig, environ: Mapping[str, str]) -> str:
    """A live channel's token, from the environment variable its table names (rule 6)."""
    assert channel.token_env is not None  # config.py requires token_env for live channels
    token = environ.get(channel.token_env, "").strip()
    if not token:
        raise ConfigError(
            f"[channels.{channel.name}] is live but ${channel.token_env} is not set: export "
            "the channel's access token in that environment variable."
        )
    return token


def build_channels(config: Config, environ: Mapping[str, str] | None = None) -> dict[str, Channel]:
    return {name: build_channel(config, name, environ) for name in config.channels}
