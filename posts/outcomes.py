"""What the tick hands around: the post it claimed (PostView), what became of it (Outcome), a
post the network took and not yet recorded (Published), and a claim another daemon settled.

Plain values, imported by the claim store (posts/claims.py), the policy (posts/policy.py) and
the loop (posts/publishing.py) alike; this module imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func

from posts.language import gettext as _
from posts.models import Post


@dataclass(frozen=True)
class PostView:
    """What a channel needs of a post: a snapshot, never a live database row."""

    id: int
    channel: str
    subject: str
    phase: str
    body: str
    link: str | None
    link_expires_at: datetime | None
    media_path: str | None
    media_alt: str | None
    idempotency_key: str
    attempts: int
    # Its due time, or the end of a hold by min_gap: lateness (grace) is measured from it,
    # retries or not.
    due: datetime
    campaign: str = ""  # whose safety margin holds its link

    @classmethod
    def of(cls, post: Post) -> PostView:
        return cls(
            id=post.id,
            channel=post.channel,
            subject=post.subject,
            phase=post.phase,
            body=post.body,
            link=post.link,
            link_expires_at=post.link_expires_at,
            media_path=post.media_path,
            media_alt=post.media_alt,
            idempotency_key=post.idempotency_key,
            attempts=post.attempts,
            due=post.grace_from or post.due_at,
            campaign=post.campaign,
        )


# PostView's fields, in order, as columns: a claim reads these, not a whole ORM object.
VIEW_COLUMNS = (
    Post.id,
    Post.channel,
    Post.subject,
    Post.phase,
    Post.body,
    Post.link,
    Post.link_expires_at,
    Post.media_path,
    Post.media_alt,
    Post.idempotency_key,
    Post.attempts,
    func.coalesce(Post.grace_from, Post.due_at),
    Post.campaign,
)


@dataclass(frozen=True)
class Outcome:
    post_id: int
    channel: str
    status: str  # the post's status afterwards
    event: str
    detail: str
    url: str | None = None


@dataclass(frozen=True)
class Published:
    """A post the network took, not yet recorded: the tick records it in the transaction that
    claims the next post (`Claims.record_and_claim`), or alone (`Claims.record`)."""

    post: PostView
    at: datetime  # when the network answered
    remote_id: str
    url: str | None
    note: str | None = None  # what the log says of an answer that was not kept
    confirm_at: datetime | None = None  # when the post is read back (posts/confirming.py)


class ClaimLostError(Exception):
    """A worker finished a post whose claim another worker had already settled as stale."""

    def __init__(self, post_id: int, worker: str):
        super().__init__(
            _("post {id} is no longer claimed by {worker}").format(id=post_id, worker=worker)
        )
        self.post_id = post_id
        self.worker = worker
