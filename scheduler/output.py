"""How posts and events look on the terminal: rich tables for people, JSON and CSV for tools.

Times are shown in ISO 8601 with the campaign timezone's offset.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import click

from posts.models import Event, Post
from posts.planning import PlannedPost
from posts.timing import format_instant

if TYPE_CHECKING:
    # rich (with pygments) costs about 0.05 s to import: only the commands that draw its
    # tables pay for it; `queue` writes plain lines (posts_lines).
    from rich.console import Console
    from rich.table import Table

POST_FIELDS = (
    "id",
    "campaign",
    "plan_key",
    "channel",
    "subject",
    "phase",
    "status",
    "due_at",
    "body",
    "link",
    "link_expires_at",
    "media",
    "attempts",
    "next_attempt_at",
    "last_error",
    "idempotency_key",
    "remote_id",
    "remote_url",
    "published_at",
    "edited",
    "created_at",
    "updated_at",
)
STATUS_STYLE = {
    "draft": "yellow",
    "scheduled": "cyan",
    "publishing": "magenta",
    "published": "green",
    "failed": "red",
    "missed": "red",
    "expired": "red",
    "unknown": "bold red",
    "cancelled": "dim",
}


def localize_values(data: Mapping[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    return {k: format_instant(v, tz) if isinstance(v, datetime) else v for k, v in data.items()}


def post_json(post: Post, tz: ZoneInfo, *, events: bool = False) -> dict[str, Any]:
    data = localize_values(post.to_dict(), tz)
    if events:
        data["events"] = [event_json(e, tz) for e in post.events]
    return data


def planned_json(item: PlannedPost, campaign: str, status: str, tz: ZoneInfo) -> dict[str, Any]:
    """A planned post in the shape of a stored one, with the fields it does not have yet null."""
    data: dict[str, Any] = dict.fromkeys(POST_FIELDS)
    data.update(
        campaign=campaign,
        plan_key=item.plan_key,
        channel=item.channel,
        subject=item.subject,
        phase=item.phase,
        status=status,
        due_at=item.due_at,
        body=item.body,
        link=item.link,
        link_expires_at=item.link_expires_at,
        attempts=0,
        edited=False,
    )
    return localize_values(data, tz) | {"why": item.why}


def event_json(event: Event, tz: ZoneInfo) -> dict[str, Any]:
    return localize_values(event.to_dict(), tz)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


EVENT_COLUMNS = ("at", "post_id", "channel", "event", "detail")


def events_csv(events: Iterable[Event], tz: ZoneInfo) -> str:
    """The post log as CSV, no cell a spreadsheet would read as a formula."""
    from scheduler.csvcells import safe_row

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EVENT_COLUMNS)
    for event in events:
        row = event_json(event, tz)
        writer.writerow(safe_row([row[k] for k in EVENT_COLUMNS]))
    return buffer.getvalue()


def one_line(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _table(
    title: str | None,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    wrap_last: bool = False,
) -> Table:
    """Every column but the last kept whole (at its widest cell); the last takes the width
    that is left and is cut with an ellipsis (or, with wrap_last, wraps onto more lines)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title)
    widths = []
    for index, name in enumerate(headers[:-1]):
        width = max([len(name)] + [len(Text.from_markup(row[index]).plain) for row in rows])
        justify: Literal["right", "left"] = "right" if name in ("id", "post") else "left"
        table.add_column(name, no_wrap=True, min_width=width, justify=justify)
        widths.append(width)
    # What the fixed columns and the borders leave of the screen goes to the text.
    room = max(12, console().width - sum(widths) - 3 * len(headers) - 1)
    if wrap_last:
        table.add_column(headers[-1], overflow="fold", max_width=room)
    else:
        table.add_column(headers[-1], no_wrap=True, overflow="ellipsis", max_width=room)
    for row in rows:
        table.add_row(*row[:-1], row[-1])
    return table


def posts_table(posts: Sequence[Post], tz: ZoneInfo, title: str | None = None) -> Table:
    from rich.markup import escape

    rows = [
        [
            str(post.id),
            format_instant(post.due_at, tz) or "",
            post.channel,
            f"[{STATUS_STYLE.get(post.status, '')}]{post.status}[/]",
            escape(post.campaign),
            post.subject,
            post.phase,
            escape(one_line(post.body, 70)),
        ]
        for post in posts
    ]
    return _table(title, POST_COLUMNS, rows)


POST_COLUMNS = ("id", "due", "channel", "status", "campaign", "subject", "phase", "text")


