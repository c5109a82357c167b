"""An HTTP request as postsched builds it: what a live adapter sends and the outbox shows."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posts.campaign import ChannelConfig, Config
from posts.characters import is_web_address
from posts.errors import (
    AuthError,
    PermanentError,
    PublishError,
    RateLimitError,
    TransientError,
)
from posts.images import image_kind
from posts.language import gettext as _
from posts.outcomes import PostView
from posts.timing import parse_duration
from posts.unreachable import unreachable_clause
from scheduler.http_failure import failure_kind

if TYPE_CHECKING:
    from requests import Response

log = logging.getLogger("postsched.http")
USER_AGENT = "postsched/0.1"
SECRET_HEADERS = frozenset({"authorization"})


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None

    def public(self) -> dict[str, Any]:
        """The request without its secrets, as the outbox and debug logs show it."""
        return {
            "method": self.method,
            "url": self.url,
            "headers": {k: v for k, v in self.headers.items() if k.lower() not in SECRET_HEADERS},
            "json": self.json,
        }


# How each network builds a post's request, and lists the image uploads made before it (as the
# outbox shows them): the live adapter's own code, which the dry-run channel writes out.
RequestBuilder = Callable[[PostView, ChannelConfig, Config], HttpRequest]
UploadLister = Callable[[PostView, ChannelConfig, Config], list[dict[str, Any]]]


@dataclass(frozen=True)
class Image:
    name: str
    content: bytes
    mime: str
    alt: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def public(self) -> dict[str, Any]:
        """The image as the outbox shows it: what identifies the bytes, not the bytes."""
        return {
            "name": self.name,
            "content_type": self.mime,
            "size": len(self.content),
            "sha256": self.sha256,
        }


def network_url(value: object) -> tuple[str | None, str | None]:
    """A URL a network sent back, kept only when it is an http(s) address with no space or
    control character: it becomes a link on the post's page, a calendar's URL, a log line.
    Otherwise (None, a note quoting the answer, escaped, for the post's log)."""
    if value is None or value == "":
        return None, None
    if isinstance(value, str) and is_web_address(value):
        return value, None
    shown = repr(value)
    shown = shown if len(shown) <= 200 else shown[:199] + "…"
    return None, _(
        "the network gave the address {address}, which is not a web address: not kept"
    ).format(address=shown)


def read_image(post: PostView) -> Image:
    """The post's image and its alt text, or a PermanentError: neither will change by itself."""
    assert post.media_path is not None
    return load_image(Path(post.media_path), post.media_alt)


def load_image(path: Path, alt: str | None) -> Image:
    """An image file and its alt text (a post's own, or a link card's from config.toml)."""
    if not alt:
        raise PermanentError(_("an image needs its alt text; this one has none"))
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise PermanentError(
            _("cannot read the image {path}: {reason}").format(path=path, reason=exc.strerror)
        ) from None
    kind = image_kind(content[:16])
    mime = f"image/{kind}" if kind else mimetypes.guess_type(path.name)[0]
    return Image(path.name, content, mime or "application/octet-stream", alt)


def read_timeout(channel: ChannelConfig) -> float:
    """`timeout = "30s"` in a channel's table: how long to wait for an answer."""
    value = channel.options.get("timeout")
    return parse_duration(str(value)).total_seconds() if value else 30.0


SHORTEST_PIECE = 6  # a shorter piece of a token is masked only as part of a longer form


def secret_forms(token: str) -> list[str]:
    """Every form of a token an error message may hold, longest first."""
    import json
    from urllib.parse import quote, quote_plus

    if not token:
        return []
    forms = {
        token,
        repr(token)[1:-1],
        token.encode("unicode_escape").decode("ascii"),
        json.dumps(token)[1:-1],
        quote(token, safe=""),
        quote_plus(token),
    }
    forms |= {piece for piece in token.split() if len(piece) >= SHORTEST_PIECE}
    return sorted((f for f in forms if f), key=len, reverse=True)


class HttpClient:
    """One HTTP session per channel: timeouts on every call, and the one place where transport
    failures become domain errors. The token is added here and nowhere else, and never
    appears in an error message."""

    def __init__(self, token: str, *, connect_timeout: float = 5.0, read_timeout: float = 30.0):
        import requests

        self._token = token
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def set_token(self, token: str) -> None:
        self._token = token

    def send(self, request: HttpRequest, **extra: Any) -> Response:
        import requests

        headers = dict(request.headers)
        if self._token:  # none before a session exists (Bluesky's createSession)
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = self.session.request(
                request.method,
                request.url,
                headers=headers,
                json=request.json,
                timeout=self.timeout,
                **extra,
            )
        except requests.Timeout:
            raise TransientError(
                _("{method} {url} timed out").format(method=request.method, url=request.url)
            ) from None
        except requests.ConnectionError as exc:
            # The library's own words (a repr of nested exceptions) go to the debug log only.
            log.debug("%s %s: %s", request.method, request.url, self.censor(str(exc)))
            reason = unreachable_clause(failure_kind(exc))
            raise TransientError(
                _("cannot reach {url}: {reason}").format(url=request.url, reason=reason)
            ) from None
        except requests.RequestException as exc:
            raise TransientError(
                _("{method} {url} failed: {reason}").format(
                    method=request.method, url=request.url, reason=self.censor(str(exc))
                )
            ) from None
        # Method, URL and status only: the headers (and so the token) are never logged.
        log.debug("%s %s -> %s", request.method, request.url, response.status_code)
        return response

    def censor(self, text: str) -> str:
        """The text with the token masked in every form an error may quote it: whole, escaped
        as repr or JSON would, URL-encoded, and each of its pieces between line breaks and
        spaces (a token holding one is refused at start; this is the second wall)."""
        for form in secret_forms(self._token):
            text = text.replace(form, "***")
        return text

    def error_text(self, response: Response) -> str:
        """The network's own words for a refusal (`error`, `message`, or the start of the
        body), with the token masked before anything is cut, so no part of it survives."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("error_description", "error", "message"):
                if isinstance(data.get(key), str) and data[key]:
                    return self.censor(str(data[key]))[:300]
        body = response.text.strip()
        if body[:1] == "<":  # a web page where the API's JSON was expected
            return _("a web page instead of an answer of the API: check the server's address")
        return self.censor(body)[:300] or response.reason


def read_counts(response: Response, who: str, found: dict[str, object]) -> dict[str, int]:
    """`found` (names the network gives its counts -> values read from its answer) as whole
    numbers; UnreadableAnswerError naming what is missing or not a number."""
    from posts.errors import UnreadableAnswerError

    missing = [name for name, value in found.items() if not _is_count(value)]
    if missing:
        raise UnreadableAnswerError(
            _("{network} answered {code} without the counts its docs describe ({names})").format(
                network=who, code=response.status_code, names=", ".join(missing)
            )
        )
    return {name: int(value) for name, value in found.items()}  # type: ignore[call-overload]


def answer_json(response: Response, who: str) -> dict[str, Any]:
    """A read's answer as a JSON object, or UnreadableAnswerError (an HTML page, say)."""
    from posts.errors import UnreadableAnswerError

    try:
        data = response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "").split(";")[0]
        if not kind:
            raise UnreadableAnswerError(
                _("{network} answered {code} with no content type instead of JSON").format(
                    network=who, code=response.status_code
                )
            ) from None
        raise UnreadableAnswerError(
            _("{network} answered {code} with {kind} instead of JSON").format(
                network=who, code=response.status_code, kind=kind
            )
        ) from None
    if not isinstance(data, dict):
        raise UnreadableAnswerError(
            _("{network} answered {code} with unexpected JSON").format(
                network=who, code=response.status_code
            )
        )
    return data


