"""The status of the whole system as one dictionary: what `postsched status` prints and the web
page's status page shows (counts, next due post, the daemon's heartbeat, each channel's health
and token expiry)."""

from __future__ import annotations

from datetime import date
from typing import Any

from posts.claims import Claims
from posts.models import Status
from posts.timing import format_instant
from scheduler.app import App
from scheduler.output import post_json

STATUSES = tuple(s.value for s in Status)


def status_data(a: App) -> dict[str, Any]:
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
    return {
        "counts": {s: counts.get(s, 0) for s in STATUSES},
        "next_due": post_json(next_post, tz) if next_post else None,
        "heartbeat": heartbeat,
        "channels": channels,
    }


def token_checks(a: App) -> list[dict[str, Any]]:
    """`check --online` for each channel: who a live token posts as and when it expires, or
    why the network refused it (a sentence naming no secret). Dry-run channels need none."""
    from posts.errors import PostschedError
    from scheduler.channels import build_channel

    checks: list[dict[str, Any]] = []
    for name, channel in a.config.channels.items():
        if channel.mode != "live":
            checks.append({"channel": name, "ok": True, "message": "dry-run, no token needed."})
            continue
        try:
            who = build_channel(a.config, name).whoami()  # type: ignore[attr-defined]
        except PostschedError as exc:
            checks.append({"channel": name, "ok": False, "message": str(exc)})
            continue
        expires = who.get("expires")
        if expires:
            when = f"its token expires on {expires} (token_expires in config.toml)"
        elif channel.type == "mastodon":
            when = "its token does not expire until revoked"
        else:
            when = (
                "LinkedIn does not say when the token expires (60 days after it was issued): "
                f"set token_expires in [channels.{name}]"
            )
        account = " ".join(x for x in (who.get("name"), f"({who['account']})") if x)
        checks.append({"channel": name, "ok": True, "message": f"posts as {account}; {when}."})
    return checks
