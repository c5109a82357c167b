"""The officer's verbs on the queue: add, queue, show, preview, approve, cancel, edit, retry."""

from __future__ import annotations

from pathlib import Path

import click

from posts.errors import InputError
from scheduler.commands.common import (
    STATUSES,
    app,
    campaign_option,
    echo_json,
    say,
    strict_option,
    warn,
)
from scheduler.speaking import command


@command()
@click.argument("channel")
@click.option(
    "--at",
    "at",
    required=True,
    metavar="TIME",
    help="When: ISO 8601 (with or without offset), now, +90s, +10m, +2h, +3d.",
)
@click.option("--text", help="The exact text to publish.")
@click.option(
    "--template",
    metavar="NAME",
    help="Render this template instead: a phase (announce, last-call…) or a path under templates/.",
)
@click.option(
    "--subject",
    metavar="S",
    help="What the post promotes: article, course:<key>… (default article with --template).",
)
@click.option(
    "--link", metavar="URL", help="The link the post carries (added to the text if absent)."
)
@click.option(
    "--link-expires",
    metavar="TIME",
    help="When that link stops working; the post "
    "is never published after it, minus the campaign's safety margin.",
)
@click.option("--image", type=click.Path(path_type=Path), help="An image to attach.")
@click.option("--alt", metavar="TEXT", help="The image's alt text (required with --image).")
@campaign_option(
    "The campaign it belongs to: its subjects, templates and rules (default: config.toml's)."
)
@strict_option
@click.option("--json", "as_json", is_flag=True, help="Print the new post as JSON.")
def add(
    channel: str,
    at: str,
    text: str | None,
    template: str | None,
    subject: str | None,
    link: str | None,
    link_expires: str | None,
    image: Path | None,
    alt: str | None,
    campaign: str | None,
    strict: bool,
    as_json: bool,
) -> None:
    """Queue a one-off post on CHANNEL; it is scheduled at once (the officer wrote it)."""
    from posts.officer import AddRequest
    from posts.timing import format_instant
    from scheduler.output import post_json

    a = app()
    a.require_channel(channel)
    request = AddRequest(
        channel=channel,
        at=a.parse_time(at),
        text=text,
        template=template,
        subject=subject,
        link=link,
        link_expires=a.parse_time(link_expires) if link_expires else None,
        image=image,
        alt=alt,
    )
    post = a.officer_for(campaign).add(request, a.now(), strict=strict, warn=warn)
    if as_json:
        echo_json(post_json(post, a.config.campaign.timezone))
    else:
        when = format_instant(post.due_at, a.config.campaign.timezone)
        click.echo(f"Post {post.id} queued on {post.channel} for {when}.")


# How many posts `queue` shows as a table unless told otherwise: the next ones by due time.
QUEUE_ROWS = 50


@command("queue")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only posts in this status (repeatable; default: draft, scheduled, publishing).",
)
@click.option("--channel", help="Only posts on this channel.")
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=2**63 - 1),
    metavar="N",
    help=f"At most N posts, the next by due time (default: {QUEUE_ROWS} in the table, "
    "every one with --json).",
)
@click.option("--all", "show_all", is_flag=True, help="Every post, however many.")
@campaign_option("Only posts of this campaign (default: every campaign).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def queue_command(
    statuses: tuple[str, ...],
    channel: str | None,
    limit: int | None,
    show_all: bool,
    campaign: str | None,
    as_json: bool,
) -> None:
    """Posts not yet final, by due time (the next 50 in the table; --all for every one)."""
    from posts.store import counted
    from scheduler.output import post_json, posts_lines, terminal_width

    if show_all and limit is not None:
        raise click.UsageError("Give --limit N or --all, not both.")
    a = app()
    if channel is not None:
        a.require_channel(channel)
    campaign = a.campaign_filter(campaign)
    if show_all or (as_json and limit is None):
        limit = None
    elif limit is None:
        limit = QUEUE_ROWS
    posts = a.store.list_posts(statuses or None, channel, limit=limit, campaign=campaign)
    total = len(posts)
    if limit is not None and len(posts) == limit:
        total = a.store.count_posts(statuses or None, channel, campaign=campaign)
    tz = a.config.campaign.timezone
    if as_json:
        echo_json([post_json(p, tz) for p in posts])
    else:
        # click.echo drops the colours when stdout is not a terminal.
        click.echo("\n".join(posts_lines(posts, tz, width=terminal_width(), color=True)))

    if total > len(posts):
        say(
            f"{len(posts)} of {total} posts shown, the next by due time; "
            f"{total - len(posts)} more not shown (--limit N or --all)."
        )
    elif not as_json:
        say(f"{counted(len(posts))}{f' of {campaign}' if campaign else ''}.")


