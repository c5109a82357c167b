"""How `postsched report` looks: a table per post, totals per subject and phase, JSON, CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from posts.campaign import Config
from posts.language import N_, ngettext, show_time
from posts.language import gettext as _
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


def said_once(config: Config) -> set[str]:
    """The channels whose refusals are said once, below the table, not in every row: live
    Bluesky ones, since a server without an app view refuses every post's counts the same way."""
    return {
        name
        for name, channel in config.channels.items()
        if channel.type == "bluesky" and channel.mode == "live"
    }


def once_notes(posts: Sequence[PostReach], once: Collection[str]) -> list[str]:
    """One sentence per channel in `once` and reason: how many posts it concerns, and why."""
    grouped: dict[tuple[str, str], int] = {}
    for post in posts:
        if told_once(post, once):
            key = (post.channel, str(post.reason))
            grouped[key] = grouped.get(key, 0) + 1
    return [
        ngettext(
            "{channel} ({count} post without counts): {reason}.",
            "{channel} ({count} posts without counts): {reason}.",
            count,
        ).format(channel=channel, count=count, reason=reason.rstrip("."))
        for (channel, reason), count in grouped.items()
    ]


def told_once(post: PostReach, once: Collection[str]) -> bool:
    """A post whose reach its channel cannot give, said once below the table for all of them
    (a Bluesky server without an app view refuses every post the same way)."""
    return post.channel in once and not post.counts and bool(post.reason)


def _reach_cell(post: PostReach, once: Collection[str] = ()) -> str:
    """The latest figures, and why the latest read gave none when it did (as --json says)."""
    if told_once(post, once):
        return _("no counts (see below)")
    shown = figures(post.counts)
    if shown and post.reason:
        return _("{figures} (latest read: {reason})").format(figures=shown, reason=post.reason)
    return shown or post.reason or _("not read yet")


def print_report(
    posts: Sequence[PostReach],
    tz: ZoneInfo,
    notes: Sequence[str],
    since: str | None = None,
    once: Collection[str] = (),
) -> None:
    """The report; the reasons of channels in `once` are said once each below the table, with
    how many posts they concern, rather than in every row."""
    from rich.markup import escape

    out = console()
    if not posts:
        if since:
            out.print(_("No post published since {time}.").format(time=since))
        else:
            out.print(_("No published post yet."))
    rows = [
        [
            str(p.id),
            p.channel,
            p.subject,
            p.phase,
            show_time(p.published_at, tz),
            p.snapshot or "",
            escape(_reach_cell(p, once)),
        ]
        for p in posts
    ]
    if rows:
        headers = (
            N_("id"),
            N_("channel"),
            N_("subject"),
            N_("phase"),
            N_("published"),
            N_("snapshot"),
            N_("reach"),
        )
        out.print(_table(_("Reach"), headers, rows, wrap_last=True))
        out.print(_totals(_("Totals by subject"), totals(posts, lambda p: p.subject)))
        out.print(_totals(_("Totals by phase"), totals(posts, lambda p: p.phase)))
    ranked = best_and_worst(posts)
    if ranked is not None:
        best, worst = ranked
        out.print(_("Best:  {post}").format(post=_named(best)), highlight=False)
        out.print(_("Worst: {post}").format(post=_named(worst)), highlight=False)
    for post in posts:
        if post.reason and post.counts:
            out.print(
                escape(_("Post {id}: {reason}.").format(id=post.id, reason=post.reason)),
                highlight=False,
            )
    for note in notes:
        out.print(escape(note), highlight=False)
    for said in once_notes(posts, once):
        out.print(escape(said), highlight=False)


def _totals(title: str, groups: Sequence[Total]) -> Any:
    rows = [[g.key, str(g.posts), str(g.interactions), figures(g.counts)] for g in groups]
    headers = (N_("of"), N_("posts"), N_("interactions"), N_("figures"))
    return _table(title, headers, rows, wrap_last=True)


def _named(post: PostReach) -> str:
    return ngettext(
        "post {id} ({channel}, {subject}, {phase}): {count} interaction ({figures})",
        "post {id} ({channel}, {subject}, {phase}): {count} interactions ({figures})",
        post.interactions,
    ).format(
        id=post.id,
        channel=post.channel,
        subject=post.subject,
        phase=post.phase,
        count=post.interactions,
        figures=figures(post.counts),
    )
