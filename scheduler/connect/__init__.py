"""`postsched connect`: a network's OAuth authorization-code flow, for the command line and the
web page alike.

A connect has two halves. `start` registers what the network needs and builds the address the
officer opens, with a fresh `state` and a PKCE verifier; the network asks the officer, then sends
the browser back to our redirect address with a code. `finish` checks that answer, exchanges the
code for a token and asks the network whom it belongs to. Nothing is stored until the caller
saves the result (the credentials file, and for LinkedIn the author in config.toml).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol
from urllib.parse import urlsplit

from posts.campaign import ChannelConfig, Config
from posts.errors import InputError
from posts.language import gettext as _
from posts.language import show_date

USER_AGENT = "postsched/0.1"  # untranslated: an HTTP header
TIMEOUT = (5.0, 30.0)


class ConnectError(InputError):
    """A connect that cannot go on: one sentence, and nothing stored."""


@dataclass(frozen=True)
class Pending:
    """What links the authorization address to the answer: kept in memory by the command line,
    in the session by the web page (no secret in it but the PKCE verifier, which is useless
    without the client's own secret or the code)."""

    channel: str
    redirect_uri: str
    state: str
    verifier: str
    url: str


@dataclass(frozen=True)
class Author:
    """Whom a LinkedIn channel may post as: a page the member administers, or the member."""

    urn: str
    name: str
    kind: str  # "page" or "member"

    def label(self) -> str:
        if self.kind == "page":
            return _("the page {name} ({urn})").format(name=self.name, urn=self.urn)
        return _("yourself, {name} ({urn})").format(name=self.name, urn=self.urn)


@dataclass
class Connected:
    """A token the network granted, not yet stored, and what it said about it."""

    channel: str
    entry: dict[str, Any]  # what the credentials file keeps for the channel
    who: str  # whom the network says the token belongs to, for a person to read
    authors: list[Author] = field(default_factory=list)  # pages first, the member last
    pages_asked: bool = False  # whether the app could list pages (a Community Management app)


class Connector(Protocol):
    channel: ChannelConfig
    network: str

    def start(self, redirect_uri: str) -> Pending: ...

    def finish(self, pending: Pending, answer: Mapping[str, str]) -> Connected: ...

    def revoke(self, entry: Mapping[str, Any]) -> str | None: ...


def connector_for(config: Config, name: str, environ: Mapping[str, str] | None = None) -> Connector:
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
    from scheduler.connect.linkedin import LinkedInConnector

    return LinkedInConnector(channel, environ)


def new_state() -> str:
    return secrets.token_urlsafe(24)


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def code_from(pending: Pending, answer: Mapping[str, str], network: str) -> str:
    """The code in the network's answer, once the answer is shown to be ours and a yes."""
    error = answer.get("error")
    if error:
        said = answer.get("error_description") or error
        if error == "access_denied":
            raise ConnectError(
                _(
                    "The authorization was declined on {network} ({said}); nothing was stored."
                ).format(network=network, said=said)
            )
        raise ConnectError(
            _("{network} did not authorize postsched: {said}; nothing was stored.").format(
                network=network, said=said
            )
        )
    if answer.get("state") != pending.state:
        raise ConnectError(
            _(
                "The answer that came back does not carry the state this connect sent to "
                "{network}, so it may not come from your authorization; nothing was stored. "
                "Run connect again."
            ).format(network=network)
        )
    code = answer.get("code", "").strip()
    if not code:
        raise ConnectError(
            _("{network}'s answer holds no code; nothing was stored.").format(network=network)
        )
    return code


def is_loopback(uri: str) -> bool:
    host = urlsplit(uri).hostname or ""
    return host in ("127.0.0.1", "::1", "localhost")


def same_redirect(registered: str, wanted: str) -> bool:
    """Whether a registered redirect URI accepts `wanted`: exactly, or with another port for a
    loopback IP address (RFC 8252 7.3, as Mastodon's OAuth library does)."""
    if registered == wanted:
        return True
    a, b = urlsplit(registered), urlsplit(wanted)
    loopback = ("127.0.0.1", "::1")
    return (
        a.hostname in loopback
        and a.hostname == b.hostname
        and (a.scheme, a.path) == (b.scheme, b.path)
    )


class OAuthHttp:
    """Calls to a network's OAuth endpoints, with timeouts, each failure one sentence."""

    def __init__(self, network: str):
        import requests

        self.network = network
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def call(self, method: str, url: str, doing: str, **kwargs: Any) -> Any:
        import requests

        try:
            response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.Timeout:
            raise ConnectError(
                _("{url} did not answer in time while {doing}; nothing was stored.").format(
                    url=url, doing=doing
                )
            ) from None
        except requests.RequestException:
            raise ConnectError(
                _(
                    "Cannot reach {url} while {doing}: check the address and the network; "
                    "nothing was stored."
                ).format(url=url, doing=doing)
            ) from None
        return response


def json_of(response: Any) -> dict[str, Any] | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def said(response: Any) -> str:
    """The network's own words for a refusal, short, or its status."""
    data = json_of(response) or {}
    for key in ("error_description", "message", "error"):
        if isinstance(data.get(key), str) and data[key]:
            return str(data[key])[:200]
    return f"HTTP {response.status_code}"


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
    # Independent clauses, each a whole one, joined by semicolons.
    clauses = [_("{channel}: connected as {who}").format(channel=channel.name, who=connected.who)]
    if author is not None:
        if config.path is None:
            raise ConnectError(_("There is no config.toml to record the channel's author in."))
        if channel.options.get("author") != author.urn:
            set_channel_option(config.path, channel.name, "author", author.urn)
        entry["author"] = author.urn
        entry["account"] = author.urn
        entry["name"] = author.name
        clauses.append(
            _("it posts as {author}, now its author in {file}").format(
                author=author.label(), file=config.path.name
            )
        )
    credentials.save_entry(channel.name, entry)
    expires = entry.get("expires_at")
    if expires:
        day = date.fromisoformat(expires[:10])
        clauses.append(_("the token expires on {day}").format(day=show_date(day)))
    if show_path:
        clauses.append(_("the token is kept in {path}").format(path=credentials.path))
    else:
        clauses.append(_("the token is kept in postsched's credentials file"))
    said = "; ".join(clauses) + "."
    if channel.mode != "live":
        said += " " + _(
            'The channel is still dry-run: set mode = "live" in [channels.{channel}] when you '
            "are ready (docs/going-live.md)."
        ).format(channel=channel.name)
    return said


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
        if env:
            refusal = _("postsched keeps no token for {name}; a token in ${env} is yours to unset.")
        else:
            refusal = _("postsched keeps no token for {name}.")
        raise ConnectError(refusal.format(name=name, env=env))
    problem = connector.revoke(entry)
    credentials.forget_entry(name)
    if problem:
        return _("{name}: the token is forgotten here, but not revoked: {problem}.").format(
            name=name, problem=problem
        )
    return _("{name}: the token is revoked and forgotten.").format(name=name)
