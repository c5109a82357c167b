"""The web page's "Reach" page: what `postsched report` shows, with a chart drawn on the
server as inline SVG (scheduler/web/chart.py) above the same figures as a table."""

from __future__ import annotations

from flask import Blueprint, render_template
from markupsafe import Markup

from posts.reach_report import best_and_worst, figures, read_reach, totals
from scheduler.app import App
from scheduler.commands.report import member_notes
from scheduler.reach_output import once_notes, said_once, told_once
from scheduler.web.chart import channel_colours, reach_svg
from scheduler.web.pages import chosen_campaign


def reach_pages(a: App) -> Blueprint:
    pages = Blueprint("reach", __name__)

    @pages.get("/reach")
    def page() -> str:
        campaigns = a.campaign_names()
        campaign = chosen_campaign(campaigns)
        posts = read_reach(a.store, campaign=campaign, since=None)
        by_subject = totals(posts, lambda p: p.subject)
        by_phase = totals(posts, lambda p: p.phase)
        channels = list(a.config.channels)
        channels += sorted({p.channel for p in posts} - set(channels))
        colours = channel_colours(channels)
        chart = reach_svg(posts, by_phase, colours, a.config.campaign.timezone)
        once = said_once(a.config)  # said below the table, as `postsched report` does
        return render_template(
            "reach.html",
            posts=posts,
            by_subject=by_subject,
            by_phase=by_phase,
            ranked=best_and_worst(posts),
            chart=Markup(chart),  # built from escaped text only
            colours=colours,
            figures=figures,
            notes=member_notes(a.config) + once_notes(posts, once),
            below={p.id for p in posts if told_once(p, once)},
            campaigns=campaigns,
            chosen_campaign=campaign,
        )

    return pages
