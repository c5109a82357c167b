"""`postsched connect linkedin` against a local stand-in for LinkedIn's OAuth pages and the
endpoints that say who the member is and which pages they administer (pytest-httpserver).

The stand-in checks what LinkedIn's docs require: the app's client id and secret, the redirect
URL registered in the app, the scopes, the state handed back; it grants a 60-day token and a
refresh token, as LinkedIn does for the apps it grants refresh tokens to.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from posts.language import show_date
from tests import test_linkedin
from tests.conftest import free_port, run

CLIENT_ID = "78s808ujpe6lve"
CLIENT_SECRET = "WPL_AP1.secret-for-tests"
PAGE = test_linkedin.AUTHOR  # urn:li:organization:2414183, "Hétis"
OTHER_PAGE = "urn:li:organization:5550001"
SIXTY_DAYS = 5_184_000


@dataclass
class LinkedInOAuth:
    """LinkedIn's authorization page, token endpoint, member and page endpoints."""

    redirect_uri: str
    pages: list[tuple[str, str]] = field(default_factory=lambda: [(PAGE, "ADMINISTRATOR")])
    tokens: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)

    def serve(self, server: HTTPServer) -> None:
        server.expect_request("/oauth/v2/authorization").respond_with_handler(self.authorize)
        server.expect_request("/oauth/v2/accessToken", method="POST").respond_with_handler(
            self.access_token
        )
        server.expect_request("/oauth/v2/revoke", method="POST").respond_with_handler(self.revoke)
        server.expect_request("/v2/me").respond_with_handler(self.me)
        server.expect_request("/v2/userinfo").respond_with_json({"status": 403}, status=403)
        server.expect_request("/rest/organizationAcls").respond_with_handler(self.acls)
        for urn, name in ((PAGE, "Hétis"), (OTHER_PAGE, "Hétis Formation")):
            server.expect_request(f"/rest/organizations/{urn.rsplit(':', 1)[1]}").respond_with_json(
                {"localizedName": name}
            )
        server.expect_request("/rest/posts", method="POST").respond_with_handler(self.post)

    def authorize(self, request: Request) -> Response:
        """The member approves at once: back to the redirect URL with a code and the state."""
        args = request.args
        assert args["response_type"] == "code"
        assert args["client_id"] == CLIENT_ID
        assert args["redirect_uri"] == self.redirect_uri, "not the URL registered in the app"
        assert set(args["scope"].split()) >= {"w_organization_social", "r_basicprofile"}
        target = f"{args['redirect_uri']}?{urlencode({'code': 'AQTcode', 'state': args['state']})}"
        return Response("", status=302, headers={"Location": target})

    def access_token(self, request: Request) -> Response:
        form = request.form
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return Response(json.dumps({"error": "invalid_client"}), 401)
        if form["grant_type"] == "authorization_code":
            ok = form.get("code") == "AQTcode" and form.get("redirect_uri") == self.redirect_uri
        else:
            ok = form["grant_type"] == "refresh_token" and form.get("refresh_token") == "AQXrefresh"
        if not ok:
            body = {"error": "invalid_grant", "error_description": "The code is not valid"}
            return Response(json.dumps(body), 400, content_type="application/json")
        token = f"AQVtoken-{len(self.tokens) + 1}"
        self.tokens.append(token)
        answer = {
            "access_token": token,
            "expires_in": SIXTY_DAYS,
            "refresh_token": "AQXrefresh",
            "refresh_token_expires_in": 31_536_000,
            "scope": "r_basicprofile,w_member_social,w_organization_social",
        }
        return Response(json.dumps(answer), 200, content_type="application/json")

    def _known(self, request: Request) -> bool:
        auth = request.headers.get("Authorization", "")
        self.authorizations.append(auth)
        return auth.removeprefix("Bearer ") in self.tokens and auth not in self.revoked

    def me(self, request: Request) -> Response:
        if not self._known(request):
            return Response(json.dumps({"status": 401}), 401)
        body = {"id": "x1", "localizedFirstName": "Camille", "localizedLastName": "Martin"}
        return Response(json.dumps(body), 200, content_type="application/json")

    def acls(self, request: Request) -> Response:
        assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
        assert request.headers["LinkedIn-Version"] == "202611"
        assert request.args["q"] == "roleAssignee"
        elements = [
            {
                "roleAssignee": "urn:li:person:x1",
                "organization": urn,
                "role": role,
                "state": "APPROVED",
            }
            for urn, role in self.pages
        ]
        return Response(json.dumps({"elements": elements}), 200, content_type="application/json")

    def revoke(self, request: Request) -> Response:
        assert request.form["client_secret"] == CLIENT_SECRET
        self.revoked.append(f"Bearer {request.form['token']}")
        return Response("", 200)

    def post(self, request: Request) -> Response:
        if not self._known(request):
            return Response(json.dumps({"status": 401, "message": "Invalid access token"}), 401)
        self.posts.append({"auth": request.headers["Authorization"], **request.get_json()})
        return Response("", 201, headers={"x-restli-id": f"urn:li:share:{len(self.posts)}"})


