"""Subjects: the article and every course, each with its own link, deadline, phases and sessions.

The shipped campaign must plan exactly what it planned before subjects existed: the golden files
under tests/golden/ are `plan --dry-run --json` of the shipped config.toml as of three days
(before the start, mid-campaign, after the offprint died), written before the planner changed.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import holidays
import pytest

from posts.campaign import Course, Phase, link_deadline, link_end
from posts.claims import Claims
from posts.models import Status
from posts.planning import plan_campaign
from posts.publishing import publish_due
from posts.store import NewPost, Store
from scheduler.app import App
from scheduler.channels import build_channels
from scheduler.daemon import tick_rules
from scheduler.database import open_engine, upgrade
from tests import factories
from tests.conftest import run
from tests.factories import plain_render

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("day", ["2026-01-05", "2026-03-01", "2026-05-04"])
def test_the_shipped_campaign_plans_the_same_posts(project: Path, day: str) -> None:
    result = run("plan", "--dry-run", "--json", "--as-of", f"{day}T08:00")
    assert result.code == 0, result.err
    planned = json.loads(result.out)
    golden = json.loads((GOLDEN / f"shipped-plan-{day}.json").read_text(encoding="utf-8"))
    for post in planned:
        post.pop("why", None)  # added with subjects; everything else is pinned
    # The golden files predate the Bluesky channel: the two channels they hold plan exactly as
    # they did, and Bluesky gets the same subjects and phases as Mastodon.
    assert [p for p in planned if p["channel"] in ("mastodon", "linkedin")] == golden
    bluesky = [p for p in planned if p["channel"] == "bluesky"]
    mastodon = [p for p in planned if p["channel"] == "mastodon"]
    assert sorted((p["subject"], p["phase"]) for p in bluesky) == sorted(
        (p["subject"], p["phase"]) for p in mastodon
    )
    assert all(len(p["body"]) > 0 and "#TravailSocial" in p["body"] for p in bluesky)


# A second campaign: spring 2027 courses with registration deadlines, no article ---------------

SPRING = """\
[campaign]
name = "formations-printemps-2027"
timezone = "Europe/Paris"
language = "fr"
start = 2027-01-11
end = 2027-06-30
holidays = "FR"
review = true
safety_margin = "12h"
max_per_day = 1
min_gap = "2h"
hashtags = ["travail social"]
templates = "templates"

[campaign.windows]
weekdays = ["mon", "tue", "wed", "thu", "fri"]
times = ["09:30", "12:30"]

[[courses]]
key = "ethique"
title = "Intelligence artificielle et travail social : enjeux éthiques"
formats = ["inter"]
url = "https://hetis.example/formations/ethique"
expires = 2027-02-26
posts = 2

[[courses.sessions]]
start = 2027-03-15
end = 2027-03-16
place = "Nice"
format = "inter"

[[courses]]
key = "outils"
title = "Intelligence artificielle et travail social : outils et sécurité des données"
formats = ["intra", "inter"]
url = "https://hetis.example/formations/outils"
expires = 2027-04-09
start = 2027-02-01

[[courses.phases]]
name = "open"
anchor = "start"

[[courses.phases]]
name = "last-call"
anchor = "expires"
offset = "-3d"

[[courses.sessions]]
start = 2027-05-10
end = 2027-05-11
place = "Nice"
format = "inter"
note = "session du printemps"

"""
LAST_CALL = """\
Dernier appel : « {{ course.title }} », inscriptions jusqu'au {{ expires | date }}, \
plus que {{ days_left }} jours ({{ course.expires | date }}).
{% for session in course.sessions %}
Session du {{ session.start | date }} au {{ session.end | date }} à {{ session.place }}, \
{{ session.format }}{{ " (" ~ session.note ~ ")" if session.note else "" }}.
{% endfor %}
{{ course.url }} {{ course.phases | join(",") }}
"""
SPRING_AS_OF = "2027-01-04T08:00"


def deadline(day: str) -> datetime:
    """A course's last useful day minus the 12h safety margin, in Paris."""
    return datetime.fromisoformat(f"{day}T00:00+01:00") + timedelta(days=1, hours=-12)


