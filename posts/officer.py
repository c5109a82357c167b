"""The officer's verbs with every check they need, shared by the command line and the web page.

Each verb validates everything first and writes only when all is well, so a refusal changes
nothing. Times come in already parsed (aware, UTC); `now` is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from babel.dates import format_date

from posts.campaign import Config, link_end
from posts.errors import InputError
from posts.images import check_image
from posts.models import RETRYABLE, Post
from posts.networks import Network, network_for
from posts.planning import Plan, PlannedPost, check_posts, plan_campaign
from posts.rendering import Renderer, Subject, link_for
from posts.store import EDIT_RULE, EDITABLE, RETRY_RULE, NewPost, PlanReport, Store, require_status
from posts.timing import format_duration

# A time given as "now" reaches the check a moment later; allow for that, refuse real pasts.
PAST_TOLERANCE = timedelta(minutes=1)
ONE_OFF_PHASE = "one-off"


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
        assert self._store is not None, "this verb needs the database"
        return self._store

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            self._renderer = Renderer(self.config)
        return self._renderer

    # planning ----------------------------------------------------------------------------

    def compute_plan(self, as_of: datetime) -> Plan:
        def render(subject: str, phase: str, channel: str, due: datetime, occurrence: int) -> str:
            return self.renderer.render_post(
                Subject.parse(subject), phase, channel, due, occurrence
            )

        plan = plan_campaign(self.config, as_of, render)
        _refuse_problems("The plan cannot be saved", plan.problems)
        return plan

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
        _refuse_problems("The templates need work", check_posts(config, [r.post for r in rendered]))
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

    def add(self, request: AddRequest, now: datetime) -> Post:
        return self.store.add_post(self.prepare(request, now), now=now)

    def add_many(self, requests: Sequence[tuple[str, AddRequest]], now: datetime) -> list[Post]:
        """All or nothing: every request is checked (each against the others too) before any is
        written; a refusal names the request by its label (a CSV line, say)."""
        prepared: list[NewPost] = []
        taken: set[tuple[str, str]] = set()
        for label, request in requests:
            try:
                new = self.prepare(request, now, also_taken=taken)
            except InputError as exc:
                raise InputError(f"{label}: {exc}") from None
            taken.add((new.channel, new.body))
            prepared.append(new)
        return self.store.add_posts(prepared, now=now)

    def prepare(
        self, request: AddRequest, now: datetime, also_taken: set[tuple[str, str]] | None = None
    ) -> NewPost:
        """Check a one-off post and build it, writing nothing."""
        channel = self.channel(request.channel)
        self.require_future(request.at, now)
        if request.text is None and request.template is None:
            raise InputError("Give the post's text with --text, or a template with --template.")
        if request.text is not None and request.template is not None:
            raise InputError(
                "Give the post's text with --text or a template with --template, not both."
            )
        subject_text = request.subject or ("article" if request.template else "one-off")
        subject = Subject.parse(subject_text)
        if subject.kind == "course" and self.config.course(subject.key or "") is None:
            keys = ", ".join(c.key for c in self.config.courses) or "none"
            raise InputError(
                f"There is no course {subject.key!r} in config.toml (courses: {keys})."
            )
        link, link_expires = request.link, request.link_expires
        if request.template is not None:
            body, phase = self._render_template(
                request.template, subject, request.channel, request.at
            )
            if link is None:
                link = link_for(self.config, subject)
                if subject.kind == "article" and self.config.article is not None:
                    link_expires = link_expires or link_end(
                        self.config.article.expires, self.config.campaign
                    )
        else:
            body, phase = (request.text or "").strip(), ONE_OFF_PHASE
        if link is not None and not is_web_address(link):
            raise InputError(
                f"--link must be a web address starting with https:// or http://, not {link!r}."
            )
        if link_expires is not None and link is None:
            raise InputError("--link-expires needs --link: it tells when that link stops working.")
        if link and link not in body:
            body = f"{body}\n\n{link}"
        dying = self.dying_link(f"{body} {link or ''}")
        if dying is not None and (link_expires is None or dying[1] < link_expires):
            link, link_expires = dying
        self.require_link_alive(request.at, link_expires)
        media_path, media_alt = self._media(request.image, request.alt)
        self.check_text(body, request.channel)
        if also_taken and (request.channel, body) in also_taken:
            raise InputError(f"the same text is already queued above for {request.channel}.")
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
        )

    def _render_template(
        self, name: str, subject: Subject, channel: str, at: datetime
    ) -> tuple[str, str]:
        channel_type = self.config.channels[channel].type
        if "/" in name or name.endswith(".j2"):
            template = name
            phase = Path(name).name.split(".")[0]
            if not (self.renderer.templates_dir / template).is_file():
                raise InputError(
                    f"There is no template {template} under {self.renderer.templates_dir}."
                )
        else:
            phase = name
            template = self.renderer.find(subject.kind, phase, channel_type)
            if Path(template).name.startswith("default.") and phase != "default":
                raise InputError(
                    f"There is no template {phase!r} for {subject.kind} posts on {channel_type} "
                    f"(looked for {subject.kind}/{phase}.{channel_type}.j2 and "
                    f"{subject.kind}/{phase}.j2)."
                )
        context = self.renderer.context(subject, phase, channel, at)
        return self.renderer.render(template, context), phase

    def _media(self, image: Path | None, alt: str | None) -> tuple[str | None, str | None]:
        if image is None:
            if alt:
                raise InputError("--alt describes an image: give the image with --image.")
            return None, None
        check_image(image)
        if not alt or not alt.strip():
            raise InputError("An image needs its alt text (--alt) for readers who cannot see it.")
        return str(image.resolve()), alt.strip()

    # editing -----------------------------------------------------------------------------

    def edit(
        self, post_id: int, now: datetime, text: str | None = None, at: datetime | None = None
    ) -> Post:
        if text is None and at is None:
            raise InputError("Give --text, --at or both: there is nothing to change.")
        post = self.store.get(post_id)
        require_status([post], EDITABLE, "edit", EDIT_RULE)
        if at is not None:
            self.require_future(at, now)
        link = lengths = None
        if text is not None:
            text = text.strip()
            length = self.check_text(text, post.channel, exclude=post.id)
            lengths = (self.network(post.channel).measure(post.body), length)
            link = self.dying_link(text)
        ends = [e for e in (post.link_expires_at, link[1] if link else None) if e is not None]
        self.require_link_alive(at or post.due_at, min(ends) if ends else None)
        return self.store.edit(post_id, now=now, body=text, due_at=at, link=link, lengths=lengths)

    def dying_link(self, text: str) -> tuple[str, datetime] | None:
        """The article's offprint link and its end, when `text` carries it (rule 1 follows the
        link wherever the officer wrote it, not only where the planner put it)."""
        article = self.config.article
        if article is not None and article.url in text:
            return article.url, link_end(article.expires, self.config.campaign)
        return None

    def retry(self, post_id: int, now: datetime, at: datetime | None = None) -> Post:
        post = self.store.get(post_id)
        require_status([post], RETRYABLE, "retry", RETRY_RULE)
        due = at or now
        self.require_future(due, now)
        self.require_link_alive(due, post.link_expires_at)
        return self.store.retry(post_id, due_at=due, now=now)

    # checks ------------------------------------------------------------------------------

    def channel(self, name: str) -> str:
        return require_channel(self.config, name)

    def network(self, channel: str) -> Network:
        config = self.config.channels[channel]
        return network_for(config.type, config.options)

    def check_text(self, text: str, channel: str, exclude: int | None = None) -> int:
        length = self.network(channel).check(text)
        if text in self.store.bodies(channel, exclude=exclude):
            raise InputError(
                f"Channel {channel} already has a post with this exact text; networks refuse "
                "or hide repeats, so change the wording."
            )
        return length

    def require_future(self, at: datetime, now: datetime) -> None:
        if at < now - PAST_TOLERANCE:
            tz = self.config.campaign.timezone
            raise InputError(
                f"{at.astimezone(tz).isoformat(timespec='minutes')} is in the past; give a time "
                "from now on."
            )

    def require_link_alive(self, at: datetime, link_expires: datetime | None) -> None:
        """Rule 1: never schedule a post whose link will be dead (minus the margin) when due."""
        if link_expires is None:
            return
        margin = self.config.campaign.safety_margin
        if at > link_expires - margin:
            tz = self.config.campaign.timezone
            last = format_date(
                (link_expires - timedelta(seconds=1)).astimezone(tz),
                format="d MMMM y",
                locale=self.config.campaign.language,
            )
            raise InputError(
                f"The link stops working after {last}; with the safety margin of "
                f"{format_duration(margin)}, a post carrying it must be due by "
                f"{(link_expires - margin).astimezone(tz).isoformat(timespec='minutes')}."
            )


def _refuse_problems(what: str, problems: list[str]) -> None:
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(f"{what}: {problems[0]}{more}")


def require_channel(config: Config, name: str) -> str:
    """The name, if config.toml has such a channel; else one sentence listing those it has."""
    if name not in config.channels:
        known = ", ".join(config.channels)
        raise InputError(f"There is no channel {name!r} in config.toml (channels: {known}).")
    return name


def is_web_address(link: str) -> bool:
    scheme, _, rest = link.partition("://")
    return scheme.lower() in ("http", "https") and bool(rest) and not any(c.isspace() for c in link)
