"""The live LinkedIn channel against a local HTTP server that answers as LinkedIn's docs say."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from posts.claims import PostView
from posts.errors import AuthError, PermanentError, TransientError
from posts.littletext import unescape_little_text
from scheduler.channels import build_channel
from scheduler.channels.linkedin import LinkedInChannel
from tests.factories import config as make_config

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
    """Keeps what it accepted; refuses a repeat as LinkedIn does (422 DUPLICATE_POST)."""

    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)

    def create(self, request: Request) -> Response:
        self.requests.append(request)
        body = request.get_json()
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
    fake = FakeLinkedIn()
    httpserver.expect_request("/rest/posts", method="POST").respond_with_handler(fake.create)
    return fake


def channel_for(server: HTTPServer, **options: object) -> LinkedInChannel:
    config = make_config()
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
    base = PostView(
        id=1,
        channel="linkedin",
        subject="article",
        phase="announce",
        body=text,
        link="https://shs.cairn.info/tap-tdgcu5qbq9556",
        link_expires_at=None,
        media_path=None,
        media_alt=None,
        idempotency_key=f"k{random.random()}",
        attempts=0,
        due=datetime.now(UTC),
    )
    return replace(base, **changes)


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
    upload = httpserver.url_for("/upload/abc")
    httpserver.expect_request(
        "/rest/images",
        method="POST",
        query_string="action=initializeUpload",
        json={"initializeUploadRequest": {"owner": AUTHOR}},
        headers={"LinkedIn-Version": "202611", "X-Restli-Protocol-Version": "2.0.0"},
    ).respond_with_json({"value": {"uploadUrl": upload, "image": "urn:li:image:C4E10AQ"}})

    def put(request: Request) -> Response:
        linkedin.uploads.append(request.get_data())
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        return Response("", status=201)

    httpserver.expect_request("/upload/abc", method="PUT").respond_with_handler(put)
    channel_for(httpserver).publish(view(media_path=str(image), media_alt="Affiche (texte alt)"))
    assert linkedin.uploads == [PNG]
    body = next(iter(linkedin.posts.values()))
    assert body["content"] == {
        "media": {"id": "urn:li:image:C4E10AQ", "altText": "Affiche (texte alt)"}
    }


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