def posts_lines(posts: Sequence[Post], tz: ZoneInfo, *, width: int, color: bool) -> list[str]:
    """The queue as plain fixed-width lines, a header first: the same columns as posts_table,
    written without rich, whose layout costs about 0.6 ms a row (6 s for 10,000 posts).

    Every column but the text is as wide as its widest cell; the text takes what is left of
    `width` and is cut with an ellipsis. With `color`, the status is coloured as in the tables.
    The campaign column is there when the posts belong to more than one campaign.
    """
    several = len({post.campaign for post in posts}) > 1
    columns = POST_COLUMNS if several else tuple(c for c in POST_COLUMNS if c != "campaign")
    rows = [
        (
            str(post.id),
            format_instant(post.due_at, tz) or "",
            post.channel,
            post.status,
            *((post.campaign,) if several else ()),
            post.subject,
            post.phase,
            " ".join(post.body.split()),
        )
        for post in posts
    ]
    widths = [
        max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(columns[:-1])
    ]
    room = max(12, width - sum(widths) - 2 * len(widths))

    def line(cells: Sequence[str], status: str | None) -> str:
        parts = [cells[0].rjust(widths[0])]
        parts += [cell.ljust(w) for cell, w in zip(cells[1:-1], widths[1:], strict=True)]
        if color and status is not None:
            styled = click.style(status, fg=_CLICK_COLOR.get(status), bold=status == "unknown")
            parts[3] = styled + " " * (widths[3] - len(status))
        text = cells[-1]
        if len(text) > room:
            text = text[: room - 1] + "…"
        return "  ".join([*parts, text]).rstrip()

    return [line(columns, None)] + [line(row, row[3]) for row in rows]


_CLICK_COLOR = {
    "draft": "yellow",
    "scheduled": "cyan",
    "publishing": "magenta",
    "published": "green",
    "failed": "red",
    "missed": "red",
    "expired": "red",
    "unknown": "red",
    "cancelled": "bright_black",
}


def terminal_width() -> int:
    """The width rich would use: $COLUMNS, else the terminal's, else 200 for a file or pipe."""
    if "COLUMNS" in os.environ and os.environ["COLUMNS"].isdigit():
        return int(os.environ["COLUMNS"])
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return 200


def planned_table(posts: Sequence[PlannedPost], tz: ZoneInfo, lengths: Sequence[str]) -> Table:
    from rich.markup import escape

    rows = [
        [
            format_instant(post.due_at, tz) or "",
            post.channel,
            post.subject,
            post.phase,
            length,
            escape(one_line(post.body, 40)),
            escape(post.why),
        ]
        for post, length in zip(posts, lengths, strict=True)
    ]
    headers = ("due", "channel", "subject", "phase", "length", "text", "why")
    return _table("Campaign plan", headers, rows, wrap_last=True)


def events_table(
    events: Sequence[Event], tz: ZoneInfo, detail: Callable[[str], str] = str
) -> Table:
    """The post log as a table; `detail` may rewrite each event's detail for display."""
    from rich.markup import escape

    rows = [
        [
            format_instant(event.at, tz) or "",
            str(event.post_id),
            event.post.channel,
            event.event,
            escape(detail(event.detail)),
        ]
        for event in events
    ]
    return _table("Post log", ("at", "post", "channel", "event", "detail"), rows)


def console(stderr: bool = False) -> Console:
    """A rich console; writing to a file or a pipe, wide enough that rows stay whole."""
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = 200
    return out


def print_status(data: dict[str, Any]) -> None:
    """`status` for people: counts, next due post, daemon, channels (what to do if paused)."""
    from rich.table import Table

    out = console()
    campaigns = data.get("campaigns") or []
    if data.get("campaign"):
        title = f"Posts of {data['campaign']} by status"
    else:
        title = "Posts by status"
        if len(campaigns) > 1:
            out.print(f"Campaigns: {', '.join(campaigns)}.", markup=False)
    table = Table(title=title)
    table.add_column("status")
    table.add_column("posts", justify="right")
    for name, number in data["counts"].items():
        if number:
            table.add_row(name, str(number))
    out.print(table)
    gone = data.get("vanished") or []
    if gone:
        named = ", ".join(f"{p['id']} ({p['channel']})" for p in gone)
        out.print(
            f"Vanished after publication, check them: post{'s' if len(gone) > 1 else ''} {named}.",
            markup=False,
        )
    post = data["next_due"]
    if post:
        out.print(
            f"Next due: post {post['id']} on {post['channel']} at "
            f"{post['next_attempt_at'] or post['due_at']}.",
            markup=False,
        )
    else:
        out.print("Nothing scheduled.")
    beat = data["heartbeat"]
    if beat is None:
        out.print("Daemon: never run against this database.")
    elif beat["running"]:
        out.print(
            f"Daemon: running, last tick {beat['last_tick_at']} ({beat['age_seconds']:.0f} s ago).",
            markup=False,
        )
    else:
        out.print(f"Daemon: not running (last tick {beat['last_tick_at']}).", markup=False)
    for name, info in data["channels"].items():
        line = f"Channel {name}: {info['type']}, {info['mode']}, {info['health']}, "
        line += f"{info['pending']} pending"
        if info["health"] == "paused":
            until = f" until {info['paused_until']}" if info["paused_until"] else ""
            renew = (
                f"; renew the token (postsched connect {name}) and restart the daemon"
                if info["paused_until"] is None and "renew" not in (info["paused_reason"] or "")
                else ""
            )
            line += f"; paused{until}: {info['paused_reason']}{renew}"
        if info.get("token_source"):
            who = f", posts as {info['token_account']}" if info.get("token_account") else ""
            until = f", expires {info['token_expires']}" if info.get("token_expires") else ""
            line += f"; token from {info['token_source']}{who}{until}"
        elif info.get("token_problem"):
            line += f"; {info['token_problem'].rstrip('.')}"
        if info.get("token_warning"):
            line += f"; warning: {info['token_warning']}"
        out.print(line + ".", markup=False)
