"""The campaign as a whole: the calendar (/), the plan and saving it (/plan), and every
template rendered (/check)."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from werkzeug.wrappers.response import Response as Redirect

from posts.errors import PostschedError
from scheduler.app import App
from scheduler.overview import STATUSES
from scheduler.web.pages import act, warn


def campaign_pages(a: App) -> Blueprint:
    pages = Blueprint("campaign", __name__)

    @pages.get("/")
    def timeline() -> str:
        from scheduler.web.timeline import build_timeline

        posts = a.store.list_posts(STATUSES)
        from_start = request.args.get("from") == "start"
        others = [c for name, c in a.campaigns.items() if name != a.config.campaign.name]
        timeline = build_timeline(a.config, posts, a.now(), from_start=from_start, others=others)
        return render_template("timeline.html", timeline=timeline, posts=posts)

    @pages.get("/plan")
    def plan() -> str | tuple[str, int]:
        as_of = request.args.get("as_of", "").strip()
        chosen = request.args.get("campaign") or a.config.campaign.name
        names: list[str] = [a.config.campaign.name]
        try:
            names = list(a.campaigns)
            moment = a.parse_time(as_of) if as_of else a.now()
            planner = a.officer_for(chosen)  # other campaigns' posts count
            result = planner.compute_plan(moment)
        except PostschedError as exc:
            flash(str(exc), "error")
            return render_template(
                "plan.html", result=None, as_of=as_of, lengths=[], names=names, chosen=chosen
            ), 400
        lengths = [length_of(p.channel, p.body) for p in result.posts]
        stored = {p.plan_key for p in a.store.list_posts(STATUSES, campaign=chosen) if p.plan_key}
        return render_template(
            "plan.html",
            result=result,
            as_of=as_of,
            lengths=lengths,
            stored=stored,
            names=names,
            chosen=chosen,
            planned_campaign=planner.config.campaign,
            planned_source=planner.config.path.name if planner.config.path else None,
        )

    def length_of(channel: str, body: str) -> tuple[int, int]:
        network = a.planner.network(channel)
        return network.measure(body), network.limit

    @pages.post("/plan")
    def save_plan() -> Redirect:
        def verb() -> str:
            as_of = request.form.get("as_of", "").strip()
            moment = a.parse_time(as_of) if as_of else a.now()
            officer = a.officer_for(request.form.get("campaign") or None)
            report = officer.save_plan(officer.compute_plan(moment), a.now())
            return report.summary("draft" if officer.config.campaign.review else "scheduled")

        return act(verb, back=url_for("queue.page"))

    @pages.get("/check")
    def check() -> str | tuple[str, int]:
        try:
            rendered = a.planner.render_all()
            warnings = a.planner.campaign_warnings(
                (r.template, r.post.plan_key, r.post.channel, r.post.body) for r in rendered
            )
        except PostschedError as exc:
            problems = getattr(exc, "problems", [])
            page = render_template("check.html", rendered=None, error=str(exc), problems=problems)
            return page, 400
        lengths = [length_of(r.post.channel, r.post.body) for r in rendered]
        for warning in warnings:  # the accessibility rules a template breaks, as `check` says
            warn(warning)
        return render_template("check.html", rendered=rendered, lengths=lengths, error=None)

    return pages
