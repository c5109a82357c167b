"""Reach: snapshots taken at `[daemon] reach_after`, read from mastodon-mock and a LinkedIn
stand-in, and shown by `postsched report`. Snapshots are taken by calling `take_snapshots` with
fixed times, as the daemon's tick does after publishing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from posts.campaign import DaemonSettings
from posts.claims import Claims
from posts.errors import PermanentError
from posts.models import Post
from posts.policy import TickRules
from posts.publishing import Channel, publish_due
from posts.reach import ReachReader, take_snapshots
from posts.store import NewPost, Store
from scheduler.channels import build_channel
from scheduler.channels.dryrun import DryRunChannel
from scheduler.channels.linkedin import LinkedInChannel
from scheduler.commands.report import member_notes
from scheduler.config import load_config
from scheduler.database import open_engine
from tests.conftest import MASTODON_TOKEN, run
from tests.factories import config as make_config
from tests.test_linkedin import TOKEN
from tests.test_linkedin import channel_for as linkedin_for
from tests.test_mastodon import channel_for as mastodon_for

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
SCHEDULE = DaemonSettings().reach_after  # 1h, 1d, 7d


@pytest.fixture
def store(project: Path) -> Store:
    """The project's own database, so that `postsched report` reads what the tests write."""
    assert run("init").code == 0
    return Store(open_engine(f"sqlite:///{project / 'postsched.db'}"))


def published(
    store: Store, channel: Channel, text: str = "Lisez l'article", name: str = "mastodon"
) -> Post:
    """A post published through the real tick at T0 on `channel`, named `name`."""
    post = store.add_post(
        NewPost("test", name, "article", "announce", text, T0), now=T0 - timedelta(minutes=5)
    )
    report = publish_due(Claims(store), {name: channel}, TickRules(), T0, worker="w")
    assert [o.event for o in report.outcomes] == ["published"], report.outcomes
    return store.get(post.id)


def snapshots(
    store: Store, at: datetime, reader: ReachReader, **more: ReachReader
) -> list[tuple[str, object]]:
    taken = take_snapshots(store, {"mastodon": reader, **more}, SCHEDULE, at)
    return [(t.snapshot, t.counts if t.counts is not None else t.reason) for t in taken]


def report_json() -> list[dict[str, object]]:
    result = run("report", "--json")
    assert result.code == 0, result.err
    posts: list[dict[str, object]] = json.loads(result.out)
    return posts


def other_account(url: str, name: str = "lectrice") -> dict[str, str]:
    """A second account on the mock, with its own token."""
    answer = requests.post(f"{url}/api/v1/_mock/dev_user", json={"username": name}, timeout=10)
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_favourite_and_a_boost_by_another_account_show_after_the_next_snapshot(
    store: Store, mastodon: str
) -> None:
    channel = mastodon_for(mastodon)
    post = published(store, channel)
    assert snapshots(store, T0 + timedelta(minutes=59), channel) == []  # nothing due yet
    reader = other_account(mastodon)
    for verb in ("favourite", "reblog"):
        answer = requests.post(
            f"{mastodon}/api/v1/statuses/{post.remote_id}/{verb}", headers=reader, timeout=10
        )
        assert answer.status_code == 200, answer.text

    expected = {"favourites_count": 1, "reblogs_count": 1, "replies_count": 0}
    assert snapshots(store, T0 + timedelta(hours=1), channel) == [("1h", expected)]
    assert snapshots(store, T0 + timedelta(hours=2), channel) == []  # taken once, kept

    (row,) = report_json()
    assert row["id"] == post.id and row["reach"] == expected
    assert {"channel": "mastodon", "subject": "article", "phase": "announce"}.items() <= row.items()
    assert row["url"] == post.remote_url and str(row["published_at"]).startswith("2026-03-02T09:30")

    # A later snapshot is a new row: the report shows the latest, the first is kept.
    requests.post(
        f"{mastodon}/api/v1/statuses/{post.remote_id}/favourite",
        headers=other_account(mastodon, "second"),
        timeout=10,
    ).raise_for_status()
    assert snapshots(store, T0 + timedelta(days=1), channel) == [
        ("1d", expected | {"favourites_count": 2})
    ]
    (row,) = report_json()
    assert row["reach"] == expected | {"favourites_count": 2} and row["snapshot"] == "1d"
    table = run("report")
    assert table.code == 0 and "Totals by subject" in table.out and "Totals by phase" in table.out
    assert f"Best:  post {post.id} (mastodon, article, announce): 3 interactions" in table.out


