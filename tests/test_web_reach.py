"""The web page's Reach page over a real SQLite database: posts published through the real
tick on the dry-run channels, their snapshots recorded by `take_snapshots` from a stand-in
network that answers fixed counts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from posts.claims import Claims
from posts.policy import TickRules
from posts.publishing import publish_due
from posts.reach import take_snapshots
from posts.reach_report import read_reach, totals
from posts.store import NewPost, Store
from scheduler.app import App
from scheduler.channels import build_channels
from scheduler.web import create_app, hash_password
from scheduler.web.chart import describe, reach_svg
from tests.test_web import NOW, PARIS, PASSWORD, log_in, text_of

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
SCHEDULE = [("1h", timedelta(hours=1))]
# (campaign, channel, subject, phase, counts the stand-in network answers)
POSTS = [
    ("test", "mastodon", "article", "announce", {"favourites_count": 3, "reblogs_count": 2}),
    ("test", "linkedin", "article", "announce", {"totalLikes": 7, "aggregatedTotalComments": 1}),
    ("test", "mastodon", "course:ethique", "promo", {"favourites_count": 1, "replies_count": 0}),
    ("autre", "mastodon", "article", "last-call", {"favourites_count": 11, "reblogs_count": 4}),
]


class Network:
    """A stand-in for the networks' read: the counts each remote id was given."""

    def __init__(self, name: str, network: str, counts: dict[str, dict[str, int]]):
        self.name, self.network, self.counts = name, network, counts

    def reach(self, remote_id: str) -> dict[str, int]:
        return self.counts[remote_id]


def publish_with_reach(a: App, rows: list[tuple[str, str, str, str, dict[str, int]]]) -> None:
    """Publish `rows` a day apart from T0 through the real tick on the dry-run channels, each
    with a 1h snapshot of the counts given; then one more post, published and not read yet."""
    store: Store = a.store
    channels = build_channels(a.config)
    answers: dict[str, dict[str, dict[str, int]]] = {"mastodon": {}, "linkedin": {}}
    for day, (campaign, channel, subject, phase, counts) in enumerate(rows):
        at = T0 + timedelta(days=day)
        post = store.add_post(
            NewPost(campaign, channel, subject, phase, f"Texte {day}", at), now=at - timedelta(1)
        )
        report = publish_due(Claims(store), channels, TickRules(), at, worker="w")
        assert [o.event for o in report.outcomes] == ["published"]
        remote_id = store.get(post.id).remote_id
        assert remote_id is not None
        answers[channel][remote_id] = counts
        readers = {name: Network(name, name, answers[name]) for name in answers}
        taken = take_snapshots(store, readers, SCHEDULE, at + timedelta(hours=1))
        assert [t.post_id for t in taken] == [post.id]
    late = T0 + timedelta(days=len(rows) + 1)
    store.add_post(NewPost(rows[0][0], "linkedin", "article", "promo", "Pas lu", late), now=T0)
    publish_due(Claims(store), channels, TickRules(), late, worker="w")


@pytest.fixture
def reach_app(planned: Path) -> App:
    """The shipped campaign planned (drafts), plus four posts published a day apart, one of
    another campaign, each with a 1h snapshot; and a fifth published post not read yet."""
    a = App(config_path=planned.parent / "config.toml", clock=lambda: NOW)
    publish_with_reach(a, POSTS)
    return a


@pytest.fixture
def client(reach_app: App) -> Iterator[FlaskClient]:
    web = create_app(reach_app, password_hash=hash_password(PASSWORD))
    with web.test_client() as test_client:
        yield test_client


def dots(page: str) -> list[str]:
    return re.findall(r'<circle class="dot" data-post="(\d+)"', page)


