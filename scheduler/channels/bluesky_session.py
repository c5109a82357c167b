"""A Bluesky account's session: XRPC calls with its access token, renewed when it expires.

A session comes from com.atproto.server.createSession with the handle and an app password
(never the account's own password). An expired access token answers 400 `ExpiredToken` (not
401): the session is then refreshed with its refresh token, and created again when that one
has expired too. The app password and both tokens are masked in every error message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from posts.campaign import ChannelConfig
from posts.errors import AuthError, TransientError
from posts.language import gettext as _
from scheduler.channels.http import (
    HttpClient,
    HttpRequest,
    classify_refusal,
    json_or_retry,
    read_timeout,
    secret_forms,
)
from scheduler.credentials import Token, bluesky_service, renew_hint

if TYPE_CHECKING:
    from requests import Response

# The answers that mean "this token is no longer good": renew it, then try once more.
RENEWABLE = frozenset({"ExpiredToken", "InvalidToken"})


class XrpcClient(HttpClient):
    """HttpClient whose Authorization is the session's current token (none before login),
    and whose errors mask the app password and both session tokens."""

    def __init__(self, password: str, **timeouts: float):
        super().__init__("", **timeouts)
        self.password = password
        self.refresh_jwt = ""

    def censor(self, text: str) -> str:
        for secret in (self.password, self._token, self.refresh_jwt):
            for form in secret_forms(secret):
                text = text.replace(form, "***")
        return text


class BlueskySession:
    """Logs in once, then signs every call; renews the session when the server says so."""

    def __init__(self, channel: ChannelConfig, token: Token):
        self.channel = channel
        self.token = token
        self.service = bluesky_service(channel)
        self.handle = str(channel.options["handle"]).strip().lstrip("@").lower()
        self.http = XrpcClient(token.value, read_timeout=read_timeout(channel))
        self.did: str | None = None
        self.access_jwt = ""

    def url(self, method: str) -> str:
        return f"{self.service}/xrpc/{method}"

    # the session ---------------------------------------------------------------------------

    def login(self) -> dict[str, Any]:
        """createSession with the app password; the session's did, handle and tokens."""
        self.http.set_token("")
        request = HttpRequest(
            "POST",
            self.url("com.atproto.server.createSession"),
            headers={"Content-Type": "application/json"},
            json={"identifier": self.handle, "password": self.token.value},
        )
        response = self.http.send(request)
        self.raise_for(response, _("Bluesky {code} while logging in: {words}"))
        data = json_or_retry(response, "Bluesky")
        self._keep(data)
        return data

    def refresh(self) -> bool:
        """refreshSession with the refresh token; False when that one is no good either."""
        if not self.http.refresh_jwt:
            return False
        self.http.set_token(self.http.refresh_jwt)
        response = self.http.send(
            HttpRequest("POST", self.url("com.atproto.server.refreshSession"))
        )
        if response.status_code in (400, 401):
            return False
        self.raise_for(response, _("Bluesky {code} while renewing the session: {words}"))
        self._keep(json_or_retry(response, "Bluesky"))
        return True

    def _keep(self, data: dict[str, Any]) -> None:
        access, refresh = data.get("accessJwt"), data.get("refreshJwt")
        if not isinstance(access, str) or not isinstance(refresh, str):
            raise TransientError(_("Bluesky answered without a session"))
        self.access_jwt = access
        self.http.refresh_jwt = refresh
        self.http.set_token(access)
        self.did = str(data.get("did") or self.did or "") or None

    def call(
        self,
        request: HttpRequest,
        refusal: str,
        *,
        tolerate: Callable[[Response], bool] | None = None,
        **extra: Any,
    ) -> Response:
        """One XRPC call in the session (logging in first when there is none), renewed and
        sent once more when the server answers that the access token has expired. An answer
        `tolerate` accepts is returned as it is, not raised."""
        if not self.access_jwt:
            self.login()
        self.http.set_token(self.access_jwt)
        response = self.http.send(request, **extra)
        if response.status_code in (400, 401) and error_name(response) in RENEWABLE:
            if not self.refresh():
                self.login()
            self.http.set_token(self.access_jwt)
            response = self.http.send(request, **extra)
        if tolerate is None or not tolerate(response):
            self.raise_for(response, refusal)
        return response

    # refusals ------------------------------------------------------------------------------

    def raise_for(self, response: Response, refusal: str) -> None:
        """Classify a refusal once (DESIGN.md rule 4). `refusal` is the translated sentence,
        with {code} and {words} (the server's own message)."""
        code = response.status_code
        if code < 400:
            return
        name = error_name(response)
        words = self.http.error_text(response)
        try:
            message = response.json().get("message")
        except (ValueError, AttributeError):
            message = None
        if isinstance(message, str) and message:  # XRPC's own words, after its error's name
            words = self.http.censor(message)[:300]
        what = refusal.format(code=code, words=f"{name}: {words}" if name else words)
        renew = renew_hint(self.channel, self.token)
        if name in ("AuthenticationRequired", "AccountTakedown"):
            raise AuthError(f"{what}; {renew}")
        raise classify_refusal(response, what, renew, "RateLimit-Reset")


def error_name(response: Response) -> str | None:
    """XRPC's `error` field: ExpiredToken, InvalidRequest, RecordNotFound…"""
    try:
        data = response.json()
    except ValueError:
        return None
    name = data.get("error") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None
