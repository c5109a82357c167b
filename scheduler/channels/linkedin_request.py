"""The exact requests a LinkedIn publish sends: the post (POST /rest/posts, its commentary in
the little-text format) and the image upload before it. The live channel sends them; the dry run
writes them to the outbox."""

from __future__ import annotations

from typing import Any

from posts.campaign import ChannelConfig, Config
from posts.littletext import escape_little_text
from posts.outcomes import PostView
from scheduler.channels.cards import card_image, link_card
from scheduler.channels.http import USER_AGENT, HttpRequest, Image, read_image

RESTLI_PROTOCOL = "2.0.0"


def post_image(post: PostView, config: Config) -> Image | None:
    """The one image a post carries: its own (content.media), else its card's thumbnail.
    LinkedIn takes one content kind per post, so a post's own image replaces the card."""
    return read_image(post) if post.media_path else card_image(post, config)


def dry_run_urn(image: Image) -> str:
    """Stands in the outbox for the URN the initializeUpload answer would give."""
    return f"urn:li:image:dry-run-{image.sha256[:16]}"


def build_request(
    post: PostView, channel: ChannelConfig, config: Config, image: str | None = None
) -> HttpRequest:
    """The post request. `image` is the URN of the uploaded picture; without it (the dry run),
    a stand-in naming the picture's sha256 goes where the URN would be."""
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
    if image is None and (post.media_path or post.link):
        picture = post_image(post, config)
        image = dry_run_urn(picture) if picture is not None else None
    if post.media_path:
        # One content kind per post: the image; the link stays in the text.
        body["content"] = {"media": {"id": image, "altText": post.media_alt or ""}}
    elif post.link:
        card: dict[str, str] = link_card(post, config)
        if image is not None:
            card["thumbnail"] = image
        body["content"] = {"article": card}
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


def initialize_upload(channel: ChannelConfig) -> HttpRequest:
    """Images API, step 1: ask for an upload URL and the image's URN, owned by the author."""
    api_url = str(channel.options.get("api_url", "https://api.linkedin.com")).rstrip("/")
    return HttpRequest(
        "POST",
        f"{api_url}/rest/images?action=initializeUpload",
        headers={
            "LinkedIn-Version": str(channel.options["api_version"]),
            "X-Restli-Protocol-Version": RESTLI_PROTOCOL,
            "Content-Type": "application/json",
        },
        json={"initializeUploadRequest": {"owner": str(channel.options["author"])}},
    )


def upload_requests(post: PostView, channel: ChannelConfig, config: Config) -> list[dict[str, Any]]:
    """What the dry run shows of the image upload before the post: initializeUpload, then the
    PUT of the bytes (described by size and sha256) to the URL its answer gives."""
    picture = post_image(post, config)
    if picture is None:
        return []
    return [
        initialize_upload(channel).public(),
        {
            "method": "PUT",
            "url": "(value.uploadUrl of the initializeUpload answer)",  # untranslated: outbox JSON
            "headers": {"Content-Type": picture.mime},
            "body": picture.public(),
        },
    ]
