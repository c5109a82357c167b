"""`postsched queue`: the next posts by due time as a table, every post with --json or --all."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from posts.store import NewPost, Store
from scheduler.commands.queue import QUEUE_ROWS
from scheduler.database import open_engine
from tests.conftest import run

T0 = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


def fill(project: Path, count: int) -> list[int]:
    """`count` one-off posts an hour apart, added in reverse order so ids and due times
    disagree; their ids by due time."""
    assert run("init").code == 0
    engine = open_engine(f"sqlite:///{project / 'postsched.db'}")
    news = [
        NewPost("t", "mastodon", "one-off", "one-off", f"Post numéro {i}", T0 + timedelta(hours=i))
        for i in reversed(range(count))
    ]
    added = Store(engine).add_posts(news, now=T0 - timedelta(days=1))
    engine.dispose()
    return [p.id for p in sorted(added, key=lambda p: p.due_at)]


def table_ids(out: str) -> list[int]:
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["id", "due", "channel", "status"]
    return [int(row.split()[0]) for row in rows]


def test_queue_shows_the_next_posts_by_default_and_says_how_many_are_not_shown(
    project: Path,
) -> None:
    ids = fill(project, QUEUE_ROWS + 7)
    result = run("queue")
    assert result.code == 0, result.err
    assert table_ids(result.out) == ids[:QUEUE_ROWS], "the next ones by due time"
    assert f"{QUEUE_ROWS} of {QUEUE_ROWS + 7} posts shown" in result.err
    assert "7 more not shown (--limit N or --all)" in result.err


def test_queue_all_and_limit(project: Path) -> None:
    ids = fill(project, QUEUE_ROWS + 7)
    everything = run("queue", "--all")
    assert everything.code == 0, everything.err
    assert table_ids(everything.out) == ids
    assert everything.err.strip() == f"{QUEUE_ROWS + 7} posts."

    three = run("queue", "--limit", "3")
    assert table_ids(three.out) == ids[:3]
    assert f"{QUEUE_ROWS + 4} more not shown" in three.err

    both = run("queue", "--limit", "3", "--all")
    assert both.code == 2 and "--limit N or --all, not both" in both.err


def test_queue_json_lists_every_post_unless_limited(project: Path) -> None:
    ids = fill(project, QUEUE_ROWS + 7)
    every = run("queue", "--json")
    assert every.code == 0 and every.err == ""
    assert [p["id"] for p in json.loads(every.out)] == ids
    first = json.loads(run("queue", "--json", "--limit", "2").out)
    assert [p["id"] for p in first] == ids[:2]
    assert {"id", "status", "due_at", "body", "idempotency_key"} <= set(first[0])


def test_queue_table_fits_the_width_and_cuts_only_the_text(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(project, 2)
    monkeypatch.setenv("COLUMNS", "90")
    header, first, _ = run("queue").out.splitlines()
    assert max(len(header), len(first)) <= 90
    cells = re.split(r"\s{2,}", first.strip())
    assert cells[2:4] == ["mastodon", "scheduled"]
    assert cells[1] == "Mon 3 Mar 2031, 10:00", "due time in the campaign timezone"
    assert first.endswith("Post numéro 0")
    monkeypatch.setenv("COLUMNS", "60")  # narrower than the other columns: 12 for the text
    _, first, _ = run("queue").out.splitlines()
    assert first.endswith("  Post numéro…")


def test_add_says_which_post_it_queued_and_json_stays_the_post(project: Path) -> None:
    assert run("init").code == 0
    result = run("add", "mastodon", "--at", "2031-01-07T09:30", "--text", "Une annonce")
    assert result.code == 0, result.err
    assert result.out == "Post 1 queued on mastodon for Tue 7 Jan 2031, 09:30.\n"
    assert result.new_id == 1
    as_json = run("add", "linkedin", "--at", "2031-01-08T09:30", "--text", "Une autre", "--json")
    post = json.loads(as_json.out)
    assert post["id"] == 2 and post["channel"] == "linkedin" and post["status"] == "scheduled"
    assert post["due_at"] == "2031-01-08T09:30:00.000+01:00"


def test_a_count_of_one_says_post_not_posts(project: Path) -> None:
    """Every command that counts says '1 post' (and '1 draft', '1 event'), never '1 posts'."""
    assert run("init").code == 0
    (project / "one.csv").write_text("channel,time,text\nmastodon,2031-02-01T09:30,Seule\n")
    said = {
        "import": run("import", "--csv", "one.csv"),
        "queue": run("queue"),
        "export": run("export", "--csv", "out.csv"),
        "daemon": run("add", "linkedin", "--at", "now", "--text", "Tout de suite"),
    }
    said["daemon --once"] = run("daemon", "--once")
    assert said["import"].out == "1 post queued from one.csv (id 1).\n"
    assert said["queue"].err == "1 post.\n"
    assert said["export"].out.startswith("1 post written to out.csv")
    assert "1 post handled." in said["daemon --once"].err
    for command, result in said.items():
        assert result.code == 0, (command, result.err)
        assert not re.search(r"\b1 (posts|drafts|events)\b", result.out + result.err), command


def test_the_plan_summary_counts_one_post_and_one_draft() -> None:
    from posts.models import Post
    from posts.store import PlanReport

    one = PlanReport(inserted=[Post()], updated=[Post()], kept=[])
    assert one.summary("draft") == (
        "1 post inserted as draft, 1 draft updated, 0 already planned and left as they are."
    )
    many = PlanReport(inserted=[Post(), Post()], updated=[], kept=[Post()])
    assert many.summary("scheduled").startswith("2 posts inserted as scheduled, 0 drafts updated")


def test_preview_says_the_escaped_linkedin_text_is_what_the_api_receives(project: Path) -> None:
    assert run("init").code == 0
    text = "Écrivez à @hetis (formation) !"
    added = run("add", "linkedin", "--at", "2031-01-07T09:30", "--text", text)
    result = run("preview", str(added.new_id))
    assert result.code == 0, result.err
    # stdout is the exact text sent; stderr says what it is and shows what readers see.
    assert result.out.strip() == "Écrivez à \\@hetis \\(formation\\) !"
    assert "Text as LinkedIn's API receives it (little-text escaping" in result.err
    assert "readers see it unescaped" in result.err
    assert f"As readers see it on LinkedIn:\n{text}\n" in result.err

    plain = run("add", "mastodon", "--at", "2031-01-07T09:30", "--text", text)
    mastodon = run("preview", str(plain.new_id))
    assert mastodon.out.strip() == text and "receives it" not in mastodon.err


def test_the_edited_event_counts_the_text_as_the_network_does(project: Path) -> None:
    """Mastodon counts a link as 23 characters: the event says what the post page shows."""
    assert run("init").code == 0
    url = "https://example.org/" + "p" * 180
    added = run("add", "mastodon", "--at", "2031-01-07T09:30", "--text", f"Lisez {url}")
    post_id = str(added.new_id)
    assert run("edit", post_id, "--text", f"Lisez vite {url}").code == 0
    events = json.loads(run("show", post_id, "--json").out)["events"]
    assert events[-1]["event"] == "edited"
    assert "text changed (29 -> 34 characters)" in events[-1]["detail"]
    assert "34/500 characters on Mastodon" in run("preview", post_id).err
