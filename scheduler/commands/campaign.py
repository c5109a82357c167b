"""Setting up and planning: init, check, plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from posts.language import N_, clauses, ngettext
from posts.language import gettext as _
from scheduler.app import App
from scheduler.commands.common import app, campaign_option, echo_json, say
from scheduler.speaking import command

if TYPE_CHECKING:
    from posts.officer import Officer

T = TypeVar("T")
# The columns of `check`'s table of rendered templates.
COLUMNS = (N_("channel"), N_("subject"), N_("phase"), N_("template"), N_("length"), N_("text"))


@command()
def init() -> None:
    """Create the database, or migrate it to this version's schema. Safe to run again."""
    from scheduler.database import display_url, open_engine, upgrade

    a = app()
    engine = open_engine(a.database_url, create=True)
    before, after = upgrade(engine)
    shown = display_url(a.database_url)
    if before == after:
        click.echo(
            _("{database} is up to date (schema {schema}).").format(database=shown, schema=after)
        )
    elif before is None:
        click.echo(_("{database} created (schema {schema}).").format(database=shown, schema=after))
    else:
        click.echo(
            _("{database} migrated from schema {before} to {after}.").format(
                database=shown, before=before, after=after
            )
        )


@command()
@click.option(
    "--online",
    is_flag=True,
    help=N_(
        "Also verify each live channel's token with its "
        "network, and say who it posts as and when the token expires."
    ),
)
@campaign_option(N_("Check only this campaign (default: every campaign of the installation)."))
@click.option(
    "--strict",
    is_flag=True,
    help=N_(
        "Fail when a template breaks an accessibility rule (hashtags, emoji, alt text) "
        "instead of warning."
    ),
)
def check(online: bool, campaign: str | None, strict: bool) -> None:
    """Validate config.toml and render every template for every subject and channel."""
    from rich.table import Table

    from scheduler.channels import require_real_target
    from scheduler.output import console, one_line
    from scheduler.permissions import permission_warnings

    a = app()
    for warning in permission_warnings(a.config):
        say(_("Warning: {message}").format(message=warning))
    for channel in a.config.channels.values():
        if channel.mode == "live":
            require_real_target(channel)
    from posts.errors import InputError, PostschedError
    from posts.link_health import links_of
    from posts.problems import ProblemsError
    from scheduler.campaigns import load_campaigns

    # Every campaign file must read here, where a broken one is refused rather than left out.
    names = [campaign] if campaign is not None else list(load_campaigns(a.config))
    failed: list[str] = []
    links: list[str] = []  # every link the campaigns' posts carry, for --online
    for name in names:
        planner = a.planner_for(name)
        source = planner.config.path.name if planner.config.path else "config.toml"
        try:
            prefix = f"{source}: " if len(names) > 1 else ""  # a file name before each line
            rendered = listing_problems(planner.render_all, prefix=prefix)
        except ProblemsError as exc:
            failed.append(f"{prefix}{str(exc).rstrip('.')}")
            continue
        table = Table(
            title=_("Templates of {campaign}").format(campaign=planner.config.campaign.name)
        )
        for column in COLUMNS:
            table.add_column(_(column))
        for item in rendered:
            post = item.post
            table.add_row(
                post.channel,
                post.subject,
                post.phase,
                item.template,
                _length(planner, post.channel, post.body),
                one_line(post.body, 40),
            )
        if not a.quiet:
            console().print(table)
        warnings = planner.campaign_warnings(
            (i.template, i.post.plan_key, i.post.channel, i.post.body) for i in rendered
        )
        for warning in warnings:
            say(_("Warning: {message}").format(message=warning))
        if strict and warnings:
            failed.append(f"{prefix}{accessibility_failure(len(warnings))}")
            continue
        click.echo(every_post_renders(source, len(rendered)))
        links += [u for item in rendered for u in links_of(item.post.link, item.post.body)]
    if failed:
        raise InputError(clauses(failed) + ".")
    if online:
        from scheduler.link_report import campaign_urls, check_links, dead_links_sentence

        dead = check_links(a, campaign_urls(a, names) + links)  # one sentence a link
        check_tokens(a)
        if dead:
            raise PostschedError(dead_links_sentence(dead))


