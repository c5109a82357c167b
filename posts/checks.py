"""Every check the officer's verbs make before they write, and `prepare`, which checks a
one-off post (an AddRequest from `add`, the web page or an imported file) and builds it, writing
nothing. The verbs themselves are in posts/officer.py, whose Officer extends these checks.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from posts.accessibility import (
    Finding,
    Vocabulary,
    alt_findings,
    alt_limit,
    text_findings,
)
from posts.campaign import Config, Subject, link_end
from posts.characters import clean_text, is_web_address
from posts.errors import InputError
from posts.images import check_image
from posts.language import gettext as _
from posts.language import show_date, show_time
from posts.links import link_in
from posts.models import Post
from posts.networks import Network, network_for
from posts.problems import card_too_big
from posts.rendering import Renderer, link_for
from posts.store import NewPost, Store
from posts.styled_letters import refuse_fancy
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
    draft: bool = False  # a draft read back from an export waits for approval again


class Checks:
    """The checks and `prepare`; `store` may be None for what only reads config and
    templates."""

    def __init__(self, config: Config, store: Store | None):
        self.config = config
        self._store = store
        self._renderer: Renderer | None = None
        self._vocabulary: Vocabulary | None = None

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
        if request.image is not None:
            self.network(request.channel).check_image_size(request.image)
        else:  # the link card shows the subject's picture (Bluesky takes 1,000,000 bytes)
            too_big = card_too_big(self.config, str(subject), link, self.network(request.channel))
            if too_big:
                who = _("The new post on {channel}").format(channel=channel)
                raise InputError(_("{label}: {refusal}").format(label=who, refusal=too_big))
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
        alt = clean_text(alt, _("The alt text")).strip()
        refuse_fancy(alt, _("The alt text"))
        return str(image.resolve()), alt

    def new_alt(self, post: Post, alt: str) -> str:
        """An edit's new alt text for the post's image, cleaned; refused without an image."""
        if not post.media_path:
            raise InputError(
                _("Post {id} has no image: --alt describes a post's image.").format(id=post.id)
            )
        if not alt.strip():
            raise InputError(
                _("An image needs its alt text (--alt) for readers who cannot see it.")
            )
        alt = clean_text(alt, _("The alt text")).strip()
        refuse_fancy(alt, _("The alt text"))
        return alt

    @property
    def vocabulary(self) -> Vocabulary:
        """The words that split a lower-case hashtag: the shipped list and the campaign's own
        hashtags (posts/accessibility.py)."""
        if self._vocabulary is None:
            config = self.config
            phrases = [*config.campaign.hashtags]
            if config.article is not None:
                phrases += config.article.hashtags
            for course in config.courses:
                phrases += course.hashtags
            self._vocabulary = Vocabulary(phrases)
        return self._vocabulary

    def accessibility(
        self, text: str, channel: str, image: str | None = None, alt: str | None = None
    ) -> list[Finding]:
        """The accessibility rules a post on `channel` breaks: warnings, refusals with
        --strict (its styled letters are refused already, by check_text)."""
        found = text_findings(text, self.vocabulary)
        if alt is not None:
            config = self.config.channels[channel]
            limit = alt_limit(config.type, config.options)
            found += alt_findings(alt, image, self.network(channel).name, limit)
        return found

    def campaign_warnings(self, rendered: Iterable[tuple[str, str, str, str]]) -> list[str]:
        """What `check` warns of: the accessibility rules each rendered post breaks, given as
        (template, plan key, channel, text), told once per template and rule (a template
        four courses share is told once); and the link cards' alt texts in config.toml,
        whose styled letters are refused."""
        told: set[str] = set()
        warnings = []
        for template, key, channel, body in rendered:
            for finding in self.accessibility(body, channel):
                if finding.warning(template) in told:
                    continue
                told.add(finding.warning(template))
                who = _("{template} ({post})").format(template=template, post=key)
                warnings.append(finding.warning(who))
        channels = self.config.channels.values()
        if not channels:
            return warnings
        card = min(channels, key=lambda c: alt_limit(c.type, c.options))
        limit, network = alt_limit(card.type, card.options), self.network(card.name).name
        source = self.config.path.name if self.config.path else "config.toml"
        cards: list[tuple[str, Path | None, str]] = [
            (f"[[courses]] {c.key}", c.image, c.image_alt) for c in self.config.courses
        ]
        if self.config.article is not None:
            cards.insert(0, ("[article]", self.config.article.image, self.config.article.image_alt))
        for where, image, alt in cards:
            if image is None:
                continue
            who = _("{source}: {where} image_alt").format(source=source, where=where)
            refuse_fancy(alt, who)
            for finding in alt_findings(alt, str(image), network, limit):
                warnings.append(finding.warning(who))
        return warnings

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
        refuse_fancy(text)
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
