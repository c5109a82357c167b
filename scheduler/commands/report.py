"""What happened and what is next: log, status."""

from __future__ import annotations

from typing import Any

import click

from scheduler.commands.common import STATUSES, app, echo_json


@click.command()
@click.option("--since", metavar="TIME", help="Only events at or after TIME.")
@click.option("--channel", help="Only events of posts on this channel.")
@click.option(
    "--status", type=click.Choice(STATUSES), help="Only events of posts now in this status."
)
@click.option("--json", "as_json", is_flag=True, help="A JSON array of events.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV: at, post_id, channel, event, detail.")
def log(
    since: str | None, channel: str | None, status: str | None, as_json: bool, as_csv: bool
) -> None:
    """The post log, oldest first: everything that happened to every post."""
    from scheduler.output import console, event_json, events_csv, events_table

    if as_json and as_csv:
        raise click.UsageError("Choose --json or --csv, not both.")
    a = app()
    if channel is not None:
        a.officer.channel(channel)
    events = a.store.events(
        since=a.parse_time(since) if since else None, channel=channel, status=status
    )
    tz = a.config.campaign.timezone
    if as_json:
        echo_json([event_json(e, tz) for e in events])
    elif as_csv:
        click.echo(events_csv(events, tz), nl=False)
    else:
        console().print(events_table(events, tz))


@click.command()
@click.option(
    "--json", "as_json", is_flag=True, help="An object: counts, next_due, heartbeat, channels."
)
def status(as_json: bool) -> None:
    """Counts by status, the next due post, and each channel."""
    from rich.table import Table

    from scheduler.output import console, post_json

    a = app()
    tz = a.config.campaign.timezone
    counts = a.store.counts()
    next_post = a.store.next_due()
    channels = {
        name: {
            "type": ch.type,
            "mode": ch.mode,
            "pending": len(a.store.list_posts(["draft", "scheduled"], name)),
        }
        for name, ch in a.config.channels.items()
    }
    data: dict[str, Any] = {
        "counts": {s: counts.get(s, 0) for s in STATUSES},
        "next_due": post_json(next_post, tz) if next_post else None,
        "heartbeat": None,
        "channels": channels,
    }
    if as_json:
        echo_json(data)
        return
    out = console()
    table = Table(title="Posts by status")
    table.add_column("status")
    table.add_column("posts", justify="right")
    for name, number in data["counts"].items():
        if number:
            table.add_row(name, str(number))
    out.print(table)
    if next_post:
        out.print(
            f"Next due: post {next_post.id} on {next_post.channel} at "
            f"{post_json(next_post, tz)['due_at']}."
        )
    else:
        out.print("Nothing scheduled.")
    for name, info in channels.items():
        out.print(f"Channel {name}: {info['type']}, {info['mode']}, {info['pending']} pending.")
    out.print("Daemon: no heartbeat recorded.")


COMMANDS = [log, status]
