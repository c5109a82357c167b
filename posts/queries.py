"""The store's reads: posts and the events that tell their story, as the queue, the log, the
status page and the officer's checks ask for them. The verbs that change a post are in
posts/store.py, whose Store is these queries and those verbs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker

from posts.errors import NotFoundError
from posts.language import gettext as _
from posts.language import show_time
from posts.models import PENDING, ChannelState, Event, Post, Status
from posts.rules import Neighbour

Selected = TypeVar("Selected", bound=Select[*tuple[Any, ...]])
MAX_ID = 2**63 - 1  # the largest id a database column holds; larger ones are no post


class Queries:
    def __init__(self, engine: Engine, display_tz: tzinfo = UTC):
        self.engine = engine
        self.display_tz = display_tz  # how times are written in event details
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

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

    def pending_by_channel(
        self, statuses: Iterable[str], campaign: str | None = None
    ) -> dict[str, tuple[int, datetime]]:
        """Each channel's count of posts in `statuses` and the latest due time among them, in
        one grouped query (`status` on 10,000 posts builds no Post)."""
        query = self._listing(
            select(Post.channel, func.count(), func.max(Post.due_at)), statuses, None, campaign
        ).group_by(Post.channel)
        with self.session() as session:
            return {channel: (n, last) for channel, n, last in session.execute(query)}

    def texts(
        self, statuses: Iterable[str], campaign: str | None = None
    ) -> list[tuple[str | None, str]]:
        """The distinct (link, text) pairs of the posts in `statuses`, the soonest due first:
        where their links are, in the order the posts go out."""
        query = (
            self._listing(select(Post.link, Post.body), statuses, None, campaign)
            .group_by(Post.link, Post.body)
            .order_by(func.min(Post.due_at), func.min(Post.id))
        )
        with self.session() as session:
            return [(link, body) for link, body in session.execute(query)]

    @staticmethod
    def _listing(
        query: Selected,
        statuses: Iterable[str] | None,
        channel: str | None,
        campaign: str | None = None,
    ) -> Selected:
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
