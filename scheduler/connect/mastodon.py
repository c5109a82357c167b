"""Connecting a Mastodon account: an application registered once per instance, then the
authorization-code flow (with PKCE), and `verify_credentials` to say whom the token is for."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from posts.campaign import ChannelConfig
from posts.language import gettext as _
from scheduler.connect.oauth import (
    Connected,
    ConnectError,
    OAuthHttp,
    Pending,
    code_from,
    json_of,
    new_state,
    pkce_pair,
    said,
    same_redirect,
)
from scheduler.credentials import Credentials, channel_server

# Write statuses and media; read the account (who am I) and its statuses (is it really out).
SCOPES = "read:accounts read:statuses write:statuses write:media"  # untranslated: OAuth scopes
OOB = "urn:ietf:wg:oauth:2.0:oob"
LOOPBACK = "http://127.0.0.1/callback"  # any port: Mastodon ignores a loopback IP's port
APP_NAME = "postsched"
APP_WEBSITE = "https://pypi.org/project/postsched/"


class MastodonConnector:
    network = "Mastodon"

    def __init__(self, channel: ChannelConfig, credentials: Credentials | None = None):
        self.channel = channel
        self.instance = channel_server(channel)
        if self.instance in ("", "https://mastodon.example"):
            if self.instance:
                refusal = _(
                    "[channels.{channel}] instance is still the example {instance}: give your "
                    "own server with postsched connect {channel} --instance https://your.server "
                    "(it is written to config.toml)."
                )
            else:
                refusal = _(
                    "[channels.{channel}] instance is still the example address: give your "
                    "own server with postsched connect {channel} --instance https://your.server "
                    "(it is written to config.toml)."
                )
            raise ConnectError(refusal.format(channel=channel.name, instance=self.instance))
        self.credentials = credentials or Credentials.locate()
        self.http = OAuthHttp(self.instance, channel)

    # the application ------------------------------------------------------------------

    def app(self, redirect_uri: str) -> dict[str, Any]:
        """The application registered on this instance that accepts `redirect_uri`, registered
        now (and kept) when there is none yet."""
        for app in self.credentials.apps(self.instance):
            uris = app.get("redirect_uris", [])
            if app.get("scopes") == SCOPES and any(same_redirect(u, redirect_uri) for u in uris):
                return app
        uris = [OOB, LOOPBACK]
        if not any(same_redirect(u, redirect_uri) for u in uris):
            uris.append(redirect_uri)
        response = self.http.call(
            "POST",
            f"{self.instance}/api/v1/apps",
            _("registering postsched on {server}").format(server=self.instance),
            data={
                "client_name": APP_NAME,
                "redirect_uris": "\n".join(uris),
                "scopes": SCOPES,
                "website": APP_WEBSITE,
            },
        )
        data = json_of(response)
        if response.status_code >= 400 or not data or not data.get("client_id"):
            raise ConnectError(
                _(
                    "{server} does not answer as a Mastodon server (registering an "
                    "application gave {said}): check instance in [channels.{channel}]; nothing "
                    "was stored."
                ).format(server=self.instance, said=said(response), channel=self.channel.name)
            )
        app = {
            "client_id": str(data["client_id"]),
            "client_secret": str(data.get("client_secret", "")),
            "redirect_uris": uris,
            "scopes": SCOPES,
            "registered_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.credentials.save_app(self.instance, app)
        return app

    # the flow ---------------------------------------------------------------------------

    def start(self, redirect_uri: str) -> Pending:
        app = self.app(redirect_uri)
        state = new_state()
        verifier, challenge = pkce_pair()
        query = {
            "response_type": "code",
            "client_id": app["client_id"],
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        url = f"{self.instance}/oauth/authorize?{urlencode(query)}"
        return Pending(self.channel.name, redirect_uri, state, verifier, url)

    def finish(self, pending: Pending, answer: Mapping[str, str]) -> Connected:
        code = code_from(pending, answer, self.instance)
        app = self.app(pending.redirect_uri)
        response = self.http.call(
            "POST",
            f"{self.instance}/oauth/token",
            _("exchanging the code for a token"),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "redirect_uri": pending.redirect_uri,
                "code_verifier": pending.verifier,
                "scope": SCOPES,
            },
        )
        data = json_of(response) or {}
        token = data.get("access_token")
        if response.status_code >= 400 or not token:
            raise ConnectError(
                _(
                    "{server} refused the code ({said}): it may have been mistyped, used "
                    "already or have expired; run connect again. Nothing was stored."
                ).format(server=self.instance, said=said(response))
            )
        me = self.http.call(
            "GET",
            f"{self.instance}/api/v1/accounts/verify_credentials",
            _("asking whom the token belongs to"),
            headers={"Authorization": f"Bearer {token}"},
        )
        account = json_of(me)
        if me.status_code >= 400 or not account or not account.get("acct"):
            raise ConnectError(
                _(
                    "{server} granted a token but would not say whose it is ({said}); nothing "
                    "was stored."
                ).format(server=self.instance, said=said(me))
            )
        handle = f"@{account['acct']}"
        name = account.get("display_name") or None
        entry = {
            "type": "mastodon",
            "server": self.instance,
            "access_token": str(token),
            "scope": data.get("scope", SCOPES),
            "client_id": app["client_id"],
            "account": handle,
            "name": name,
            "url": account.get("url"),
            "obtained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "expires_at": None,  # Mastodon tokens last until revoked
        }
        who = f"{name} ({handle})" if name else handle
        return Connected(
            self.channel.name, entry, _("{who} on {server}").format(who=who, server=self.instance)
        )

    def revoke(self, entry: Mapping[str, Any]) -> str | None:
        """Revoke the token on the instance; a sentence when that could not be done."""
        app = next(
            (
                a
                for a in self.credentials.apps(self.instance)
                if a["client_id"] == entry.get("client_id")
            ),
            None,
        )
        if app is None:
            return _("revoke it in {server}'s settings, under Authorized apps").format(
                server=self.instance
            )
        try:
            response = self.http.call(
                "POST",
                f"{self.instance}/oauth/revoke",
                _("revoking the token"),
                data={
                    "client_id": app["client_id"],
                    "client_secret": app["client_secret"],
                    "token": entry.get("access_token", ""),
                },
            )
        except ConnectError:
            return _(
                "{server} could not be reached: revoke it in its settings, under Authorized apps"
            ).format(server=self.instance)
        if response.status_code >= 400:
            return _(
                "{server} answered {said}: revoke it in its settings, under Authorized apps"
            ).format(server=self.instance, said=said(response))
        return None
