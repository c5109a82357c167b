"""The command line's context: config, database and clock, built once and handed down.

Everything is built on first use, so `postsched --help` stays fast and a command that needs no
database never opens one. Tests build an App with their own config path, URL and clock.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from posts.timing import utc_now

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from posts.campaign import Config
    from posts.officer import Officer
    from posts.store import Store


class App:
    def __init__(
        self,
        config_path: Path | None = None,
        database_url: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        quiet: bool = False,
    ):
        self.quiet = quiet
        self.config_path = config_path or Path(os.environ.get("POSTSCHED_CONFIG", "config.toml"))
        self.database_override = database_url
        self.clock = clock

    @cached_property
    def config(self) -> Config:
        from scheduler.config import load_config

        return load_config(self.config_path)

    @property
    def database_url(self) -> str:
        return self.database_override or self.config.database_url

    def engine(self, *, create: bool = False) -> Engine:
        from scheduler.database import open_engine, require_head

        engine = open_engine(self.database_url, create=create)
        if not create:
            require_head(engine)
        return engine

    @cached_property
    def store(self) -> Store:
        from posts.store import Store

        return Store(self.engine(), display_tz=self.config.campaign.timezone)

    @cached_property
    def officer(self) -> Officer:
        from posts.officer import Officer

        return Officer(self.config, self.store)

    @cached_property
    def planner(self) -> Officer:
        """The verbs that need config and templates but no database (check, plan --dry-run)."""
        from posts.officer import Officer

        return Officer(self.config, None)

    def now(self) -> datetime:
        return self.clock()

    def parse_time(self, text: str) -> datetime:
        from posts.timing import parse_instant

        return parse_instant(text, now=self.now(), tz=self.config.campaign.timezone)
