"""The live LinkedIn channel against a local HTTP server that answers as LinkedIn's docs say."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from posts.campaign import Config
from posts.errors import AuthError, PermanentError, TransientError
from posts.littletext import unescape_little_text
from posts.outcomes import PostView
from scheduler.channels import build_channel
from scheduler.channels.linkedin import LinkedInChannel
from tests.factories import article as make_article
from tests.factories import config as make_config
from tests.factories import png, post_view

TOKEN = "AQX-linkedin-test-token-93b1"
AUTHOR = "urn:li:organization:2414183"
SEED_TEXT = (
    "« IA et recherche en intervention sociale » (Cairn.info – 2025/4 n° 52 – Editions érès – "
    "160 pages), par Philippe Fofana et Julien Scheepers.\n\nÀ lire : "
    "https://shs.cairn.info/tap-tdgcu5qbq9556\n\n#IntelligenceArtificielle #TravailSocial"
)
BAD_REQUEST = "com.linkedin.content.common.exception.BadRequestResponseException"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


@dataclass
class FakeLinkedIn:
    """Keeps what it accepted; refuses a repeat as LinkedIn does (422 DUPLICATE_POST).

    With `serve`, it also runs the Images API: initializeUpload hands out an upload URL on
    this server and an image URN, the PUT to that URL keeps the bytes under the URN, and a
    post naming an image URN it never received the bytes of is refused."""

    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    base: str = ""
    initialized: list[dict[str, Any]] = field(default_factory=list)  # initializeUpload bodies
    puts: list[Request] = field(default_factory=list)
    pending: dict[str, str] = field(default_factory=dict)  # upload path -> image URN
    images: dict[str, bytes] = field(default_factory=dict)  # image URN -> bytes received

    def serve(self, server: HTTPServer) -> FakeLinkedIn:
        self.base = server.url_for("/").rstrip("/")
        server.expect_request("/rest/posts", method="POST").respond_with_handler(self.create)
        server.expect_request("/rest/images", method="POST").respond_with_handler(self.initialize)
        server.expect_request(re.compile(r"^/upload/\d+$"), method="PUT").respond_with_handler(
            self.put
        )
        return self

    def initialize(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        refusal = (
            "action must be initializeUpload"
            if request.args.get("action") != "initializeUpload"
            else "LinkedIn-Version is missing"
            if not request.headers.get("LinkedIn-Version")
            else "X-Restli-Protocol-Version must be 2.0.0"
            if request.headers.get("X-Restli-Protocol-Version") != "2.0.0"
            else "no owner"
            if not str(body.get("initializeUploadRequest", {}).get("owner", "")).startswith(
                "urn:li:"
            )
            else None
        )
        if refusal:
            return Response(json.dumps({"status": 400, "message": refusal}), status=400)
        self.initialized.append(body)
        number = len(self.initialized)
        urn = f"urn:li:image:D4E10AQ{number:04d}"
        self.pending[f"/upload/{number}"] = urn
        answer = {"value": {"uploadUrl": f"{self.base}/upload/{number}", "image": urn}}
        return Response(json.dumps(answer), status=200, content_type="application/json")

    def put(self, request: Request) -> Response:
        self.puts.append(request)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response("", status=401)
        urn = self.pending.pop(request.path, None)
        if urn is None:
            return Response("", status=404)
        self.images[urn] = request.get_data()
        self.uploads.append(request.get_data())
        return Response("", status=201)

    def create(self, request: Request) -> Response:
        self.requests.append(request)
        body = request.get_json()
        content = body.get("content", {})
        named = content.get("article", {}).get("thumbnail") or content.get("media", {}).get("id")
        if named is not None and named not in self.images:
            return Response(
                json.dumps({"status": 422, "message": f"{named} was never uploaded"}),
                status=422,
                content_type="application/json",
            )
        for urn, earlier in self.posts.items():
            if earlier["commentary"] == body["commentary"]:
                return Response(
                    json.dumps(
                        {
                            "errorDetailType": "com.linkedin.common.error.BadRequest",
                            "message": f"{BAD_REQUEST}: Content is a duplicate of {urn}",
                            "errorDetails": {
                                "inputErrors": [
                                    {
                                        "description": "Duplicate post is detected",
                                        "input": {},
                                        "code": "DUPLICATE_POST",
                                    }
                                ]
                            },
                            "status": 422,
                        }
                    ),
                    status=422,
                    content_type="application/json",
                )
        urn = f"urn:li:share:{7141138937766391808 + len(self.posts)}"
        self.posts[urn] = body
        return Response("", status=201, headers={"x-restli-id": urn})


PAGE_ACLS = {
    "elements": [
        {
            "roleAssignee": "urn:li:person:x1",
            "organization": AUTHOR,
            "role": "ADMINISTRATOR",
            "state": "APPROVED",
        }
    ]
}


def serve_page(server: HTTPServer, acls: dict[str, Any] = PAGE_ACLS) -> None:
    """The page endpoints: which pages the member administers, and the page's name."""
    server.expect_request("/rest/organizationAcls").respond_with_json(acls)
    server.expect_request(f"/rest/organizations/{AUTHOR.rsplit(':', 1)[-1]}").respond_with_json(
        {"id": 2414183, "localizedName": "Hétis"}
    )


