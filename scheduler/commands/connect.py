"""Connecting the accounts: connect and disconnect."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from posts.language import N_
from posts.language import gettext as _
from scheduler.app import App
from scheduler.commands.common import app, say
from scheduler.speaking import command

if TYPE_CHECKING:
    from posts.campaign import Config
    from scheduler.connect import Author, Connected
    from scheduler.connect.bluesky import BlueskyConnector


@command()
@click.argument("channel")
@click.option(
    "--paste",
    is_flag=True,
    help=N_(
        "Mastodon: on a machine without a browser, open the address anywhere and paste the code."
    ),
)
@click.option("--no-browser", is_flag=True, help=N_("Print the address; do not open a browser."))
@click.option(
    "--author",
    metavar="URN|me",
    help=N_("LinkedIn: post as this page (urn:li:organization:N) or as yourself (me)."),
)
@click.option(
    "--instance", metavar="URL", help=N_("Mastodon: your server, written to config.toml.")
)
@click.option(
    "--timeout", default="5m", show_default=True, help=N_("How long to wait for the browser.")
)
@click.option(
    "--handle",
    metavar="HANDLE",
    help=N_("Bluesky: the account's handle (default: the channel's handle)."),
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help=N_("Bluesky: read the app password from the first line of standard input."),
)
def connect(
    channel: str,
    paste: bool,
    no_browser: bool,
    author: str | None,
    instance: str | None,
    timeout: str,
    handle: str | None,
    password_stdin: bool,
) -> None:
    """Authorize postsched on CHANNEL's network and keep the token privately."""
    from posts.timing import parse_duration
    from scheduler.connect import choose_author, connector_for, store_connection
    from scheduler.connect.bluesky import BlueskyConnector
    from scheduler.connect.loopback import LoopbackServer
    from scheduler.connect.mastodon import OOB

    a = app()
    wait = parse_duration(timeout).total_seconds()
    config = a.config if instance is None else _with_instance(a, channel, instance)
    connector = connector_for(config, channel)
    if isinstance(connector, BlueskyConnector):
        if paste or no_browser or author is not None:
            raise click.UsageError(
                _(
                    "--paste, --no-browser and --author are not for Bluesky, which uses an app "
                    "password."
                )
            )
        connected = _bluesky_login(connector, handle, password_stdin)
        click.echo(store_connection(connected, None, config))
        return
    if handle is not None or password_stdin:
        raise click.UsageError(_("--handle and --password-stdin are for a Bluesky channel."))
    kind = connector.channel.type
    if paste and kind != "mastodon":
        raise click.UsageError(_("--paste is for Mastodon; LinkedIn only redirects to a URL."))
    server = None
    opened = False
    if not paste:
        if kind == "linkedin":
            server = LoopbackServer.for_uri(connector.redirect_uri)  # type: ignore[attr-defined]
        else:
            server = LoopbackServer()
    try:
        pending = connector.start(OOB if server is None else server.redirect_uri)
        if server is not None and not no_browser:
            opened = _open_browser(pending.url)
            if not opened and kind == "mastodon":
                server.server_close()
                server = None
                pending = connector.start(OOB)
                say(_("No browser here: you can approve on any device."))
        if server is None:
            say(_("Open this address, approve, then paste the code the page shows:"))
        elif not opened:
            say(
                _(
                    "Open this address in a browser on this machine (waiting up to {timeout}):"
                ).format(timeout=timeout)
            )
        click.echo(pending.url)
        if server is None:
            code = click.prompt(_("Code"), err=True).strip()
            answer = {"code": code, "state": pending.state}
        else:
            answer = server.wait(wait)
    finally:
        if server is not None:
            server.server_close()
    connected = connector.finish(pending, answer)
    pages = [x for x in connected.authors if x.kind == "page"]
    if author is None and pages and sys.stdin.isatty():
        chosen: Author | None = _prompt_author(connected)
    else:
        chosen = choose_author(connected, author)
    if instance is not None:  # written only once the server has said yes
        from scheduler.config_file import set_channel_option

        set_channel_option(a.config_path, channel, "instance", instance.rstrip("/"))
    click.echo(store_connection(connected, chosen, config))


def _bluesky_login(
    connector: BlueskyConnector, handle: str | None, password_stdin: bool
) -> Connected:
    """The handle (asked at a terminal, the channel's by default) and the app password: from
    standard input with --password-stdin, else from the channel's token_env when it is set,
    else asked at a terminal without echo; then checked with the account's server."""
    import os

    from posts.errors import InputError

    interactive = sys.stdin.isatty() and not password_stdin
    if handle is None:
        if interactive:
            handle = click.prompt(_("Handle"), default=connector.handle or None, err=True)
        else:
            handle = connector.handle
    env = connector.channel.token_env
    if password_stdin:
        password = sys.stdin.readline()
    elif env and os.environ.get(env, "").strip():
        say(_("Using the app password in ${env}.").format(env=env))
        password = os.environ[env]
    elif interactive:
        say(
            _(
                "An app password, made in Bluesky's Settings > Privacy and security > App "
                "passwords; never the account's own password."
            )
        )
        password = click.prompt(
            _("App password for @{handle}").format(handle=str(handle).lstrip("@")),
            hide_input=True,
            err=True,
        )
    elif env:
        raise InputError(
            _(
                "No app password: type it at a terminal, give it on standard input with "
                "--password-stdin, or export it in ${env}."
            ).format(env=env)
        )
    else:
        raise InputError(
            _(
                "No app password: type it at a terminal, or give it on standard input with "
                "--password-stdin."
            )
        )
    return connector.login(str(handle or ""), password)


def _prompt_author(connected: Connected) -> Author:
    """At a terminal: whom the channel posts as, the first page by default."""
    for number, author in enumerate(connected.authors, start=1):
        click.echo(f"  {number}. {author.label()}", err=True)
    picked = click.prompt(
        _("Post as"), type=click.IntRange(1, len(connected.authors)), default=1, err=True
    )
    return connected.authors[picked - 1]


def _open_browser(url: str) -> bool:
    import webbrowser

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


def _with_instance(a: App, channel: str, instance: str) -> Config:
    """The config with --instance as the channel's server, for this connect only."""
    from dataclasses import replace

    from posts.errors import InputError

    if not instance.startswith(("https://", "http://")):
        raise InputError(
            _("--instance {instance!r} must be an address such as https://mastodon.social.").format(
                instance=instance
            )
        )
    found = a.config.channels.get(channel)
    if found is None or found.type != "mastodon":
        raise InputError(
            _("--instance is for a Mastodon channel; {channel!r} is not one.").format(
                channel=channel
            )
        )
    options = {**found.options, "instance": instance.rstrip("/")}
    channels = {**a.config.channels, channel: replace(found, options=options)}
    return replace(a.config, channels=channels)


@command()
@click.argument("channel")
def disconnect(channel: str) -> None:
    """Revoke CHANNEL's stored token with its network and forget it (Bluesky: forget the app
    password; only you can revoke it, on bsky.app)."""
    from scheduler.connect import disconnect_channel

    click.echo(disconnect_channel(app().config, channel))


COMMANDS = [connect, disconnect]
