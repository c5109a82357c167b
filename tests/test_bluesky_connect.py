"""`postsched connect bluesky` and what follows it (publish, disconnect, check --online, status,
the web page's form, report), against the AT Protocol reference server on loopback."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from posts.reach import take_snapshots
from posts.tid import record_key
from scheduler.app import App
from scheduler.channels import build_channel
from scheduler.web import create_app, hash_password
from tests.bluesky_server import ACCOUNT_PASSWORD, Account, Pds
from tests.conftest import Result, run
from tests.test_web import PASSWORD, log_in, text_of, token

ENV = "POSTSCHED_BLUESKY_PASSWORD"


def credentials_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "postsched" / "credentials.json"


def stored() -> dict[str, Any]:
    path = credentials_file()
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text()).get("channels", {}))


def make_live(project: Path, bluesky_pds: Pds, bluesky: Account, handle: str | None = None) -> Path:
    """The shipped campaign with its bluesky channel live on the local PDS, for the test's
    account (or naming `handle`)."""
    config = project / "config.toml"
    text = config.read_text().replace('min_gap = "2h"', 'min_gap = "0s"')
    head, table = text.split("[channels.bluesky]\n", 1)
    table, rest = table.split("\n[", 1)
    table = re.sub(r"(?m)^mode = .*$", 'mode = "live"', table)
    table = re.sub(r"(?m)^service = .*$", f'service = "{bluesky_pds.url}"', table)
    table = re.sub(r"(?m)^handle = .*$", f'handle = "{handle or bluesky.handle}"', table)
    text = f"{head}[channels.bluesky]\n{table}\n[{rest}"
    config.write_text(text)
    assert 'mode = "live"' in text and bluesky_pds.url in text
    assert run("init").code == 0
    return project


@pytest.fixture
def live(
    project: Path, bluesky_pds: Pds, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """make_live, and no app password in the environment."""
    monkeypatch.delenv(ENV, raising=False)
    return make_live(project, bluesky_pds, bluesky)


def connect(password: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """`postsched connect bluesky --password-stdin`, the password piped in as a script would."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return run("connect", "bluesky", "--password-stdin", *args)


def secret_nowhere(secret: str, project: Path, *outputs: str) -> None:
    for text in outputs:
        assert secret not in text
    for path in project.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def published(project: Path, text: str) -> Any:
    """Queue a one-off post on the live bluesky channel and run one daemon pass; the post."""
    added = run("add", "bluesky", "--at", "now", "--text", text)
    assert added.code == 0, added.err
    daemon = run("daemon", "--once")
    assert daemon.code == 0, daemon.err
    post = App(config_path=project / "config.toml").store.get(added.new_id)
    assert post.status == "published", (post.status, post.last_error)
    return post


