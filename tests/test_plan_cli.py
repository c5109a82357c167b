"""The issue's "done when": the shipped campaign, planned through the command line."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path

import holidays

from posts.networks import network_for
from tests.conftest import run
from tests.factories import PARIS

SHIPPED_AS_OF = "2026-01-05T08:00"
DEADLINE = datetime(2026, 4, 16, 12, 0, tzinfo=PARIS)


def plan_json(*extra: str) -> list[dict[str, object]]:
    result = run("plan", "--as-of", SHIPPED_AS_OF, "--dry-run", "--json", *extra)
    assert result.code == 0, result.err
    posts: list[dict[str, object]] = json.loads(result.out)
    return posts


def test_the_shipped_campaign_keeps_every_rule(project: Path) -> None:
    posts = plan_json()
    french = holidays.country_holidays("FR")
    expected = {
        (subject, phase, channel)
        for channel in ("mastodon", "linkedin", "bluesky")
        for subject, phase in [
            ("article", "announce"),
            ("article", "reminder-30d"),
            ("article", "reminder-10d"),
            ("article", "last-call"),
            ("course:ethique", "promo"),
            ("course:comprendre", "promo"),
            ("course:posture", "promo"),
            ("course:outils", "promo"),
        ]
    }
    assert {(p["subject"], p["phase"], p["channel"]) for p in posts} == expected
    assert len(posts) == len(expected)
    offsets = set()
    for post in posts:
        assert post["id"] is None and post["status"] == "draft"
        due = datetime.fromisoformat(str(post["due_at"]))
        offsets.add(due.utcoffset())
        local = due.astimezone(PARIS)
        assert local.utcoffset() == due.utcoffset(), "shown with the campaign's offset"
        assert local.weekday() < 5 and local.date() not in french, post["plan_key"]
        assert local.time() in (time(9, 30), time(12, 30)), post["plan_key"]
        if post["link"] == "https://shs.cairn.info/tap-tdgcu5qbq9556":
            assert due < DEADLINE, post["plan_key"]
        network = network_for(str(post["channel"]))
        assert network.measure(str(post["body"])) <= network.limit
    # On both sides of the DST change of 29 March 2026.
    assert {o.total_seconds() / 3600 for o in offsets if o is not None} == {1.0, 2.0}
    per_day = Counter((p["channel"], str(p["due_at"])[:10]) for p in posts)
    assert max(per_day.values()) == 1
    bodies = Counter((p["channel"], p["body"]) for p in posts)
    assert max(bodies.values()) == 1
    article_posts = [p for p in posts if p["subject"] == "article"]
    assert all(p["link"] and str(p["link"]) in str(p["body"]) for p in article_posts)
    assert all("16 avril 2026" in str(p["body"]) for p in article_posts)


def test_plan_twice_inserts_nothing_the_second_time_and_posts_wait_for_approval(
    project: Path,
) -> None:
    assert run("init").code == 0
    first = run("plan", "--as-of", SHIPPED_AS_OF)
    assert first.code == 0, first.err
    assert "24 posts inserted as draft" in first.out
    second = run("plan", "--as-of", SHIPPED_AS_OF)
    assert second.code == 0
    assert "0 posts inserted" in second.out and "24 already planned" in second.out
    with sqlite3.connect(project / "postsched.db") as db:
        assert db.execute("select count(*) from posts").fetchone() == (24,)
        assert db.execute("select count(*) from events").fetchone() == (24,)
        assert {s for (s,) in db.execute("select status from posts")} == {"draft"}

    queue = json.loads(run("queue", "--status", "scheduled", "--json").out)
    assert queue == []
    assert run("approve", "1", "2").code == 0
    scheduled = json.loads(run("queue", "--status", "scheduled", "--json").out)
    assert [p["id"] for p in scheduled] == [1, 2]
    assert run("approve", "--all").code == 0
    assert json.loads(run("queue", "--status", "draft", "--json").out) == []


def test_a_replan_never_overwrites_an_edit(project: Path) -> None:
    run("init")
    run("plan", "--as-of", SHIPPED_AS_OF)
    edited = run("edit", "3", "--text", "Texte revu par la chargée de communication.")
    assert edited.code == 0, edited.err
    (project / "templates/course/default.mastodon.j2").write_text(
        "Nouveau texte pour {{ course.title }} {{ contact.email }}\n"
    )
    again = run("plan", "--as-of", SHIPPED_AS_OF)
    assert again.code == 0, again.err
    post = json.loads(run("show", "3", "--json").out)
    assert post["body"] == "Texte revu par la chargée de communication."
    assert [e["event"] for e in post["events"]] == ["planned", "edited"]
    # The untouched Mastodon course drafts were refreshed from the new template.
    others = json.loads(run("queue", "--channel", "mastodon", "--json").out)
    refreshed = [p for p in others if p["subject"].startswith("course:") and p["id"] != 3]
    assert refreshed and all(p["body"].startswith("Nouveau texte pour") for p in refreshed)


def test_planning_after_the_expiry_plans_courses_and_says_why_in_one_sentence(
    project: Path,
) -> None:
    result = run("plan", "--as-of", "2026-11-28T10:00", "--dry-run")
    assert result.code == 0
    notes = [line for line in result.err.splitlines() if "skipped" in line]
    assert notes == [
        "The article's offprint phases (announce, reminder-30d, reminder-10d, last-call) were "
        "skipped because the link expired on 16 April 2026."
    ]
    posts = plan_json_as_of("2026-11-28T10:00")
    assert {p["subject"] for p in posts} == {
        "course:ethique",
        "course:comprendre",
        "course:posture",
        "course:outils",
    }
    assert all(datetime.fromisoformat(str(p["due_at"])).date() > date(2026, 11, 28) for p in posts)


def plan_json_as_of(as_of: str) -> list[dict[str, object]]:
    result = run("plan", "--as-of", as_of, "--dry-run", "--json")
    assert result.code == 0, result.err
    posts: list[dict[str, object]] = json.loads(result.out)
    return posts


def test_check_renders_every_template_for_every_subject_and_channel(project: Path) -> None:
    result = run("check")
    assert result.code == 0, result.err
    assert "all 24 posts render" in result.out
    for name in ("announce.mastodon.j2", "last-call.linkedin.j2", "default.linkedin.j2"):
        assert name in result.out


def test_dry_run_writes_nothing(project: Path) -> None:
    assert run("plan", "--dry-run").code == 0
    assert not (project / "postsched.db").exists()


def test_the_holiday_countries_config_accepts_are_the_ones_holidays_supports() -> None:
    """config.toml's `holidays` code is checked against the package's registry (cheap) rather
    than list_supported_countries() (which imports every country): the same set."""
    from scheduler.config import holiday_countries

    assert holiday_countries() == set(holidays.list_supported_countries())
    assert "FR" in holiday_countries()