@pytest.fixture
def linkedin(httpserver: HTTPServer) -> FakeLinkedIn:
    return FakeLinkedIn().serve(httpserver)


def channel_for(
    server: HTTPServer, config: Config | None = None, **options: object
) -> LinkedInChannel:
    config = config or make_config()
    channel = replace(
        config.channels["linkedin"],
        mode="live",
        token_env="POSTSCHED_LINKEDIN_TOKEN",
        options={
            "author": AUTHOR,
            "api_url": server.url_for("/").rstrip("/"),
            "api_version": "202611",
            "token_env": "POSTSCHED_LINKEDIN_TOKEN",
            **options,
        },
    )
    config = replace(config, channels={"linkedin": channel})
    built = build_channel(config, "linkedin", {"POSTSCHED_LINKEDIN_TOKEN": TOKEN})
    assert isinstance(built, LinkedInChannel)
    return built


def view(text: str = SEED_TEXT, **changes: object) -> PostView:
    base = {
        "channel": "linkedin",
        "subject": "article",
        "phase": "announce",
        "link": "https://shs.cairn.info/tap-tdgcu5qbq9556",
    }
    return post_view(**{**base, **changes, "body": text})


def test_a_post_carries_every_header_and_field_linkedin_requires(
    httpserver: HTTPServer, linkedin: FakeLinkedIn
) -> None:
    receipt = channel_for(httpserver).publish(view())
    (request,) = linkedin.requests
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["LinkedIn-Version"] == "202611"
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert request.headers["Content-Type"] == "application/json"
    body = request.get_json()
    assert body["author"] == AUTHOR
    assert body["visibility"] == "PUBLIC"
    assert body["distribution"] == {
        "feedDistribution": "MAIN_FEED",
        "targetEntities": [],
        "thirdPartyDistributionChannels": [],
    }
    assert body["lifecycleState"] == "PUBLISHED"
    article = body["content"]["article"]
    assert article == {
        "source": "https://shs.cairn.info/tap-tdgcu5qbq9556",
        "title": "IA et recherche en intervention sociale",
        "description": "Vie sociale, 2025/4 n° 52",
    }
    assert "\\" not in article["title"] + article["description"], "plain text, not escaped"
    (urn,) = linkedin.posts
    assert receipt.remote_id == urn
    assert receipt.url == f"https://www.linkedin.com/feed/update/{urn}/"


def test_the_commentary_arrives_whole_and_unescapes_to_the_exact_text(
    httpserver: HTTPServer, linkedin: FakeLinkedIn
) -> None:
    channel_for(httpserver).publish(view())
    commentary = next(iter(linkedin.posts.values()))["commentary"]
    assert "\\(Cairn.info – 2025/4 n° 52 – Editions érès – 160 pages\\)" in commentary
    assert unescape_little_text(commentary) == SEED_TEXT
    # Hashtags stay hashtags: their '#' is not escaped.
    assert commentary.endswith("#IntelligenceArtificielle #TravailSocial")
    # No reserved character is left bare except a hashtag's '#', so nothing is cut.
    bare = [
        c
        for i, c in enumerate(commentary)
        if c in "|{}@[]()<>*_~" and (i == 0 or commentary[i - 1] != "\\")
    ]
    assert bare == []


def test_a_duplicate_after_our_earlier_attempt_is_adopted_as_published(
    httpserver: HTTPServer, linkedin: FakeLinkedIn
) -> None:
    channel, post = channel_for(httpserver), view()
    first = channel.publish(post)
    again = channel.publish(replace(post, attempts=1))  # the answer to the first was lost
    assert again == first
    assert len(linkedin.posts) == 1


