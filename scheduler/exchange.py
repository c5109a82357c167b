"""Exchange with spreadsheets and calendars: one-off posts in from CSV, the schedule out as CSV
or iCalendar.

CSV in: a header row naming some of `channel, time, text, link, link_expires, image, alt,
subject` (channel, time and text required), then one post per row, separated by `,` or `;`
(what the header line uses), channel names in any case; an `image` path is read from the CSV
file's folder when it is relative. A file `export --csv` wrote reads back:
its `due_at`, `body` and `link_expires_at` are read as time, text and link_expires, its other
columns are ignored, its drafts stay drafts (waiting for approval as before), its posts that are
no longer draft or scheduled are skipped, and its `campaign` column says which campaign's
subjects and rules the rows are read with (`import --campaign` otherwise). Every row is checked
before any is inserted; a refusal names the file's line. A quoted cell must close on the line
it should: one that runs to the end of the file, or over a line that reads as a row of its own
(the header's number of cells, a channel of config.toml in its channel column), is refused
naming the line where its quote opened; a text over several lines in properly closed quotes (as
spreadsheets write them) is read whole. A cell over csv's limit of 131,072 characters is
refused naming its line.

CSV out: UTF-8 with a byte-order mark (spreadsheets otherwise guess another encoding), and `;`
between cells when the campaign's language writes decimals with a comma (French, German…), as
its spreadsheets expect; `,` otherwise.

No formula: every cell postsched writes (export, the post log) that a spreadsheet would read as
a formula, that is starting with `=`, `+`, `-`, `@`, a tab or a carriage return, gets a single
quote in front (OWASP's rule), and so does one that already starts with quotes followed by such
a character (`'=x` is written `''=x`). Import takes one quote off a cell made of quotes then
one of those characters, and only such a cell: what export wrote reads back as it was, a text
like `'Tis` is read as written, and a hand-written `'=x` reads as `=x`, as a spreadsheet
shows it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from posts.campaign import Config
from posts.characters import is_one_token
from posts.checks import ONE_OFF_PHASE, AddRequest
from posts.errors import InputError
from posts.labels import status_label
from posts.language import gettext as _
from posts.language import ngettext
from posts.models import Post
from scheduler.csvcells import read_cell, records, safe_row

COLUMNS = ("channel", "time", "text", "link", "link_expires", "image", "alt", "subject")
REQUIRED = ("channel", "time", "text")
EXPORT_COLUMNS = (
    "id",
    "campaign",
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
# An exported file's columns, as import reads them: renamed, or ignored.
EXPORTED_AS = {"due_at": "time", "body": "text", "link_expires_at": "link_expires"}
EXPORT_ONLY = ("id", "campaign", "status", "phase", "published_at", "remote_url", "last_error")
QUEUEABLE = ("", "draft", "scheduled")  # an exported row in another status is not queued again


class Rows(list[tuple[str, AddRequest]]):
    """(label, request) per row to queue; `skipped` labels the exported rows left out."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped: list[str] = []
        self.campaigns: set[str] = set()  # the campaigns an exported file's rows name


