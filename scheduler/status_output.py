"""`status` for people: the counts, the next due post, the daemon, each channel with what to do
about it, and each link's last check; `status --json` prints status_data as it is."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from posts.labels import status_label
from posts.language import clauses, ngettext, show_date, show_time
from posts.language import gettext as _
from scheduler.output import console


def _instant(value: str | None, tz: ZoneInfo) -> str:
    """An ISO 8601 instant of status_data, for a person."""
    return show_time(datetime.fromisoformat(value), tz) if value else ""


def _day(value: str) -> str:
    """An ISO 8601 day of status_data, inside a sentence."""
    return show_date(date.fromisoformat(value))


def print_status(data: dict[str, Any], tz: ZoneInfo) -> None:
    """`status` for people: counts, next due post, daemon, channels (what to do if paused).
    `data` is status_data's (ISO 8601 times), shown in the current language in `tz`."""
    from rich.table import Table

    out = console()
    campaigns = data.get("campaigns") or []
    if data.get("campaign"):
        title = _("Posts of {campaign} by status").format(campaign=data["campaign"])
    else:
        title = _("Posts by status")
        if len(campaigns) > 1:
            out.print(_("Campaigns: {names}.").format(names=", ".join(campaigns)), markup=False)
    table = Table(title=title)
    table.add_column(_("status"))
    table.add_column(_("posts"), justify="right")
    for name, number in data["counts"].items():
        if number:
            table.add_row(status_label(name), str(number))
    out.print(table)
    gone = data.get("vanished") or []
    if gone:
        named = ", ".join(f"{p['id']} ({p['channel']})" for p in gone)
        out.print(
            ngettext(
                "Vanished after publication, check them: post {posts}.",
                "Vanished after publication, check them: posts {posts}.",
                len(gone),
            ).format(posts=named),
            markup=False,
        )
    post = data["next_due"]
    if post:
        out.print(
            _("Next due: post {id} on {channel} at {time}.").format(
                id=post["id"],
                channel=post["channel"],
                time=_instant(post["next_attempt_at"] or post["due_at"], tz),
            ),
            markup=False,
        )
    else:
        out.print(_("Nothing scheduled."))
    beat = data["heartbeat"]
    if beat is None:
        out.print(_("Daemon: never run against this database."))
    elif beat["running"]:
        out.print(
            _("Daemon: running, last tick {time} ({seconds} s ago).").format(
                time=_instant(beat["last_tick_at"], tz), seconds=f"{beat['age_seconds']:.0f}"
            ),
            markup=False,
        )
    else:
        out.print(
            _("Daemon: not running (last tick {time}).").format(
                time=_instant(beat["last_tick_at"], tz)
            ),
            markup=False,
        )
    for name, info in data["channels"].items():
        out.print(channel_line(name, info, tz), markup=False)
    from scheduler.link_report import link_line

    for link in data.get("links") or []:
        out.print(link_line(link, tz), markup=False)


def channel_line(name: str, info: dict[str, Any], tz: ZoneInfo) -> str:
    """One channel of `status`: its health, then what to do about it, in clauses a semicolon
    apart, each a whole sentence of its own in the catalog."""
    fields = {"name": name, "type": info["type"], "mode": info["mode"], "pending": info["pending"]}
    if info["health"] == "paused":
        head = _("Channel {name}: {type}, {mode}, paused, {pending} pending")
    elif info["health"] == "ok":
        head = _("Channel {name}: {type}, {mode}, ok, {pending} pending")
    else:
        head = _("Channel {name}: {type}, {mode}, unknown, {pending} pending")
    parts = [head.format(**fields)]
    if info["health"] == "paused":
        reason = info["paused_reason"]
        if info["paused_until"]:
            parts.append(
                _("paused until {time}: {reason}").format(
                    time=_instant(info["paused_until"], tz), reason=reason
                )
            )
        else:
            parts.append(_("paused: {reason}").format(reason=reason))
        if info["paused_until"] is None and "renew" not in (reason or ""):
            parts.append(
                _("renew the token (postsched connect {name}) and restart the daemon").format(
                    name=name
                )
            )
    if info.get("token_source"):
        token = [_("token from {source}").format(source=info["token_source"])]
        if info.get("token_account"):
            token.append(_("posts as {account}").format(account=info["token_account"]))
        if info.get("token_expires"):
            token.append(_("expires {date}").format(date=_day(info["token_expires"])))
        parts.append(", ".join(token))
    elif info.get("token_problem"):
        parts.append(info["token_problem"].rstrip("."))
    if info.get("token_warning"):
        parts.append(_("warning: {warning}").format(warning=info["token_warning"]))
    return clauses(parts) + "."