@pytest.fixture
def spring(project: Path) -> Path:
    shipped = (project / "config.toml").read_text(encoding="utf-8")
    path = project / "spring.toml"
    path.write_text(SPRING + shipped[shipped.index("[contact]") :], encoding="utf-8")
    (project / "templates" / "course" / "last-call.j2").write_text(LAST_CALL, encoding="utf-8")
    return path


def spring_plan(*args: str) -> list[dict[str, Any]]:
    result = run("--config", "spring.toml", "plan", "--dry-run", "--json", *args)
    assert result.code == 0, result.err
    posts: list[dict[str, Any]] = json.loads(result.out)
    return posts


def test_spring_courses_are_planned_only_before_each_deadline(spring: Path) -> None:
    posts = spring_plan("--as-of", SPRING_AS_OF)
    keys = {p["plan_key"] for p in posts}
    assert keys == {
        f"course:{course}/{phase}/{channel}"
        for course, phase in [
            ("ethique", "promo"),
            ("ethique", "promo-2"),
            ("outils", "open"),
            ("outils", "last-call"),
        ]
        for channel in ("mastodon", "linkedin", "bluesky")
    }
    for post in posts:
        due = datetime.fromisoformat(post["due_at"])
        expires = "2027-02-26" if "ethique" in post["subject"] else "2027-04-09"
        assert due <= deadline(expires), post
        assert post["link_expires_at"] == (
            date.fromisoformat(expires) + timedelta(days=1)
        ).isoformat() + ("T00:00:00.000+01:00" if expires < "2027-03-28" else "T00:00:00.000+02:00")
        assert post["why"], post
    by_key = {p["plan_key"]: p for p in posts}
    opening = datetime.fromisoformat(by_key["course:outils/open/mastodon"]["due_at"])
    assert opening.date() == date(2027, 2, 1), "a course's start-anchored phase waits for its start"
    last_call = by_key["course:outils/last-call/linkedin"]
    assert last_call["due_at"] == "2027-04-06T09:30:00.000+02:00"
    assert last_call["why"] == "last-call: 3 days before course outils's last day (9 April 2027)"
    promo = by_key["course:ethique/promo-2/mastodon"]
    assert promo["why"].startswith(
        "promotion 2 of 2 in turn, spread 11 January 2027 to 26 February 2027"
    ), promo["why"]


def test_templates_get_the_course_s_own_deadline_and_sessions(spring: Path) -> None:
    posts = {p["plan_key"]: p for p in spring_plan("--as-of", SPRING_AS_OF)}
    body = posts["course:outils/last-call/mastodon"]["body"]
    assert "inscriptions jusqu'au 9 avril 2027, plus que 3 jours (9 avril 2027)" in body
    assert "Session du 10 mai 2027 au 11 mai 2027 à Nice, inter (session du printemps)." in body
    assert "https://hetis.example/formations/outils open,last-call" in body


def test_a_course_past_its_deadline_is_skipped_with_a_note(spring: Path) -> None:
    result = run("--config", "spring.toml", "plan", "--dry-run", "--json", "--as-of", "2027-03-01")
    assert result.code == 0, result.err
    subjects = {p["subject"] for p in json.loads(result.out)}
    assert subjects == {"course:outils"}
    assert "course ethique (promo, promo-2) were skipped" in result.err
    assert "26 February 2027" in result.err


def test_nothing_is_planned_after_the_campaign_end(spring: Path) -> None:
    config = spring.read_text(encoding="utf-8").replace("end = 2027-06-30", "end = 2027-02-10")
    spring.write_text(config, encoding="utf-8")
    posts = spring_plan("--as-of", SPRING_AS_OF)
    assert posts
    end = datetime.fromisoformat("2027-02-11T00:00+01:00")
    assert all(datetime.fromisoformat(p["due_at"]) < end for p in posts)
    assert not any("last-call" in p["phase"] for p in posts)


def test_the_publish_time_check_expires_a_course_post_after_its_deadline(spring: Path) -> None:
    assert run("--config", "spring.toml", "init").code == 0
    assert run("--config", "spring.toml", "plan", "--as-of", SPRING_AS_OF).code == 0
    assert run("--config", "spring.toml", "approve", "--all").code == 0
    app = App(config_path=spring)
    claims, channels = Claims(app.store), build_channels(app.config)
    # The daemon was down from January to the evening of the ethique course's last day.
    now = datetime.fromisoformat("2027-02-26T18:00+01:00")
    publish_due(claims, channels, tick_rules(app.config), now, worker="w")
    posts = app.store.list_posts(list(Status))
    ethique = [p for p in posts if p.subject == "course:ethique"]
    assert ethique and all(p.status == Status.EXPIRED for p in ethique)
    assert all("stops working at Sat 27 Feb 2027, 00:00" in (p.last_error or "") for p in ethique)
    assert all(p.published_at is None for p in posts)