@command()
@click.argument("post_id", type=int, metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="The post with an `events` array, as JSON.")
def show(post_id: int, as_json: bool) -> None:
    """One post with all its events."""
    from rich.table import Table

    from scheduler.output import console, events_table, post_json

    a = app()
    post = a.store.get(post_id)
    tz = a.config.campaign.timezone
    if as_json:
        echo_json(post_json(post, tz, events=True))
        return
    table = Table(show_header=False, title=f"Post {post.id}")
    table.add_column(style="bold")
    table.add_column()
    for key, value in post_json(post, tz).items():
        if key != "body" and value not in (None, ""):
            table.add_row(key, str(value))
    out = console()
    out.print(table)
    out.print(post.body, markup=False)
    out.print(events_table(post.events, tz))


@command()
@click.argument("post_id", type=int, metavar="ID")
def preview(post_id: int) -> None:
    """The text exactly as the network will receive it, with its length against the limit."""
    a = app()
    post = a.store.get(post_id)
    network = a.officer.network(post.channel)
    channel = a.config.channels[post.channel]
    sent = network.sent(post.body)
    if sent != post.body:
        # stdout stays the exact text sent; what it is, and the text readers see, go to stderr.
        click.echo(f"{network.sent_label()}:", err=True)
    click.echo(sent)
    if sent != post.body:
        click.echo(f"\nAs readers see it on {network.name}:", err=True)
        click.echo(post.body, err=True)
    click.echo()
    note = f" ({network.counting()})" if network.counting() else ""
    click.echo(
        f"{network.measure(post.body)}/{network.limit} characters on {network.name}{note}, "
        f"channel {post.channel} ({channel.mode}).",
        err=True,
    )


def _ids_or_all(ids: tuple[int, ...], all_drafts: bool) -> list[int] | None:
    if all_drafts and ids:
        raise click.UsageError("Give post ids or --all, not both.")
    if not all_drafts and not ids:
        raise click.UsageError("Give at least one post id, or --all.")
    return None if all_drafts else list(ids)


@command()
@click.argument("post_ids", type=int, nargs=-1, metavar="ID...")
@click.option("--all", "all_drafts", is_flag=True, help="Approve every draft.")
@campaign_option("With --all: only this campaign's drafts.")
def approve(post_ids: tuple[int, ...], all_drafts: bool, campaign: str | None) -> None:
    """Approve drafts: they become scheduled and the daemon will publish them."""
    a = app()
    if campaign is not None and not all_drafts:
        raise click.UsageError("--campaign goes with --all; ids name their posts already.")
    ids = _ids_or_all(post_ids, all_drafts)
    posts = a.store.approve(ids, now=a.now(), campaign=a.campaign_filter(campaign))
    from posts.store import counted

    click.echo(f"{counted(len(posts))} approved." if posts else "No draft to approve.")
    now = a.now()
    late = [p.id for p in posts if p.due_at < now]
    if late:
        say(
            f"Already past their due time: {', '.join(map(str, late))}; the daemon marks them "
            "missed after the grace period unless you `edit --at` or `retry --at` them."
        )


@command()
@click.argument("post_ids", type=int, nargs=-1, required=True, metavar="ID...")
def cancel(post_ids: tuple[int, ...]) -> None:
    """Cancel drafts or scheduled posts; they stay in the log as cancelled."""
    a = app()
    from posts.store import counted

    posts = a.store.cancel(post_ids, now=a.now())
    click.echo(f"{counted(len(posts))} cancelled.")


