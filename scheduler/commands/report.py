"""What happened and what is next: log, status."""

from __future__ import annotations

from datetime import date
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
        a.require_channel(channel)
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
@click.option("--json", "as_json", is_flag=True, help="counts, next_due, heartbeat, channels.")
def status(as_json: bool) -> None:
    """Counts by status, the next due post, the daemon's heartbeat, and each channel's health."""
    from posts.claims import Claims
    from posts.timing import format_instant
    from scheduler.output import post_json, print_status

    a = app()
    config = a.config
    tz = config.campaign.timezone
    now = a.now()
    counts = a.store.counts()
    next_post = a.store.next_due()
    claims = Claims(a.store)
    beat = claims.latest_heartbeat()
    states = claims.channel_states()
    channels: dict[str, dict[str, Any]] = {}
    for name, channel in config.channels.items():
        state = states.get(name)
        pending = a.store.list_posts(["draft", "scheduled"], name)
        paused = bool(
            state
            and state.paused_reason
            and (state.paused_until is None or state.paused_until > now)
        )
        channels[name] = {
            "type": channel.type,
            "mode": channel.mode,
            "health": "paused" if paused else ("ok" if state and state.last_ok_at else "unknown"),
            "paused_reason": state.paused_reason if paused and state else None,
            "paused_until": format_instant(state.paused_until, tz) if paused and state else None,
            "token_env": channel.token_env if channel.mode == "live" else None,
            "last_ok_at": format_instant(state.last_ok_at, tz) if state else None,
            "last_error": state.last_error if state else None,
            "last_error_at": format_instant(state.last_error_at, tz) if state else None,
            "pending": len(pending),
            "token_expires": None,
            "token_warning": None,
        }
        expires = channel.options.get("token_expires")
        if channel.mode == "live" and isinstance(expires, date):
            channels[name]["token_expires"] = expires.isoformat()
            last = max((p.due_at for p in pending), default=None)
            if last is not None and last.astimezone(tz).date() > expires:
                channels[name]["token_warning"] = (
                    f"the token in ${channel.token_env} expires on {expires.isoformat()}, before "
                    f"the channel's last scheduled post ({format_instant(last, tz)}): renew it"
                )
    heartbeat = None
    if beat is not None:
        age = (now - beat.last_tick_at).total_seconds()
        heartbeat = {
            "worker": beat.worker,
            "last_tick_at": format_instant(beat.last_tick_at, tz),
            "age_seconds": round(age, 1),
            "stopped_at": format_instant(beat.stopped_at, tz),
            "running": beat.stopped_at is None
            and age < max(60.0, 4 * config.daemon.poll.total_seconds()),
        }
    data: dict[str, Any] = {
        "counts": {s: counts.get(s, 0) for s in STATUSES},
        "next_due": post_json(next_post, tz) if next_post else None,
        "heartbeat": heartbeat,
        "channels": channels,
    }
    if as_json:
        echo_json(data)
    else:
        print_status(data)


COMMANDS = [log, status]
