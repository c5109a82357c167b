"""The web page end to end: the real WSGI server (waitress, as `postsched web` runs it) on a
loopback port, driven by a real headless Chromium through Playwright.

It logs in, approves a post from the queue, sees the post change colour on the timeline and
downloads the post log. It saves a screenshot of every page, to a temporary folder, or to the
folder named by $POSTSCHED_SCREENSHOTS (docs/screenshots/ holds the ones the README shows).

Chromium is Debian's (`apt-get install chromium`, which .ci/run does). Where it is missing the
test skips, saying so, unless POSTSCHED_REQUIRE_BROWSER=1 (set by .ci/run) makes it mandatory.
"""

from __future__ import annotations

import csv
import io
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from posts.language import speaking
from posts.link_gate import Checked, save_check
from posts.link_health import Answer
from scheduler.app import App
from scheduler.web import create_app, hash_password, make_server
from tests.conftest import run, skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)
SCHEDULED_COLOUR = "rgb(207, 230, 255)"  # --scheduled in style.css
DRAFT_COLOUR = "rgb(255, 241, 184)"  # --draft
# Read before any test changes the working directory, so a relative folder is the repository's.
SCREENSHOTS = (
    Path(os.environ["POSTSCHED_SCREENSHOTS"]).resolve()
    if os.environ.get("POSTSCHED_SCREENSHOTS")
    else None
)


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install '.[test]')"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture
def browser() -> Iterator[Any]:
    reason = _browser_missing()
    if reason is not None:
        skip_or_fail(
            reason,
            "POSTSCHED_REQUIRE_BROWSER",
            required="the browser test is required",
            skipped=f"browser test skipped: {reason}",
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--lang=en-GB"], headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def site(project: Path) -> Iterator[str]:
    """`postsched web`'s server over the shipped campaign, planned as drafts a week before its
    start, with the page's clock an hour later (2026-01-05 09:00, Paris)."""
    yield from _serve(project)


@pytest.fixture
def french_site(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The same, as the French officer runs it: no POSTSCHED_LANG, so the campaign's French
    speaks from the plan's post log to the page."""
    monkeypatch.delenv("POSTSCHED_LANG")
    with speaking("fr"):
        yield from _serve(project)


def _serve(project: Path) -> Iterator[str]:
    assert run("init").code == 0
    a = App(config_path=project / "config.toml", clock=lambda: NOW)
    a.officer.save_plan(a.planner.compute_plan(NOW - timedelta(hours=1)), NOW - timedelta(hours=1))
    # The article's link as `check --online` left it three minutes ago (docs/links.md).
    assert a.config.article is not None
    save_check(a.store, Checked(Answer(a.config.article.url, 200), NOW - timedelta(minutes=3)))
    web = create_app(a, password_hash=hash_password(PASSWORD))
    server = make_server(web, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=10)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = SCREENSHOTS or tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def background(page: Any, selector: str) -> str:
    colour: str = page.eval_on_selector(selector, "e => getComputedStyle(e).backgroundColor")
    return colour


def test_log_in_approve_see_the_colour_change_and_download_the_log(
    browser: Any, site: str, shots: Path, tmp_path: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="en-GB"
    )
    page = context.new_page()

    page.goto(f"{site}/")
    assert page.url.startswith(f"{site}/login")
    page.screenshot(path=str(shots / "login.png"))
    page.fill("#password", "not the password")
    page.click("button:has-text('Log in')")
    assert page.inner_text(".flash.error") == "Wrong password."
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")
    assert page.url == f"{site}/"

    # The timeline: every planned post is a draft, drawn in the draft colour.
    assert page.get_attribute("#post-1", "data-status") == "draft"
    assert background(page, "#post-1") == DRAFT_COLOUR
    assert page.is_visible("[data-date='2026-04-16'] >> text=article: last day")
    page.screenshot(path=str(shots / "timeline.png"), full_page=True)

    # The queue: approve post 1 with its own button.
    page.click("nav >> text=Queue")
    page.screenshot(path=str(shots / "queue.png"), full_page=True)
    page.click("#row-1 button:has-text('Approve')")
    assert page.inner_text(".flash.info") == "1 post approved."
    assert page.inner_text("#row-1 .badge") == "scheduled"

    # Back on the timeline, post 1 has turned to the scheduled colour; post 2 has not.
    page.click("nav >> text=Timeline")
    assert page.get_attribute("#post-1", "data-status") == "scheduled"
    assert background(page, "#post-1") == SCHEDULED_COLOUR
    assert background(page, "#post-2") == DRAFT_COLOUR

    # One post: its preview, length and history.
    page.click("#post-1")
    assert page.url == f"{site}/posts/1"
    assert "approved" in page.inner_text("table.events")
    checked = page.inner_text("table.links tr.link-alive")
    assert "Mon 5 Jan 2026, 08:57" in checked and "alive" in checked and "200" in checked
    page.screenshot(path=str(shots / "post.png"), full_page=True)

    # The log, then its CSV download.
    page.click("nav >> text=Log")
    page.screenshot(path=str(shots / "log.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("#download-csv")
    download = download_info.value
    saved = tmp_path / "log.csv"
    download.save_as(str(saved))
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert {(r["post_id"], r["event"]) for r in rows} >= {("1", "planned"), ("1", "approved")}
    assert sum(r["event"] == "approved" for r in rows) == 1

    # A draft's text typed in the edit form, then "Save and approve": the text is saved first.
    page.goto(f"{site}/posts/2")
    page.fill("#text", "Texte revu dans le navigateur (avant approbation)")
    page.click("button:has-text('Save and approve')")
    assert page.url == f"{site}/posts/2"
    assert page.inner_text(".flash.info") == "Post 2 edited and approved."
    assert page.input_value("#text") == "Texte revu dans le navigateur (avant approbation)"
    assert page.inner_text("h1 .badge") == "scheduled"

    for name in ("status", "plan", "exchange"):
        page.goto(f"{site}/{name}")
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    page.goto(f"{site}/posts/new")
    page.screenshot(path=str(shots / "new.png"), full_page=True)

    # On a phone, the calendar becomes a list of the days that hold something.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="en-GB"
    )
    phone.add_cookies(context.cookies())
    small = phone.new_page()
    small.goto(f"{site}/")
    assert small.is_visible("#post-1")
    page.goto(f"{site}/")
    assert page.locator(".day.empty").first.is_visible()  # on the desktop, every day
    assert not small.locator(".day.empty").first.is_visible()
    small.screenshot(path=str(shots / "timeline-phone.png"))
    phone.close()
    context.close()

    for name in ("login", "timeline", "queue", "post", "log", "status", "plan", "exchange"):
        assert (shots / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


CAMPAIGN = "ia-travail-social-2026"  # config.toml's
# What the Reach page's screenshot shows: the shipped campaign's posts, published, with figures.
REACH = [
    (CAMPAIGN, "mastodon", "article", "announce", {"favourites_count": 4, "reblogs_count": 3}),
    (CAMPAIGN, "linkedin", "article", "announce", {"totalLikes": 12, "aggregatedTotalComments": 2}),
    (CAMPAIGN, "mastodon", "course:ethique", "promo", {"favourites_count": 2, "replies_count": 1}),
    (CAMPAIGN, "linkedin", "course:ethique", "promo", {"totalLikes": 6, "shareCount": 1}),
    (CAMPAIGN, "mastodon", "article", "reminder-30d", {"favourites_count": 5, "reblogs_count": 4}),
    (CAMPAIGN, "linkedin", "article", "reminder-30d", {"totalLikes": 9}),
    (CAMPAIGN, "mastodon", "course:outils", "promo", {"favourites_count": 1}),
    (
        CAMPAIGN,
        "linkedin",
        "course:outils",
        "promo",
        {"totalLikes": 3, "aggregatedTotalComments": 1},
    ),
    (CAMPAIGN, "mastodon", "article", "last-call", {"favourites_count": 7, "reblogs_count": 6}),
    (CAMPAIGN, "linkedin", "article", "last-call", {"totalLikes": 15, "shareCount": 3}),
]


def test_the_reach_page_draws_its_chart_on_a_desktop_and_a_phone(
    browser: Any, site: str, shots: Path, project: Path
) -> None:
    from tests.test_web_reach import publish_with_reach

    a = App(config_path=project / "config.toml", clock=lambda: NOW)
    publish_with_reach(a, REACH)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{site}/login")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.click("nav >> text=Reach")
    assert page.url == f"{site}/reach"
    assert page.locator("svg.chart circle.dot").count() == len(REACH)
    assert page.locator("svg.chart rect.bar").count() == 4  # announce, promo, reminder, last call
    assert page.locator("#reach-posts tbody tr").count() == len(REACH) + 1
    page.screenshot(path=str(shots / "reach.png"), full_page=True)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.add_cookies(context.cookies())
    small = phone.new_page()
    small.goto(f"{site}/reach")
    box = small.locator("svg.chart").bounding_box()
    assert box is not None and 300 < box["width"] <= 390  # scaled to the phone, not cut off
    small.screenshot(path=str(shots / "reach-phone.png"))
    phone.close()
    context.close()
    assert (shots / "reach.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_connect_mastodon_from_the_status_page_in_a_browser(
    browser: Any, project: Path, mastodon: str, shots: Path
) -> None:
    """Status, Connect, the server's own authorization page, and back to the status page."""
    config = project / "config.toml"
    config.write_text(
        config.read_text().replace(
            'instance = "https://mastodon.example"', f'instance = "{mastodon}"'
        )
    )
    assert run("init").code == 0
    web = create_app(
        App(config_path=config, clock=lambda: NOW),
        password_hash=hash_password(PASSWORD),
    )
    server = make_server(web, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    site = f"http://127.0.0.1:{server.effective_port}"
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page = context.new_page()
        page.goto(f"{site}/login")
        page.fill("#password", PASSWORD)
        page.click("button:has-text('Log in')")
        page.goto(f"{site}/status")
        page.click("form[action='/connect/mastodon'] button")
        assert page.url == f"{site}/connect/mastodon"
        page.screenshot(path=str(shots / "connect.png"), full_page=True)
        page.click("text=Continue to Mastodon")
        assert page.url.startswith(f"{mastodon}/oauth/authorize")
        page.screenshot(path=str(shots / "connect-server.png"))
        page.click("button[value='testuser']")  # the server sends the browser back to the page
        assert page.url == f"{site}/status"
        assert "mastodon: connected as Test User (@testuser)" in page.inner_text(".flash.info")
        assert "posts as Test User (@testuser)" in page.inner_text("table.channels")
        page.screenshot(path=str(shots / "connected.png"), full_page=True)
        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, locale="en-GB"
        )
        phone.add_cookies(context.cookies())
        small = phone.new_page()
        small.goto(f"{site}/status")
        assert small.is_visible("form[action='/disconnect/mastodon'] button")
        small.screenshot(path=str(shots / "connected-phone.png"), full_page=True)
        phone.close()
        context.close()
    finally:
        server.close()
        thread.join(timeout=10)
    for name in ("connect", "connect-server", "connected", "connected-phone"):
        assert (shots / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_a_french_browser_reads_every_page_in_french_and_types_a_french_time(
    browser: Any, french_site: str, shots: Path
) -> None:
    # The officer's own setting: no POSTSCHED_LANG, a French browser, the French campaign.
    site = french_site
    french = shots / "fr"
    french.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{site}/")
    assert page.get_attribute("html", "lang") == "fr"
    page.screenshot(path=str(french / "login.png"))
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Se connecter')")
    assert page.url == f"{site}/"
    page.screenshot(path=str(french / "timeline.png"), full_page=True)

    page.click("nav >> text=File d’attente")
    assert page.inner_text("#row-1 .badge") == "brouillon"
    assert "lun. 12 janv. 2026, 09:30" in page.inner_text("#row-1")
    page.screenshot(path=str(french / "queue.png"), full_page=True)
    page.click("#row-1 button:has-text('Approuver')")
    assert page.inner_text("#row-1 .badge") == "programmée"

    # A time typed as a French officer writes it, in a text field showing that form.
    page.goto(f"{site}/posts/3")
    field = page.locator("#at")
    assert field.get_attribute("type") == "text"
    assert field.get_attribute("placeholder") == "jj/mm/aaaa hh:mm"
    field.fill("03/02/2026 12:30")
    page.locator("form:has(#at) button[type=submit]").first.click()
    assert "mar. 3 févr. 2026, 12:30" in page.inner_text("main")
    events = page.inner_text("table.events")  # the plan wrote its log in the campaign's French
    assert "planifiée" in events and "brouillon pour le " in events and "draft" not in events
    page.screenshot(path=str(french / "post.png"), full_page=True)

    for name in ("log", "status", "plan", "exchange", "reach", "posts/new"):
        page.goto(f"{site}/{name}")
        assert page.get_attribute("html", "lang") == "fr"
        page.screenshot(path=str(french / f"{name.replace('posts/', '')}.png"), full_page=True)
    context.close()
