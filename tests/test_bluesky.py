"""The live Bluesky channel against the AT Protocol reference server (a real PDS on loopback)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from posts.campaign import Config
from posts.claims import Claims
from posts.confirming import Sent
from posts.errors import AuthError, PermanentError, RateLimitError, TooLongError, TransientError
from posts.links import tagged
from posts.models import Status
from posts.networks import network_for
from posts.outcomes import PostView
from posts.publishing import TickRules, publish_due
from posts.richtext import detect_facets
from posts.store import NewPost
from posts.tid import new_key, record_key
from scheduler.channels import build_channel
from scheduler.channels.bluesky import BlueskyChannel
from scheduler.credentials import Token
from tests.bluesky_server import Account, Pds, Proxy, create_account, expired, records
from tests.conftest import run
from tests.factories import config as make_config
from tests.factories import migrated_store, png

TEXT = (
    "« IA et recherche en intervention sociale », éthique numérique 🤖👩🏽‍💻 : "
    "https://shs.cairn.info/tap-tdgcu5qbq9556 #IntelligenceArtificielle #ÉthiqueNumérique "
    "(programme : https://www.hetis.fr/formations/ia). #TravailSocial"
)


def live_config(url: str, account: Account, **options: object) -> Config:
    config = make_config()
    mastodon = config.channels["mastodon"]
    channel = replace(
        mastodon,
        name="bluesky",
        type="bluesky",
        mode="live",
        token_env="POSTSCHED_BLUESKY_PASSWORD",
        options={"service": url, "handle": account.handle, **options},
    )
    return replace(config, channels={"bluesky": channel})


def channel_for(
    url: str, account: Account, password: str | None = None, config: Config | None = None
) -> BlueskyChannel:
    config = config or live_config(url, account)
    secret = account.app_password if password is None else password
    built = build_channel(config, "bluesky", {"POSTSCHED_BLUESKY_PASSWORD": secret})
    assert isinstance(built, BlueskyChannel)
    return built


def view(text: str = TEXT, **changes: object) -> PostView:
    base = PostView(
        id=1,
        channel="bluesky",
        subject="article",
        phase="announce",
        body=text,
        link=None,
        link_expires_at=None,
        media_path=None,
        media_alt=None,
        idempotency_key=new_key(),
        attempts=0,
        due=datetime.now(UTC),
    )
    return replace(base, **changes)


def get_record(pds: Pds, account: Account, rkey: str) -> dict[str, Any]:
    answer = requests.get(
        pds.xrpc("com.atproto.repo.getRecord"),
        params={"repo": account.did, "collection": "app.bsky.feed.post", "rkey": rkey},
        timeout=30,
    )
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found


def test_links_and_tags_are_facets_that_round_trip_byte_for_byte(
    bluesky_pds: Pds, bluesky: Account
) -> None:
    post = view()
    receipt = channel_for(bluesky_pds.url, bluesky).publish(post)
    rkey = record_key(post.idempotency_key)
    assert receipt.remote_id == f"at://{bluesky.did}/app.bsky.feed.post/{rkey}"
    record = get_record(bluesky_pds, bluesky, rkey)["value"]
    assert record["text"] == TEXT and record["langs"] == ["fr"]
    data = TEXT.encode("utf-8")
    spans = [
        (
            data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode("utf-8"),
            f["features"][0].get("uri") or f["features"][0].get("tag"),
        )
        for f in record["facets"]
    ]
    assert spans == [
        ("https://shs.cairn.info/tap-tdgcu5qbq9556", "https://shs.cairn.info/tap-tdgcu5qbq9556"),
        ("#IntelligenceArtificielle", "IntelligenceArtificielle"),
        ("#ÉthiqueNumérique", "ÉthiqueNumérique"),
        ("https://www.hetis.fr/formations/ia", "https://www.hetis.fr/formations/ia"),
        ("#TravailSocial", "TravailSocial"),
    ]


# Texts whose facets posts/richtext.py and Bluesky's own client find alike: French quotes,
# accents, emoji, queries, fragments, parentheses, punctuation after links and tags, tags that
# are not (digits alone, a keycap, inside a word), digits of other scripts, long tags.
CLIENT_TEXTS = [
    TEXT,
    "Voir https://x.org/a?b=c&utm_source=a+%26+b#frag.",
    "(https://x.org/a) et (voir https://fr.wikipedia.org/wiki/Travail_social_(France)).",
    "Fin : https://x.org/a: puis https://x.org/b, https://x.org/c; https://x.org/d!",
    "https://x.org/a... suite\nhttps://x.org/b?\n\n#Éthique #TravailSocial",
    "#IA, #ÉthiqueNumérique! #2026 #a1 #１２３ #٢٠٢٦ #️⃣ #tag\u200d texte#non #oui.",
    "#" + "a" * 65 + " #" + "é" * 64 + " ＃Pleine #IA\u00a0ok 🎓 #Tag",
    "🎓 Formation : « Intelligence artificielle et travail social ».\nInscription : "
    "formationcontinue@hetis.fr\nhttps://www.hetis.fr/formations?id=ia-ethique#inscription",
]


def client_facets(texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """The facets Bluesky's own client (@atproto/api) finds in each text."""
    import json
    import os
    import shutil
    import subprocess

    from tests import bluesky_server
    from tests.conftest import skip_or_fail

    try:
        folder = bluesky_server.install()
    except bluesky_server.Unavailable as exc:
        skip_or_fail(
            str(exc),
            "POSTSCHED_REQUIRE_BLUESKY",
            required="Bluesky's client library is required here",
            skipped=f"Bluesky tests skipped: {exc}",
        )
    found = subprocess.run(
        [shutil.which("node") or "node", str(bluesky_server.HERE / "detect-facets.js")],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NODE_PATH": str(folder / "node_modules")},
    )
    return [[(a, b, c) for a, b, c in facets] for facets in json.loads(found.stdout)]


