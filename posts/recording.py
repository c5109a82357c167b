"""What became of a claimed post, recorded by the claim store: published, back to scheduled,
failed or unknown, each with its event, and only while the worker still holds the claim
(ClaimLostError otherwise). posts/claims.py's Claims extends it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, literal, or_, update
from sqlalchemy.orm import Session

from posts.claim_rows import add_event, channel_row, finish
from posts.language import gettext as _
from posts.models import ChannelState, Status
from posts.outcomes import Outcome, PostView, Published
from posts.store import Store


class Recorder:
    def __init__(self, store: Store):
        self.store = store
        self._show = store._show

    # outcomes ------------------------------------------------------------------------------

    def note(self, post_id: int, now: datetime, event: str, detail: str) -> None:
        """An event that changes no status (a result that came back too late to record)."""
        with self.store.session() as session:
            add_event(session, post_id, now, event, detail)

    def mark_published(
        self, post: PostView, worker: str, at: datetime, remote_id: str, url: str | None
    ) -> Outcome:
        return self.record(Published(post, at, remote_id, url), worker)

    def record(self, published: Published, worker: str) -> Outcome:
        """Record a published post alone, in its own transaction."""
        with self.store.session() as session:
            return self._record(session, published, worker)

    def _record(self, session: Session, published: Published, worker: str) -> Outcome:
        post, at, url = published.post, published.at, published.url
        detail = url or published.remote_id
        if published.note:
            detail = _("{address} ({note})").format(address=detail, note=published.note)
        finish(
            session,
            post,
            worker,
            Status.PUBLISHED,
            at,
            published_at=at,
            remote_id=published.remote_id,
            remote_url=url,
            attempts=post.attempts + 1,
            last_error=None,
            confirm_at=published.confirm_at,
            presence=None,
        )
        add_event(session, post.id, at, "published", detail)
        last = ChannelState.last_published_at
        kept = session.execute(
            update(ChannelState)
            .where(ChannelState.name == post.channel)
            .values(
                last_ok_at=at,
                updated_at=at,
                last_published_at=case(
                    (or_(last.is_(None), last < at), literal(at, last.type)), else_=last
                ),
            )
        )
        if kept.rowcount != 1:  # type: ignore[attr-defined]
            state = channel_row(session, post.channel, at)
            state.last_ok_at = state.last_published_at = at
        return Outcome(post.id, post.channel, Status.PUBLISHED, "published", detail, url)

    def reschedule(
        self,
        post: PostView,
        worker: str,
        now: datetime,
        when: datetime | None,
        detail: str,
        *,
        event: str = "retrying",
        channel_error: bool = True,
    ) -> Outcome:
        """Back to `scheduled`; a `retrying` attempt counts towards max_attempts, a post that
        waits for its channel (`rate-limited`, `paused`) or for its link (`link_unsure`) does
        not. `channel_error`: the detail is also the channel's latest error (not when the
        network was never asked)."""
        attempts = post.attempts + 1 if event == "retrying" else post.attempts
        with self.store.session() as session:
            finish(
                session,
                post,
                worker,
                Status.SCHEDULED,
                now,
                next_attempt_at=when,
                attempts=attempts,
                last_error=detail,
            )
            add_event(session, post.id, now, event, detail)
            if channel_error:
                state = channel_row(session, post.channel, now)
                state.last_error, state.last_error_at = detail, now
        return Outcome(post.id, post.channel, Status.SCHEDULED, event, detail)

    def fail(self, post: PostView, worker: str, now: datetime, detail: str) -> Outcome:
        return self._end(post, worker, now, Status.FAILED, detail, channel_error=True)

    def unknown(self, post: PostView, worker: str, now: datetime, detail: str) -> Outcome:
        """A claimed post that may or may not be out, which could not be settled."""
        return self._end(post, worker, now, Status.UNKNOWN, detail, channel_error=False)

    def hold(self, post: PostView, worker: str, now: datetime, detail: str, event: str) -> Outcome:
        """`failed` before any attempt (a dead link): no attempt counted, no channel error,
        since the network was never asked."""
        return self._end(
            post,
            worker,
            now,
            Status.FAILED,
            detail,
            channel_error=False,
            event=event,
            attempt=False,
        )

    def _end(
        self,
        post: PostView,
        worker: str,
        now: datetime,
        status: Status,
        detail: str,
        *,
        channel_error: bool,
        event: str | None = None,
        attempt: bool = True,
    ) -> Outcome:
        """A claimed post's end: its final status and event (the status's name unless
        `event`), one more attempt unless none was made; a failure is also the channel's
        latest error."""
        event = event or status.value
        with self.store.session() as session:
            finish(
                session,
                post,
                worker,
                status,
                now,
                attempts=post.attempts + 1 if attempt else post.attempts,
                last_error=detail,
            )
            add_event(session, post.id, now, event, detail)
            if channel_error:
                state = channel_row(session, post.channel, now)
                state.last_error, state.last_error_at = detail, now
        return Outcome(post.id, post.channel, status, event, detail)
