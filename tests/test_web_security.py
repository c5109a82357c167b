"""What the security review of the web page tried (issue 13), each kept as a test.

Sessions that end for real, wrong passwords throttled without holding a server thread, the
Host check, huge bodies refused from their Content-Length, no file-existence oracle, the
cookie and proxy options, the queue's paging, and CSRF on every POST route.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from posts.checks import AddRequest
from posts.models import Event, Post
from scheduler.app import App
from scheduler.web import create_app, hash_password, make_server
from scheduler.web.security import LoginThrottle, Sessions
from tests.conftest import run, web_process
from tests.test_web import NOW, PASSWORD, log_in, post_form, text_of, token

COOKIE = "postsched_session"


class Clock:
    """A clock the test moves by hand (seconds, like time.monotonic)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta).total_seconds()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def officer_app(planned: Path) -> App:
    return App(config_path=planned.parent / "config.toml", clock=lambda: NOW)


@pytest.fixture
def web(officer_app: App, clock: Clock) -> Flask:
    return create_app(officer_app, password_hash=hash_password(PASSWORD), clock=clock)


def client_at(web: Flask, address: str) -> FlaskClient:
    client = web.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def copy_cookie(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie(COOKIE)
    assert cookie is not None
    target.set_cookie(COOKIE, cookie.value)


def wrong(client: FlaskClient) -> Any:
    return client.post("/login", data={"password": "guess", "csrf_token": token(client)})


def right(client: FlaskClient) -> Any:
    return client.post("/login", data={"password": PASSWORD, "csrf_token": token(client)})


def snapshot(a: App) -> tuple[list[tuple[Any, ...]], int]:
    """Every post as stored, and how many events: what a refused POST must leave alone."""
    with a.store.session() as session:
        posts = [
            (p.id, p.status, p.body, p.due_at, p.next_attempt_at, p.edited)
            for p in session.scalars(select(Post).order_by(Post.id))
        ]
        events = session.scalar(select(func.count()).select_from(Event)) or 0
    return posts, events


# 4. sessions the server can end ---------------------------------------------------------


def test_a_cookie_copied_before_logout_is_refused_after(web: Flask) -> None:
    officer, thief = web.test_client(), web.test_client()
    log_in(officer)
    copy_cookie(officer, thief)
    assert thief.get("/queue").status_code == 200
    officer.post("/logout", data={"csrf_token": token(officer, "/queue")})
    response = thief.get("/queue")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert thief.post("/approve", data={"all": "yes"}).status_code in (400, 403)


def test_a_session_from_before_a_password_change_is_refused(officer_app: App, clock: Clock) -> None:
    key, sessions = os.urandom(32), Sessions(timedelta(hours=12), clock)
    before = create_app(
        officer_app, password_hash=hash_password(PASSWORD), secret_key=key, sessions=sessions
    )
    after = create_app(
        officer_app, password_hash=hash_password("another one"), secret_key=key, sessions=sessions
    )
    old, new = before.test_client(), after.test_client()
    log_in(old)
    copy_cookie(old, new)
    response = new.get("/queue", follow_redirects=True)
    assert "/login" in response.request.path
    assert "The password has changed since this session began; log in again." in text_of(response)


def test_a_session_ends_after_its_lifetime_however_busy(officer: FlaskClient, clock: Clock) -> None:
    for _ in range(11):
        clock.advance(hours=1)
        assert officer.get("/queue").status_code == 200  # use does not extend it
    clock.advance(minutes=59)
    assert officer.get("/queue").status_code == 200
    clock.advance(minutes=1)
    response = officer.get("/queue", follow_redirects=True)
    assert "/login" in response.request.path
    assert "Your session ended 12 hours after you logged in; log in again." in text_of(response)


@pytest.fixture
def officer(web: Flask) -> Iterator[FlaskClient]:
    with web.test_client() as client:
        yield log_in(client)


def test_the_session_lifetime_comes_from_config(planned: Path, clock: Clock) -> None:
    config = planned.parent / "config.toml"
    config.write_text(config.read_text().replace("[web]\n", '[web]\nsession_lifetime = "1h"\n'))
    a = App(config_path=config, clock=lambda: NOW)
    client = create_app(a, password_hash=hash_password(PASSWORD), clock=clock).test_client()
    log_in(client)
    clock.advance(minutes=59)
    assert client.get("/queue").status_code == 200
    clock.advance(minutes=1)
    assert client.get("/queue").status_code == 302


# 5. wrong passwords throttled, without a sleeping thread --------------------------------


def test_wrong_passwords_are_throttled_at_once_per_client(
    web: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    guesser, officer = client_at(web, "192.0.2.7"), client_at(web, "192.0.2.8")
    log_in(officer)

    def no_sleeping(seconds: float) -> None:
        raise AssertionError(f"a login answer slept {seconds} s")

    monkeypatch.setattr(time, "sleep", no_sleeping)  # each answer comes at once
    answers = [wrong(guesser).status_code for _ in range(LoginThrottle.PER_CLIENT + 3)]
    assert answers == [401] * LoginThrottle.PER_CLIENT + [429] * 3
    refused = right(guesser)  # the right password waits too, or guessing would go on
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= LoginThrottle.WINDOW
    assert "Too many wrong passwords" in text_of(refused)
    assert officer.get("/queue").status_code == 200  # the officer's pages are unaffected
    assert right(client_at(web, "192.0.2.9")).status_code == 302  # another client logs in
    clock.advance(seconds=LoginThrottle.WINDOW)
    assert right(guesser).status_code == 302


def test_guessing_from_many_clients_meets_the_overall_limit(web: Flask, clock: Clock) -> None:
    for n in range(LoginThrottle.OVERALL):
        assert wrong(client_at(web, f"10.0.{n // 200}.{n % 200}")).status_code == 401
    newcomer = client_at(web, "192.0.2.50")
    refused = right(newcomer)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    clock.advance(seconds=LoginThrottle.WINDOW)
    assert right(newcomer).status_code == 302


# 6. the Host check -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"]
)
def test_loopback_hosts_are_served(web: Flask, host: str) -> None:
    assert web.test_client().get("/login", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["rebind.attacker.example", "rebind.attacker.example:8000"])
def test_a_host_the_config_does_not_name_is_refused(web: Flask, host: str) -> None:
    response = web.test_client().get("/login", headers={"Host": host})
    assert response.status_code == 400
    assert "is not a name this postsched web page answers to" in text_of(response)
    assert "[web] hosts" in text_of(response)


def test_the_configured_public_name_is_served(planned: Path) -> None:
    config = planned.parent / "config.toml"
    config.write_text(
        config.read_text().replace("[web]\n", '[web]\nhosts = ["postsched.example.org"]\n')
    )
    web = create_app(App(config_path=config, clock=lambda: NOW), password_hash=hash_password("x"))
    client = web.test_client()
    assert client.get("/login", headers={"Host": "postsched.example.org"}).status_code == 200
    assert client.get("/login", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/login", headers={"Host": "other.example.org"}).status_code == 400


# 7. a huge body refused from its Content-Length ------------------------------------------


@contextlib.contextmanager
def serving(web: Flask, *, behind_proxy: bool = False) -> Iterator[int]:
    """The real waitress server, as `postsched web` makes it, on a free loopback port."""
    waitress = make_server(web, "127.0.0.1", 0, behind_proxy=behind_proxy)
    stopping = threading.Event()

    def run() -> None:
        try:
            waitress.run()
        except OSError:  # its sockets closed under its loop: how it stops from another thread
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield int(waitress.effective_port)
    finally:
        stopping.set()
        waitress.close()
        thread.join(timeout=10)


@pytest.fixture
def server(web: Flask) -> Iterator[int]:
    with serving(web) as port:
        yield port


def test_a_huge_body_is_refused_before_it_is_read(server: int) -> None:
    request = (
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 900000000\r\n\r\npassword=guess"
    )
    # A server waiting for the body would never answer: recv would time out and fail the test.
    with socket.create_connection(("127.0.0.1", server), timeout=30) as sock:
        sock.sendall(request)  # and nothing more
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer


def test_a_body_under_the_limit_still_reaches_the_page(server: int) -> None:
    import requests

    response = requests.post(
        f"http://127.0.0.1:{server}/login", data={"password": "x" * 1_000_000}, timeout=10
    )
    assert response.status_code == 400  # read whole, then refused for its missing CSRF token
    assert "nothing was changed" in response.text


# 12. no file-existence oracle ------------------------------------------------------------


def refusal(page: str) -> str:
    found = re.search(r'<p class="flash error" role="alert">(.*?)</p>', page, re.S)
    assert found, page
    return found.group(1)


@pytest.mark.parametrize(
    ("exists", "missing"),
    [("/etc/passwd", "/etc/no-such-file"), ("../../../../etc/passwd", "../../../../etc/nope")],
)
def test_a_template_outside_templates_answers_alike_whether_it_exists_or_not(
    officer: FlaskClient, officer_app: App, planned: Path, exists: str, missing: str
) -> None:
    assert Path("/etc/passwd").is_file()
    answers = []
    for name in (exists, missing):
        data = {"channel": "mastodon", "at": "2026-01-07T15:00", "template": name}
        response = post_form(officer, "/posts/new", data)
        message = refusal(text_of(response))
        assert (
            str(planned.parent) not in message and "/work" not in message and "root:" not in message
        )
        answers.append((response.status_code, message.replace(name, "NAME")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 400
    assert "under the templates folder" in answers[0][1]


def test_a_missing_template_under_templates_names_no_server_path(
    officer: FlaskClient, planned: Path
) -> None:
    data = {"channel": "mastodon", "at": "2026-01-07T15:00", "template": "article/nope.j2"}
    message = refusal(text_of(post_form(officer, "/posts/new", data)))
    assert "There is no template article/nope.j2" in message
    assert str(planned.parent) not in message


# 14. cookies behind a proxy, the warning, uploads, the subject ----------------------------


def with_web(planned: Path, lines: str, **kwargs: Any) -> Flask:
    config = planned.parent / "config.toml"
    config.write_text(config.read_text().replace("[web]\n", f"[web]\n{lines}\n"))
    a = App(config_path=config, clock=lambda: NOW)
    return create_app(a, password_hash=hash_password(PASSWORD), **kwargs)


def session_cookie_header(response: Any) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE)]
    assert headers
    return str(headers[0])


def test_cookies_are_plain_on_loopback(web: Flask) -> None:
    client = web.test_client()
    assert "Secure" not in session_cookie_header(right(client))


def test_secure_cookies_when_asked(planned: Path) -> None:
    client = with_web(planned, "secure_cookies = true").test_client()
    assert "Secure" in session_cookie_header(right(client))


def test_behind_a_proxy_the_forwarded_client_and_scheme_are_used(
    planned: Path, clock: Clock
) -> None:
    web = with_web(planned, 'behind_proxy = true\nhosts = ["postsched.example.org"]', clock=clock)

    def through_proxy(address: str) -> FlaskClient:
        client = client_at(web, "127.0.0.1")  # every request arrives from the proxy
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
        client.environ_base["HTTP_X_FORWARDED_HOST"] = "postsched.example.org"
        return client

    guesser = through_proxy("203.0.113.5")
    for _ in range(LoginThrottle.PER_CLIENT):
        wrong(guesser)
    assert wrong(guesser).status_code == 429
    response = right(through_proxy("203.0.113.6"))  # another client behind the same proxy
    assert response.status_code == 302
    assert "Secure" in session_cookie_header(response)  # HTTPS at the proxy: Secure by default


def test_quiet_still_warns_about_listening_beyond_loopback(planned: Path) -> None:
    import requests

    password_hash = hash_password(PASSWORD)
    with web_process(planned.parent, password_hash, "-q", host="127.0.0.2") as web:
        page = requests.get(f"http://127.0.0.2:{web.port}/login", timeout=5)
        assert page.status_code == 200  # the address it listens on passes the Host check
    assert "Warning: listening on 127.0.0.2" in web.err
    assert "postsched web stopped." not in web.err  # -q still hides the chatter


def test_an_upload_is_saved_with_the_extension_of_its_content(
    officer: FlaskClient, officer_app: App
) -> None:
    gif = b"GIF89a" + b"\x00" * 64
    data = {"channel": "mastodon", "at": "2026-01-07T15:00", "text": "Un GIF", "alt": "Un GIF"}
    response = post_form(officer, "/posts/new", {**data, "image": (io.BytesIO(gif), "x.png")})
    assert response.status_code == 302, text_of(response)
    post = officer_app.store.get(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert Path(post.media_path or "").suffix == ".gif"


def test_an_upload_that_is_no_image_is_refused_by_its_name(
    officer: FlaskClient, officer_app: App, planned: Path
) -> None:
    data = {"channel": "mastodon", "at": "2026-01-07T15:00", "text": "Rien", "alt": "Rien"}
    response = post_form(officer, "/posts/new", {**data, "image": (io.BytesIO(b"hello"), "x.png")})
    assert response.status_code == 400
    message = refusal(text_of(response))
    assert message == "x.png is not a PNG, JPEG, GIF or WebP image."
    assert not (planned.parent / "uploads").exists() or not any(
        (planned.parent / "uploads").iterdir()
    )


def test_the_subject_field_refuses_line_breaks(officer: FlaskClient, officer_app: App) -> None:
    before = snapshot(officer_app)
    data = {
        "channel": "mastodon",
        "at": "2026-01-07T15:00",
        "template": "announce",
        "subject": "article\nInjected: line",
    }
    response = post_form(officer, "/posts/new", data)
    assert response.status_code == 400
    assert refusal(text_of(response)) == (
        "The subject is one line, such as article or course:<key>: remove its line breaks."
    )
    assert snapshot(officer_app) == before


# 13. the queue pages like the command line ------------------------------------------------


@pytest.fixture
def long_queue(officer_app: App) -> App:
    """The shipped campaign's 24 drafts and 60 one-off posts after them: 84 pending."""
    for n in range(60):
        at = NOW + timedelta(days=200, hours=n)
        request = AddRequest(channel="mastodon", at=at, text=f"Message {n}")
        officer_app.officer.add(request, NOW, warn=lambda _: None)
    return officer_app


def rows(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="row-(\d+)"', page)]


def test_the_queue_shows_the_next_50_and_links_to_more(
    officer: FlaskClient, long_queue: App
) -> None:
    page = text_of(officer.get("/queue"))
    shown = rows(page)
    expected = [p.id for p in long_queue.store.list_posts(limit=50)]
    assert shown == expected
    assert "50 of 84 posts shown, the next by due time" in page
    assert 'href="/queue?limit=100"' in page and 'href="/queue?all=1"' in page
    assert len(rows(text_of(officer.get("/queue?limit=60")))) == 60
    assert len(rows(text_of(officer.get("/queue?all=1")))) == 84
    assert len(rows(text_of(officer.get("/queue?limit=nonsense")))) == 50


def test_more_keeps_the_filters(officer: FlaskClient, long_queue: App) -> None:
    page = text_of(officer.get("/queue?status=scheduled&channel=mastodon"))
    assert len(rows(page)) == 50
    assert 'href="/queue?status=scheduled&channel=mastodon&limit=100"' in page


# CSRF on every POST route ----------------------------------------------------------------


def example_path(rule: Any) -> str:
    """The rule's path with an example for each variable part: 1 for an id, a channel's name."""
    return re.sub(
        r"<(?:(\w+):)?\w+>",
        lambda m: "1" if m.group(1) == "int" else "mastodon",
        str(rule.rule),
    )


def test_every_post_route_refuses_a_change_without_the_csrf_token(
    web: Flask, officer_app: App
) -> None:
    rules = [r for r in web.url_map.iter_rules() if "POST" in (r.methods or ())]
    known = {"/login", "/logout", "/approve", "/cancel", "/posts/<int:post_id>/edit", "/import"}
    assert known <= {r.rule for r in rules} and len(rules) >= 12
    client = web.test_client()
    log_in(client)
    before = snapshot(officer_app)
    credentials = sorted(p.name for p in officer_app.config_path.parent.rglob("*") if p.is_file())
    for rule in rules:
        path = example_path(rule)
        for data in ({}, {"csrf_token": "forged"}):
            response = client.post(
                path, data={**data, "all": "yes", "ids": "1", "confirmed": "yes", "text": "x"}
            )
            assert response.status_code == 400, (path, response.status_code)
            assert "nothing was changed" in text_of(response), path
    assert snapshot(officer_app) == before
    assert sorted(p.name for p in officer_app.config_path.parent.rglob("*") if p.is_file()) == (
        credentials
    )
    assert client.get("/queue").status_code == 200  # /logout without the token did not log out


# Behind a proxy, on the real server: the client is the proxy's X-Forwarded-For ---------------


def test_behind_a_proxy_the_real_server_throttles_each_forwarded_client(planned: Path) -> None:
    """waitress drops X-Forwarded-* unless told to trust the proxy: one guesser behind the
    proxy must not lock the officer, who comes through the same proxy, out."""
    import requests

    config = planned.parent / "config.toml"
    config.write_text(
        config.read_text().replace(
            "[web]\n",
            "[web]\nbehind_proxy = true\nsecure_cookies = false  # the test speaks http\n",
        )
    )
    app = App(config_path=config, clock=lambda: NOW)
    web = create_app(app, password_hash=hash_password(PASSWORD), listening="127.0.0.1")
    with serving(web, behind_proxy=True) as port:
        url = f"http://127.0.0.1:{port}/login"

        def attempt(address: str, password: str) -> int:
            browser = requests.Session()
            headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
            page = browser.get(url, headers=headers, timeout=10).text
            match = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert match, page
            data = {"password": password, "csrf_token": match.group(1)}
            answer = browser.post(url, data=data, headers=headers, allow_redirects=False)
            return answer.status_code

        answers = [attempt("203.0.113.5", "wrong") for _ in range(LoginThrottle.PER_CLIENT + 1)]
        assert answers == [401] * LoginThrottle.PER_CLIENT + [429]
        assert attempt("198.51.100.7", PASSWORD) == 302


def test_guesses_sent_together_are_counted_before_any_is_checked() -> None:
    """Sixty guesses in parallel from one client: exactly the per-client limit is let through,
    since each attempt is counted under the lock before its password is checked."""
    throttle = LoginThrottle()
    start = threading.Barrier(60)
    allowed: list[int] = []

    def guess() -> None:
        start.wait()
        wait, _ = throttle.attempt("203.0.113.5")
        if wait == 0:
            allowed.append(1)

    threads = [threading.Thread(target=guess) for _ in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == LoginThrottle.PER_CLIENT
    _, mark = LoginThrottle().attempt("198.51.100.7")
    assert mark > 0


def test_downloads_are_never_kept_in_a_shared_cache(officer: FlaskClient) -> None:
    for path in ("/export.csv", "/export.ics", "/log.csv"):
        assert officer.get(path).headers["Cache-Control"] == "no-store", path


def test_a_limit_beyond_any_database_is_one_sentence_or_every_post(officer: FlaskClient) -> None:
    page = officer.get("/queue?limit=9223372036854775808")
    assert page.status_code == 200
    result = run("queue", "--limit", "99999999999999999999")
    assert result.code == 2 and "Traceback" not in result.err
    assert "--limit" in result.err