def test_facets_agree_with_blueskys_own_client() -> None:
    ours = [
        [
            (
                f["index"]["byteStart"],
                f["index"]["byteEnd"],
                f["features"][0].get("uri") or f["features"][0].get("tag"),
            )
            for f in detect_facets(text)
        ]
        for text in CLIENT_TEXTS
    ]
    assert ours == client_facets(CLIENT_TEXTS)


def test_where_postsched_differs_from_the_client_on_purpose() -> None:
    """French closing quotes and an apostrophe after a link end the sentence, not the link
    (the client keeps them in it); bare domains are not made links (Mastodon does not link
    them either, and the officer reads the same text for both)."""
    texts = ["« Lien : https://x.org/a»", "Fin : https://x.org/a'", "Voir hetis.fr/formations"]
    client = client_facets(texts)
    assert client[0][0][2] == "https://x.org/a»" and client[1][0][2] == "https://x.org/a'"
    assert client[2] == [(5, 24, "https://hetis.fr/formations")]
    assert [f["features"][0]["uri"] for f in detect_facets(texts[0])] == ["https://x.org/a"]
    assert [f["features"][0]["uri"] for f in detect_facets(texts[1])] == ["https://x.org/a"]
    assert detect_facets(texts[2]) == []


def delete_record(pds: Pds, account: Account, rkey: str) -> None:
    """The officer deletes a post on Bluesky."""
    requests.post(
        pds.xrpc("com.atproto.repo.deleteRecord"),
        headers={"Authorization": f"Bearer {account.access_jwt}"},
        json={"repo": account.did, "collection": "app.bsky.feed.post", "rkey": rkey},
        timeout=30,
    ).raise_for_status()


def with_cover(config: Config, picture: Path) -> Config:
    """The config with `picture` as the article's card picture."""
    assert config.article is not None
    cover = replace(config.article, image=picture, image_alt="La couverture du numéro 52")
    return replace(config, article=cover)


