"""Channel adapters: one module per network, and the registry that builds them from config.

Each network module has a `build_request(post, channel, config)` that makes the exact HTTP
request a live publish sends, and an `upload_requests(...)` that describes the image uploads
made before it; the dry-run channel writes both to the outbox instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from posts.campaign import ChannelConfig, Config
from posts.errors import ConfigError
from posts.language import gettext as _
from posts.publishing import Channel
from scheduler.channels.http import RequestBuilder, UploadLister
from scheduler.credentials import read_token


def request_builder(channel_type: str) -> RequestBuilder:
    from scheduler.channels import bluesky, linkedin_request, mastodon

    builders: dict[str, RequestBuilder] = {
        "mastodon": mastodon.build_request,
        "linkedin": linkedin_request.build_request,
        "bluesky": bluesky.build_request,
    }
    return builders[channel_type]


PLACEHOLDERS = {
    "instance": ("https://mastodon.example",),
    "author": ("urn:li:organization:0", "urn:li:person:me"),
}


def require_real_target(channel: ChannelConfig) -> None:
    """A live channel must name a real server and author, not the shipped examples."""
    for key, values in PLACEHOLDERS.items():
        value = str(channel.options.get(key, "")).rstrip("/")
        if value in values:
            if key == "author":
                refusal = _(
                    "[channels.{channel}] is live but its {key} is still the example "
                    "{value!r}: postsched connect {channel} sets it."
                )
            else:
                refusal = _(
                    "[channels.{channel}] is live but its {key} is still the example "
                    "{value!r}: give your own server's address, such as https://mastodon.social."
                )
            raise ConfigError(refusal.format(channel=channel.name, key=key, value=value))


def upload_lister(channel_type: str) -> UploadLister:
    from scheduler.channels import bluesky, linkedin_request, mastodon

    listers: dict[str, UploadLister] = {
        "mastodon": mastodon.upload_requests,
        "linkedin": linkedin_request.upload_requests,
        "bluesky": bluesky.upload_requests,
    }
    return listers[channel_type]


def build_channel(config: Config, name: str, environ: Mapping[str, str] | None = None) -> Channel:
    channel = config.channels[name]
    if channel.mode == "dry-run":
        from scheduler.channels.dryrun import DryRunChannel

        return DryRunChannel(
            channel, config, request_builder(channel.type), upload_lister(channel.type)
        )
    require_real_target(channel)
    token = read_token(channel, os.environ if environ is None else environ)
    if channel.type == "mastodon":
        from scheduler.channels.mastodon import MastodonChannel

        return MastodonChannel(channel, config, token)
    if channel.type == "bluesky":
        from scheduler.channels.bluesky import BlueskyChannel

        return BlueskyChannel(channel, config, token)
    from scheduler.channels.linkedin import LinkedInChannel

    return LinkedInChannel(channel, config, token)


def build_channels(config: Config, environ: Mapping[str, str] | None = None) -> dict[str, Channel]:
    return {name: build_channel(config, name, environ) for name in config.channels}