def test_a_one_off_post_carrying_a_course_link_is_held_to_its_deadline(spring: Path) -> None:
    assert run("--config", "spring.toml", "init").code == 0
    text = "Inscriptions : https://hetis.example/formations/ethique"
    late = run(
        "--config", "spring.toml", "add", "mastodon", "--at", "2027-02-26T15:00", "--text", text
    )
    assert late.code == 1 and "stops working after 26 February 2027" in late.err, late.err
    early = run(
        "--config", "spring.toml", "add", "mastodon", "--at", "2027-02-22T09:30", "--text", text,
        "--json",
    )  # fmt: skip
    assert early.code == 0, early.err
    post = json.loads(early.out)
    assert post["link"] == "https://hetis.example/formations/ethique"
    assert post["link_expires_at"] == "2027-02-27T00:00:00.000+01:00"


def test_two_campaigns_on_the_same_channels_never_share_a_slot(planned: Path) -> None:
    """A copy of the shipped campaign under another name, planned into the same database: each
    post moves off the days the first campaign holds on its channel (max_per_day = 1)."""
    project = planned.parent
    config = (project / "config.toml").read_text(encoding="utf-8")
    copy = config.replace('name = "ia-travail-social-2026"', 'name = "copie"')
    (project / "copie.toml").write_text(copy, encoding="utf-8")
    result = run("--config", "copie.toml", "plan", "--as-of", "2026-01-05T08:00")
    assert result.code == 0, result.err
    queued = json.loads(run("queue", "--json").out)
    assert {p["campaign"] for p in queued} == {"ia-travail-social-2026", "copie"}
    days = Counter((p["channel"], p["due_at"][:10]) for p in queued)
    assert len(queued) > 16 and max(days.values()) == 1
    copied = [p for p in queued if p["campaign"] == "copie"]
    announce = next(p for p in copied if p["plan_key"] == "article/announce/mastodon")
    assert announce["due_at"] == "2026-01-13T09:30:00.000+01:00"


# The planner itself, on campaigns built in code -----------------------------------------------

BEFORE_START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


def test_a_course_with_expires_but_no_url_is_limited_all_the_same() -> None:
    cfg = factories.config(
        course_list=(Course(key="c1", title="C1", formats=("inter",), expires=date(2026, 2, 10)),)
    )
    plan = plan_campaign(cfg, BEFORE_START, plain_render)
    course = [p for p in plan.posts if p.subject == "course:c1"]
    assert len(course) == 2
    for post in course:
        assert post.link is None
        assert post.link_expires_at == link_end(date(2026, 2, 10), cfg.campaign)
        assert post.due_at <= link_deadline(date(2026, 2, 10), cfg.campaign)
        assert "spread 12 January 2026 to 10 February 2026" in post.why


def test_a_course_spread_ends_at_its_own_deadline_when_sooner() -> None:
    """Four courses spread to 16 April, the second closing on 20 January: its promotion lands
    before then, the others keep theirs."""
    courses = list(factories.courses(4))
    courses[1] = replace(courses[1], expires=date(2026, 1, 20))
    plan = plan_campaign(factories.config(course_list=tuple(courses)), BEFORE_START, plain_render)
    due = {p.subject: p.due_at for p in plan.posts if p.channel == "mastodon"}
    assert due["course:c2"] <= datetime(2026, 1, 20, 12, 0, tzinfo=factories.PARIS)
    assert all(due[f"course:c{n}"] > datetime(2026, 1, 20, tzinfo=UTC) for n in (1, 3, 4))


