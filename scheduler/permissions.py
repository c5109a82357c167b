"""Warnings about files others could read or change: the daemon runs unattended for weeks."""

from __future__ import annotations

import stat
from pathlib import Path

from posts.campaign import Config
from posts.language import gettext as _


def permission_warnings(config: Config) -> list[str]:
    """One sentence per file whose permissions put the campaign at risk."""
    warnings = []
    if config.path is not None and _mode(config.path) & (stat.S_IWGRP | stat.S_IWOTH):
        warnings.append(
            _(
                "{path} can be changed by other users, who could redirect or rewrite your "
                "posts: chmod go-w {path}"
            ).format(path=config.path)
        )
    env_file = config.daemon.env_file
    if (
        env_file is not None
        and env_file.exists()
        and _mode(env_file) & (stat.S_IRWXG | stat.S_IRWXO)
    ):
        warnings.append(
            _("{path} holds the tokens and other users can read it: chmod 600 {path}").format(
                path=env_file
            )
        )
    return warnings


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode
    except OSError:
        return 0
