"""Link health (issue 18): before a post goes out its links are asked, against local HTTP
servers (pytest-httpserver). A dead link holds the post (`failed`, `link_dead`), an answer that
proves nothing (503) is asked again, and nothing dead is ever published."""

from __future__ import annotations

import email
import json
import random
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer

from posts.campaign import DaemonSettings, NotifySettings
from posts.claims import Claims
from posts.link_gate import LinkGate
from posts.models import Status
from posts.policy import TickRules
from posts.publishing import publish_due
from posts.store import Store
from scheduler.daemon import Daemon
from scheduler.link_check import LinkAsker, link_gate
from scheduler.notify import Notifier
from tests.conftest import free_port, run
from tests.factories import ChangingPage, ScriptedChannel, migrated_store, queue
from tests.factories import config as make_config

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
RULES = TickRules(grace=timedelta(hours=2), max_attempts=3)
FRESH = RETRY = timedelta(minutes=5)


@pytest.fixture(autouse=True)
def _links_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite turns link checks off (tests/conftest.py); here they are the subject."""
    monkeypatch.delenv("POSTSCHED_LINKS_CHECK", raising=False)


@pytest.fixture
def store(database_url: str) -> Store:
    return migrated_store(database_url)


@pytest.fixture
def claims(store: Store) -> Claims:
    return Claims(store)


def gate(phrases: dict[str, str] | None = None, **asker: Any) -> LinkGate:
    """The daemon's gate on the mastodon channel; the link itself may name this machine (the
    test server), as `[links] loopback = true` allows, never a redirect."""
    ask = LinkAsker(timeout=3.0, redirects=5, loopback=asker.pop("loopback", True), **asker)
    return LinkGate(ask, {"mastodon"}, phrases or {}, fresh=FRESH, retry=RETRY)


def public_localhost(host: str, port: int) -> list[str]:
    """The test server's name taken for a public address, so that its redirects can be
    followed (a redirect to this machine never is); an IP literal is never resolved, so
    127.0.0.1 stays refused."""
    assert host == "localhost"
    return ["93.184.215.14"]


def add(store: Store, link: str, due: datetime = T0, **extra: Any) -> int:
    return queue(store, due, now=due - timedelta(days=1), link=link, **extra).id


def tick(
    claims: Claims,
    channel: ScriptedChannel,
    now: datetime,
    links: LinkGate,
    rules: TickRules = RULES,
) -> list[tuple[int, str]]:
    report = publish_due(
        claims, {"mastodon": channel}, rules, now, worker="w1", rng=random.Random(1), links=links
    )
    return [(o.post_id, o.event) for o in report.outcomes]


def asked(server: HTTPServer) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request, _response in server.log]


def held_for(store: Store, post_id: int, *words: str) -> None:
    """The post is held: failed, never attempted, its link_dead event naming what it answered."""
    post = store.get(post_id)
    assert post.status == Status.FAILED and post.attempts == 0 and post.published_at is None
    last = post.events[-1]
    assert last.event == "link_dead"
    for word in words:
        assert word in last.detail, last.detail


@pytest.mark.parametrize("code", [404, 410])
def test_a_link_answering_404_or_410_holds_the_post(
    store: Store, claims: Claims, httpserver: HTTPServer, code: int
) -> None:
    httpserver.expect_request("/offprint").respond_with_data("gone", status=code)
    url = httpserver.url_for("/offprint")
    post = add(store, url)
    channel = ScriptedChannel("mastodon")
    assert tick(claims, channel, T0, gate()) == [(post, "link_dead")]
    assert channel.calls == []  # nothing published
    held_for(store, post, url, f"answered {code}")
    assert asked(httpserver) == [("HEAD", "/offprint"), ("GET", "/offprint")]  # confirmed
    # The network was never asked: no attempt, and the channel keeps no error of it.
    assert store.get(post).attempts == 0
    state = claims.channel_states().get("mastodon")
    assert state is None or state.last_error is None


def test_a_404_to_head_that_get_serves_is_alive(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/page", method="HEAD").respond_with_data("", status=404)
    httpserver.expect_request("/page", method="GET").respond_with_data("ok")
    post = add(store, httpserver.url_for("/page"))
    assert tick(claims, ScriptedChannel("mastodon"), T0, gate()) == [(post, "published")]


def test_a_redirect_loop_holds_the_post(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/a").respond_with_data("", 302, {"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", 302, {"Location": "/a"})
    post = add(store, httpserver.url_for("/a"))
    channel = ScriptedChannel("mastodon")
    assert tick(claims, channel, T0, gate(resolver=public_localhost)) == [(post, "link_dead")]
    assert channel.calls == []
    held_for(store, post, "redirects in a loop")
    assert asked(httpserver) == [("HEAD", "/a"), ("HEAD", "/b")]


def test_too_many_redirects_hold_the_post(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    for n in range(10):
        httpserver.expect_request(f"/r{n}").respond_with_data("", 301, {"Location": f"/r{n + 1}"})
    post = add(store, httpserver.url_for("/r0"))
    channel = ScriptedChannel("mastodon")
    assert tick(claims, channel, T0, gate(resolver=public_localhost)) == [(post, "link_dead")]
    held_for(store, post, "redirects too many times")
    assert len(httpserver.log) == 6  # the link and 5 redirects, no more


def test_a_page_carrying_the_dead_if_phrase_holds_the_post_and_one_without_it_goes_out(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    phrase = "Ce lien a expiré"
    page = "<html><body><p>Désolé :\n ce   lien a expir&eacute;.</p></body></html>"
    httpserver.expect_request("/expired").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/fine").respond_with_data("<p>Lisez l'article</p>")
    dead, alive = httpserver.url_for("/expired"), httpserver.url_for("/fine")
    first, second = add(store, dead), add(store, alive, due=T0 + timedelta(seconds=1))
    channel = ScriptedChannel("mastodon")
    links = gate({dead: phrase, alive: phrase})
    outcomes = tick(claims, channel, T0 + timedelta(seconds=1), links)
    assert outcomes == [(first, "link_dead"), (second, "published")]
    held_for(store, first, dead, 'answered 200 with a page saying "Ce lien a expiré"')
    assert [c.id for c in channel.calls] == [second]
    # The phrase needs the page: GET, not HEAD.
    assert asked(httpserver) == [("GET", "/expired"), ("GET", "/fine")]


def test_a_503_that_recovers_is_asked_again_and_published(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    page = ChangingPage(503)
    httpserver.expect_request("/course").respond_with_handler(page)
    post = add(store, httpserver.url_for("/course"))
    channel = ScriptedChannel("mastodon")
    links = gate()
    assert tick(claims, channel, T0, links) == [(post, "link_unsure")]
    waiting = store.get(post)
    assert waiting.status == Status.SCHEDULED and waiting.next_attempt_at == T0 + RETRY
    assert waiting.attempts == 0 and channel.calls == []
    state = claims.channel_states().get("mastodon")
    assert state is None or state.last_error is None  # the link's trouble, not the channel's
    assert "answered 503" in waiting.events[-1].detail
    assert waiting.last_error == waiting.events[-1].detail  # `queue` says why it waits
    page.status = 200
    assert tick(claims, channel, T0 + timedelta(minutes=1), links) == []  # not due yet
    assert tick(claims, channel, T0 + RETRY, links) == [(post, "published")]
    assert [c.id for c in channel.calls] == [post]
    assert len(httpserver.log) == 2


def test_a_503_that_never_recovers_is_held_and_the_officer_emailed_before_it_is_missed(
    store: Store, httpserver: HTTPServer, inbox: list[Message]
) -> None:
    httpserver.expect_request("/course").respond_with_data("busy", status=503)
    url = httpserver.url_for("/course")
    post = add(store, url)
    base = make_config()
    config = replace(base, daemon=DaemonSettings(grace=timedelta(minutes=12)))
    settings = NotifySettings(
        to=("officer@hetis.fr",), sender="postsched@hetis.fr", host="127.0.0.1", port=PORT[0]
    )
    now = [T0]
    channel = ScriptedChannel("mastodon")
    daemon = Daemon(
        config,
        store,
        {"mastodon": channel},  # type: ignore[dict-item]
        clock=lambda: now[0],
        notifier=Notifier(settings, "t", base.campaign.timezone),
        links=gate(),
    )
    assert [o.event for o in daemon.tick().outcomes] == ["link_unsure"]
    assert inbox == []
    now[0] = T0 + RETRY
    assert [o.event for o in daemon.tick().outcomes] == ["link_unsure"]
    now[0] = T0 + 2 * RETRY  # a retry 5 min later would come after the 12 min grace
    assert [o.event for o in daemon.tick().outcomes] == ["link_dead"]
    held_for(store, post, url, "answered 503", "no answer came before the post would be missed")
    assert channel.calls == []
    assert len(inbox) == 1
    assert str(inbox[0]["Subject"]).endswith("held: its link is dead or does not answer")
    assert url in inbox[0].get_payload()
    assert len(httpserver.log) == 3


def test_a_redirect_to_this_machine_is_not_followed(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    port = httpserver.port
    httpserver.expect_request("/go").respond_with_data(
        "", 302, {"Location": f"http://127.0.0.1:{port}/admin"}
    )
    httpserver.expect_request("/admin").respond_with_data("secret")
    post = add(store, httpserver.url_for("/go"))
    channel = ScriptedChannel("mastodon")
    assert tick(claims, channel, T0, gate()) == [(post, "link_dead")]
    held_for(store, post, f"http://127.0.0.1:{port}/admin", "private network: not followed")
    assert asked(httpserver) == [("HEAD", "/go")]  # /admin never asked
    assert channel.calls == []


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/", "http://[::1]:9/"],
)
def test_a_redirect_to_a_private_or_link_local_address_is_not_followed(
    store: Store, claims: Claims, httpserver: HTTPServer, target: str
) -> None:
    httpserver.expect_request("/go").respond_with_data("", 301, {"Location": target})
    post = add(store, httpserver.url_for("/go"))
    assert tick(claims, ScriptedChannel("mastodon"), T0, gate()) == [(post, "link_dead")]
    held_for(store, post, target, "not followed")


def test_a_redirect_to_a_file_is_not_followed(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/go").respond_with_data("", 302, {"Location": "file:///etc/passwd"})
    post = add(store, httpserver.url_for("/go"))
    channel = ScriptedChannel("mastodon")
    assert tick(claims, channel, T0, gate()) == [(post, "link_dead")]
    held_for(store, post, "file:///etc/passwd", "not a web address")
    assert channel.calls == []


def test_a_link_to_this_machine_is_refused_unless_config_allows_the_link_itself(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/page").respond_with_data("ok")
    post = add(store, httpserver.url_for("/page"))
    assert tick(claims, ScriptedChannel("mastodon"), T0, gate(loopback=False)) == [
        (post, "link_dead")
    ]
    assert httpserver.log == []  # refused before any connection


def test_a_name_with_a_private_address_among_public_ones_is_refused() -> None:
    asker = LinkAsker(resolver=lambda host, port: ["93.184.215.14", "192.168.1.20"])
    answer = asker("https://example.org/x")
    assert (answer.problem, answer.detail) == ("private", "https://example.org/x")


def test_a_host_that_does_not_resolve_is_dead_and_a_passing_dns_failure_is_not() -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def flaky(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    from posts.link_health import verdict

    assert verdict(LinkAsker(resolver=nowhere)("https://cours.hetis.invalid/")) == "dead"
    assert verdict(LinkAsker(resolver=flaky)("https://cours.hetis.fr/")) == "unsure"


def test_head_refused_then_get_answers(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/page", method="HEAD").respond_with_data("", status=405)
    httpserver.expect_request("/page", method="GET").respond_with_data("ok")
    post = add(store, httpserver.url_for("/page"))
    channel = ScriptedChannel("mastodon")
    assert tick(claims, channel, T0, gate()) == [(post, "published")]
    assert asked(httpserver) == [("HEAD", "/page"), ("GET", "/page")]
    agent = httpserver.log[0][0].headers["User-Agent"]
    assert agent.startswith("postsched/")


def test_head_refused_then_get_404_is_dead(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/page", method="HEAD").respond_with_data("", status=501)
    httpserver.expect_request("/page", method="GET").respond_with_data("", status=404)
    post = add(store, httpserver.url_for("/page"))
    assert tick(claims, ScriptedChannel("mastodon"), T0, gate()) == [(post, "link_dead")]


def test_two_posts_with_one_link_in_one_tick_ask_it_once(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/offprint").respond_with_data("ok")
    url = httpserver.url_for("/offprint")
    first = add(store, url)
    second = add(store, url, due=T0 + timedelta(seconds=1), body=f"Lisez {url} !")
    channel = ScriptedChannel("mastodon")
    outcomes = tick(claims, channel, T0 + timedelta(seconds=1), gate())
    assert outcomes == [(first, "published"), (second, "published")]
    assert len(httpserver.log) == 1
    # A link in the text is asked as well as the post's link.
    third = add(store, url, due=T0 + timedelta(minutes=2), body="Voir http://10.0.0.7/x.")
    assert tick(claims, channel, T0 + timedelta(minutes=2), gate()) == [(third, "link_dead")]
    assert len(httpserver.log) == 1  # the offprint's answer is still fresh


def test_a_dead_link_on_a_dry_run_channel_is_not_asked_unless_config_says_always(
    store: Store, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    config = make_config()  # every channel dry-run
    assert link_gate(config) is None  # [links] check = "live", the default
    assert link_gate(replace(config, links=replace(config.links, check="never"))) is None
    always = replace(config, links=replace(config.links, check="always", loopback=True))
    links = link_gate(always)
    assert links is not None and set(links.channels) == {"mastodon", "linkedin"}
    post = add(store, httpserver.url_for("/gone"))
    outcomes = tick(Claims(store), ScriptedChannel("mastodon"), T0, links)
    assert outcomes == [(post, "link_dead")]


# The command line: check --online, status, the web page, the daemon and the demo. ----------


def _configure(project: Path, server: HTTPServer, extra: str = "") -> None:
    text = (project / "config.toml").read_text()
    text = text.replace(
        "https://shs.cairn.info/tap-tdgcu5qbq9556", server.url_for("/tap-tdgcu5qbq9556")
    )
    text = text.replace(
        "expires = 2026-04-16            # the last day the offprint link works, inclusive",
        'expires = 2026-04-16\ndead_if = "Ce tiré à part a expiré"',
    )
    text += "\n[links]\nloopback = true\n" + extra
    (project / "config.toml").write_text(text)


def test_check_online_names_each_dead_link_in_one_sentence_and_exits_non_zero(
    planned: Path, httpserver: HTTPServer
) -> None:
    _configure(planned.parent, httpserver)
    httpserver.expect_request("/tap-tdgcu5qbq9556").respond_with_data(
        "<h1>Ce tiré à part a expiré</h1>", content_type="text/html; charset=utf-8"
    )
    result = run("check", "--online")
    assert result.code == 1
    url = httpserver.url_for("/tap-tdgcu5qbq9556")
    lines = [line for line in result.out.splitlines() if line.startswith("Link ")]
    assert lines == [
        f'Link {url}: dead, answered 200 with a page saying "Ce tiré à part a expiré".'
    ]
    assert result.err.startswith("Error: 1 link is dead (said above)")
    assert "Traceback" not in result.err
    assert "POSTSCHED_LINKS_CHECK=never" not in result.out  # the host answered: no hint
    # The answer is kept: status shows the link's last check.
    status = run("status")
    assert status.code == 0, status.err
    assert f"Link {url}: dead at " in status.out
    assert 'answered 200 with a page saying "Ce tiré à part a expiré".' in status.out
    data = json.loads(run("status", "--json").out)
    (link,) = [row for row in data["links"] if row["url"] == url]
    assert link["verdict"] == "dead" and link["code"] == 200 and link["problem"] == "phrase"


def test_check_online_hints_at_the_offline_switch_when_no_dead_links_host_resolves(
    planned: Path,
) -> None:
    config = planned.parent / "config.toml"
    # .invalid never resolves (RFC 2606), as every name does not on a machine offline.
    text = config.read_text().replace(
        "https://shs.cairn.info/tap-tdgcu5qbq9556", "https://tap.hetis.invalid/offprint"
    )
    config.write_text(text)
    result = run("check", "--online")
    assert result.code == 1
    assert "Link https://tap.hetis.invalid/offprint: dead, names a host that does not resolve" in (
        result.out
    )
    assert "if this machine has no internet, POSTSCHED_LINKS_CHECK=never turns link checks off" in (
        result.out
    )


def test_check_online_passes_when_every_link_answers(planned: Path, httpserver: HTTPServer) -> None:
    _configure(planned.parent, httpserver)
    httpserver.expect_request("/tap-tdgcu5qbq9556").respond_with_data("<h1>Vie sociale</h1>")
    result = run("check", "--online")
    assert result.code == 0, result.err
    assert "dead" not in result.out and ": alive, answered 200." in result.out


def test_the_daemon_holds_a_post_whose_link_died_and_the_web_page_shows_the_check(
    project: Path, httpserver: HTTPServer
) -> None:
    _configure(project, httpserver, 'check = "always"\n')
    httpserver.expect_request("/moved").respond_with_data("", status=410)
    url = httpserver.url_for("/moved")
    assert run("init").code == 0
    added = run("add", "mastodon", "--at", "now", "--text", "Le programme", "--link", url)
    assert added.code == 0, added.err
    result = run("daemon", "--once")
    assert result.code == 0, result.err
    post = json.loads(run("show", str(added.new_id), "--json").out)
    assert post["status"] == "failed" and post["events"][-1]["event"] == "link_dead"
    assert not (project / "outbox").exists() or not any((project / "outbox").iterdir())

    from scheduler.app import App
    from scheduler.web import create_app, hash_password
    from tests.test_web import PASSWORD, log_in

    web = create_app(App(project / "config.toml"), password_hash=hash_password(PASSWORD))
    with web.test_client() as client:
        log_in(client)
        page = client.get(f"/posts/{added.new_id}").get_data(as_text=True)
        status = client.get("/status").get_data(as_text=True)
    assert url in page and "answered 410" in page and "<td>dead</td>" in page
    # The status page shows the subjects' links; the offprint's was never asked.
    offprint = httpserver.url_for("/tap-tdgcu5qbq9556")
    assert f'<tr class="link-unchecked"><td>{offprint}</td>' in status
    # And the link that held the post, on the page and in `status`.
    assert f'<tr class="link-dead"><td>{url}</td>' in status
    links = json.loads(run("status", "--json").out)["links"]
    assert [(x["verdict"], x["code"]) for x in links if x["url"] == url] == [("dead", 410)]


def test_a_dry_run_daemon_asks_no_link_by_default(project: Path, httpserver: HTTPServer) -> None:
    _configure(project, httpserver)
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    assert run("init").code == 0
    added = run("add", "mastodon", "--at", "now", "--text", "Voir", "--link", "http://x.invalid/")
    assert added.code == 0, added.err
    assert run("daemon", "--once").code == 0
    assert httpserver.log == []
    assert any((project / "outbox").iterdir())  # published to the outbox, as before
    assert "Link " not in run("status").out  # no link asked, none listed


def test_the_demo_fetches_no_link(project: Path, httpserver: HTTPServer) -> None:
    _configure(project, httpserver, 'check = "always"\n')
    httpserver.expect_request("/tap-tdgcu5qbq9556").respond_with_data("", status=404)
    result = run("demo")
    assert result.code == 0, result.err
    assert httpserver.log == []


# An SMTP server for the officer's alert. ---------------------------------------------------

PORT = [0]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[list[Message]]:
    box = _Inbox()
    PORT[0] = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=PORT[0])
    controller.start()
    yield box.messages
    controller.stop()


def test_the_environment_overrides_links_check(
    project: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(project, httpserver)  # [links] check left to its default, "live"
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    assert run("init").code == 0
    url = httpserver.url_for("/gone")
    monkeypatch.setenv("POSTSCHED_LINKS_CHECK", "always")
    first = run("add", "mastodon", "--at", "now", "--text", "Voir", "--link", url)
    assert run("daemon", "--once").code == 0
    assert json.loads(run("show", str(first.new_id), "--json").out)["status"] == "failed"
    requests = len(httpserver.log)
    monkeypatch.setenv("POSTSCHED_LINKS_CHECK", "never")
    second = run("add", "mastodon", "--at", "now", "--text", "Voir encore", "--link", url)
    assert run("daemon", "--once").code == 0
    assert json.loads(run("show", str(second.new_id), "--json").out)["status"] == "published"
    assert len(httpserver.log) == requests  # not asked again
    monkeypatch.setenv("POSTSCHED_LINKS_CHECK", "sometimes")
    refused = run("status")
    assert refused.code == 1 and "$POSTSCHED_LINKS_CHECK must be" in refused.err


def test_a_held_post_retried_once_its_link_works_again_is_asked_again_and_published(
    store: Store, claims: Claims, httpserver: HTTPServer
) -> None:
    page = ChangingPage(404)
    httpserver.expect_request("/course").respond_with_handler(page)
    post = add(store, httpserver.url_for("/course"))
    channel = ScriptedChannel("mastodon")
    links = gate()
    assert tick(claims, channel, T0, links) == [(post, "link_dead")]
    page.status = 200  # the page is back; the officer retries a minute later, within `fresh`
    store.retry(post, due_at=T0 + timedelta(minutes=1), now=T0 + timedelta(minutes=1))
    assert tick(claims, channel, T0 + timedelta(minutes=1), links) == [(post, "published")]
    assert [c.id for c in channel.calls] == [post]
    assert asked(httpserver)[-1] == ("HEAD", "/course")  # asked again after the retry


def test_check_online_asks_no_link_when_checks_are_off(
    planned: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(planned.parent, httpserver)
    httpserver.expect_request("/tap-tdgcu5qbq9556").respond_with_data("", status=404)
    monkeypatch.setenv("POSTSCHED_LINKS_CHECK", "never")
    result = run("check", "--online")
    assert result.code == 0, result.err
    assert 'Links not asked: [links] check (or $POSTSCHED_LINKS_CHECK) is "never".' in result.out
    assert httpserver.log == []


def test_no_credentials_from_netrc_are_sent_to_a_link(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine localhost login officer password s3cret-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    httpserver.expect_request("/page").respond_with_data("ok")
    answer = LinkAsker(loopback=True)(httpserver.url_for("/page"))
    assert answer.code == 200
    assert "Authorization" not in httpserver.log[0][0].headers


def test_a_refused_connection_is_unsure_and_said_in_words_not_a_class_name() -> None:
    from posts.link_health import describe, verdict

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    answer = LinkAsker(loopback=True)(f"http://127.0.0.1:{port}/cours")
    assert verdict(answer) == "unsure"
    said = describe(answer)
    assert "the connection was refused" in said
    assert "ConnectionError" not in said


def test_status_lists_the_posts_links_in_the_order_they_go_out(store: Store) -> None:
    """On SQLite and PostgreSQL alike, whatever order their texts or ids sort in."""
    for text, due in [
        ("zzz", T0),
        ("aaa", T0 + timedelta(hours=2)),
        ("mmm", T0 + timedelta(hours=1)),
    ]:
        add(store, f"https://example.org/{text}", due, body=f"{text} https://example.org/{text}")
    texts = store.texts(["scheduled"])
    assert [link for link, _body in texts] == [
        "https://example.org/zzz",
        "https://example.org/mmm",
        "https://example.org/aaa",
    ]
