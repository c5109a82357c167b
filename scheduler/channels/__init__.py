"""Channel adapters: one module per network, and the registry that builds them from config.

Each network module has a `build_request(post, config)` that makes the exact HTTP request a
live publish sends; the dry-run channel writes that same request to the outbox instead.
"""

from __future__ import annotations

from collections.abc import Callable

from posts.campaign import ChannelConfig, Config
from posts.claims import PostView
from posts.errors import ConfigError
from posts.publishing import Channel
from scheduler.channels.http import HttpRequest

RequestBuilder = Callable[[PostView, ChannelConfig, Config], HttpRequest]


def request_builder(channel_type: str) -> RequestBuilder:
    from scheduler.channels import linkedin, mastodon

    builders: dict[str, RequestBuilder] = {
        "mastodon": mastodon.build_request,
        "linkedin": linkedin.build_request,
    }
    return builders[channel_type]


def build_channel(config: Config, name: str) -> Channel:
    channel = config.channels[name]
    if channel.mode == "dry-run":
        from scheduler.channels.dryrun import DryRunChannel

        return DryRunChannel(channel, config, request_builder(channel.type))
    raise ConfigError(
        f'[channels.{name}] mode "live" is not available in this version of postsched; '
        'set mode = "dry-run".'
    )


def build_channels(config: Config) -> dict[str, Channel]:
    return {name: build_channel(config, name) for name in config.channels}