def test_the_link_card_carries_the_subjects_picture_served_back_as_uploaded(
    bluesky_pds: Pds, bluesky: Account, tmp_path: Path
) -> None:
    picture = tmp_path / "couverture.png"
    picture.write_bytes(png(7, size=40))
    config = with_cover(live_config(bluesky_pds.url, bluesky), picture)
    article = config.article
    assert article is not None
    post = view(link=article.url, body=f"Le tiré à part : {article.url}")
    channel_for(bluesky_pds.url, bluesky, config=config).publish(post)
    record = get_record(bluesky_pds, bluesky, record_key(post.idempotency_key))["value"]
    card = record["embed"]["external"]
    assert record["embed"]["$type"] == "app.bsky.embed.external"
    assert card["uri"] == article.url and card["title"] == article.title
    blob = requests.get(
        bluesky_pds.xrpc("com.atproto.sync.getBlob"),
        params={"did": bluesky.did, "cid": card["thumb"]["ref"]["$link"]},
        timeout=30,
    )
    assert blob.status_code == 200 and blob.content == picture.read_bytes()


def padded_png(size: int) -> bytes:
    """A valid PNG of exactly `size` bytes: a small picture with a text chunk of padding."""
    import struct
    import zlib

    picture = png(3, size=16)
    head, tail = picture[:33], picture[33:]  # the signature and IHDR, then IDAT and IEND
    data = b"Comment\x00" + b"x" * (size - len(picture) - 12 - 8)
    body = b"tEXt" + data
    chunk = struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    padded = head + chunk + tail
    assert len(padded) == size
    return padded


