"""What the campaigns of one installation share, read from config.toml: the database, the
channels, the daemon, the web page, the notices, and the list of its other campaign files
(docs/campaigns.md). A campaign file read through its installation takes these from it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from posts.campaign import (
    NOTIFY_EVENTS,
    ChannelConfig,
    Config,
    DaemonSettings,
    NotifySettings,
    WebSettings,
)
from posts.errors import ConfigError, InputError
from posts.language import gettext as _
from posts.networks import NETWORKS
from posts.timing import parse_duration
from scheduler.config_links import read_links
from scheduler.config_table import Table

CHANNEL_TYPES = tuple(NETWORKS)
# A name in [web] hosts: a host name or IPv4 address, or an IPv6 address, without a port.
HOST_NAME = re.compile(r"[a-z0-9.-]+|\[?[0-9a-f:.]+\]?", re.ASCII | re.IGNORECASE)
# What a [channels.NAME] table may hold, by type: the adapters read these from its options.
CHANNEL_KEYS = {
    "any": (
        *("type", "mode", "outbox", "token_env", "latency", "timeout", "token_expires"),
        *("max_characters", "characters_reserved_per_url", "description_limit"),
    ),
    "mastodon": ("instance", "visibility", "language"),
    "bluesky": ("service", "handle", "language"),
    "linkedin": (
        *("author", "api_url", "api_version"),
        *("oauth_url", "redirect_uri", "client_id_env", "client_secret_env"),
    ),
}
MODES = ("dry-run", "live")
DEFAULT_DATABASE = "sqlite:///postsched.db"


def read_installation(root: Table, base_dir: Path, environ: Mapping[str, str]) -> dict[str, Any]:
    """What the campaigns of one installation share: database, channels, daemon, web page,
    notices, and the list of its other campaign files."""
    channels_table = root.table("channels")
    if not channels_table.data:
        raise ConfigError(_("config.toml: [channels] names no channel; add [channels.<name>]."))
    channels = {
        name: _channel(name, channels_table.table(name), base_dir) for name in channels_table.data
    }
    return {
        "channels": channels,
        "daemon": _daemon(root.table("daemon", required=False)),
        "notify": _notify(root.table("notify", required=False)),
        "database_url": _database_url(root, base_dir, environ),
        "web": _web(root.table("web", required=False), base_dir, environ),
        "campaign_files": _campaign_files(root, base_dir),
        "ui_language": _ui_language(root.table("ui", required=False)),
        "links": read_links(root.table("links", required=False), environ),
    }


def _ui_language(table: Table) -> str | None:
    """[ui] language: the language of the command line, the web page and the notices."""
    from posts.language import LANGUAGES, normalize

    code = table.text("language", required=False)
    if code is None:
        return None
    if normalize(code) is None:
        raise ConfigError(
            _(
                "config.toml: [ui] language {code!r} is not a language postsched speaks; "
                "write one of {languages}."
            ).format(code=code, languages=", ".join(LANGUAGES))
        )
    return normalize(code)


def _daemon(daemon_table: Table) -> DaemonSettings:
    daemon_table.mark("env_file")  # read below only when present
    daemon = DaemonSettings(
        poll=daemon_table.duration("poll", "30s"),
        grace=daemon_table.duration("grace", "2h"),
        claim_timeout=daemon_table.duration("claim_timeout", "10m"),
        max_attempts=daemon_table.integer("max_attempts", 5),
        retry_base=daemon_table.duration("retry_base", "30s"),
        retry_cap=daemon_table.duration("retry_cap", "1h"),
        confirm_after=daemon_table.duration("confirm_after", "10m"),
        env_file=Path(daemon_table.text("env_file")) if "env_file" in daemon_table.data else None,
        reach_after=_reach_after(daemon_table),
    )
    if daemon.max_attempts < 1:
        raise ConfigError(_("config.toml: [daemon] max_attempts must be at least 1."))
    return daemon


def _reach_after(daemon_table: Table) -> tuple[tuple[str, timedelta], ...]:
    """`reach_after = ["1h", "1d", "7d"]`: each a duration, shortest first, none twice."""
    labels = daemon_table.strings("reach_after", ("1h", "1d", "7d"))
    delays = {}
    for label in labels:
        try:
            delays[label] = parse_duration(label)
        except InputError:
            raise ConfigError(
                _(
                    "config.toml: [daemon] reach_after: {label!r} is not a duration: write a "
                    "whole number and a unit, such as 1h, 1d or 7d."
                ).format(label=label)
            ) from None
    return tuple(sorted(delays.items(), key=lambda item: item[1]))


def read_joined(
    root: Table, installation: Config, base_dir: Path, environ: Mapping[str, str]
) -> dict[str, Any]:
    """A campaign file read through its installation: the installation's database, daemon,
    web page and notices; its own [channels], if it has them, name which of the installation's
    channels it posts on. A complete file (one that also runs alone with --config) may repeat
    the installation's tables; they must name the same database."""
    if "campaigns" in root.data:
        raise ConfigError(
            _(
                "config.toml: only the installation's config.toml lists campaign files; remove "
                "campaigns from this campaign file."
            )
        )
    channels = dict(installation.channels)
    if "channels" in root.data:
        named = root.table("channels")
        named.mark(*named.data)
        missing = [name for name in named.data if name not in installation.channels]
        if missing:
            raise ConfigError(
                _(
                    "config.toml: [channels.{channel}] is not a channel of the installation "
                    "(channels: {channels}); add it to the installation's config.toml first."
                ).format(channel=missing[0], channels=", ".join(installation.channels))
            )
        if named.data:
            channels = {name: installation.channels[name] for name in named.data}
    if "database" in root.data:
        url = _database_url(root, base_dir, environ)
        if url != installation.database_url:
            raise ConfigError(
                _(
                    "config.toml: [database] url names another database than the "
                    "installation's; one installation keeps all its campaigns in one database: "
                    "remove [database] from the campaign file or make it the same."
                )
            )
    # A complete file may repeat the installation's daemon and notices, not change them: a
    # setting that would be silently dropped is refused instead.
    for name, parse, theirs in (
        ("daemon", _daemon, installation.daemon),
        ("notify", _notify, installation.notify),
    ):
        if name in root.data and parse(root.table(name)) != theirs:
            raise ConfigError(
                _(
                    "config.toml: [{table}] differs from the installation's; the daemon and its "
                    "notices are the installation's: remove [{table}] from this campaign file, "
                    "or change it in the installation's config.toml."
                ).format(table=name)
            )
    for shared in ("web", "ui", "links"):
        if shared in root.data:
            root.table(shared).mark(*root.data[shared])
    return {
        "channels": channels,
        "daemon": installation.daemon,
        "notify": installation.notify,
        "database_url": installation.database_url,
        "web": installation.web,
        "ui_language": installation.ui_language,
        "links": installation.links,
    }


