"""What the web page's blueprints share: how an instant is written and typed, what every
template is given, a verb's sentence or refusal as the next page's message, a safe place to go
back to, and a file to download."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, flash, redirect, request, send_file
from werkzeug.wrappers.response import Response as Redirect

from posts.errors import PostschedError
from posts.labels import event_label, status_label
from posts.language import current, show_date, show_time
from posts.language import gettext as _
from posts.models import RETRYABLE, Post
from posts.store import EDITABLE
from posts.timing import format_instant
from scheduler.app import App
from scheduler.overview import STATUSES

# How a time field holds an instant, per language (Babel pattern, and what the empty field
# shows): the form a person of that language types, which posts/typed_time.py reads back.
TYPED_FORMS = {
    "fr": ("dd/MM/y HH:mm", "jj/mm/aaaa hh:mm"),  # untranslated: a pattern, a shape
    "en": ("yyyy-MM-dd HH:mm", "YYYY-MM-DD HH:MM"),  # untranslated: a pattern, a shape
}


def show(value: datetime | str | None, tz: Any) -> str:
    """An instant for a person: the one way the page writes one, in the current language
    (an ISO string too, as the status data `status --json` shares holds them)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if value else None
    return show_time(value, tz)


def iso(value: datetime | None, tz: Any) -> str:
    """An instant for a program (the CSV export): ISO 8601 with the campaign's offset."""
    return format_instant(value, tz, timespec="seconds") or ""


def typed_form(value: datetime | None, tz: Any) -> str:
    """`value` in the campaign's time zone as the current language types a time: what a time
    field holds, which posts.timing.parse_instant reads back ("07/01/2027 09:30",
    "2027-01-07 09:30")."""
    if value is None:
        return ""
    from babel.dates import format_datetime

    pattern = TYPED_FORMS.get(current(), TYPED_FORMS["en"])[0]
    return format_datetime(value.astimezone(tz), pattern, locale=current())


def time_placeholder() -> str:
    """What an empty time field shows: the shape of the form typed_form writes."""
    return TYPED_FORMS.get(current(), TYPED_FORMS["en"])[1]


def install_pages(web: Flask, a: App) -> None:
    """What every template is given: the campaign, its channels and the time helpers."""
    tz = a.config.campaign.timezone

    @web.context_processor
    def _context() -> dict[str, Any]:
        return {
            "campaign": a.config.campaign,
            "config": a.config,
            "show": lambda value: show(value, tz),  # the one way the page writes an instant
            "show_date": lambda day: show_date(date.fromisoformat(day[:10])) if day else "",
            "status_label": status_label,
            "event_label": event_label,
            "local_input": lambda value: typed_form(value, tz),
            "time_placeholder": time_placeholder(),
            "statuses": STATUSES,
            "channels": list(a.config.channels),
            "tz_name": str(tz),
            "editable": {s.value for s in EDITABLE},
            "retryable": {s.value for s in RETRYABLE},
        }


def chosen_campaign(campaigns: list[str]) -> str | None:
    """The ?campaign= filter, when it names one of `campaigns`; otherwise every campaign's
    posts, and the page says so."""
    campaign = request.args.get("campaign") or None
    if campaign is not None and campaign not in campaigns:
        flash(
            _("There is no campaign {campaign!r}: showing every campaign's posts.").format(
                campaign=campaign
            ),
            "error",
        )
        return None
    return campaign


def warn(message: str) -> None:
    """A campaign rule a hand-set time breaks: saved all the same, and said on the next page."""
    flash(_("Warning: {message}").format(message=message), "warning")


def act(verb: Callable[[], str | None], *, back: str) -> Redirect:
    """Run a verb; its sentence (or its refusal's) becomes the next page's message."""
    try:
        message = verb()
    except PostschedError as exc:
        flash(str(exc), "error")
    else:
        if message:
            flash(message, "info")
    return redirect(safe_next(request.form.get("next"), back))


def late_note(posts: list[Post], now: datetime) -> str:
    """What approving says of posts already past their due time."""
    late = [str(p.id) for p in posts if p.due_at < now]
    if not late:
        return ""
    return " " + _(
        "Already past their due time: {ids}; the daemon marks them "
        "missed after the grace period unless you change their time or retry them."
    ).format(ids=", ".join(late))


def safe_next(value: str | None, default: str = "/") -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if not value:
        return default
    if any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    return value


def download(content: bytes, name: str, mimetype: str) -> Response:
    """A file to save; send_file quotes a name that is not ASCII (a campaign's, say)."""
    response = send_file(
        io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["Cache-Control"] = "no-store"  # as the pages: never in a shared cache
    return response


# The value of the forms' "strict" box: refuse what would only be warned of, as --strict does.
STRICT = "yes"  # untranslated: a form's value


def strict_asked() -> bool:
    """Whether the form's box asks to refuse instead of warning (the time rules and the
    accessibility rules), as --strict does on the command line."""
    return request.form.get("strict") == STRICT
