"""The subjects of a campaign in config.toml: [article] and [[courses]], with their phases,
sessions, link, deadline (`expires`) and link card (docs/subjects.md)."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Any

from posts.campaign import (
    Anchor,
    Article,
    Author,
    Campaign,
    Course,
    Phase,
    Session,
)
from posts.errors import ConfigError, InputError
from posts.images import check_image
from posts.language import gettext as _
from posts.timing import parse_duration
from scheduler.config_table import Table, of_table


def read_article(table: Table, base_dir: Path, campaign: Campaign) -> Article:
    authors = tuple(
        Author(name=t.text("name"), role=t.text("role", "")) for t in table.tables("authors")
    )
    if not authors:
        raise ConfigError(_("config.toml: [article] needs at least one [[article.authors]]."))
    expires = _expires(table, campaign, required=True)
    assert expires is not None
    phases = _phases(table, "[[article.phases]]", expires)
    pages = table.integer("pages", 0)
    return Article(
        title=table.text("title"),
        subtitle=table.text("subtitle", ""),
        authors=authors,
        journal=table.text("journal"),
        issue=table.text("issue"),
        publisher=table.text("publisher"),
        platform=table.text("platform", ""),
        pages=pages or None,
        url=_url(table, "url"),
        expires=expires,
        phases=phases,
        topics=table.strings("topics"),
        hashtags=table.strings("hashtags"),
        dead_if=_dead_if(table),
        **_card_image(table, base_dir),
    )


def _dead_if(table: Table) -> str:
    """`dead_if`: a phrase whose presence on the link's page says the link no longer works
    (some publishers answer 200 with "this link has expired"); empty for none."""
    return " ".join(table.text("dead_if", "", required=False).split())


def _phase(table: Table) -> Phase:
    anchor = table.text("anchor")
    if anchor not in ("start", "expires"):
        raise ConfigError(
            _('config.toml: {where} anchor must be "start" or "expires", not {anchor!r}.').format(
                where=table.where, anchor=anchor
            )
        )
    offset_text = table.text("offset", "0d")
    negative = offset_text.startswith("-")
    try:
        offset = parse_duration(offset_text.lstrip("+-"))
    except InputError as exc:
        raise ConfigError(
            _("config.toml: {where} offset: {reason}").format(where=table.where, reason=exc)
        ) from None
    at_text = table.text("at", "", required=False)
    try:
        at = time.fromisoformat(at_text) if at_text else None
    except ValueError:
        raise ConfigError(
            _("config.toml: {where} at {at!r} is not a time.").format(where=table.where, at=at_text)
        ) from None
    anchor_value: Anchor = "start" if anchor == "start" else "expires"
    return Phase(
        name=table.text("name"),
        anchor=anchor_value,
        offset=-offset if negative else offset,
        at=at,
    )


def _expires(table: Table, campaign: Campaign, *, required: bool) -> date | None:
    """A subject's `expires`: its last useful day, never before the campaign starts."""
    expires = table.day("expires") if required else table.optional_day("expires")
    if expires is not None and expires < campaign.start:
        raise ConfigError(
            _(
                "config.toml: {where} expires {expires} is before the campaign start "
                "{start}; nothing could be planned while it is useful."
            ).format(where=table.where, expires=expires, start=campaign.start)
        )
    return expires


def _phases(table: Table, name: str, expires: date | None) -> tuple[Phase, ...]:
    phases = tuple(_phase(t) for t in table.tables("phases"))
    names = [p.name for p in phases]
    if len(set(names)) != len(names):
        raise ConfigError(_("config.toml: two {tables} share one name.").format(tables=name))
    for phase in phases:
        if phase.anchor == "expires" and expires is None:
            raise ConfigError(
                _(
                    'config.toml: {where} phase {phase!r} is anchored on "expires" but '
                    "the table has no expires; add expires or anchor the phase on the start."
                ).format(where=table.where, phase=phase.name)
            )
    return phases


