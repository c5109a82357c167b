"""Changing one value of the officer's config.toml, keeping its comments and layout (tomlkit):
`postsched connect` records there whom a LinkedIn channel posts as."""

from __future__ import annotations

from pathlib import Path

from posts.errors import ConfigError
from scheduler.files import write_atomically


def set_channel_option(path: Path, channel: str, key: str, value: str) -> None:
    """Set `key = value` in [channels.CHANNEL] of the file at `path`, atomically."""
    import tomlkit

    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
        table = document["channels"][channel]
    except (OSError, KeyError, tomlkit.exceptions.TOMLKitError):
        raise ConfigError(
            f"{path} has no [channels.{channel}] table postsched can change: set {key} = "
            f'"{value}" there yourself.'
        ) from None
    if table.get(key) == value:
        return
    table[key] = value
    text = tomlkit.dumps(document)
    try:
        write_atomically(path, text, mode=path.stat().st_mode & 0o777)
    except OSError as exc:
        raise ConfigError(
            f'{path} cannot be changed ({exc.strerror}): set {key} = "{value}" in '
            f"[channels.{channel}] yourself."
        ) from None
