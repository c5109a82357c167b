"""The tick's link gate: before a claimed post goes out, its links are asked (through the
shell's asker, injected as channels are) and a dead one holds the post (docs/links.md).

- dead: the post becomes `failed`, with a `link_dead` event naming each dead link and what it
  answered; the officer is emailed (`[notify] events` holds `link_dead` by default). `retry`
  sends it back to `scheduled` once the link works again (or after an edit of the text).
- unsure (5xx, timeout): the post goes back to `scheduled`, asked again `[links] retry` later
  (`link_unsure` event; not an attempt, not a channel error). When that retry would come too
  late (the post would be `missed`), it is held now as a dead link is, and the officer told.
- alive: the post goes out.

Each link's last answer is kept in `link_checks` (one row per link); a link asked less than
`[links] fresh` ago is not asked again, so one tick asks a link once however many posts carry
it, and a second daemon reuses the first's answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from posts.claim_rows import upsert
from posts.language import clauses
from posts.language import gettext as _
from posts.link_health import DEAD, UNSURE, Answer, describe, links_of, verdict
from posts.models import LinkCheck
from posts.outcomes import Outcome, PostView
from posts.policy import TickRules, shown_at
from posts.recording import Recorder
from posts.store import Store

LINK_DEAD, LINK_UNSURE = "link_dead", "link_unsure"
# Asks one link; `phrase`: the subject's dead_if phrase, to look for on the page.
Asker = Callable[[str, str | None], Answer]


@dataclass(frozen=True)
class Checked:
    """A link's last answer and when it was given."""

    answer: Answer
    at: datetime

    @property
    def verdict(self) -> str:
        return verdict(self.answer)


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def last_checks(store: Store, urls: Iterable[str]) -> dict[str, Checked]:
    """The last check of each of these links that has one."""
    keys = {url_key(u): u for u in urls}
    if not keys:
        return {}
    with store.session() as session:
        rows = session.scalars(select(LinkCheck).where(LinkCheck.key.in_(list(keys))))
        return {keys[r.key]: _checked(r) for r in rows}


def save_check(store: Store, checked: Checked) -> None:
    """Keep a link's answer, replacing the previous one (two daemons may write it at once)."""
    a = checked.answer
    values = {
        "url": a.url,
        "checked_at": checked.at,
        "verdict": checked.verdict,
        "code": a.code,
        "problem": a.problem,
        "detail": a.detail,
    }
    with store.session() as session:
        statement = upsert(session, LinkCheck).values(key=url_key(a.url), **values)
        session.execute(
            statement.on_conflict_do_update(index_elements=[LinkCheck.key], set_=values)
        )


def _checked(row: LinkCheck) -> Checked:
    answer = Answer(row.url, row.code, row.problem, row.detail)
    return Checked(answer, row.checked_at)


@dataclass
class LinkGate:
    """Asks the links of posts on `channels` (the live ones, unless `[links] check = "always"`)."""

    ask: Asker
    channels: Collection[str]
    phrases: Mapping[str, str]  # a subject's link (as written, and as tagged) -> its dead_if
    fresh: timedelta = timedelta(minutes=5)
    retry: timedelta = timedelta(minutes=5)

    def check(
        self, store: Store, url: str, now: datetime, since: datetime | None = None
    ) -> Checked:
        """The link's answer: the stored one if younger than `fresh`, else a new one, kept. A
        `dead` answer older than `since` (the post's due time, which `retry` sets) is asked
        again: a person who retries a held post has usually mended the link."""
        last = last_checks(store, [url]).get(url)
        if last is not None and now - self.fresh < last.at <= now:
            mended = last.verdict == DEAD and since is not None and last.at < since
            if not mended:
                return last
        checked = Checked(self.ask(url, self.phrases.get(url) or None), now)
        save_check(store, checked)
        return checked

    def hold(
        self, recorder: Recorder, post: PostView, worker: str, now: datetime, rules: TickRules
    ) -> Outcome | None:
        """Judge a claimed post's links: None when it may go out, else its recorded Outcome."""
        if post.channel not in self.channels:
            return None
        store = recorder.store
        checks = [self.check(store, u, now, post.due) for u in links_of(post.link, post.body)]
        dead = [c for c in checks if c.verdict == DEAD]
        if dead:
            said = clauses(_said(c) for c in dead)
            detail = _("not published: {links}").format(links=said)
            return recorder.hold(post, worker, now, detail, LINK_DEAD)
        unsure = [c for c in checks if c.verdict == UNSURE]
        if not unsure:
            return None
        said = clauses(_said(c) for c in unsure)
        when = now + max(self.retry, self.fresh)
        missed_at = post.due + rules.grace
        if when >= missed_at:
            detail = _(
                "not published: {links}, and no answer came before the post would be missed "
                "({time})"
            ).format(links=said, time=shown_at(missed_at, rules))
            return recorder.hold(post, worker, now, detail, LINK_DEAD)
        detail = _("{links}: not proof the link is dead, asked again at {time}").format(
            links=said, time=shown_at(when, rules)
        )
        return recorder.reschedule(
            post, worker, now, when, detail, event=LINK_UNSURE, channel_error=False
        )


def _said(checked: Checked) -> str:
    answer = checked.answer
    return _("{link} {answer}").format(link=answer.url, answer=describe(answer))
