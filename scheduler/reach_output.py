"""How `postsched report` looks: a table per post, totals per subject and phase, JSON, CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from posts.reach_report import PostReach, Total, best_and_worst, figures, totals
from posts.timing import format_instant
from scheduler.output import _table, console


def reach_json(post: PostReach, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": post.id,
        "campaign": post.campaign,
        "channel": post.channel,
        "subject": post.subject,
        "phase": post.phase,
        "published_at": format_instant(post.published_at, tz),
        "url": post.url,
        "reach": post.counts,
        "snapshot": post.snapshot,
        "taken_at": format_instant(post.taken_at, tz),
        "reason": post.reason,
    }


def reach_csv(posts: Sequence[PostReach], tz: ZoneInfo) -> str:
    """One row per post, one column per count any network gave; no cell a formula."""
    from scheduler.csvcells import safe_row

    names = sorted({name for post in posts for name in post.counts})
    head = ["id", "channel", "subject", "phase", "published_at", "url", "snapshot", "taken_at"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*head, *names, "reason"])
    for post in posts:
        row = reach_json(post, tz)
        values = [row[k] for k in head] + [post.counts.get(n, "") for n in names]
        writer.writerow(safe_row([*values, post.reason or ""]))
    return buffer.getvalue()


def _reach_cell(post: PostReach) -> str:
    """The latest figures, and why the latest read gave none when it did (as --json says)."""
    shown = figures(post.counts)
    if shown and post.reason:
        return f"{shown} (latest read: {post.reason})"
    return shown or post.reason or "not read yet"


def print_report(
    posts: Sequence[PostReach], tz: ZoneInfo, notes: Sequence[str], since: str | None = None
) -> None:
    from rich.markup import escape

    out = console()
    if not posts:
        out.print(f"No post published since {since}." if since else "No published post yet.")
    rows = [
        [
            str(p.id),
            p.channel,
            p.subject,
            p.phase,
            format_instant(p.published_at, tz) or "",
            p.snapshot or "",
            escape(_reach_cell(p)),
        ]
        for p in posts
    ]
    if rows:
        headers = ("id", "channel", "subject", "phase", "published", "snapshot", "reach")
        out.print(_table("Reach", headers, rows, wrap_last=True))
        out.print(_totals("Totals by subject", totals(posts, lambda p: p.subject)))
        out.print(_totals("Totals by phase", totals(posts, lambda p: p.phase)))
    ranked = best_and_worst(posts)
    if ranked is not None:
        best, worst = ranked
        out.print(f"Best:  {_named(best)}", highlight=False)
        out.print(f"Worst: {_named(worst)}", highlight=False)
    for post in posts:
        if post.reason and post.counts:
            out.print(escape(f"Post {post.id}: {post.reason}."), highlight=False)
    for note in notes:
        out.print(escape(note), highlight=False)


def _totals(title: str, groups: Sequence[Total]) -> Any:
    rows = [[g.key, str(g.posts), str(g.interactions), figures(g.counts)] for g in groups]
    return _table(title, ("of", "posts", "interactions", "figures"), rows, wrap_last=True)


def _named(post: PostReach) -> str:
    return (
        f"post {post.id} ({post.channel}, {post.subject}, {post.phase}): "
        f"{post.interactions} interactions ({figures(post.counts)})"
    )
