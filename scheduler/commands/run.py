"""Running the campaign: the daemon and the demo."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from posts.errors import InputError
from posts.language import N_, ngettext, show_time
from posts.language import gettext as _
from scheduler.commands.common import app, say
from scheduler.speaking import command


@command()
@click.option("--once", is_flag=True, help=N_("One pass over what is due, then exit (for cron)."))
def daemon(once: bool) -> None:
    """Publish due posts until stopped (SIGTERM or Ctrl-C finish the post in flight first)."""
    from posts.confirming import CONFIRMED, UNCONFIRMED, VANISHED
    from scheduler.channels import build_channels
    from scheduler.daemon import Daemon, LocalTimeFormatter
    from scheduler.link_check import link_gate
    from scheduler.notify import Notifier
    from scheduler.permissions import permission_warnings

    read_back_events = (CONFIRMED, VANISHED, UNCONFIRMED)  # read-backs, not publications

    a = app()
    a.wakes_daemon = False  # its own writes need no wake-up
    for warning in permission_warnings(a.config):
        say(_("Warning: {message}").format(message=warning))
    channels = build_channels(a.config)  # a live channel without its token stops here
    notify = a.config.notify
    campaign = a.config.campaign
    notifier = Notifier(notify, campaign.name, campaign.timezone) if notify else None
    links = link_gate(a.config, a.campaigns)  # asks links before posting (docs/links.md)
    worker = Daemon(
        a.config, a.store, channels, notifier=notifier, campaigns=a.campaigns, links=links
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LocalTimeFormatter(campaign.timezone))
    logger = logging.getLogger("postsched")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if a.verbose else logging.INFO)
    try:
        if once:
            report = worker.once()
            read_back = sum(o.event in read_back_events for o in report.outcomes)
            handled = len(report.outcomes) - read_back
            if read_back:
                said = ngettext(
                    "{count} post handled, {read_back} read back.",
                    "{count} posts handled, {read_back} read back.",
                    handled,
                )
            else:
                said = ngettext("{count} post handled.", "{count} posts handled.", handled)
            say(said.format(count=handled, read_back=read_back_count(read_back)))
        else:
            worker.run()
    finally:
        logger.removeHandler(handler)


@command()
@click.option(
    "--keep",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=N_("Run in this folder and keep it (default: a temporary folder, removed)."),
)
def demo(keep: Path | None) -> None:
    """Replay the shipped campaign in fast-forward in a throwaway sandbox, and print the log."""
    import shutil

    from babel.numbers import format_decimal

    from posts.language import babel_locale
    from scheduler.demo import run_demo
    from scheduler.output import console, events_table

    a = app()
    started = time.perf_counter()
    if keep is not None:
        if keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
            raise InputError(
                _(
                    "{folder} is not an empty folder: the demo writes its own config.toml, "
                    "templates/, outbox/ and database there; name a new or empty folder."
                ).format(folder=keep)
            )
        keep.mkdir(parents=True, exist_ok=True)
    result = run_demo(a.config_path, keep)
    try:
        tz = result.config.campaign.timezone
        out = console()
        outbox = result.folder / "outbox"
        # Without --keep the folder is removed below: name the files by where they sit in the
        # outbox rather than print links to files that are gone.
        uri = outbox.resolve().as_uri() + "/"
        gone = (lambda d: d.replace(uri, "outbox/")) if keep is None else str
        out.print(events_table(result.events, tz, gone))
        deadline = result.config.link_deadline()
        published = result.count("published")
        total = len(result.posts)
        if deadline:
            summary = ngettext(
                "{count} post: {published} published, {expired} expired, {missed} missed, "
                "{failed} failed; {late} carrying the offprint link published after its "
                "deadline ({deadline}).",
                "{count} posts: {published} published, {expired} expired, {missed} missed, "
                "{failed} failed; {late} carrying the offprint link published after its "
                "deadline ({deadline}).",
                total,
            )
        else:
            summary = ngettext(
                "{count} post: {published} published, {expired} expired, {missed} missed, "
                "{failed} failed; {late} carrying the offprint link published after its "
                "deadline.",
                "{count} posts: {published} published, {expired} expired, {missed} missed, "
                "{failed} failed; {late} carrying the offprint link published after its "
                "deadline.",
                total,
            )
        click.echo(
            summary.format(
                count=total,
                published=published,
                expired=result.count("expired"),
                missed=result.count("missed"),
                failed=result.count("failed"),
                late=len(result.late_links),
                deadline=show_time(deadline, tz),
            )
        )
        seconds = format_decimal(time.perf_counter() - started, "0.0", locale=babel_locale())
        if keep is not None:
            said = ngettext(
                "Replayed in {seconds} s over {ticks} tick; the requests each network would "
                "have received are in {outbox}.",
                "Replayed in {seconds} s over {ticks} ticks; the requests each network would "
                "have received are in {outbox}.",
                result.ticks,
            )
        else:
            said = ngettext(
                "Replayed in {seconds} s over {ticks} tick; the requests each network would "
                "have received were written to a temporary outbox/, removed now: run "
                "`postsched demo --keep DIR` to keep them in DIR/outbox and read them.",
                "Replayed in {seconds} s over {ticks} ticks; the requests each network would "
                "have received were written to a temporary outbox/, removed now: run "
                "`postsched demo --keep DIR` to keep them in DIR/outbox and read them.",
                result.ticks,
            )
        say(said.format(seconds=seconds, ticks=result.ticks, outbox=outbox))
    finally:
        if keep is None:
            shutil.rmtree(result.folder, ignore_errors=True)
    if result.late_links:
        raise click.ClickException(_("a post carrying the link was published after its deadline"))


def read_back_count(number: int) -> str:
    """How many posts were read back, within `daemon --once`'s sentence."""
    return ngettext("{count} post", "{count} posts", number).format(count=number)


COMMANDS = [daemon, demo]
