"""[links] in config.toml: whether and how the daemon asks a post's links before it goes out
(docs/links.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from posts.campaign import LinkSettings
from posts.errors import ConfigError
from posts.language import gettext as _
from scheduler.config_table import Table

CHECKS = ("live", "always", "never")


def read_links(table: Table, environ: Mapping[str, str]) -> LinkSettings:
    """`POSTSCHED_LINKS_CHECK` overrides `check` (a machine without the internet, a test
    suite), as POSTSCHED_DATABASE_URL overrides the database."""
    check = table.text("check", "live", required=False)
    if check not in CHECKS:
        raise ConfigError(
            _(
                'config.toml: [links] check must be "live", "always" or "never", not {check!r}.'
            ).format(check=check)
        )
    overridden = environ.get("POSTSCHED_LINKS_CHECK")
    if overridden:
        if overridden not in CHECKS:
            raise ConfigError(
                _(
                    '$POSTSCHED_LINKS_CHECK must be "live", "always" or "never", not {check!r}.'
                ).format(check=overridden)
            )
        check = overridden
    settings = LinkSettings(
        check=check,
        timeout=table.duration("timeout", "5s"),
        redirects=table.integer("redirects", 5),
        fresh=table.duration("fresh", "5m"),
        retry=table.duration("retry", "5m"),
        loopback=table.flag("loopback", False),
    )
    if not 0 <= settings.redirects <= 20:
        raise ConfigError(_("config.toml: [links] redirects must be between 0 and 20."))
    if settings.timeout <= timedelta(0) or settings.timeout > timedelta(minutes=1):
        raise ConfigError(_("config.toml: [links] timeout must be between 1s and 1m."))
    return settings
