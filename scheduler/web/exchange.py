"""Import and export (/exchange): a CSV of posts imported from the browser (every row checked
before any is queued), the schedule as .ics and .csv."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from werkzeug.wrappers.response import Response as Redirect

from posts.errors import InputError
from posts.language import gettext as _
from posts.language import ngettext
from posts.models import Post
from scheduler.app import App
from scheduler.overview import STATUSES
from scheduler.web.pages import act, download, iso, strict_asked, warn


def ids_of(posts: list[Post]) -> str:
    """ "12" or "12-15": the posts an import just inserted, in id order."""
    if len(posts) == 1:
        return str(posts[0].id)
    return f"{posts[0].id}-{posts[-1].id}"


def exchange_pages(a: App) -> Blueprint:
    pages = Blueprint("exchange", __name__)
    tz = a.config.campaign.timezone

    @pages.get("/exchange")
    def page() -> str:
        return render_template("exchange.html")

    @pages.get("/export.ics")
    def ics() -> Response:
        from scheduler.exchange import posts_ics

        content = posts_ics(a.store.list_posts(STATUSES), a.config.campaign.name, a.campaigns)
        return download(content, f"{a.config.campaign.name}.ics", "text/calendar")

    @pages.get("/export.csv")
    def csv() -> Response:
        from scheduler.exchange import csv_bytes, csv_delimiter, posts_csv

        delimiter = csv_delimiter(a.config.campaign.language)
        rows = posts_csv(a.store.list_posts(STATUSES), lambda value: iso(value, tz), delimiter)
        return download(csv_bytes(rows), f"{a.config.campaign.name}.csv", "text/csv")

    @pages.post("/import")
    def import_csv() -> Redirect:
        from scheduler.exchange import parse_posts_csv

        def verb() -> str:
            upload = request.files.get("csv")
            if upload is None or not upload.filename:
                raise InputError(_("Choose a CSV file to import."))
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(
                    _(
                        "{file} is not UTF-8 text: save it from the spreadsheet as CSV UTF-8."
                    ).format(file=upload.filename)
                ) from None
            rows = parse_posts_csv(text, upload.filename, a.parse_time, channels=a.config.channels)
            for label, row in rows:
                if row.image is not None:
                    raise InputError(
                        _(
                            "{row}: the image column names a file on the server, which the web "
                            "page does not read; add image posts with New post, or import this "
                            "file with `postsched import --csv` on the server."
                        ).format(row=label)
                    )
            posts = a.officer.add_many(rows, a.now(), strict=strict_asked(), warn=warn)
            queued = ngettext(
                "{count} post queued from {file} (id {ids}).",
                "{count} posts queued from {file} (ids {ids}).",
                len(posts),
            ).format(count=len(posts), file=upload.filename, ids=ids_of(posts))
            if rows.skipped:
                skipped = ngettext(
                    "Skipped {count} row of a post no longer draft or scheduled.",
                    "Skipped {count} rows of posts no longer draft or scheduled.",
                    len(rows.skipped),
                ).format(count=len(rows.skipped))
                queued = f"{queued} {skipped}"
            return queued

        return act(verb, back=url_for("exchange.page"))

    return pages
