"""The officer's verbs with every check they need, shared by the command line and the web page.

Each verb validates everything first and writes only when all is well, so a refusal changes
nothing. Times come in already parsed (aware, UTC); `now` is passed in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from posts.campaign import Config, link_end
from posts.characters import clean_text, is_web_address
from posts.errors import InputError
from posts.images import check_image
from posts.language import gettext as _
from posts.language import show_date, show_time
from posts.links import link_in
from posts.models import RETRYABLE, Post
from posts.networks import Network, network_for
from posts.planning import SEARCH_HORIZON, Plan, PlannedPost, plan_campaign
from posts.problems import find_problems, refuse_problems
from posts.promises import check_promises
from posts.rendering import Renderer, Subject, link_for
from posts.rules import Neighbour, RuleBreak, check_time, refusal, window_of
from posts.store import EDIT_RULE, EDITABLE, RETRY_RULE, NewPost, PlanReport, Store, require_status
from posts.timing import format_duration

# A time given as "now" reaches the check a moment later; allow for that, refuse real pasts.
PAST_TOLERANCE = timedelta(minutes=1)
ONE_OFF_PHASE = "one-off"
# Told each warning about a hand-set time, once the post is written (stderr, a flash message).
Warn = Callable[[str], None]


@dataclass(frozen=True)
class AddRequest:
    channel: str
    at: datetime
    text: str | None = None
    template: str | None = None
    subject: str | None = None
    link: str | None = None
    link_expires: datetime | None = None
    image: Path | None = None
    alt: str | None = None
    draft: bool = False  # a draft read back from an export waits for approval again


@dataclass(frozen=True)
class Rendered:
    post: PlannedPost
    template: str


class Officer:
    """The verbs; `store` may be None for the ones that only read config and templates."""

    def __init__(self, config: Config, store: Store | None):
        self.config = config
        self._store = store
        self._renderer: Renderer | None = None

    @property
    def store(self) -> Store:
        assert self._store is not None, (
            "this verb needs the database"  # untranslated: a programming error
        )
        return self._store

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            self._renderer = Renderer(self.config)
        return self._renderer

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
        if strict and breaks:
            raise InputError(
                refusal(_("The new post on {channel}").format(channel=new.channel), breaks)
            )
        post = self.store.add_post(new, now=now)
        _tell(warn, _("post {id}").format(id=post.id), breaks)
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
        checked: list[tuple[str, list[RuleBreak]]] = []
        earlier: dict[str, list[Neighbour]] = {}  # the rows above, per channel
        stored = self._stored_neighbours(request for _label, request in requests)
        for label, request in requests:
            try:
                new = self.prepare(request, now, also_taken=taken, known=known)
                above = earlier.setdefault(new.channel, [])
                breaks = self.rule_breaks(
                    new.channel, new.due_at, also=above, stored=stored.get(new.channel)
                )
                if strict and breaks:
                    raise InputError(refusal(_("the post"), breaks))
            except InputError as exc:
                raise InputError(_("{label}: {refusal}").format(label=label, refusal=exc)) from None
            taken.add((new.channel, new.body))
            above.append(Neighbour(_("the post on {label}").format(label=label), new.due_at))
            prepared.append(new)
            checked.append((label, breaks))
        posts = self.store.add_posts(prepared, now=now)
        for post, (label, breaks) in zip(posts, checked, strict=True):
            _tell(warn, _("post {id} ({label})").format(id=post.id, label=label), breaks)
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

    def prepare(
        self,
        request: AddRequest,
        now: datetime,
        also_taken: set[tuple[str, str]] | None = None,
        known: dict[str, dict[str, int]] | None = None,
    ) -> NewPost:
        """Check a one-off post and build it, writing nothing. `known` keeps each channel's
        stored texts across the posts of one import, read once per channel."""
        channel = self.channel(request.channel)
        self.require_future(request.at, now)
        if request.text is None and request.template is None:
            raise InputError(_("Give the post's text with --text, or a template with --template."))
        if request.text is not None and request.template is not None:
            raise InputError(
                _("Give the post's text with --text or a template with --template, not both.")
            )
        subject_text = request.subject or ("article" if request.template else "one-off")
        clean_text(subject_text, _("The subject"), kept=frozenset())
        subject = Subject.parse(subject_text)
        if subject.kind == "course" and self.config.course(subject.key or "") is None:
            keys = ", ".join(c.key for c in self.config.courses) or _("none")
            source = self.config.path.name if self.config.path else "config.toml"
            raise InputError(
                _("There is no course {key!r} in {source} (courses: {keys}).").format(
                    key=subject.key, source=source, keys=keys
                )
            )
        link, link_expires = request.link, request.link_expires
        if request.template is not None:
            body, phase = self._render_template(
                request.template, subject, request.channel, request.at
            )
            if link is None:
                link = link_for(self.config, subject)
                dates = self.config.subject_dates(str(subject))
                if dates is not None and dates.expires is not None and link is not None:
                    link_expires = link_expires or link_end(dates.expires, self.config.campaign)
        else:
            body, phase = clean_text(request.text or "").strip(), ONE_OFF_PHASE
        if link is not None and not is_web_address(link):
            raise InputError(
                _(
                    "--link must be a web address starting with https:// or http://, not {link!r}."
                ).format(link=link)
            )
        ends = self.subject_end(subject) if request.template or request.subject else None
        if link_expires is not None and link is None and ends is None:
            raise InputError(
                _("--link-expires needs --link: it tells when that link stops working.")
            )
        if link and link not in body:
            body = f"{body}\n\n{link}"
        dying = self.dying_link(f"{body} {link or ''}")
        if dying is not None and (link_expires is None or dying[1] < link_expires):
            link, link_expires = dying
        if ends is not None:
            # A course's registration closes on its expires, link or none: its posts too.
            link_expires = min(link_expires or ends, ends)
        self.require_link_alive(request.at, link_expires, has_link=link is not None)
        media_path, media_alt = self._media(request.image, request.alt)
        self.check_text(body, request.channel, known=known)
        if also_taken and (request.channel, body) in also_taken:
            raise InputError(
                _("the same text is already queued above for {channel}.").format(
                    channel=request.channel
                )
            )
        return NewPost(
            campaign=self.config.campaign.name,
            channel=channel,
            subject=str(subject),
            phase=phase,
            body=body,
            due_at=request.at,
            link=link,
            link_expires_at=link_expires,
            media_path=media_path,
            media_alt=media_alt,
            draft=request.draft,
        )

    def _render_template(
        self, name: str, subject: Subject, channel: str, at: datetime
    ) -> tuple[str, str]:
        channel_type = self.config.channels[channel].type
        if "/" in name or name.endswith(".j2"):
            template = self._template_path(name)
            phase = Path(name).name.split(".")[0]
        else:
            phase = name
            template = self.renderer.find(subject.kind, phase, channel_type)
            if Path(template).name.startswith("default.") and phase != "default":
                raise InputError(
                    _(
                        "There is no template {phase!r} for {kind} posts on {channel_type} "
                        "(looked for {kind}/{phase}.{channel_type}.j2 and {kind}/{phase}.j2)."
                    ).format(phase=phase, kind=subject.kind, channel_type=channel_type)
                )
        context = self.renderer.context(subject, phase, channel, at)
        return self.renderer.render(template, context), phase

    def _template_path(self, name: str) -> str:
        """A template named by its path under the templates folder, as the renderer reads it.
        A name outside that folder is refused before anything is looked up, in the same words
        whether such a file exists or not, and no refusal names a path on the machine (the web
        page shows them)."""
        root = Path(os.path.normpath(self.renderer.templates_dir))
        path = Path(os.path.normpath(root / name))
        if not path.is_relative_to(root) or path == root:
            raise InputError(
                _(
                    "{name} is not a template under the templates folder: name one by its path "
                    "there, such as article/announce.j2."
                ).format(name=name)
            )
        if not path.is_file():
            raise InputError(
                _("There is no template {name} in the templates folder.").format(name=name)
            )
        return path.relative_to(root).as_posix()

    def _media(self, image: Path | None, alt: str | None) -> tuple[str | None, str | None]:
        if image is None:
            if alt:
                raise InputError(_("--alt describes an image: give the image with --image."))
            return None, None
        check_image(image)
        if not alt or not alt.strip():
            raise InputError(
                _("An image needs its alt text (--alt) for readers who cannot see it.")
            )
        return str(image.resolve()), clean_text(alt, _("The alt text")).strip()

    # editing -----------------------------------------------------------------------------

    def edit(
        self,
        post_id: int,
        now: datetime,
        text: str | None = None,
        at: datetime | None = None,
        *,
        strict: bool = False,
        warn: Warn | None = None,
    ) -> Post:
        if text is None and at is None:
            raise InputError(_("Give --text, --at or both: there is nothing to change."))
        post = self.store.get(post_id)
        require_status([post], EDITABLE, "edit", EDIT_RULE)
        if at is not None:
            self.require_future(at, now)
        link = lengths = None
        if text is not None:
            text = clean_text(text, _("Post {id}'s new text").format(id=post_id)).strip()
            length = self.check_text(text, post.channel, exclude=post.id)
            lengths = (self.network(post.channel).measure(post.body), length)
            link = self.dying_link(text)
        ends = [e for e in (post.link_expires_at, link[1] if link else None) if e is not None]
        has_link = post.link is not None or link is not None
        self.require_link_alive(at or post.due_at, min(ends) if ends else None, has_link=has_link)
        breaks = self.rule_breaks(post.channel, at, exclude=post.id) if at is not None else []
        if strict and breaks:
            raise InputError(refusal(_("Post {id}").format(id=post_id), breaks))
        edited = self.store.edit(post_id, now=now, body=text, due_at=at, link=link, lengths=lengths)
        _tell(warn, _("post {id}").format(id=post_id), breaks)
        return edited

    def dying_link(self, text: str) -> tuple[str, datetime] | None:
        """The link of a subject with `expires` that `text` carries, and its end; the one that
        ends first when it carries several (rule 1 follows a link wherever the officer wrote
        it, not only where the planner put it: the offprint, a course's registration page)."""
        campaign = self.config.campaign
        found = [
            (link, link_end(s.expires, campaign))
            for s in self.config.subjects()
            if s.url and s.expires is not None
            for link in [link_in(text, s.url, campaign.utm)]
            if link is not None
        ]
        return min(found, key=lambda link: link[1]) if found else None

    def subject_end(self, subject: Subject) -> datetime | None:
        """The first instant a subject is no longer useful (after its `expires`), if it has one."""
        dates = self.config.subject_dates(str(subject))
        if dates is None or dates.expires is None:
            return None
        return link_end(dates.expires, self.config.campaign)

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

    # checks ------------------------------------------------------------------------------

    def channel(self, name: str) -> str:
        return require_channel(self.config, name)

    def network(self, channel: str) -> Network:
        config = self.config.channels[channel]
        return network_for(config.type, config.options)

    def check_text(
        self,
        text: str,
        channel: str,
        exclude: int | None = None,
        known: dict[str, dict[str, int]] | None = None,
    ) -> int:
        length = self.network(channel).check(text)
        if known is None:
            bodies = self.store.bodies(channel, exclude=exclude)
        elif channel in known:
            bodies = known[channel]
        else:
            bodies = known[channel] = self.store.bodies(channel, exclude=exclude)
        if text in bodies:
            raise InputError(
                _(
                    "Channel {channel} already has post {id} with this exact text; "
                    "networks refuse or hide repeats, so change the wording."
                ).format(channel=channel, id=bodies[text])
            )
        return length

    def require_future(self, at: datetime, now: datetime) -> None:
        if at < now - PAST_TOLERANCE:
            tz = self.config.campaign.timezone
            raise InputError(
                _("{time} is in the past; give a time from now on.").format(time=show_time(at, tz))
            )

    def require_link_alive(
        self, at: datetime, link_expires: datetime | None, *, has_link: bool = True
    ) -> None:
        """Rule 1: never schedule a post whose link (or subject, when it has no link) will be
        dead (minus the margin) when due."""
        if link_expires is None:
            return
        margin = self.config.campaign.safety_margin
        if at > link_expires - margin:
            tz = self.config.campaign.timezone
            last = show_date((link_expires - timedelta(seconds=1)).astimezone(tz).date())
            if has_link:
                sentence = _(
                    "The link stops working after {day}; with the safety margin of {margin}, "
                    "a post carrying it must be due by {time}."
                )
            else:
                sentence = _(
                    "Its subject is no longer useful after {day}; with the safety margin of "
                    "{margin}, a post about it must be due by {time}."
                )
            raise InputError(
                sentence.format(
                    day=last,
                    margin=format_duration(margin),
                    time=show_time(link_expires - margin, tz),
                )
            )


def _tell(warn: Warn | None, who: str, breaks: Sequence[RuleBreak]) -> None:
    if warn is not None:
        for item in breaks:
            warn(item.warning(who))


def require_channel(config: Config, name: str) -> str:
    """The name, if config.toml has such a channel; else one sentence listing those it has."""
    if name not in config.channels:
        known = ", ".join(config.channels)
        raise InputError(
            _("There is no channel {name!r} in config.toml (channels: {known}).").format(
                name=name, known=known
            )
        )
    return name
