"""Logging in and out: the password hash and the key that signs sessions, the login page
(throttled), logging out, and the guard that sends every other page to the login."""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers.response import Response as Redirect

from posts.errors import InputError
from posts.language import gettext as _
from scheduler.web.pages import safe_next
from scheduler.web.security import LoginThrottle, Sessions, throttled_sentence

HASH_METHODS = ("scrypt:", "pbkdf2:")
MIN_SECRET_KEY = 32


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


def auth_pages(password_hash: str, sessions: Sessions, throttle: LoginThrottle) -> Blueprint:
    """The login and logout, and the guard every other request passes (registered after
    CSRFProtect, so that a forged POST is refused as forged before it is asked to log in)."""
    pages = Blueprint("auth", __name__)

    @pages.before_app_request
    def _require_login() -> Response | Redirect | None:
        if request.endpoint in ("auth.login", "static"):
            return None
        ended = sessions.refusal(session, password_hash)
        if ended is None:
            return None
        if ended:  # a session that was open: forget it, and say why it ended
            session.clear()
            flash(ended, "error")
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        refusal = _("Log in first: nothing was changed.")
        return Response(f"{refusal}\n", 403, mimetype="text/plain")

    @pages.app_context_processor
    def _logged_in() -> dict[str, Any]:
        return {"logged_in": sessions.refusal(session, password_hash) is None}

    @pages.route("/login", methods=["GET", "POST"])
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

    @pages.post("/logout")
    def logout() -> Redirect:
        sessions.close(session.get("sid"))  # a copy of the cookie opens nothing any more
        session.clear()
        flash(_("Logged out."), "info")
        return redirect(url_for("auth.login"))

    return pages