def test_a_duplicate_on_a_first_attempt_is_a_permanent_refusal(
    httpserver: HTTPServer, linkedin: FakeLinkedIn
) -> None:
    channel = channel_for(httpserver)
    channel.publish(view())
    with pytest.raises(PermanentError, match="duplicate"):
        channel.publish(view())  # another post with the same words, never sent before


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (
            401,
            {
                "status": 401,
                "serviceErrorCode": 65602,
                "code": "EXPIRED_ACCESS_TOKEN",
                "message": "The token used in the request has expired",
            },
            AuthError,
            "POSTSCHED_LINKEDIN_TOKEN",
        ),
        (
            426,
            {
                "status": 426,
                "code": "NONEXISTENT_VERSION",
                "message": "Requested version 20250401 is not active",
            },
            PermanentError,
            "api_version",
        ),
        (
            429,
            {"status": 429, "message": "Resource level throttle limit reached"},
            TransientError,
            "429",
        ),
        (500, {"status": 500, "message": "Internal Server Error"}, TransientError, "500"),
        (
            403,
            {"status": 403, "serviceErrorCode": 100, "message": "Not enough permissions"},
            PermanentError,
            "Not enough permissions",
        ),
    ],
)
def test_each_error_class(
    httpserver: HTTPServer, status: int, body: dict[str, object], error: type[Exception], words: str
) -> None:
    httpserver.expect_request("/rest/posts", method="POST").respond_with_json(body, status=status)
    with pytest.raises(error) as caught:
        channel_for(httpserver).publish(view())
    assert words in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_an_image_goes_through_the_images_api_with_its_alt_text(
    httpserver: HTTPServer, linkedin: FakeLinkedIn, tmp_path: Path
) -> None:
    image = tmp_path / "affiche.png"
    image.write_bytes(PNG)
    channel_for(httpserver).publish(view(media_path=str(image), media_alt="Affiche (texte alt)"))
    assert linkedin.initialized == [{"initializeUploadRequest": {"owner": AUTHOR}}]
    (put,) = linkedin.puts
    assert put.headers["Authorization"] == f"Bearer {TOKEN}"
    assert linkedin.uploads == [PNG]
    (urn,) = linkedin.images
    body = next(iter(linkedin.posts.values()))
    assert body["content"] == {"media": {"id": urn, "altText": "Affiche (texte alt)"}}


# The link card's picture (config.toml `image`): LinkedIn's thumbnail, uploaded once ---------

COURSE_URL = "https://www.hetis.fr/formation/ethique"


def card_config(tmp_path: Path, article_png: bytes, course_png: bytes | None = None) -> Config:
    """The test campaign with a picture on the article's card (and on course c1's)."""
    (tmp_path / "article.png").write_bytes(article_png)
    article = make_article(image=tmp_path / "article.png", image_alt="La couverture de la revue")
    config = make_config(article_value=article)
    if course_png is not None:
        (tmp_path / "course.png").write_bytes(course_png)
        first = replace(
            config.courses[0],
            url=COURSE_URL,
            summary="Formation continue, intra ou inter",
            image=tmp_path / "course.png",
            image_alt="Une salle de formation",
        )
        config = replace(config, courses=(first, *config.courses[1:]))
    return config


def test_an_article_post_carries_its_card_picture_as_the_thumbnail(
    httpserver: HTTPServer, linkedin: FakeLinkedIn, tmp_path: Path
) -> None:
    picture = png(1)
    channel_for(httpserver, card_config(tmp_path, picture)).publish(view())
    assert linkedin.initialized == [{"initializeUploadRequest": {"owner": AUTHOR}}]
    (put,) = linkedin.puts
    assert put.get_data() == picture, "the PUT carries the file's exact bytes"
    assert put.headers["Content-Type"] == "image/png"
    (urn,) = linkedin.images
    assert linkedin.images[urn] == picture
    body = next(iter(linkedin.posts.values()))
    assert body["content"] == {
        "article": {
            "source": "https://shs.cairn.info/tap-tdgcu5qbq9556",
            "title": "IA et recherche en intervention sociale",
            "description": "Vie sociale, 2025/4 n° 52",
            "thumbnail": urn,
        }
    }


def test_a_course_post_carries_its_own_card_picture(
    httpserver: HTTPServer, linkedin: FakeLinkedIn, tmp_path: Path
) -> None:
    article_picture, course_picture = png(1), png(2)
    config = card_config(tmp_path, article_picture, course_picture)
    channel_for(httpserver, config).publish(
        view("Formation : éthique", subject="course:c1", link=COURSE_URL)
    )
    (urn,) = linkedin.images
    assert linkedin.images[urn] == course_picture
    body = next(iter(linkedin.posts.values()))
    assert body["content"] == {
        "article": {
            "source": COURSE_URL,
            "title": "Course 1",
            "description": "Formation continue, intra ou inter",
            "thumbnail": urn,
        }
    }


