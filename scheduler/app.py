"""The command line's context: config, database and clock, built once and handed down.

Everything is built on first use, so `postsched --help` stays fast and a command that needs no
database never opens one. Tests build an App with their own config path, URL and clock.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from posts.language import gettext as _
from posts.timing import utc_now

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from posts.campaign import Config
    from posts.errors import ConfigError
    from posts.officer import Officer
    from posts.store import Store


class App:
    def __init__(
        self,
        config_path: Path | None = None,
        database_url: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        quiet: bool = False,
        verbose: bool = False,
    ):
        self.quiet = quiet
        self.verbose = verbose
        self.config_path = config_path or Path(os.environ.get("POSTSCHED_CONFIG", "config.toml"))
        self.database_override = database_url
        self.clock = clock
        self.campaign_problems: list[ConfigError] = []
        # Whether a committed change wakes the daemons on this database (scheduler/wakeup.py);
        # the daemon itself turns it off, its own writes need no wake-up.
        self.wakes_daemon = True

    @cached_property
    def config(self) -> Config:
        from scheduler.config import load_config

        return load_config(self.config_path)

    @cached_property
    def campaigns(self) -> dict[str, Config]:
        """Every campaign of the installation by name, config.toml's own first. A campaign file
        that cannot be read is left out with a warning (`check` refuses it), so that the next
        campaign's draft never stops the others."""
        from scheduler.campaigns import load_campaigns

        campaigns = load_campaigns(self.config, problems=self.campaign_problems)
        for problem in self.campaign_problems:
            self.warn(
                _("{problem} Its campaign is left out until the file is corrected.").format(
                    problem=problem
                )
            )
        return campaigns

    def warn(self, message: str) -> None:
        """A warning for the person at the terminal (stderr; the web page's log)."""
        if not self.quiet:
            print(_("Warning: {message}").format(message=message), file=sys.stderr)

    def campaign_names(self) -> list[str]:
        """The campaigns config.toml knows, then any other the database holds posts of (a
        campaign run from its own complete file beside this one, or one whose file is gone)."""
        names = list(self.campaigns)
        names += [n for n in self.store.campaign_names() if n not in names]
        return names

    def campaign_filter(self, name: str | None) -> str | None:
        """A --campaign option checked: None, or a campaign the installation or database has."""
        from scheduler.campaigns import require_campaign

        if name is None:
            return None
        return require_campaign(name, self.campaign_names(), self.campaign_problems)

    def officer_for(self, name: str | None) -> Officer:
        """The verbs for one campaign of the installation (None: config.toml's own). Every
        campaign file is read first, so a broken or clashing one is refused before any work."""
        campaigns = self.campaigns
        self._refuse_clash(name)
        if name is None or name == self.config.campaign.name:
            return self.officer
        return self._officer(self._measured(campaigns, name), self.store)

    def officer_of_post(self, post_id: int) -> Officer:
        """The verbs with the rules of the campaign a post belongs to (its links, its safety
        margin); config.toml's own for a post of a campaign the installation does not list."""
        name = self.store.campaign_of(post_id)
        if name is None or name == self.config.campaign.name or name not in self.campaigns:
            return self.officer
        return self.officer_for(name)

    def planner_for(self, name: str | None) -> Officer:
        campaigns = self.campaigns
        self._refuse_clash(name)
        if name is None or name == self.config.campaign.name:
            return self.planner
        return self._officer(self._measured(campaigns, name), None)

    def _refuse_clash(self, name: str | None) -> None:
        """A campaign whose name another file also claims is not planned until one changes."""
        from scheduler.campaigns import NameClash

        wanted = name or self.config.campaign.name
        for problem in self.campaign_problems:
            if isinstance(problem, NameClash) and problem.name == wanted:
                raise problem

    def _measured(self, campaigns: dict[str, Config], name: str) -> Config:
        from dataclasses import replace

        from scheduler.campaigns import require_campaign

        config = campaigns[require_campaign(name, campaigns, self.campaign_problems)]
        measured = self.measured_config.channels
        return replace(config, channels={n: measured[n] for n in config.channels})

    @staticmethod
    def _officer(config: Config, store: Store | None) -> Officer:
        from posts.officer import Officer

        return Officer(config, store)

    def has_database(self) -> bool:
        """Whether the database is there and at this version's schema (a dry run reads it when
        it is, and does without it when not)."""
        from posts.errors import PostschedError

        try:
            return self.store is not None
        except PostschedError:
            return False

    @property
    def database_url(self) -> str:
        return self.database_override or self.config.database_url

    def engine(self, *, create: bool = False) -> Engine:
        from scheduler.database import open_engine, require_head

        engine = open_engine(self.database_url, create=create)
        if not create:
            require_head(engine)
        if self.wakes_daemon:
            from scheduler.wakeup import install

            install(engine)
        return engine

    @cached_property
    def store(self) -> Store:
        from posts.store import Store

        return Store(self.engine(), display_tz=self.config.campaign.timezone)

    @cached_property
    def officer(self) -> Officer:
        from posts.officer import Officer

        return Officer(self.measured_config, self.store)

    @cached_property
    def planner(self) -> Officer:
        """The verbs that need config and templates but no database (check, plan --dry-run)."""
        from posts.officer import Officer

        return Officer(self.measured_config, None)

    @cached_property
    def measured_config(self) -> Config:
        """The config with each live Mastodon channel's own limits (max_characters,
        characters_reserved_per_url, and description_limit for alt texts since Mastodon 4.4)
        read from its instance, where config.toml does not set them; lengths are checked
        against these when posts are planned, added or edited."""
        from dataclasses import replace

        from scheduler.channels import build_channel
        from scheduler.channels.mastodon import MastodonChannel

        config = self.config
        channels = dict(config.channels)
        for name, channel in config.channels.items():
            if channel.mode != "live" or channel.type != "mastodon":
                continue
            if "max_characters" in channel.options:
                continue
            live = build_channel(config, name)
            assert isinstance(live, MastodonChannel)
            limit, url_length = live.limits()
            options = {"max_characters": limit, "characters_reserved_per_url": url_length}
            described = live.description_limit()
            if described is not None:
                options["description_limit"] = described
            channels[name] = replace(channel, options={**options, **channel.options})
        return replace(config, channels=channels)

    def reload(self) -> None:
        """Read config.toml again (after `connect` changed it)."""
        self.campaign_problems = []
        for name in ("config", "campaigns", "measured_config", "officer", "planner"):
            self.__dict__.pop(name, None)

    def require_channel(self, name: str) -> str:
        from posts.officer import require_channel

        return require_channel(self.config, name)

    def now(self) -> datetime:
        return self.clock()

    def parse_time(self, text: str) -> datetime:
        from posts.timing import parse_instant

        return parse_instant(text, now=self.now(), tz=self.config.campaign.timezone)
