"""Post templates: sandboxed Jinja2, strict about undefined names, with French dates.

Templates are user content, edited by the officer, so they run in Jinja2's sandbox and every
error names the file and the line. Lookup, for a subject kind, a phase and a channel type:
`<kind>/<phase>.<type>.j2`, `<kind>/<phase>.j2`, `<kind>/default.<type>.j2`, `<kind>/default.j2`;
for Bluesky, then the Mastodon ones (its length is still checked against Bluesky's 300).
"""

from __future__ import annotations

import re
import traceback
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.lists import format_list
from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, TemplateSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from posts.campaign import Config, Subject
from posts.characters import clean_text
from posts.errors import InputError, TemplateError
from posts.language import gettext as _
from posts.links import Utm, tagged

_BLANK_LINES = re.compile(r"\n{3,}")


# A network without a template of its own borrows this one's, when the text fits.
BORROWS = {"bluesky": "mastodon"}


def template_candidates(kind: str, phase: str, channel_type: str) -> list[str]:
    names = [
        f"{kind}/{phase}.{channel_type}.j2",
        f"{kind}/{phase}.j2",
        f"{kind}/default.{channel_type}.j2",
        f"{kind}/default.j2",
    ]
    lender = BORROWS.get(channel_type)
    if lender is not None:
        names += [f"{kind}/{phase}.{lender}.j2", f"{kind}/default.{lender}.j2"]
    return names


