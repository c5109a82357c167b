"""What the tick decides, before and after a network call: the rules it runs by (TickRules),
whether a due post is claimed, held, expired or missed (`decide`), and how long a failed attempt
waits (`backoff`).

Both the claim store (posts/claims.py) and the loop (posts/publishing.py) import it; it imports
neither, so the store judges a post without calling back into the loop.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from posts.language import gettext as _
from posts.language import show_time
from posts.outcomes import PostView


@dataclass(frozen=True)
class TickRules:
    grace: timedelta = timedelta(hours=2)
    claim_timeout: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    safety_margin: timedelta = timedelta(hours=12)
    min_gap: timedelta = timedelta(0)
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)
    # A worker whose heartbeat is older than this is taken for dead: its claims are settled.
    worker_timeout: timedelta = timedelta(minutes=2)
    display_tz: tzinfo = UTC  # how times are written in event details
    # Each campaign's own safety margin, where the installation has several; others use the one
    # above.
    margins: Mapping[str, timedelta] = field(default_factory=dict)
    # How long after its publication a post is read back (None: never), and how many reads a
    # tick makes at most, after its publishing (posts/confirming.py).
    confirm_after: timedelta | None = None
    confirm_batch: int = 5

    def margin(self, campaign: str) -> timedelta:
        return self.margins.get(campaign, self.safety_margin)


@dataclass(frozen=True)
class Decision:
    action: Literal["claim", "expire", "miss", "hold"]
    reason: str
    until: datetime | None = None


def backoff(attempt: int, rules: TickRules, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with full jitter in its upper half: base * 2^(n-1), capped."""
    rng = rng or random.Random()
    ceiling: timedelta = min(rules.backoff_base * (2 ** max(attempt - 1, 0)), rules.backoff_cap)
    return ceiling * (0.5 + rng.random() / 2)


def decide(
    post: PostView, last_publish: datetime | None, *, now: datetime, rules: TickRules
) -> Decision:
    """What to do with a due post before any network call (rules 1 and 3)."""
    margin = rules.margin(post.campaign)
    if post.link_expires_at is not None and now > post.link_expires_at - margin:
        ends = shown_at(post.link_expires_at, rules)
        if post.link:
            why = _(
                "the link {link} stops working at {time}; with the {margin} safety margin it "
                "was too late to publish"
            )
        else:
            why = _(
                "its subject's last useful day ends at {time}; with the {margin} safety margin "
                "it was too late to publish"
            )
        return Decision("expire", why.format(link=post.link, time=ends, margin=_human(margin)))
    lateness = now - post.due
    if lateness > rules.grace:
        return Decision(
            "miss",
            _("reached {lateness} after its time, beyond the {grace} grace").format(
                lateness=_human(lateness), grace=_human(rules.grace)
            ),
        )
    if last_publish is not None and rules.min_gap and now < last_publish + rules.min_gap:
        return Decision(
            "hold",
            _("held until {time} to keep {gap} between posts on {channel}").format(
                time=shown_at(last_publish + rules.min_gap, rules),
                gap=_human(rules.min_gap),
                channel=post.channel,
            ),
            until=last_publish + rules.min_gap,
        )
    return Decision("claim", "")


def shown_at(instant: datetime, rules: TickRules) -> str:
    """An instant as event details write it: in the rules' display zone."""
    return show_time(instant, rules.display_tz)


def _human(delta: timedelta) -> str:
    """'2 h 1 min', '45 s', '3 d': whole units, largest first, zero parts left out."""
    seconds = int(delta.total_seconds())
    parts = []
    units = ((_("{count} d"), 86400), (_("{count} h"), 3600), (_("{count} min"), 60))
    for unit, size in (*units, (_("{count} s"), 1)):
        if seconds >= size:
            parts.append(unit.format(count=seconds // size))
            seconds %= size
    return " ".join(parts) or _("{count} s").format(count=0)
