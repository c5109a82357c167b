"""Every query postsched makes: posts in, posts out, and the events that tell their story.

Each public method is one transaction: a status change and the event that describes it are
committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Engine, Select, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker

from posts.errors import NotFoundError, StateError
from posts.labels import status_label
from posts.language import N_, ngettext, show_time
from posts.language import gettext as _
from posts.models import PENDING, RETRYABLE, ChannelState, Event, Post, Status, new_post
from posts.planning import PlannedPost
from posts.rules import Neighbour

MAX_ID = 2**63 - 1  # the largest id a database column holds; larger ones are no post
EDITABLE = frozenset({Status.DRAFT, Status.SCHEDULED})
# What a verb says of a post it does not apply to (require_status): whole sentences, each with
# the post's {id} and its {status} as a person reads it.
APPROVE_RULE = N_("Cannot approve post {id}: it is {status}, and only a draft can be approved.")
CANCEL_RULE = N_(
    "Cannot cancel post {id}: it is {status}, and only a draft or a scheduled post can be "
    "cancelled."
)
EDIT_RULE = N_(
    "Cannot edit post {id}: it is {status}, and a post can be edited while it is a draft or "
    "scheduled."
)
RETRY_RULE = N_(
    "Cannot retry post {id}: it is {status}, and only a failed, missed, expired or unknown post "
    "can be retried."
)


@dataclass
class PlanReport:
    inserted: list[Post] = field(default_factory=list)
    updated: list[Post] = field(default_factory=list)
    kept: list[Post] = field(default_factory=list)

    def summary(self, status: str) -> str:
        """What `plan` (the command and the web page) says it did."""
        inserted = len(self.inserted)
        if status == "draft":
            done = ngettext(
                "{count} post inserted as draft", "{count} posts inserted as draft", inserted
            )
        else:
            done = ngettext(
                "{count} post inserted as scheduled",
                "{count} posts inserted as scheduled",
                inserted,
            )
        updated = ngettext(
            "{count} draft updated", "{count} drafts updated", len(self.updated)
        ).format(count=len(self.updated))
        kept = ngettext(
            "{count} already planned and left as it is",
            "{count} already planned and left as they are",
            len(self.kept),
        ).format(count=len(self.kept))
        return _("{inserted}, {updated}, {kept}.").format(
            inserted=done.format(count=inserted), updated=updated, kept=kept
        )


@dataclass(frozen=True)
class NewPost:
    """A one-off post the officer writes with `add`."""

    campaign: str
    channel: str
    subject: str
    phase: str
    body: str
    due_at: datetime
    link: str | None = None
    link_expires_at: datetime | None = None
    media_path: str | None = None
    media_alt: str | None = None
    draft: bool = False  # scheduled at once unless it is a draft read back from an export


class Store:
    def __init__(self, engine: Engine, display_tz: tzinfo = UTC):
        self.engine = engine
        self.display_tz = display_tz  # how times are written in event details
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    # writing -----------------------------------------------------------------------------

    def add_post(self, new: NewPost, *, now: datetime) -> Post:
        return self.add_posts([new], now=now)[0]

    def add_posts(self, news: Sequence[NewPost], *, now: datetime) -> list[Post]:
        """Queue one-off posts, scheduled at once, in one transaction: all or none."""
        added = []
        with self.session() as session:
            for new in news:
                added.append(self._add(session, new, now))
        return added

    def _add(self, session: Session, new: NewPost, now: datetime) -> Post:
        post = new_post(
            campaign=new.campaign,
            channel=new.channel,
            subject=new.subject,
            phase=new.phase,
            body=new.body,
            link=new.link,
            link_expires_at=new.link_expires_at,
            media_path=new.media_path,
            media_alt=new.media_alt,
            status=Status.DRAFT if new.draft else Status.SCHEDULED,
            due_at=new.due_at,
            edited=True,
            now=now,
        )
        session.add(post)
        session.flush()
        if new.draft:
            detail = _("a draft again, from an export, due {time}")
        else:
            detail = _("scheduled by hand for {time}")
        _record(session, post, now, "added", detail.format(time=self._show(new.due_at)))
        return post

    def save_plan(
        self, campaign: str, planned: Sequence[PlannedPost], *, review: bool, now: datetime
    ) -> PlanReport:
        """Insert what the plan has and the database lacks; refresh untouched drafts.

        Only drafts nobody edited are refreshed; a post a person edited or approved, or that
        has left `draft`, is never changed by a re-plan.
        """
        report = PlanReport()
        with self.session() as session:
            existing = {
                post.plan_key: post
                for post in session.scalars(
                    select(Post).where(
                        Post.campaign == campaign,
                        Post.plan_key.in_([p.plan_key for p in planned]),
                    )
                )
            }
            start_status = Status.DRAFT if review else Status.SCHEDULED
            for item in planned:
                post = existing.get(item.plan_key)
                if post is None:
                    post = new_post(
                        campaign=campaign,
                        plan_key=item.plan_key,
                        channel=item.channel,
                        subject=item.subject,
                        phase=item.phase,
                        body=item.body,
                        link=item.link,
                        link_expires_at=item.link_expires_at,
                        status=start_status,
                        due_at=item.due_at,
                        edited=False,
                        now=now,
                    )
                    session.add(post)
                    session.flush()
                    _record(
                        session,
                        post,
                        now,
                        "planned",
                        (
                            _("draft for {time}")
                            if start_status == Status.DRAFT
                            else _("scheduled for {time}")
                        ).format(time=self._show(item.due_at)),
                    )
                    report.inserted.append(post)
                elif _replannable(post) and (post.body != item.body or post.due_at != item.due_at):
                    changes = _describe_changes(post, item, self._show)
                    post.body = item.body
                    post.due_at = item.due_at
                    post.link = item.link
                    post.link_expires_at = item.link_expires_at
                    post.updated_at = now
                    _record(session, post, now, "replanned", changes)
                    report.updated.append(post)
                else:
                    report.kept.append(post)
        return report

    def approve(
        self, ids: Iterable[int] | None, *, now: datetime, campaign: str | None = None
    ) -> list[Post]:
        """draft -> scheduled; `ids=None` approves every draft (of `campaign`, if given).
        Refuses any other status."""
        with self.session() as session:
            if ids is None:
                query = select(Post).where(Post.status == Status.DRAFT)
                if campaign is not None:
                    query = query.where(Post.campaign == campaign)
                posts = list(session.scalars(query.order_by(Post.due_at)))
            else:
                posts = self._get_many(session, ids)
                require_status(posts, {Status.DRAFT}, "approve", APPROVE_RULE)
            for post in posts:
                _move(session, post, Status.SCHEDULED, now, "approved", "")
            return posts

    def cancel(self, ids: Iterable[int], *, now: datetime) -> list[Post]:
        with self.session() as session:
            posts = self._get_many(session, ids)
            require_status(
                posts,
                {Status.DRAFT, Status.SCHEDULED},
                "cancel",
                CANCEL_RULE,
            )
            for post in posts:
                _move(session, post, Status.CANCELLED, now, "cancelled", "")
            return posts

    def edit(
        self,
        post_id: int,
        *,
        now: datetime,
        body: str | None = None,
        due_at: datetime | None = None,
        link: tuple[str, datetime] | None = None,
        lengths: tuple[int, int] | None = None,
    ) -> Post:
        """Change text and/or time; `link` (URL, expiry) records a dying link the new text
        carries, so the daemon checks it at publish time. `lengths` (before, after) are the
        text's lengths as its network counts them, which the event records (else len())."""
        with self.session() as session:
            post = self._get(session, post_id)
            require_status([post], EDITABLE, "edit", EDIT_RULE)
            changes = []
            if link is not None and (post.link, post.link_expires_at) != link:
                post.link, post.link_expires_at = link
                changes.append(
                    _("carries {link}, which stops working {time}").format(
                        link=link[0], time=self._show(link[1])
                    )
                )
            if body is not None and body != post.body:
                before, after = lengths or (len(post.body), len(body))
                changes.append(
                    _("text changed ({before} -> {after} characters)").format(
                        before=before, after=after
                    )
                )
                post.body = body
            if due_at is not None and due_at != post.due_at:
                changes.append(
                    _("due {before} -> {after}").format(
                        before=self._show(post.due_at), after=self._show(due_at)
                    )
                )
                post.due_at = due_at
                post.next_attempt_at = None
                post.grace_from = None
            if changes:
                post.edited = True
                post.updated_at = now
                _record(session, post, now, "edited", "; ".join(changes))
            return post

    def retry(self, post_id: int, *, due_at: datetime, now: datetime) -> Post:
        """failed | missed | expired | unknown -> scheduled, at `due_at`, with a fresh count."""
        with self.session() as session:
            post = self._get(session, post_id)
            require_status([post], RETRYABLE, "retry", RETRY_RULE)
            was = post.status
            post.attempts = 0
            post.next_attempt_at = None
            post.grace_from = None
            post.last_error = None
            post.claimed_by = None
            post.claimed_at = None
            post.edited = True
            post.due_at = due_at
            _move(
                session,
                post,
                Status.SCHEDULED,
                now,
                "retried",
                _("was {status}, due {time}").format(
                    status=status_label(was), time=self._show(due_at)
                ),
            )
            return post

    # reading -----------------------------------------------------------------------------

    def get(self, post_id: int) -> Post:
        if not 0 < post_id <= MAX_ID:
            raise NotFoundError(post_id)
        with self.session() as session:
            post = session.scalar(
                select(Post)
                .options(selectinload(Post.events).joinedload(Event.post))
                .where(Post.id == post_id)
            )
            if post is None:
                raise NotFoundError(post_id)
            return post

    def list_posts(
        self,
        statuses: Iterable[str] | None = None,
        channel: str | None = None,
        *,
        limit: int | None = None,
        campaign: str | None = None,
    ) -> list[Post]:
        """Posts by due time; by default the ones not yet final; the first `limit` of them."""
        query = self._listing(select(Post), statuses, channel, campaign).order_by(
            Post.due_at, Post.id
        )
        if limit is not None:
            query = query.limit(limit)
        with self.session() as session:
            return list(session.scalars(query))

    def count_posts(
        self,
        statuses: Iterable[str] | None = None,
        channel: str | None = None,
        *,
        campaign: str | None = None,
    ) -> int:
        """How many posts list_posts would give without a limit."""
        query = self._listing(select(func.count()), statuses, channel, campaign)
        with self.session() as session:
            return session.scalar(query) or 0

    @staticmethod
    def _listing(
        query: Select[Any],
        statuses: Iterable[str] | None,
        channel: str | None,
        campaign: str | None = None,
    ) -> Select[Any]:
        wanted = list(statuses) if statuses else [s.value for s in PENDING]
        query = query.select_from(Post).where(Post.status.in_(wanted))
        if channel is not None:
            query = query.where(Post.channel == channel)
        if campaign is not None:
            query = query.where(Post.campaign == campaign)
        return query

    def campaign_of(self, post_id: int) -> str | None:
        """The campaign a post belongs to, or None when there is no such post."""
        if not 0 < post_id <= MAX_ID:
            return None
        with self.session() as session:
            return session.scalar(select(Post.campaign).where(Post.id == post_id))

    def campaign_names(self) -> list[str]:
        """The campaigns the database holds posts of, by name."""
        with self.session() as session:
            return list(session.scalars(select(Post.campaign).distinct().order_by(Post.campaign)))

    def events(
        self,
        *,
        since: datetime | None = None,
        channel: str | None = None,
        status: str | None = None,
        campaign: str | None = None,
    ) -> list[Event]:
        """The post log, oldest first; `status` keeps events of posts now in that status."""
        query = (
            select(Event).join(Post).options(joinedload(Event.post)).order_by(Event.at, Event.id)
        )
        if since is not None:
            query = query.where(Event.at >= since)
        if channel is not None:
            query = query.where(Post.channel == channel)
        if status is not None:
            query = query.where(Post.status == status)
        if campaign is not None:
            query = query.where(Post.campaign == campaign)
        with self.session() as session:
            return list(session.scalars(query))

    def counts(self, campaign: str | None = None) -> dict[str, int]:
        query = select(Post.status, func.count()).group_by(Post.status)
        if campaign is not None:
            query = query.where(Post.campaign == campaign)
        with self.session() as session:
            return {status: count for status, count in session.execute(query).all()}  # noqa: C416

    def vanished(self, campaign: str | None = None) -> list[Post]:
        """Published posts their network no longer shows (posts/confirming.py): a person checks
        them."""
        query = select(Post).where(Post.presence == "vanished").order_by(Post.id)
        if campaign is not None:
            query = query.where(Post.campaign == campaign)
        with self.session() as session:
            return list(session.scalars(query))

    def next_due(self, campaign: str | None = None) -> Post | None:
        query = select(Post).where(Post.status == Status.SCHEDULED)
        if campaign is not None:
            query = query.where(Post.campaign == campaign)
        with self.session() as session:
            return session.scalar(
                query.order_by(func.coalesce(Post.next_attempt_at, Post.due_at), Post.id).limit(1)
            )

    def bodies(self, channel: str, *, exclude: int | None = None) -> dict[str, int]:
        """Texts already on a channel that are or will be public (LinkedIn refuses repeats),
        each with the id of the post that holds it, so a refusal can name it."""
        live = [Status.DRAFT, Status.SCHEDULED, Status.PUBLISHING, Status.PUBLISHED]
        query = select(Post.body, Post.id).where(Post.channel == channel, Post.status.in_(live))
        if exclude is not None:
            query = query.where(Post.id != exclude)
        with self.session() as session:
            rows = [
                (body, post_id) for body, post_id in session.execute(query.order_by(Post.id.desc()))
            ]
        return dict(rows)  # in descending ids, so the earliest post holding a text wins

    def busy_slots(
        self, campaign: str, channels: Iterable[str], *, since: datetime, until: datetime
    ) -> dict[str, list[datetime]]:
        """The instants other campaigns hold on these channels between `since` and `until`:
        their posts that are or will be public (draft, scheduled, publishing, published), at
        their publication time once published, else at their due time; sorted, per channel."""
        live = [Status.DRAFT, Status.SCHEDULED, Status.PUBLISHING, Status.PUBLISHED]
        query = select(Post.channel, Post.due_at, Post.published_at).where(
            Post.campaign != campaign,
            Post.channel.in_(list(channels)),
            Post.status.in_(live),
            Post.due_at < until,
            or_(Post.due_at >= since, Post.published_at >= since),
        )
        busy: dict[str, list[datetime]] = {}
        with self.session() as session:
            for channel, due_at, published_at in session.execute(query):
                instant = published_at or due_at
                if since <= instant < until:
                    busy.setdefault(channel, []).append(instant)
        return {channel: sorted(instants) for channel, instants in busy.items()}

    def neighbours(
        self, channel: str, start: datetime, end: datetime, *, exclude: int | None = None
    ) -> list[Neighbour]:
        """The channel's posts (every campaign) out or due from `start` to `end`: published
        ones at their publication, pending ones at their due time. The channel's last
        publication counts too, as the daemon's min_gap does (posts/rules.py)."""
        live = [*PENDING, Status.PUBLISHED]
        when = func.coalesce(Post.published_at, Post.next_attempt_at, Post.due_at)
        query = select(Post).where(
            Post.channel == channel, Post.status.in_(live), when >= start, when < end
        )
        if exclude is not None:
            query = query.where(Post.id != exclude)
        with self.session() as session:
            found = [
                Neighbour(
                    _("post {id}").format(id=p.id),
                    p.published_at or p.next_attempt_at or p.due_at,
                    p.published_at is not None,
                )
                for p in session.scalars(query)
            ]
            last = session.scalar(
                select(ChannelState.last_published_at).where(ChannelState.name == channel)
            )
        if last is not None and start <= last < end and all(n.at != last for n in found):
            found.append(
                Neighbour(
                    _("the last post published on {channel}").format(channel=channel), last, True
                )
            )
        return sorted(found, key=lambda n: n.at)

    # helpers -----------------------------------------------------------------------------

    def _show(self, instant: datetime) -> str:
        return show_time(instant, self.display_tz)

    def _get(self, session: Session, post_id: int) -> Post:
        if not 0 < post_id <= MAX_ID:
            raise NotFoundError(post_id)
        # FOR UPDATE: a daemon cannot claim the post between this read and the verb's write
        # (on SQLite, BEGIN IMMEDIATE already serialises them).
        post = session.get(Post, post_id, with_for_update=True)
        if post is None:
            raise NotFoundError(post_id)
        return post

    def _get_many(self, session: Session, ids: Iterable[int]) -> list[Post]:
        return [self._get(session, post_id) for post_id in dict.fromkeys(ids)]


