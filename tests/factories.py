"""Test factories: campaign configs built in code, so planner tests never read a file; a
migrated store, posts (a one-off to queue, a claimed post as a channel sees it), a scripted
channel and a web page whose answer a test changes, so the tests of the store, the tick and
the channels build them one way."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug import Request, Response

from posts.campaign import (
    Article,
    Author,
    Campaign,
    ChannelConfig,
    Config,
    Contact,
    Course,
    DaemonSettings,
    Phase,
    Windows,
)
from posts.models import Post
from posts.outcomes import PostView
from posts.publishing import Receipt
from posts.store import NewPost, Store
from scheduler.database import open_engine, upgrade

PARIS = ZoneInfo("Europe/Paris")


def campaign(**changes: Any) -> Campaign:
    base = Campaign(
        name="test",
        timezone=PARIS,
        language="fr",
        start=date(2026, 1, 12),
        windows=Windows(weekdays=(0, 1, 2, 3, 4), times=(time(9, 30), time(12, 30))),
        holidays="FR",
        review=True,
        safety_margin=timedelta(hours=12),
        max_per_day=1,
        min_gap=timedelta(0),
    )
    return replace(base, **changes)


def article(phases: tuple[Phase, ...] | None = None, **changes: Any) -> Article:
    base = Article(
        title="IA et recherche en intervention sociale",
        authors=(Author("Philippe Fofana"), Author("Julien Scheepers")),
        journal="Vie sociale",
        issue="2025/4 n° 52",
        publisher="Éditions érès",
        url="https://shs.cairn.info/tap-tdgcu5qbq9556",
        expires=date(2026, 4, 16),
        phases=phases
        if phases is not None
        else (
            Phase("announce", "start"),
            Phase("reminder-30d", "expires", timedelta(days=-30)),
            Phase("reminder-10d", "expires", timedelta(days=-10)),
            Phase("last-call", "expires", timedelta(days=-2)),
        ),
    )
    return replace(base, **changes)


def courses(n: int = 4, posts: int = 1) -> tuple[Course, ...]:
    return tuple(
        Course(key=f"c{i}", title=f"Course {i}", formats=("intra", "inter"), posts=posts)
        for i in range(1, n + 1)
    )


def channels(tmp: Path = Path("/nonexistent")) -> dict[str, ChannelConfig]:
    return {
        "mastodon": ChannelConfig("mastodon", "mastodon", "dry-run", tmp / "outbox"),
        "linkedin": ChannelConfig("linkedin", "linkedin", "dry-run", tmp / "outbox"),
    }


def config(
    *,
    campaign_changes: dict[str, Any] | None = None,
    article_value: Article | str | None = "default",
    course_list: tuple[Course, ...] | None = None,
    templates: Path = Path("/nonexistent"),
) -> Config:
    return Config(
        campaign=campaign(**(campaign_changes or {})),
        article=article() if article_value == "default" else article_value,  # type: ignore[arg-type]
        courses=courses() if course_list is None else course_list,
        contact=Contact(email="formationcontinue@hetis.fr", phone="04 92 07 79 05"),
        channels=channels(),
        daemon=DaemonSettings(),
        database_url="sqlite://",
        templates_dir=templates,
    )


def plain_render(subject: str, phase: str, channel: str, due: Any, occurrence: int) -> str:
    """A distinct short text per post, for tests about dates rather than words."""
    return f"{subject} {phase} {channel} {due.isoformat()} #{occurrence}"


def png(seed: int = 0, size: int = 2) -> bytes:
    """A real PNG (size x size pixels, one colour from `seed`): distinct seeds, distinct bytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixel = bytes(((seed * 37) % 256, (seed * 91) % 256, 200))
    rows = b"".join(b"\x00" + pixel * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def migrated_store(url: str) -> Store:
    """A store on `url` (a database URL or an SQLite file path), created and migrated."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    engine = open_engine(url, create=True)
    upgrade(engine)
    return Store(engine)


@dataclass
class ChangingPage:
    """A pytest-httpserver handler answering `status`, which the test changes between ticks
    (a page that comes back, or dies)."""

    status: int

    def __call__(self, request: Request) -> Response:
        return Response("", status=self.status)


def new_post(due_at: datetime, **changes: Any) -> NewPost:
    """A one-off post on mastodon, due at `due_at`, with a text of its own (networks refuse
    repeats); `changes` sets any other field."""
    base = NewPost(
        campaign="t",
        channel="mastodon",
        subject="one-off",
        phase="one-off",
        body=f"post {uuid.uuid4().hex[:8]}",
        due_at=due_at,
    )
    return replace(base, **changes)


def queue(store: Store, due_at: datetime, *, now: datetime | None = None, **changes: Any) -> Post:
    """`new_post` added to the store at `now` (by default its due time), scheduled."""
    return store.add_post(new_post(due_at, **changes), now=now or due_at)


def post_view(**changes: Any) -> PostView:
    """A claimed post as a channel sees it: a one-off on mastodon, never attempted, due now,
    with an idempotency key of its own; `changes` sets any field."""
    base = PostView(
        id=1,
        channel="mastodon",
        subject="one-off",
        phase="one-off",
        body="Bonjour",
        link=None,
        link_expires_at=None,
        media_path=None,
        media_alt=None,
        idempotency_key=f"key-{uuid.uuid4().hex}",
        attempts=0,
        due=datetime.now(UTC),
    )
    return replace(base, **changes)


@dataclass
class ScriptedChannel:
    """A network edge that answers from a script: a Receipt, or an error to raise."""

    name: str
    script: list[Receipt | Exception] = field(default_factory=list)
    calls: list[PostView] = field(default_factory=list)
    dedup_window: timedelta = timedelta(hours=1)

    def publish(self, post: PostView) -> Receipt:
        self.calls.append(post)
        answer = (
            self.script.pop(0) if self.script else Receipt(f"r{post.id}", f"https://x/{post.id}")
        )
        if isinstance(answer, Exception):
            raise answer
        return answer


def start_daemon(project: Path, number: int, **env: str) -> subprocess.Popen[bytes]:
    """`postsched daemon` as its own process in `project`, with `env` added to the
    environment, logging to daemon-<number>.log there (a chaos run kills and starts several)."""
    environment = {
        **os.environ,
        **env,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    with (project / f"daemon-{number}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "scheduler", "daemon"],
            cwd=project,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
