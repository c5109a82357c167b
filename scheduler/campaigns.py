"""The campaigns of one installation: config.toml's own, then each file it lists in `campaigns`.

They share config.toml's database, channels, daemon and web page (docs/campaigns.md). A name
is a campaign's identity in the database, so two campaigns with one name are refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from posts.campaign import Config
from posts.errors import ConfigError, InputError
from posts.language import gettext as _


class NameClash(ConfigError):
    """Two campaign files with one `[campaign] name`: neither can be planned until one changes."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def load_campaigns(
    main: Config,
    *,
    environ: Mapping[str, str] | None = None,
    problems: list[ConfigError] | None = None,
) -> dict[str, Config]:
    """Every campaign of the installation by name, config.toml's own first.

    A campaign file that cannot be read is refused; given `problems`, it is left out and its
    error added there instead, so that a file being drafted for the next campaign never stops
    the daemon, or the planning, of the others.
    """
    from scheduler.config import load_config

    campaigns = {main.campaign.name: main}
    where = {main.campaign.name: main.path or Path("config.toml")}
    for path in main.campaign_files:
        if main.path is not None and path == main.path.resolve():
            continue
        try:
            config = load_config(
                path, environ=os.environ if environ is None else environ, installation=main
            )
            name = config.campaign.name
            if name in campaigns:
                raise NameClash(
                    name,
                    _(
                        "{first} and {second} both name their campaign {name!r}; "
                        "give each its own [campaign] name."
                    ).format(first=where[name].name, second=path.name, name=name),
                )
        except ConfigError as exc:
            if problems is None:
                raise
            problems.append(exc)
            continue
        campaigns[name] = config
        where[name] = path
    return campaigns


def require_campaign(
    name: str, known: Mapping[str, object] | list[str], problems: Sequence[ConfigError] = ()
) -> str:
    """The name, if the installation or its database knows such a campaign; else one sentence
    with the names there are and, when a campaign file was left out, why."""
    if name not in known:
        names = ", ".join(known) or _("none")
        left_out = "".join(
            _("; left out, {problem}").format(problem=problem) for problem in problems
        )
        raise InputError(
            _("There is no campaign {name!r} (campaigns: {names}){left_out}")
            .format(name=name, names=names, left_out=left_out)
            .rstrip(".")
            + "."
        )
    return name
