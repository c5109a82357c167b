"""The store (posts/store.py): every query, on a SQLite file and on PostgreSQL.

DESIGN.md, "Data model" and the statuses diagram: datetimes aware in UTC, a status change and its
event in one transaction, idempotency_key generated once, nothing ever deleted; "The campaign
plan": planning is idempotent and a re-plan never overwrites what a person touched.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from posts.errors import NotFoundError, StateError
from posts.language import show_time
from posts.models import Event, Post, Status
from posts.planning import PlannedPost
from posts.store import NewPost, Store
from scheduler.database import open_engine, upgrade

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
DUE = datetime(2026, 2, 10, 9, 30, tzinfo=PARIS)
CAMPAIGN = "test"

NOT_DRAFT = [s for s in Status if s is not Status.DRAFT]
NOT_EDITABLE = [s for s in Status if s not in (Status.DRAFT, Status.SCHEDULED)]
RETRYABLE = [Status.FAILED, Status.MISSED, Status.EXPIRED, Status.UNKNOWN]
NOT_RETRYABLE = [s for s in Status if s not in RETRYABLE]


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = open_engine(database_url, create=True)
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


# helpers -----------------------------------------------------------------------------------


def planned(
    key: str,
    *,
    body: str | None = None,
    due: datetime = DUE,
    channel: str = "mastodon",
    link: str | None = None,
) -> PlannedPost:
    return PlannedPost(
        plan_key=key,
        channel=channel,
        subject="article",
        phase=key,
        due_at=due,
        body=body if body is not None else f"text of {key}",
        link=link,
        link_expires_at=None,
    )


def plan_one(store: Store, key: str = "announce", *, review: bool = True, **kw: object) -> Post:
    report = store.save_plan(CAMPAIGN, [planned(key, **kw)], review=review, now=NOW)  # type: ignore[arg-type]
    assert len(report.inserted) == 1
    return report.inserted[0]


def one_off(store: Store, *, channel: str = "mastodon", due: datetime = DUE) -> Post:
    return store.add_post(
        NewPost(CAMPAIGN, channel, "article", "one-off", "written by hand", due), now=NOW
    )


def force(store: Store, post_id: int, status: Status, **fields: object) -> None:
    """Put a post in a state the verbs would only reach through the daemon."""
    with store.session() as session:
        post = session.get(Post, post_id)
        assert post is not None
        post.status = status
        for name, value in fields.items():
            setattr(post, name, value)


def event_names(store: Store, post_id: int) -> list[str]:
    return [event.event for event in store.get(post_id).events]


def row_counts(store: Store) -> tuple[int, int]:
    with store.session() as session:
        posts = session.scalar(select(func.count()).select_from(Post))
        events = session.scalar(select(func.count()).select_from(Event))
    assert posts is not None and events is not None
    return posts, events


def snapshot(store: Store, post_id: int) -> tuple[object, ...]:
    post = store.get(post_id)
    return (
        post.status,
        post.body,
        post.due_at,
        post.edited,
        post.attempts,
        post.updated_at,
        len(post.events),
    )


def put_in(store: Store, post: Post, status: Status) -> None:
    """Bring a draft to `status`, through the verbs where one leads there."""
    if status is Status.DRAFT:
        return
    if status is Status.SCHEDULED:
        store.approve([post.id], now=NOW)
    elif status is Status.CANCELLED:
        store.cancel([post.id], now=NOW)
    else:
        force(store, post.id, status)


# datetimes ---------------------------------------------------------------------------------


def test_datetimes_round_trip_aware_in_utc(store: Store) -> None:
    engine = store.engine
    if engine.dialect.name == "postgresql":
        # Make the session time zone something other than UTC, so that the driver hands back
        # datetimes in Tokyo time and only the column type can bring them to UTC.
        with engine.begin() as connection:
            name = engine.url.database
            connection.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone TO 'Asia/Tokyo'")
        engine.dispose()
        with engine.connect() as connection:
            assert connection.scalar(text("SHOW timezone")) == "Asia/Tokyo"

    due = datetime.fromisoformat("2026-03-29T09:30+02:00")
    expires = datetime(2026, 4, 16, 23, 59, tzinfo=timezone(timedelta(hours=-5)))
    made = store.add_post(
        NewPost(CAMPAIGN, "mastodon", "article", "one-off", "x", due, "https://x", expires),
        now=NOW,
    )

    post = store.get(made.id)
    assert post.due_at == due
    assert post.due_at.tzinfo is UTC
    assert (post.due_at.hour, post.due_at.minute) == (7, 30)
    assert post.link_expires_at == expires
    assert post.link_expires_at is not None and post.link_expires_at.tzinfo is UTC
    assert post.created_at == NOW and post.created_at.tzinfo is UTC
    assert post.updated_at.tzinfo is UTC
    assert post.next_attempt_at is None and post.published_at is None
    assert post.events[0].at == NOW and post.events[0].at.tzinfo is UTC
    listed = store.list_posts()
    assert [p.due_at for p in listed] == [due] and listed[0].due_at.tzinfo is UTC
    due_next = store.next_due()
    assert due_next is not None and due_next.due_at.tzinfo is UTC

    # What is stored is the UTC instant itself.
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            raw = connection.scalar(text("SELECT due_at FROM posts"))
            assert str(raw).startswith("2026-03-29 07:30:00")
        else:
            raw = connection.scalar(
                text("SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM posts")
            )
            assert raw == "2026-03-29 07:30"


def test_a_naive_datetime_is_refused_and_nothing_is_written(store: Store) -> None:
    naive = datetime(2026, 3, 29, 9, 30)
    with pytest.raises((ValueError, StatementError), match="aware"):
        store.add_post(NewPost(CAMPAIGN, "mastodon", "article", "one-off", "x", naive), now=NOW)
    assert row_counts(store) == (0, 0)


# save_plan ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("review", "status"), [(True, Status.DRAFT), (False, Status.SCHEDULED)])
def test_save_plan_inserts_each_post_with_one_planned_event(
    store: Store, review: bool, status: Status
) -> None:
    plan = [
        planned("announce", due=DUE),
        planned("announce-li", due=DUE, channel="linkedin"),
        planned("last-call", due=DUE + timedelta(days=3)),
    ]

    report = store.save_plan(CAMPAIGN, plan, review=review, now=NOW)

    assert [p.plan_key for p in report.inserted] == ["announce", "announce-li", "last-call"]
    assert report.updated == [] and report.kept == []
    for post, item in zip(report.inserted, plan, strict=True):
        saved = store.get(post.id)
        assert saved.status == status
        assert saved.campaign == CAMPAIGN
        assert (saved.channel, saved.body, saved.due_at) == (item.channel, item.body, item.due_at)
        assert saved.edited is False and saved.attempts == 0
        assert [(e.event, e.at) for e in saved.events] == [("planned", NOW)]
        assert saved.events[0].detail.startswith(f"{status} for ")
    assert row_counts(store) == (3, 3)


@pytest.mark.parametrize("review", [True, False])
def test_saving_the_same_plan_again_inserts_nothing(store: Store, review: bool) -> None:
    plan = [planned("announce"), planned("last-call", due=DUE + timedelta(days=3))]
    first = store.save_plan(CAMPAIGN, plan, review=review, now=NOW)
    before = {p.id: snapshot(store, p.id) for p in first.inserted}

    # The same instants written in another zone are the same plan.
    again = [PlannedPost(**{**vars(item), "due_at": item.due_at.astimezone(UTC)}) for item in plan]
    second = store.save_plan(CAMPAIGN, again, review=review, now=LATER)

    assert second.inserted == [] and second.updated == []
    assert sorted(p.id for p in second.kept) == sorted(before)
    assert {p.id: snapshot(store, p.id) for p in first.inserted} == before
    assert row_counts(store) == (2, 2)


def test_the_same_plan_key_in_another_campaign_is_another_post(store: Store) -> None:
    store.save_plan(CAMPAIGN, [planned("announce")], review=True, now=NOW)
    report = store.save_plan("other", [planned("announce")], review=True, now=NOW)
    assert len(report.inserted) == 1
    assert row_counts(store) == (2, 2)


def test_replan_leaves_posts_planned_as_scheduled_alone(store: Store) -> None:
    """With review off a planned post starts scheduled: committed to, so never refreshed."""
    (post,) = store.save_plan(CAMPAIGN, [planned("announce")], review=False, now=NOW).inserted
    report = store.save_plan(
        CAMPAIGN, [planned("announce", body="a better text")], review=False, now=LATER
    )
    assert report.updated == [] and [p.id for p in report.kept] == [post.id]
    assert store.get(post.id).body != "a better text"


@pytest.mark.parametrize("review", [True, False], ids=["review-on", "review-off"])
def test_replan_refreshes_an_untouched_draft(store: Store, review: bool) -> None:
    """A draft nobody edited follows the plan, whatever `review` the re-plan runs with."""
    first = store.save_plan(
        CAMPAIGN, [planned("announce"), planned("last-call")], review=True, now=NOW
    )
    text_changed, time_changed = first.inserted
    new_due = DUE + timedelta(days=1)

    report = store.save_plan(
        CAMPAIGN,
        [
            planned("announce", body="a better text", link="https://new.example"),
            planned("last-call", due=new_due),
        ],
        review=review,
        now=LATER,
    )

    assert report.inserted == [] and report.kept == []
    assert [p.id for p in report.updated] == [text_changed.id, time_changed.id]

    refreshed = store.get(text_changed.id)
    assert refreshed.body == "a better text"
    assert refreshed.link == "https://new.example"
    assert refreshed.due_at == DUE
    assert refreshed.updated_at == LATER
    assert refreshed.edited is False
    assert [e.event for e in refreshed.events] == ["planned", "replanned"]
    assert refreshed.events[1].at == LATER
    assert "text re-rendered" in refreshed.events[1].detail

    moved = store.get(time_changed.id)
    assert moved.due_at == new_due and moved.body == "text of last-call"
    assert [e.event for e in moved.events] == ["planned", "replanned"]
    assert show_time(new_due, ZoneInfo("UTC")) in moved.events[1].detail
    assert row_counts(store) == (2, 4)


TOUCHED = [
    "edited",
    "approved",
    "cancelled",
    Status.PUBLISHING,
    Status.PUBLISHED,
    Status.FAILED,
    Status.MISSED,
    Status.EXPIRED,
    Status.UNKNOWN,
]


@pytest.mark.parametrize("touch", TOUCHED, ids=str)
def test_replan_never_touches_a_post_a_person_or_the_daemon_touched(
    store: Store, touch: str
) -> None:
    post = plan_one(store)
    if touch == "edited":
        store.edit(post.id, body="the officer's words", now=NOW)
    elif touch == "approved":
        store.approve([post.id], now=NOW)
    elif touch == "cancelled":
        store.cancel([post.id], now=NOW)
    else:
        force(store, post.id, Status(touch))
    before = snapshot(store, post.id)

    report = store.save_plan(
        CAMPAIGN,
        [planned("announce", body="re-rendered", due=DUE + timedelta(days=2))],
        review=True,
        now=LATER,
    )

    assert report.updated == [] and report.inserted == []
    assert [p.id for p in report.kept] == [post.id]
    assert snapshot(store, post.id) == before
    assert "replanned" not in event_names(store, post.id)


@pytest.mark.parametrize("touch", ["edited", "retried", "cancelled", Status.PUBLISHED], ids=str)
def test_replan_without_review_never_touches_a_touched_post(store: Store, touch: str) -> None:
    post = plan_one(store, review=False)
    if touch == "edited":
        store.edit(post.id, due_at=DUE + timedelta(hours=1), now=NOW)
    elif touch == "retried":
        force(store, post.id, Status.FAILED)
        store.retry(post.id, due_at=DUE, now=NOW)
    elif touch == "cancelled":
        store.cancel([post.id], now=NOW)
    else:
        force(store, post.id, Status(touch))
    before = snapshot(store, post.id)

    report = store.save_plan(
        CAMPAIGN,
        [planned("announce", body="re-rendered", due=DUE + timedelta(days=2))],
        review=False,
        now=LATER,
    )

    assert report.updated == []
    assert snapshot(store, post.id) == before


def test_replan_without_review_never_touches_an_approved_post(store: Store) -> None:
    post = plan_one(store, review=True)
    store.approve([post.id], now=NOW)
    before = snapshot(store, post.id)

    report = store.save_plan(
        CAMPAIGN,
        [planned("announce", body="re-rendered", due=DUE + timedelta(days=2))],
        review=False,
        now=LATER,
    )

    assert report.updated == []
    assert snapshot(store, post.id) == before


# approve -----------------------------------------------------------------------------------


def test_approve_schedules_a_draft_with_an_approved_event(store: Store) -> None:
    post = plan_one(store)

    approved = store.approve([post.id], now=LATER)

    assert [p.id for p in approved] == [post.id]
    saved = store.get(post.id)
    assert saved.status == Status.SCHEDULED
    assert saved.updated_at == LATER
    assert saved.due_at == DUE and saved.body == post.body
    assert [(e.event, e.at) for e in saved.events] == [("planned", NOW), ("approved", LATER)]


def test_approve_the_same_id_twice_in_one_call_approves_it_once(store: Store) -> None:
    post = plan_one(store)
    store.approve([post.id, post.id], now=LATER)
    assert event_names(store, post.id) == ["planned", "approved"]


def test_approve_none_approves_every_draft_and_nothing_else(store: Store) -> None:
    report = store.save_plan(
        CAMPAIGN,
        [planned("a", due=DUE + timedelta(days=2)), planned("b", due=DUE), planned("c")],
        review=True,
        now=NOW,
    )
    later_draft, early_draft, to_cancel = report.inserted
    store.cancel([to_cancel.id], now=NOW)
    by_hand = one_off(store)
    others = {p.id: snapshot(store, p.id) for p in (to_cancel, by_hand)}

    approved = store.approve(None, now=LATER)

    assert [p.id for p in approved] == [early_draft.id, later_draft.id]  # by due time
    for draft in (later_draft, early_draft):
        assert store.get(draft.id).status == Status.SCHEDULED
        assert event_names(store, draft.id) == ["planned", "approved"]
    assert {p.id: snapshot(store, p.id) for p in (to_cancel, by_hand)} == others
    assert store.approve(None, now=LATER) == []


@pytest.mark.parametrize("status", NOT_DRAFT, ids=str)
def test_approve_refuses_a_non_draft_and_changes_nothing(store: Store, status: Status) -> None:
    report = store.save_plan(CAMPAIGN, [planned("draft"), planned("other")], review=True, now=NOW)
    draft, other = report.inserted
    put_in(store, other, status)
    before = {p.id: snapshot(store, p.id) for p in (draft, other)}
    counts = row_counts(store)

    with pytest.raises(StateError) as refused:
        store.approve([draft.id, other.id], now=LATER)

    assert f"post {other.id}" in str(refused.value)
    assert str(status) in str(refused.value)
    # One transaction: the draft listed first was not approved either.
    assert {p.id: snapshot(store, p.id) for p in (draft, other)} == before
    assert store.get(draft.id).status == Status.DRAFT
    assert row_counts(store) == counts


def test_approve_with_a_missing_id_changes_nothing(store: Store) -> None:
    draft = plan_one(store)
    with pytest.raises(NotFoundError):
        store.approve([draft.id, 9999], now=LATER)
    assert store.get(draft.id).status == Status.DRAFT
    assert event_names(store, draft.id) == ["planned"]


# cancel ------------------------------------------------------------------------------------


def test_cancel_a_draft_and_a_scheduled_post(store: Store) -> None:
    draft = plan_one(store, "a")
    scheduled = one_off(store)

    cancelled = store.cancel([draft.id, scheduled.id], now=LATER)

    assert [p.id for p in cancelled] == [draft.id, scheduled.id]
    for post in (draft, scheduled):
        saved = store.get(post.id)
        assert saved.status == Status.CANCELLED
        assert saved.updated_at == LATER
        assert (saved.events[-1].event, saved.events[-1].at) == ("cancelled", LATER)
    assert row_counts(store) == (2, 4)


@pytest.mark.parametrize("status", NOT_EDITABLE, ids=str)
def test_cancel_refuses_a_post_that_left_draft_and_scheduled(store: Store, status: Status) -> None:
    draft = plan_one(store, "a")
    other = plan_one(store, "b")
    put_in(store, other, status)
    before = {p.id: snapshot(store, p.id) for p in (draft, other)}

    with pytest.raises(StateError, match=f"post {other.id}"):
        store.cancel([draft.id, other.id], now=LATER)

    assert {p.id: snapshot(store, p.id) for p in (draft, other)} == before


# edit --------------------------------------------------------------------------------------


def test_edit_marks_the_post_and_names_what_changed(store: Store) -> None:
    post = plan_one(store, body="12345")
    assert post.edited is False
    new_due = DUE + timedelta(days=1)

    store.edit(post.id, body="123456789", now=LATER)
    store.edit(post.id, due_at=new_due, now=LATER + timedelta(minutes=1))

    saved = store.get(post.id)
    assert saved.edited is True
    assert saved.body == "123456789" and saved.due_at == new_due
    assert saved.status == Status.DRAFT
    assert saved.updated_at == LATER + timedelta(minutes=1)
    assert [e.event for e in saved.events] == ["planned", "edited", "edited"]
    text_event, time_event = saved.events[1:]
    assert "text changed (5 -> 9 characters)" in text_event.detail
    assert "due" not in text_event.detail
    assert show_time(DUE, ZoneInfo("UTC")) in time_event.detail
    assert show_time(new_due, ZoneInfo("UTC")) in time_event.detail
    assert "text" not in time_event.detail


def test_edit_both_at_once_writes_one_event_naming_both(store: Store) -> None:
    post = one_off(store)
    store.edit(post.id, body="new", due_at=DUE + timedelta(hours=2), now=LATER)
    last = store.get(post.id).events[-1]
    assert last.event == "edited"
    assert "text changed" in last.detail and "due" in last.detail
    assert event_names(store, post.id) == ["added", "edited"]


def test_edit_with_identical_values_writes_nothing(store: Store) -> None:
    post = plan_one(store)
    before = snapshot(store, post.id)

    store.edit(post.id, body=post.body, due_at=DUE.astimezone(UTC), now=LATER)
    store.edit(post.id, now=LATER)

    assert snapshot(store, post.id) == before
    assert store.get(post.id).edited is False
    assert event_names(store, post.id) == ["planned"]


def test_edit_of_a_new_time_clears_a_pending_retry(store: Store) -> None:
    post = one_off(store)
    force(store, post.id, Status.SCHEDULED, next_attempt_at=DUE + timedelta(minutes=5))
    store.edit(post.id, due_at=DUE + timedelta(days=1), now=LATER)
    assert store.get(post.id).next_attempt_at is None


@pytest.mark.parametrize("status", NOT_EDITABLE, ids=str)
def test_edit_refuses_a_post_that_left_draft_and_scheduled(store: Store, status: Status) -> None:
    post = plan_one(store)
    put_in(store, post, status)
    before = snapshot(store, post.id)

    with pytest.raises(StateError):
        store.edit(post.id, body="too late", now=LATER)

    assert snapshot(store, post.id) == before


# retry -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", RETRYABLE, ids=str)
def test_retry_sends_a_stopped_post_back_to_scheduled(store: Store, status: Status) -> None:
    post = one_off(store)
    force(
        store,
        post.id,
        status,
        attempts=4,
        last_error="HTTP 422: no",
        next_attempt_at=DUE + timedelta(minutes=3),
        claimed_by="worker-1",
        claimed_at=DUE,
    )
    new_due = DUE + timedelta(days=1)

    store.retry(post.id, due_at=new_due, now=LATER)

    saved = store.get(post.id)
    assert saved.status == Status.SCHEDULED
    assert saved.attempts == 0
    assert saved.last_error is None
    assert saved.next_attempt_at is None
    assert saved.claimed_by is None and saved.claimed_at is None
    assert saved.due_at == new_due
    assert saved.updated_at == LATER
    assert [e.event for e in saved.events] == ["added", "retried"]
    assert f"was {status}" in saved.events[-1].detail
    assert saved.events[-1].at == LATER


@pytest.mark.parametrize("status", NOT_RETRYABLE, ids=str)
def test_retry_refuses_a_post_that_did_not_stop(store: Store, status: Status) -> None:
    post = plan_one(store)
    put_in(store, post, status)
    force(store, post.id, status, attempts=2, last_error="kept")
    before = snapshot(store, post.id)

    with pytest.raises(StateError, match="retry"):
        store.retry(post.id, due_at=DUE + timedelta(days=1), now=LATER)

    assert snapshot(store, post.id) == before
    assert store.get(post.id).last_error == "kept"


# reading -----------------------------------------------------------------------------------


def test_a_missing_id_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError) as missing:
        store.get(42)
    assert missing.value.post_id == 42
    assert "42" in str(missing.value)
    with pytest.raises(NotFoundError):
        store.edit(42, body="x", now=NOW)
    with pytest.raises(NotFoundError):
        store.retry(42, due_at=DUE, now=NOW)
    with pytest.raises(NotFoundError):
        store.cancel([42], now=NOW)
    assert row_counts(store) == (0, 0)


def test_events_filter_and_come_oldest_first(store: Store) -> None:
    t1, t2, t3 = NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    report = store.save_plan(
        CAMPAIGN,
        [planned("m"), planned("l", channel="linkedin")],
        review=True,
        now=t1,
    )
    masto, linked = report.inserted
    # Written out of time order: the log must still read by time, not by insertion.
    store.approve([masto.id], now=t3)
    store.cancel([linked.id], now=t2)

    def seen(**filters: object) -> list[tuple[int, str, datetime]]:
        return [(e.post_id, e.event, e.at) for e in store.events(**filters)]  # type: ignore[arg-type]

    assert seen() == [
        (masto.id, "planned", t1),
        (linked.id, "planned", t1),
        (linked.id, "cancelled", t2),
        (masto.id, "approved", t3),
    ]
    # `since` is inclusive and compares instants, whatever the zone it is written in.
    assert seen(since=t2.astimezone(PARIS)) == [
        (linked.id, "cancelled", t2),
        (masto.id, "approved", t3),
    ]
    assert seen(since=t2 + timedelta(seconds=1)) == [(masto.id, "approved", t3)]
    assert seen(since=t3 + timedelta(seconds=1)) == []
    assert seen(channel="linkedin") == [(linked.id, "planned", t1), (linked.id, "cancelled", t2)]
    assert seen(channel="nowhere") == []
    assert seen(status="scheduled") == [(masto.id, "planned", t1), (masto.id, "approved", t3)]
    assert seen(status="cancelled", channel="mastodon") == []
    assert seen(since=t2, channel="mastodon", status="scheduled") == [(masto.id, "approved", t3)]
    assert [e.to_dict()["channel"] for e in store.events()] == [
        "mastodon",
        "linkedin",
        "linkedin",
        "mastodon",
    ]


def test_counts_by_status(store: Store) -> None:
    assert store.counts() == {}
    report = store.save_plan(
        CAMPAIGN, [planned(k) for k in ("a", "b", "c", "d")], review=True, now=NOW
    )
    a, b, c, _ = report.inserted
    store.approve([a.id], now=NOW)
    store.cancel([b.id], now=NOW)
    force(store, c.id, Status.FAILED)
    one_off(store)

    assert store.counts() == {"draft": 1, "scheduled": 2, "cancelled": 1, "failed": 1}


def test_next_due_is_the_earliest_scheduled_post_counting_retries(store: Store) -> None:
    assert store.next_due() is None
    base = DUE.astimezone(UTC)
    retrying = one_off(store, due=base + timedelta(hours=1))
    waiting = one_off(store, due=base + timedelta(hours=3))
    draft = plan_one(store, due=base)  # earlier, but a draft
    done = one_off(store, due=base - timedelta(hours=1))
    force(store, done.id, Status.PUBLISHED)
    assert draft.status == Status.DRAFT

    first = store.next_due()
    assert first is not None and first.id == retrying.id

    # A transient failure pushed it after the other one: its next attempt is what counts.
    force(store, retrying.id, Status.SCHEDULED, next_attempt_at=base + timedelta(hours=5))
    first = store.next_due()
    assert first is not None and first.id == waiting.id

    force(store, retrying.id, Status.SCHEDULED, next_attempt_at=base + timedelta(hours=2))
    first = store.next_due()
    assert first is not None and first.id == retrying.id

    store.cancel([retrying.id, waiting.id], now=LATER)
    assert store.next_due() is None


# idempotency_key ---------------------------------------------------------------------------


def test_idempotency_key_is_made_once_per_post_and_never_changes(store: Store) -> None:
    report = store.save_plan(
        CAMPAIGN, [planned("a"), planned("b"), planned("c")], review=True, now=NOW
    )
    a, b, c = report.inserted
    d = one_off(store)
    keys = {p.id: store.get(p.id).idempotency_key for p in (a, b, c, d)}
    assert all(isinstance(k, str) and len(k) >= 16 for k in keys.values())
    assert len(set(keys.values())) == 4

    store.edit(a.id, body="edited", due_at=DUE + timedelta(hours=1), now=LATER)
    store.approve([a.id, b.id], now=LATER)
    store.save_plan(CAMPAIGN, [planned("c", body="re-rendered")], review=True, now=LATER)
    assert event_names(store, c.id) == ["planned", "replanned"]
    force(store, b.id, Status.FAILED, attempts=5)
    store.retry(b.id, due_at=DUE + timedelta(days=1), now=LATER)
    store.cancel([d.id], now=LATER)

    assert {p.id: store.get(p.id).idempotency_key for p in (a, b, c, d)} == keys


def test_the_database_refuses_a_duplicate_idempotency_key(store: Store) -> None:
    a = one_off(store)
    b = one_off(store)
    with pytest.raises(IntegrityError), store.session() as session:
        post = session.get(Post, b.id)
        assert post is not None
        post.idempotency_key = a.idempotency_key
    assert store.get(b.id).idempotency_key != a.idempotency_key


# nothing is deleted ------------------------------------------------------------------------


def test_a_full_cycle_of_verbs_only_adds_rows(store: Store) -> None:
    history: list[tuple[int, int]] = [row_counts(store)]
    seen_events: dict[int, tuple[object, ...]] = {}
    seen_posts: set[int] = set()

    def step() -> None:
        history.append(row_counts(store))
        with store.session() as session:
            events = {
                e.id: (e.post_id, e.at, e.event, e.detail) for e in session.scalars(select(Event))
            }
            posts = set(session.scalars(select(Post.id)))
        # Every event already written is still there, word for word; every post too.
        assert {k: events[k] for k in seen_events} == seen_events
        assert posts >= seen_posts
        seen_events.update(events)
        seen_posts.update(posts)

    plan = [planned(k) for k in ("a", "b", "c", "d", "e")]
    a, b, c, d, e = store.save_plan(CAMPAIGN, plan, review=True, now=NOW).inserted
    step()
    store.save_plan(CAMPAIGN, plan, review=True, now=NOW)
    step()
    store.save_plan(CAMPAIGN, [planned("a", body="new a"), *plan[1:]], review=True, now=NOW)
    step()
    store.edit(b.id, body="by hand", now=NOW)
    step()
    store.approve([a.id, b.id], now=NOW)
    step()
    store.cancel([c.id], now=NOW)
    step()
    with pytest.raises(StateError):
        store.cancel([c.id], now=NOW)
    step()
    force(store, a.id, Status.FAILED, last_error="boom")
    store.retry(a.id, due_at=DUE + timedelta(days=1), now=NOW)
    step()
    store.approve(None, now=NOW)
    step()
    one_off(store)
    step()

    for (posts_before, events_before), (posts_after, events_after) in itertools.pairwise(history):
        assert posts_after >= posts_before and events_after >= events_before, history
    # 5 planned, 1 replanned, 1 edited, 2 approved, 1 cancelled, 1 retried, 2 approved, 1 added
    assert history[-1] == (6, 14)
    assert {p.id for p in (a, b, c, d, e)} <= seen_posts