class Renderer:
    """Renders a campaign's templates; one per config, cheap to keep."""

    def __init__(self, config: Config):
        self.config = config
        self.templates_dir = config.templates_dir
        self.locale = config.campaign.language
        env = SandboxedEnvironment(
            loader=FileSystemLoader(str(self.templates_dir)),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["date"] = self._format_date
        env.filters["datetime"] = self._format_datetime
        env.filters["hashtag"] = hashtag
        env.filters["hashtags"] = hashtags
        env.filters["and_list"] = self._and_list
        self.env = env

    # filters -----------------------------------------------------------------------------

    def _format_date(self, value: date | datetime, fmt: str = "d MMMM y") -> str:
        if isinstance(value, datetime):
            value = value.astimezone(self.config.campaign.timezone)
        return format_date(value, format=fmt, locale=self.locale)

    def _format_datetime(self, value: datetime, fmt: str = "EEEE d MMMM y 'à' HH:mm") -> str:
        tz = self.config.campaign.timezone
        return format_datetime(value, format=fmt, tzinfo=tz, locale=self.locale)

    def _and_list(self, items: Iterable[object]) -> str:
        return format_list([str(i) for i in items], locale=self.locale)

    # lookup and rendering ----------------------------------------------------------------

    def find(self, kind: str, phase: str, channel_type: str) -> str:
        """The name of the template that serves this kind, phase and channel type."""
        candidates = template_candidates(kind, phase, channel_type)
        for name in candidates:
            if (self.templates_dir / name).is_file():
                return name
        raise TemplateError(
            _(
                "no template for {kind} posts in phase {phase!r} on {channel_type}: "
                "add one of {candidates} under {folder}."
            ).format(
                kind=kind,
                phase=phase,
                channel_type=channel_type,
                candidates=", ".join(candidates),
                folder=self.templates_dir,
            )
        )

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """Render one template; every failure becomes a TemplateError naming file and line."""
        path = self.templates_dir / name
        try:
            template = self.env.get_template(name)
            text = template.render(context)
        except TemplateSyntaxError as exc:
            raise TemplateError(
                _("syntax error: {error}").format(error=exc.message),
                filename=str(path),
                lineno=exc.lineno,
            ) from exc
        except TemplateNotFound as exc:
            raise TemplateError(
                _("template {name!r} does not exist").format(name=exc.name), filename=str(path)
            ) from exc
        except UndefinedError as exc:
            raise TemplateError(
                _("{error} (a name the template uses is not defined for this post)").format(
                    error=exc.message
                ),
                filename=str(_failing_file(exc, path)),
                lineno=_failing_line(exc),
            ) from exc
        except SecurityError as exc:
            raise TemplateError(
                _("the sandbox refused it: {error}").format(error=exc),
                filename=str(_failing_file(exc, path)),
                lineno=_failing_line(exc),
            ) from exc
        except Exception as exc:  # a filter or test given the wrong type, a division by zero
            raise TemplateError(
                f"{type(exc).__name__}: {exc}",
                filename=str(_failing_file(exc, path)),
                lineno=_failing_line(exc),
            ) from exc
        try:
            text = clean_text(text, _("Its text"))
        except InputError as exc:
            raise TemplateError(str(exc), filename=str(path)) from None
        return tidy(text)

    def context(
        self,
        subject: Subject,
        phase: str,
        channel_name: str,
        due_at: datetime,
        occurrence: int = 1,
    ) -> dict[str, Any]:
        """What a template sees for one post (documented in docs/templates.md)."""
        config = self.config
        campaign = config.campaign
        ctx: dict[str, Any] = {
            "campaign": {
                "name": campaign.name,
                "language": campaign.language,
                "hashtags": list(campaign.hashtags),
            },
            "contact": asdict(config.contact),
            "phase": phase,
            "subject": str(subject),
            "channel": {"name": channel_name, "type": config.channels[channel_name].type},
            "due": due_at.astimezone(campaign.timezone),
            "occurrence": occurrence,
        }
        if config.article is not None:
            article = config.article
            ctx["article"] = asdict(article) | {
                "authors": [asdict(a) for a in article.authors],
                "phases": [p.name for p in article.phases],
            }
            local_day = due_at.astimezone(campaign.timezone).date()
            ctx["expires"] = article.expires
            ctx["days_left"] = (article.expires - local_day).days
        if subject.kind == "course":
            course = config.course(subject.key or "")
            if course is None:
                raise TemplateError(
                    _("there is no course with key {key!r} in config.toml.").format(key=subject.key)
                )
            ctx["course"] = asdict(course) | {"phases": [p.name for p in course.phases]}
            if course.expires is not None:  # the course's own deadline, not the offprint's
                local_day = due_at.astimezone(campaign.timezone).date()
                ctx["expires"] = course.expires
                ctx["days_left"] = (course.expires - local_day).days
        ctx["link"] = link_for(config, subject)
        _tag_links(ctx, campaign.utm)
        listed: dict[str, Any] = _lists(ctx)
        return listed

    def render_post(
        self, subject: Subject, phase: str, channel_name: str, due_at: datetime, occurrence: int = 1
    ) -> str:
        channel_type = self.config.channels[channel_name].type
        name = self.find(subject.kind, phase, channel_type)
        return self.render(name, self.context(subject, phase, channel_name, due_at, occurrence))


def link_for(config: Config, subject: Subject) -> str | None:
    """The link a post about this subject carries."""
    if subject.kind == "article" and config.article is not None:
        return config.article.url
    if subject.kind == "course":
        course = config.course(subject.key or "")
        return course.url if course else None
    return None


def _tag_links(ctx: dict[str, Any], utm: Utm) -> None:
    """The campaign's own links as the template sees them, tagged with `[campaign] utm`: the
    article's and the course's `url`, and `link`; nothing else."""
    if not utm:
        return
    for key in ("article", "course"):
        if ctx.get(key) and ctx[key].get("url"):
            ctx[key]["url"] = tagged(ctx[key]["url"], utm)
    if ctx["link"]:
        ctx["link"] = tagged(ctx["link"], utm)


def _lists(value: Any) -> Any:
    """Tuples become lists all the way down, so templates can add them (`a.hashtags + [...]`)."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value


def hashtag(text: str) -> str:
    """'travail social' -> '#TravailSocial': accents kept, all but letters and digits dropped."""
    words = re.split(r"[^\w]+|_", unicodedata.normalize("NFC", str(text)).lstrip("#"))
    return "#" + "".join(w[:1].upper() + w[1:] for w in words if w)


def hashtags(items: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(hashtag(i) for i in items))


def tidy(text: str) -> str:
    """Trailing spaces off each line, at most one blank line in a row, no blank ends."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines))


def _failing_frame(exc: BaseException) -> traceback.FrameSummary | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    return frames[-1] if frames else None


def _failing_file(exc: BaseException, default: Path) -> str | Path:
    frame = _failing_frame(exc)
    return frame.filename if frame else default


def _failing_line(exc: BaseException) -> int | None:
    frame = _failing_frame(exc)
    return frame.lineno if frame else None
