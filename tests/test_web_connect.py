"""The status page's Connect and Disconnect buttons: the same OAuth flows as `postsched
connect`, with the network's redirect landing on the web page (Flask's test client plays the
officer's browser; mastodon-mock and the LinkedIn stand-in play the networks)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer

from scheduler.app import App
from scheduler.web import create_app, hash_password
from tests.conftest import run
from tests.test_connect_linkedin import PAGE, LinkedInOAuth
from tests.test_web import PASSWORD, log_in, text_of, token

CALLBACK = "http://localhost/connect/callback"  # the test client's own address


def stored() -> dict[str, dict[str, object]]:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "postsched" / "credentials.json"
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text()).get("channels", {}))


def officer_for(project: Path) -> FlaskClient:
    assert run("init").code == 0
    web = create_app(
        App(config_path=project / "config.toml"),
        password_hash=hash_password(PASSWORD),
    )
    return log_in(web.test_client())


def start(client: FlaskClient, channel: str) -> str:
    """Press Connect on the status page; the address of the network's authorization page."""
    page = text_of(client.get("/status"))
    assert f'action="/connect/{channel}"' in page
    response = client.post(f"/connect/{channel}", data={"csrf_token": token(client, "/status")})
    assert response.status_code == 200
    found = re.search(r'<a class="button" href="([^"]+)">Continue to', text_of(response))
    assert found, text_of(response)
    return found.group(1)


@pytest.fixture
def mastodon_project(project: Path, mastodon: str) -> Path:
    config = project / "config.toml"
    config.write_text(
        config.read_text().replace(
            'instance = "https://mastodon.example"', f'instance = "{mastodon}"'
        )
    )
    return project


def test_connect_mastodon_from_the_status_page(mastodon_project: Path, mastodon: str) -> None:
    client = officer_for(mastodon_project)
    url = start(client, "mastodon")
    asked = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert asked["redirect_uri"] == CALLBACK
    # The officer picks the account on the server, which sends the browser back to the page.
    answer = requests.post(
        f"{mastodon}/oauth/authorize",
        data={
            "username": "testuser",
            "redirect_uri": asked["redirect_uri"],
            "client_id": asked["client_id"],
            "scope": asked["scope"],
            "state": asked["state"],
        },
        allow_redirects=False,
        timeout=10,
    )
    back = urlsplit(answer.headers["Location"])
    landed = client.get(f"{back.path}?{back.query}", follow_redirects=True)
    page = text_of(landed)
    assert "mastodon: connected as Test User (@testuser)" in page
    assert "posts as Test User (@testuser)" in page and "Disconnect" in page
    assert stored()["mastodon"]["account"] == "@testuser"
    token_value = str(stored()["mastodon"]["access_token"])
    assert token_value not in page

    gone = client.post(
        "/disconnect/mastodon", data={"csrf_token": token(client, "/status")}, follow_redirects=True
    )
    assert "mastodon: the token is revoked and forgotten." in text_of(gone)
    assert "mastodon" not in stored()


def test_an_answer_with_another_state_stores_nothing(mastodon_project: Path) -> None:
    client = officer_for(mastodon_project)
    start(client, "mastodon")
    landed = client.get(
        "/connect/callback?code=mockcode_testuser&state=forged", follow_redirects=True
    )
    assert "does not carry the state this connect sent" in text_of(landed)
    assert stored() == {}
    again = client.get("/connect/callback?code=mockcode_testuser&state=x", follow_redirects=True)
    assert "does not belong to a connect started from this page" in text_of(again)


def test_connect_needs_the_csrf_token(mastodon_project: Path) -> None:
    client = officer_for(mastodon_project)
    assert client.post("/connect/mastodon").status_code == 400
    assert client.post("/disconnect/mastodon").status_code == 400


def test_connect_linkedin_from_the_status_page_and_choose_the_page(
    project: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = LinkedInOAuth(CALLBACK)
    fake.serve(httpserver)
    base = httpserver.url_for("/").rstrip("/")
    config = project / "config.toml"
    config.write_text(
        config.read_text().replace(
            'api_url = "https://api.linkedin.com"', f'api_url = "{base}"\noauth_url = "{base}"'
        )
    )
    monkeypatch.setenv("POSTSCHED_LINKEDIN_CLIENT_ID", "78s808ujpe6lve")
    monkeypatch.setenv("POSTSCHED_LINKEDIN_CLIENT_SECRET", "WPL_AP1.secret-for-tests")
    client = officer_for(project)
    url = start(client, "linkedin")
    answer = requests.get(url, allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    choice = text_of(client.get(f"{back.path}?{back.query}"))
    assert f"the page Hétis ({PAGE})" in choice and "yourself, Camille Martin" in choice
    assert stored() == {}, "nothing is stored before the officer chooses"
    done = client.post(
        "/connect/choose",
        data={"author": PAGE, "csrf_token": token(client, "/status")},
        follow_redirects=True,
    )
    assert f"it posts as the page Hétis ({PAGE}), now its author in config.toml" in text_of(done)
    assert f'author = "{PAGE}"' in config.read_text()
    assert stored()["linkedin"]["author"] == PAGE
