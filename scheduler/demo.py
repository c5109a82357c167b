"""`postsched demo`: the shipped campaign replayed in fast-forward, end to end, in a sandbox.

It copies config.toml and templates/ to a throwaway folder, plans the campaign as of its start
with the real planner, approves it, then moves a simulated clock from one due time to the next
and calls the real tick, with every channel in dry-run writing to a throwaway outbox. The
user's database and outbox are never touched.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from posts.campaign import Config
from posts.claims import Claims
from posts.models import Event, Post, Status
from posts.officer import Officer
from posts.publishing import publish_due
from posts.store import Store
from scheduler.channels import build_channels
from scheduler.config import load_config
from scheduler.daemon import tick_rules
from scheduler.database import open_engine, upgrade

MAX_STEPS = 10_000


@dataclass
class DemoResult:
    folder: Path
    config: Config
    posts: list[Post]
    events: list[Event]
    ticks: int
    late_links: list[Post] = field(default_factory=list)  # must stay empty: rule 1

    def count(self, status: str) -> int:
        return sum(1 for p in self.posts if p.status == status)


def run_demo(config_path: Path, folder: Path | None = None) -> DemoResult:
    source = load_config(config_path)  # refuse a broken config before copying anything
    folder = folder or Path(tempfile.mkdtemp(prefix="postsched-demo-"))
    shutil.copy(config_path, folder / "config.toml")
    shutil.copytree(source.templates_dir, folder / "templates", dirs_exist_ok=True)
    _copy_card_images(source, config_path.resolve().parent, folder)
    config = _sandboxed(load_config(folder / "config.toml"), folder)

    engine = open_engine(config.database_url, create=True)
    upgrade(engine)
    store = Store(engine, display_tz=config.campaign.timezone)
    officer = Officer(config, store)
    start = config.campaign.start_instant()
    plan = officer.compute_plan(start)
    officer.save_plan(plan, start)
    store.approve(None, now=start)

    claims = Claims(store)
    channels = build_channels(config)
    rules = tick_rules(config)
    ticks = 0
    for _ in range(MAX_STEPS):
        due = claims.next_due_time(list(channels))
        if due is None:
            break
        publish_due(claims, channels, rules, due, worker="demo")
        ticks += 1
    claims.stopped("demo", start)
    posts = store.list_posts(list(Status))
    deadline = config.link_deadline()
    late = [
        p
        for p in posts
        if p.status == Status.PUBLISHED
        and p.link_expires_at is not None
        and p.published_at is not None
        and deadline is not None
        and p.published_at > deadline
    ]
    engine.dispose()
    return DemoResult(folder, config, posts, store.events(), ticks, late)


def _copy_card_images(config: Config, base: Path, folder: Path) -> None:
    """The link cards' pictures named relative to config.toml go along with its copy (those
    named by an absolute path are found where they are)."""
    subjects = [config.article, *config.courses]
    for image in {s.image for s in subjects if s is not None and s.image is not None}:
        if image.is_relative_to(base):
            target = folder / image.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(image, target)


def _sandboxed(config: Config, folder: Path) -> Config:
    """Every channel dry-run into the folder's outbox, the database in the folder."""
    channels = {
        name: replace(channel, mode="dry-run", outbox=folder / "outbox")
        for name, channel in config.channels.items()
    }
    return replace(config, channels=channels, database_url=f"sqlite:///{folder / 'demo.db'}")
