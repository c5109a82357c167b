"""`postsched connect`: a network's OAuth authorization-code flow, for the command line and the
web page alike; for Bluesky, an app password checked with the account's server (bluesky.py).

A connect has two halves. `start` registers what the network needs and builds the address the
officer opens, with a fresh `state` and a PKCE verifier; the network asks the officer, then sends
the browser back to our redirect address with a code. `finish` checks that answer, exchanges the
code for a token and asks the network whom it belongs to. Nothing is stored until the caller
saves the result (the credentials file, and for LinkedIn the author in config.toml).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from posts.campaign import Config
from posts.errors import InputError
from posts.language import clauses, show_date
from posts.language import gettext as _
from scheduler.connect.oauth import Author, Connected, ConnectError, Connector, Pending

if TYPE_CHECKING:
    from scheduler.connect.bluesky import BlueskyConnector

__all__ = [
    "Author",
    "ConnectError",
    "Connected",
    "Connector",
    "Pending",
    "choose_author",
    "connector_for",
    "disconnect_channel",
    "store_connection",
]


def connector_for(
    config: Config, name: str, environ: Mapping[str, str] | None = None
) -> Connector | BlueskyConnector:
    channel = config.channels.get(name)
    if channel is None:
        known = ", ".join(config.channels) or _("none")
        raise InputError(
            _("There is no channel {name!r} in config.toml (channels: {known}).").format(
                name=name, known=known
            )
        )
    if channel.type == "mastodon":
        from scheduler.connect.mastodon import MastodonConnector

        return MastodonConnector(channel)
    if channel.type == "bluesky":
        from scheduler.connect.bluesky import BlueskyConnector

        return BlueskyConnector(channel)
    from scheduler.connect.linkedin import LinkedInConnector

    return LinkedInConnector(channel, environ)


def store_connection(
    connected: Connected,
    author: Author | None,
    config: Config,
    credentials: Any = None,
    *,
    show_path: bool = True,
) -> str:
    """Keep a granted token (and for LinkedIn, the chosen author in config.toml); return the
    sentence that says what was done (the web page names no path on the server)."""
    from scheduler.config_file import set_channel_option
    from scheduler.credentials import Credentials

    credentials = credentials or Credentials.locate()
    channel = config.channels[connected.channel]
    entry = dict(connected.entry)
    bluesky = entry.get("type") == "bluesky"
    # Independent clauses, each a whole one, joined by semicolons.
    parts = [_("{channel}: connected as {who}").format(channel=channel.name, who=connected.who)]
    if bluesky:
        parts.extend(_bluesky_handle(config, channel.name, str(entry["handle"])))
    if author is not None:
        if config.path is None:
            raise ConnectError(_("There is no config.toml to record the channel's author in."))
        if channel.options.get("author") != author.urn:
            set_channel_option(config.path, channel.name, "author", author.urn)
        entry["author"] = author.urn
        entry["account"] = author.urn
        entry["name"] = author.name
        parts.append(
            _("it posts as {author}, now its author in {file}").format(
                author=author.label(), file=config.path.name
            )
        )
    credentials.save_entry(channel.name, entry)
    expires = entry.get("expires_at")
    if expires:
        day = date.fromisoformat(expires[:10])
        parts.append(_("the token expires on {day}").format(day=show_date(day)))
    if bluesky and show_path:
        parts.append(_("the app password is kept in {path}").format(path=credentials.path))
    elif bluesky:
        parts.append(_("the app password is kept in postsched's credentials file"))
    elif show_path:
        parts.append(_("the token is kept in {path}").format(path=credentials.path))
    else:
        parts.append(_("the token is kept in postsched's credentials file"))
    said = clauses(parts) + "."
    env = channel.token_env
    if bluesky and env and os.environ.get(env, "").strip() not in ("", entry["app_password"]):
        said += " " + _(
            "${env} holds another password and wins over the file: unset it, in the daemon's "
            "environment too."
        ).format(env=env)
    if channel.mode != "live":
        said += " " + _(
            'The channel is still dry-run: set mode = "live" in [channels.{channel}] when you '
            "are ready (docs/going-live.md)."
        ).format(channel=channel.name)
    return said


def _bluesky_handle(config: Config, name: str, handle: str) -> list[str]:
    """The handle the server logged in, written into config.toml when the channel named
    another (the channel posts and links under it); the clause that says so."""
    from scheduler.config_file import set_channel_option

    if str(config.channels[name].options.get("handle", "")).lstrip("@") == handle:
        return []
    if config.path is None:
        raise ConnectError(_("There is no config.toml to record the channel's handle in."))
    set_channel_option(config.path, name, "handle", handle)
    return [_("its handle is now {handle} in {file}").format(handle=handle, file=config.path.name)]


def choose_author(connected: Connected, wanted: str | None) -> Author | None:
    """The author a LinkedIn connect records: `wanted` (a URN, or "me"), else the only page;
    Mastodon has no author to choose."""
    if not connected.authors:
        return None
    member = connected.authors[-1]
    pages = [a for a in connected.authors if a.kind == "page"]
    if wanted:
        if wanted == "me":
            return member
        for author in connected.authors:
            if author.urn == wanted:
                return author
        choices = ", ".join(a.urn for a in connected.authors)
        raise ConnectError(
            _(
                "{wanted} is not among the authors this LinkedIn member may post as "
                "({choices}); nothing was stored."
            ).format(wanted=wanted, choices=choices)
        )
    if not connected.pages_asked:
        return member  # a Share on LinkedIn app: the member only
    if not pages:
        raise ConnectError(
            _(
                "{who} administers no LinkedIn page: ask a Super admin of the school's "
                "page to give you the Super admin or Content admin role, or connect with "
                "--author me to post as yourself; nothing was stored."
            ).format(who=connected.who)
        )
    if len(pages) > 1:
        choices = ", ".join(a.urn for a in connected.authors)
        raise ConnectError(
            _(
                "This LinkedIn member may post as several authors ({choices}): choose one with "
                "--author; nothing was stored."
            ).format(choices=choices)
        )
    return pages[0]


def disconnect_channel(config: Config, name: str) -> str:
    """Revoke a channel's stored token with its network and forget it; the sentence to show."""
    from scheduler.credentials import Credentials

    connector = connector_for(config, name)
    credentials = Credentials.locate()
    entry = credentials.entry(name)
    if entry is None:
        env = connector.channel.token_env
        if env and os.environ.get(env):  # only a variable that is set is worth naming
            refusal = _("postsched keeps no token for {name}; a token in ${env} is yours to unset.")
        else:
            refusal = _("postsched keeps no token for {name}.")
        raise ConnectError(refusal.format(name=name, env=env))
    problem = connector.revoke(entry)
    credentials.forget_entry(name)
    if connector.channel.type == "bluesky":
        return _(
            "{name}: the app password is forgotten here, but it still works: {problem}."
        ).format(name=name, problem=problem)
    if problem:
        return _("{name}: the token is forgotten here, but not revoked: {problem}.").format(
            name=name, problem=problem
        )
    return _("{name}: the token is revoked and forgotten.").format(name=name)
