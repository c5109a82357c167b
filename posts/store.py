"""Every verb on a post: posts in (add, a plan saved), and approve, cancel, edit and retry.

Each public method is one transaction: a status change and the event that describes it are
committed together or not at all. The reads are in posts/queries.py, which Store extends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from posts.errors import StateError
from posts.labels import status_label
from posts.language import N_, clauses, ngettext
from posts.language import gettext as _
from posts.models import RETRYABLE, Event, Post, Status, new_post
from posts.planning import PlannedPost
from posts.queries import MAX_ID as MAX_ID  # where the web page imports it
from posts.queries import Queries

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


class Store(Queries):
    """Every verb on a post, each one transaction, over the queries it inherits."""

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
        media_alt: str | None = None,
    ) -> Post:
        """Change text, time and/or the image's alt text; `link` (URL, expiry) records a dying
        link the new text carries, so the daemon checks it at publish time. `lengths` (before,
        after) are the text's lengths as its network counts them, which the event records (else
        len())."""
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
            if media_alt is not None and media_alt != post.media_alt:
                changes.append(_("alt text changed"))
                post.media_alt = media_alt
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
                _record(session, post, now, "edited", clauses(changes))
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
    return clauses(parts)


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
