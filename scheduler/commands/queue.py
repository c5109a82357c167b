"""The officer's verbs on the queue: add, queue, show, preview, approve, cancel, edit, retry."""

from __future__ import annotations

from pathlib import Path

import click

from posts.language import N_, ngettext
from posts.language import gettext as _
from scheduler.commands.common import (
    STATUSES,
    app,
    campaign_option,
    echo_json,
    say,
    strict_option,
    text_strict_option,
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
    help=N_("When: ISO 8601 (with or without offset), now, +90s, +10m, +2h, +3d."),
)
@click.option("--text", help=N_("The exact text to publish."))
@click.option(
    "--template",
    metavar="NAME",
    help=N_(
        "Render this template instead: a phase (announce, last-call…) or a path under templates/."
    ),
)
@click.option(
    "--subject",
    metavar="S",
    help=N_("What the post promotes: article, course:<key>… (default article with --template)."),
)
@click.option(
    "--link", metavar="URL", help=N_("The link the post carries (added to the text if absent).")
)
@click.option(
    "--link-expires",
    metavar="TIME",
    help=N_(
        "When that link stops working; the post "
        "is never published after it, minus the campaign's safety margin."
    ),
)
@click.option("--image", type=click.Path(path_type=Path), help=N_("An image to attach."))
@click.option("--alt", metavar="TEXT", help=N_("The image's alt text (required with --image)."))
@campaign_option(
    N_("The campaign it belongs to: its subjects, templates and rules (default: config.toml's).")
)
@text_strict_option
@click.option("--json", "as_json", is_flag=True, help=N_("Print the new post as JSON."))
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
    from posts.checks import AddRequest
    from posts.language import show_time
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
        when = show_time(post.due_at, a.config.campaign.timezone)
        click.echo(
            _("Post {id} queued on {channel} for {time}.").format(
                id=post.id, channel=post.channel, time=when
            )
        )


# How many posts `queue` shows as a table unless told otherwise: the next ones by due time.
# --limit's help and queue's docstring say the number (a translated help is a fixed sentence).
QUEUE_ROWS = 50


@command("queue")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help=N_("Only posts in this status (repeatable; default: draft, scheduled, publishing)."),
)
@click.option("--channel", help=N_("Only posts on this channel."))
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=2**63 - 1),
    metavar="N",
    help=N_(
        "At most N posts, the next by due time (default: 50 in the table, every one with --json)."
    ),
)
@click.option("--all", "show_all", is_flag=True, help=N_("Every post, however many."))
@campaign_option(N_("Only posts of this campaign (default: every campaign)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print a JSON array."))
def queue_command(
    statuses: tuple[str, ...],
    channel: str | None,
    limit: int | None,
    show_all: bool,
    campaign: str | None,
    as_json: bool,
) -> None:
    """Posts not yet final, by due time (the next 50 in the table; --all for every one)."""
    from scheduler.output import post_json, posts_lines, terminal_width

    if show_all and limit is not None:
        raise click.UsageError(_("Give --limit N or --all, not both."))
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
            ngettext(
                "{shown} of {total} post shown, the next by due time; "
                "{more} more not shown (--limit N or --all).",
                "{shown} of {total} posts shown, the next by due time; "
                "{more} more not shown (--limit N or --all).",
                total,
            ).format(shown=len(posts), total=total, more=total - len(posts))
        )
    elif not as_json and campaign:
        say(
            ngettext(
                "{count} post of {campaign}.", "{count} posts of {campaign}.", len(posts)
            ).format(count=len(posts), campaign=campaign)
        )
    elif not as_json:
        say(ngettext("{count} post.", "{count} posts.", len(posts)).format(count=len(posts)))