def get_blob(pds: Pds, account: Account, blob: dict[str, Any]) -> bytes:
    answer = requests.get(
        pds.xrpc("com.atproto.sync.getBlob"),
        params={"did": account.did, "cid": blob["ref"]["$link"]},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.content


def test_a_card_picture_is_uploaded_again_after_the_post_that_held_it_was_deleted(
    bluesky_pds: Pds, bluesky: Account, tmp_path: Path
) -> None:
    """The PDS deletes a blob with the last record that used it: a daemon that kept the blob
    of the article's cover from its first post would send every later post a reference to
    nothing (400 BlobNotFound, failed for good) once the officer deleted that first post."""
    picture = tmp_path / "couverture.png"
    picture.write_bytes(png(9, size=20))
    config = with_cover(live_config(bluesky_pds.url, bluesky), picture)
    article = config.article
    assert article is not None
    channel = channel_for(bluesky_pds.url, bluesky, config=config)
    first = view(link=article.url, body=f"Le tiré à part : {article.url}")
    channel.publish(first)
    delete_record(bluesky_pds, bluesky, record_key(first.idempotency_key))
    second = view(link=article.url, body=f"Rappel, le tiré à part : {article.url}")
    channel.publish(second)
    record = get_record(bluesky_pds, bluesky, record_key(second.idempotency_key))["value"]
    thumb = record["embed"]["external"]["thumb"]
    assert get_blob(bluesky_pds, bluesky, thumb) == picture.read_bytes()


def test_a_posts_own_image_goes_with_its_alt_text_and_is_served_back_byte_for_byte(
    bluesky_pds: Pds, bluesky: Account, tmp_path: Path
) -> None:
    picture = tmp_path / "affiche.png"
    picture.write_bytes(png(3, size=16))
    post = view(media_path=str(picture), media_alt="L’affiche de la formation, en noir et blanc")
    channel_for(bluesky_pds.url, bluesky).publish(post)
    embed = get_record(bluesky_pds, bluesky, record_key(post.idempotency_key))["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    (image,) = embed["images"]
    assert image["alt"] == "L’affiche de la formation, en noir et blanc"
    assert image["image"]["mimeType"] == "image/png"
    assert image["image"]["size"] == len(picture.read_bytes())
    assert get_blob(bluesky_pds, bluesky, image["image"]) == picture.read_bytes()


def test_an_image_of_exactly_the_limit_goes_and_one_byte_more_is_refused_before_sending(
    bluesky_pds: Pds, bluesky: Account, tmp_path: Path
) -> None:
    """Bluesky's app.bsky.embed.images takes 1,000,000 bytes an image: the server accepts
    that many, and postsched refuses one byte more itself, in a sentence, sending nothing."""
    largest = tmp_path / "affiche.png"
    largest.write_bytes(padded_png(1_000_000))
    post = view(media_path=str(largest), media_alt="L’affiche")
    channel_for(bluesky_pds.url, bluesky).publish(post)
    embed = get_record(bluesky_pds, bluesky, record_key(post.idempotency_key))["value"]["embed"]
    assert get_blob(bluesky_pds, bluesky, embed["images"][0]["image"]) == largest.read_bytes()

    too_big = tmp_path / "affiche-hd.png"
    too_big.write_bytes(padded_png(1_000_001))
    with Proxy(bluesky_pds.url) as proxy:
        with pytest.raises(PermanentError) as caught:
            channel_for(proxy.url, bluesky).publish(
                view(media_path=str(too_big), media_alt="L’affiche")
            )
        sent = [method for method, _, _ in proxy.seen]
    assert str(caught.value) == (
        "the image affiche-hd.png is 1,000,001 bytes, over Bluesky's limit of 1,000,000 bytes "
        "an image: make it smaller"
    )
    assert "uploadBlob" not in sent and "createRecord" not in sent
    assert len(records(bluesky_pds, bluesky.did)) == 1


def test_add_refuses_an_image_over_blueskys_limit_in_one_sentence(planned: Path) -> None:
    """The officer learns it when adding the post, not when it fails at its due time; the
    same image goes to Mastodon, whose limit is higher."""
    image = planned.parent / "affiche.png"
    image.write_bytes(padded_png(1_000_001))
    args = ["--at", "+1d", "--text", "L’affiche #IA", "--image", str(image), "--alt", "L’affiche"]
    refused = run("add", "bluesky", *args)
    assert refused.code == 1 and refused.out == ""
    assert refused.err == (
        f"Error: The image {image} is 1,000,001 bytes, over Bluesky's limit of 1,000,000 bytes "
        "an image: make it smaller.\n"
    )
    assert run("add", "mastodon", *args).code == 0
    image.write_bytes(padded_png(1_000_000))
    assert run("add", "bluesky", *args).code == 0


def test_check_and_plan_refuse_a_card_picture_over_blueskys_limit(project: Path) -> None:
    """A subject's card picture goes with every Bluesky post carrying its link: one byte over
    the limit is refused by `check` and `plan`, naming the file, before any post is queued."""
    (project / "images").mkdir()
    cover = project / "images" / "couverture.png"
    cover.write_bytes(padded_png(1_000_001))
    config = project / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        .replace("# image = ", "image = ", 1)
        .replace("# image_alt = ", "image_alt = ", 1),
        encoding="utf-8",
    )
    assert run("init").code == 0
    for args in [("check",), ("plan", "--as-of", "2026-01-05T08:00")]:
        refused = run(*args)
        assert refused.code == 1, args
        assert (
            "its link card's picture couverture.png is 1,000,001 bytes, over Bluesky's limit "
            "of 1,000,000 bytes an image: make it smaller." in refused.err
        ), refused.err
        assert "article/announce/bluesky (bluesky, " in refused.err
        assert "(mastodon," not in refused.err and "(linkedin," not in refused.err
    assert run("queue", "--json").out.strip() == "[]"
    cover.write_bytes(padded_png(1_000_000))
    assert run("check").code == 0


def test_add_refuses_a_one_off_post_whose_card_picture_is_over_blueskys_limit(
    project: Path,
) -> None:
    """A one-off post about a course, with a link, carries the course's card picture: refused
    at `add` rather than failing at its due time; Mastodon builds its own card and takes it."""
    (project / "images").mkdir()
    poster = project / "images" / "ethique.png"
    poster.write_bytes(padded_png(1_000_001))
    config = project / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'key = "ethique"\n',
            'key = "ethique"\nimage = "images/ethique.png"\nimage_alt = "L’affiche du stage"\n',
        ),
        encoding="utf-8",
    )
    assert run("init").code == 0
    args = ["--at", "+1d", "--text", "Le stage", "--subject", "course:ethique"]
    args += ["--link", "https://www.hetis.fr/formations/ethique"]
    refused = run("add", "bluesky", *args)
    assert refused.code == 1 and refused.out == ""
    assert refused.err == (
        "Error: The new post on bluesky: its link card's picture ethique.png is 1,000,001 bytes, "
        "over Bluesky's limit of 1,000,000 bytes an image: make it smaller.\n"
    )
    assert run("add", "mastodon", *args).code == 0
    poster.write_bytes(padded_png(1_000_000))
    assert run("add", "bluesky", *args).code == 0


