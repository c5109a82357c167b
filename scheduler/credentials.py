"""Where a live channel's token comes from, and the private file `postsched connect` keeps.

A token comes from the environment variable the channel's table names (`token_env`), which
wins, else from the credentials file that `postsched connect` wrote:
`$XDG_CONFIG_HOME/postsched/credentials.json` (`~/.config/...` by default), or
`$CREDENTIALS_DIRECTORY/credentials.json` under systemd (`LoadCredential=`, read-only there).
The file is created 0600 in a 0700 folder, outside the project, and refused when anyone else
can read it. Tokens are never written to the database, config.toml, the outbox or a log.

The file holds, per channel name, the token and what the network said about it (who it posts
as, when it expires), and per Mastodon instance the application postsched registered there.
A Bluesky channel's entry holds its app password (`app_password`), its handle and DID.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from posts.campaign import ChannelConfig
from posts.characters import is_control
from posts.errors import ConfigError
from posts.language import gettext as _
from scheduler.files import write_atomically

FILE_NAME = "credentials.json"


@dataclass(frozen=True)
class Token:
    """A channel's token and what is known of it. `source` says where it came from, in words
    a person can act on ($POSTSCHED_MASTODON_TOKEN, or the credentials file's path)."""

    value: str
    source: str
    from_file: bool = False
    account: str | None = None
    name: str | None = None
    expires_at: datetime | None = None
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None
    did: str | None = None  # a Bluesky account's DID

    def __repr__(self) -> str:  # never the secret, even in a traceback
        return f"Token(source={self.source!r}, account={self.account!r})"


def as_token(token: Token | str, channel: ChannelConfig) -> Token:
    """A channel adapter's token: a bare string (as tests and scripts pass one) is taken as
    read from the channel's token_env."""
    return Token(token, source=f"${channel.token_env}") if isinstance(token, str) else token


def renew_hint(channel: ChannelConfig, token: Token | None) -> str:
    """How to renew a refused token, by where it came from."""
    if channel.type == "bluesky":
        if token is not None and not token.from_file:
            return _(
                "make a new app password (Settings > Privacy and security > App passwords) and "
                "set it in {source}"
            ).format(source=token.source)
        return _(
            "make a new app password (Settings > Privacy and security > App passwords) and run "
            "postsched connect {channel}"
        ).format(channel=channel.name)
    if token is not None and not token.from_file:
        return _("renew the token in {source}").format(source=token.source)
    return _("renew the token with postsched connect {channel}").format(channel=channel.name)


def channel_server(channel: ChannelConfig) -> str:
    """The server a channel's token belongs to: a token for another server is not used."""
    if channel.type == "mastodon":
        return str(channel.options.get("instance", "")).rstrip("/")
    if channel.type == "bluesky":
        return bluesky_service(channel)
    return str(channel.options.get("api_url", "https://api.linkedin.com")).rstrip("/")


BLUESKY_SERVICE = "https://bsky.social"  # the public entryway, where most accounts log in


def bluesky_service(channel: ChannelConfig) -> str:
    return str(channel.options.get("service") or BLUESKY_SERVICE).rstrip("/")


class Credentials:
    """The credentials file: read, checked for its permissions, written atomically 0600."""

    def __init__(self, path: Path, *, writable: bool = True):
        self.path = path
        self.writable = writable

    @classmethod
    def locate(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        environ = os.environ if environ is None else environ
        systemd = environ.get("CREDENTIALS_DIRECTORY")
        if systemd:
            return cls(Path(systemd) / FILE_NAME, writable=False)
        base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return cls(Path(base) / "postsched" / FILE_NAME)

    # reading ---------------------------------------------------------------------------

    def read(self) -> dict[str, Any]:
        """The whole file ({} when there is none yet); refused when others can read it."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(
                _("The credentials file {path} cannot be read: {reason}.").format(
                    path=self.path, reason=exc
                )
            ) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                _(
                    "The credentials file {path} can be read by other users, so its tokens "
                    "are no longer private: run chmod 600 {path}, then postsched connect again "
                    "for each channel to replace them."
                ).format(path=self.path)
            )
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ConfigError(
                _(
                    "The credentials file {path} is not one postsched wrote (not readable "
                    "JSON): move it away and run postsched connect again."
                ).format(path=self.path)
            ) from None
        return data if isinstance(data, dict) else {}

    def entry(self, channel: str) -> dict[str, Any] | None:
        found = self.read().get("channels", {}).get(channel)
        return found if isinstance(found, dict) else None

    def apps(self, instance: str) -> list[dict[str, Any]]:
        found = self.read().get("apps", {}).get(instance, [])
        return [app for app in found if isinstance(app, dict)]

    # writing ---------------------------------------------------------------------------

    def save_entry(self, channel: str, entry: dict[str, Any]) -> None:
        data = self.read()
        data.setdefault("channels", {})[channel] = entry
        self._write(data)

    def forget_entry(self, channel: str) -> dict[str, Any] | None:
        data = self.read()
        entry = data.get("channels", {}).pop(channel, None)
        if entry is not None:
            self._write(data)
        return entry if isinstance(entry, dict) else None

    def save_app(self, instance: str, app: dict[str, Any]) -> None:
        data = self.read()
        data.setdefault("apps", {}).setdefault(instance, []).append(app)
        self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        if not self.writable:
            raise ConfigError(
                _(
                    "{path} comes from systemd ($CREDENTIALS_DIRECTORY) and is read-only: run "
                    "postsched connect outside the service, as the service's user, then restart "
                    "it."
                ).format(path=self.path)
            )
        folder = self.path.parent
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            text = json.dumps(data, indent=2, sort_keys=True) + "\n"
            write_atomically(self.path, text, mode=0o600)
        except OSError as exc:
            raise ConfigError(
                _("The credentials file {path} cannot be written: {reason}.").format(
                    path=self.path, reason=exc.strerror
                )
            ) from None


def read_token(channel: ChannelConfig, environ: Mapping[str, str] | None = None) -> Token:
    """A live channel's token: its environment variable wins, else the credentials file."""
    environ = os.environ if environ is None else environ
    if channel.token_env:
        value = environ.get(channel.token_env, "").strip()
        if value:
            return require_one_piece(Token(value=value, source=f"${channel.token_env}"))
    token = stored_token(channel, environ)
    if token is not None:
        return require_one_piece(token)
    entry = Credentials.locate(environ).entry(channel.name)
    if entry and entry.get("server") and entry.get("server") != channel_server(channel):
        raise ConfigError(
            _(
                "The token postsched keeps for [channels.{channel}] is for {server}, but the "
                "channel now names {now}: run postsched connect {channel} again."
            ).format(channel=channel.name, server=entry["server"], now=channel_server(channel))
        )
    if channel.token_env:
        refusal = _(
            "[channels.{channel}] is live but has no token: run postsched connect {channel}, "
            "or export its token in ${env}."
        )
    else:
        refusal = _(
            "[channels.{channel}] is live but has no token: run postsched connect {channel}."
        )
    raise ConfigError(refusal.format(channel=channel.name, env=channel.token_env))


def require_one_piece(token: Token) -> Token:
    """A token with a space, a line break or another control character inside is a copy that
    went wrong, and would be quoted, whole or cut, in the HTTP library's errors: refused,
    naming where it came from, never its value."""
    if any(c.isspace() or is_control(c) for c in token.value):
        raise ConfigError(
            _(
                "The token in {source} holds a line break, a space or another control "
                "character: copy it again as one piece and set it there."
            ).format(source=token.source)
        )
    return token


def stored_token(channel: ChannelConfig, environ: Mapping[str, str] | None = None) -> Token | None:
    """The token `connect` stored for this channel and server, if any (for Bluesky, the app
    password)."""
    credentials = Credentials.locate(environ)
    entry = credentials.entry(channel.name)
    secret = entry and (entry.get("access_token") or entry.get("app_password"))
    if not entry or not secret:
        return None
    if entry.get("server") != channel_server(channel):
        return None  # a token for another server: `connect` again
    return Token(
        value=str(secret),
        source=str(credentials.path),
        from_file=True,
        account=entry.get("account"),
        name=entry.get("name"),
        expires_at=parse_time(entry.get("expires_at")),
        refresh_token=entry.get("refresh_token"),
        refresh_expires_at=parse_time(entry.get("refresh_expires_at")),
        did=entry.get("did"),
    )


def token_source(channel: ChannelConfig, environ: Mapping[str, str] | None = None) -> Token | None:
    """The token a live channel would use, or None; never raises for a missing one."""
    try:
        return read_token(channel, environ)
    except ConfigError:
        return None


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None
