"""LinkedIn: POST /rest/posts with the commentary escaped in the little-text format."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import unquote

from posts.campaign import ChannelConfig, Config
from posts.claims import PostView
from posts.errors import AuthError, PermanentError, TransientError
from posts.littletext import escape_little_text
from posts.publishing import Receipt
from posts.rendering import Subject
from scheduler.channels.http import (
    USER_AGENT,
    HttpClient,
    HttpRequest,
    read_image,
    read_timeout,
)

if TYPE_CHECKING:
    from requests import Response

RESTLI_PROTOCOL = "2.0.0"


def link_card(post: PostView, config: Config) -> dict[str, str]:
    """The article card LinkedIn shows for the post's link: it does not fetch one itself.
    Title and description are plain text: LinkedIn does not read little text there."""
    subject = Subject.parse(post.subject)
    assert post.link is not None
    if subject.kind == "article" and config.article is not None:
        article = config.article
        where = ", ".join(x for x in (article.journal, article.issue, article.platform) if x)
        return {"source": post.link, "title": article.title, "description": where}
    if subject.kind == "course":
        course = config.course(subject.key or "")
        if course is not None:
            return {
                "source": post.link,
                "title": course.title,
                "description": course.summary or config.contact.name or course.title,
            }
    return {"source": post.link, "title": post.link, "description": config.campaign.name}


def build_request(post: PostView, channel: ChannelConfig, config: Config) -> HttpRequest:
    api_url = str(channel.options.get("api_url", "https://api.linkedin.com")).rstrip("/")
    body: dict[str, object] = {
        "author": str(channel.options["author"]),
        "commentary": escape_little_text(post.body),
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    if post.link:
        body["content"] = {"article": link_card(post, config)}
    return HttpRequest(
        method="POST",
        url=f"{api_url}/rest/posts",
        headers={
            "Content-Type": "application/json",
            "LinkedIn-Version": str(channel.options["api_version"]),
            "X-Restli-Protocol-Version": RESTLI_PROTOCOL,
            "User-Agent": USER_AGENT,
        },
        json=body,
    )


_DUPLICATE = re.compile(r"urn:li:(?:share|ugcPost):\d+")


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


class LinkedInChannel:
    """Publishes through POST /rest/posts. LinkedIn has no idempotency key: a repeat of a post
    we already sent comes back as 422 DUPLICATE_POST naming the first one, which we adopt."""

    # A post left `publishing` by a crash is retried within this window: LinkedIn refuses the
    # repeat as a duplicate and names the post that went through.
    dedup_window = timedelta(minutes=50)

    def __init__(self, channel: ChannelConfig, config: Config, token: str):
        self.name = channel.name
        self.channel = channel
        self.config = config
        self.api_url = str(channel.options.get("api_url", "https://api.linkedin.com")).rstrip("/")
        self.version = str(channel.options["api_version"])
        self.http = HttpClient(token, read_timeout=read_timeout(channel))

    def whoami(self) -> dict[str, str | None]:
        """Who the token posts as (OpenID userinfo); LinkedIn does not say when it expires, so
        the expiry comes from `token_expires` in the channel's table."""
        response = self.http.send(HttpRequest("GET", f"{self.api_url}/v2/userinfo"))
        self._raise_for(response, "checking the token", attempts=0)
        try:
            data = response.json()
        except ValueError:
            data = {}
        expires = self.channel.options.get("token_expires")
        return {
            "account": f"urn:li:person:{data.get('sub')}" if data.get("sub") else None,
            "name": data.get("name"),
            "url": None,
            "expires": str(expires) if expires else None,
        }

    def publish(self, post: PostView) -> Receipt:
        request = build_request(post, self.channel, self.config)
        if post.media_path:
            image = self._upload(post)
            assert request.json is not None
            # One content kind per post: the image; the link stays in the text.
            request.json["content"] = {"media": {"id": image, "altText": post.media_alt or ""}}
        response = self.http.send(request)
        adopted = self._raise_for(response, "publishing", attempts=post.attempts)
        if adopted:
            return Receipt(remote_id=adopted, url=post_url(adopted))
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise TransientError(f"LinkedIn answered {response.status_code} without x-restli-id")
        urn = unquote(urn)
        return Receipt(remote_id=urn, url=post_url(urn))

    def _headers(self) -> dict[str, str]:
        return {"LinkedIn-Version": self.version, "X-Restli-Protocol-Version": RESTLI_PROTOCOL}

    def _upload(self, post: PostView) -> str:
        """Images API: initializeUpload, PUT the bytes, then the image URN goes in the post."""
        image = read_image(post)
        owner = str(self.channel.options["author"])
        init = HttpRequest(
            "POST",
            f"{self.api_url}/rest/images?action=initializeUpload",
            headers={**self._headers(), "Content-Type": "application/json"},
            json={"initializeUploadRequest": {"owner": owner}},
        )
        response = self.http.send(init)
        self._raise_for(response, "starting the image upload", attempts=0)
        try:
            value = response.json()["value"]
            upload_url, urn = str(value["uploadUrl"]), str(value["image"])
        except (ValueError, KeyError, TypeError):
            raise TransientError("LinkedIn's initializeUpload answer had no uploadUrl") from None
        put = HttpRequest("PUT", upload_url, headers={"Content-Type": image.mime})
        response = self.http.send(put, data=image.content)
        self._raise_for(response, "uploading the image", attempts=0)
        return urn

    def _raise_for(self, response: Response, doing: str, *, attempts: int) -> str | None:
        """Classify a refusal once; return the URN of an earlier attempt LinkedIn recognises."""
        code = response.status_code
        if code < 400:
            return None
        words = self.http.error_text(response)
        what = f"LinkedIn {code} while {doing}: {words}"
        if code == 401:
            raise AuthError(
                f"{what}; renew the token in ${self.channel.token_env} "
                "(LinkedIn tokens last 60 days)"
            )
        if code == 426:
            raise PermanentError(
                f"{what}; LinkedIn no longer serves API version {self.version}: set api_version "
                f"in [channels.{self.name}] to a recent month (YYYYMM)"
            )
        if code == 422 and "DUPLICATE_POST" in response.text:
            found = _DUPLICATE.search(words) or _DUPLICATE.search(response.text)
            if found and attempts > 0:
                return found.group(0)  # our earlier attempt went through
            raise PermanentError(f"{what}; LinkedIn refuses a text it already has: change it")
        if code == 429 or code >= 500:
            raise TransientError(what)  # LinkedIn sends no reset time: back off
        raise PermanentError(what)
