"""Connecting a Bluesky account: an app password, checked with the account's server.

Bluesky has no OAuth flow for postsched to follow: an account signs in with its handle and an
app password (Settings > Privacy and security > App passwords), which can post but cannot change
the account, and which its owner revokes alone. Connect logs in once with
com.atproto.server.createSession to check the pair and learn the account's DID, refuses the
account's own password when the session says it is one, ends that session at once
(deleteSession: postsched keeps no session, the daemon opens its own), and hands back the
entry the credentials file keeps: the app password, the handle and the DID.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from posts.campaign import ChannelConfig
from posts.characters import is_control
from posts.language import gettext as _
from scheduler.connect.oauth import Connected, ConnectError, OAuthHttp, json_of, said
from scheduler.credentials import bluesky_service

# The scope of a session opened with the account's own password (an app password's session
# says com.atproto.appPass, or com.atproto.appPassPrivileged with access to direct messages).
ACCOUNT_SCOPE = "com.atproto.access"  # untranslated: an AT Protocol scope
WHERE = "bsky.app"  # untranslated: where an app password is made and revoked


def session_scope(jwt: str) -> str | None:
    """The `scope` claim of a session's access token, or None when it cannot be read."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    scope = claims.get("scope") if isinstance(claims, dict) else None
    return scope if isinstance(scope, str) else None


class BlueskyConnector:
    network = "Bluesky"

    def __init__(self, channel: ChannelConfig):
        self.channel = channel
        self.service = bluesky_service(channel)
        self.handle = str(channel.options.get("handle", "")).strip().lstrip("@")
        self.http = OAuthHttp(self.service, channel)

    def login(self, handle: str, app_password: str) -> Connected:
        """Check the handle and app password with the account's server; the entry to keep.
        Every refusal is one sentence that names neither the password nor any token."""
        handle = handle.strip().lstrip("@")
        app_password = app_password.strip()
        if not handle:
            raise ConnectError(
                _("Give the account's handle (such as school.bsky.social); nothing was stored.")
            )
        if not app_password:
            raise ConnectError(_("No app password was given; nothing was stored."))
        if any(c.isspace() or is_control(c) for c in app_password):
            raise ConnectError(
                _(
                    "The app password holds a space, a line break or another control "
                    "character: copy it again as one piece; nothing was stored."
                )
            )
        response = self.http.call(
            "POST",
            f"{self.service}/xrpc/com.atproto.server.createSession",
            _("logging in to {server}").format(server=self.service),
            json={"identifier": handle, "password": app_password},
        )
        data = json_of(response) or {}
        if response.status_code == 401:
            raise ConnectError(
                _(
                    "{server} refused the handle {handle} with this app password ({said}): "
                    "check both, or make a new app password in Bluesky's Settings > Privacy and "
                    "security > App passwords; nothing was stored."
                ).format(server=self.service, handle=handle, said=said(response))
            )
        if response.status_code == 429:
            raise ConnectError(
                _(
                    "{server} refuses more logins for now ({said}): try again in a few "
                    "minutes; nothing was stored."
                ).format(server=self.service, said=said(response))
            )
        access, refresh = data.get("accessJwt"), data.get("refreshJwt")
        did, found = data.get("did"), data.get("handle")
        if (
            response.status_code >= 400
            or not isinstance(access, str)
            or not isinstance(refresh, str)
            or not isinstance(did, str)
        ):
            raise ConnectError(
                _(
                    "{server} does not answer as a Bluesky server (logging in gave {said}): "
                    "check service in [channels.{channel}]; nothing was stored."
                ).format(server=self.service, said=said(response), channel=self.channel.name)
            )
        self._end_session(refresh)
        if session_scope(access) == ACCOUNT_SCOPE:
            raise ConnectError(
                _(
                    "This is the account's own password, not an app password: postsched never "
                    "keeps it. Make an app password in Bluesky's Settings > Privacy and "
                    "security > App passwords and give that one; nothing was stored."
                )
            )
        handle = found if isinstance(found, str) and found else handle
        entry = {
            "type": "bluesky",
            "server": self.service,
            "app_password": app_password,
            "handle": handle,
            "did": did,
            "account": f"@{handle}",
            "name": None,
            "obtained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "expires_at": None,  # app passwords last until revoked
        }
        return Connected(self.channel.name, entry, f"@{handle} ({did})")

    def _end_session(self, refresh_jwt: str) -> None:
        """deleteSession: the session connect opened is not kept, so none is left open. A
        server that does not answer leaves a session that expires by itself."""
        with contextlib.suppress(ConnectError):
            self.http.call(
                "POST",
                f"{self.service}/xrpc/com.atproto.server.deleteSession",
                _("closing the session"),
                headers={"Authorization": f"Bearer {refresh_jwt}"},
            )

    def revoke(self, entry: Mapping[str, Any]) -> str | None:
        """An app password cannot be revoked with itself, and postsched keeps no session:
        what the officer does on bsky.app."""
        return _(
            "only you can revoke it, on {where}, under Settings > Privacy and security > App "
            "passwords"
        ).format(where=WHERE)
