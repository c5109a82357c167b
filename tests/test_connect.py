"""`postsched connect` and `disconnect` from the command line, as separate processes.

Mastodon against mastodon-mock's real OAuth (app registration, the /oauth/authorize account
picker, /oauth/token, /oauth/revoke); the test plays the officer's browser. Then the daemon
publishes with the stored token and no token in the environment, and the token is found in the
credentials file and nowhere else.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from pytest_httpserver import HTTPServer

from tests.conftest import MASTODON_TOKEN, mastodon_statuses, plain, run


class Connect:
    """`postsched connect ...` running in its own process, read line by line."""

    def __init__(self, project: Path, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "connect", *args],
            cwd=project,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def url(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        assert line.startswith("http"), (line, self.finish())
        return line

    def paste(self, code: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(code + "\n")
        self.process.stdin.flush()

    def finish(self) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, out, err


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def approve_on_mastodon(url: str, redirect_uri: str | None = None) -> requests.Response:
    """What the officer does in the browser: open the address, pick the account."""
    picker = requests.get(url, timeout=10)
    assert picker.status_code == 200 and "testuser" in picker.text
    asked = query(url)
    base = url.split("/oauth/")[0]
    return requests.post(
        f"{base}/oauth/authorize",
        data={
            "username": "testuser",
            "redirect_uri": redirect_uri or asked["redirect_uri"],
            "client_id": asked["client_id"],
            "scope": asked["scope"],
            "state": asked["state"],
        },
        timeout=10,
    )


def credentials_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "postsched" / "credentials.json"


def stored() -> dict[str, object]:
    return dict(json.loads(credentials_file().read_text()))


@pytest.fixture
def on_mastodon(project: Path, mastodon: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped campaign with its Mastodon channel on mastodon-mock, and no token anywhere."""
    monkeypatch.delenv("POSTSCHED_MASTODON_TOKEN", raising=False)
    config = project / "config.toml"
    config.write_text(
        config.read_text().replace(
            'instance = "https://mastodon.example"', f'instance = "{mastodon}"'
        )
    )
    return config


def test_connect_mastodon_through_the_redirect_then_the_daemon_posts_with_it(
    project: Path, mastodon: str, on_mastodon: Path
) -> None:
    connect = Connect(project, "mastodon", "--no-browser")
    url = connect.url()
    asked = query(url)
    assert asked["scope"] == "read:accounts read:statuses write:statuses write:media"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/callback", asked["redirect_uri"])
    assert asked["code_challenge_method"] == "S256" and asked["state"]
    landing = approve_on_mastodon(url)  # the mock redirects the browser to our loopback server
    assert landing.status_code == 200 and "go back to the terminal" in landing.text
    code, out, err = connect.finish()
    assert code == 0, err
    assert "mastodon: connected as Test User (@testuser)" in out
    assert str(credentials_file()) in out and 'set mode = "live"' in out

    path = credentials_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    entry = stored()["channels"]["mastodon"]  # type: ignore[index]
    token = entry["access_token"]
    assert token and token != MASTODON_TOKEN and entry["account"] == "@testuser"

    # Live, with no token in the environment: the daemon uses the stored one.
    on_mastodon.write_text(
        on_mastodon.read_text().replace(
            'mode = "dry-run"                # "live" publishes for real', 'mode = "live"'
        )
    )
    assert run("init").code == 0
    status = json.loads(run("status", "--json").out)["channels"]["mastodon"]
    assert status["token_source"] == str(path)
    assert status["token_account"] == "Test User (@testuser)"
    online = run("check", "--online")
    assert f"mastodon: posts as Test User (@testuser); its token ({path}) does not expire" in (
        online.out
    )
    assert (
        run("add", "mastodon", "--at", "now", "--text", "Publié avec le jeton de connect").code == 0
    )
    daemon = subprocess.run(
        [sys.executable, "-m", "scheduler", "daemon", "--once"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("POSTSCHED_")},
    )
    assert daemon.returncode == 0, daemon.stderr
    texts = [plain(s["content"]) for s in mastodon_statuses(mastodon, token)]
    assert texts == ["Publié avec le jeton de connect"]

    # The token is in the credentials file and nowhere else: not in the project folder (the
    # database, config.toml, the outbox) nor in anything printed.
    for file in project.rglob("*"):
        if file.is_file():
            assert token.encode() not in file.read_bytes(), file
    assert token not in out + err + daemon.stdout + daemon.stderr + online.out + online.err