def test_a_refused_read_is_recorded_once_and_later_snapshots_are_not_asked(
    store: Store, mastodon: str
) -> None:
    channel = mastodon_for(mastodon)
    post = published(store, channel)
    gone = requests.delete(
        f"{mastodon}/api/v1/statuses/{post.remote_id}",
        headers={"Authorization": f"Bearer {MASTODON_TOKEN}"},
        timeout=10,
    )
    assert gone.status_code == 200
    ((label, reason),) = snapshots(store, T0 + timedelta(hours=1), channel)
    assert label == "1h" and str(reason).startswith("Mastodon 404 while reading the status's")
    assert snapshots(store, T0 + timedelta(days=1), channel) == []
    assert snapshots(store, T0 + timedelta(days=7), channel) == []
    (row,) = report_json()
    assert row["reach"] == {} and row["reason"] == reason


def test_a_network_that_cannot_be_reached_is_asked_again_later(store: Store, mastodon: str) -> None:
    channel = mastodon_for(mastodon)
    published(store, channel)
    rule = {
        "match": {"methods": ["GET"], "path": "/api/v1/statuses/*"},
        "effect": {"type": "status", "status": 503},
        "count": 1,
    }
    requests.post(f"{mastodon}/api/v1/_mock/faults", json=rule, timeout=10).raise_for_status()
    assert snapshots(store, T0 + timedelta(hours=1), channel) == []
    assert [s for s, _ in snapshots(store, T0 + timedelta(hours=1, minutes=1), channel)] == ["1h"]


def test_an_answer_that_is_not_json_is_one_sentence_and_the_rest_is_shown(
    store: Store, mastodon: str, httpserver: HTTPServer
) -> None:
    good = mastodon_for(mastodon)
    first = published(store, good)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(
        {"id": "77", "url": "https://social.example/@x/77"}
    )
    httpserver.expect_request("/api/v1/statuses/77", method="GET").respond_with_data(
        "<html><body>Maintenance</body></html>", content_type="text/html"
    )
    odd = mastodon_for(httpserver.url_for("/").rstrip("/"))
    second = published(store, odd, "Un autre texte", name="odd")
    ((_, counts), (_, reason)) = snapshots(store, T0 + timedelta(hours=1), good, odd=odd)
    assert reason == "Mastodon answered 200 with text/html instead of JSON"
    rows = {r["id"]: r for r in report_json()}
    assert (
        rows[first.id]["reach"]
        == counts
        == {
            "favourites_count": 0,
            "reblogs_count": 0,
            "replies_count": 0,
        }
    )
    assert rows[second.id]["reach"] == {} and rows[second.id]["reason"] == reason
    table = run("report")
    assert table.code == 0 and "text/html instead of JSON" in table.out


def test_dry_run_has_nothing_to_read_and_says_so_once(store: Store, project: Path) -> None:
    channel = build_channel(load_config(project / "config.toml"), "mastodon")
    assert isinstance(channel, DryRunChannel)  # the shipped default
    published(store, channel)
    assert snapshots(store, T0 + timedelta(hours=1), channel) == [
        ("1h", "dry-run: nothing to read")
    ]
    assert snapshots(store, T0 + timedelta(days=8), channel) == []


def test_report_refuses_a_since_in_the_future_in_one_sentence(store: Store) -> None:
    result = run("report", "--since", "+2d")
    assert result.code == 1 and result.out == ""
    assert result.err.startswith("Error: --since ") and result.err.count("\n") == 1
    assert "in the future" in result.err
    assert run("report", "--json", "--csv").code == 2


def test_reach_after_must_be_durations(project: Path) -> None:
    path = project / "config.toml"
    path.write_text(path.read_text().replace('["1h", "1d", "7d"]', '["1h", "soon"]'))
    result = run("check")
    assert result.code == 1
    assert result.err == (
        "Error: config.toml: [daemon] reach_after: 'soon' is not a duration: write a whole "
        "number and a unit, such as 1h, 1d or 7d.\n"
    )


# LinkedIn --------------------------------------------------------------------------------

URN = "urn:li:share:7141138937766391808"
PAGE = "urn:li:organization:2414183"


def social_actions(request: Request) -> Response:
    assert request.headers.get("Authorization") == f"Bearer {TOKEN}"
    assert request.headers.get("LinkedIn-Version") == "202611"
    assert request.headers.get("X-Restli-Protocol-Version") == "2.0.0"
    body = {
        "target": URN,
        "likesSummary": {"totalLikes": 12, "likedByCurrentUser": False},
        "commentsSummary": {"aggregatedTotalComments": 3, "totalFirstLevelComments": 2},
    }
    return Response(json.dumps(body), status=200, content_type="application/json")