def test_connect_keeps_the_app_password_privately_and_says_whom(
    live: Path, bluesky_pds: Pds, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = connect(bluesky.app_password, monkeypatch)
    assert result.code == 0, result.err
    assert f"bluesky: connected as @{bluesky.handle} ({bluesky.did})" in result.out
    assert f"the app password is kept in {credentials_file()}" in result.out
    entry = stored()["bluesky"]
    assert entry["app_password"] == bluesky.app_password
    assert (entry["did"], entry["handle"]) == (bluesky.did, bluesky.handle)
    assert entry["server"] == bluesky_pds.url
    assert stat.S_IMODE(credentials_file().stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials_file().parent.stat().st_mode) == 0o700
    assert not credentials_file().is_relative_to(live)
    secret_nowhere(bluesky.app_password, live, result.out, result.err)


def test_the_app_password_can_come_from_the_channels_variable(
    live: Path, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, bluesky.app_password)
    result = run("connect", "bluesky")
    assert result.code == 0, result.err
    assert f"Using the app password in ${ENV}." in result.err
    assert stored()["bluesky"]["app_password"] == bluesky.app_password


def test_a_variable_holding_another_password_is_named_since_it_wins(
    live: Path, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "old0-old0-old0-old0")
    result = connect(bluesky.app_password, monkeypatch)
    assert result.code == 0, result.err
    assert f"${ENV} holds another password and wins over the file: unset it" in result.out


def test_the_handle_the_server_logs_in_becomes_the_channels(
    project: Path, bluesky_pds: Pds, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    make_live(project, bluesky_pds, bluesky, handle="someone-else.test")
    result = connect(bluesky.app_password, monkeypatch, "--handle", f"@{bluesky.handle}")
    assert result.code == 0, result.err
    assert f"its handle is now {bluesky.handle} in config.toml" in result.out
    assert f'handle = "{bluesky.handle}"' in (project / "config.toml").read_text()
    assert "someone-else.test" not in (project / "config.toml").read_text()


def test_at_a_terminal_the_app_password_is_asked_without_echo(live: Path, bluesky: Account) -> None:
    """The real command in a pseudo-terminal: Enter keeps the channel's handle, and the app
    password typed is never shown."""
    import pty
    import select
    import subprocess
    import time

    main, side = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "connect", "bluesky"],
        cwd=live,
        stdin=side,
        stdout=side,
        stderr=side,
        env={k: v for k, v in os.environ.items() if k != ENV},
    )
    os.close(side)
    seen = b""

    def read_until(wanted: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 30
        while wanted not in seen:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            ready, _w, _x = select.select([main], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(main, 4096)
                except OSError:  # the command ended
                    break

    try:
        read_until(b"Handle [" + bluesky.handle.encode() + b"]:")
        os.write(main, b"\n")
        read_until(b"App password for @" + bluesky.handle.encode() + b":")
        os.write(main, bluesky.app_password.encode() + b"\n")
        read_until(b"connected as")
        read_until(b"credentials.json")
        assert process.wait(timeout=30) == 0, seen
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    text = seen.decode(errors="replace")
    assert f"bluesky: connected as @{bluesky.handle} ({bluesky.did})" in text
    assert bluesky.app_password not in text
    assert stored()["bluesky"]["app_password"] == bluesky.app_password


def test_a_connected_live_channel_publishes_without_its_variable(
    live: Path, bluesky_pds: Pds, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connect(bluesky.app_password, monkeypatch).code == 0
    post = published(live, "Publié avec le mot de passe d’application de connect")
    rkey = record_key(post.idempotency_key)
    assert post.remote_id == f"at://{bluesky.did}/app.bsky.feed.post/{rkey}"
    record = requests.get(
        bluesky_pds.xrpc("com.atproto.repo.getRecord"),
        params={"repo": bluesky.did, "collection": "app.bsky.feed.post", "rkey": rkey},
        timeout=30,
    )
    assert record.status_code == 200, record.text
    assert record.json()["value"]["text"] == post.body
    secret_nowhere(bluesky.app_password, live)


def test_a_wrong_app_password_is_refused_and_nothing_is_stored(
    live: Path, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "abcd-efgh-ijkl-mnop"
    result = connect(wrong, monkeypatch)
    assert result.code == 1
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert f"refused the handle {bluesky.handle} with this app password" in result.err
    assert "nothing was stored" in result.err
    assert wrong not in result.err + result.out
    assert stored() == {}


def test_the_account_password_is_refused_for_what_it_is(
    live: Path, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = connect(ACCOUNT_PASSWORD, monkeypatch)
    assert result.code == 1
    assert "This is the account's own password, not an app password" in result.err
    assert "Settings > Privacy and security > App passwords" in result.err
    assert ACCOUNT_PASSWORD not in result.err + result.out
    assert stored() == {}
    secret_nowhere(ACCOUNT_PASSWORD, live)


def test_disconnect_forgets_and_says_who_can_revoke(
    live: Path, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connect(bluesky.app_password, monkeypatch).code == 0
    result = run("disconnect", "bluesky")
    assert result.code == 0, result.err
    assert "bluesky: the app password is forgotten here" in result.out
    assert "but it still works: only you can revoke it, on bsky.app" in result.out
    assert "bluesky" not in stored()
    again = run("disconnect", "bluesky")
    assert again.code == 1 and "postsched keeps no token for bluesky" in again.err
    status = json.loads(run("status", "--json").out)["channels"]["bluesky"]
    assert status["token_source"] is None
    assert "is live but has no token: run postsched connect bluesky" in status["token_problem"]


def test_check_online_and_status_name_the_account(
    live: Path, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connect(bluesky.app_password, monkeypatch).code == 0
    online = run("check", "--online")
    assert (
        f"bluesky: posts as @{bluesky.handle} ({bluesky.did}); its app password "
        f"({credentials_file()}) does not expire until revoked." in online.out
    ), online.out + online.err
    status = run("status")
    assert status.code == 0, status.err
    assert f"posts as @{bluesky.handle} ({bluesky.did})" in status.out
    data = json.loads(run("status", "--json").out)["channels"]["bluesky"]
    assert data["token_account"] == f"@{bluesky.handle} ({bluesky.did})"
    assert data["token_source"] == str(credentials_file())


def test_check_online_says_one_sentence_for_a_wrong_app_password(
    live: Path, bluesky_pds: Pds, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "wxyz-wxyz-wxyz-wxyz")
    online = run("check", "--online")
    assert online.code == 1
    line = next(x for x in (online.out + online.err).splitlines() if x.startswith("bluesky:"))
    assert line == (
        f"bluesky: {bluesky_pds.url} refused @{bluesky.handle} with the app password from "
        f"${ENV}: it was mistyped, revoked, or is for another account; make a new app password "
        f"in Bluesky's Settings > Privacy and security > App passwords and set it in ${ENV}."
    )
    assert "wxyz-wxyz-wxyz-wxyz" not in online.out + online.err


def officer(project: Path) -> FlaskClient:
    web = create_app(
        App(config_path=project / "config.toml"), password_hash=hash_password(PASSWORD)
    )
    return log_in(web.test_client())


def test_the_web_pages_form_connects_with_an_app_password(live: Path, bluesky: Account) -> None:
    client = officer(live)
    assert 'action="/connect/bluesky"' in text_of(client.get("/status"))
    form = client.post("/connect/bluesky", data={"csrf_token": token(client, "/status")})
    page = text_of(form)
    assert form.status_code == 200
    assert 'action="/connect/bluesky/app-password"' in page
    assert f'name="handle" value="{bluesky.handle}"' in page
    assert 'type="password" id="app_password" name="app_password"' in page
    # Without the CSRF token, nothing is even tried.
    bare = client.post(
        "/connect/bluesky/app-password",
        data={"handle": bluesky.handle, "app_password": bluesky.app_password},
    )
    assert bare.status_code == 400 and stored() == {}
    # A wrong password: the form again, the refusal as a flash sentence, no password echoed.
    wrong = "zzzz-zzzz-zzzz-zzzz"
    refused = client.post(
        "/connect/bluesky/app-password",
        data={
            "handle": bluesky.handle,
            "app_password": wrong,
            "csrf_token": token(client, "/status"),
        },
    )
    page = text_of(refused)
    assert refused.status_code == 400
    assert f"refused the handle {bluesky.handle} with this app password" in page
    assert wrong not in page and stored() == {}
    done = client.post(
        "/connect/bluesky/app-password",
        data={
            "handle": bluesky.handle,
            "app_password": bluesky.app_password,
            "csrf_token": token(client, "/status"),
        },
        follow_redirects=True,
    )
    page = text_of(done)
    assert f"bluesky: connected as @{bluesky.handle} ({bluesky.did})" in page
    assert "the app password is kept in postsched's credentials file" in page
    assert f"posts as @{bluesky.handle} ({bluesky.did})" in page and "Disconnect" in page
    assert bluesky.app_password not in page
    assert stored()["bluesky"]["app_password"] == bluesky.app_password
    gone = client.post(
        "/disconnect/bluesky",
        data={"csrf_token": token(client, "/status")},
        follow_redirects=True,
    )
    page = text_of(gone)
    assert "bluesky: the app password is forgotten here" in page
    assert '<p class="flash info"' in gone.get_data(as_text=True)
    assert "bluesky" not in stored()


def test_report_says_once_that_a_pds_without_an_app_view_cannot_count(
    live: Path, bluesky_pds: Pds, bluesky: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connect(bluesky.app_password, monkeypatch).code == 0
    first = published(live, "Premier message, pour la portée")
    second = published(live, "Second message, pour la portée")
    a = App(config_path=live / "config.toml")
    reader = build_channel(a.config, "bluesky")
    later = max(first.published_at, second.published_at) + timedelta(hours=2)
    taken = take_snapshots(a.store, {"bluesky": reader}, [("1h", timedelta(hours=1))], later)
    assert [(t.post_id, t.refused) for t in taken] == [(first.id, True), (second.id, True)]
    report = run("report")
    assert report.code == 0, report.err
    out = " ".join(report.out.split())  # the table wraps its cells
    assert out.count("no counts (see below)") == 2
    assert out.count("has no app view") == 1
    assert (
        f"bluesky (2 posts without counts): {bluesky_pds.url} has no app view to count likes, "
        "reposts and replies" in out
    )
    rows = json.loads(run("report", "--json").out)
    assert [r["reach"] for r in rows] == [{}, {}]
    assert all("has no app view" in r["reason"] for r in rows)
    # The web page's Reach says it once too, below the table.
    page = " ".join(text_of(officer(live).get("/reach")).split())
    assert page.count("no counts (see below)") == 2
    assert page.count("has no app view") == 1
    assert f"bluesky (2 posts without counts): {bluesky_pds.url} has no app view" in page


def test_connect_waits_as_long_as_the_channels_timeout_says(
    project: Path, httpserver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that answers after 2 s, with `timeout = "1s"` in [channels.bluesky]: connect
    gives up at the channel's timeout (it waited its own 30 s before), in one sentence."""
    import time
    from types import SimpleNamespace

    from werkzeug import Response

    def slow(_request: Any) -> Response:
        time.sleep(2)
        return Response('{"error": "AuthenticationRequired"}', status=401)

    httpserver.expect_request("/xrpc/com.atproto.server.createSession").respond_with_handler(slow)
    server = SimpleNamespace(url=httpserver.url_for("/").rstrip("/"))
    make_live(project, server, SimpleNamespace(handle="ecole.test"))  # type: ignore[arg-type]
    config = project / "config.toml"
    text = config.read_text()
    config.write_text(text.replace("[channels.bluesky]\n", '[channels.bluesky]\ntimeout = "1s"\n'))
    monkeypatch.delenv(ENV, raising=False)
    result = connect("abcd-efgh-ijkl-mnop", monkeypatch)
    assert result.code == 1
    assert "did not answer in time while logging in" in result.err, result.err
    assert stored() == {}