def test_connect_mastodon_with_a_pasted_code(
    project: Path, mastodon: str, on_mastodon: Path
) -> None:
    connect = Connect(project, "mastodon", "--paste")
    url = connect.url()
    assert query(url)["redirect_uri"] == "urn:ietf:wg:oauth:2.0:oob"
    page = approve_on_mastodon(url)
    found = re.search(r"Authorization code: (\S+)</p>", page.text)
    assert found, page.text
    connect.paste(found.group(1))
    code, out, err = connect.finish()
    assert code == 0, err
    assert "connected as Test User (@testuser)" in out
    token = stored()["channels"]["mastodon"]["access_token"]  # type: ignore[index]
    me = requests.get(
        f"{mastodon}/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert me.json()["acct"] == "testuser"


def test_the_application_is_registered_once_per_instance(
    project: Path, mastodon: str, on_mastodon: Path
) -> None:
    ids = []
    for _ in range(2):
        connect = Connect(project, "mastodon", "--no-browser")
        url = connect.url()
        ids.append(query(url)["client_id"])
        approve_on_mastodon(url)
        assert connect.finish()[0] == 0
    assert ids[0] == ids[1]
    assert len(stored()["apps"][mastodon]) == 1  # type: ignore[index]


def test_disconnect_revokes_the_token_and_forgets_it(
    project: Path, mastodon: str, on_mastodon: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect = Connect(project, "mastodon", "--no-browser")
    approve_on_mastodon(connect.url())
    assert connect.finish()[0] == 0
    token = stored()["channels"]["mastodon"]["access_token"]  # type: ignore[index]
    result = run("disconnect", "mastodon")
    assert result.code == 0, result.err
    assert result.out.strip() == "mastodon: the token is revoked and forgotten."
    me = requests.get(
        f"{mastodon}/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert me.status_code == 401
    assert "mastodon" not in stored()["channels"]  # type: ignore[operator]
    monkeypatch.delenv("POSTSCHED_MASTODON_TOKEN", raising=False)
    again = run("disconnect", "mastodon")
    assert again.code == 1
    assert again.err.strip() == "Error: postsched keeps no token for mastodon."
    # A token the officer set in the environment is named: postsched cannot unset it.
    monkeypatch.setenv("POSTSCHED_MASTODON_TOKEN", "a-token-of-the-officers")
    again = run("disconnect", "mastodon")
    assert again.code == 1
    assert again.err.strip() == (
        "Error: postsched keeps no token for mastodon; a token in $POSTSCHED_MASTODON_TOKEN is "
        "yours to unset."
    )


# --- refusals: one sentence, exit 1, nothing stored ---------------------------------------


def _nothing_stored() -> None:
    path = credentials_file()
    assert not path.exists() or "channels" not in stored()


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ({"state": "forged", "code": "mockcode_testuser"}, "does not carry the state"),
        (
            {"error": "access_denied", "error_description": "The user denied it"},
            "The authorization was declined on http://127.0.0.1:",
        ),
        ({}, "does not carry the state"),
    ],
)
def test_an_answer_that_is_not_ours_or_a_no_stores_nothing(
    project: Path, on_mastodon: Path, answer: dict[str, str], said: str
) -> None:
    connect = Connect(project, "mastodon", "--no-browser")
    asked = query(connect.url())
    if "error" in answer:
        answer = {**answer, "state": asked["state"]}
    requests.get(asked["redirect_uri"], params=answer, timeout=10)
    code, _, err = connect.finish()
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[-1].startswith("Error: ") and said in lines[-1], err
    assert "nothing was stored" in lines[-1] and "Traceback" not in err
    _nothing_stored()


def test_a_code_the_server_refuses_stores_nothing(project: Path, on_mastodon: Path) -> None:
    connect = Connect(project, "mastodon", "--paste")
    connect.url()
    connect.paste("mockcode_nobody")
    code, _, err = connect.finish()
    assert code == 1
    assert "refused the code (invalid_grant)" in err and "nothing was stored" in err.lower()
    _nothing_stored()


def test_waiting_for_the_browser_times_out(project: Path, on_mastodon: Path) -> None:
    connect = Connect(project, "mastodon", "--no-browser", "--timeout", "1s")
    connect.url()
    code, _, err = connect.finish()
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "Error: No answer came back from the browser within 1 s; nothing was stored. Run "
        "connect again (or --paste the code on a machine without a browser)."
    )
    _nothing_stored()


