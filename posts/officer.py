"""The officer's verbs with every check they need, shared by the command line and the web page.

Each verb validates everything first and writes only when all is well, so a refusal changes
nothing. Times come in already parsed (aware, UTC); `now` is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from posts.accessibility import Finding, strict_refusal
from posts.campaign import Subject
from posts.characters import clean_text
from posts.checks import AddRequest as AddRequest  # where the web page imports it
from posts.checks import Checks
from posts.checks import require_channel as require_channel  # where the app imports it
from posts.errors import InputError
from posts.language import clauses
from posts.language import gettext as _
from posts.models import RETRYABLE, Post
from posts.planning import SEARCH_HORIZON, Plan, PlannedPost, plan_campaign
from posts.problems import find_problems, refuse_problems
from posts.promises import check_promises
from posts.rules import Neighbour, RuleBreak, check_time, refusal, window_of
from posts.store import EDIT_RULE, EDITABLE, RETRY_RULE, NewPost, PlanReport, require_status

# Told each warning about a hand-set time, once the post is written (stderr, a flash message).
Warn = Callable[[str], None]


@dataclass(frozen=True)
class Rendered:
    post: PlannedPost
    template: str


class Officer(Checks):
    """The verbs; `store` may be None for the ones that only read config and templates."""

    # planning ----------------------------------------------------------------------------

    def compute_plan(
        self, as_of: datetime, busy: Mapping[str, Sequence[datetime]] | None = None
    ) -> Plan:
        """The campaign as of `as_of`. `busy`: the instants other campaigns hold per channel;
        by default read from the database when there is one (none without: `check`,
        `plan --dry-run` on a fresh machine)."""

        def render(subject: str, phase: str, channel: str, due: datetime, occurrence: int) -> str:
            return self.renderer.render_post(
                Subject.parse(subject), phase, channel, due, occurrence
            )

        if busy is None:
            busy = self.busy_slots(as_of)
        plan = plan_campaign(self.config, as_of, render, busy)
        refuse_problems(_("the plan can be saved"), find_problems(self.config, plan.posts))
        check_promises(self.config, plan.posts)
        return plan

    def busy_slots(self, as_of: datetime) -> dict[str, list[datetime]]:
        """What other campaigns hold on this campaign's channels over the plan's horizon."""
        if self._store is None:
            return {}
        campaign = self.config.campaign
        lower = max(campaign.start_instant(), as_of)
        margin = max(campaign.min_gap, timedelta(days=1))  # the day and gap around the start
        return self._store.busy_slots(
            campaign.name,
            self.config.channels,
            since=lower - margin,
            until=lower + SEARCH_HORIZON + margin,
        )

    def render_all(self) -> list[Rendered]:
        """Every template for every subject, phase and channel, at the campaign's own dates.

        This is the whole plan as of the campaign start, plus every phase the plan would leave
        out (a template that is never planned should still be checked).
        """
        config = self.config
        campaign = config.campaign
        as_of = campaign.start_instant() - timedelta(days=1)
        planned = {p.plan_key: p for p in plan_campaign(config, as_of, self._plain_render).posts}
        rendered = []
        for item in planned.values():
            subject = Subject.parse(item.subject)
            channel_type = config.channels[item.channel].type
            template = self.renderer.find(subject.kind, item.phase, channel_type)
            context = self.renderer.context(
                subject, item.phase, item.channel, item.due_at, item.occurrence
            )
            body = self.renderer.render(template, context)
            rendered.append(Rendered(replace(item, body=body), template))
        posts = [r.post for r in rendered]
        refuse_problems(_("the templates can be used"), find_problems(config, posts))
        check_promises(config, posts)
        return rendered

    @staticmethod
    def _plain_render(
        subject: str, phase: str, channel: str, due: datetime, occurrence: int
    ) -> str:
        return f"{subject} {phase} {channel} {due.isoformat()} {occurrence}"

    def save_plan(self, plan: Plan, now: datetime) -> PlanReport:
        return self.store.save_plan(
            self.config.campaign.name, plan.posts, review=self.config.campaign.review, now=now
        )

    # one-off posts -----------------------------------------------------------------------

    def add(
        self, request: AddRequest, now: datetime, *, strict: bool = False, warn: Warn | None = None
    ) -> Post:
        """Queue a one-off post; a time the campaign's rules advise against is told to `warn`
        (or refused with `strict`)."""
        new = self.prepare(request, now)
        breaks = self.rule_breaks(new.channel, new.due_at)
        findings = self.accessibility(new.body, new.channel, new.media_path, new.media_alt)
        if strict:
            _refuse(_("The new post on {channel}").format(channel=new.channel), breaks, findings)
        post = self.store.add_post(new, now=now)
        _tell(warn, _("post {id}").format(id=post.id), [*breaks, *findings])
        return post

    def add_many(
        self,
        requests: Sequence[tuple[str, AddRequest]],
        now: datetime,
        *,
        strict: bool = False,
        warn: Warn | None = None,
    ) -> list[Post]:
        """All or nothing: every request is checked (each against the others too) before any is
        written; a refusal names the request by its label (a CSV line, say)."""
        prepared: list[NewPost] = []
        taken: set[tuple[str, str]] = set()
        known: dict[str, dict[str, int]] = {}  # each channel's texts, read once for the whole file
        checked: list[tuple[str, list[RuleBreak | Finding]]] = []
        earlier: dict[str, list[Neighbour]] = {}  # the rows above, per channel
        stored = self._stored_neighbours(request for _label, request in requests)
        for label, request in requests:
            try:
                new = self.prepare(request, now, also_taken=taken, known=known)
                above = earlier.setdefault(new.channel, [])
                breaks = self.rule_breaks(
                    new.channel, new.due_at, also=above, stored=stored.get(new.channel)
                )
                findings = self.accessibility(new.body, new.channel, new.media_path, new.media_alt)
                if strict:
                    _refuse(_("the post"), breaks, findings)
            except InputError as exc:
                raise InputError(_("{label}: {refusal}").format(label=label, refusal=exc)) from None
            taken.add((new.channel, new.body))
            above.append(Neighbour(_("the post on {label}").format(label=label), new.due_at))
            prepared.append(new)
            checked.append((label, [*breaks, *findings]))
        posts = self.store.add_posts(prepared, now=now)
        for post, (label, told) in zip(posts, checked, strict=True):
            _tell(warn, _("post {id} ({label})").format(id=post.id, label=label), told)
        return posts

    def rule_breaks(
        self,
        channel: str,
        at: datetime,
        *,
        exclude: int | None = None,
        also: Sequence[Neighbour] = (),
        stored: Sequence[Neighbour] | None = None,
    ) -> list[RuleBreak]:
        """The campaign's rules a post set by hand on `channel` at `at` breaks (posts/rules.py):
        its neighbours are the channel's posts in every campaign (`stored`, when an import read
        them already), and `also` (an import's rows)."""
        campaign = self.config.campaign
        start, end = window_of(campaign, at)
        if stored is None:
            near = self.store.neighbours(channel, start, end, exclude=exclude)
        else:
            near = [n for n in stored if start <= n.at < end]
        near += [n for n in also if start <= n.at < end]
        return check_time(campaign, channel, at, near)

    def _stored_neighbours(self, requests: Iterable[AddRequest]) -> dict[str, list[Neighbour]]:
        """Each channel's stored posts over the whole span of an import's times, read once per
        channel rather than once per row."""
        spans: dict[str, tuple[datetime, datetime]] = {}
        for request in requests:
            if request.channel not in self.config.channels:
                continue  # prepare() refuses it, naming its line
            start, end = window_of(self.config.campaign, request.at)
            low, high = spans.get(request.channel, (start, end))
            spans[request.channel] = (min(low, start), max(high, end))
        return {
            channel: self.store.neighbours(channel, start, end)
            for channel, (start, end) in spans.items()
        }

    # editing -----------------------------------------------------------------------------

    def edit(
        self,
        post_id: int,
        now: datetime,
        text: str | None = None,
        at: datetime | None = None,
        *,
        alt: str | None = None,
        strict: bool = False,
        warn: Warn | None = None,
    ) -> Post:
        if text is None and at is None and alt is None:
            raise InputError(_("Give --text, --at or --alt: there is nothing to change."))
        post = self.store.get(post_id)
        require_status([post], EDITABLE, "edit", EDIT_RULE)
        if alt is not None:
            alt = self.new_alt(post, alt)
        if at is not None:
            self.require_future(at, now)
        link = lengths = None
        findings: list[Finding] = []
        if text is not None:
            text = clean_text(text, _("Post {id}'s new text").format(id=post_id)).strip()
            length = self.check_text(text, post.channel, exclude=post.id)
            findings = self.accessibility(text, post.channel)
            lengths = (self.network(post.channel).measure(post.body), length)
            link = self.dying_link(text)
        if alt is not None:
            findings += self.accessibility("", post.channel, post.media_path, alt)
        ends = [e for e in (post.link_expires_at, link[1] if link else None) if e is not None]
        has_link = post.link is not None or link is not None
        self.require_link_alive(at or post.due_at, min(ends) if ends else None, has_link=has_link)
        breaks = self.rule_breaks(post.channel, at, exclude=post.id) if at is not None else []
        if strict:
            _refuse(_("Post {id}").format(id=post_id), breaks, findings)
        edited = self.store.edit(
            post_id, now=now, body=text, due_at=at, link=link, lengths=lengths, media_alt=alt
        )
        _tell(warn, _("post {id}").format(id=post_id), [*breaks, *findings])
        return edited

    def retry(
        self,
        post_id: int,
        now: datetime,
        at: datetime | None = None,
        *,
        strict: bool = False,
        warn: Warn | None = None,
    ) -> Post:
        """Schedule a post again, now or `at`; a time set by hand is checked as `edit` does."""
        post = self.store.get(post_id)
        require_status([post], RETRYABLE, "retry", RETRY_RULE)
        due = at or now
        self.require_future(due, now)
        self.require_link_alive(due, post.link_expires_at, has_link=post.link is not None)
        breaks = self.rule_breaks(post.channel, at, exclude=post.id) if at is not None else []
        if strict and breaks:
            raise InputError(refusal(_("Post {id}").format(id=post_id), breaks))
        retried = self.store.retry(post_id, due_at=due, now=now)
        _tell(warn, _("post {id}").format(id=post_id), breaks)
        return retried


def _refuse(who: str, breaks: Sequence[RuleBreak], findings: Sequence[Finding]) -> None:
    """--strict: one refusal naming every time rule and every accessibility rule the post
    breaks, so that the officer mends them all in one go."""
    if breaks and findings:
        sentences = " ".join(_sentence(f.warning(who)) for f in findings)
        raise InputError(
            _(
                "{who} would be due {when}, {reasons}. {findings} --strict refuses both "
                "(choose another time and change the text, or drop --strict to be warned only)."
            ).format(
                who=who,
                when=breaks[0].when,
                reasons=clauses(b.reason for b in breaks),
                findings=sentences,
            )
        )
    if breaks:
        raise InputError(refusal(who, breaks))
    if findings:
        raise InputError(strict_refusal(who, findings))


def _sentence(text: str) -> str:
    """`text` as the start of a sentence ("the post: …" follows a full stop there)."""
    return text[:1].upper() + text[1:]


def _tell(warn: Warn | None, who: str, breaks: Sequence[RuleBreak | Finding]) -> None:
    if warn is not None:
        for item in breaks:
            warn(item.warning(who))
