"""`postsched web`: the officer's web page over the same database as the command line.

Server-rendered pages (Flask, Jinja2, one stylesheet, no JavaScript): the campaign on a
calendar, the queue and its verbs, one post with its preview and history, the plan, the post
log with a CSV download, the daemon's status, and import/export.

Every verb goes through posts.officer and posts.store exactly as the command line does, so a
refusal is the same sentence and changes nothing. Every page but the login needs the officer's
session; every change is a POST carrying the session's CSRF token (Flask-WTF), and a POST
without either is refused before it reaches a verb.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers.response import Response as BaseResponse

from posts.errors import InputError, NotFoundError, PostschedError
from posts.images import image_kind
from posts.labels import event_label, status_label
from posts.language import current, ngettext, show_date, show_time
from posts.language import gettext as _
from posts.models import RETRYABLE, Post
from posts.officer import AddRequest
from posts.store import EDITABLE, MAX_ID
from posts.timing import format_instant
from scheduler.app import App
from scheduler.commands.queue import QUEUE_ROWS
from scheduler.overview import STATUSES, status_data
from scheduler.web.language import install_language
from scheduler.web.security import LoginThrottle, Sessions, install, throttled_sentence

PENDING = ("draft", "scheduled", "publishing")
NEEDS_A_PERSON = ("failed", "missed", "expired", "unknown")
PAGING = ("limit", "all")
HASH_METHODS = ("scrypt:", "pbkdf2:")
MIN_SECRET_KEY = 32
MAX_BODY = 20 * 1024 * 1024  # the largest request: an image or a CSV, with the form around it

Redirect = BaseResponse


def hash_password(password: str) -> str:
    """The hash `[web] password_hash` holds: werkzeug's salted scrypt."""
    return generate_password_hash(password)


def require_password_hash(value: str | None) -> str:
    if not value:
        raise InputError(
            _(
                "The web page has no password yet: run `postsched hash-password`, then put the "
                "hash in [web] password_hash in config.toml or in $POSTSCHED_WEB_PASSWORD_HASH."
            )
        )
    if not value.startswith(HASH_METHODS):
        raise InputError(
            _(
                "[web] password_hash (or $POSTSCHED_WEB_PASSWORD_HASH) is not a hash that "
                "`postsched hash-password` printed: it should start with scrypt: or pbkdf2:."
            )
        )
    return value


def session_key(value: str) -> bytes:
    """$POSTSCHED_WEB_SECRET_KEY, or a random key for this process when it is not set."""
    if not value:
        return os.urandom(32)
    if len(value) < MIN_SECRET_KEY:
        raise InputError(
            _(
                "$POSTSCHED_WEB_SECRET_KEY is too short to sign sessions: give at least "
                "{count} random characters (python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(32))' prints some)."
            ).format(count=MIN_SECRET_KEY)
        )
    return value.encode()


