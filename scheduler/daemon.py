"""The daemon: a tick, then sleep until the next due time or the heartbeat, whichever first.

A tick settles stale claims, publishes what is due and beats the heartbeat. After it, one
indexed query gives the next due time (and the end of any pause), and the daemon sleeps until
then, or until `[daemon] poll` after the tick (its heartbeat), whichever comes first. A post
added, edited, approved or retried by another process wakes it (scheduler/wakeup.py:
PostgreSQL NOTIFY, or a datagram beside the SQLite file); it then reads the next due time again.
A quiet daemon thus makes no query between heartbeats, and a lost wake-up costs at most one
heartbeat's delay. SIGTERM or SIGINT lets the post in flight finish, then the daemon exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo
from types import FrameType
from typing import TYPE_CHECKING

from posts.campaign import Config
from posts.characters import one_line
from posts.claims import Claims, Outcome, worker_id
from posts.labels import event_label
from posts.language import current, speaking
from posts.language import gettext as _
from posts.link_gate import LinkGate
from posts.publishing import Channel, TickReport, TickRules, publish_due
from posts.reach import ReachReader, take_snapshots
from posts.reach_report import figures
from posts.store import Store
from posts.timing import utc_now
from scheduler.notify import Notifier

if TYPE_CHECKING:
    from scheduler.wakeup import Listener

log = logging.getLogger("postsched.daemon")


def tick_rules(config: Config, campaigns: Mapping[str, Config] | None = None) -> TickRules:
    """The daemon's rules; `campaigns` (every campaign of the installation) gives each
    campaign's posts their own safety margin. min_gap is the installation's, per channel."""
    daemon = config.daemon
    return TickRules(
        grace=daemon.grace,
        claim_timeout=daemon.claim_timeout,
        max_attempts=daemon.max_attempts,
        backoff_base=daemon.retry_base,
        backoff_cap=daemon.retry_cap,
        safety_margin=config.campaign.safety_margin,
        min_gap=config.campaign.min_gap,
        worker_timeout=max(timedelta(minutes=2), daemon.poll * 4),
        display_tz=config.campaign.timezone,
        margins={name: c.campaign.safety_margin for name, c in (campaigns or {}).items()},
        confirm_after=daemon.confirm_after,
    )


class LocalTimeFormatter(logging.Formatter):
    """Each line starts with its time in the campaign's timezone, with the offset, like every
    time inside the messages: `2026-03-09T09:30:00+01:00 post 7 mastodon published: …`."""

    def __init__(self, tz: tzinfo):
        super().__init__("%(asctime)s %(message)s")
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, self.tz).isoformat(timespec="seconds")


def describe(outcome: Outcome) -> str:
    """The daemon's log line for one post: id, channel, outcome, remote URL or error."""
    tail = outcome.url or outcome.detail
    event = event_label(outcome.event)
    if tail.startswith(event):  # "held until 10:30 …" says the event itself
        line = _("post {id} {channel}: {detail}").format(
            id=outcome.post_id, channel=outcome.channel, detail=tail
        )
    else:
        line = _("post {id} {channel} {event}: {detail}").format(
            id=outcome.post_id, channel=outcome.channel, event=event, detail=tail
        )
    return one_line(line)