def row(page: str, post_id: int) -> str:
    match = re.search(rf'<tr id="reach-{post_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row for post {post_id}"
    return re.sub(r"<[^>]+>", " ", match.group(1))


def test_the_reach_page_needs_the_login(client: FlaskClient) -> None:
    response = client.get("/reach")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "data-post" not in text_of(client.get("/reach", follow_redirects=True))


def test_the_chart_has_one_dot_per_published_post_with_figures(client: FlaskClient) -> None:
    page = text_of(log_in(client).get("/reach"))
    ids = [int(i) for i in dots(page)]
    assert len(ids) == 4  # the fifth post has no figures yet: no dot, a row that says so
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'viewBox="0 0 800' in svg and 'width="100%"' in svg and 'role="img"' in svg
    assert "<title" in svg and 'aria-label="4 published posts with figures' in svg
    assert "<script" not in page.lower() and "style=" not in page
    # coloured by channel, with a legend: mastodon's dots share one colour, linkedin another
    colours = dict(re.findall(r'data-post="(\d+)"[^>]*fill="(#[0-9a-f]{6})"', svg))
    assert len({colours[str(i)] for i in (ids[0], ids[2], ids[3])}) == 1
    assert colours[str(ids[1])] != colours[str(ids[0])]
    assert ">mastodon</text>" in svg and ">linkedin</text>" in svg
    # per-phase bars
    bars = dict(re.findall(r'data-phase="([^"]+)"[^>]*>\s*<title>[^:]+: (\d+) interactions?', svg))
    assert bars == {"announce": "13", "promo": "1", "last-call": "15"}
    assert "<title>last-call: 15 interactions, 1 post</title>" in svg  # not "1 posts"
    assert re.search(r"<title>promo: 1 interaction, \d+ posts?</title>", svg)


def test_the_table_lists_the_figures_totals_best_and_worst(client: FlaskClient) -> None:
    page = text_of(log_in(client).get("/reach"))
    first, second, third, other = [int(i) for i in dots(page)]
    assert "favourites_count 3, reblogs_count 2" in row(page, first)
    assert "totalLikes 7, aggregatedTotalComments 1" in row(page, second)
    assert "linkedin" in row(page, second) and "1h" in row(page, second)
    unread_row = page[page.rindex('<tr id="reach-') :]
    assert "not read yet" in unread_row.split("</tr>")[0]
    assert re.search(r"<td>article</td><td[^>]*>4</td><td[^>]*>28</td>", page)  # by subject
    assert re.search(r"<td>announce</td><td[^>]*>2</td><td[^>]*>13</td>", page)  # by phase
    assert f"post {other}" in page.split('id="best"')[1].split("</p>")[0]
    assert f"post {third}" in page.split('id="worst"')[1].split("</p>")[0]
    assert 'aria-current="page">Reach</a>' in page


def test_a_campaign_filter_narrows_the_chart_and_the_table(client: FlaskClient) -> None:
    officer = log_in(client)
    everything = text_of(officer.get("/reach"))
    only = text_of(officer.get("/reach?campaign=autre"))
    assert len(dots(everything)) == 4 and len(dots(only)) == 1
    assert only.count('<tr id="reach-') == 1 and "favourites_count 11" in only
    assert "last-call" in only and "announce" not in only
    refused = officer.get("/reach?campaign=nope")
    assert "There is no campaign 'nope'" in text_of(refused)
    assert len(dots(text_of(refused))) == 4


def test_the_chart_is_pure_and_says_when_there_is_nothing(reach_app: App) -> None:
    posts = read_reach(reach_app.store, campaign="test", since=None)
    phases = totals(posts, lambda p: p.phase)
    svg = reach_svg(posts, phases, {"mastodon": "#0072b2"}, PARIS)
    assert svg == reach_svg(posts, phases, {"mastodon": "#0072b2"}, PARIS)
    assert len(dots(svg)) == 3 and svg.startswith("<svg") and svg.endswith("</svg>")
    assert describe([], []) in reach_svg([], [], {}, PARIS)
    assert "No published post has figures yet." in reach_svg([], [], {}, PARIS)