def create_app(
    a: App,
    *,
    password_hash: str,
    secret_key: bytes | None = None,
    listening: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    sessions: Sessions | None = None,
) -> Flask:
    """The web application for one App (its config, database and clock).

    `secret_key` signs the session cookie; by default it is $POSTSCHED_WEB_SECRET_KEY, else
    random for this process. `listening` is the address the server listens on (a name the page
    answers to); `clock` times sessions and wrong passwords; `sessions` may be shared by apps.
    """
    require_password_hash(password_hash)
    key = secret_key or session_key(os.environ.get("POSTSCHED_WEB_SECRET_KEY", ""))
    settings = a.config.web
    sessions = sessions or Sessions(settings.session_lifetime, clock)
    throttle = LoginThrottle(clock)
    web = Flask(__name__)
    web.config.update(
        SECRET_KEY=key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="postsched_session",
        PERMANENT_SESSION_LIFETIME=settings.session_lifetime,
        SESSION_REFRESH_EACH_REQUEST=False,  # the lifetime runs from the login
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=False,  # plain HTTP on loopback has no Referer check to make
        MAX_CONTENT_LENGTH=MAX_BODY,
    )
    # The language is chosen first (it reads a header and changes nothing), so that every
    # refusal, the Host check's included, speaks the request's language; then the proxy
    # headers, Secure cookie and Host check, before CSRF and the login check.
    install_language(web, a.config)
    install(web, settings, listening)
    CSRFProtect(web)
    from scheduler.web.connect import connect_pages

    web.register_blueprint(connect_pages(a))
    from scheduler.web.reach import reach_pages

    web.register_blueprint(reach_pages(a))
    _opened = a.officer  # open the database (and check its schema) now, not at the first request
    tz = a.config.campaign.timezone

    # helpers shared by the templates ---------------------------------------------------

    def show(value: datetime | str | None) -> str:
        """An instant for a person: the one way the page writes one, in the current language
        (an ISO string too, as the status data `status --json` shares holds them)."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if value else None
        return show_time(value, tz)

    def iso(value: datetime | None) -> str:
        """An instant for a program (the CSV export): ISO 8601 with the campaign's offset."""
        return format_instant(value, tz) or ""

    def local_input(value: datetime | None) -> str:
        """An instant as a time field holds it: the current language's typed form, which
        posts.timing.parse_instant reads back ("07/01/2027 09:30", "2027-01-07 09:30")."""
        return typed_form(value, tz)

    @web.context_processor
    def _context() -> dict[str, Any]:
        return {
            "campaign": a.config.campaign,
            "config": a.config,
            "show": show,  # the one way the page writes an instant (posts.language.show_time)
            "show_date": lambda day: show_date(date.fromisoformat(day[:10])) if day else "",
            "status_label": status_label,
            "event_label": event_label,
            "local_input": local_input,
            "time_placeholder": time_placeholder(),
            "statuses": STATUSES,
            "channels": list(a.config.channels),
            "tz_name": str(tz),
            "editable": {s.value for s in EDITABLE},
            "retryable": {s.value for s in RETRYABLE},
            "logged_in": sessions.refusal(session, password_hash) is None,
        }

    # security ----------------------------------------------------------------------------

    @web.before_request
    def _require_login() -> Response | Redirect | None:
        if request.endpoint in ("login", "static"):
            return None
        ended = sessions.refusal(session, password_hash)
        if ended is None:
            return None
        if ended:  # a session that was open: forget it, and say why it ended
            session.clear()
            flash(ended, "error")
        if request.method == "GET":
            return redirect(url_for("login", next=request.full_path.rstrip("?")))
        refusal = _("Log in first: nothing was changed.")
        return Response(f"{refusal}\n", 403, mimetype="text/plain")

    @web.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"  # untranslated: a header
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @web.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        message = _(
            "This form did not come from postsched's own page, or the session it came from has "
            "ended; nothing was changed. Reload the page and try again."
        )
        # flask-wtf's own detail ("The CSRF token is missing.") is English only; the sentence
        # above says all a person can act on.
        return render_template("error.html", message=message), 400

    @web.errorhandler(NotFoundError)
    def _not_found(error: NotFoundError) -> tuple[str, int]:
        return render_template("error.html", message=str(error)), 404

    @web.errorhandler(400)
    def _bad_request(error: Any) -> tuple[str, int]:
        message = getattr(error, "description", "") or _("The request could not be read.")
        # werkzeug's own description, in English: "The browser (or proxy) sent a request..."
        werkzeugs = "browser (or proxy)"  # untranslated: werkzeug's words, matched
        if not message.endswith((".", "?")) or werkzeugs in message:
            message = _("The request could not be read; nothing was changed.")
        return render_template("error.html", message=message), 400

    @web.errorhandler(404)
    def _no_page(error: Exception) -> tuple[str, int]:
        return render_template("error.html", message=_("There is no such page.")), 404

    @web.errorhandler(500)
    def _bug(error: Exception) -> tuple[str, int]:
        # Flask has logged the traceback on stderr (the service's journal).
        message = _(
            "Something went wrong inside postsched; the details are in the server's log. "
            "Whatever this request was changing was either done whole or not at all."
        )
        return render_template("error.html", message=message), 500

    @web.route("/login", methods=["GET", "POST"])
    def login() -> str | Redirect | tuple[str, int] | tuple[str, int, dict[str, str]]:
        target = safe_next(request.values.get("next"))
        if request.method == "POST":
            client = request.remote_addr or "?"
            wait, mark = throttle.attempt(client)  # counted as a failure until it succeeds
            if wait:  # answered at once: no server thread waits for a guesser
                flash(throttled_sentence(wait), "error")
                page = render_template("login.html", next=target)
                return page, 429, {"Retry-After": str(wait)}
            if check_password_hash(password_hash, request.form.get("password", "")):
                throttle.succeeded(client, mark)
                sessions.close(session.get("sid"))
                session.clear()  # a fresh session (and CSRF token) after logging in
                session.update(sessions.open(password_hash))
                session.permanent = True
                return redirect(target)
            flash(_("Wrong password."), "error")
            return render_template("login.html", next=target), 401
        return render_template("login.html", next=target)

    @web.post("/logout")
    def logout() -> Redirect:
        sessions.close(session.get("sid"))  # a copy of the cookie opens nothing any more
        session.clear()
        flash(_("Logged out."), "info")
        return redirect(url_for("login"))

    # reading -----------------------------------------------------------------------------

    @web.get("/")
    def timeline() -> str:
        from scheduler.web.timeline import build_timeline

        posts = a.store.list_posts(STATUSES)
        from_start = request.args.get("from") == "start"
        others = [c for name, c in a.campaigns.items() if name != a.config.campaign.name]
        timeline = build_timeline(a.config, posts, a.now(), from_start=from_start, others=others)
        return render_template("timeline.html", timeline=timeline, posts=posts)

    @web.get("/queue")
    def queue() -> str:
        wanted = [s for s in request.args.getlist("status") if s in STATUSES] or list(PENDING)
        channel = request.args.get("channel") or None
        if channel is not None and channel not in a.config.channels:
            channel = None
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
            "next": url_for("queue", **kept, limit=2 * (limit or QUEUE_ROWS)),
            "all": url_for("queue", **kept, all=1),
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

    @web.get("/posts/<int:post_id>")
    def post(post_id: int) -> str:
        item = a.store.get(post_id)
        return render_template("post.html", post=item, preview=preview_of(item), form={})

    def preview_of(item: Post) -> dict[str, Any]:
        network = a.officer.network(item.channel)
        channel = a.config.channels[item.channel]
        length = network.measure(item.body)
        return {
            "network": network.name,
            "type": channel.type,
            "mode": channel.mode,
            "sent": network.sent(item.body),
            "sent_label": network.sent_label(),
            "length": length,
            "limit": network.limit,
            "over": length > network.limit,
            "note": network.counting(),
        }

    @web.get("/log")
    def log() -> str | tuple[str, int]:
        filters = {k: request.args.get(k, "").strip() for k in ("since", "channel", "status")}
        try:
            events = log_events(filters)
        except PostschedError as exc:
            flash(str(exc), "error")
            return render_template("log.html", events=[], filters=filters), 400
        return render_template("log.html", events=events, filters=filters)

    @web.get("/log.csv")
    def log_csv() -> Response:
        from scheduler.output import events_csv

        filters = {k: request.args.get(k, "").strip() for k in ("since", "channel", "status")}
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

    @web.get("/status")
    def status() -> str:
        return render_template("status.html", data=status_data(a), checks=None)

    @web.post("/status")
    def check_online() -> str:
        """`check --online`: a POST, because it sends each live token to its network."""
        from scheduler.overview import token_checks

        return render_template(
            "status.html", data=status_data(a), checks=token_checks(a, show_path=False)
        )

    @web.get("/plan")
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

    @web.get("/check")
    def check() -> str | tuple[str, int]:
        try:
            rendered = a.planner.render_all()
        except PostschedError as exc:
            problems = getattr(exc, "problems", [])
            page = render_template("check.html", rendered=None, error=str(exc), problems=problems)
            return page, 400
        lengths = [length_of(r.post.channel, r.post.body) for r in rendered]
        return render_template("check.html", rendered=rendered, lengths=lengths, error=None)

    @web.get("/exchange")
    def exchange() -> str:
        return render_template("exchange.html")

    @web.get("/export.ics")
    def export_ics() -> Response:
        from scheduler.exchange import posts_ics

        content = posts_ics(a.store.list_posts(STATUSES), a.config.campaign.name, a.campaigns)
        return download(content, f"{a.config.campaign.name}.ics", "text/calendar")

    @web.get("/export.csv")
    def export_csv() -> Response:
        from scheduler.exchange import csv_bytes, csv_delimiter, posts_csv

        delimiter = csv_delimiter(a.config.campaign.language)
        content = csv_bytes(posts_csv(a.store.list_posts(STATUSES), iso, delimiter))
        return download(content, f"{a.config.campaign.name}.csv", "text/csv")

    # changing ----------------------------------------------------------------------------

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

    def chosen_ids() -> list[int]:
        raw = [request.form["one"]] if request.form.get("one") else request.form.getlist("ids")
        try:
            return [int(value) for value in raw]
        except ValueError:
            abort(400, _("Post ids are whole numbers, such as 12."))

    @web.post("/approve")
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
            return approved.format(count=len(posts)) + late_note(posts)

        return act(verb, back=url_for("queue"))

    def late_note(posts: list[Post]) -> str:
        now = a.now()
        late = [str(p.id) for p in posts if p.due_at < now]
        if not late:
            return ""
        return " " + _(
            "Already past their due time: {ids}; the daemon marks them "
            "missed after the grace period unless you change their time or retry them."
        ).format(ids=", ".join(late))

    @web.post("/cancel")
    def cancel() -> str | Redirect:
        ids = chosen_ids()
        if not ids:
            flash(_("Tick at least one post to cancel."), "error")
            return redirect(safe_next(request.form.get("next"), url_for("queue")))
        if request.form.get("confirmed") != "yes":
            try:
                posts = [a.store.get(i) for i in ids]
            except PostschedError as exc:
                flash(str(exc), "error")
                return redirect(safe_next(request.form.get("next"), url_for("queue")))
            return render_template(
                "confirm_cancel.html", posts=posts, next=safe_next(request.form.get("next"))
            )

        def verb() -> str:
            posts = a.store.cancel(ids, now=a.now())
            cancelled = ngettext("{count} post cancelled.", "{count} posts cancelled.", len(posts))
            return cancelled.format(count=len(posts))

        return act(verb, back=url_for("queue"))

    @web.post("/posts/<int:post_id>/edit")
    def edit(post_id: int) -> Redirect | tuple[str, int]:
        current = a.store.get(post_id)
        text = request.form.get("text")
        at_text = request.form.get("at", "").strip()
        try:
            if text is not None:
                text = text.replace("\r\n", "\n")
                if text.strip() == current.body:
                    text = None
            at = a.parse_time(at_text) if at_text else None
            if at is not None and local_input(at) == local_input(current.due_at):
                at = None
            changed = text is not None or at is not None
            notes: list[str] = []
            if changed:
                a.officer_of_post(post_id).edit(
                    post_id, a.now(), text=text, at=at, warn=notes.append
                )
            if request.form.get("then") == "approve":
                # "Save and approve": what was typed is saved first, then the post approved; a
                # refused edit above approves nothing and shows the form again as typed.
                approved = a.store.approve([post_id], now=a.now())
                done = _("Post {id} edited and approved.") if changed else _("Post {id} approved.")
                flash(done.format(id=post_id) + late_note(approved), "info")
            elif changed:
                flash(_("Post {id} edited.").format(id=post_id), "info")
            else:
                flash(_("Nothing to change: the text and the time are as they were."), "info")
            for note in notes:  # "edited" never hides that the daemon will hold it
                warn(note)
        except PostschedError as exc:
            # Shown again with what the officer typed, so that nothing typed is lost.
            flash(str(exc), "error")
            form = {"text": request.form.get("text", ""), "at": at_text}
            current = a.store.get(post_id)  # as it is now (an edit saved before a refused approve)
            page = render_template(
                "post.html", post=current, preview=preview_of(current), form=form
            )
            return page, 400
        return redirect(url_for("post", post_id=post_id))

    @web.post("/posts/<int:post_id>/retry")
    def retry(post_id: int) -> Redirect:
        def verb() -> str:
            at_text = request.form.get("at", "").strip()
            at = a.parse_time(at_text) if at_text else None
            a.officer_of_post(post_id).retry(post_id, a.now(), at=at, warn=warn)
            return _("Post {id} scheduled again.").format(id=post_id)

        return act(verb, back=url_for("post", post_id=post_id))

    @web.route("/posts/new", methods=["GET", "POST"])
    def new_post() -> str | Redirect | tuple[str, int]:
        form = {k: v for k, v in request.form.items() if k != "csrf_token"}
        if request.method == "GET":
            return render_template("new.html", form=form, phases=phases())
        kept: list[Path] = []
        notes: list[str] = []
        try:
            item = a.officer.add(add_request(form, kept), a.now(), warn=notes.append)
        except PostschedError as exc:
            for path in kept:  # an image saved for a post that was refused
                path.unlink(missing_ok=True)
            flash(str(exc), "error")
            return render_template("new.html", form=form, phases=phases()), 400
        queued = _("Post {id} queued on {channel} for {time}.")
        flash(queued.format(id=item.id, channel=item.channel, time=show(item.due_at)), "info")
        for note in notes:
            warn(note)
        return redirect(url_for("post", post_id=item.id))

    def phases() -> list[str]:
        names = [p.name for p in a.config.article.phases] if a.config.article else []
        return [*names, "promo"]

    def add_request(form: dict[str, str], kept: list[Path]) -> AddRequest:
        def given(key: str) -> str | None:
            value = form.get(key, "").replace("\r\n", "\n").strip()
            return value or None

        channel = a.require_channel(form.get("channel", ""))
        at_text = given("at")
        if at_text is None:
            raise InputError(_("Give the post's time."))
        expires = given("link_expires")
        subject = given("subject")
        if subject is not None and len(subject.splitlines()) > 1:
            raise InputError(
                _(
                    "The subject is one line, such as article or course:<key>: remove its "
                    "line breaks."
                )
            )
        return AddRequest(
            channel=channel,
            at=a.parse_time(at_text),
            text=given("text"),
            template=given("template"),
            subject=subject,
            link=given("link"),
            link_expires=a.parse_time(expires) if expires else None,
            image=saved_upload(kept),
            alt=given("alt"),
        )

    def saved_upload(kept: list[Path]) -> Path | None:
        upload = request.files.get("image")
        if upload is None or not upload.filename:
            return None
        data = upload.read()
        kind = image_kind(data[:16])
        if kind is None:  # told by its first bytes, whatever its name says
            raise InputError(
                _("{file} is not a PNG, JPEG, GIF or WebP image.").format(file=upload.filename)
            )
        suffix = ".jpg" if kind == "jpeg" else f".{kind}"
        folder = a.config.web.uploads or Path("uploads")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{hashlib.sha256(data).hexdigest()[:20]}{suffix}"
            if not target.exists():  # the same image, already kept for another post
                target.write_bytes(data)
                kept.append(target)
        except OSError as exc:
            raise InputError(
                _("The image cannot be kept in {folder}: {reason}.").format(
                    folder=folder, reason=exc.strerror
                )
            ) from None
        return target

    @web.post("/plan")
    def save_plan() -> Redirect:
        def verb() -> str:
            as_of = request.form.get("as_of", "").strip()
            moment = a.parse_time(as_of) if as_of else a.now()
            officer = a.officer_for(request.form.get("campaign") or None)
            report = officer.save_plan(officer.compute_plan(moment), a.now())
            return report.summary("draft" if officer.config.campaign.review else "scheduled")

        return act(verb, back=url_for("queue"))

    @web.post("/import")
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
            posts = a.officer.add_many(rows, a.now(), warn=warn)
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

        return act(verb, back=url_for("exchange"))

    return web


