"""A time set by hand that the planner would never choose is queued with a warning naming the
rule and the date, or refused with --strict; "edited" never hides that the daemon will hold a
post (posts/rules.py, the officer's verbs, the CLI and the web page)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from posts.rules import Neighbour, check_time
from tests import factories
from tests.conftest import Result, run
from tests.test_refusals import assert_refused, refused_unchanged

PARIS = factories.PARIS
GAP = factories.campaign(min_gap=timedelta(hours=2), max_per_day=5)


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).astimezone(UTC)


def warnings(result: Result) -> list[str]:
    lines = result.err.splitlines()
    assert all(line.startswith("Warning: ") for line in lines), result.err
    return lines


# the pure rules ------------------------------------------------------------------------------


def test_a_slot_of_the_windows_breaks_no_rule() -> None:
    assert check_time(GAP, "mastodon", paris("2026-12-28T09:30"), []) == []


def test_a_public_holiday_is_named_in_english_and_in_the_countrys_language() -> None:
    [found] = check_time(GAP, "mastodon", paris("2026-12-25T09:30"), [])
    assert found.rule == "holiday"
    assert found.warning("post 17") == (
        "post 17 is due Fri 25 Dec 2026, 09:30, Christmas Day (Noël), a public holiday in FR: "
        "the planner never posts then."
    )


def test_a_saturday_at_midnight_breaks_the_days_and_the_times() -> None:
    found = check_time(GAP, "mastodon", paris("2026-12-26T00:00"), [])
    assert [b.rule for b in found] == ["weekday", "window"]
    assert "a Saturday, not one of the posting days (Mon, Tue, Wed, Thu, Fri)" in found[0].reason
    assert "not one of the posting times (09:30, 12:30)" in found[1].reason


def test_min_gap_says_which_post_the_daemon_holds_and_until_when() -> None:
    at = paris("2026-12-28T12:30")
    earlier = Neighbour("post 12", paris("2026-12-28T11:00"))
    [held] = check_time(GAP, "mastodon", at, [earlier])
    assert held.rule == "min_gap"
    assert held.warning("post 17").endswith(
        "within 2h of post 12 on mastodon (due 11:00): the daemon will hold it until 13:00."
    )
    later = Neighbour("post 12", paris("2026-12-28T13:30"))
    [other] = check_time(GAP, "mastodon", at, [later])
    assert other.consequence == "the daemon will hold post 12 until 14:30"
    assert check_time(GAP, "mastodon", at, [Neighbour("x", at - timedelta(hours=2))]) == []
    no_gap = factories.campaign(max_per_day=5)
    assert check_time(no_gap, "mastodon", at, [earlier]) == []


def test_over_max_per_day_counts_the_channels_posts_on_that_local_day() -> None:
    campaign = factories.campaign(max_per_day=2)
    at = paris("2026-12-29T12:30")
    morning = Neighbour("post 3", paris("2026-12-29T09:30"))
    assert check_time(campaign, "mastodon", at, [morning]) == []
    night = Neighbour("post 4", paris("2026-12-29T00:10"))
    [over] = check_time(campaign, "mastodon", at, [morning, night])
    assert over.rule == "max_per_day"
    assert "post number 3 on mastodon that day (with post 4, post 3)" in over.reason
    yesterday = Neighbour("post 5", paris("2026-12-28T23:50"))
    assert check_time(campaign, "mastodon", at, [morning, yesterday]) == []


# the command line -------------------------------------------------------------------------


def test_add_on_a_holiday_is_queued_with_a_warning_and_json_stays_clean(project: Path) -> None:
    assert run("init").code == 0
    result = run("add", "mastodon", "--at", "2027-12-25T09:30", "--text", "Joyeux Noël", "--json")
    assert result.code == 0, result.err
    post = json.loads(result.out)
    assert post["status"] == "scheduled"
    assert warnings(result) == [
        f"Warning: post {post['id']} is due Sat 25 Dec 2027, 09:30, Christmas Day (Noël), a "
        "public holiday in FR: the planner never posts then.",
        f"Warning: post {post['id']} is due Sat 25 Dec 2027, 09:30, a Saturday, not one of the "
        "posting days (Mon, Tue, Wed, Thu, Fri): the planner never posts then.",
    ]


def test_add_strict_refuses_the_same_time_and_writes_nothing(project: Path) -> None:
    assert run("init").code == 0
    db = project / "postsched.db"
    result = refused_unchanged(
        db, "add", "mastodon", "--at", "2027-12-27T00:00", "--text", "Minuit", "--strict"
    )
    assert_refused(result, "would be due Mon 27 Dec 2027, 00:00", "posting times", "--strict")
    good = run("add", "mastodon", "--at", "2027-12-27T09:30", "--text", "Lundi", "--strict")
    assert good.code == 0 and good.err == ""


def test_min_gap_and_max_per_day_count_every_posts_on_the_channel(project: Path) -> None:
    assert run("init").code == 0
    first = run("add", "mastodon", "--at", "2027-12-27T09:30", "--text", "Un")
    assert first.code == 0 and first.err == ""
    other_channel = run("add", "linkedin", "--at", "2027-12-27T09:30", "--text", "Un")
    assert other_channel.code == 0 and other_channel.err == "", "another channel's post is no rule"
    second = run("add", "mastodon", "--at", "2027-12-27T12:30", "--text", "Deux")
    [gap_free_warning] = warnings(second)
    assert (
        f"post {second.new_id} is due Mon 27 Dec 2027, 12:30, post number 2 on mastodon that "
        f"day (with post {first.new_id}), over max_per_day = 1" in gap_free_warning
    )
    db = project / "postsched.db"
    strict = refused_unchanged(
        db, "edit", str(second.new_id), "--at", "2027-12-27T10:30", "--strict"
    )
    assert_refused(strict, f"within 2h of post {first.new_id} on mastodon (due 09:30)")


def test_edited_never_hides_that_the_daemon_will_hold_the_post(project: Path) -> None:
    """A post just published on mastodon; another moved to three seconds from now is within
    min_gap of it: the edit says when the daemon will let it go, and the daemon does hold it
    until then."""
    assert run("init").code == 0
    published = run("add", "mastodon", "--at", "now", "--text", "Publié à l'instant")
    assert published.code == 0
    assert run("daemon", "--once").code == 0
    shown = json.loads(run("show", str(published.new_id), "--json").out)
    assert shown["status"] == "published"
    later = str(run("add", "mastodon", "--at", "+30d", "--text", "Plus tard").new_id)

    result = run("edit", later, "--at", "+3s")
    assert result.code == 0
    assert result.out == f"Post {later} edited.\n"
    holds = [w for w in warnings(result) if "within 2h" in w]
    assert len(holds) == 1, result.err
    match = re.search(
        rf"within 2h of post {published.new_id} on mastodon \(published (\d\d:\d\d)\): "
        # The day is named too when the hold ends on another one (an edit after 22:00).
        r"the daemon will hold it until (?:[^,]+, )?(\d\d:\d\d)\.$",
        holds[0],
    )
    assert match, holds[0]
    until = match.group(2)

    strict = refused_unchanged(project / "postsched.db", "edit", later, "--at", "+3s", "--strict")
    assert_refused(strict, "within 2h", "--strict")

    # Due now, the daemon reaches it and holds it until the time the warning said.
    assert run("edit", later, "--at", "now").code == 0
    assert run("daemon", "--once").code == 0
    post = json.loads(run("show", later, "--json").out)
    assert post["status"] == "scheduled"
    [hold] = [e for e in post["events"] if e["event"] == "held"]
    assert f", {until} to keep" in hold["detail"], (until, hold)


def test_import_warns_of_rows_too_close_to_each_other_and_strict_refuses_the_file(
    project: Path,
) -> None:
    assert run("init").code == 0
    path = project / "posts.csv"
    path.write_text(
        "channel;time;text\n"
        "mastodon;2027-03-01T09:30;Premier\n"
        "Mastodon;2027-03-01T10:30;Second, une heure plus tard\n",
        encoding="utf-8",
    )
    db = project / "postsched.db"
    strict = refused_unchanged(db, "import", "--csv", str(path), "--strict")
    assert_refused(strict, f"{path} line 3", "within 2h of the post on", "line 2", "--strict")
    result = run("import", "--csv", str(path), "--json")
    assert result.code == 0, result.err
    first, second = (p["id"] for p in json.loads(result.out))
    assert (
        f"Warning: post {second} ({path} line 3) is due Mon 1 Mar 2027, 10:30, within 2h of the "
        f"post on {path} line 2 on mastodon (due 09:30): the daemon will hold it until 11:30."
        in warnings(result)
    )
    assert not any(f"post {first} " in w for w in warnings(result))


# the web page ---------------------------------------------------------------------------------


def test_the_web_page_saves_a_hand_set_time_and_shows_its_warnings(planned: Path) -> None:
    """The shipped campaign is planned from 2026-01-12; its first mastodon post is due 09:30
    that Monday. A new post at 10:00 and an edit to 10:30 are saved, each with its warnings."""
    from scheduler.app import App
    from scheduler.web import create_app, hash_password
    from tests.test_web import NOW, PASSWORD, log_in, post_form, text_of

    a = App(config_path=planned.parent / "config.toml", clock=lambda: NOW)
    first = next(p for p in a.store.list_posts() if p.channel == "mastodon")
    assert first.due_at == paris("2026-01-12T09:30")
    web = create_app(a, password_hash=hash_password(PASSWORD))
    with web.test_client() as client:
        officer = log_in(client)
        form = {"channel": "mastodon", "at": "2026-01-12T10:00", "text": "Un ajout"}
        page = text_of(post_form(officer, "/posts/new", form, follow_redirects=True))
        added = max(p.id for p in a.store.list_posts())
        assert f"Post {added} queued on mastodon" in page
        assert (
            f"Warning: post {added} is due Mon 12 Jan 2026, 10:00, within 2h of post {first.id} "
            f"on mastodon (due 09:30): the daemon will hold it until 11:30." in page
        )
        assert 'class="flash warning"' in page

        edit = {"text": a.store.get(added).body, "at": "2026-01-12T11:00"}
        page = text_of(post_form(officer, f"/posts/{added}/edit", edit, follow_redirects=True))
        assert page.index(f"Post {added} edited.") < page.index("the daemon will hold it until")
        assert a.store.get(added).due_at == paris("2026-01-12T11:00")
