"""The web page's guards: sessions the server can end, a throttle on wrong passwords, and the
Host check.

Sessions: the signed cookie carries a random session id, a digest of the password hash it was
opened under, nothing else that grants anything. The id must be in this process's table, which
logging out empties of it; a session also ends a fixed time after its login however busy it is,
and when the password hash changes. The table lives in memory: restarting the server ends every
session (the officer logs in again).

Throttle: wrong passwords are counted per client address and overall over a sliding window;
over either limit the login answers 429 at once with Retry-After. Nothing sleeps, so no server
thread is held and the officer's other pages stay fast. Also in memory (a small in-process
window rather than Flask-Limiter: one counter, no storage backend, and it must count failures
only, not every request).
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from posts.campaign import WebSettings
from posts.language import gettext as _
from posts.language import ngettext

Clock = Callable[[], float]
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD = ("", "0.0.0.0", "::")
# A Host header: a name or IPv4 address, or an IPv6 address in brackets; then a port.
HOST = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::[0-9]{1,5})?", re.ASCII | re.IGNORECASE)


def digest(password_hash: str) -> str:
    """What the cookie holds of the password hash: enough to tell it changed, no more."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


class Sessions:
    """The sessions this server opened and has not ended: id -> when it began."""

    def __init__(self, lifetime: timedelta, clock: Clock = time.monotonic) -> None:
        self.lifetime = lifetime
        self.clock = clock
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()

    def open(self, password_hash: str) -> dict[str, Any]:
        """A new session; what to put in the cookie."""
        sid = secrets.token_urlsafe(24)
        now = self.clock()
        with self._lock:
            ended = [k for k, at in self._started.items() if now - at >= self.seconds]
            for key in ended:
                del self._started[key]
            self._started[sid] = now
        return {"sid": sid, "pw": digest(password_hash)}

    @property
    def seconds(self) -> float:
        return self.lifetime.total_seconds()

    def refusal(self, cookie: Any, password_hash: str) -> str | None:
        """None if the session is open; else why not, in one sentence, or "" for a cookie that
        never logged in (nothing to say: the login page is all it needs)."""
        sid = cookie.get("sid")
        if not isinstance(sid, str):
            return ""
        with self._lock:
            started = self._started.get(sid)
        if started is None:
            return _("Your session has ended (logged out, or the server restarted); log in again.")
        if cookie.get("pw") != digest(password_hash):
            self.close(sid)
            return _("The password has changed since this session began; log in again.")
        if self.clock() - started >= self.seconds:
            self.close(sid)
            return _("Your session ended {span} after you logged in; log in again.").format(
                span=hours(self.lifetime)
            )
        return None

    def close(self, sid: object) -> None:
        with self._lock:
            self._started.pop(str(sid), None)


def hours(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds % 3600 == 0:
        n = seconds // 3600
        return ngettext("{count} hour", "{count} hours", n).format(count=n)
    if seconds % 60 == 0:
        n = seconds // 60
        return ngettext("{count} minute", "{count} minutes", n).format(count=n)
    return ngettext("{count} second", "{count} seconds", seconds).format(count=seconds)


class LoginThrottle:
    """Wrong passwords per client and overall in a sliding window."""

    PER_CLIENT = 10
    OVERALL = 100
    WINDOW = 900  # seconds

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._per_client: dict[str, deque[float]] = {}
        self._overall: deque[float] = deque()
        self._lock = threading.Lock()

    def attempt(self, client: str) -> tuple[int, float]:
        """(seconds before `client` may try a password again, 0: now; the attempt's mark).

        An attempt allowed is counted as a failure at once, under the lock, so that guesses sent
        in parallel cannot all pass the check before any is counted; `succeeded` takes it back.
        """
        now = self.clock()
        with self._lock:
            self._forget(now)
            waits = [
                self._until_below(self._per_client.get(client, deque()), self.PER_CLIENT, now),
                self._until_below(self._overall, self.OVERALL, now),
            ]
            if max(waits) == 0:
                self._per_client.setdefault(client, deque()).append(now)
                self._overall.append(now)
        return max(waits), now

    def succeeded(self, client: str, mark: float) -> None:
        """The right password: the client's failures are forgotten, and this attempt uncounted."""
        with self._lock:
            self._per_client.pop(client, None)
            if mark in self._overall:
                self._overall.remove(mark)

    def _until_below(self, times: deque[float], limit: int, now: float) -> int:
        if len(times) < limit:
            return 0
        # The limit is met until the oldest failure that keeps it met leaves the window.
        return max(1, math.ceil(times[len(times) - limit] + self.WINDOW - now))

    def _forget(self, now: float) -> None:
        for times in (self._overall, *self._per_client.values()):
            while times and now - times[0] >= self.WINDOW:
                times.popleft()
        for client in [c for c, times in self._per_client.items() if not times]:
            del self._per_client[client]


def throttled_sentence(wait: int) -> str:
    minutes = max(1, math.ceil(wait / 60))
    return ngettext(
        "Too many wrong passwords were tried; logging in is paused, try again in {count} minute.",
        "Too many wrong passwords were tried; logging in is paused, try again in {count} minutes.",
        minutes,
    ).format(count=minutes)


def allowed_hosts(configured: Iterable[str], listening: str | None = None) -> frozenset[str]:
    """The names the page answers to: loopback, the address it listens on (unless that is every
    address), and `[web] hosts`; lower case, IPv6 without brackets, no port."""
    names = {*LOOPBACK_NAMES, *configured}
    if listening is not None and listening not in WILDCARD:
        names.add(listening)
    return frozenset(name.lower().strip("[]") for name in names)


def host_name(header: str) -> str | None:
    """The name in a Host header, as allowed_hosts writes names; None if it is not one."""
    found = HOST.fullmatch(header.strip())
    return found.group(1).lower().strip("[]") if found else None


def host_refusal(header: str, allowed: frozenset[str]) -> str | None:
    if host_name(header) in allowed:
        return None
    if not (header.isprintable() and len(header) < 100):
        return _(
            "This host name is not a name this postsched web page answers to: add it to "
            "[web] hosts in config.toml if the page is meant to be reached by it."
        )
    return _(
        "{host!r} is not a name this postsched web page answers to: add it to [web] hosts in "
        "config.toml if the page is meant to be reached by it."
    ).format(host=header)


def install(web: Flask, settings: WebSettings, listening: str | None) -> None:
    """The proxy headers, the cookie's Secure flag and the Host check; installed before CSRF
    and the login check, so a request for a name the page does not answer to goes no further.
    Then the headers every answer carries: what the browser may load, frame and send."""
    if settings.behind_proxy:
        # One proxy in front: its X-Forwarded-For is the client, -Proto the scheme, -Host the name.
        web.wsgi_app = ProxyFix(web.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    web.config["SESSION_COOKIE_SECURE"] = settings.secure_cookies
    allowed = allowed_hosts(settings.hosts, listening)

    @web.before_request
    def _host() -> Response | None:
        refusal = host_refusal(request.environ.get("HTTP_HOST", ""), allowed)
        if refusal is None:
            return None
        return Response(f"{refusal}\n", 400, mimetype="text/plain")

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
