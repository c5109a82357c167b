"""Mastodon: POST /api/v1/statuses with an Idempotency-Key on every attempt."""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from posts.campaign import ChannelConfig, Config
from posts.confirming import Confirmation, Sent
from posts.errors import PublishError, TransientError
from posts.language import N_
from posts.language import gettext as _
from posts.outcomes import PostView
from posts.publishing import Receipt
from scheduler.channels.http import (
    USER_AGENT,
    HttpClient,
    HttpRequest,
    answer_json,
    classify_refusal,
    json_or_retry,
    network_url,
    read_counts,
    read_image,
    read_timeout,
)
from scheduler.credentials import Token, as_token, renew_hint

if TYPE_CHECKING:
    from requests import Response


def build_request(
    post: PostView, channel: ChannelConfig, config: Config, media_ids: list[str] | None = None
) -> HttpRequest:
    """The status a live publish creates. The same key on every attempt of one post lets the
    server return the first status instead of creating a second one. `media_ids` are those of
    the uploaded image; without them (the dry run), a stand-in naming the image's sha256."""
    instance = str(channel.options["instance"]).rstrip("/")
    body: dict[str, object] = {
        "status": post.body,
        "visibility": str(channel.options.get("visibility", "public")),
        "language": str(channel.options.get("language", config.campaign.language)),
    }
    if post.media_path:
        body["media_ids"] = media_ids or [f"dry-run-{read_image(post).sha256[:16]}"]
    return HttpRequest(
        method="POST",
        url=f"{instance}/api/v1/statuses",
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": post.idempotency_key,
            "User-Agent": USER_AGENT,
        },
        json=body,
    )


def media_request(channel: ChannelConfig) -> HttpRequest:
    instance = str(channel.options["instance"]).rstrip("/")
    return HttpRequest("POST", f"{instance}/api/v2/media", headers={"User-Agent": USER_AGENT})


def upload_requests(post: PostView, channel: ChannelConfig, config: Config) -> list[dict[str, Any]]:
    """What the dry run shows of the image upload before the status: the multipart POST to
    /api/v2/media, its file described by name, content type, size and sha256. (A live publish
    then polls GET /api/v1/media/:id while the server processes the image.)"""
    if not post.media_path:
        return []
    image = read_image(post)
    request = media_request(channel).public()
    del request["json"]
    return [request | {"multipart": {"file": image.public(), "description": image.alt}}]


# What a status's reach is read as (GET /api/v1/statuses/:id), named as Mastodon names them.
REACH_COUNTS = ("favourites_count", "reblogs_count", "replies_count")
LOOKING = N_("Mastodon {code} while looking for the post: {words}")
DEFAULT_LIMITS = (500, 23)  # max_characters, characters_reserved_per_url
MEDIA_WAIT = 60.0  # seconds to wait for the server to process an image


