"""Setting up and planning: init, check, plan."""

from __future__ import annotations

import click

from scheduler.app import App
from scheduler.commands.common import app, echo_json, say


@click.command()
def init() -> None:
    """Create the database, or migrate it to this version's schema. Safe to run again."""
    from scheduler.database import display_url, open_engine, upgrade

    a = app()
    engine = open_engine(a.database_url, create=True)
    before, after = upgrade(engine)
    shown = display_url(a.database_url)
    if before == after:
        click.echo(f"{shown} is up to date (schema {after}).")
    elif before is None:
        click.echo(f"{shown} created (schema {after}).")
    else:
        click.echo(f"{shown} migrated from schema {before} to {after}.")


@click.command()
@click.option(
    "--online",
    is_flag=True,
    help="Also verify each live channel's token with its "
    "network, and say who it posts as and when the token expires.",
)
def check(online: bool) -> None:
    """Validate config.toml and render every template for every subject and channel."""
    from rich.table import Table

    from scheduler.channels import require_real_target
    from scheduler.output import console, one_line
    from scheduler.permissions import permission_warnings

    a = app()
    for warning in permission_warnings(a.config):
        say(f"Warning: {warning}")
    for channel in a.config.channels.values():
        if channel.mode == "live":
            require_real_target(channel)
    rendered = a.planner.render_all()
    table = Table(title=f"Templates of {a.config.campaign.name}")
    for name in ("channel", "subject", "phase", "template", "length", "text"):
        table.add_column(name)
    for item in rendered:
        post = item.post
        table.add_row(
            post.channel,
            post.subject,
            post.phase,
            item.template,
            _length(a, post.channel, post.body),
            one_line(post.body, 40),
        )
    if not a.quiet:
        console().print(table)
    click.echo(f"{a.config_path.name} is valid and {every_post_renders(len(rendered))}.")
    if online:
        check_tokens(a)


def check_tokens(a: App) -> None:
    """`check --online`: ask each live network who the token is; refuse if any says no."""
    from posts.errors import PostschedError
    from scheduler.overview import token_checks

    checks = token_checks(a)
    for check in checks:
        click.echo(f"{check['channel']}: {check['message']}")
    failures = [c["channel"] for c in checks if not c["ok"]]
    if failures:
        raise PostschedError(
            f"{', '.join(failures)} failed the online check (the reason is above each name)."
        )


@click.command()
@click.option("--as-of", "as_of", metavar="TIME", help="Plan as if it were TIME (default: now).")
@click.option("--dry-run", is_flag=True, help="Show the plan; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the planned posts as JSON.")
def plan(as_of: str | None, dry_run: bool, as_json: bool) -> None:
    """Compute the campaign; without --dry-run, insert the posts not yet in the database."""
    from posts.models import Status
    from posts.store import counted
    from scheduler.output import console, planned_json, planned_table, post_json

    a = app()
    config = a.config
    tz = config.campaign.timezone
    moment = a.parse_time(as_of) if as_of else a.now()
    store = None if dry_run else a.store  # open (and check) the database before any work
    result = a.planner.compute_plan(moment)
    for note in result.notes:
        say(note)
    for skipped in result.skipped:
        if skipped.reason != "link expired":
            where = f" on {skipped.channel}" if skipped.channel else ""
            say(f"Skipped {skipped.subject} {skipped.phase}{where}: {skipped.reason}.")
    status = Status.DRAFT if config.campaign.review else Status.SCHEDULED
    if dry_run:
        if as_json:
            echo_json(
                [
                    planned_json(p, config.campaign.name, status, tz) | {"id": None}
                    for p in result.posts
                ]
            )
        else:
            lengths = [_length(a, p.channel, p.body) for p in result.posts]
            console().print(planned_table(result.posts, tz, lengths))
            say(f"{counted(len(result.posts))} planned; nothing written (--dry-run).")
        return
    assert store is not None
    report = a.officer.save_plan(result, a.now())
    if as_json:
        echo_json([post_json(p, tz) for p in report.inserted + report.updated])
    else:
        click.echo(report.summary(status))
        if report.inserted and config.campaign.review:
            say("Review them with `postsched queue`, then `postsched approve --all` or by id.")


def every_post_renders(number: int) -> str:
    if number == 1:
        return "its 1 post renders within its limit"
    return f"all {number} posts render within their limits"


def _length(a: App, channel: str, body: str) -> str:
    network = a.planner.network(channel)
    return f"{network.measure(body)}/{network.limit}"


COMMANDS = [init, check, plan]