# How a time field holds an instant, per language (Babel pattern, and what the empty field
# shows): the form a person of that language types, which posts/typed_time.py reads back.
TYPED_FORMS = {
    "fr": ("dd/MM/y HH:mm", "jj/mm/aaaa hh:mm"),  # untranslated: a pattern, a shape
    "en": ("yyyy-MM-dd HH:mm", "YYYY-MM-DD HH:MM"),  # untranslated: a pattern, a shape
}


def typed_form(value: datetime | None, tz: Any) -> str:
    """`value` in the campaign's time zone as the current language types a time."""
    if value is None:
        return ""
    from babel.dates import format_datetime

    pattern = TYPED_FORMS.get(current(), TYPED_FORMS["en"])[0]
    return format_datetime(value.astimezone(tz), pattern, locale=current())


def time_placeholder() -> str:
    """What an empty time field shows: the shape of the form typed_form writes."""
    return TYPED_FORMS.get(current(), TYPED_FORMS["en"])[1]


def ids_of(posts: list[Post]) -> str:
    """ "12" or "12-15": the posts an import just inserted, in id order."""
    if len(posts) == 1:
        return str(posts[0].id)
    return f"{posts[0].id}-{posts[-1].id}"


def queue_limit(args: Any) -> int | None:
    """How many posts the queue page shows: the next QUEUE_ROWS, like `postsched queue`,
    `?limit=N` for N, `?all=1` for every one."""
    if args.get("all") == "1":
        return None
    given = args.get("limit", "")
    if not given.isdigit() or int(given) == 0:
        return QUEUE_ROWS
    return None if int(given) > MAX_ID else int(given)  # more than any database holds: all


