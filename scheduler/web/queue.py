"""The queue (/queue): posts by due time, filtered and paged like `postsched queue`, and the
verbs on several posts at once: approve, and cancel after a page that asks to confirm."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response as Redirect

from posts.errors import PostschedError
from posts.language import gettext as _
from posts.language import ngettext
from posts.store import MAX_ID
from scheduler.app import App
from scheduler.commands.queue import QUEUE_ROWS
from scheduler.overview import STATUSES
from scheduler.web.pages import act, chosen_campaign, late_note, safe_next

PENDING = ("draft", "scheduled", "publishing")
NEEDS_A_PERSON = ("failed", "missed", "expired", "unknown")
PAGING = ("limit", "all")


def queue_limit(args: Any) -> int | None:
    """How many posts the queue page shows: the next QUEUE_ROWS, like `postsched queue`,
    `?limit=N` for N, `?all=1` for every one."""
    if args.get("all") == "1":
        return None
    given = args.get("limit", "")
    if not given.isdigit() or int(given) == 0:
        return QUEUE_ROWS
    return None if int(given) > MAX_ID else int(given)  # more than any database holds: all


def chosen_ids() -> list[int]:
    """The posts a form names: one (`one`), or the ticked ones (`ids`)."""
    raw = [request.form["one"]] if request.form.get("one") else request.form.getlist("ids")
    try:
        return [int(value) for value in raw]
    except ValueError:
        abort(400, _("Post ids are whole numbers, such as 12."))


def queue_pages(a: App) -> Blueprint:
    pages = Blueprint("queue", __name__)

    @pages.get("/queue")
    def page() -> str:
        wanted = [s for s in request.args.getlist("status") if s in STATUSES] or list(PENDING)
        channel = request.args.get("channel") or None
        if channel is not None and channel not in a.config.channels:
            channel = None
        campaigns = a.campaign_names()
        campaign = chosen_campaign(campaigns)
        limit = queue_limit(request.args)
        posts = a.store.list_posts(wanted, channel, campaign=campaign, limit=limit)
        total = len(posts)
        if limit is not None and total == limit:
            total = a.store.count_posts(wanted, channel, campaign=campaign)
        # The links for more keep the filters: the next `limit` more, or every one.
        kept: dict[str, Any] = {
            k: v for k, v in request.args.to_dict(flat=False).items() if k not in PAGING
        }
        more = {
            "next": url_for("queue.page", **kept, limit=2 * (limit or QUEUE_ROWS)),
            "all": url_for("queue.page", **kept, all=1),
        }
        counts = a.store.counts(campaign)
        attention = {s: counts.get(s, 0) for s in NEEDS_A_PERSON if counts.get(s, 0)}
        return render_template(
            "queue.html",
            posts=posts,
            total=total,
            more=more,
            wanted=wanted,
            channel=channel,
            campaigns=campaigns,
            chosen_campaign=campaign,
            drafts=counts.get("draft", 0),
            attention=attention,
        )

    @pages.post("/approve")
    def approve() -> Redirect:
        def verb() -> str:
            campaign = None
            if request.form.get("all") == "yes":
                ids = None
                campaign = a.campaign_filter(request.form.get("campaign") or None)
            else:
                ids = chosen_ids()
                if not ids:
                    return _("Tick at least one post to approve.")
            posts = a.store.approve(ids, now=a.now(), campaign=campaign)
            if not posts:
                return _("No draft to approve.")
            approved = ngettext("{count} post approved.", "{count} posts approved.", len(posts))
            return approved.format(count=len(posts)) + late_note(posts, a.now())

        return act(verb, back=url_for("queue.page"))

    @pages.post("/cancel")
    def cancel() -> str | Redirect:
        ids = chosen_ids()
        if not ids:
            flash(_("Tick at least one post to cancel."), "error")
            return redirect(safe_next(request.form.get("next"), url_for("queue.page")))
        if request.form.get("confirmed") != "yes":
            try:
                posts = [a.store.get(i) for i in ids]
            except PostschedError as exc:
                flash(str(exc), "error")
                return redirect(safe_next(request.form.get("next"), url_for("queue.page")))
            return render_template(
                "confirm_cancel.html", posts=posts, next=safe_next(request.form.get("next"))
            )

        def verb() -> str:
            posts = a.store.cancel(ids, now=a.now())
            cancelled = ngettext("{count} post cancelled.", "{count} posts cancelled.", len(posts))
            return cancelled.format(count=len(posts))

        return act(verb, back=url_for("queue.page"))

    return pages