@command()
@click.argument("post_id", type=int, metavar="ID")
@click.option("--text", help="The new text.")
@click.option("--at", metavar="TIME", help="The new due time.")
@strict_option
def edit(post_id: int, text: str | None, at: str | None, strict: bool) -> None:
    """Change a draft's or scheduled post's text or time; a re-plan never undoes it."""
    a = app()
    when = a.parse_time(at) if at else None
    officer = a.officer_of_post(post_id)
    post = officer.edit(post_id, a.now(), text=text, at=when, strict=strict, warn=warn)
    click.echo(f"Post {post.id} edited.")


@command()
@click.argument("post_id", type=int, metavar="ID")
@click.option("--at", metavar="TIME", help="When to try again (default: now).")
@strict_option
def retry(post_id: int, at: str | None, strict: bool) -> None:
    """Schedule a failed, missed, expired or unknown post again."""
    a = app()
    when = a.parse_time(at) if at else None
    officer = a.officer_of_post(post_id)
    post = officer.retry(post_id, a.now(), at=when, strict=strict, warn=warn)
    click.echo(f"Post {post.id} scheduled again.")


COMMANDS = [add, queue_command, show, preview, approve, cancel, edit, retry]


@command("import")
@click.option(
    "--csv",
    "csv_file",
    required=True,
    type=click.Path(path_type=Path),
    help="One post per row: channel, time, text[, link, link_expires, image, alt, subject].",
)
@campaign_option(
    "The campaign the rows belong to (default: the file's campaign column, else config.toml's)."
)
@strict_option
@click.option("--json", "as_json", is_flag=True, help="Print the new posts as JSON.")
def import_command(csv_file: Path, campaign: str | None, strict: bool, as_json: bool) -> None:
    """Queue one-off posts from a CSV file: every row is checked before any is inserted."""
    from posts.store import counted, id_range
    from scheduler.exchange import read_posts_csv, skipped_rows
    from scheduler.output import post_json

    a = app()
    rows = read_posts_csv(csv_file, a.parse_time, channels=a.config.channels)
    if campaign is None and len(rows.campaigns) > 1:
        raise InputError(
            f"{csv_file} holds posts of several campaigns ({', '.join(sorted(rows.campaigns))}): "
            "import them with --campaign NAME, one campaign's rows at a time."
        )
    if campaign is None and rows.campaigns:
        campaign = next(iter(rows.campaigns))
    posts = a.officer_for(campaign).add_many(rows, a.now(), strict=strict, warn=warn)
    if as_json:
        echo_json([post_json(p, a.config.campaign.timezone) for p in posts])
    else:
        click.echo(f"{counted(len(posts))} queued from {csv_file} ({id_range(posts)}).")
    if rows.skipped:
        say(
            f"Skipped {skipped_rows(len(rows.skipped))} no longer draft or scheduled "
            f"(published, failed, cancelled…): {', '.join(rows.skipped)}."
        )


@command("export")
@click.option(
    "--ics",
    "ics_file",
    type=click.Path(path_type=Path),
    help="The schedule as an iCalendar file, for the officer's calendar.",
)
@click.option("--csv", "csv_file", type=click.Path(path_type=Path), help="Every post as CSV.")
@campaign_option("Only the posts of this campaign (default: every campaign).")
def export_command(ics_file: Path | None, csv_file: Path | None, campaign: str | None) -> None:
    """Write the schedule to a file for other tools: a calendar or a spreadsheet."""
    from posts.store import counted
    from posts.timing import format_instant
    from scheduler.exchange import calendar_posts, csv_bytes, csv_delimiter, posts_csv, posts_ics

    if (ics_file is None) == (csv_file is None):
        raise click.UsageError("Give --ics FILE or --csv FILE.")
    a = app()
    tz = a.config.campaign.timezone
    campaign = a.campaign_filter(campaign)
    posts = a.store.list_posts(STATUSES, campaign=campaign)
    target = ics_file or csv_file
    assert target is not None
    if ics_file is not None:
        content = posts_ics(posts, campaign or a.config.campaign.name, a.campaigns)
        events = len(calendar_posts(posts))
        done = f"Wrote {events} event{'' if events == 1 else 's'} to {target}."
    else:
        delimiter = csv_delimiter(a.config.campaign.language)
        content = csv_bytes(posts_csv(posts, lambda v: format_instant(v, tz), delimiter))
        done = f"{counted(len(posts))} written to {target}."
    try:
        target.write_bytes(content)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}.") from None
    click.echo(done)


COMMANDS.extend([import_command, export_command])