def test_utm_parameters_are_inside_the_link_facet_query_and_fragment_included(
    bluesky_pds: Pds, bluesky: Account
) -> None:
    """A campaign's [campaign.utm] tags its links on Bluesky as on Mastodon (docs/reach.md):
    the facet covers the whole tagged address, its query and fragment, and not the sentence's
    final dot; the card points at the same address."""
    utm = (("utm_source", "mastodon & bluesky"), ("utm_medium", "social"), ("utm_campaign", "ia"))
    link = tagged("https://www.hetis.fr/formations?id=ethique#inscription", utm)
    assert link == (
        "https://www.hetis.fr/formations?id=ethique&utm_source=mastodon+%26+bluesky"
        "&utm_medium=social&utm_campaign=ia#inscription"
    )
    text = f"🎓 Éthique de l’IA, inscriptions ouvertes : {link}. #TravailSocial"
    post = view(text, link=link)
    channel_for(bluesky_pds.url, bluesky).publish(post)
    record = get_record(bluesky_pds, bluesky, record_key(post.idempotency_key))["value"]
    data = text.encode("utf-8")
    link_facet, tag_facet = record["facets"]
    start, end = link_facet["index"]["byteStart"], link_facet["index"]["byteEnd"]
    assert data[start:end].decode("utf-8") == link == link_facet["features"][0]["uri"]
    assert data[end:].decode("utf-8") == ". #TravailSocial"
    assert tag_facet["features"][0]["tag"] == "TravailSocial"
    assert record["embed"]["external"]["uri"] == link


def test_a_301_grapheme_text_is_refused_before_it_is_sent_and_the_server_agrees(
    bluesky_pds: Pds, bluesky: Account
) -> None:
    network = network_for("bluesky")
    text = "é" * 290 + "👩🏽‍💻" * 11  # 301 graphemes, far more code points
    assert network.check("é" * 290 + "👩🏽‍💻" * 10) == 300
    with pytest.raises(TooLongError, match="301 characters as Bluesky counts them"):
        network.check(text)
    # The server refuses it too, for good, in its own words (postsched never sends it).
    with pytest.raises(PermanentError, match="grapheme too big"):
        channel_for(bluesky_pds.url, bluesky).publish(view(text))
    assert records(bluesky_pds, bluesky.did) == []


def test_a_handle_written_with_capitals_and_an_at_sign_still_posts(
    bluesky_pds: Pds, bluesky: Account
) -> None:
    """Handles are not case-sensitive (the server keeps them in lower case): a config.toml
    saying "@Hetis.bsky.social" must not make every post fail with 403 AccountNotFound."""
    shouting = replace(bluesky, handle="@" + bluesky.handle.upper())
    post = view()
    receipt = channel_for(bluesky_pds.url, shouting).publish(post)
    rkey = record_key(post.idempotency_key)
    assert receipt.remote_id == f"at://{bluesky.did}/app.bsky.feed.post/{rkey}"
    assert receipt.url == f"https://bsky.app/profile/{bluesky.handle}/post/{rkey}"
    assert get_record(bluesky_pds, bluesky, rkey)["value"]["text"] == TEXT


def test_a_second_attempt_reads_the_record_back_and_never_posts_twice(
    bluesky_pds: Pds, bluesky: Account
) -> None:
    channel, post = channel_for(bluesky_pds.url, bluesky), view()
    first = channel.publish(post)
    again = channel.publish(replace(post, attempts=1))
    assert again.remote_id == first.remote_id and again.note is not None
    assert len(records(bluesky_pds, bluesky.did)) == 1


