"""Bluesky: app.bsky.feed.post records through com.atproto.repo.createRecord, exactly once.

Bluesky has no idempotency key, and a createRecord at a record key that exists answers 500,
not a conflict. So each post carries its record key (a TID) from its creation
(posts/tid.py), every attempt uses it, and before each attempt the record is read back
(getRecord): if it is there, the post is already published. Links and hashtags become facets
in UTF-8 byte offsets (posts/richtext.py); a link gets its card (app.bsky.embed.external)
with the subject's picture uploaded as a blob, a post's own image goes as app.bsky.embed.images.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from posts.campaign import ChannelConfig, Config
from posts.confirming import Confirmation, Sent
from posts.errors import PermanentError, TransientError
from posts.language import gettext as _
from posts.language import show_number
from posts.networks import NETWORKS
from posts.outcomes import PostView
from posts.publishing import Receipt
from posts.richtext import detect_facets
from posts.tid import record_key
from scheduler.channels.bluesky_session import BlueskySession, error_name
from scheduler.channels.cards import card_image, link_card
from scheduler.channels.http import USER_AGENT, HttpRequest, Image, json_or_retry, read_image
from scheduler.credentials import Token, as_token, bluesky_service

if TYPE_CHECKING:
    from requests import Response

COLLECTION = "app.bsky.feed.post"
WEB = "https://bsky.app"  # where a person reads a post, whatever server holds it
# bytes: the lexicon's limit for a card's picture and a post's image (checked at `add` too)
MAX_BLOB = NETWORKS["bluesky"].image_bytes or 1_000_000
# What a post's reach is read as (app.bsky.feed.getPosts), named as Bluesky names them.
REACH_COUNTS = ("likeCount", "repostCount", "replyCount", "quoteCount")


def handle_of(channel: ChannelConfig) -> str:
    """The channel's handle as the server knows it: without the @, in lower case (handles
    are not case-sensitive, and a repo named with capitals is not found)."""
    return str(channel.options["handle"]).strip().lstrip("@").lower()


def created_at(moment: datetime) -> str:
    """A record's createdAt: UTC, milliseconds, Z, as Bluesky's own client writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def dry_run_blob(image: Image) -> dict[str, Any]:
    """A stand-in for an uploaded blob, naming the image's sha256 (the dry run uploads none)."""
    return {
        "$type": "blob",
        "ref": {"$link": f"dry-run-{image.sha256[:16]}"},
        "mimeType": image.mime,
        "size": len(image.content),
    }


def post_record(
    post: PostView,
    channel: ChannelConfig,
    config: Config,
    when: datetime,
    embed: dict[str, Any] | None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "$type": COLLECTION,
        "text": post.body,
        "createdAt": created_at(when),
        "langs": [str(channel.options.get("language", config.campaign.language))],
    }
    facets = detect_facets(post.body)
    if facets:
        record["facets"] = facets
    if embed is not None:
        record["embed"] = embed
    return record


def build_embed(post: PostView, config: Config, blob: Any = dry_run_blob) -> dict[str, Any] | None:
    """The post's own image with its alt text, else its link's card (title, description and
    the subject's picture): Bluesky builds no card itself. `blob` turns an Image into the
    blob reference the record holds (an upload, or the dry run's stand-in)."""
    if post.media_path:
        image = read_image(post)
        return {
            "$type": "app.bsky.embed.images",
            "images": [{"image": blob(image), "alt": image.alt}],
        }
    if not post.link:
        return None
    card = link_card(post, config)
    external: dict[str, Any] = {
        "uri": card["source"],
        "title": card["title"],
        "description": card["description"],
    }
    picture = card_image(post, config)
    if picture is not None:
        external["thumb"] = blob(picture)
    return {"$type": "app.bsky.embed.external", "external": external}