def _replannable(post: Post) -> bool:
    """Only a draft nobody edited is refreshed by a re-plan: a scheduled post was approved by a
    person (or, with review off, committed to) and stays exactly as it is."""
    return post.status == Status.DRAFT and not post.edited


def _describe_changes(post: Post, item: PlannedPost, show: Callable[[datetime], str]) -> str:
    parts = []
    if post.due_at != item.due_at:
        parts.append(
            _("due {before} -> {after}").format(before=show(post.due_at), after=show(item.due_at))
        )
    if post.body != item.body:
        parts.append(_("text re-rendered from its template"))
    return "; ".join(parts)


def require_status(
    posts: Sequence[Post], allowed: frozenset[Status] | set[Status], verb: str, rule: str
) -> None:
    """StateError for the first post not in `allowed`: `rule` is the whole sentence of `verb`
    (APPROVE_RULE, CANCEL_RULE, EDIT_RULE, RETRY_RULE), with the post's {id} and {status}."""
    for post in posts:
        if post.status not in allowed:
            raise StateError(_(rule).format(id=post.id, status=status_label(post.status)))


def _move(
    session: Session, post: Post, status: Status, now: datetime, event: str, detail: str
) -> None:
    post.status = status
    post.updated_at = now
    _record(session, post, now, event, detail)


def _record(session: Session, post: Post, now: datetime, event: str, detail: str) -> None:
    session.add(Event(post_id=post.id, at=now, event=event, detail=detail))