def download(content: bytes, name: str, mimetype: str) -> Response:
    """A file to save; send_file quotes a name that is not ASCII (a campaign's, say)."""
    response = send_file(
        io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["Cache-Control"] = "no-store"  # as the pages: never in a shared cache
    return response


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


def serve(
    web: Flask, host: str, port: int, *, threads: int = 4, behind_proxy: bool = False
) -> None:
    """Serve until interrupted, with waitress (a production WSGI server, pure Python)."""
    make_server(web, host, port, threads=threads, behind_proxy=behind_proxy).run()


def make_server(
    web: Flask, host: str, port: int, *, threads: int = 4, behind_proxy: bool = False
) -> Any:
    from waitress import create_server

    # Behind a proxy ([web] behind_proxy), waitress must be told to keep the X-Forwarded-*
    # headers of the one proxy that connects to it (it drops them otherwise, and the login
    # throttle would count every client as the proxy's address).
    proxy: dict[str, Any] = (
        {
            "trusted_proxy": "*",
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
            "clear_untrusted_proxy_headers": True,
        }
        if behind_proxy
        else {}
    )
    try:
        # waitress refuses a larger Content-Length itself (413) before reading the body, which
        # it would otherwise buffer (up to 1 GiB) before Flask's own limit refuses it.
        return create_server(
            web,
            host=host,
            port=port,
            threads=threads,
            ident="postsched",
            max_request_body_size=web.config["MAX_CONTENT_LENGTH"] + 1,
            **proxy,
        )
    except OSError as exc:
        raise InputError(
            _("Cannot listen on {host}:{port}: {reason}.").format(
                host=host, port=port, reason=exc.strerror
            )
        ) from None
