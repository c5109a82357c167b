"""The pieces every network's connect shares: the error, the pending authorization, the
granted token, PKCE and state, and the HTTP calls to a network's OAuth endpoints."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from posts.campaign import ChannelConfig
from posts.errors import InputError
from posts.language import gettext as _

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
    """Calls to a network's OAuth endpoints, with timeouts, each failure one sentence.
    `channel`: its `timeout` is how long to wait for an answer, as the channel's own calls do."""

    def __init__(self, network: str, channel: ChannelConfig | None = None):
        import requests

        from scheduler.channels.http import read_timeout

        self.network = network
        self.timeout = (TIMEOUT[0], read_timeout(channel) if channel else TIMEOUT[1])
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def call(self, method: str, url: str, doing: str, **kwargs: Any) -> Any:
        import requests

        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
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
