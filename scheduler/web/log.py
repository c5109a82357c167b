"""The post log (/log) filtered by time, channel and status like `postsched log`, and the
same as a CSV download (/log.csv)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, render_template, request

from posts.errors import InputError, PostschedError
from posts.language import gettext as _
from scheduler.app import App
from scheduler.overview import STATUSES
from scheduler.web.pages import download

FILTERS = ("since", "channel", "status")


def log_pages(a: App) -> Blueprint:
    pages = Blueprint("log", __name__)
    tz = a.config.campaign.timezone

    @pages.get("/log")
    def page() -> str | tuple[str, int]:
        filters = {k: request.args.get(k, "").strip() for k in FILTERS}
        try:
            events = log_events(filters)
        except PostschedError as exc:
            flash(str(exc), "error")
            return render_template("log.html", events=[], filters=filters), 400
        return render_template("log.html", events=events, filters=filters)

    @pages.get("/log.csv")
    def csv() -> Response:
        from scheduler.output import events_csv

        filters = {k: request.args.get(k, "").strip() for k in FILTERS}
        try:
            events = log_events(filters)
        except PostschedError as exc:  # never a whole log when a part was asked for
            return Response(f"{exc}\n", 400, mimetype="text/plain")
        return download(events_csv(events, tz).encode("utf-8"), "postsched-log.csv", "text/csv")

    def log_events(filters: dict[str, str]) -> list[Any]:
        """The log as `postsched log --since --channel --status` reads it, with its refusals."""
        since = a.parse_time(filters["since"]) if filters["since"] else None
        channel = a.require_channel(filters["channel"]) if filters["channel"] else None
        status = filters["status"] or None
        if status is not None and status not in STATUSES:
            raise InputError(
                _("There is no status {status!r} (statuses: {statuses}).").format(
                    status=status, statuses=", ".join(STATUSES)
                )
            )
        return a.store.events(since=since, channel=channel, status=status)

    return pages