@command()
@click.argument("post_id", type=int, metavar="ID")
@click.option(
    "--json", "as_json", is_flag=True, help=N_("The post with an `events` array, as JSON.")
)
def show(post_id: int, as_json: bool) -> None:
    """One post with all its events."""
    from rich.table import Table

    from scheduler.output import console, events_table, post_fields, post_json

    a = app()
    post = a.store.get(post_id)
    tz = a.config.campaign.timezone
    if as_json:
        echo_json(post_json(post, tz, events=True))
        return
    table = Table(show_header=False, title=_("Post {id}").format(id=post.id))
    table.add_column(style="bold")
    table.add_column()
    for label, value in post_fields(post, tz):
        table.add_row(label, value)
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
        click.echo(
            "\n" + _("As readers see it on {network}:").format(network=network.name), err=True
        )
        click.echo(post.body, err=True)
    click.echo()
    counting = network.counting()
    if counting:
        length = _(
            "{length}/{limit} characters on {network} ({counting}), channel {channel} ({mode})."
        )
    else:
        length = _("{length}/{limit} characters on {network}, channel {channel} ({mode}).")
    click.echo(
        length.format(
            length=network.measure(post.body),
            limit=network.limit,
            network=network.name,
            counting=counting,
            channel=post.channel,
            mode=channel.mode,
        ),
        err=True,
    )


def _ids_or_all(ids: tuple[int, ...], all_drafts: bool) -> list[int] | None:
    if all_drafts and ids:
        raise click.UsageError(_("Give post ids or --all, not both."))
    if not all_drafts and not ids:
        raise click.UsageError(_("Give at least one post id, or --all."))
    return None if all_drafts else list(ids)


@command()
@click.argument("post_ids", type=int, nargs=-1, metavar="ID...")
@click.option("--all", "all_drafts", is_flag=True, help=N_("Approve every draft."))
@campaign_option(N_("With --all: only this campaign's drafts."))
def approve(post_ids: tuple[int, ...], all_drafts: bool, campaign: str | None) -> None:
    """Approve drafts: they become scheduled and the daemon will publish them."""
    a = app()
    if campaign is not None and not all_drafts:
        raise click.UsageError(_("--campaign goes with --all; ids name their posts already."))
    ids = _ids_or_all(post_ids, all_drafts)
    posts = a.store.approve(ids, now=a.now(), campaign=a.campaign_filter(campaign))
    if posts:
        click.echo(
            ngettext("{count} post approved.", "{count} posts approved.", len(posts)).format(
                count=len(posts)
            )
        )
    else:
        click.echo(_("No draft to approve."))
    now = a.now()
    late = [p.id for p in posts if p.due_at < now]
    if late:
        say(
            ngettext(
                # English says "their" for one post too; French needs the singular.
                "Already past their due time: {ids}; the daemon marks them missed after the grace "
                "period unless you `edit --at` or `retry --at` them.",
                "Already past their due time: {ids}; the daemon marks them missed after the grace "
                "period unless you `edit --at` or `retry --at` them.",
                len(late),
            ).format(ids=", ".join(map(str, late)))
        )


@command()
@click.argument("post_ids", type=int, nargs=-1, required=True, metavar="ID...")
def cancel(post_ids: tuple[int, ...]) -> None:
    """Cancel drafts or scheduled posts; they stay in the log as cancelled."""
    a = app()
    posts = a.store.cancel(post_ids, now=a.now())
    click.echo(
        ngettext("{count} post cancelled.", "{count} posts cancelled.", len(posts)).format(
            count=len(posts)
        )
    )


@command()
@click.argument("post_id", type=int, metavar="ID")
@click.option("--text", help=N_("The new text."))
@click.option("--at", metavar="TIME", help=N_("The new due time."))
@click.option("--alt", metavar="TEXT", help=N_("The new alt text of the post's image."))
@text_strict_option
def edit(post_id: int, text: str | None, at: str | None, alt: str | None, strict: bool) -> None:
    """Change a draft's or scheduled post's text, time or image's alt text; a re-plan never
    undoes it."""
    a = app()
    when = a.parse_time(at) if at else None
    officer = a.officer_of_post(post_id)
    post = officer.edit(post_id, a.now(), text=text, at=when, alt=alt, strict=strict, warn=warn)
    click.echo(_("Post {id} edited.").format(id=post.id))


@command()
@click.argument("post_id", type=int, metavar="ID")
@click.option("--at", metavar="TIME", help=N_("When to try again (default: now)."))
@strict_option
def retry(post_id: int, at: str | None, strict: bool) -> None:
    """Schedule a failed, missed, expired or unknown post again."""
    a = app()
    when = a.parse_time(at) if at else None
    officer = a.officer_of_post(post_id)
    post = officer.retry(post_id, a.now(), at=when, strict=strict, warn=warn)
    click.echo(_("Post {id} scheduled again.").format(id=post.id))


COMMANDS = [add, queue_command, show, preview, approve, cancel, edit, retry]