def drop_first_create(method: str, n: int) -> str:
    """The first createRecord is made on the PDS, its answer lost (tests/bluesky_server.py)."""
    return "lose" if method == "com.atproto.repo.createRecord" and n == 1 else "pass"


@pytest.fixture
def lossy(bluesky_pds: Pds) -> Iterator[Proxy]:
    with Proxy(bluesky_pds.url, drop_first_create) as proxy:
        yield proxy


def test_a_lost_answer_leaves_one_record_through_the_tick(
    bluesky_pds: Pds, bluesky: Account, lossy: Proxy, tmp_path: Path
) -> None:
    store = migrated_store(str(tmp_path / "p.db"))
    now = datetime.now(UTC)
    post = store.add_post(NewPost("t", "bluesky", "article", "announce", TEXT, now), now=now)
    channels = {"bluesky": channel_for(lossy.url, bluesky)}
    claims, rules = Claims(store), TickRules(backoff_base=timedelta(seconds=1))
    first = publish_due(claims, channels, rules, now, worker="w")
    assert lossy.fired("lose") == 1
    assert [o.event for o in first.outcomes] == ["retrying"]
    retry_at = store.get(post.id).next_attempt_at
    assert retry_at is not None
    second = publish_due(claims, channels, rules, retry_at, worker="w")
    assert [o.event for o in second.outcomes] == ["published"]
    assert "already there at its record key" in store.events()[-1].detail
    (record,) = records(bluesky_pds, bluesky.did)
    stored = store.get(post.id)
    assert stored.status == Status.PUBLISHED and stored.remote_id == record["uri"]
    assert record["uri"].endswith("/" + record_key(stored.idempotency_key))


def test_an_expired_session_is_refreshed_and_then_created_again(
    bluesky_pds: Pds, bluesky: Account
) -> None:
    channel = channel_for(bluesky_pds.url, bluesky)
    channel.session.login()
    # Both tokens two hours old: the access token answers 400 ExpiredToken, then the refresh
    # token does too, so the session is created again from the app password.
    channel.session.access_jwt = expired(channel.session.access_jwt)
    refresh = channel.session.http.refresh_jwt
    channel.publish(view("Première publication après une session expirée #Test"))
    assert channel.session.http.refresh_jwt != refresh
    channel.session.access_jwt = expired(channel.session.access_jwt)
    channel.session.http.refresh_jwt = expired(channel.session.http.refresh_jwt)
    channel.publish(view("Seconde publication, les deux jetons expirés #Test"))
    assert len(records(bluesky_pds, bluesky.did)) == 2


def test_a_wrong_app_password_pauses_and_never_shows_the_password(
    bluesky_pds: Pds, bluesky: Account
) -> None:
    secret = "wxyz-abcd-efgh-ijkl"
    with pytest.raises(AuthError) as caught:
        channel_for(bluesky_pds.url, bluesky, password=secret).publish(view())
    assert "401" in str(caught.value) and "POSTSCHED_BLUESKY_PASSWORD" in str(caught.value)
    assert secret not in str(caught.value)


def test_an_unreachable_server_is_transient(bluesky: Account) -> None:
    from tests.conftest import free_port

    with pytest.raises(TransientError, match="cannot reach"):
        channel_for(f"http://127.0.0.1:{free_port()}", bluesky).publish(view())


def test_confirm_sees_the_record_then_its_deletion(bluesky_pds: Pds, bluesky: Account) -> None:
    channel = channel_for(bluesky_pds.url, bluesky)
    receipt = channel.publish(view())
    sent = Sent(1, "bluesky", TEXT, receipt.remote_id, receipt.url, datetime.now(UTC))
    assert channel.confirm(sent).present
    delete_record(bluesky_pds, bluesky, receipt.remote_id.rsplit("/", 1)[-1])
    assert not channel.confirm(sent).present


