"""What `postsched report` shows: each published post's latest reach, totals, best and worst."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from posts.models import Post, ReachSnapshot, Status
from posts.store import Store

# The counts that are someone acting on a post (not merely seeing it), summed to rank posts:
# favourites, boosts and replies on Mastodon; reactions, comments and reposts on LinkedIn;
# likes, reposts, replies and quotes on Bluesky.
INTERACTIONS = frozenset(
    {
        "favourites_count",
        "reblogs_count",
        "replies_count",
        "totalLikes",
        "aggregatedTotalComments",
        "shareCount",
        "likeCount",
        "repostCount",
        "replyCount",
        "quoteCount",
    }
)


@dataclass(frozen=True)
class PostReach:
    id: int
    campaign: str
    channel: str
    subject: str
    phase: str
    published_at: datetime | None
    url: str | None
    counts: dict[str, int] = field(default_factory=dict)
    snapshot: str | None = None  # which snapshot the counts are from ("1h", "1d", "7d")
    taken_at: datetime | None = None
    reason: str | None = None  # why the latest read gave no counts

    @property
    def interactions(self) -> int:
        return sum(v for k, v in self.counts.items() if k in INTERACTIONS)


@dataclass(frozen=True)
class Total:
    key: str
    posts: int
    interactions: int
    counts: dict[str, int]


def read_reach(store: Store, *, campaign: str | None, since: datetime | None) -> list[PostReach]:
    """Every published post (of `campaign`, published at or after `since`) with its latest
    figures, in publication order."""
    query = select(Post).where(Post.status == Status.PUBLISHED).order_by(Post.published_at, Post.id)
    if campaign is not None:
        query = query.where(Post.campaign == campaign)
    if since is not None:
        query = query.where(Post.published_at >= since)
    with store.session() as session:
        posts = list(session.scalars(query))
        snapshots: dict[int, list[ReachSnapshot]] = {}
        ids = [p.id for p in posts]
        for row in session.scalars(
            select(ReachSnapshot).where(ReachSnapshot.post_id.in_(ids)).order_by(ReachSnapshot.id)
        ):
            snapshots.setdefault(row.post_id, []).append(row)
    return [_latest(post, snapshots.get(post.id, [])) for post in posts]


def _latest(post: Post, rows: list[ReachSnapshot]) -> PostReach:
    read = [r for r in rows if r.counts is not None]
    last = read[-1] if read else None
    refused = next((r for r in rows if r.refused), None)
    reason = refused.reason if refused else (rows[-1].reason if rows else None)
    return PostReach(
        id=post.id,
        campaign=post.campaign,
        channel=post.channel,
        subject=post.subject,
        phase=post.phase,
        published_at=post.published_at,
        url=post.remote_url,
        counts=json.loads(last.counts) if last is not None and last.counts else {},
        snapshot=last.snapshot if last else None,
        taken_at=last.taken_at if last else None,
        reason=reason,
    )


def totals(posts: Sequence[PostReach], key: Callable[[PostReach], str]) -> list[Total]:
    """The figures summed per subject, or per phase (`key`), in first-seen order."""
    groups: dict[str, list[PostReach]] = {}
    for post in posts:
        groups.setdefault(key(post), []).append(post)
    out = []
    for name, group in groups.items():
        counts: dict[str, int] = {}
        for post in group:
            for count, value in post.counts.items():
                counts[count] = counts.get(count, 0) + value
        out.append(Total(name, len(group), sum(p.interactions for p in group), counts))
    return out


def best_and_worst(posts: Sequence[PostReach]) -> tuple[PostReach, PostReach] | None:
    """The posts with the most and the fewest interactions among those that have figures
    (the earlier post wins a tie); None when no post has any."""
    read = [p for p in posts if p.counts]
    if not read:
        return None
    best = max(read, key=lambda p: p.interactions)  # max/min keep the first of equals
    worst = min(read, key=lambda p: p.interactions)
    return best, worst


def figures(counts: dict[str, int]) -> str:
    """'favourites_count 4, reblogs_count 3': counts as the network names them."""
    return ", ".join(f"{name} {value}" for name, value in counts.items())
