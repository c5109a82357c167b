"""LinkedIn: the live channel, which sends what linkedin_request.py builds, and reads back
posts, their reach and whom the token is."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from posts.campaign import ChannelConfig, Config
from posts.confirming import Confirmation, Sent
from posts.errors import AuthError, PermanentError, PostschedError, PublishError, TransientError
from posts.language import N_
from posts.language import gettext as _
from posts.littletext import unescape_little_text
from posts.outcomes import PostView
from posts.publishing import Receipt
from scheduler.channels.http import (
    HttpClient,
    HttpRequest,
    Image,
    answer_json,
    classify_refusal,
    read_counts,
    read_timeout,
)
from scheduler.channels.linkedin_request import (
    RESTLI_PROTOCOL,
    build_request,
    initialize_upload,
    post_image,
)
from scheduler.connect.linkedin import POSTING_ROLES
from scheduler.credentials import Token, as_token, renew_hint

if TYPE_CHECKING:
    from requests import Response

REFRESH_BEFORE = timedelta(days=7)  # renew a refreshable token in its last week
log = logging.getLogger("postsched.linkedin")


# What a page's share statistics give for one post, named as LinkedIn names them.
SHARE_COUNTS = ("impressionCount", "clickCount", "shareCount")
_DUPLICATE = re.compile(r"urn:li:(?:share|ugcPost):\d+")


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


class LinkedInChannel:
    """Publishes through POST /rest/posts. LinkedIn has no idempotency key: a repeat of a post
    we already sent comes back as 422 DUPLICATE_POST naming the first one, which we adopt."""

    # A post left `publishing` by a crash is retried within this window: LinkedIn refuses the
    # repeat as a duplicate and names the post that went through.
    dedup_window = timedelta(minutes=50)
    network = "linkedin"

    def __init__(self, channel: ChannelConfig, config: Config, token: Token | str):
        self.name = channel.name
        self.channel = channel
        self.config = config
        self.api_url = str(channel.options.get("api_url", "https://api.linkedin.com")).rstrip("/")
        self.version = str(channel.options["api_version"])
        self.token = token = as_token(token, channel)
        self.http = HttpClient(token.value, read_timeout=read_timeout(channel))
        self.owner = str(channel.options["author"])
        # Uploaded pictures: (sha256 of the bytes, owner) -> urn:li:image:…, see _upload.
        self._images: dict[tuple[str, str], str] = {}

    def whoami(self) -> dict[str, str | None]:
        """Who the token is (OpenID userinfo, or /v2/me for a Community Management app) and,
        for a page, whether it may post for it; the expiry `connect` recorded, else
        `token_expires` from the channel's table (LinkedIn tokens last 60 days)."""
        self.refresh_if_due()
        member, name = self._member()
        author = str(self.channel.options["author"])
        account, shown, via = member, name, None
        if author.startswith("urn:li:organization:"):
            account, shown, via = (
                author,
                _("the page {name}").format(name=self._page_name(author)),
                name,
            )
        expires = self.token.expires_at.date().isoformat() if self.token.expires_at else None
        configured = self.channel.options.get("token_expires")
        return {
            "account": account,
            "name": shown,
            "url": None,
            "via": via,
            "expires": expires or (str(configured) if configured else None),
        }

    def _member(self) -> tuple[str, str]:
        response = self.http.send(HttpRequest("GET", f"{self.api_url}/v2/userinfo"))
        if response.status_code == 403:  # a Community Management app has no OpenID scopes
            response = self.http.send(HttpRequest("GET", f"{self.api_url}/v2/me"))
        self._raise_for(
            response, N_("LinkedIn {code} while checking the token: {words}"), attempts=0
        )
        try:
            data = response.json()
        except ValueError:
            data = {}
        if data.get("sub"):
            return f"urn:li:person:{data['sub']}", str(data.get("name") or data["sub"])
        if data.get("id"):
            first, last = data.get("localizedFirstName", ""), data.get("localizedLastName", "")
            return f"urn:li:person:{data['id']}", f"{first} {last}".strip() or str(data["id"])
        raise PermanentError(_("LinkedIn did not say whom the token belongs to"))

    def _page_name(self, author: str) -> str:
        """The page's name, once LinkedIn shows that the member may post for it."""
        acls = self.http.send(
            HttpRequest(
                "GET",
                f"{self.api_url}/rest/organizationAcls?q=roleAssignee&state=APPROVED",
                headers=self._headers(),
            )
        )
        self._raise_for(
            acls,
            N_("LinkedIn {code} while listing the pages the token may post for: {words}"),
            attempts=0,
        )
        try:
            elements = acls.json().get("elements", [])
        except (ValueError, AttributeError):
            elements = []
        roles = {
            str(e.get("organization") or e.get("organizationalTarget")): e.get("role")
            for e in elements
            if isinstance(e, dict)
        }
        if roles.get(author) not in POSTING_ROLES:
            raise PermanentError(
                _(
                    "the token's member is not a Super admin or Content admin of {author}: run "
                    "postsched connect {channel} and choose a page it administers"
                ).format(author=author, channel=self.name)
            )
        page = self.http.send(
            HttpRequest(
                "GET",
                f"{self.api_url}/rest/organizations/{author.rsplit(':', 1)[-1]}",
                headers=self._headers(),
            )
        )
        try:
            return str(page.json().get("localizedName") or author) if page.ok else author
        except (ValueError, AttributeError):
            return author

    def refresh_if_due(self) -> None:
        """Renew a stored token with its refresh token in its last week (LinkedIn grants
        refresh tokens to some apps only); without one, `status` warns before it expires."""
        token = self.token
        now = datetime.now(UTC)
        if not (token.from_file and token.refresh_token and token.expires_at):
            return
        if token.expires_at - now > REFRESH_BEFORE:
            return
        if token.refresh_expires_at is not None and token.refresh_expires_at <= now:
            return
        from scheduler.connect.linkedin import LinkedInConnector
        from scheduler.credentials import Credentials, stored_token

        credentials = Credentials.locate()
        entry = credentials.entry(self.name)
        if entry is None:
            return
        try:
            renewed = LinkedInConnector(self.channel).refresh(entry)
        except PostschedError as exc:
            log.warning(
                _("{channel}: the token could not be renewed: {reason}").format(
                    channel=self.name, reason=exc
                )
            )
            return
        try:
            credentials.save_entry(self.name, renewed)
        except PostschedError as exc:  # read-only under systemd: renewed for this run only
            log.warning(
                _("{channel}: the renewed token could not be saved: {reason}").format(
                    channel=self.name, reason=exc
                )
            )
        self.token = stored_token(self.channel) or replace(
            token, value=str(renewed["access_token"])
        )
        self.http.set_token(self.token.value)
        log.info(_("{channel}: the LinkedIn token was renewed").format(channel=self.name))

    def publish(self, post: PostView) -> Receipt:
        self.refresh_if_due()
        picture = post_image(post, self.config)
        key = (picture.sha256, self.owner) if picture is not None else None
        image = self._upload(picture) if picture is not None else None
        request = build_request(post, self.channel, self.config, image)
        response = self.http.send(request)
        try:
            adopted = self._raise_for(
                response, N_("LinkedIn {code} while publishing: {words}"), attempts=post.attempts
            )
        except PublishError:
            # The refusal may be about the image: the next attempt uploads it afresh.
            if key is not None:
                self._images.pop(key, None)
            raise
        if adopted:
            return Receipt(remote_id=adopted, url=post_url(adopted))
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise TransientError(
                _("LinkedIn answered {code} without x-restli-id").format(code=response.status_code)
            )
        urn = unquote(urn)
        return Receipt(remote_id=urn, url=post_url(urn))

    def confirm(self, post: Sent) -> Confirmation:
        """GET /rest/posts/{urn}: there, or 404/410 (deleted, or never visible to us)."""
        urn = quote(post.remote_id, safe="")
        response = self.http.send(
            HttpRequest("GET", f"{self.api_url}/rest/posts/{urn}", headers=self._headers())
        )
        shown = post.remote_url or post.remote_id
        if response.status_code in (404, 410):
            return Confirmation(
                False,
                _("LinkedIn {code} for {post}: removed, or never visible").format(
                    code=response.status_code, post=shown
                ),
            )
        self._raise_for(
            response, N_("LinkedIn {code} while reading the post back: {words}"), attempts=0
        )
        return Confirmation(True, _("LinkedIn shows {post}").format(post=shown))

    def find(self, post: PostView, since: datetime) -> Receipt | None:
        """The post among the author's 20 latest: the same commentary, made after `since`."""
        url = f"{self.api_url}/rest/posts?author={quote(self.owner, safe='')}&q=author&count=20"
        response = self.http.send(HttpRequest("GET", url, headers=self._headers()))
        self._raise_for(
            response, N_("LinkedIn {code} while looking for the post: {words}"), attempts=0
        )
        try:
            elements = response.json().get("elements", [])
        except (ValueError, AttributeError):
            raise TransientError(_("LinkedIn listed the author's posts as non-JSON")) from None
        wanted = " ".join(post.body.split())
        for element in elements if isinstance(elements, list) else []:
            if not isinstance(element, dict) or not element.get("id"):
                continue
            text = unescape_little_text(str(element.get("commentary") or ""))
            made = element.get("createdAt") or element.get("publishedAt")
            if not isinstance(made, int) or datetime.fromtimestamp(made / 1000, UTC) < since:
                continue
            if " ".join(text.split()) == wanted:
                urn = str(element["id"])
                return Receipt(remote_id=urn, url=post_url(urn))
        return None

    def reach(self, remote_id: str) -> dict[str, int]:
        """Reactions and comments (Social Actions API); for a page's post also its share
        statistics: impressions, clicks, reposts. A member's token reads no share statistics
        (LinkedIn keeps them for pages), and reads social actions only with r_member_social,
        which LinkedIn grants to a few partners: the refusal is recorded once, in those words."""
        self.refresh_if_due()
        response = self.http.send(
            HttpRequest(
                "GET",
                f"{self.api_url}/rest/socialActions/{quote(remote_id, safe='')}",
                headers=self._headers(),
            )
        )
        member = not self.owner.startswith("urn:li:organization:")
        if response.status_code == 403 and member:
            raise PermanentError(
                _(
                    "LinkedIn 403 while reading the post's reactions: {words}; a member's token "
                    "cannot read reactions, comments or statistics (r_member_social is granted "
                    "to few apps), only a page's token can"
                ).format(words=self.http.error_text(response))
            )
        self._raise_for(
            response,
            N_("LinkedIn {code} while reading the post's reactions and comments: {words}"),
            attempts=0,
        )
        data = answer_json(response, "LinkedIn")
        likes, comments = data.get("likesSummary"), data.get("commentsSummary")
        counts = read_counts(
            response,
            "LinkedIn",
            {
                "totalLikes": likes.get("totalLikes") if isinstance(likes, dict) else None,
                "aggregatedTotalComments": comments.get("aggregatedTotalComments")
                if isinstance(comments, dict)
                else None,
            },
        )
        if member:
            return counts
        return counts | self._share_statistics(remote_id)

    def _share_statistics(self, urn: str) -> dict[str, int]:
        """organizationalEntityShareStatistics for one of the page's posts: lifetime totals."""
        kind = "ugcPosts" if urn.startswith("urn:li:ugcPost:") else "shares"
        url = (
            f"{self.api_url}/rest/organizationalEntityShareStatistics?q=organizationalEntity"
            f"&organizationalEntity={quote(self.owner, safe='')}"
            f"&{kind}=List({quote(urn, safe='')})"
        )
        response = self.http.send(HttpRequest("GET", url, headers=self._headers()))
        self._raise_for(
            response,
            N_("LinkedIn {code} while reading the page's share statistics: {words}"),
            attempts=0,
        )
        data = answer_json(response, "LinkedIn")
        elements = data.get("elements")
        first = elements[0] if isinstance(elements, list) and elements else {}
        totals = first.get("totalShareStatistics") if isinstance(first, dict) else None
        totals = totals if isinstance(totals, dict) else {}
        return read_counts(response, "LinkedIn", {name: totals.get(name) for name in SHARE_COUNTS})

    def _headers(self) -> dict[str, str]:
        return {"LinkedIn-Version": self.version, "X-Restli-Protocol-Version": RESTLI_PROTOCOL}

    def _upload(self, image: Image) -> str:
        """Images API: initializeUpload, PUT the bytes; the image URN then goes in the post.

        Once per picture and owner: a campaign's posts share their subject's card picture, and
        its URN is kept here, keyed by the bytes' sha256 (an edited file is a new picture) and
        the owner. A process cache is enough: the daemon builds its channels once and runs for
        weeks, so a campaign's picture is uploaded once per daemon start; a restart (or each
        `daemon --once` run) uploads it once more, which costs LinkedIn one more image asset
        and the post nothing, since a URN is only ever used by the process that received it.
        """
        key = (image.sha256, self.owner)
        cached = self._images.get(key)
        if cached is not None:
            return cached
        response = self.http.send(initialize_upload(self.channel))
        self._raise_for(
            response, N_("LinkedIn {code} while starting the image upload: {words}"), attempts=0
        )
        try:
            value = response.json()["value"]
            upload_url, urn = str(value["uploadUrl"]), str(value["image"])
        except (ValueError, KeyError, TypeError):
            raise TransientError(_("LinkedIn's initializeUpload answer had no uploadUrl")) from None
        put = HttpRequest("PUT", upload_url, headers={"Content-Type": image.mime})
        response = self.http.send(put, data=image.content)
        self._raise_for(
            response, N_("LinkedIn {code} while uploading the image: {words}"), attempts=0
        )
        self._images[key] = urn
        return urn

    def _raise_for(self, response: Response, refusal: str, *, attempts: int) -> str | None:
        """Classify a refusal once; return the URN of an earlier attempt LinkedIn recognises.
        `refusal` is the sentence (marked with N_) that says what was being done."""
        code = response.status_code
        if code < 400:
            return None
        words = self.http.error_text(response)
        what = _(refusal).format(code=code, words=words)
        if code == 401:
            raise AuthError(
                _("{refusal}; {hint} (LinkedIn tokens last 60 days)").format(
                    refusal=what, hint=renew_hint(self.channel, self.token)
                )
            )
        if code == 426:
            raise PermanentError(
                _(
                    "{refusal}; LinkedIn no longer serves API version {version}: set api_version "
                    "in [channels.{channel}] to a recent month (YYYYMM)"
                ).format(refusal=what, version=self.version, channel=self.name)
            )
        if code == 422 and "DUPLICATE_POST" in response.text:
            found = _DUPLICATE.search(words) or _DUPLICATE.search(response.text)
            if found and attempts > 0:
                return found.group(0)  # our earlier attempt went through
            raise PermanentError(
                _("{refusal}; LinkedIn refuses a text it already has: change it").format(
                    refusal=what
                )
            )
        # LinkedIn sends no reset time: a 429 is backed off as a 5xx is.
        raise classify_refusal(response, what, renew_hint(self.channel, self.token))