def _sessions(table: Table, campaign: Campaign) -> tuple[Session, ...]:
    sessions = []
    for t in table.tables("sessions"):
        start, end = t.day("start"), t.optional_day("end")
        if start < campaign.start:
            raise ConfigError(
                _(
                    "config.toml: {where} start {start} is before the campaign start "
                    "{campaign_start}; a campaign cannot promote a session already past."
                ).format(where=t.where, start=start, campaign_start=campaign.start)
            )
        if end is not None and end < start:
            raise ConfigError(
                _("config.toml: {where} end {end} is before its start {start}.").format(
                    where=t.where, end=end, start=start
                )
            )
        sessions.append(
            Session(
                start=start,
                end=end,
                place=t.text("place", ""),
                format=t.text("format", ""),
                note=t.text("note", ""),
            )
        )
    return tuple(sessions)


def read_course(table: Table, base_dir: Path, campaign: Campaign) -> Course:
    key = table.text("key")
    table.mark("url")  # read below only when present, yet a key [[courses]] accepts
    if not key.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(
            _("config.toml: {where} key {key!r} may hold letters, digits, - and _.").format(
                where=table.where, key=key
            )
        )
    expires = _expires(table, campaign, required=False)
    phases = _phases(table, of_table("[[courses.phases]]", table.where), expires)
    if phases and "posts" in table.data:
        raise ConfigError(
            _(
                "config.toml: {where} has both posts and [[courses.phases]]; its phases say "
                "when it is promoted, so remove posts."
            ).format(where=table.where)
        )
    start = table.optional_day("start")
    if start is not None and start < campaign.start:
        raise ConfigError(
            _(
                "config.toml: {where} start {start} is before the campaign start {campaign_start}."
            ).format(where=table.where, start=start, campaign_start=campaign.start)
        )
    if start is not None and expires is not None and expires < start:
        raise ConfigError(
            _("config.toml: {where} expires {expires} is before its start {start}.").format(
                where=table.where, expires=expires, start=start
            )
        )
    course = Course(
        key=key,
        title=table.text("title"),
        formats=table.strings("formats"),
        url=_url(table, "url") if "url" in table.data else None,
        summary=table.text("summary", ""),
        hashtags=table.strings("hashtags"),
        posts=table.integer("posts", 1),
        expires=expires,
        phases=phases,
        start=start,
        sessions=_sessions(table, campaign),
        dead_if=_dead_if(table),
        **_card_image(table, base_dir),
    )
    if course.posts < 0:
        raise ConfigError(
            _("config.toml: {where} posts cannot be negative.").format(where=table.where)
        )
    return course


def _card_image(table: Table, base_dir: Path) -> dict[str, Any]:
    """`image` and `image_alt`: the picture of the subject's link card (LinkedIn's thumbnail),
    checked by content as `add --image` is, but PNG, JPEG or GIF only: LinkedIn's Images API
    takes no WebP."""
    name = table.text("image", "", required=False)
    alt = table.text("image_alt", "", required=False).strip()
    if not name:
        if alt:
            raise ConfigError(
                _(
                    "config.toml: {where} image_alt describes an image: add image (a file "
                    "path) or remove image_alt."
                ).format(where=table.where)
            )
        return {}
    if not alt:
        raise ConfigError(
            _(
                "config.toml: {where} image needs image_alt, a sentence describing the "
                "picture for readers who cannot see it."
            ).format(where=table.where)
        )
    path = base_dir / name
    try:
        check_image(path, ("png", "jpeg", "gif"))
    except InputError as exc:
        raise ConfigError(
            _("config.toml: {where} image: {reason}").format(where=table.where, reason=exc)
        ) from None
    return {"image": path, "image_alt": alt}


def _url(table: Table, key: str) -> str:
    value: str = table.text(key)
    if not value.startswith(("https://", "http://")):
        raise ConfigError(
            _("config.toml: {where} {key} must start with https://.").format(
                where=table.where, key=key
            )
        )
    return value