@pytest.fixture
def linkedin_oauth(
    project: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> LinkedInOAuth:
    redirect = f"http://localhost:{free_port()}/callback"
    fake = LinkedInOAuth(redirect)
    fake.serve(httpserver)
    base = httpserver.url_for("/").rstrip("/")
    config = project / "config.toml"
    text = config.read_text().replace(
        'api_url = "https://api.linkedin.com"', f'api_url = "{base}"\noauth_url = "{base}"'
    )
    shipped = 'redirect_uri = "http://localhost:8642/callback"'
    assert shipped in text
    text = text.replace(shipped, f'redirect_uri = "{redirect}"')
    config.write_text(text)
    monkeypatch.setenv("POSTSCHED_LINKEDIN_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("POSTSCHED_LINKEDIN_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.delenv("POSTSCHED_LINKEDIN_TOKEN", raising=False)
    return fake


def connect(project: Path, *args: str) -> tuple[int, str, str]:
    """Run `postsched connect linkedin`, and approve in the 'browser' once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "connect", "linkedin", "--no-browser", *args],
        cwd=project,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if url.startswith("http"):
        landing = requests.get(url, timeout=10)  # LinkedIn redirects to our loopback server
        assert landing.status_code == 200, landing.text
    out, err = process.communicate(timeout=60)
    return process.returncode, url + "\n" + out, err


def entry() -> dict[str, Any]:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "postsched" / "credentials.json"
    data: dict[str, Any] = json.loads(path.read_text())["channels"]["linkedin"]
    return data


def test_connect_sets_the_page_as_author_and_records_the_expiry(
    project: Path, linkedin_oauth: LinkedInOAuth
) -> None:
    before = datetime.now(UTC)
    code, out, err = connect(project)
    assert code == 0, err
    asked = {k: v[0] for k, v in parse_qs(urlsplit(out.splitlines()[0]).query).items()}
    assert asked["redirect_uri"] == linkedin_oauth.redirect_uri
    assert "w_organization_social" in asked["scope"].split()
    assert (
        "linkedin: connected as Camille Martin (urn:li:person:x1); it posts as the page Hétis "
        f"({PAGE}), now its author in config.toml; the token expires on "
    ) in out

    config = (project / "config.toml").read_text()
    assert f'author = "{PAGE}"' in config and "urn:li:organization:0" not in config
    assert "# The officer's web page" in config, "the officer's comments are kept"
    stored = entry()
    expires = datetime.fromisoformat(stored["expires_at"])
    assert before + timedelta(days=59, hours=23) < expires < before + timedelta(days=60, hours=1)
    assert stored["refresh_token"] == "AQXrefresh" and stored["author"] == PAGE
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "postsched" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # Live: status says where the token is, whom it posts as and when it expires; the daemon
    # posts as the page with the connected token, none in the environment.
    (project / "config.toml").write_text(
        config.replace('mode = "dry-run"\nauthor', 'mode = "live"\nauthor')
    )
    assert run("init").code == 0
    channel = json.loads(run("status", "--json").out)["channels"]["linkedin"]
    assert channel["token_source"] == str(path)
    assert channel["token_account"] == f"Hétis ({PAGE})"
    assert channel["token_expires"] == expires.date().isoformat()
    online = run("check", "--online")
    assert (
        f"linkedin: posts as the page Hétis ({PAGE}), through Camille Martin's token; its token "
        f"({path}) expires on {show_date(expires.date())}." in online.out
    ), online.out + online.err
    assert run("add", "linkedin", "--at", "now", "--text", "Une annonce (pour la page)").code == 0
    assert run("daemon", "--once").code == 0
    assert [(p["auth"], p["author"]) for p in linkedin_oauth.posts] == [("Bearer AQVtoken-1", PAGE)]


def test_a_member_who_administers_no_page_stores_nothing(
    project: Path, linkedin_oauth: LinkedInOAuth
) -> None:
    linkedin_oauth.pages = [(PAGE, "ANALYST")]
    config = (project / "config.toml").read_text()
    code, _, err = connect(project)
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "Error: Camille Martin (urn:li:person:x1) administers no LinkedIn page: ask a Super admin "
        "of the school's page to give you the Super admin or Content admin role, or connect with "
        "--author me to post as yourself; nothing was stored."
    )
    assert (project / "config.toml").read_text() == config
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "postsched" / "credentials.json").exists()


def test_several_pages_are_chosen_with_author(project: Path, linkedin_oauth: LinkedInOAuth) -> None:
    linkedin_oauth.pages = [(PAGE, "ADMINISTRATOR"), (OTHER_PAGE, "CONTENT_ADMINISTRATOR")]
    code, _, err = connect(project)
    assert code == 1
    assert f"may post as several authors ({PAGE}, {OTHER_PAGE}, urn:li:person:x1)" in err
    code, out, err = connect(project, "--author", OTHER_PAGE)
    assert code == 0, err
    assert f"it posts as the page Hétis Formation ({OTHER_PAGE})" in out
    assert f'author = "{OTHER_PAGE}"' in (project / "config.toml").read_text()
    code, out, err = connect(project, "--author", "me")
    assert code == 0, err
    assert 'author = "urn:li:person:x1"' in (project / "config.toml").read_text()


def test_without_the_app_credentials_connect_says_which_variables(
    project: Path, linkedin_oauth: LinkedInOAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTSCHED_LINKEDIN_CLIENT_SECRET")
    result = run("connect", "linkedin", "--no-browser")
    assert result.code == 1
    assert result.err.strip() == (
        "Error: LinkedIn needs your app's client id and secret: set "
        "POSTSCHED_LINKEDIN_CLIENT_SECRET in the environment (from the app's Auth tab, "
        "docs/going-live.md); nothing was stored."
    )


def test_a_token_in_its_last_week_is_renewed_before_a_post(
    project: Path, linkedin_oauth: LinkedInOAuth
) -> None:
    assert connect(project)[0] == 0
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "postsched" / "credentials.json"
    data = json.loads(path.read_text())
    soon = datetime.now(UTC) + timedelta(days=3)
    data["channels"]["linkedin"]["expires_at"] = soon.isoformat(timespec="seconds")
    path.write_text(json.dumps(data))
    config = (project / "config.toml").read_text()
    (project / "config.toml").write_text(
        config.replace('mode = "dry-run"\nauthor', 'mode = "live"\nauthor')
    )
    assert run("init").code == 0
    assert run("add", "linkedin", "--at", "now", "--text", "Après renouvellement").code == 0
    result = run("daemon", "--once")
    assert result.code == 0, result.err
    assert [p["auth"] for p in linkedin_oauth.posts] == ["Bearer AQVtoken-2"]
    renewed = entry()
    assert renewed["access_token"] == "AQVtoken-2"
    assert datetime.fromisoformat(renewed["expires_at"]) > datetime.now(UTC) + timedelta(days=59)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_disconnect_revokes_the_linkedin_token(
    project: Path, linkedin_oauth: LinkedInOAuth
) -> None:
    assert connect(project)[0] == 0
    result = run("disconnect", "linkedin")
    assert result.code == 0, result.err
    assert result.out.strip() == "linkedin: the token is revoked and forgotten."
    assert linkedin_oauth.revoked == ["Bearer AQVtoken-1"]
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "postsched" / "credentials.json"
    assert "linkedin" not in json.loads(path.read_text())["channels"]
