"""The web page's "Connect" buttons: the same OAuth flow as `postsched connect`, with the
network's redirect landing on the web page itself (/connect/callback), and "Disconnect". A
Bluesky channel's Connect is a form instead (handle and app password), checked with the
account's server; the password is never shown again, nor kept in the session.

What links the authorization to its answer (state, PKCE verifier) waits in the officer's
session; a LinkedIn token waiting for the choice of page waits in this process's memory for ten
minutes at most, never in the cookie.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers.response import Response

from posts.errors import PostschedError
from posts.language import gettext as _
from scheduler.app import App
from scheduler.connect import (
    Connected,
    Pending,
    choose_author,
    connector_for,
    disconnect_channel,
    store_connection,
)
from scheduler.connect.bluesky import BlueskyConnector

CHOICE_LIFETIME = 600.0  # seconds a granted LinkedIn token waits for the officer's choice


def connect_pages(a: App) -> Blueprint:
    pages = Blueprint("connect", __name__)
    waiting: dict[str, tuple[float, Connected]] = {}

    def back(message: str, category: str) -> Response:
        flash(message, category)
        return redirect(url_for("status.page"))

    def saved(connected: Connected, author_urn: str | None) -> Response:
        author = choose_author(connected, author_urn) if connected.authors else None
        message = store_connection(connected, author, a.config, show_path=False)
        a.reload()
        return back(message, "info")

    @pages.post("/connect/<name>")
    def start(name: str) -> str | Response:
        try:
            connector = connector_for(a.config, name)
            if isinstance(connector, BlueskyConnector):
                return app_password_form(connector, connector.handle)
            pending = connector.start(url_for("connect.callback", _external=True))
        except PostschedError as exc:
            return back(str(exc), "error")
        session["connect"] = asdict(pending)
        return render_template(
            "connect.html", pending=pending, channel=connector.channel, network=connector.network
        )

    def app_password_form(connector: BlueskyConnector, handle: str) -> str:
        return render_template(
            "connect_bluesky.html",
            channel=connector.channel,
            handle=handle,
            server=connector.service,
        )

    @pages.post("/connect/<name>/app-password")
    def app_password(name: str) -> tuple[str, int] | Response:
        handle = request.form.get("handle", "")
        try:
            connector = connector_for(a.config, name)
        except PostschedError as exc:
            return back(str(exc), "error")
        if not isinstance(connector, BlueskyConnector):
            return back(
                _("{name} does not connect with an app password.").format(name=name), "error"
            )
        try:
            connected = connector.login(handle, request.form.get("app_password", ""))
            message = store_connection(connected, None, a.config, show_path=False)
        except PostschedError as exc:
            flash(str(exc), "error")
            return app_password_form(connector, handle), 400
        a.reload()
        return back(message, "info")

    @pages.get("/connect/callback")
    def callback() -> str | Response:
        kept = session.pop("connect", None)
        stray = _(
            "This answer does not belong to a connect started from this page (or the page "
            "was restarted since); nothing was stored. Press Connect again."
        )
        if not isinstance(kept, dict):
            return back(stray, "error")
        pending = Pending(**kept)
        try:
            connector = connector_for(a.config, pending.channel)
            if isinstance(connector, BlueskyConnector):  # Bluesky sends no browser back here
                return back(stray, "error")
            connected = connector.finish(pending, request.args.to_dict())
            if not connected.authors:
                return saved(connected, None)
            if connected.pages_asked and len(connected.authors) == 1:
                choose_author(connected, None)  # refuses: the member administers no page
        except PostschedError as exc:
            return back(str(exc), "error")
        now = time.monotonic()
        for key in [k for k, (at, _connected) in waiting.items() if now - at > CHOICE_LIFETIME]:
            del waiting[key]
        key = secrets.token_urlsafe(16)
        waiting[key] = (now, connected)
        session["connect_choice"] = key
        return render_template("connect_choose.html", connected=connected)

    @pages.post("/connect/choose")
    def choose() -> Response:
        key = session.pop("connect_choice", None)
        found = waiting.pop(str(key), None)
        if found is None or time.monotonic() - found[0] > CHOICE_LIFETIME:
            return back(_("This choice came too late or twice; nothing was stored."), "error")
        try:
            return saved(found[1], request.form.get("author") or "")
        except PostschedError as exc:
            return back(str(exc), "error")

    @pages.post("/disconnect/<name>")
    def disconnect(name: str) -> Response:
        try:
            message = disconnect_channel(a.config, name)
        except PostschedError as exc:
            return back(str(exc), "error")
        # The same sentence disconnect_channel says when the network revoked the token; a
        # Bluesky app password is only ever forgotten here, which is no failure.
        revoked = _("{name}: the token is revoked and forgotten.").format(name=name)
        bluesky = a.config.channels[name].type == "bluesky"
        return back(message, "info" if message == revoked or bluesky else "error")

    return pages