class Daemon:
    def __init__(
        self,
        config: Config,
        store: Store,
        channels: dict[str, Channel],
        *,
        clock: Callable[[], datetime] = utc_now,
        notifier: Notifier | None = None,
        campaigns: Mapping[str, Config] | None = None,
        links: LinkGate | None = None,
    ):
        self.config = config
        self.store = store
        self.claims = Claims(store)
        self.channels = channels
        self.rules = tick_rules(config, campaigns)
        self.worker = worker_id()
        self.clock = clock
        self.stop = threading.Event()
        self.notifier = notifier
        # Asks each post's links before it goes out (scheduler/link_check.py link_gate).
        self.links = links
        self._lock = threading.Lock()
        # The language chosen at start-up, for a tick run from another thread.
        self.language = current()

    def tick(self) -> TickReport:
        """One pass; safe to call from any job, never two at once."""
        with self._lock, speaking(self.language):
            try:
                report = self._publish_due()
            except Exception:
                # APScheduler would swallow it; say it in the daemon's own log. A post this
                # tick had claimed is settled at the start of the next one.
                log.exception(_("the tick failed; the next one settles what it left"))
                report = TickReport()
        return report

    def _publish_due(self) -> TickReport:
        report = publish_due(
            self.claims,
            self.channels,
            self.rules,
            self.clock(),
            worker=self.worker,
            clock=self.clock,
            should_stop=self.stop.is_set,
            on_outcome=lambda outcome: log.info(describe(outcome)),
            links=self.links,
        )
        if self.notifier is not None:
            self.notifier.send(report.outcomes)
        self._take_snapshots()
        return report

    def _take_snapshots(self) -> None:
        """A few reach snapshots after the posts: never before a due post, and a network that
        is slow to answer them costs this tick at most a few reads (posts/reach.py)."""
        readers = {
            name: channel
            for name, channel in self.channels.items()
            if isinstance(channel, ReachReader)
        }
        try:
            for taken in take_snapshots(
                self.store,
                readers,
                self.config.daemon.reach_after,
                self.clock(),
                should_stop=self.stop.is_set,
            ):
                what = figures(taken.counts) if taken.counts is not None else taken.reason
                log.info(
                    _("post {id} {channel} reach {snapshot}: {figures}").format(
                        id=taken.post_id,
                        channel=taken.channel,
                        snapshot=taken.snapshot,
                        figures=what,
                    )
                )
        except Exception:
            log.exception(_("reading reach failed; the next tick tries again"))

    def next_wake(self) -> datetime | None:
        """When something next falls due: a post on an active channel (its retry time, if it
        has one), or the end of a channel's pause. Two reads; a pause whose time is up counts
        as over (the tick lifts it)."""
        now = self.clock()
        states = self.claims.channel_states()
        ends = [s.paused_until for s in states.values() if s.paused_reason and s.paused_until]

        def paused(name: str) -> bool:
            state = states.get(name)
            if state is None or not state.paused_reason:
                return False
            return state.paused_until is None or state.paused_until > now

        active = [n for n in self.channels if not paused(n)]
        candidates = [self.claims.next_due_time(active), *ends]
        return min((c for c in candidates if c is not None), default=None)

    def resume_paused_channels(self) -> None:
        """A (re)start is how a renewed token reaches the daemon: resume channels paused for
        authentication, so their waiting posts are tried again."""
        now = self.clock()
        for name, state in self.claims.channel_states().items():
            if name in self.channels and state.paused_reason and state.paused_until is None:
                self.claims.resume_channel(name, now)
                log.info(
                    _("channel {channel} resumed at start-up (was: {reason})").format(
                        channel=name, reason=state.paused_reason
                    )
                )

    def run(self) -> None:
        from scheduler.wakeup import listen

        # Listening before the first read of the due time: nothing committed after it is missed.
        listener = listen(self.store.engine)

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info(
                _("received {signal}: finishing the post in flight, then stopping").format(
                    signal=signal.Signals(signum).name
                )
            )
            self.stop.set()
            listener.interrupt()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.resume_paused_channels()
            log.info(
                _("daemon {worker} started on {channels}").format(
                    worker=self.worker, channels=", ".join(self.channels) or _("no channel")
                )
            )
            while not self.stop.is_set():
                started = self.clock()
                report = self.tick()
                self._sleep(listener, started, bool(report.outcomes))
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            listener.close()
            with self._lock:  # wait for the tick in flight to finish its post
                self.claims.stopped(self.worker, self.clock())
            log.info(_("daemon {worker} stopped").format(worker=self.worker))

    def _sleep(self, listener: Listener, started: datetime, worked: bool) -> None:
        """Sleep until the next due time or the heartbeat; return to tick.

        A post already due when the last tick began and still there is one this daemon cannot
        send now (another daemon has it, or a rule holds it): it waits for the heartbeat rather
        than spinning, unless the tick did work (there may be more) or a change woke the daemon
        (a draft approved after its time, a retry asked for now)."""
        heartbeat = time.monotonic() + self.config.daemon.poll.total_seconds()
        while not self.stop.is_set():
            try:
                due = self.next_wake()
            except Exception:
                log.exception(_("the tick failed; the next one settles what it left"))
                due = None
            now = self.clock()
            if due is not None and due <= now and (due > started or worked):
                return
            timeout = heartbeat - time.monotonic()
            if due is not None and due > now:
                timeout = min(timeout, (due - now).total_seconds() + 0.001)
            if timeout <= 0 or not listener.wait(timeout):
                return  # the due time or the heartbeat
            worked = True  # woken by a change: read the next due time again, tick if due

    def once(self) -> TickReport:
        self.resume_paused_channels()
        report = self.tick()
        self.claims.stopped(self.worker, self.clock())
        return report