def test_a_weekend_move_says_so() -> None:
    """16 March 2026 is a Monday: two days before it is Saturday the 14th."""
    cfg = factories.config(
        article_value=factories.article(
            phases=(Phase("last-call", "expires", timedelta(days=-2)),), expires=date(2026, 3, 16)
        ),
        course_list=(),
    )
    post = plan_campaign(cfg, BEFORE_START, plain_render).posts[0]
    assert post.due_at == datetime(2026, 3, 13, 12, 30, tzinfo=factories.PARIS)
    assert post.why == (
        "last-call: 2 days before the link's last day (16 March 2026); "
        "moved back from Sat 14 Mar 2026 (a weekend) to Fri 13 Mar 2026, 12:30"
    )


def test_a_holiday_move_says_so() -> None:
    """Easter Monday 2026 is 6 April: ten days before the 16th."""
    cfg = factories.config(
        article_value=factories.article(phases=(Phase("r", "expires", timedelta(days=-10)),)),
        course_list=(),
    )
    post = plan_campaign(cfg, BEFORE_START, plain_render).posts[0]
    assert post.due_at == datetime(2026, 4, 3, 12, 30, tzinfo=factories.PARIS)
    holiday = holidays.country_holidays("FR")[date(2026, 4, 6)]
    assert post.why == (
        "r: 10 days before the link's last day (16 April 2026); "
        f"moved back from Mon 6 Apr 2026 ({holiday}, a public holiday) to Fri 3 Apr 2026, 12:30"
    )


def test_other_campaigns_posts_count_toward_gap_and_day() -> None:
    cfg = factories.config(
        course_list=(), campaign_changes={"max_per_day": 2, "min_gap": timedelta(hours=2)}
    )
    announce = datetime(2026, 1, 12, 9, 30, tzinfo=factories.PARIS)
    busy = {"mastodon": [announce + timedelta(minutes=30)]}
    posts = {p.plan_key: p for p in plan_campaign(cfg, BEFORE_START, plain_render, busy).posts}
    moved = posts["article/announce/mastodon"]
    assert moved.due_at == datetime(2026, 1, 12, 12, 30, tzinfo=factories.PARIS)
    assert "moved forward from 09:30 (too close to a post of another campaign" in moved.why
    assert posts["article/announce/linkedin"].due_at == announce, "other channels are free"
    full = {"mastodon": [announce, announce + timedelta(hours=3)]}
    posts = {p.plan_key: p for p in plan_campaign(cfg, BEFORE_START, plain_render, full).posts}
    assert posts["article/announce/mastodon"].due_at.date() == date(2026, 1, 13)
    assert "mastodon's day was full" in posts["article/announce/mastodon"].why


def test_the_store_gives_other_campaigns_live_posts_on_these_channels(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'p.db'}", create=True)
    upgrade(engine)
    store = Store(engine)
    now = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    due = datetime(2026, 2, 2, 9, 30, tzinfo=UTC)

    def add(campaign: str, channel: str, at: datetime) -> int:
        new = NewPost(campaign, channel, "article", "one-off", f"{campaign} {channel} {at}", at)
        return store.add_post(new, now=now).id

    add("other", "mastodon", due)
    add("other", "bluesky", due)
    add("mine", "mastodon", due + timedelta(hours=1))
    add("other", "mastodon", due + timedelta(days=500))
    store.cancel([add("other", "linkedin", due)], now=now)
    busy = store.busy_slots(
        "mine", ["mastodon", "linkedin"], since=now, until=now + timedelta(days=400)
    )
    assert busy == {"mastodon": [due]}


def test_plan_dry_run_shows_why_in_a_column(project: Path) -> None:
    result = run("plan", "--dry-run", "--as-of", "2026-01-05T08:00")
    assert result.code == 0, result.err
    assert "why" in result.out
    flat = " ".join(result.out.replace("│", " ").split())
    assert "10 days before the link's last day (16 April 2026)" in flat
    assert "a public holiday" in flat and "a weekend" in flat


def test_a_course_post_from_a_template_carries_the_course_s_deadline(spring: Path) -> None:
    assert run("--config", "spring.toml", "init").code == 0
    args = ["--config", "spring.toml", "add", "mastodon", "--template", "last-call"]
    args += ["--subject", "course:outils", "--json"]
    added = run(*args, "--at", "2027-04-02T09:30")
    assert added.code == 0, added.err
    assert json.loads(added.out)["link_expires_at"] == "2027-04-10T00:00:00.000+02:00"
    late = run(*args, "--at", "2027-04-09T15:00")
    assert late.code == 1 and "stops working after 9 April 2027" in late.err, late.err
