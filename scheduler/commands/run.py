"""Running the campaign: the daemon and the demo."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from scheduler.commands.common import app, say
from scheduler.speaking import command


@command()
@click.option("--once", is_flag=True, help="One pass over what is due, then exit (for cron).")
def daemon(once: bool) -> None:
    """Publish due posts until stopped (SIGTERM or Ctrl-C finish the post in flight first)."""
    from posts.confirming import CONFIRMED, UNCONFIRMED, VANISHED
    from posts.store import counted
    from scheduler.channels import build_channels
    from scheduler.daemon import Daemon, LocalTimeFormatter
    from scheduler.notify import Notifier
    from scheduler.permissions import permission_warnings

    read_back_events = (CONFIRMED, VANISHED, UNCONFIRMED)  # read-backs, not publications

    a = app()
    for warning in permission_warnings(a.config):
        say(f"Warning: {warning}")
    channels = build_channels(a.config)  # a live channel without its token stops here
    notify = a.config.notify
    campaign = a.config.campaign
    notifier = Notifier(notify, campaign.name, campaign.timezone) if notify else None
    worker = Daemon(a.config, a.store, channels, notifier=notifier, campaigns=a.campaigns)
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
            say(
                f"{counted(handled)} handled"
                + (f", {counted(read_back)} read back." if read_back else ".")
            )
        else:
            worker.run()
    finally:
        logger.removeHandler(handler)


@command()
@click.option(
    "--keep",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Run in this folder and keep it (default: a temporary folder, removed).",
)
def demo(keep: Path | None) -> None:
    """Replay the shipped campaign in fast-forward in a throwaway sandbox, and print the log."""
    import shutil

    from posts.store import counted
    from scheduler.demo import run_demo
    from scheduler.output import console, events_table

    a = app()
    started = time.perf_counter()
    if keep is not None:
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
        click.echo(
            f"{counted(len(result.posts))}: {published} published, {result.count('expired')} "
            f"expired, {result.count('missed')} missed, {result.count('failed')} failed; "
            f"{len(result.late_links)} carrying the offprint link published after its deadline"
            + (f" ({deadline.astimezone(tz).isoformat(timespec='minutes')})." if deadline else ".")
        )
        replayed = f"Replayed in {time.perf_counter() - started:.1f} s over {result.ticks} ticks; "
        if keep is not None:
            say(f"{replayed}the requests each network would have received are in {outbox}.")
        else:
            say(
                f"{replayed}the requests each network would have received were written to a "
                "temporary outbox/, removed now: run `postsched demo --keep DIR` to keep them "
                "in DIR/outbox and read them."
            )
    finally:
        if keep is None:
            shutil.rmtree(result.folder, ignore_errors=True)
    if result.late_links:
        raise click.ClickException("a post carrying the link was published after its deadline")


COMMANDS = [daemon, demo]
