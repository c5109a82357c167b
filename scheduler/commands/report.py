"""What happened and what is next: log, status, and what published posts reached: report."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from posts.language import N_
from posts.language import gettext as _
from scheduler.commands.common import STATUSES, app, campaign_option, echo_json
from scheduler.speaking import command

if TYPE_CHECKING:
    from posts.campaign import Config


@command()
@click.option("--since", metavar="TIME", help=N_("Only events at or after TIME."))
@click.option("--channel", help=N_("Only events of posts on this channel."))
@click.option(
    "--status", type=click.Choice(STATUSES), help=N_("Only events of posts now in this status.")
)
@campaign_option(N_("Only events of this campaign's posts (default: every campaign)."))
@click.option("--json", "as_json", is_flag=True, help=N_("A JSON array of events."))
@click.option("--csv", "as_csv", is_flag=True, help=N_("CSV: at, post_id, channel, event, detail."))
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
        raise click.UsageError(_("Choose --json or --csv, not both."))
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


@command()
@campaign_option(N_("Count only this campaign's posts (default: every campaign)."))
@click.option("--json", "as_json", is_flag=True, help=N_("counts, next_due, heartbeat, channels."))
def status(campaign: str | None, as_json: bool) -> None:
    """Counts by status, the next due post, the daemon's heartbeat, and each channel's health."""
    from scheduler.overview import status_data
    from scheduler.status_output import print_status

    a = app()
    data = status_data(a, a.campaign_filter(campaign))
    if as_json:
        echo_json(data)
    else:
        print_status(data, a.config.campaign.timezone)


@command()
@campaign_option(N_("Only this campaign's posts (default: every campaign)."))
@click.option("--since", metavar="TIME", help=N_("Only posts published at or after TIME."))
@click.option("--json", "as_json", is_flag=True, help=N_("A JSON array of posts with their reach."))
@click.option(
    "--csv", "as_csv", is_flag=True, help=N_("CSV: one row per post, one column a count.")
)
def report(campaign: str | None, since: str | None, as_json: bool, as_csv: bool) -> None:
    """What each published post reached, at its latest snapshot; totals per subject and
    phase; the best and worst post."""
    from posts.errors import InputError
    from posts.language import show_time
    from posts.reach_report import read_reach
    from scheduler.reach_output import print_report, reach_csv, reach_json, said_once

    if as_json and as_csv:
        raise click.UsageError(_("Choose --json or --csv, not both."))
    a = app()
    tz = a.config.campaign.timezone
    start = a.parse_time(since) if since else None
    if start is not None and start > a.now():
        raise InputError(
            _("--since {time} is in the future: no post has reach there yet.").format(
                time=show_time(start, tz)
            )
        )
    posts = read_reach(a.store, campaign=a.campaign_filter(campaign), since=start)
    if as_json:
        echo_json([reach_json(p, tz) for p in posts])
    elif as_csv:
        click.echo(reach_csv(posts, tz), nl=False)
    else:
        since_shown = show_time(start, tz) if start else None
        print_report(posts, tz, member_notes(a.config), since_shown, said_once(a.config))


def member_notes(config: Config) -> list[str]:
    """Said once per LinkedIn channel that posts as a member, not a page."""
    return [
        _(
            "{channel}: posts as a member, and LinkedIn gives impressions and clicks for a page's "
            "posts only; a member's token cannot read them (docs/reach.md)."
        ).format(channel=name)
        for name, channel in config.channels.items()
        if channel.type == "linkedin"
        and channel.mode == "live"
        and str(channel.options.get("author", "")).startswith("urn:li:person:")
    ]


COMMANDS = [log, status, report]
