"""The status of the whole system as one dictionary: what `postsched status` prints and the web
page's status page shows (counts, next due post, the daemon's heartbeat, each channel's health
and token expiry)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from posts.campaign import ChannelConfig
from posts.claims import Claims
from posts.language import gettext as _
from posts.language import show_date, show_time
from posts.models import Status
from posts.timing import format_instant
from scheduler.app import App
from scheduler.link_report import status_links
from scheduler.output import post_json

STATUSES = tuple(s.value for s in Status)


def status_data(a: App, campaign: str | None = None) -> dict[str, Any]:
    """Everything `status` shows; with `campaign`, the counts and next post of that campaign
    only (channels and the daemon are the installation's)."""
    config = a.config
    tz = config.campaign.timezone
    now = a.now()
    counts = a.store.counts(campaign)
    next_post = a.store.next_due(campaign)
    claims = Claims(a.store)
    beat = claims.latest_heartbeat()
    states = claims.channel_states()
    channels: dict[str, dict[str, Any]] = {}
    waiting = a.store.pending_by_channel(["draft", "scheduled"], campaign)
    for name, channel in config.channels.items():
        state = states.get(name)
        pending, last = waiting.get(name, (0, None))
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
            "pending": pending,
            **token_fields(channel),
            "token_warning": None,
        }
        if channels[name]["token_problem"] and channels[name]["health"] == "ok":
            # It published before (dry-run, or with a token since removed): not now.
            channels[name]["health"] = "unknown"
        expires = channels[name]["token_expires"]
        if (
            channel.mode == "live"
            and expires
            and last is not None
            and last.astimezone(tz).date().isoformat() > expires
        ):
            channels[name]["token_warning"] = _(
                "the token ({source}) expires on {date}, before the channel's last "
                "scheduled post ({time}): renew it with postsched connect {name}"
            ).format(
                source=channels[name]["token_source"],
                date=show_date(date.fromisoformat(expires)),
                time=show_time(last, tz),
                name=name,
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
    return {
        "campaign": campaign,
        "campaigns": a.campaign_names(),
        "counts": {s: counts.get(s, 0) for s in STATUSES},
        "next_due": post_json(next_post, tz) if next_post else None,
        # Published, then no longer shown by their network: they need a person.
        "vanished": [
            {"id": p.id, "channel": p.channel, "url": p.remote_url}
            for p in a.store.vanished(campaign)
        ],
        "heartbeat": heartbeat,
        "channels": channels,
        "links": status_links(a, campaign),  # each link's last check (docs/links.md)
    }


def token_fields(channel: ChannelConfig) -> dict[str, Any]:
    """Where a channel's token comes from, whom it posts as, and when it expires."""
    from posts.errors import PostschedError
    from scheduler.credentials import read_token

    fields: dict[str, Any] = {
        "token_source": None,
        "token_account": None,
        "token_expires": None,
        "token_problem": None,
    }
    try:
        token = read_token(channel)
    except PostschedError as exc:
        if channel.mode == "live":
            fields["token_problem"] = str(exc)
        return fields
    configured = channel.options.get("token_expires")
    expires = token.expires_at.date() if token.expires_at else None
    if expires is None and isinstance(configured, date):
        expires = configured
    account = None
    if token.account and token.did:  # Bluesky: the handle, then the DID
        account = f"{token.account} ({token.did})"
    elif token.account:
        account = " ".join(x for x in (token.name, f"({token.account})") if x)
    fields.update(
        token_source=token.source,
        token_account=account,
        token_expires=expires.isoformat() if expires else None,
    )
    return fields


def token_checks(a: App, *, show_path: bool = True) -> list[dict[str, Any]]:
    """`check --online` for each channel: who a live token posts as and when it expires, or
    why the network refused it (a sentence naming no secret). Dry-run channels need none."""
    from posts.errors import AuthError, PostschedError
    from scheduler.channels import build_channel

    checks: list[dict[str, Any]] = []
    for name, channel in a.config.channels.items():
        if channel.mode != "live":
            checks.append({"channel": name, "ok": True, "message": _("dry-run, no token needed.")})
            continue
        source = token_fields(channel)["token_source"]
        if not show_path and source and not str(source).startswith("$"):
            # The web page names no path on the server.
            source = _("postsched's credentials file")
        try:
            who = build_channel(a.config, name).whoami()  # type: ignore[attr-defined]
        except AuthError as exc:
            if channel.type == "bluesky" and source:
                message = bluesky_refused(channel, str(source))
            else:
                message = f"{str(exc).rstrip('.')}."
            checks.append({"channel": name, "ok": False, "message": message})
            continue
        except PostschedError as exc:
            checks.append({"channel": name, "ok": False, "message": f"{str(exc).rstrip('.')}."})
            continue
        expires = who.get("expires")
        if expires:
            when = _("its token ({source}) expires on {date}").format(
                source=source, date=_a_day(expires)
            )
        elif channel.type == "mastodon":
            when = _("its token ({source}) does not expire until revoked").format(source=source)
        elif channel.type == "bluesky":
            when = _("its app password ({source}) does not expire until revoked").format(
                source=source
            )
        else:
            when = _(
                "LinkedIn did not say when its token ({source}) expires (60 days after it was "
                "issued): connect with postsched connect {name}, or set token_expires in "
                "[channels.{name}]"
            ).format(source=source, name=name)
        if channel.type == "bluesky":  # the handle, then the DID
            did = who.get("name")
            account = f"{who['account']} ({did})" if did else str(who["account"])
        else:
            account = " ".join(x for x in (who.get("name"), f"({who['account']})") if x)
        if who.get("via"):
            account = _("{account}, through {via}'s token").format(account=account, via=who["via"])
        checks.append(
            {
                "channel": name,
                "ok": True,
                "message": _("posts as {account}; {when}.").format(account=account, when=when),
            }
        )
    return checks


def bluesky_refused(channel: ChannelConfig, source: str) -> str:
    """A Bluesky server refused the handle with the app password: one sentence."""
    from scheduler.credentials import bluesky_service

    handle = str(channel.options.get("handle", "")).lstrip("@")
    if source.startswith("$"):
        fix = _("set it in {source}").format(source=source)
    else:
        fix = _("run postsched connect {channel} with it").format(channel=channel.name)
    return _(
        "{server} refused @{handle} with the app password from {where}: it was mistyped, "
        "revoked, or is for another account; make a new app password in Bluesky's Settings > "
        "Privacy and security > App passwords and {fix}."
    ).format(server=bluesky_service(channel), handle=handle, where=source, fix=fix)


def _a_day(value: object) -> str:
    """A day a network gave (ISO 8601, or a date), inside a sentence; as given otherwise."""
    if isinstance(value, datetime):
        return show_date(value.date())
    if isinstance(value, date):
        return show_date(value)
    try:
        return show_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)
