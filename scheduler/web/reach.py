"""The web page's "Reach" page: what `postsched report` shows, with a chart drawn on the
server as inline SVG (scheduler/web/chart.py) above the same figures as a table."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request
from markupsafe import Markup

from posts.language import gettext as _
from posts.reach_report import best_and_worst, figures, read_reach, totals
from scheduler.app import App
from scheduler.commands.report import member_notes
from scheduler.web.chart import channel_colours, reach_svg


def reach_pages(a: App) -> Blueprint:
    pages = Blueprint("reach", __name__)

    @pages.get("/reach")
    def page() -> str:
        campaigns = a.campaign_names()
        campaign = request.args.get("campaign") or None
        if campaign is not None and campaign not in campaigns:
            flash(
                _("There is no campaign {campaign!r}: showing every campaign's posts.").format(
                    campaign=campaign
                ),
                "error",
            )
            campaign = None
        posts = read_reach(a.store, campaign=campaign, since=None)
        by_subject = totals(posts, lambda p: p.subject)
        by_phase = totals(posts, lambda p: p.phase)
        channels = list(a.config.channels)
        channels += sorted({p.channel for p in posts} - set(channels))
        colours = channel_colours(channels)
        chart = reach_svg(posts, by_phase, colours, a.config.campaign.timezone)
        return render_template(
            "reach.html",
            posts=posts,
            by_subject=by_subject,
            by_phase=by_phase,
            ranked=best_and_worst(posts),
            chart=Markup(chart),  # built from escaped text only
            colours=colours,
            figures=figures,
            notes=member_notes(a.config),
            campaigns=campaigns,
            chosen_campaign=campaign,
        )

    return pages
