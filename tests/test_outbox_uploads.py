"""The dry-run outbox shows every request a live publish makes, image uploads included.

Each file keeps `post_id`, `channel`, `type` and `request` (the post) and lists before it, in
`uploads`, the image uploads a live publish makes first: the bytes shown by size and sha256.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from posts.campaign import Config
from scheduler.channels import build_channel
from tests.factories import article as make_article
from tests.factories import config as make_config
from tests.factories import png
from tests.test_linkedin import AUTHOR, COURSE_URL, view

OPTIONS = {
    "instance": "https://mastodon.example",
    "author": AUTHOR,
    "api_url": "https://api.linkedin.com",
    "api_version": "202611",
    "token_env": "POSTSCHED_TOKEN",
}


def outbox_config(tmp_path: Path, picture: bytes | None) -> Config:
    article = make_article()
    if picture is not None:
        (tmp_path / "couverture.png").write_bytes(picture)
        article = replace(article, image=tmp_path / "couverture.png", image_alt="La couverture")
    config = make_config(article_value=article)
    channels = {
        name: replace(c, outbox=tmp_path / "outbox", options=dict(OPTIONS))
        for name, c in config.channels.items()
    }
    first = replace(config.courses[0], url=COURSE_URL)
    return replace(config, channels=channels, courses=(first, *config.courses[1:]))


def published(config: Config, channel: str, **post: Any) -> dict[str, Any]:
    """Publish one post through the dry-run channel build_channel makes; its outbox record."""
    receipt = build_channel(config, channel, {}).publish(view(channel=channel, **post))
    assert receipt.url is not None
    path = Path(url2pathname(urlparse(receipt.url).path))
    text = path.read_text(encoding="utf-8")
    assert "authorization" not in text.lower() and "Bearer" not in text
    record: dict[str, Any] = json.loads(text)
    assert list(record) == ["post_id", "channel", "type", "uploads", "request"]
    return record


def linkedin_upload(uploads: list[dict[str, Any]], picture: bytes) -> None:
    init, put = uploads
    assert init == {
        "method": "POST",
        "url": "https://api.linkedin.com/rest/images?action=initializeUpload",
        "headers": {
            "LinkedIn-Version": "202611",
            "X-Restli-Protocol-Version": "2.0.0",
            "Content-Type": "application/json",
        },
        "json": {"initializeUploadRequest": {"owner": AUTHOR}},
    }
    assert put["method"] == "PUT"
    assert put["headers"] == {"Content-Type": "image/png"}
    assert put["body"]["size"] == len(picture)
    assert put["body"]["sha256"] == hashlib.sha256(picture).hexdigest()


def test_a_linkedin_card_picture_is_uploaded_before_the_post(tmp_path: Path) -> None:
    picture = png(3, size=8)
    record = published(outbox_config(tmp_path, picture), "linkedin")
    linkedin_upload(record["uploads"], picture)
    assert record["uploads"][1]["body"]["name"] == "couverture.png"
    request = record["request"]
    assert request["url"] == "https://api.linkedin.com/rest/posts"
    article = request["json"]["content"]["article"]
    assert article["source"] == "https://shs.cairn.info/tap-tdgcu5qbq9556"
    assert article["title"] == "IA et recherche en intervention sociale"
    sha = hashlib.sha256(picture).hexdigest()
    assert article["thumbnail"] == f"urn:li:image:dry-run-{sha[:16]}"


def test_a_linkedin_post_without_a_card_picture_uploads_nothing(tmp_path: Path) -> None:
    record = published(outbox_config(tmp_path, None), "linkedin")
    assert record["uploads"] == []
    assert "thumbnail" not in record["request"]["json"]["content"]["article"]


def test_a_course_without_a_picture_shows_no_thumbnail_though_the_article_has_one(
    tmp_path: Path,
) -> None:
    config = outbox_config(tmp_path, png(3))
    record = published(config, "linkedin", subject="course:c1", link=COURSE_URL)
    assert record["uploads"] == []
    assert "thumbnail" not in record["request"]["json"]["content"]["article"]


def test_a_linkedin_post_with_its_own_image_lists_that_upload(tmp_path: Path) -> None:
    own = tmp_path / "photo.png"
    own.write_bytes(png(7, size=4))
    record = published(
        outbox_config(tmp_path, png(3)), "linkedin", media_path=str(own), media_alt="Une photo"
    )
    linkedin_upload(record["uploads"], own.read_bytes())
    media = record["request"]["json"]["content"]["media"]
    assert media["altText"] == "Une photo"
    assert (
        media["id"] == f"urn:li:image:dry-run-{hashlib.sha256(own.read_bytes()).hexdigest()[:16]}"
    )


def test_a_mastodon_post_with_an_image_lists_the_media_upload(tmp_path: Path) -> None:
    own = tmp_path / "photo.png"
    picture = png(7, size=4)
    own.write_bytes(picture)
    record = published(
        outbox_config(tmp_path, None), "mastodon", media_path=str(own), media_alt="Une photo"
    )
    (upload,) = record["uploads"]
    sha = hashlib.sha256(picture).hexdigest()
    assert upload["method"] == "POST"
    assert upload["url"] == "https://mastodon.example/api/v2/media"
    assert upload["multipart"] == {
        "file": {
            "name": "photo.png",
            "content_type": "image/png",
            "size": len(picture),
            "sha256": sha,
        },
        "description": "Une photo",
    }
    request = record["request"]
    assert request["url"] == "https://mastodon.example/api/v1/statuses"
    assert request["json"]["media_ids"] == [f"dry-run-{sha[:16]}"]


def test_a_mastodon_post_without_an_image_uploads_nothing(tmp_path: Path) -> None:
    record = published(outbox_config(tmp_path, png(3)), "mastodon")
    assert record["uploads"] == []
    assert "media_ids" not in record["request"]["json"]