def test_a_card_picture_is_uploaded_once_for_all_the_posts_that_show_it(
    httpserver: HTTPServer, linkedin: FakeLinkedIn, tmp_path: Path
) -> None:
    article_picture, course_picture = png(1), png(2)
    channel = channel_for(httpserver, card_config(tmp_path, article_picture, course_picture))
    channel.publish(view("Premier rappel"))
    channel.publish(view("Second rappel", id=2))
    assert len(linkedin.initialized) == len(linkedin.puts) == 1, "one upload for both posts"
    first, second = (p["content"]["article"]["thumbnail"] for p in linkedin.posts.values())
    assert first == second == next(iter(linkedin.images))
    channel.publish(view("Formation", id=3, subject="course:c1", link=COURSE_URL))
    channel.publish(view("Formation, encore", id=4, subject="course:c1", link=COURSE_URL))
    assert list(linkedin.images.values()) == [article_picture, course_picture]
    thumbnails = [p["content"]["article"]["thumbnail"] for p in linkedin.posts.values()]
    assert thumbnails == [first, first, *[u for u in linkedin.images if u != first] * 2]


def test_a_new_picture_under_the_same_name_is_uploaded_again(
    httpserver: HTTPServer, linkedin: FakeLinkedIn, tmp_path: Path
) -> None:
    config = card_config(tmp_path, png(1))
    channel = channel_for(httpserver, config)
    channel.publish(view("Premier rappel"))
    (tmp_path / "article.png").write_bytes(png(5))  # the officer replaced the picture
    channel.publish(view("Second rappel", id=2))
    assert list(linkedin.images.values()) == [png(1), png(5)]


def test_a_refused_post_forgets_its_picture_so_a_retry_uploads_it_again(
    httpserver: HTTPServer, linkedin: FakeLinkedIn, tmp_path: Path
) -> None:
    channel = channel_for(httpserver, card_config(tmp_path, png(1)))
    channel.publish(view("Premier rappel"))
    linkedin.images.clear()  # LinkedIn no longer knows the picture
    with pytest.raises(PermanentError, match="never uploaded"):
        channel.publish(view("Second rappel", id=2))
    channel.publish(view("Second rappel", id=2, attempts=1))
    assert len(linkedin.puts) == 2
    assert len(linkedin.posts) == 2


def test_a_post_with_its_own_image_shows_it_instead_of_the_card(
    httpserver: HTTPServer, linkedin: FakeLinkedIn, tmp_path: Path
) -> None:
    channel = channel_for(httpserver, card_config(tmp_path, png(1)))
    own = tmp_path / "photo.png"
    own.write_bytes(png(9))
    channel.publish(view(media_path=str(own), media_alt="Une photo"))
    (urn,) = linkedin.images
    assert linkedin.images[urn] == png(9)
    body = next(iter(linkedin.posts.values()))
    assert body["content"] == {"media": {"id": urn, "altText": "Une photo"}}


def test_whoami_reads_the_member_the_page_and_the_configured_expiry(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/v2/userinfo").respond_with_json(
        {"sub": "782bbtaQ", "name": "Camille Martin"}
    )
    serve_page(httpserver)
    who = channel_for(httpserver, token_expires="2026-12-20").whoami()
    assert who == {
        "account": AUTHOR,
        "name": "the page Hétis",
        "url": None,
        "via": "Camille Martin",
        "expires": "2026-12-20",
    }


def test_whoami_refuses_a_page_the_member_does_not_administer(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/userinfo").respond_with_json({"sub": "782bbtaQ", "name": "C"})
    analyst = {"elements": [{"organization": AUTHOR, "role": "ANALYST", "state": "APPROVED"}]}
    serve_page(httpserver, analyst)
    with pytest.raises(PermanentError, match="not a Super admin or Content admin of"):
        channel_for(httpserver).whoami()


def test_whoami_reads_v2_me_for_a_community_management_token(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/userinfo").respond_with_json({"status": 403}, status=403)
    httpserver.expect_request("/v2/me").respond_with_json(
        {"id": "782bbtaQ", "localizedFirstName": "Camille", "localizedLastName": "Martin"}
    )
    who = channel_for(httpserver, author="urn:li:person:782bbtaQ").whoami()
    assert (who["account"], who["name"]) == ("urn:li:person:782bbtaQ", "Camille Martin")
