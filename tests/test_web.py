"""The officer's web page through Flask's test client, over a real SQLite database.

Every change must need the login and the CSRF token, and go through the same verbs as the
command line: a refusal is the CLI's sentence and changes nothing.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from posts.checks import AddRequest
from posts.errors import PostschedError
from posts.models import Post
from scheduler.app import App
from scheduler.web import create_app, hash_password
from scheduler.web.pages import safe_next
from tests.conftest import run

PASSWORD = "correct horse battery"
PARIS = ZoneInfo("Europe/Paris")
# The shipped campaign is planned as of 2026-01-05 08:00; the page's clock stands just after.
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=PARIS).astimezone(UTC)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def officer_app(planned: Path) -> App:
    return App(config_path=planned.parent / "config.toml", clock=lambda: NOW)


@pytest.fixture
def web(officer_app: App) -> Flask:
    return create_app(officer_app, password_hash=hash_password(PASSWORD))


@pytest.fixture
def client(web: Flask) -> Iterator[FlaskClient]:
    with web.test_client() as test_client:
        yield test_client


def token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = TOKEN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: FlaskClient) -> FlaskClient:
    response = client.post("/login", data={"password": PASSWORD, "csrf_token": token(client)})
    assert response.status_code == 302
    return client


@pytest.fixture
def officer(client: FlaskClient) -> FlaskClient:
    """The client, logged in."""
    return log_in(client)


def post_form(client: FlaskClient, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    return client.post(path, data={**data, "csrf_token": token(client, "/queue")}, **kwargs)


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def status_of(a: App, post_id: int) -> str:
    return a.store.get(post_id).status


def drafts(a: App) -> int:
    return a.store.counts().get("draft", 0)


# the login ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        *("/", "/queue", "/posts/1", "/posts/new", "/plan", "/check", "/log", "/log.csv"),
        *("/status", "/exchange", "/export.ics", "/export.csv", "/reach"),
    ],
)
def test_every_page_needs_the_login(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_change_without_the_login_is_refused_and_changes_nothing(
    client: FlaskClient, officer_app: App
) -> None:
    before = drafts(officer_app)
    csrf = token(client)  # a valid token of a session that has not logged in
    for path, data in [
        ("/approve", {"all": "yes"}),
        ("/cancel", {"ids": "1", "confirmed": "yes"}),
        ("/posts/1/edit", {"text": "changed"}),
        ("/plan", {}),
    ]:
        response = client.post(path, data={**data, "csrf_token": csrf})
        assert response.status_code == 403, path
    assert drafts(officer_app) == before == 24
    assert officer_app.store.get(1).body != "changed"


def test_a_wrong_password_does_not_log_in(client: FlaskClient) -> None:
    response = client.post("/login", data={"password": "wrong", "csrf_token": token(client)})
    assert response.status_code == 401
    assert "Wrong password." in text_of(response)
    assert client.get("/queue").status_code == 302


def test_after_login_the_page_asked_for_is_shown(client: FlaskClient) -> None:
    page = client.get("/log?channel=mastodon", follow_redirects=True)
    assert 'name="next" value="/log?channel=mastodon"' in page.get_data(as_text=True)
    response = client.post(
        "/login",
        data={"password": PASSWORD, "csrf_token": token(client), "next": "/log?channel=mastodon"},
    )
    assert response.headers["Location"] == "/log?channel=mastodon"


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)", "queue"]
)
def test_the_login_never_redirects_off_site(target: str) -> None:
    assert safe_next(target) == "/"


def test_logout_ends_the_session(officer: FlaskClient) -> None:
    assert officer.get("/queue").status_code == 200
    assert officer.post("/logout", data={"csrf_token": token(officer, "/queue")}).status_code == 302
    assert officer.get("/queue").status_code == 302


def test_pages_forbid_framing_and_scripts_from_elsewhere(officer: FlaskClient) -> None:
    policy = officer.get("/").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy


# CSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize("csrf", [None, "", "forged-token"])
def test_a_change_without_the_csrf_token_is_refused_and_changes_nothing(
    officer: FlaskClient, officer_app: App, csrf: str | None
) -> None:
    data = {"all": "yes"} if csrf is None else {"all": "yes", "csrf_token": csrf}
    response = officer.post("/approve", data=data)
    assert response.status_code == 400
    assert "nothing was changed" in text_of(response)
    assert drafts(officer_app) == 24


def test_a_token_from_another_session_is_refused(web: Flask, officer_app: App) -> None:
    first, second = web.test_client(), web.test_client()
    for one in (first, second):
        one.post("/login", data={"password": PASSWORD, "csrf_token": token(one)})
    stolen = token(first, "/queue")
    response = second.post("/approve", data={"all": "yes", "csrf_token": stolen})
    assert response.status_code == 400
    assert drafts(officer_app) == 24


# the verbs ------------------------------------------------------------------------------


def chip_class(page: str, post_id: int) -> str:
    match = re.search(rf'<a class="chip ([^"]+)" id="post-{post_id}"', page)
    assert match, f"post {post_id} is not on the timeline"
    return match.group(1)


def test_approving_one_post_turns_it_scheduled_on_the_timeline(
    officer: FlaskClient, officer_app: App
) -> None:
    assert chip_class(officer.get("/").get_data(as_text=True), 1) == "s-draft"
    response = post_form(officer, "/approve", {"one": "1", "next": "/queue"})
    assert response.status_code == 302 and response.headers["Location"] == "/queue"
    assert "1 post approved." in text_of(officer.get("/queue"))
    assert status_of(officer_app, 1) == "scheduled"
    assert status_of(officer_app, 2) == "draft"
    assert chip_class(officer.get("/").get_data(as_text=True), 1) == "s-scheduled"
    log = list(csv.reader(io.StringIO(officer.get("/log.csv").get_data(as_text=True))))
    assert sorted(row[3] for row in log if row[1] == "1") == ["approved", "planned"]


def test_approving_ticked_posts_and_all_drafts(officer: FlaskClient, officer_app: App) -> None:
    post_form(officer, "/approve", {"ids": ["2", "3"]})
    assert [status_of(officer_app, i) for i in (1, 2, 3)] == ["draft", "scheduled", "scheduled"]
    post_form(officer, "/approve", {"all": "yes"})
    assert drafts(officer_app) == 0
    assert "No draft to approve." in text_of(
        post_form(officer, "/approve", {"all": "yes"}, follow_redirects=True)
    )


def test_cancelling_asks_first_then_cancels(officer: FlaskClient, officer_app: App) -> None:
    page = post_form(officer, "/cancel", {"one": "2"})
    assert page.status_code == 200 and "Yes, cancel" in text_of(page)
    assert status_of(officer_app, 2) == "draft"
    post_form(officer, "/cancel", {"ids": "2", "confirmed": "yes"})
    assert status_of(officer_app, 2) == "cancelled"
    refused = post_form(officer, "/cancel", {"ids": "2", "confirmed": "yes"}, follow_redirects=True)
    assert "cancelled" in text_of(refused) and status_of(officer_app, 2) == "cancelled"


def cli_refusal(verb: Callable[[], object]) -> str:
    with pytest.raises(PostschedError) as caught:
        verb()
    return str(caught.value)


def test_edit_refusals_are_the_cli_sentences_and_change_nothing(
    officer: FlaskClient, officer_app: App
) -> None:
    before = officer_app.store.get(1)
    long_text = "x" * 600
    expected = cli_refusal(lambda: officer_app.officer.edit(1, NOW, text=long_text))
    page = text_of(post_form(officer, "/posts/1/edit", {"text": long_text}, follow_redirects=True))
    assert expected in page
    past = cli_refusal(
        lambda: officer_app.officer.edit(1, NOW, at=officer_app.parse_time("2025-12-01T09:30"))
    )
    page = text_of(
        post_form(officer, "/posts/1/edit", {"at": "2025-12-01T09:30"}, follow_redirects=True)
    )
    assert past in page and "in the past" in past
    after = officer_app.store.get(1)
    assert (after.body, after.due_at, after.edited) == (before.body, before.due_at, False)


def test_edit_changes_the_text_and_the_time(officer: FlaskClient, officer_app: App) -> None:
    post = officer_app.store.get(3)
    response = post_form(
        officer,
        f"/posts/{post.id}/edit",
        {"text": "Nouveau texte (révisé)\r\nligne deux", "at": "2026-02-03T11:15"},
        follow_redirects=True,
    )
    assert f"Post {post.id} edited." in text_of(response)
    after = officer_app.store.get(3)
    assert after.body == "Nouveau texte (révisé)\nligne deux"
    assert after.due_at == datetime(2026, 2, 3, 11, 15, tzinfo=PARIS)
    assert after.edited
    assert [e.event for e in after.events][-1] == "edited"


def test_retry_schedules_a_failed_post_again(officer: FlaskClient, officer_app: App) -> None:
    with officer_app.store.session() as session:
        session.execute(
            update(Post).where(Post.id == 4).values(status="failed", last_error="HTTP 500")
        )
    page = text_of(officer.get("/posts/4"))
    assert "Schedule again" in page and "HTTP 500" in page
    refused = cli_refusal(lambda: officer_app.officer.retry(5, NOW))
    assert refused in text_of(post_form(officer, "/posts/5/retry", {}, follow_redirects=True))
    post_form(officer, "/posts/4/retry", {"at": "2026-01-06T10:00"})
    post = officer_app.store.get(4)
    assert post.status == "scheduled"
    assert post.due_at == datetime(2026, 1, 6, 10, 0, tzinfo=PARIS)


def test_a_missing_post_is_a_404_with_the_cli_sentence(officer: FlaskClient) -> None:
    response = officer.get("/posts/999")
    assert response.status_code == 404
    assert "999" in text_of(response)


# one post -------------------------------------------------------------------------------


def test_the_post_page_previews_what_linkedin_receives(
    officer: FlaskClient, officer_app: App
) -> None:
    linkedin = officer_app.store.get(officer_app.store.list_posts(["draft"], "linkedin")[0].id)
    page = text_of(officer.get(f"/posts/{linkedin.id}"))
    network = officer_app.officer.network("linkedin")
    assert f"{network.measure(linkedin.body)}/3000" in page
    if "(" in linkedin.body:
        assert "\\(" in page  # the escaped little text, as sent
        assert "Text as LinkedIn's API receives it (little-text escaping" in page
    for event in linkedin.events:
        assert event.event in page


# new posts, plan, import, export --------------------------------------------------------


def test_a_new_post_is_queued_scheduled(officer: FlaskClient, officer_app: App) -> None:
    response = post_form(
        officer,
        "/posts/new",
        {"channel": "mastodon", "at": "2026-01-07T15:00", "text": "Une annonce (courte)"},
    )
    assert response.status_code == 302
    post_id = int(response.headers["Location"].rsplit("/", 1)[1])
    post = officer_app.store.get(post_id)
    assert (post.channel, post.status) == ("mastodon", "scheduled")
    assert post.body == "Une annonce (courte)"
    assert post.due_at == datetime(2026, 1, 7, 15, 0, tzinfo=PARIS)


def test_a_new_post_with_an_image_keeps_the_upload(
    officer: FlaskClient, officer_app: App, planned: Path
) -> None:
    image = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    before = len(officer_app.store.list_posts())
    data = {"channel": "mastodon", "at": "2026-01-07T15:00", "text": "Avec image"}
    refused = post_form(officer, "/posts/new", {**data, "image": (io.BytesIO(image), "a.png")})
    assert refused.status_code == 400
    assert "An image needs its alt text (--alt)" in text_of(refused)
    assert len(officer_app.store.list_posts()) == before
    response = post_form(
        officer,
        "/posts/new",
        {**data, "alt": "Un schéma", "image": (io.BytesIO(image), "a.png")},
    )
    post = officer_app.store.get(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert post.media_alt == "Un schéma"
    assert Path(post.media_path or "").read_bytes() == image
    assert Path(post.media_path or "").parent == planned.parent / "uploads"


def test_a_new_post_refusal_keeps_the_form_and_inserts_nothing(
    officer: FlaskClient, officer_app: App
) -> None:
    before = len(officer_app.store.list_posts())
    article = officer_app.config.article
    assert article is not None
    data = {"channel": "linkedin", "at": "2026-04-20T09:30", "text": f"Lire {article.url}"}
    expected = cli_refusal(
        lambda: officer_app.officer.add(
            AddRequest(
                channel="linkedin",
                at=officer_app.parse_time("2026-04-20T09:30"),
                text=f"Lire {article.url}",
            ),
            NOW,
        )
    )
    response = post_form(officer, "/posts/new", data)
    page = text_of(response)
    assert response.status_code == 400 and expected in page and "link stops working" in expected
    assert f"Lire {article.url}" in page  # the officer's text is still in the form
    assert len(officer_app.store.list_posts()) == before


def test_the_plan_page_shows_then_saves_the_plan(project: Path) -> None:
    assert run("init").code == 0
    a = App(config_path=project / "config.toml", clock=lambda: NOW)
    web = create_app(a, password_hash=hash_password(PASSWORD))
    with web.test_client() as client:
        log_in(client)
        page = text_of(client.get("/plan?as_of=2026-01-05T08:00"))
        assert page.count("<td>no</td>") == 24
        response = post_form(client, "/plan", {"as_of": "2026-01-05T08:00"}, follow_redirects=True)
        assert "24 posts inserted as draft" in text_of(response)
        assert text_of(client.get("/plan?as_of=2026-01-05T08:00")).count("<td>yes</td>") == 24
        rendered = len(a.planner.render_all())
        assert f"all {rendered} posts render within their limits" in text_of(client.get("/check"))
    assert drafts(a) == 24


def test_import_checks_every_row_before_inserting_any(
    officer: FlaskClient, officer_app: App
) -> None:
    before = len(officer_app.store.list_posts())
    bad = b"channel,time,text\nmastodon,2026-02-01T09:30,Premier\ntwitter,2026-02-01T09:30,Second\n"
    response = post_form(
        officer, "/import", {"csv": (io.BytesIO(bad), "posts.csv")}, follow_redirects=True
    )
    assert "posts.csv line 3: There is no channel 'twitter'" in text_of(response)
    assert len(officer_app.store.list_posts()) == before
    good = bad.replace(b"twitter", b"linkedin")
    response = post_form(
        officer, "/import", {"csv": (io.BytesIO(good), "posts.csv")}, follow_redirects=True
    )
    assert "2 posts queued from posts.csv" in text_of(response)
    assert len(officer_app.store.list_posts()) == before + 2


def test_exports_download_the_schedule(officer: FlaskClient) -> None:
    ics = officer.get("/export.ics")
    assert ics.headers["Content-Disposition"].startswith("attachment;")
    assert ics.get_data().count(b"BEGIN:VEVENT") == 24
    data = officer.get("/export.csv").get_data()
    assert data.startswith("\ufeff".encode()), "a BOM, for spreadsheets"
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:5] == ["id", "campaign", "channel", "status", "due_at"]
    assert len(table) == 25 and table[1][1] == "ia-travail-social-2026"


def test_the_log_downloads_as_csv_with_its_filters(officer: FlaskClient) -> None:
    post_form(officer, "/approve", {"all": "yes"})
    text = officer.get("/log.csv?channel=linkedin").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["at", "post_id", "channel", "event", "detail"]
    assert len(rows) == 1 + 16  # planned and approved, for each of the 8 LinkedIn posts
    assert {row[2] for row in rows[1:]} == {"linkedin"}
    page = text_of(officer.get("/log?status=scheduled&channel=mastodon"))
    assert page.count("<td>approved</td>") == 8
    expected = cli_refusal(lambda: App(clock=lambda: NOW).parse_time("someday"))
    assert expected in text_of(officer.get("/log?since=someday"))


def test_the_status_page_shows_the_daemon_and_channels(
    officer: FlaskClient, officer_app: App
) -> None:
    page = text_of(officer.get("/status"))
    assert "Never run against this database" in page
    assert "dry-run" in page and "linkedin" in page
    from posts.claims import Claims

    Claims(officer_app.store).heartbeat("host:1:test", NOW)
    page = text_of(officer.get("/status"))
    assert "Running: last tick" in page and "host:1:test" in page


def test_the_timeline_draws_the_link_expiry(officer: FlaskClient) -> None:
    page = officer.get("/").get_data(as_text=True)
    assert re.search(r'class="day [^"]*link-last-day[^"]*"[^>]*data-date="2026-04-16"', page)
    # The courses go on: the day after the link dies is marked for the article only.
    assert re.search(r'class="day [^"]*some-dead[^"]*"[^>]*data-date="2026-04-17"', page)
    assert "article: last post by 12:00" in page
    assert page.count('class="chip s-draft"') == 24


# the command line -----------------------------------------------------------------------


def test_hash_password_prints_a_hash_the_login_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from werkzeug.security import check_password_hash

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    result = run("hash-password")
    assert result.code == 0, result.err
    assert check_password_hash(result.out.strip(), PASSWORD)
    assert not check_password_hash(result.out.strip(), PASSWORD + "x")


@pytest.mark.parametrize("given", ["", "short"])
def test_hash_password_refuses_a_short_password(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(given + "\n"))
    result = run("hash-password")
    assert result.code == 1 and result.out == ""
    assert result.err.startswith("Error: The password is")


def test_web_refuses_to_start_without_a_password_hash(planned: Path) -> None:
    result = run("web", "--port", "0")
    assert result.code == 1
    assert "The web page has no password yet: run `postsched hash-password`" in result.err


def test_web_refuses_a_value_that_is_not_a_hash(
    planned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTSCHED_WEB_PASSWORD_HASH", "hunter22")
    result = run("web", "--port", "0")
    assert result.code == 1 and "is not a hash" in result.err


def test_config_refuses_a_plain_password(planned: Path) -> None:
    config = planned.parent / "config.toml"
    config.write_text(config.read_text().replace("[web]\n", '[web]\npassword = "hunter22"\n'))
    result = run("web")
    assert result.code == 1
    assert "[web] holds a 'password'" in result.err


def test_postsched_web_serves_on_loopback_and_stops_on_sigterm(planned: Path) -> None:
    import requests

    from tests.conftest import web_process

    with web_process(planned.parent, hash_password(PASSWORD)) as web:
        base = f"http://127.0.0.1:{web.port}"
        login = requests.get(f"{base}/login", timeout=5)
        assert login.status_code == 200 and "Password" in login.text
        session = requests.Session()
        csrf = TOKEN.search(session.get(f"{base}/login").text)
        assert csrf is not None
        response = session.post(
            f"{base}/login",
            data={"password": PASSWORD, "csrf_token": csrf.group(1)},
            allow_redirects=False,
        )
        assert response.status_code == 302
        assert "24 posts." in session.get(f"{base}/queue").text
    assert web.process.returncode == 0, web.err
    assert f"{base}/" in web.err and "postsched web stopped." in web.err


def test_a_campaign_name_that_is_not_ascii_still_downloads(planned: Path) -> None:
    config = planned.parent / "config.toml"
    config.write_text(config.read_text().replace('name = "ia-travail-social-2026"', 'name = "été"'))
    a = App(config_path=config, clock=lambda: NOW)
    web = create_app(a, password_hash=hash_password(PASSWORD))
    client = web.test_client()
    log_in(client)
    response = client.get("/export.ics")
    assert response.status_code == 200
    assert "filename*=UTF-8''%C3%A9t%C3%A9.ics" in response.headers["Content-Disposition"]


def test_an_id_no_database_can_hold_is_a_404(officer: FlaskClient, officer_app: App) -> None:
    huge = "99999999999999999999"
    assert officer.get(f"/posts/{huge}").status_code == 404
    page = text_of(post_form(officer, "/approve", {"one": huge}, follow_redirects=True))
    assert f"There is no post with id {huge}." in page
    assert drafts(officer_app) == 24


def test_a_web_import_never_reads_a_file_on_the_server(
    officer: FlaskClient, officer_app: App
) -> None:
    before = len(officer_app.store.list_posts())
    sneaky = b"channel,time,text,image,alt\nmastodon,2026-02-01T09:30,Bonjour,/etc/passwd,x\n"
    page = text_of(
        post_form(officer, "/import", {"csv": (io.BytesIO(sneaky), "p.csv")}, follow_redirects=True)
    )
    assert "p.csv line 2: the image column names a file on the server" in page
    assert len(officer_app.store.list_posts()) == before


def test_a_refused_post_leaves_no_image_behind(officer: FlaskClient, planned: Path) -> None:
    image = b"\x89PNG\r\n\x1a\n" + b"1" * 64
    data = {"channel": "mastodon", "at": "2025-01-07T15:00", "text": "Trop tard", "alt": "x"}
    refused = post_form(officer, "/posts/new", {**data, "image": (io.BytesIO(image), "a.png")})
    assert refused.status_code == 400 and "is in the past" in text_of(refused)
    assert not list((planned.parent / "uploads").glob("*"))
    fake = post_form(
        officer,
        "/posts/new",
        {**data, "at": "2026-01-07T15:00", "image": (io.BytesIO(b"<svg/>"), "b.png")},
    )
    assert fake.status_code == 400 and "is not a PNG, JPEG, GIF or WebP image" in text_of(fake)
    assert not list((planned.parent / "uploads").glob("*"))


def test_log_filters_it_cannot_apply_are_refused(officer: FlaskClient) -> None:
    for query, sentence in [
        ("since=someday", "'someday' is not a time"),
        ("channel=twitter", "There is no channel 'twitter'"),
        ("status=gone", "There is no status 'gone'"),
    ]:
        download = officer.get(f"/log.csv?{query}")
        assert download.status_code == 400 and sentence in download.get_data(as_text=True)
        page = officer.get(f"/log?{query}")
        assert page.status_code == 400 and sentence in text_of(page)


def test_a_newline_in_next_stays_on_the_site(client: FlaskClient) -> None:
    response = client.post(
        "/login", data={"password": PASSWORD, "csrf_token": token(client), "next": "/\r\nX: y"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_the_calendar_draws_two_years_at_most(officer: FlaskClient) -> None:
    post_form(officer, "/posts/new", {"channel": "mastodon", "at": "2199-01-07T15:00", "text": "Z"})
    page = text_of(officer.get("/"))
    assert "1 more post falls after" in page
    assert page.count('class="week"') <= 104


def test_a_short_session_key_is_refused(officer_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTSCHED_WEB_SECRET_KEY", "short")
    with pytest.raises(PostschedError, match="too short to sign sessions"):
        create_app(officer_app, password_hash=hash_password(PASSWORD))


def test_a_refused_edit_keeps_what_was_typed(officer: FlaskClient, officer_app: App) -> None:
    typed = "Mon texte révisé " + "x" * 600
    response = post_form(officer, "/posts/1/edit", {"text": typed, "at": "2026-01-12T10:15"})
    page = text_of(response)
    assert response.status_code == 400 and "over its limit of 500" in page
    assert f">{typed}</textarea>" in page and 'value="2026-01-12T10:15"' in page
    assert officer_app.store.get(1).body != typed


def test_the_queue_points_at_posts_that_need_a_person(
    officer: FlaskClient, officer_app: App
) -> None:
    assert "Posts need a person" not in text_of(officer.get("/queue"))
    with officer_app.store.session() as session:
        session.execute(update(Post).where(Post.id.in_([4, 5])).values(status="missed"))
    page = text_of(officer.get("/queue"))
    assert "Posts need a person: 2 missed." in page
    assert "/queue?status=missed" in page
    assert "Posts need a person" not in text_of(officer.get("/queue?status=missed"))


def test_an_id_that_is_not_a_number_gets_a_sentence(officer: FlaskClient) -> None:
    response = post_form(officer, "/approve", {"one": "abc"})
    assert response.status_code == 400
    assert "Post ids are whole numbers, such as 12." in text_of(response)


def test_the_check_page_lists_every_post_that_needs_work(
    officer: FlaskClient, officer_app: App
) -> None:
    templates = officer_app.config.templates_dir
    with (templates / "course/default.mastodon.j2").open("a", encoding="utf-8") as file:
        file.write("\n" + "y" * 500 + "\n")
    response = officer.get("/check")
    page = text_of(response)
    assert response.status_code == 400
    assert "4 posts need work before the templates can be used" in page
    rows = re.findall(r"<tr><td>(course:[^<]+)</td><td>mastodon</td><td>(\d+)/500</td>", page)
    assert len(rows) == 4 and all(int(length) > 500 for _, length in rows), page


def test_counts_of_one_are_singular_on_the_page(officer: FlaskClient, officer_app: App) -> None:
    post_form(officer, "/approve", {"ids": [str(i) for i in range(2, 25)]})
    queue = text_of(officer.get("/queue"))
    assert "Approve the draft" in queue and "1 drafts" not in queue
    log = text_of(officer.get("/log?status=cancelled"))
    assert "0 events." in log
    post_form(officer, "/cancel", {"ids": "1", "confirmed": "yes"})
    log = text_of(officer.get("/log?status=cancelled"))
    assert "2 events." in log  # planned and cancelled: the log of the one cancelled post
    pending = text_of(officer.get("/queue?status=cancelled"))
    assert "1 post." in pending and "1 posts" not in pending


def test_approve_in_the_edit_form_saves_what_was_typed_first(
    officer: FlaskClient, officer_app: App
) -> None:
    page = text_of(officer.get("/posts/1"))
    edit_form = page[
        page.index('action="/posts/1/edit"') : page.index("</form>", page.index("/edit"))
    ]
    assert 'name="then" value="approve"' in edit_form, (
        "Approve belongs to the form that has the text"
    )
    assert 'action="/approve"' not in page, "no second form whose Approve would drop the text"

    typed = "Texte revu avant approbation (officier)"
    response = post_form(
        officer,
        "/posts/1/edit",
        {"text": typed, "at": "2026-01-12T10:15", "then": "approve"},
        follow_redirects=True,
    )
    assert "Post 1 edited and approved." in text_of(response)
    post = officer_app.store.get(1)
    assert (post.body, post.status) == (typed, "scheduled")
    assert post.due_at == datetime(2026, 1, 12, 10, 15, tzinfo=PARIS)
    assert [e.event for e in post.events][-2:] == ["edited", "approved"]

    untouched = officer_app.store.get(3)
    response = post_form(
        officer,
        "/posts/3/edit",
        {"text": untouched.body, "at": "", "then": "approve"},
        follow_redirects=True,
    )
    assert "Post 3 approved." in text_of(response) and status_of(officer_app, 3) == "scheduled"
    assert not officer_app.store.get(3).edited


def test_approve_with_a_refused_text_keeps_it_and_approves_nothing(
    officer: FlaskClient, officer_app: App
) -> None:
    before = officer_app.store.get(7)
    assert before.channel == "mastodon"
    typed = "Beaucoup trop long " + "x" * 600
    response = post_form(officer, "/posts/7/edit", {"text": typed, "at": "", "then": "approve"})
    page = text_of(response)
    assert response.status_code == 400 and "over its limit of 500" in page
    assert f">{typed}</textarea>" in page
    after = officer_app.store.get(7)
    assert (after.body, after.status, after.edited) == (before.body, "draft", False)


def test_a_stored_url_that_is_no_web_address_is_shown_as_text(
    officer: FlaskClient, officer_app: App
) -> None:
    """A post published before network answers were checked may hold any URL: the post page
    never makes a link of one that is not http(s)."""
    with officer_app.store.session() as session:
        session.execute(
            update(Post)
            .where(Post.id == 1)
            .values(status="published", published_at=NOW, remote_url="javascript:alert(1)")
        )
    page = officer.get("/posts/1").get_data(as_text=True)
    assert "javascript:alert(1)" in page
    assert 'href="javascript:' not in page