def read_posts_csv(
    path: Path, parse_time: Callable[[str], datetime], *, channels: Iterable[str] = ()
) -> Rows:
    """(label, request) per row, or InputError naming the line of the first problem."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is not a column name
    except FileNotFoundError:
        raise InputError(_("{path} does not exist.").format(path=path)) from None
    except UnicodeDecodeError:
        raise InputError(
            _("{path} is not UTF-8 text: save it from the spreadsheet as CSV UTF-8.").format(
                path=path
            )
        ) from None
    except OSError as exc:
        raise InputError(
            _("{path} cannot be read: {reason}.").format(path=path, reason=exc.strerror)
        ) from None
    rows = parse_posts_csv(text, str(path), parse_time, channels=channels)
    # An image named by a relative path sits beside the file, as config.toml's images sit
    # beside config.toml, wherever the command is run from.
    for n, (label, request) in enumerate(rows):
        if request.image is not None and not request.image.is_absolute():
            rows[n] = (label, replace(request, image=path.parent / request.image))
    return rows


def parse_posts_csv(
    text: str, name: str, parse_time: Callable[[str], datetime], *, channels: Iterable[str] = ()
) -> Rows:
    """The same from the file's text (an upload, say); `name` is how refusals call the file.
    A channel cell matching one of `channels` in another case is read as that channel."""
    path = name
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    named = {channel.casefold(): channel for channel in channels}
    header: list[str] = []

    def is_row(cells: list[str]) -> bool:
        """A line that reads as a row of its own: the header's cells, and a channel or a time
        in its place (a channel name with a typo still has its time)."""
        if len(cells) != len(header) or "channel" not in header:
            return False
        if read_cell(cells[header.index("channel")].strip()).casefold() in named:
            return True
        if "time" not in header:
            return False
        try:
            parse_time(read_cell(cells[header.index("time")].strip()))
        except InputError:
            return False
        return True

    lines = records(text, delimiter, path, is_row)
    for _line, cells in lines:
        header = [EXPORTED_AS.get(n, n) for n in (c.strip().lower() for c in cells)]
        break
    if not header:
        raise InputError(
            _(
                "{path} is empty: its first line should name the columns ({columns} at least)."
            ).format(path=path, columns=", ".join(REQUIRED))
        )
    unknown = [name for name in header if name not in COLUMNS + EXPORT_ONLY]
    if unknown:
        raise InputError(
            _("{path} line 1: column {column!r} is not one postsched reads ({columns}).").format(
                path=path, column=unknown[0], columns=", ".join(COLUMNS)
            )
        )
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InputError(
            _("{path} line 1: the column {column!r} is missing.").format(
                path=path, column=missing[0]
            )
        )
    rows = Rows()
    for line, cells in lines:
        label = _("{path} line {line}").format(path=path, line=line)
        if len(cells) > len(header):
            raise InputError(_("{row}: more cells than the header has columns.").format(row=label))
        values = {k: read_cell(v).strip() for k, v in zip(header, cells, strict=False)}
        if not any(values.values()):
            continue  # a line of empty cells between rows
        if values.get("status", "").lower() not in QUEUEABLE:
            rows.skipped.append(label)
            continue
        channel = values.get("channel", "")
        values["channel"] = named.get(channel.casefold(), channel)
        if values.get("campaign"):
            rows.campaigns.add(values["campaign"])
        try:
            rows.append((label, _request(values, parse_time)))
        except InputError as exc:
            raise InputError(_("{row}: {reason}").format(row=label, reason=exc)) from None
    if not rows:
        if rows.skipped:
            raise InputError(
                ngettext(
                    "{path} has no draft or scheduled post to queue: its {count} row is a post "
                    "already published, failed or cancelled.",
                    "{path} has no draft or scheduled post to queue: its {count} rows "
                    "are posts already published, failed or cancelled.",
                    len(rows.skipped),
                ).format(path=path, count=len(rows.skipped))
            )
        raise InputError(_("{path} has a header but no post.").format(path=path))
    return rows


def _request(values: dict[str, str], parse_time: Callable[[str], datetime]) -> AddRequest:
    for name in REQUIRED:
        if not values.get(name):
            raise InputError(_("the {column} cell is empty.").format(column=name))
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
        draft=values.get("status", "").lower() == "draft",
    )


def csv_delimiter(language: str) -> str:
    """';' where spreadsheets write decimals with a comma (fr, de…), as they expect; else ','."""
    from babel.numbers import get_decimal_symbol

    return ";" if get_decimal_symbol(language) == "," else ","


def csv_bytes(text: str) -> bytes:
    """UTF-8 with a byte-order mark, so that a spreadsheet reads é and € as written."""
    return text.encode("utf-8-sig")


def posts_csv(
    posts: Iterable[Post], show: Callable[[datetime | None], str | None], delimiter: str = ","
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", delimiter=delimiter)
    writer.writerow(EXPORT_COLUMNS)
    for post in posts:
        data = post.to_dict()
        writer.writerow(
            safe_row(
                [show(v) if isinstance(v, datetime) else v for v in map(data.get, EXPORT_COLUMNS)]
            )
        )
    return buffer.getvalue()


def calendar_posts(posts: Iterable[Post]) -> list[Post]:
    """The posts a calendar shows: every one but the cancelled."""
    return [post for post in posts if post.status != "cancelled"]


def posts_ics(
    posts: Iterable[Post], campaign: str, configs: Mapping[str, Config] | None = None
) -> bytes:
    """The schedule as an iCalendar file: one 15-minute event per post, at its due time, so the
    officer sees the campaign in a calendar, each titled with its subject and phase (from its
    campaign's config in `configs`) and filed under its campaign. Cancelled posts are left
    out."""
    configs = configs or {}
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//postsched//campaign schedule//EN")  # untranslated: a product id
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"postsched: {campaign}")
    for post in calendar_posts(posts):
        event = Event()
        event.add("uid", f"{post.idempotency_key}@postsched")
        event.add("dtstamp", post.updated_at)
        event.add("dtstart", post.published_at or post.next_attempt_at or post.due_at)
        event.add("duration", timedelta(minutes=15))
        title = event_title(post, configs.get(post.campaign))
        event.add(
            "summary",
            _("{channel}: {title} ({status})").format(
                channel=post.channel, title=title, status=status_label(post.status)
            ),
        )
        event.add("categories", [post.campaign])
        event.add("description", post.body)
        # Never an address with a line break or a space: it would end the calendar's line.
        url = next((u for u in (post.remote_url, post.link) if u and is_one_token(u)), None)
        if url:
            event.add("url", url)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


TITLE_LENGTH = 40


def event_title(post: Post, config: Config | None) -> str:
    """ "IA et recherche en intervention sociale, announce"; a course by its own part of the
    title ("outils, usages techniques…, promo"); a one-off post by its first words."""
    if post.phase == ONE_OFF_PHASE or post.subject == ONE_OFF_PHASE:
        return _short(post.body)
    title = post.subject
    kind, _colon, key = post.subject.partition(":")
    if config is not None and kind == "article" and config.article is not None:
        title = config.article.title
    elif config is not None and kind == "course" and (course := config.course(key)):
        title = course.title.rpartition(" : ")[2]  # "Intelligence … : outils, usages…"
    return _("{title} · {phase}").format(title=_short(title), phase=post.phase)


def _short(text: str) -> str:
    """The first words of a text, whole words, within TITLE_LENGTH characters."""
    words = " ".join(text.split())
    if len(words) <= TITLE_LENGTH:
        return words
    cut = words[:TITLE_LENGTH]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"
