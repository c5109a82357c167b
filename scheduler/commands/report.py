"""What happened and what is next: log, status."""

from __future__ import annotations

import click

from scheduler.commands.common import STATUSES, app, campaign_option, echo_json


@click.command()
@click.option("--since", metavar="TIME", help="Only events at or after TIME.")
@click.option("--channel", help="Only events of posts on this channel.")
@click.option(
    "--status", type=click.Choice(STATUSES), help="Only events of posts now in this status."
)
@campaign_option("Only events of this campaign's posts (default: every campaign).")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of events.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV: at, post_id, channel, event, detail.")
def log(
    since: str | None,
    channel: str | None,
    status: str | None,
    campaign: str | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """The post log, oldest first: everything that happened to every post."""
    from scheduler.output import console, event_json, events_csv, events_table

    if as_json and as_csv:
        raise click.UsageError("Choose --json or --csv, not both.")
    a = app()
    if channel is not None:
        a.require_channel(channel)
    events = a.store.events(
        since=a.parse_time(since) if since else None,
        channel=channel,
        status=status,
        campaign=a.campaign_filter(campaign),
    )
    tz = a.config.campaign.timezone
    if as_json:
        echo_json([event_json(e, tz) for e in events])
    elif as_csv:
        click.echo(events_csv(events, tz), nl=False)
    else:
        console().print(events_table(events, tz))


@click.command()
@campaign_option("Count only this campaign's posts (default: every campaign).")
@click.option("--json", "as_json", is_flag=True, help="counts, next_due, heartbeat, channels.")
def status(campaign: str | None, as_json: bool) -> None:
    """Counts by status, the next due post, the daemon's heartbeat, and each channel's health."""
    from scheduler.output import print_status
    from scheduler.overview import status_data

    a = app()
    data = status_data(a, a.campaign_filter(campaign))
    if as_json:
        echo_json(data)
    else:
        print_status(data)


COMMANDS = [log, status]
