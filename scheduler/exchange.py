"""Exchange with spreadsheets: one-off posts in from CSV, the schedule out as CSV.

CSV in: a header row naming some of `channel, time, text, link, link_expires, image, alt,
subject` (channel, time and text required), then one post per row. Every row is checked
before any is inserted; a refusal names the file's line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

from posts.errors import InputError
from posts.models import Post
from posts.officer import AddRequest

COLUMNS = ("channel", "time", "text", "link", "link_expires", "image", "alt", "subject")
REQUIRED = ("channel", "time", "text")
EXPORT_COLUMNS = (
    "id",
    "channel",
    "status",
    "due_at",
    "subject",
    "phase",
    "body",
    "link",
    "link_expires_at",
    "published_at",
    "remote_url",
    "last_error",
)


def read_posts_csv(
    path: Path, parse_time: Callable[[str], datetime]
) -> list[tuple[str, AddRequest]]:
    """(label, request) per row, or InputError naming the line of the first problem."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is not a column name
    except FileNotFoundError:
        raise InputError(f"{path} does not exist.") from None
    except UnicodeDecodeError:
        raise InputError(
            f"{path} is not UTF-8 text: save it from the spreadsheet as CSV UTF-8."
        ) from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror}.") from None
    return parse_posts_csv(text, str(path), parse_time)


def parse_posts_csv(
    text: str, name: str, parse_time: Callable[[str], datetime]
) -> list[tuple[str, AddRequest]]:
    """The same from the file's text (an upload, say); `name` is how refusals call the file."""
    path = name
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if not header:
        raise InputError(
            f"{path} is empty: its first line should name the columns "
            f"({', '.join(REQUIRED)} at least)."
        )
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise InputError(
            f"{path} line 1: column {unknown[0]!r} is not one postsched reads "
            f"({', '.join(COLUMNS)})."
        )
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InputError(f"{path} line 1: the column {missing[0]!r} is missing.")
    reader.fieldnames = header
    rows = []
    for row in reader:
        label = f"{path} line {reader.line_num}"
        if None in row:
            raise InputError(f"{label}: more cells than the header has columns.")
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue  # a blank line between rows
        try:
            rows.append((label, _request(values, parse_time)))
        except InputError as exc:
            raise InputError(f"{label}: {exc}") from None
    if not rows:
        raise InputError(f"{path} has a header but no post.")
    return rows


def _request(values: dict[str, str], parse_time: Callable[[str], datetime]) -> AddRequest:
    for name in REQUIRED:
        if not values.get(name):
            raise InputError(f"the {name} cell is empty.")
    image = values.get("image") or None
    return AddRequest(
        channel=values["channel"],
        at=parse_time(values["time"]),
        text=values["text"],
        subject=values.get("subject") or None,
        link=values.get("link") or None,
        link_expires=parse_time(values["link_expires"]) if values.get("link_expires") else None,
        image=Path(image) if image else None,
        alt=values.get("alt") or None,
    )


def posts_csv(posts: Iterable[Post], show: Callable[[datetime | None], str | None]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for post in posts:
        data = post.to_dict()
        writer.writerow(
            [
                show(v) if isinstance(v, datetime) else ("" if v is None else v)
                for v in (data[c] for c in EXPORT_COLUMNS)
            ]
        )
    return buffer.getvalue()


def posts_ics(posts: Iterable[Post], campaign: str) -> bytes:
    """The schedule as an iCalendar file: one 15-minute event per post, at its due time, so the
    officer sees the campaign in a calendar. Cancelled posts are left out."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//postsched//campaign schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"postsched: {campaign}")
    for post in posts:
        if post.status == "cancelled":
            continue
        event = Event()
        event.add("uid", f"{post.idempotency_key}@postsched")
        event.add("dtstamp", post.updated_at)
        event.add("dtstart", post.published_at or post.next_attempt_at or post.due_at)
        event.add("duration", timedelta(minutes=15))
        event.add("summary", f"{post.channel}: {post.subject} {post.phase} ({post.status})")
        event.add("description", post.body)
        if post.remote_url or post.link:
            event.add("url", post.remote_url or post.link)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