def share_statistics(request: Request) -> Response:
    assert request.args.get("q") == "organizationalEntity"
    assert request.args.get("organizationalEntity") == PAGE
    assert request.args.get("shares") == f"List({URN})"
    statistics = {
        "impressionCount": 840,
        "uniqueImpressionsCount": 610,
        "clickCount": 41,
        "shareCount": 5,
        "likeCount": 12,
        "commentCount": 3,
        "engagement": 0.0726,
    }
    body = {"elements": [{"organizationalEntity": PAGE, "totalShareStatistics": statistics}]}
    return Response(json.dumps(body), status=200, content_type="application/json")


def test_a_page_post_reads_its_reactions_and_its_share_statistics(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/rest/socialActions/urn:li:share:7141138937766391808", method="GET"
    ).respond_with_handler(social_actions)
    httpserver.expect_request(
        "/rest/organizationalEntityShareStatistics", method="GET"
    ).respond_with_handler(share_statistics)
    assert linkedin_for(httpserver).reach(URN) == {
        "totalLikes": 12,
        "aggregatedTotalComments": 3,
        "impressionCount": 840,
        "clickCount": 41,
        "shareCount": 5,
    }


def test_a_member_token_is_told_plainly_what_it_cannot_read(httpserver: HTTPServer) -> None:
    refusal = {"status": 403, "serviceErrorCode": 100, "message": "Not enough permissions"}
    httpserver.expect_request(
        "/rest/socialActions/urn:li:share:7141138937766391808"
    ).respond_with_json(refusal, status=403)
    channel = linkedin_for(httpserver, author="urn:li:person:abc123")
    assert isinstance(channel, LinkedInChannel)
    with pytest.raises(PermanentError) as caught:
        channel.reach(URN)
    assert "a member's token cannot read reactions, comments or statistics" in str(caught.value)
    assert len(httpserver.log) == 1  # no share statistics asked for a member's post

    config = make_config()
    live = {
        "linkedin": channel.channel,
        "mastodon": config.channels["mastodon"],  # a dry-run channel: no note
    }
    (note,) = member_notes(replace(config, channels=live))
    assert note.startswith("linkedin: posts as a member") and "cannot read them" in note


def test_built_channels_can_read_reach() -> None:
    config = make_config()
    built = build_channel(config, "linkedin")
    assert isinstance(built, ReachReader)
    assert isinstance(build_channel(config, "mastodon"), ReachReader)


def test_the_daemon_takes_due_snapshots_after_publishing(store: Store, project: Path) -> None:
    from scheduler.daemon import Daemon

    config = load_config(project / "config.toml")
    channels = {"mastodon": build_channel(config, "mastodon")}
    early = store.add_post(
        NewPost("test", "mastodon", "article", "announce", "Premier", T0), now=T0
    )
    Daemon(config, store, channels, clock=lambda: T0).tick()
    due = T0 + timedelta(hours=3)  # past the shipped min_gap of 2 h
    late = store.add_post(NewPost("test", "mastodon", "article", "reminder", "Second", due), now=T0)
    Daemon(config, store, channels, clock=lambda: due).tick()
    assert store.get(late.id).status == "published"  # the due post went out in that tick
    rows = {r["id"]: r for r in report_json()}
    assert rows[early.id]["reason"] == "dry-run: nothing to read"
    assert rows[late.id]["reason"] is None  # its 1h is not due yet


def test_the_report_table_says_when_the_latest_read_failed_beside_the_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The table agrees with --json: earlier figures, and why the latest read gave none."""
    from zoneinfo import ZoneInfo

    from posts.reach_report import PostReach
    from scheduler.reach_output import print_report

    when = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    post = PostReach(
        id=2,
        campaign="c",
        channel="mastodon",
        subject="article",
        phase="announce",
        published_at=when,
        url="https://x/2",
        counts={"favourites_count": 1},
        snapshot="1h",
        reason="Mastodon answered 200 with text/html instead of JSON",
    )
    print_report([post], ZoneInfo("Europe/Paris"), [])
    shown = " ".join(capsys.readouterr().out.split())
    assert "favourites_count 1" in shown
    assert "latest read: Mastodon answered 200 with text/html instead of JSON" in shown
    print_report([], ZoneInfo("Europe/Paris"), [], since="2027-03-02T00:00:00+01:00")
    assert "No post published since 2027-03-02" in capsys.readouterr().out
