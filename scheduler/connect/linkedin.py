"""Connecting LinkedIn: the officer's own LinkedIn app (its client id and secret come from the
environment variables the channel's table names), the 3-legged authorization-code flow to a
redirect URL registered in that app, then the pages the member may post for.

Two kinds of app (docs/going-live.md): with the Community Management API (a page's app; that
product must be the app's only one) postsched asks for the page scopes and reads the member from
`/v2/me`; with "Share on LinkedIn" and "Sign In with LinkedIn using OpenID Connect" it can post
only as the member, read from `/v2/userinfo`. A channel whose author is a person uses the second.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from posts.campaign import ChannelConfig
from posts.language import gettext as _
from scheduler.connect.oauth import (
    Author,
    Connected,
    ConnectError,
    OAuthHttp,
    Pending,
    code_from,
    json_of,
    new_state,
    said,
)
from scheduler.credentials import channel_server, format_time

PAGE_SCOPES = (
    "r_basicprofile w_member_social w_organization_social "  # untranslated: OAuth scopes
    "r_organization_social "
    "rw_organization_admin"
)
MEMBER_SCOPES = "openid profile w_member_social"  # untranslated: OAuth scopes
DEFAULT_REDIRECT = "http://localhost:8642/callback"
# Page roles that may publish the page's posts (Super admin and Content admin in LinkedIn's UI).
POSTING_ROLES = ("ADMINISTRATOR", "CONTENT_ADMINISTRATOR")
RESTLI = "2.0.0"


class LinkedInConnector:
    network = "LinkedIn"

    def __init__(self, channel: ChannelConfig, environ: Mapping[str, str] | None = None):
        self.channel = channel
        self.environ = os.environ if environ is None else environ
        options = channel.options
        self.api_url = channel_server(channel)
        self.oauth_url = str(options.get("oauth_url", "https://www.linkedin.com")).rstrip("/")
        self.version = str(options.get("api_version", ""))
        self.as_member = str(options.get("author", "")).startswith("urn:li:person:")
        self.scopes = MEMBER_SCOPES if self.as_member else PAGE_SCOPES
        self.http = OAuthHttp("LinkedIn", channel)

    @property
    def redirect_uri(self) -> str:
        """The redirect URL of the command line, which must be registered in the app."""
        return str(self.channel.options.get("redirect_uri", DEFAULT_REDIRECT))

    def client(self) -> tuple[str, str]:
        names = client_env(self.channel)
        values = [self.environ.get(n, "").strip() for n in names]
        missing = [n for n, v in zip(names, values, strict=True) if not v]
        if missing:
            if len(missing) == 1:
                refusal = _(
                    "LinkedIn needs your app's client id and secret: set {name} in the "
                    "environment (from the app's Auth tab, docs/going-live.md); nothing was "
                    "stored."
                )
            else:
                refusal = _(
                    "LinkedIn needs your app's client id and secret: set {name} and {other} in "
                    "the environment (from the app's Auth tab, docs/going-live.md); nothing was "
                    "stored."
                )
            raise ConnectError(refusal.format(name=missing[0], other=missing[-1]))
        return values[0], values[1]

    # the flow ---------------------------------------------------------------------------

    def start(self, redirect_uri: str) -> Pending:
        client_id, _secret = self.client()
        state = new_state()
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": self.scopes,
        }
        url = f"{self.oauth_url}/oauth/v2/authorization?{urlencode(query)}"
        # LinkedIn's flow has no PKCE for confidential clients: the secret stays here.
        return Pending(self.channel.name, redirect_uri, state, "", url)

    def finish(self, pending: Pending, answer: Mapping[str, str]) -> Connected:
        code = code_from(pending, answer, "LinkedIn")
        grant = {"code": code, "redirect_uri": pending.redirect_uri}
        response, data = self._token("authorization_code", grant, _("exchanging the code"))
        if response.status_code >= 400 or not data.get("access_token"):
            raise ConnectError(
                _(
                    "LinkedIn refused the code ({said}): it may have been used already or "
                    "have expired, or the redirect URL differs from the app's; run connect "
                    "again. Nothing was stored."
                ).format(said=said(response))
            )
        token = str(data["access_token"])
        entry = token_entry(data, self.api_url)
        member = self.member(token)
        entry.update({"type": "linkedin", "member": member.urn, "name": member.name})
        authors = [] if self.as_member else self.pages(token)
        who = f"{member.name} ({member.urn})"
        return Connected(self.channel.name, entry, who, [*authors, member], not self.as_member)

    def member(self, token: str) -> Author:
        """The member the token belongs to: `/v2/me` for a Community Management app, OpenID's
        `/v2/userinfo` for a Share on LinkedIn app (each answers 403 to the other's token)."""
        headers = {"Authorization": f"Bearer {token}"}
        for path in ("/v2/userinfo",) if self.as_member else ("/v2/me", "/v2/userinfo"):
            response = self.http.call(
                "GET",
                f"{self.api_url}{path}",
                _("asking whom the token belongs to"),
                headers=headers,
            )
            data = json_of(response)
            if response.status_code < 400 and data:
                if path == "/v2/me" and data.get("id"):
                    first = data.get("localizedFirstName", "")
                    name = f"{first} {data.get('localizedLastName', '')}".strip()
                    return Author(f"urn:li:person:{data['id']}", name or str(data["id"]), "member")
                if data.get("sub"):
                    return Author(
                        f"urn:li:person:{data['sub']}",
                        str(data.get("name") or data["sub"]),
                        "member",
                    )
        raise ConnectError(
            _(
                "LinkedIn granted a token but would not say whose it is: the app may lack the "
                "products docs/going-live.md names; nothing was stored."
            )
        )

    def pages(self, token: str) -> list[Author]:
        """The pages the member may post for: approved Super admin or Content admin roles."""
        headers = {
            "Authorization": f"Bearer {token}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": RESTLI,
        }
        response = self.http.call(
            "GET",
            f"{self.api_url}/rest/organizationAcls",
            _("listing the pages you administer"),
            headers=headers,
            params={"q": "roleAssignee", "state": "APPROVED"},
        )
        data = json_of(response)
        if response.status_code >= 400 or data is None:
            raise ConnectError(
                _(
                    "LinkedIn would not list the pages you administer ({said}): the app "
                    "needs the Community Management API (docs/going-live.md); nothing was stored."
                ).format(said=said(response))
            )
        urns: list[str] = []
        for element in data.get("elements", []):
            urn = str(element.get("organization") or element.get("organizationalTarget") or "")
            if element.get("role") in POSTING_ROLES and urn and urn not in urns:
                urns.append(urn)
        return [Author(urn, self.page_name(urn, headers), "page") for urn in urns]

    def page_name(self, urn: str, headers: dict[str, str]) -> str:
        number = urn.rsplit(":", 1)[-1]
        response = self.http.call(
            "GET",
            f"{self.api_url}/rest/organizations/{number}",
            _("reading a page's name"),
            headers=headers,
        )
        data = json_of(response) or {}
        return str(data.get("localizedName") or urn)

    def _token(
        self, grant_type: str, grant: dict[str, str], doing: str
    ) -> tuple[Any, dict[str, Any]]:
        """A call to LinkedIn's token endpoint with the app's credentials, and its JSON."""
        client_id, secret = self.client()
        response = self.http.call(
            "POST",
            f"{self.oauth_url}/oauth/v2/accessToken",
            doing,
            data={
                "grant_type": grant_type,
                **grant,
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        return response, json_of(response) or {}

    # later ------------------------------------------------------------------------------

    def refresh(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """A new access token from the refresh token LinkedIn granted (partners only)."""
        grant = {"refresh_token": str(entry.get("refresh_token", ""))}
        response, data = self._token("refresh_token", grant, _("renewing the token"))
        if response.status_code >= 400 or not data.get("access_token"):
            raise ConnectError(
                _("LinkedIn refused to renew the token ({said}).").format(said=said(response))
            )
        renewed = {**entry, **token_entry(data, self.api_url)}
        if not data.get("refresh_token"):  # the refresh token keeps its own, fixed expiry
            renewed["refresh_token"] = entry.get("refresh_token")
            renewed["refresh_expires_at"] = entry.get("refresh_expires_at")
        return renewed

    def revoke(self, entry: Mapping[str, Any]) -> str | None:
        how = _(
            "remove postsched's app at linkedin.com under Settings, Data privacy, "
            "Permitted services"
        )
        try:
            client_id, secret = self.client()
            response = self.http.call(
                "POST",
                f"{self.oauth_url}/oauth/v2/revoke",
                _("revoking the token"),
                data={
                    "client_id": client_id,
                    "client_secret": secret,
                    "token": str(entry.get("access_token", "")),
                },
            )
        except ConnectError as exc:
            return _("{problem}: {how}").format(problem=str(exc).split(";")[0].rstrip("."), how=how)
        if response.status_code >= 400:
            return _("LinkedIn answered {said}: {how}").format(said=said(response), how=how)
        return None


def client_env(channel: ChannelConfig) -> tuple[str, str]:
    """The names of the environment variables holding the LinkedIn app's id and secret."""
    options = channel.options
    return (
        str(options.get("client_id_env", "POSTSCHED_LINKEDIN_CLIENT_ID")),
        str(options.get("client_secret_env", "POSTSCHED_LINKEDIN_CLIENT_SECRET")),
    )


def token_entry(data: Mapping[str, Any], server: str) -> dict[str, Any]:
    """The token fields of a token answer, with expiries as instants (from `expires_in`)."""
    now = datetime.now(UTC)

    def after(key: str) -> str | None:
        seconds = data.get(key)
        if isinstance(seconds, int | float) and seconds > 0:
            return format_time(now + timedelta(seconds=seconds))
        return None

    return {
        "server": server,
        "access_token": str(data["access_token"]),
        "scope": data.get("scope"),
        "expires_at": after("expires_in"),
        "refresh_token": data.get("refresh_token"),
        "refresh_expires_at": after("refresh_token_expires_in"),
        "obtained_at": format_time(now),
    }
