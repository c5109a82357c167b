"""The planner's rules, one by one, on campaigns built in code (posts/planning.py is pure)."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest

from posts.campaign import Phase, Windows, link_deadline
from posts.planning import Plan, PlannedPost, plan_campaign
from posts.problems import find_problems
from tests.factories import PARIS, article, config, plain_render

BEFORE_START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


def local(post: PlannedPost) -> datetime:
    return post.due_at.astimezone(PARIS)


def by_key(plan: Plan) -> dict[str, PlannedPost]:
    return {p.plan_key: p for p in plan.posts}


def one_phase(name: str, anchor: str, days: int, **campaign_changes: object) -> Plan:
    cfg = config(
        article_value=article(phases=(Phase(name, anchor, timedelta(days=days)),)),  # type: ignore[arg-type]
        course_list=(),
        campaign_changes=campaign_changes,
    )
    return plan_campaign(cfg, BEFORE_START, plain_render)


def test_the_whole_campaign_keeps_every_rule() -> None:
    cfg = config()
    plan = plan_campaign(cfg, BEFORE_START, plain_render)
    french = holidays.country_holidays("FR")
    assert len(plan.posts) == 2 * (4 + 4)
    assert plan.skipped == []
    per_day = Counter((p.channel, local(p).date()) for p in plan.posts)
    assert max(per_day.values()) == 1
    for post in plan.posts:
        when = local(post)
        assert when.weekday() < 5, post
        assert when.time() in (time(9, 30), time(12, 30)), post
        assert when.date() not in french, post
        assert when.date() >= date(2026, 1, 12)
        if post.link_expires_at is not None:
            assert post.due_at < datetime(2026, 4, 16, 12, 0, tzinfo=PARIS)


def test_planning_is_deterministic() -> None:
    cfg = config()
    assert plan_campaign(cfg, BEFORE_START, plain_render) == plan_campaign(
        cfg, BEFORE_START, plain_render
    )


def test_phases_are_placed_relative_to_start_and_expiry() -> None:
    posts = by_key(plan_campaign(config(), BEFORE_START, plain_render))
    assert local(posts["article/announce/mastodon"]) == datetime(2026, 1, 12, 9, 30, tzinfo=PARIS)
    # 30 days before 16 April is Tuesday 17 March, a working day: the target itself.
    assert local(posts["article/reminder-30d/linkedin"]) == datetime(
        2026, 3, 17, 9, 30, tzinfo=PARIS
    )
    assert local(posts["article/last-call/mastodon"]) == datetime(2026, 4, 14, 9, 30, tzinfo=PARIS)


def test_a_public_holiday_moves_the_post_back_to_the_latest_slot_before_it() -> None:
    # 10 days before 16 April 2026 is Easter Monday, 6 April: no post that day in France.
    moved = by_key(one_phase("reminder-10d", "expires", -10))["article/reminder-10d/mastodon"]
    assert local(moved) == datetime(2026, 4, 3, 12, 30, tzinfo=PARIS)
    kept = by_key(one_phase("reminder-10d", "expires", -10, holidays=None))
    assert local(kept["article/reminder-10d/mastodon"]) == datetime(2026, 4, 6, 9, 30, tzinfo=PARIS)


def test_a_weekend_target_moves_back_to_friday_afternoon() -> None:
    # 18 April 2026 is a Saturday; the link is made to last long enough for it.
    cfg = config(
        article_value=article(
            phases=(Phase("p", "start", timedelta(days=40)),), expires=date(2026, 6, 30)
        ),
        course_list=(),
    )
    (post,) = [
        p for p in plan_campaign(cfg, BEFORE_START, plain_render).posts if p.channel == "mastodon"
    ]
    assert local(post).date() == date(2026, 2, 20)  # start + 40 days is Saturday 21 February
    assert local(post).time() == time(12, 30)


def test_with_no_slot_before_the_start_the_post_moves_to_the_earliest_after() -> None:
    # The campaign starts on a Sunday: nothing before it, so Monday morning.
    plan = one_phase("announce", "start", 0, start=date(2026, 1, 11))
    assert local(by_key(plan)["article/announce/linkedin"]) == datetime(
        2026, 1, 12, 9, 30, tzinfo=PARIS
    )


def test_max_per_day_pushes_a_second_post_to_an_earlier_day() -> None:
    phases = (
        Phase("a", "expires", timedelta(days=-9)),
        Phase("b", "expires", timedelta(days=-9), at=time(12, 30)),
    )
    cfg = config(article_value=article(phases=phases), course_list=())
    posts = by_key(plan_campaign(cfg, BEFORE_START, plain_render))
    assert local(posts["article/a/mastodon"]) == datetime(2026, 4, 7, 9, 30, tzinfo=PARIS)
    # Tuesday 7 April is full; Monday 6 April is Easter Monday: back to Friday 3 April.
    assert local(posts["article/b/mastodon"]) == datetime(2026, 4, 3, 12, 30, tzinfo=PARIS)

    two_a_day = config(
        article_value=article(phases=phases), course_list=(), campaign_changes={"max_per_day": 2}
    )
    posts = by_key(plan_campaign(two_a_day, BEFORE_START, plain_render))
    assert local(posts["article/b/mastodon"]) == datetime(2026, 4, 7, 12, 30, tzinfo=PARIS)


def test_min_gap_keeps_posts_of_one_channel_apart() -> None:
    phases = (
        Phase("a", "expires", timedelta(days=-9)),
        Phase("b", "expires", timedelta(days=-9), at=time(12, 30)),
    )
    # Two a day are allowed, but 09:30 and 12:30 are only 3 hours apart.
    cfg = config(
        article_value=article(phases=phases),
        course_list=(),
        campaign_changes={"max_per_day": 2, "min_gap": timedelta(hours=4)},
    )
    plan = plan_campaign(cfg, BEFORE_START, plain_render)
    for channel in ("mastodon", "linkedin"):
        times = sorted(p.due_at for p in plan.posts if p.channel == channel)
        assert all(b - a >= timedelta(hours=4) for a, b in itertools.pairwise(times))
        assert len({t.astimezone(PARIS).date() for t in times}) == 2


def test_local_times_hold_on_both_sides_of_the_dst_change() -> None:
    # Clocks go forward in Paris on Sunday 29 March 2026.
    phases = (
        Phase("before", "start", timedelta(days=73)),
        Phase("after", "start", timedelta(days=78)),
    )
    cfg = config(article_value=article(phases=phases), course_list=())
    posts = by_key(plan_campaign(cfg, BEFORE_START, plain_render))
    before, after = posts["article/before/mastodon"], posts["article/after/mastodon"]
    assert local(before) == datetime(2026, 3, 26, 9, 30, tzinfo=PARIS)
    assert local(after) == datetime(2026, 3, 31, 9, 30, tzinfo=PARIS)
    assert before.due_at.astimezone(UTC).time() == time(8, 30)  # UTC+1
    assert after.due_at.astimezone(UTC).time() == time(7, 30)  # UTC+2


def test_a_window_time_that_dst_skips_is_never_used() -> None:
    # A window at 02:30 every day: on 29 March 2026 that time does not exist in Paris.
    cfg = config(
        article_value=article(phases=(Phase("p", "start", timedelta(days=76)),)),
        course_list=(),
        campaign_changes={
            "windows": Windows(weekdays=tuple(range(7)), times=(time(2, 30),)),
            "holidays": None,
        },
    )
    post = by_key(plan_campaign(cfg, BEFORE_START, plain_render))["article/p/mastodon"]
    assert local(post) == datetime(2026, 3, 28, 2, 30, tzinfo=PARIS)


def test_a_post_carrying_the_link_is_never_due_after_the_deadline() -> None:
    # A phase on the last day itself: 09:30 is before noon (16 April minus 12 h) and allowed.
    on_last_day = by_key(one_phase("last-day", "expires", 0))["article/last-day/mastodon"]
    assert local(on_last_day) == datetime(2026, 4, 16, 9, 30, tzinfo=PARIS)
    # With a 1-day margin the deadline is the start of the 16th: back to the 15th, 12:30.
    wide = by_key(one_phase("last-day", "expires", 0, safety_margin=timedelta(days=1)))
    assert local(wide["article/last-day/mastodon"]) == datetime(2026, 4, 15, 12, 30, tzinfo=PARIS)
    # A phase placed after the link's death is pulled back before the deadline.
    late = by_key(one_phase("too-late", "expires", 5))["article/too-late/mastodon"]
    assert late.due_at < link_deadline(date(2026, 4, 16), config().campaign)


def test_a_post_with_no_slot_left_is_skipped_and_the_plan_says_why() -> None:
    # Planned on the last afternoon: the deadline (noon) has not passed for the article, but
    # no window remains before it.
    as_of = datetime(2026, 4, 16, 9, 45, tzinfo=PARIS)
    cfg = config(
        article_value=article(phases=(Phase("last-call", "expires", timedelta(days=-2)),)),
        course_list=(),
    )
    plan = plan_campaign(cfg, as_of, plain_render)
    assert plan.posts == []
    assert {s.channel for s in plan.skipped} == {"mastodon", "linkedin"}
    assert all("no free posting slot before the link's deadline" in s.reason for s in plan.skipped)


def test_planning_after_the_expiry_skips_the_article_and_says_so() -> None:
    as_of = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
    plan = plan_campaign(config(), as_of, plain_render)
    assert [n for n in plan.notes if "16 April 2026" in n] == plan.notes
    assert len(plan.notes) == 1 and "skipped" in plan.notes[0]
    assert all(not p.subject.startswith("article") for p in plan.posts)
    assert len(plan.posts) == 2 * 4
    assert all(p.due_at > as_of for p in plan.posts)


def test_courses_are_spread_between_the_article_phases() -> None:
    plan = plan_campaign(config(), BEFORE_START, plain_render)
    mastodon = [p for p in plan.posts if p.channel == "mastodon"]
    kinds = ["A" if p.subject == "article" else "C" for p in mastodon]
    # Announcement first, last call last, courses between, not bunched together.
    assert kinds[0] == "A" and kinds[-1] == "A"
    assert "CCCC" not in "".join(kinds)
    course_days = [local(p).date() for p in mastodon if p.subject.startswith("course:")]
    gaps = [(b - a).days for a, b in itertools.pairwise(course_days)]
    assert min(gaps) >= 14


def test_a_course_promoted_twice_gets_two_distinct_phases() -> None:
    from tests.factories import courses

    plan = plan_campaign(config(course_list=courses(2, posts=2)), BEFORE_START, plain_render)
    keys = {p.plan_key for p in plan.posts if p.channel == "mastodon" and p.subject != "article"}
    assert keys == {
        "course:c1/promo/mastodon",
        "course:c1/promo-2/mastodon",
        "course:c2/promo/mastodon",
        "course:c2/promo-2/mastodon",
    }


def test_a_phase_overtaken_by_a_later_one_is_skipped_mid_campaign() -> None:
    as_of = datetime(2026, 3, 20, 10, 0, tzinfo=PARIS)
    plan = plan_campaign(config(), as_of, plain_render)
    phases = {p.phase for p in plan.posts if p.subject == "article"}
    assert phases == {"reminder-30d", "reminder-10d", "last-call"}
    assert [s.phase for s in plan.skipped] == ["announce"]
    assert all(p.due_at >= as_of for p in plan.posts)


def test_find_problems_finds_texts_too_long_and_repeated() -> None:
    cfg = config()
    plan = plan_campaign(cfg, BEFORE_START, plain_render)
    assert find_problems(cfg, plan.posts) == []
    long_post = plan.posts[0].__class__(**{**plan.posts[0].__dict__, "body": "x" * 501})
    problems = find_problems(cfg, [long_post])
    assert len(problems) == 1 and (problems[0].length, problems[0].limit) == (501, 500)
    first = next(p for p in plan.posts if p.channel == "linkedin")
    twin = first.__class__(**{**first.__dict__, "plan_key": "twin"})
    assert any("same text" in p.message for p in find_problems(cfg, [first, twin]))


@pytest.mark.parametrize("url_length", [23, 50])
def test_a_mastodon_url_counts_as_the_instance_says(url_length: int) -> None:
    from posts.networks import network_for

    text = "a" * 400 + " https://example.org/" + "x" * 300
    network = network_for("mastodon", {"characters_reserved_per_url": url_length})
    assert network.measure(text) == 401 + url_length
