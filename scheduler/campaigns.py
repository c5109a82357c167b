"""The campaigns of one installation: config.toml's own, then each file it lists in `campaigns`.

They share config.toml's database, channels, daemon and web page (docs/campaigns.md). A name
is a campaign's identity in the database, so two campaigns with one name are refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from posts.campaign import Config
from posts.errors import ConfigError, InputError


def load_campaigns(main: Config, *, environ: Mapping[str, str] | None = None) -> dict[str, Config]:
    """Every campaign of the installation by name, config.toml's own first."""
    from scheduler.config import load_config

    campaigns = {main.campaign.name: main}
    where = {main.campaign.name: main.path or Path("config.toml")}
    for path in main.campaign_files:
        if main.path is not None and path == main.path.resolve():
            continue
        config = load_config(
            path, environ=os.environ if environ is None else environ, installation=main
        )
        name = config.campaign.name
        if name in campaigns:
            raise ConfigError(
                f"{where[name].name} and {path.name} both name their campaign {name!r}; "
                "give each its own [campaign] name."
            )
        campaigns[name] = config
        where[name] = path
    return campaigns


def require_campaign(name: str, known: Mapping[str, object] | list[str]) -> str:
    """The name, if the installation or its database knows such a campaign."""
    if name not in known:
        names = ", ".join(known) or "none"
        raise InputError(f"There is no campaign {name!r} (campaigns: {names}).")
    return name
