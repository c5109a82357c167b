"""`postsched web`: the officer's web page over the same database as the command line.

Server-rendered pages (Flask, Jinja2, one stylesheet, no JavaScript), one blueprint for each
thing the officer does: the campaign on a calendar, its plan and check (campaign.py); the queue
and its verbs on several posts (queue.py); one post, its edit and retry, and a new post
(post.py); the post log and its CSV (log.py); what the posts reached (reach.py); the daemon's
status (status.py) and the Connect buttons (connect.py); import and export (exchange.py). What
they share is pages.py; the login is auth.py, the guards security.py, the error pages
errors.py, the language language.py, the server server.py. create_app only wires them.

Every verb goes through posts.officer and posts.store exactly as the command line does, so a
refusal is the same sentence and changes nothing. Every page but the login needs the officer's
session; every change is a POST carrying the session's CSRF token (Flask-WTF), and a POST
without either is refused before it reaches a verb.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from scheduler.app import App
from scheduler.web.auth import auth_pages, hash_password, require_password_hash, session_key
from scheduler.web.campaign import campaign_pages
from scheduler.web.connect import connect_pages
from scheduler.web.errors import install_errors
from scheduler.web.exchange import exchange_pages
from scheduler.web.language import install_language
from scheduler.web.log import log_pages
from scheduler.web.pages import install_pages
from scheduler.web.post import post_pages
from scheduler.web.queue import queue_pages
from scheduler.web.reach import reach_pages
from scheduler.web.security import LoginThrottle, Sessions, install
from scheduler.web.server import make_server, serve
from scheduler.web.status import status_pages

__all__ = ["create_app", "hash_password", "make_server", "require_password_hash", "serve"]

MAX_BODY = 20 * 1024 * 1024  # the largest request: an image or a CSV, with the form around it


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
    # headers, Secure cookie and Host check, before CSRF and the login check (auth_pages).
    install_language(web, a.config)
    install(web, settings, listening)
    CSRFProtect(web)
    web.register_blueprint(auth_pages(password_hash, sessions, LoginThrottle(clock)))
    install_errors(web)
    install_pages(web, a)
    for pages in (
        campaign_pages,
        queue_pages,
        post_pages,
        log_pages,
        reach_pages,
        status_pages,
        connect_pages,
        exchange_pages,
    ):
        web.register_blueprint(pages(a))
    _opened = a.officer  # open the database (and check its schema) now, not at the first request
    return web