def check_tokens(a: App) -> None:
    """`check --online`: ask each live network who the token is; refuse if any says no."""
    from posts.errors import PostschedError
    from scheduler.overview import token_checks

    checks = token_checks(a)
    for check in checks:
        click.echo(
            _("{channel}: {message}").format(channel=check["channel"], message=check["message"])
        )
    failures = [c["channel"] for c in checks if not c["ok"]]
    if failures:
        raise PostschedError(
            _("{channels} failed the online check (each one's line above says why).").format(
                channels=", ".join(failures)
            )
        )


@command()
@click.option(
    "--as-of", "as_of", metavar="TIME", help=N_("Plan as if it were TIME (default: now).")
)
@click.option("--dry-run", is_flag=True, help=N_("Show the plan; write nothing."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the planned posts as JSON."))
@campaign_option(
    N_("The campaign to plan, among config.toml's own and those it lists in campaigns.")
)
def plan(as_of: str | None, dry_run: bool, as_json: bool, campaign: str | None) -> None:
    """Compute the campaign; without --dry-run, insert the posts not yet in the database.

    Planning one campaign never changes another's posts; the slots they hold on a channel are
    kept free of this one's."""
    from posts.models import Status
    from posts.planning import LINK_EXPIRED
    from scheduler.output import console, planned_json, planned_table, post_json

    a = app()
    officer = a.planner_for(campaign) if dry_run else a.officer_for(campaign)
    if dry_run and a.has_database():
        officer = a.officer_for(campaign)  # the slots other campaigns hold count here too
    config = officer.config
    tz = config.campaign.timezone
    moment = a.parse_time(as_of) if as_of else a.now()
    result = listing_problems(lambda: officer.compute_plan(moment))
    for note in result.notes:
        say(note)
    for skipped in result.skipped:
        if skipped.reason == LINK_EXPIRED:
            continue  # the plan's note already says so
        if skipped.channel:
            said = _("Skipped {subject} {phase} on {channel}: {reason}.")
        else:
            said = _("Skipped {subject} {phase}: {reason}.")
        say(
            said.format(
                subject=skipped.subject,
                phase=skipped.phase,
                channel=skipped.channel,
                reason=skipped.reason,
            )
        )
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
            lengths = [_length(officer, p.channel, p.body) for p in result.posts]
            console().print(planned_table(result.posts, tz, lengths))
            count = len(result.posts)
            say(
                ngettext(
                    "{count} post planned; nothing written (--dry-run).",
                    "{count} posts planned; nothing written (--dry-run).",
                    count,
                ).format(count=count)
            )
        return
    report = officer.save_plan(result, a.now())
    if as_json:
        echo_json([post_json(p, tz) for p in report.inserted + report.updated])
    else:
        click.echo(report.summary(status))
        if report.inserted and config.campaign.review:
            name = config.campaign.name
            say(
                _(
                    "Review them with `postsched queue --campaign {name}`, then "
                    "`postsched approve --all --campaign {name}` or by id."
                ).format(name=name)
            )


def listing_problems(work: Callable[[], T], prefix: str = "") -> T:
    """Run `work`; if posts need work, list every problem on stderr, one a line, before the
    closing `Error: …` sentence."""
    from posts.problems import ProblemsError

    try:
        return work()
    except ProblemsError as exc:
        for problem in exc.problems:
            click.echo(prefix + problem.line(), err=True)
        raise


def accessibility_failure(number: int) -> str:
    """`check --strict`'s refusal when templates break accessibility rules."""
    return ngettext(
        "{count} accessibility warning above, which --strict refuses (docs/templates.md says "
        "why each rule exists)",
        "{count} accessibility warnings above, which --strict refuses (docs/templates.md says "
        "why each rule exists)",
        number,
    ).format(count=number)


def every_post_renders(source: str, number: int) -> str:
    """`check`'s sentence for one campaign file whose posts all render."""
    return ngettext(
        "{source} is valid and its {count} post renders within its limit.",
        "{source} is valid and all {count} posts render within their limits.",
        number,
    ).format(source=source, count=number)


def _length(officer: Officer, channel: str, body: str) -> str:
    network = officer.network(channel)
    return f"{network.measure(body)}/{network.limit}"


COMMANDS = [init, check, plan]