def build_request(
    post: PostView,
    channel: ChannelConfig,
    config: Config,
    embed: dict[str, Any] | None = None,
    when: datetime | None = None,
    repo: str | None = None,
) -> HttpRequest:
    """The createRecord a live publish sends, at the post's own record key, in `repo` (the
    account's did once logged in; its handle otherwise). Without `embed` and `when` (the dry
    run), blobs are stand-ins and createdAt is the post's due time."""
    if embed is None:
        embed = build_embed(post, config)
    return HttpRequest(
        method="POST",
        url=f"{bluesky_service(channel)}/xrpc/com.atproto.repo.createRecord",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        json={
            "repo": repo or handle_of(channel),
            "collection": COLLECTION,
            "rkey": record_key(post.idempotency_key),
            "record": post_record(post, channel, config, when or post.due, embed),
        },
    )


def upload_request(channel: ChannelConfig, image: Image) -> HttpRequest:
    return HttpRequest(
        "POST",
        f"{bluesky_service(channel)}/xrpc/com.atproto.repo.uploadBlob",
        headers={"Content-Type": image.mime, "User-Agent": USER_AGENT},
    )


def post_images(post: PostView, config: Config) -> list[Image]:
    if post.media_path:
        return [read_image(post)]
    picture = card_image(post, config)
    return [picture] if picture is not None else []


def upload_requests(post: PostView, channel: ChannelConfig, config: Config) -> list[dict[str, Any]]:
    """The blob uploads a live publish makes first, as the outbox shows them."""
    uploads = []
    for image in post_images(post, config):
        request = upload_request(channel, image).public()
        del request["json"]
        uploads.append(request | {"body": image.public(), "alt": image.alt})
    return uploads


def post_url(handle: str, rkey: str) -> str:
    return f"{WEB}/profile/{quote(handle, safe='')}/post/{rkey}"


