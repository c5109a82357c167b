"""The web page's calendar: where it opens, the dates and holidays it names, and which days it
hatches, over the shipped campaign planned into a real SQLite database."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from posts.campaign import Course
from posts.models import Post
from scheduler.app import App
from scheduler.web import create_app, hash_password
from scheduler.web.timeline import build_timeline
from tests.test_web import PASSWORD, log_in, text_of

PARIS = ZoneInfo("Europe/Paris")
# A Wednesday in the middle of the shipped campaign (which starts on Monday 12 January 2026).
MIDWAY = datetime(2026, 3, 4, 10, 0, tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
def midway_app(planned: Path) -> App:
    return App(config_path=planned.parent / "config.toml", clock=lambda: MIDWAY)


@pytest.fixture
def midway(midway_app: App) -> Iterator[FlaskClient]:
    web = create_app(midway_app, password_hash=hash_password(PASSWORD))
    with web.test_client() as client:
        yield log_in(client)


def days_drawn(page: str) -> list[str]:
    return re.findall(r'role="cell" data-date="([\d-]+)"', page)


def day_cell(page: str, day: str) -> str:
    match = re.search(
        rf'<div class="day ([^"]*)"[^>]*data-date="{day}".*?(?=<div class="day |$)', page, re.S
    )
    assert match, f"{day} is not on the calendar"
    return match.group(0)


def test_the_calendar_opens_on_the_current_week(midway: FlaskClient, midway_app: App) -> None:
    page = text_of(midway.get("/"))
    drawn = days_drawn(page)
    assert drawn[0] == "2026-03-02", "the first week drawn is this week, Monday first"
    assert 'data-date="2026-03-04" id="today"' in page
    assert "Show the 7 earlier weeks, from the campaign's start" in page
    earlier = [p for p in midway_app.store.list_posts(["draft"]) if p.due_at < MIDWAY]
    later = [p for p in midway_app.store.list_posts(["draft"]) if p.due_at >= MIDWAY]
    assert earlier and later
    assert all(f'id="post-{p.id}"' not in page for p in earlier)
    assert all(f'id="post-{p.id}"' in page for p in later)

    everything = text_of(midway.get("/?from=start"))
    assert days_drawn(everything)[0] == "2026-01-12"
    assert all(f'id="post-{p.id}"' in everything for p in earlier + later)
    assert "Open on this week" in everything and 'href="#today"' in everything


def test_the_calendar_names_years_and_public_holidays(midway: FlaskClient) -> None:
    page = text_of(midway.get("/"))
    # In the page's language (English here; tests/test_language_web.py reads it in French).
    assert ">Mon 2 Mar 2026<" in page  # the first day of each week carries its year
    assert "Wednesday 4 March 2026" in page  # the full date phones show
    easter = day_cell(page, "2026-04-06")
    assert "holiday" in easter.split('"')[1] and "Easter Monday" in easter
    assert "holiday" not in day_cell(page, "2026-04-07").split('"')[1]


def test_only_the_articles_own_days_are_over_after_its_link_dies(midway: FlaskClient) -> None:
    page = text_of(midway.get("/"))
    assert "article: last day" in day_cell(page, "2026-04-16")
    assert "article: last post by 12:00" in day_cell(page, "2026-04-16")
    after = day_cell(page, "2026-04-17")
    classes = after.split('"')[1].split()
    # The courses are still promoted: the day is not hatched whole, only marked for the article.
    assert "link-dead" not in classes and "some-dead" in classes
    assert "article: over from today" in after and "over: article" in after


def with_expiry(course: Course, expires: date) -> Course:
    """A course with an `expires`, as [[courses]] expires = … gives one."""
    return dataclasses.replace(course, expires=expires)


def test_a_course_is_hatched_from_its_own_expiry(midway_app: App) -> None:
    config = midway_app.config
    courses = tuple(
        with_expiry(c, date(2026, 2, 26) if c.key == "ethique" else date(2026, 5, 29))
        for c in config.courses
    )
    config = dataclasses.replace(config, courses=courses)
    posts = midway_app.store.list_posts(["draft"])
    timeline = build_timeline(config, posts, MIDWAY, from_start=True)
    days = {d.day: d for week in timeline.weeks for d in week}
    assert "ethique: last day" in days[date(2026, 2, 26)].marks
    assert days[date(2026, 2, 26)].over == []
    assert days[date(2026, 2, 27)].over == ["course:ethique"]
    assert "some-dead" in days[date(2026, 2, 27)].classes
    assert "link-dead" not in days[date(2026, 4, 20)].classes
    # Every subject over: from then on, the whole day is hatched.
    assert "link-dead" in days[date(2026, 5, 30)].classes
    assert "link-dead" not in days[date(2026, 5, 29)].classes
    ethique = [p for p in posts if p.subject == "course:ethique"]
    assert ethique
    for post in ethique:
        day = days[post.due_at.astimezone(PARIS).date()]
        assert day.dead(post) == (day.day > date(2026, 2, 26))
    assert {e.label for e in timeline.endings} == {"article", *(c.key for c in courses)}


def test_a_post_of_another_campaign_says_which(midway: FlaskClient, midway_app: App) -> None:
    post = next(p for p in midway_app.store.list_posts(["draft"]) if p.due_at >= MIDWAY)
    with midway_app.store.session() as session:
        session.execute(update(Post).where(Post.id == post.id).values(campaign="printemps-2027"))
    page = text_of(midway.get("/"))
    chip = re.search(rf'<a class="chip [^"]*" id="post-{post.id}".*?</a>', page, re.S)
    assert chip is not None
    assert 'data-campaign="printemps-2027"' in chip.group(0)
    assert "campaign printemps-2027" in chip.group(0) and "· printemps-2027" in chip.group(0)
    chips = re.findall(r'<a class="chip [^"]*" id="post-\d+".*?</a>', page, re.S)
    own = [c for c in chips if f'id="post-{post.id}"' not in c]
    assert own and all("campaign ia-travail-social-2026" in c for c in own)
    assert not any("chip-campaign" in c for c in own), "a post of this campaign needs no label"