def _database_url(root: Table, base_dir: Path, environ: Mapping[str, str]) -> str:
    database_table = root.table("database", required=False)
    database_table.mark("url")
    url = environ.get("POSTSCHED_DATABASE_URL") or database_table.text("url", DEFAULT_DATABASE)
    return resolve_database_url(url, base_dir)


def _campaign_files(root: Table, base_dir: Path) -> tuple[Path, ...]:
    """`campaigns`: the installation's other campaign files, paths or patterns relative to
    config.toml (`campaigns/*.toml`). A pattern may match nothing; a plain path must exist."""
    files: list[Path] = []
    for pattern in root.strings("campaigns"):
        if any(c in pattern for c in "*?["):
            found = sorted(p for p in base_dir.glob(pattern) if p.is_file())
        else:
            found = [base_dir / pattern]
            if not found[0].is_file():
                raise ConfigError(
                    _(
                        "config.toml: campaigns names {path!r}, which is not a file next to "
                        "config.toml; correct the path or remove it."
                    ).format(path=pattern)
                )
        files.extend(p.resolve() for p in found)
    return tuple(dict.fromkeys(files))


def resolve_database_url(url: str, base_dir: Path) -> str:
    """A relative SQLite path is read next to the config file, not the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        rest = url[len(prefix) :]
        if rest and rest != ":memory:":
            return prefix + str(base_dir / rest)
    return url


def _channel(name: str, table: Table, base_dir: Path) -> ChannelConfig:
    kind = table.text("type")
    if kind not in CHANNEL_TYPES:
        raise ConfigError(
            _(
                "config.toml: [channels.{channel}] type {type!r} is not a channel type "
                "postsched knows ({types})."
            ).format(channel=name, type=kind, types=", ".join(CHANNEL_TYPES))
        )
    mode = table.text("mode", "dry-run")
    if mode not in MODES:
        raise ConfigError(
            _(
                'config.toml: [channels.{channel}] mode must be "dry-run" or "live", not {mode!r}.'
            ).format(channel=name, mode=mode)
        )
    # A live channel's token comes from this variable, else from `postsched connect`.
    token_env = table.text("token_env", "", required=False) or None
    for key in ("token", "access_token", "password", "secret"):
        if key in table.data:
            raise ConfigError(
                _(
                    "config.toml: [channels.{channel}] holds a {key!r}: secrets belong in an "
                    "environment variable named by token_env, never in config.toml."
                ).format(channel=name, key=key)
            )
    for key in ("latency", "timeout"):
        if key in table.data:
            table.duration(key, "0s")
    if "token_expires" in table.data:
        table.day("token_expires")
    required = {
        "mastodon": ("instance",),
        "linkedin": ("author", "api_version"),
        "bluesky": ("handle",),
    }[kind]
    for key in required:
        table.text(key)
    table.mark(*CHANNEL_KEYS["any"], *CHANNEL_KEYS[kind])
    return ChannelConfig(
        name=name,
        type=kind,
        mode=mode,
        outbox=base_dir / table.text("outbox", "outbox"),
        token_env=token_env,
        options=dict(table.data),
    )


def _notify(table: Table) -> NotifySettings | None:
    """[notify]: who to email when a post needs a person (absent: nobody is emailed)."""
    if not table.data:
        return None
    table.mark("email_to")
    to = table.data.get("email_to")
    recipients = (to,) if isinstance(to, str) else table.strings("email_to")
    if not recipients or not all("@" in r for r in recipients):
        raise ConfigError(
            _("config.toml: [notify] email_to must hold one or more email addresses.")
        )
    security = table.text("security", "none")
    if security not in ("none", "starttls", "ssl"):
        raise ConfigError(_('config.toml: [notify] security must be "none", "starttls" or "ssl".'))
    for key in ("password", "smtp_password"):
        if key in table.data:
            raise ConfigError(
                _(
                    "config.toml: [notify] holds a {key!r}: put the SMTP password in an "
                    "environment variable and name it with password_env."
                ).format(key=key)
            )
    events = table.strings("events", NOTIFY_EVENTS)
    unknown = sorted(set(events) - set(NOTIFY_EVENTS))
    if unknown:
        raise ConfigError(
            _("config.toml: [notify] events holds {event!r}; choose among {events}.").format(
                event=unknown[0], events=", ".join(NOTIFY_EVENTS)
            )
        )
    return NotifySettings(
        to=tuple(recipients),
        sender=table.text("email_from", "postsched@localhost"),
        host=table.text("smtp_host", "localhost"),
        port=table.integer(
            "smtp_port", 465 if security == "ssl" else 587 if security == "starttls" else 25
        ),
        user=table.text("smtp_user", "", required=False) or None,
        password_env=table.text("password_env", "", required=False) or None,
        security=security,
        events=tuple(events),
    )


def _web(table: Table, base_dir: Path, environ: Mapping[str, str]) -> WebSettings:
    """[web]: where `postsched web` listens and the hash its login checks (the environment's
    POSTSCHED_WEB_PASSWORD_HASH wins over the file, so the hash need not be in the repository)."""
    for key in ("password", "secret_key"):
        if key in table.data:
            raise ConfigError(
                _(
                    "config.toml: [web] holds a {key!r}: put only the password's hash there "
                    "(postsched hash-password prints it), or in $POSTSCHED_WEB_PASSWORD_HASH."
                ).format(key=key)
            )
    table.mark("password_hash")
    password_hash = environ.get("POSTSCHED_WEB_PASSWORD_HASH") or table.text(
        "password_hash", "", required=False
    )
    port = table.integer("port", 8000)
    if not 0 < port < 65536:
        raise ConfigError(
            _("config.toml: [web] port must be between 1 and 65535, not {port}.").format(port=port)
        )
    hosts = table.strings("hosts")
    for name in hosts:
        if not HOST_NAME.fullmatch(name):
            raise ConfigError(
                _(
                    "config.toml: [web] hosts: {host!r} is not a host name; give the name alone, "
                    "such as postsched.example.org (no https://, no path)."
                ).format(host=name)
            )
    lifetime = table.duration("session_lifetime", "12h")
    if lifetime <= timedelta(0):
        raise ConfigError(_("config.toml: [web] session_lifetime must be longer than 0s."))
    behind_proxy = table.flag("behind_proxy", False)
    return WebSettings(
        password_hash=password_hash.strip() or None,
        host=table.text("host", "127.0.0.1"),
        port=port,
        uploads=base_dir / table.text("uploads", "uploads"),
        hosts=hosts,
        session_lifetime=lifetime,
        behind_proxy=behind_proxy,
        secure_cookies=table.flag("secure_cookies", behind_proxy),
    )
