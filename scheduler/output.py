"""How posts and events look on the terminal: rich tables for people, JSON and CSV for tools.

Tables and sentences show times as the current language writes them (posts/language.py
show_time), column headings and statuses in that language; JSON and CSV keep ISO 8601 with the
campaign timezone's offset, and their keys and headers in English, for the tools that read them.
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

from posts.labels import event_label, status_label
from posts.language import N_, show_time
from posts.language import gettext as _
from posts.timing import format_instant

if TYPE_CHECKING:
    # rich (with pygments) costs about 0.05 s to import: only the commands that draw its
    # tables pay for it; `queue` writes plain lines (posts_lines).
    from rich.console import Console
    from rich.table import Table

    from posts.models import Event, Post
    from posts.planning import PlannedPost

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
    "unknown": "bold red",  # untranslated: a rich style
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


EVENT_COLUMNS = ("at", "post_id", "channel", "event", "detail")  # CSV headers, never translated


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
    that is left and is cut with an ellipsis (or, with wrap_last, wraps onto more lines).
    `headers` are the English headings, marked with N_, shown in the current language."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title)
    widths = []
    for index, key in enumerate(headers[:-1]):
        name = _(key)
        width = max([len(name)] + [len(Text.from_markup(row[index]).plain) for row in rows])
        justify: Literal["right", "left"] = "right" if key in ("id", "post") else "left"
        table.add_column(name, no_wrap=True, min_width=width, justify=justify)
        widths.append(width)
    # What the fixed columns and the borders leave of the screen goes to the text.
    room = max(12, console().width - sum(widths) - 3 * len(headers) - 1)
    if wrap_last:
        table.add_column(_(headers[-1]), overflow="fold", max_width=room)
    else:
        table.add_column(_(headers[-1]), no_wrap=True, overflow="ellipsis", max_width=room)
    for row in rows:
        table.add_row(*row[:-1], row[-1])
    return table


def posts_table(posts: Sequence[Post], tz: ZoneInfo, title: str | None = None) -> Table:
    from rich.markup import escape

    rows = [
        [
            str(post.id),
            show_time(post.due_at, tz),
            post.channel,
            f"[{STATUS_STYLE.get(post.status, '')}]{status_label(post.status)}[/]",
            escape(post.campaign),
            post.subject,
            post.phase,
            escape(one_line(post.body, 70)),
        ]
        for post in posts
    ]
    return _table(title, POST_COLUMNS, rows)


# Column headings, in English; shown through gettext.
POST_COLUMNS = (
    N_("id"),
    N_("due"),
    N_("channel"),
    N_("status"),
    N_("campaign"),
    N_("subject"),
    N_("phase"),
    N_("text"),
)


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
            show_time(post.due_at, tz),
            post.channel,
            status_label(post.status),
            *((post.campaign,) if several else ()),
            post.subject,
            post.phase,
            " ".join(post.body.split()),
        )
        for post in posts
    ]
    headings = tuple(_(name) for name in columns)
    widths = [
        max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(headings[:-1])
    ]
    room = max(12, width - sum(widths) - 2 * len(widths))

    def line(cells: Sequence[str], status: str | None) -> str:
        parts = [cells[0].rjust(widths[0])]
        parts += [cell.ljust(w) for cell, w in zip(cells[1:-1], widths[1:], strict=True)]
        if color and status is not None:
            label = cells[3]
            styled = click.style(label, fg=_CLICK_COLOR.get(status), bold=status == "unknown")
            parts[3] = styled + " " * (widths[3] - len(label))
        text = cells[-1]
        if len(text) > room:
            text = text[: room - 1] + "…"
        return "  ".join([*parts, text]).rstrip()

    return [line(headings, None)] + [
        line(row, post.status) for row, post in zip(rows, posts, strict=True)
    ]


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
            show_time(post.due_at, tz),
            post.channel,
            post.subject,
            post.phase,
            length,
            escape(one_line(post.body, 40)),
            escape(post.why),
        ]
        for post, length in zip(posts, lengths, strict=True)
    ]
    headers = (
        N_("due"),
        N_("channel"),
        N_("subject"),
        N_("phase"),
        N_("length"),
        N_("text"),
        N_("why"),
    )
    return _table(_("Campaign plan"), headers, rows, wrap_last=True)


def events_table(
    events: Sequence[Event], tz: ZoneInfo, detail: Callable[[str], str] = str
) -> Table:
    """The post log as a table; `detail` may rewrite each event's detail for display."""
    from rich.markup import escape

    rows = [
        [
            show_time(event.at, tz),
            str(event.post_id),
            event.post.channel,
            event_label(event.event),
            escape(detail(event.detail)),
        ]
        for event in events
    ]
    headers = (N_("at"), N_("post"), N_("channel"), N_("event"), N_("detail"))
    return _table(_("Post log"), headers, rows)


def console(stderr: bool = False) -> Console:
    """A rich console; writing to a file or a pipe, wide enough that rows stay whole."""
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = 200
    return out


# What `show` calls each field of a post (its JSON key, in English).
FIELD_LABELS = {
    "id": N_("id"),
    "campaign": N_("campaign"),
    "plan_key": N_("plan_key"),
    "channel": N_("channel"),
    "subject": N_("subject"),
    "phase": N_("phase"),
    "status": N_("status"),
    "due_at": N_("due_at"),
    "link": N_("link"),
    "link_expires_at": N_("link_expires_at"),
    "media": N_("media"),
    "attempts": N_("attempts"),
    "next_attempt_at": N_("next_attempt_at"),
    "last_error": N_("last_error"),
    "idempotency_key": N_("idempotency_key"),
    "remote_id": N_("remote_id"),
    "remote_url": N_("remote_url"),
    "published_at": N_("published_at"),
    "presence": N_("presence"),
    "edited": N_("edited"),
    "created_at": N_("created_at"),
    "updated_at": N_("updated_at"),
}


def post_fields(post: Post, tz: ZoneInfo) -> list[tuple[str, str]]:
    """`show`'s rows: each field a post has (its text aside), named and written for a person:
    times by show_time, the status and presence in the current language."""
    rows = []
    for key, value in post.to_dict().items():
        if key == "body" or value in (None, ""):
            continue
        if isinstance(value, datetime):
            shown = show_time(value, tz)
        elif key == "status":
            shown = status_label(value)
        elif key == "presence":
            shown = event_label(value)
        elif isinstance(value, bool):
            shown = _("True") if value else _("False")
        else:
            shown = str(value)
        rows.append((_(FIELD_LABELS.get(key, key)), shown))
    return rows