def test_a_server_that_is_not_mastodon_is_refused(
    project: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/api/v1/apps").respond_with_data("<html>Not here</html>", 404)
    config = project / "config.toml"
    other = httpserver.url_for("/").rstrip("/")
    config.write_text(
        config.read_text().replace('instance = "https://mastodon.example"', f'instance = "{other}"')
    )
    result = run("connect", "mastodon", "--no-browser")
    assert result.code == 1
    assert result.err.strip() == (
        f"Error: {other} does not answer as a Mastodon server (registering an application gave "
        "HTTP 404): check instance in [channels.mastodon]; nothing was stored."
    )
    assert not credentials_file().exists()


def test_a_credentials_file_others_can_read_is_refused(
    project: Path, mastodon: str, on_mastodon: Path
) -> None:
    connect = Connect(project, "mastodon", "--no-browser")
    approve_on_mastodon(connect.url())
    assert connect.finish()[0] == 0
    path = credentials_file()
    path.chmod(0o644)
    on_mastodon.write_text(
        on_mastodon.read_text().replace(
            'mode = "dry-run"                # "live" publishes for real', 'mode = "live"'
        )
    )
    assert run("init").code == 0
    result = run("daemon", "--once")
    assert result.code == 1
    assert result.err.strip() == (
        f"Error: The credentials file {path} can be read by other users, so its tokens are no "
        f"longer private: run chmod 600 {path}, then postsched connect again for each channel "
        "to replace them."
    )


def test_check_refuses_a_live_channel_that_keeps_the_example_server(project: Path) -> None:
    config = project / "config.toml"
    config.write_text(
        config.read_text().replace(
            'mode = "dry-run"                # "live" publishes for real', 'mode = "live"'
        )
    )
    result = run("check")
    assert result.code == 1
    assert result.err.strip() == (
        "Error: [channels.mastodon] is live but its instance is still the example "
        "'https://mastodon.example': give your own server's address, such as "
        "https://mastodon.social."
    )


def test_connect_refuses_the_example_server_and_takes_the_real_one(
    project: Path, mastodon: str
) -> None:
    refused = run("connect", "mastodon", "--paste")
    assert refused.code == 1
    assert refused.err.strip() == (
        "Error: [channels.mastodon] instance is still the example https://mastodon.example: "
        "give your own server with postsched connect mastodon --instance https://your.server "
        "(it is written to config.toml)."
    )
    assert not credentials_file().exists()
    connect = Connect(project, "mastodon", "--no-browser", "--instance", mastodon)
    approve_on_mastodon(connect.url())
    code, _, err = connect.finish()
    assert code == 0, err
    config = (project / "config.toml").read_text()
    assert f'instance = "{mastodon}"' in config and "# your server" in config


def test_a_failed_connect_leaves_the_instance_in_config_as_it_was(
    project: Path, mastodon: str, on_mastodon: Path
) -> None:
    before = on_mastodon.read_text()
    result = run("connect", "mastodon", "--paste", "--instance", "http://127.0.0.1:9")
    assert result.code == 1 and "nothing was stored" in result.err
    assert on_mastodon.read_text() == before
