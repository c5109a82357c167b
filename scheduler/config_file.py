"""Changing one value of the officer's config.toml, keeping its comments and layout (tomlkit):
`postsched connect` records there whom a LinkedIn channel posts as."""

from __future__ import annotations

from pathlib import Path

from posts.errors import ConfigError
from posts.language import gettext as _
from scheduler.files import write_atomically


def set_channel_option(path: Path, channel: str, key: str, value: str) -> None:
    """Set `key = value` in [channels.CHANNEL] of the file at `path`, atomically."""
    import tomlkit

    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
        table = document["channels"][channel]
    except (OSError, KeyError, tomlkit.exceptions.TOMLKitError):
        raise ConfigError(
            _(
                "{path} has no [channels.{channel}] table postsched can change: set "
                '{key} = "{value}" there yourself.'
            ).format(path=path, channel=channel, key=key, value=value)
        ) from None
    if table.get(key) == value:
        return
    table[key] = value
    text = tomlkit.dumps(document)
    try:
        write_atomically(path, text, mode=path.stat().st_mode & 0o777)
    except OSError as exc:
        raise ConfigError(
            _(
                '{path} cannot be changed ({reason}): set {key} = "{value}" in '
                "[channels.{channel}] yourself."
            ).format(path=path, reason=exc.strerror, key=key, value=value, channel=channel)
        ) from None
