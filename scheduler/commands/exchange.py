"""The queue to and from files: import (one-off posts from CSV) and export (iCalendar, CSV)."""

from __future__ import annotations

from pathlib import Path

import click

from posts.errors import InputError
from posts.language import N_, ngettext
from posts.language import gettext as _
from scheduler.commands.common import (
    STATUSES,
    app,
    campaign_option,
    echo_json,
    say,
    text_strict_option,
    warn,
)
from scheduler.speaking import command


@command("import")
@click.option(
    "--csv",
    "csv_file",
    required=True,
    type=click.Path(path_type=Path),
    help=N_("One post per row: channel, time, text[, link, link_expires, image, alt, subject]."),
)
@campaign_option(
    N_("The campaign the rows belong to (default: the file's campaign column, else config.toml's).")
)
@text_strict_option
@click.option("--json", "as_json", is_flag=True, help=N_("Print the new posts as JSON."))
def import_command(csv_file: Path, campaign: str | None, strict: bool, as_json: bool) -> None:
    """Queue one-off posts from a CSV file: every row is checked before any is inserted."""
    from scheduler.exchange import read_posts_csv
    from scheduler.output import post_json

    a = app()
    rows = read_posts_csv(csv_file, a.parse_time, channels=a.config.channels)
    if campaign is None and len(rows.campaigns) > 1:
        raise InputError(
            _(
                "{file} holds posts of several campaigns ({campaigns}): "
                "import them with --campaign NAME, one campaign's rows at a time."
            ).format(file=csv_file, campaigns=", ".join(sorted(rows.campaigns)))
        )
    if campaign is None and rows.campaigns:
        campaign = next(iter(rows.campaigns))
    posts = a.officer_for(campaign).add_many(rows, a.now(), strict=strict, warn=warn)
    if as_json:
        echo_json([post_json(p, a.config.campaign.timezone) for p in posts])
    else:
        click.echo(queued_from(len(posts), csv_file, [p.id for p in posts]))
    if rows.skipped:
        say(
            ngettext(
                "Skipped {count} row of a post no longer draft or scheduled "
                "(published, failed, cancelled…): {rows}.",
                "Skipped {count} rows of posts no longer draft or scheduled "
                "(published, failed, cancelled…): {rows}.",
                len(rows.skipped),
            ).format(count=len(rows.skipped), rows=", ".join(rows.skipped))
        )


def queued_from(count: int, csv_file: Path, ids: list[int]) -> str:
    """What `import` says it inserted: '1 post queued from a.csv (id 12).', 'ids 12-15'."""
    if count == 1:
        return _("{count} post queued from {file} (id {id}).").format(
            count=count, file=csv_file, id=ids[0]
        )
    return ngettext(
        "{count} post queued from {file} (ids {first}-{last}).",
        "{count} posts queued from {file} (ids {first}-{last}).",
        count,
    ).format(count=count, file=csv_file, first=ids[0] if ids else "", last=ids[-1] if ids else "")


@command("export")
@click.option(
    "--ics",
    "ics_file",
    type=click.Path(path_type=Path),
    help=N_("The schedule as an iCalendar file, for the officer's calendar."),
)
@click.option("--csv", "csv_file", type=click.Path(path_type=Path), help=N_("Every post as CSV."))
@campaign_option(N_("Only the posts of this campaign (default: every campaign)."))
def export_command(ics_file: Path | None, csv_file: Path | None, campaign: str | None) -> None:
    """Write the schedule to a file for other tools: a calendar or a spreadsheet."""
    from posts.timing import format_instant
    from scheduler.exchange import calendar_posts, csv_bytes, csv_delimiter, posts_csv, posts_ics

    if (ics_file is None) == (csv_file is None):
        raise click.UsageError(_("Give --ics FILE or --csv FILE."))
    a = app()
    tz = a.config.campaign.timezone
    campaign = a.campaign_filter(campaign)
    posts = a.store.list_posts(STATUSES, campaign=campaign)
    target = ics_file or csv_file
    assert target is not None
    if ics_file is not None:
        content = posts_ics(posts, campaign or a.config.campaign.name, a.campaigns)
        events = len(calendar_posts(posts))
        done = ngettext(
            "Wrote {count} event to {file}.", "Wrote {count} events to {file}.", events
        ).format(count=events, file=target)
    else:
        delimiter = csv_delimiter(a.config.campaign.language)
        content = csv_bytes(
            posts_csv(posts, lambda v: format_instant(v, tz, timespec="seconds"), delimiter)
        )
        done = ngettext(
            "{count} post written to {file}.", "{count} posts written to {file}.", len(posts)
        ).format(count=len(posts), file=target)
    try:
        target.write_bytes(content)
    except OSError as exc:
        raise InputError(
            _("cannot write {file}: {reason}.").format(file=target, reason=exc.strerror)
        ) from None
    click.echo(done)


COMMANDS = [import_command, export_command]