class MastodonChannel:
    """Publishes through POST /api/v1/statuses, with the post's Idempotency-Key every time."""

    # Mastodon remembers an Idempotency-Key for one hour; a post left `publishing` by a crash is
    # retried with its key inside that hour (with a margin), and marked `unknown` after it.
    dedup_window = timedelta(minutes=50)
    network = "mastodon"

    def __init__(self, channel: ChannelConfig, config: Config, token: Token | str):
        self.token = token = as_token(token, channel)
        self.name = channel.name
        self.channel = channel
        self.config = config
        self.instance = str(channel.options["instance"]).rstrip("/")
        self.http = HttpClient(token.value, read_timeout=read_timeout(channel))
        self._limits: tuple[int, int] | None = None
        self._description_limit: int | None = None

    # reading -------------------------------------------------------------------------------

    def limits(self) -> tuple[int, int]:
        """The instance's max_characters and characters_reserved_per_url (cached), or 500/23."""
        if self._limits is None:
            self._limits = DEFAULT_LIMITS
            try:
                response = self.http.send(HttpRequest("GET", f"{self.instance}/api/v2/instance"))
                configuration = response.json()["configuration"]
                statuses = configuration["statuses"]
                self._limits = (
                    int(statuses["max_characters"]),
                    int(statuses["characters_reserved_per_url"]),
                )
                # Since Mastodon 4.4: the longest alt text it takes (posts/accessibility.py).
                described = configuration.get("media_attachments", {}).get("description_limit")
                self._description_limit = int(described) if described else None
            except (PublishError, ValueError, KeyError, TypeError, AttributeError):
                pass
        return self._limits

    def description_limit(self) -> int | None:
        """The instance's description_limit (the longest alt text it takes), when it says."""
        self.limits()
        return self._description_limit

    def whoami(self) -> dict[str, str | None]:
        """Who the token posts as (verify_credentials). Mastodon tokens do not expire."""
        url = f"{self.instance}/api/v1/accounts/verify_credentials"
        response = self.http.send(HttpRequest("GET", url))
        self._raise_for(response, N_("Mastodon {code} while checking the token: {words}"))
        data = json_or_retry(response, "Mastodon")
        return {
            "account": f"@{data.get('acct')}",
            "name": data.get("display_name") or None,
            "url": data.get("url"),
            "expires": None,
        }

    def reach(self, remote_id: str) -> dict[str, int]:
        """The status's favourites, boosts and replies, as the server counts them now."""
        response = self.http.send(
            HttpRequest("GET", f"{self.instance}/api/v1/statuses/{remote_id}")
        )
        self._raise_for(response, N_("Mastodon {code} while reading the status's counts: {words}"))
        data = answer_json(response, "Mastodon")
        return read_counts(response, "Mastodon", {name: data.get(name) for name in REACH_COUNTS})

    # publishing ----------------------------------------------------------------------------

    def publish(self, post: PostView) -> Receipt:
        media_ids = [self._upload(post)] if post.media_path else None
        request = build_request(post, self.channel, self.config, media_ids)
        response = self.http.send(request)
        self._raise_for(response, N_("Mastodon {code} while publishing: {words}"))
        data = json_or_retry(response, "Mastodon")
        status_id = data.get("id")
        if not status_id:
            raise TransientError(
                _("Mastodon answered {code} without a status id").format(code=response.status_code)
            )
        url, note = network_url(data.get("url") or data.get("uri"))
        return Receipt(remote_id=str(status_id), url=url, note=note)

    # reading back ----------------------------------------------------------------------------

    def confirm(self, post: Sent) -> Confirmation:
        """GET /api/v1/statuses/:id: there, or 404/410 (deleted, or never visible to us)."""
        url = f"{self.instance}/api/v1/statuses/{quote(post.remote_id, safe='')}"
        response = self.http.send(HttpRequest("GET", url))
        shown = post.remote_url or _("status {id}").format(id=post.remote_id)
        if response.status_code in (404, 410):
            return Confirmation(
                False,
                _("Mastodon {code} for {post}: removed, or never visible").format(
                    code=response.status_code, post=shown
                ),
            )
        self._raise_for(response, N_("Mastodon {code} while reading the post back: {words}"))
        if str(json_or_retry(response, "Mastodon").get("id")) != post.remote_id:
            raise TransientError(
                _("Mastodon answered another status for {post}").format(post=shown)
            )
        return Confirmation(True, _("Mastodon shows {post}").format(post=shown))

    def find(self, post: PostView, since: datetime) -> Receipt | None:
        """The post among the account's 20 latest statuses: the same plain text, made after
        `since` (verify_credentials for the account id, then its statuses, newest first)."""
        me = self.http.send(
            HttpRequest("GET", f"{self.instance}/api/v1/accounts/verify_credentials")
        )
        self._raise_for(me, LOOKING)
        account = quote(str(json_or_retry(me, "Mastodon").get("id")), safe="")
        response = self.http.send(
            HttpRequest("GET", f"{self.instance}/api/v1/accounts/{account}/statuses?limit=20")
        )
        self._raise_for(response, LOOKING)
        try:
            statuses = response.json()
        except ValueError:
            raise TransientError(_("Mastodon listed the account's statuses as non-JSON")) from None
        wanted = _words(post.body)
        for status in statuses if isinstance(statuses, list) else []:
            if not isinstance(status, dict) or not status.get("id"):
                continue
            text = status.get("text") or plain_text(str(status.get("content") or ""))
            made = _instant(status.get("created_at"))
            if _words(text) == wanted and made is not None and made >= since:
                url, note = network_url(status.get("url") or status.get("uri"))
                return Receipt(remote_id=str(status["id"]), url=url, note=note)
        return None

    def _upload(self, post: PostView) -> str:
        image = read_image(post)
        response = self.http.send(
            media_request(self.channel),
            files={"file": (image.name, image.content, image.mime)},
            data={"description": image.alt},
        )
        self._raise_for(response, N_("Mastodon {code} while uploading the image: {words}"))
        media = json_or_retry(response, "Mastodon")
        media_id = str(media.get("id"))
        deadline = time.monotonic() + MEDIA_WAIT
        # 202: accepted, still processing; then GET answers 206 until it is done (a 2xx that
        # is not "done": the url stays null until processing ends).
        while response.status_code in (202, 206) or media.get("url") is None:
            if time.monotonic() > deadline:
                raise TransientError(
                    _("the image {name} was still processing after {seconds} s").format(
                        name=image.name, seconds=f"{MEDIA_WAIT:.0f}"
                    )
                )
            time.sleep(1)
            response = self.http.send(
                HttpRequest("GET", f"{self.instance}/api/v1/media/{media_id}")
            )
            self._raise_for(response, N_("Mastodon {code} while waiting for the image: {words}"))
            media = json_or_retry(response, "Mastodon")
        return media_id

    def _raise_for(self, response: Response, refusal: str) -> None:
        """Classify a refusal once (DESIGN.md rule 4). `refusal` is the sentence (marked with
        N_) that says what was being done: "Mastodon {code} while publishing: {words}"."""
        code = response.status_code
        if code < 400:
            return
        words = self.http.error_text(response)
        what = _(refusal).format(code=code, words=words)
        raise classify_refusal(
            response, what, renew_hint(self.channel, self.token), "X-RateLimit-Reset"
        )


def plain_text(content: str) -> str:
    """A status's HTML content as the text that was posted: paragraphs and line breaks kept,
    tags dropped (a link's hidden parts are spans around its text), entities unescaped."""
    text = re.sub(r"<br\s*/?>", "\n", content)
    text = re.sub(r"</p>\s*<p>", "\n\n", text)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _words(text: str) -> str:
    return " ".join(text.split())


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        made = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return made if made.tzinfo else made.replace(tzinfo=UTC)