def classify_refusal(
    response: Response, what: str, renew: str, reset_header: str | None = None
) -> PublishError:
    """The one reading of a network's refusal (DESIGN.md rule 4), `what` the sentence that says
    it, as the error to raise: 401 a token to renew (`renew` says how), 429 a rate limit until
    the reset time the `reset_header` gives (without one, backed off as a 5xx), 5xx and 408
    worth another try, anything else final."""
    code = response.status_code
    if code == 401:
        return AuthError(f"{what}; {renew}")
    if code == 429 and reset_header is not None:
        return RateLimitError(what, retry_after=reset_time(response, reset_header))
    if code == 429 or code >= 500 or code == 408:
        return TransientError(what)
    return PermanentError(what)


def reset_time(response: Response, header: str) -> datetime:
    """When a rate limit ends, from the answer's `header`: epoch seconds (Bluesky, some
    Mastodon servers) or an ISO 8601 instant (Mastodon); a minute from now when absent or
    unreadable."""
    value = response.headers.get(header, "").strip()
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        reset = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC) + timedelta(minutes=1)
    return (reset if reset.tzinfo else reset.replace(tzinfo=UTC)).astimezone(UTC)


def json_or_retry(response: Response, who: str) -> dict[str, Any]:
    """A 2xx answer of the publish path as a JSON object. One that is not is an outcome we cannot
    read: TransientError, since a retry is safe (the idempotency key, the record key)."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise TransientError(
            _("{network} answered {code} with a body that is not a JSON object").format(
                network=who, code=response.status_code
            )
        )
    return data


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