def test_reach_says_plainly_that_a_pds_without_an_app_view_cannot_count(
    bluesky_pds: Pds, bluesky: Account
) -> None:
    channel = channel_for(bluesky_pds.url, bluesky)
    receipt = channel.publish(view())
    with pytest.raises(PermanentError, match="no app view"):
        channel.reach(receipt.remote_id)


def test_whoami_names_the_account_of_the_app_password(bluesky_pds: Pds, bluesky: Account) -> None:
    who = channel_for(bluesky_pds.url, bluesky).whoami()
    assert who["account"] == f"@{bluesky.handle}" and who["name"] == bluesky.did


def test_the_token_repr_never_holds_the_app_password(bluesky: Account) -> None:
    assert bluesky.app_password not in repr(Token(bluesky.app_password, "$X"))


def test_with_utm_the_shipped_bluesky_templates_are_refused_at_check_not_cut(
    project: Path,
) -> None:
    """Bluesky gets the campaign's tagged links as Mastodon does (docs/reach.md), but counts
    a link in full: the shipped .bluesky.j2 templates have no room for the parameters, and
    `check` says which posts are too long rather than letting anything be cut or sent."""
    config = project / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[campaign.utm]\nutm_source = "postsched"\nutm_medium = "social"\n'
        'utm_campaign = "ia-travail-social-2026"\n',
        encoding="utf-8",
    )
    result = run("check")
    assert result.code == 1
    refused = [line for line in result.err.splitlines() if "over its limit" in line]
    assert refused and all("/bluesky (bluesky, " in line for line in refused), result.err
    assert all("as Bluesky counts them, over its limit of 300" in line for line in refused)


def test_past_the_login_limit_the_post_waits_for_the_reset_without_using_an_attempt(
    bluesky_pds_limited: Pds, tmp_path: Path
) -> None:
    """A PDS with its rate limits on, as bsky.social: createSession allows 30 attempts per
    5 minutes per identifier, failed ones included. Past them the adapter raises a rate
    limit carrying RateLimit-Reset (epoch seconds), and the tick defers the post to then and
    pauses the channel, instead of failing it or spending its attempts."""
    account = create_account(bluesky_pds_limited, f"t{uuid.uuid4().hex[:10]}.test")
    login = bluesky_pds_limited.xrpc("com.atproto.server.createSession")
    for _ in range(30):
        wrong = {"identifier": account.handle, "password": "aaaa-bbbb-cccc-dddd"}
        assert requests.post(login, json=wrong, timeout=30).status_code == 401
    probe = requests.post(
        login, json={"identifier": account.handle, "password": account.app_password}, timeout=30
    )
    assert probe.status_code == 429 and probe.json()["error"] == "RateLimitExceeded"
    reset = datetime.fromtimestamp(int(probe.headers["RateLimit-Reset"]), UTC)
    assert reset > datetime.now(UTC) + timedelta(minutes=4)  # the 5-minute window's end

    channel = channel_for(bluesky_pds_limited.url, account)
    with pytest.raises(RateLimitError) as caught:
        channel.publish(view())
    assert "429" in str(caught.value) and "RateLimitExceeded" in str(caught.value)
    assert caught.value.retry_after is not None
    assert abs(caught.value.retry_after - reset) <= timedelta(seconds=1)
    assert account.app_password not in str(caught.value)

    store = migrated_store(str(tmp_path / "p.db"))
    now = datetime.now(UTC)
    post = store.add_post(NewPost("t", "bluesky", "article", "announce", TEXT, now), now=now)
    claims = Claims(store)
    tick = publish_due(claims, {"bluesky": channel}, TickRules(), now, worker="w")
    assert [o.event for o in tick.outcomes] == ["rate-limited"]
    stored = store.get(post.id)
    assert stored.status == Status.SCHEDULED and stored.attempts == 0
    assert stored.next_attempt_at is not None
    assert abs(stored.next_attempt_at - reset) <= timedelta(seconds=1)
    assert claims.is_paused("bluesky", stored.next_attempt_at - timedelta(seconds=1))
    assert records(bluesky_pds_limited, account.did) == []