class BlueskyChannel:
    """Publishes app.bsky.feed.post records, each at the record key its post was born with."""

    # The record key never expires: a post left `publishing` by a crash can always be retried,
    # since the retry reads its record first.
    dedup_window = timedelta(days=36500)
    network = "bluesky"

    def __init__(self, channel: ChannelConfig, config: Config, token: Token | str):
        self.token = token = as_token(token, channel)
        self.name = channel.name
        self.channel = channel
        self.config = config
        self.handle = handle_of(channel)
        self.session = BlueskySession(channel, token)

    # publishing ----------------------------------------------------------------------------

    def publish(self, post: PostView) -> Receipt:
        rkey = record_key(post.idempotency_key)
        found = self._read(rkey)
        if found is not None:
            return self._receipt(rkey, found, post, _("already there at its record key {rkey}"))
        embed = build_embed(post, self.config, self._upload)
        request = build_request(
            post, self.channel, self.config, embed, datetime.now(UTC), repo=self.session.did
        )
        response = self.session.call(request, _("Bluesky {code} while publishing: {words}"))
        data = json_or_retry(response, "Bluesky")
        if not isinstance(data.get("uri"), str):
            raise TransientError(
                _("Bluesky answered {code} without the record's address").format(
                    code=response.status_code
                )
            )
        return Receipt(remote_id=data["uri"], url=post_url(self.handle, rkey))

    def _upload(self, image: Image) -> dict[str, Any]:
        """The image uploaded for this post. Every post uploads its pictures again, even one
        an earlier post used: the server deletes a blob with the last record holding it (a
        post the officer deleted), and a kept reference would then name nothing
        (400 BlobNotFound). The same bytes give the same blob, stored once."""
        if len(image.content) > MAX_BLOB:
            raise PermanentError(
                _(
                    "the image {name} is {size} bytes, over Bluesky's limit of {limit} bytes an "
                    "image: make it smaller"
                ).format(
                    name=image.name,
                    size=show_number(len(image.content)),
                    limit=show_number(MAX_BLOB),
                )
            )
        response = self.session.call(
            upload_request(self.channel, image),
            _("Bluesky {code} while uploading the image: {words}"),
            data=image.content,
        )
        blob = json_or_retry(response, "Bluesky").get("blob")
        if not isinstance(blob, dict):
            raise TransientError(_("Bluesky answered the upload without its blob"))
        return blob

    # reading back ----------------------------------------------------------------------------

    def _read(self, rkey: str) -> dict[str, Any] | None:
        """The account's post at this record key (getRecord), or None when there is none."""
        if not self.session.access_jwt:
            self.session.login()  # for the account's did
        repo = quote(self.session.did or self.handle, safe="")
        url = self.session.url(
            f"com.atproto.repo.getRecord?repo={repo}&collection={COLLECTION}&rkey={rkey}"
        )
        response = self.session.call(
            HttpRequest("GET", url),
            _("Bluesky {code} while reading the post back: {words}"),
            tolerate=_missing,
        )
        if _missing(response):
            return None
        return json_or_retry(response, "Bluesky")

    def _receipt(self, rkey: str, found: dict[str, Any], post: PostView, how: str) -> Receipt:
        note = how.format(rkey=rkey)
        value = found.get("value")
        if isinstance(value, dict) and value.get("text") != post.body:
            note = _("{note}, with the text it had when it was sent").format(note=note)
        uri = found.get("uri")
        remote = uri if isinstance(uri, str) else f"at://{self.session.did}/{COLLECTION}/{rkey}"
        return Receipt(remote_id=remote, url=post_url(self.handle, rkey), note=note)

    def find(self, post: PostView, since: datetime) -> Receipt | None:
        """The post at its own record key, whenever it was made: the key is the post's."""
        rkey = record_key(post.idempotency_key)
        found = self._read(rkey)
        if found is None:
            return None
        return self._receipt(rkey, found, post, _("found at its record key {rkey}"))

    def confirm(self, post: Sent) -> Confirmation:
        """getRecord at the post's address: there, or RecordNotFound (deleted)."""
        rkey = post.remote_id.rsplit("/", 1)[-1]
        shown = post.remote_url or post.remote_id
        if self._read(rkey) is None:
            return Confirmation(
                False, _("Bluesky has no record {post}: deleted").format(post=shown)
            )
        return Confirmation(True, _("Bluesky shows {post}").format(post=shown))

    def whoami(self) -> dict[str, str | None]:
        """Who the app password logs in as. App passwords do not expire."""
        data = self.session.login()
        handle = str(data.get("handle") or self.handle)
        return {
            "account": f"@{handle}",
            "name": str(data.get("did") or "") or None,
            "url": f"{WEB}/profile/{quote(handle, safe='')}",
            "expires": None,
        }

    def reach(self, remote_id: str) -> dict[str, int]:
        """Likes, reposts, replies and quotes (app.bsky.feed.getPosts). The counts come from
        an app view, which the server forwards the call to: a server without one cannot say."""
        url = self.session.url(f"app.bsky.feed.getPosts?uris={quote(remote_id, safe='')}")
        if not self.session.access_jwt:
            self.session.login()
        response = self.session.call(
            HttpRequest("GET", url),
            _("Bluesky {code} while reading the post's counts: {words}"),
            tolerate=_no_app_view,
        )
        if response.status_code >= 400:
            raise PermanentError(
                _(
                    "{service} has no app view to count likes, reposts and replies "
                    "(it answered {code}): Bluesky's reach cannot be read there"
                ).format(service=self.session.service, code=response.status_code)
            )
        posts = json_or_retry(response, "Bluesky").get("posts")
        if not isinstance(posts, list) or not posts or not isinstance(posts[0], dict):
            raise PermanentError(_("Bluesky no longer shows {post}").format(post=remote_id))
        from scheduler.channels.http import read_counts

        return read_counts(
            response, "Bluesky", {name: posts[0].get(name, 0) for name in REACH_COUNTS}
        )


def _missing(response: Response) -> bool:
    return response.status_code == 400 and error_name(response) == "RecordNotFound"


def _no_app_view(response: Response) -> bool:
    """A server that forwards app.bsky.* calls to no app view: 400 "No service configured",
    or 501/502 from one that cannot reach it."""
    if response.status_code in (501, 502):
        return True
    return response.status_code == 400 and "service" in response.text.lower()
