"""Rule 6 and rule 7: a token is read from its environment variable and goes nowhere else, and
a template (user content) can read neither the environment nor a file.

Live channels against mastodon-mock and a local LinkedIn server that echoes the bearer token in
its refusals, as a careless proxy would; dry-run copies of both channels so there is an outbox.
Every command an officer or cron would run, on success and on failure (401, 422, 500), with and
without -v; then every byte the project folder holds (the SQLite file, its -wal and -shm kept
alive by an open connection, the outbox, exports) and every captured output is searched for
each token.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from posts.campaign import Subject
from posts.errors import TemplateError
from posts.rendering import Renderer
from scheduler.config import load_config
from tests import test_linkedin
from tests.conftest import MASTODON_TOKEN, mastodon_statuses, run

ROOT = Path(__file__).resolve().parent.parent
LINKEDIN_TOKEN = "tok-SECRET-linkedin-91c2"
MASTODON_WRONG = "tok-SECRET-mastodon-7f3a"  # mastodon-mock knows only `mock_token`
SECRETS = (LINKEDIN_TOKEN, MASTODON_WRONG, MASTODON_TOKEN)


@dataclass
class LinkedIn:
    """Answers as LinkedIn does, but puts the caller's Authorization header in every refusal.
    The commentary chooses: `cas-401`, `cas-422`, `cas-500-json`, `cas-500-texte`, else 201."""

    authorizations: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    refuse_userinfo: bool = False

    def _refusal(self, status: int, message: str, auth: str) -> Response:
        body = {"message": f"{message} (request had Authorization: {auth})", "status": status}
        return Response(json.dumps(body), status=status, content_type="application/json")

    def posts(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        self.authorizations.append(auth)
        if auth != f"Bearer {LINKEDIN_TOKEN}":
            return self._refusal(401, "Invalid access token", auth)
        commentary = str(request.get_json()["commentary"])
        if "cas-401" in commentary:
            return self._refusal(401, "The token used in the request has been revoked", auth)
        if "cas-422" in commentary:
            return self._refusal(422, "ERROR :: /commentary :: rejected", auth)
        if "cas-500-texte" in commentary:
            return Response(f"upstream failed for {auth}", status=500, content_type="text/plain")
        if "cas-500-json" in commentary:
            return self._refusal(500, "Internal Server Error", auth)
        urn = f"urn:li:share:{7200000000000000000 + len(self.created)}"
        self.created.append(commentary)
        return Response("", status=201, headers={"x-restli-id": urn})

    def userinfo(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        self.authorizations.append(auth)
        if self.refuse_userinfo or auth != f"Bearer {LINKEDIN_TOKEN}":
            return self._refusal(401, "Invalid access token", auth)
        return Response(json.dumps({"sub": "x1", "name": "Hétis"}), content_type="application/json")


PREVIEWS = """
[channels.mastodon-preview]
type = "mastodon"
mode = "dry-run"
instance = "{mastodon}"
token_env = "POSTSCHED_MASTODON_TOKEN"

[channels.linkedin-preview]
type = "linkedin"
mode = "dry-run"
author = "urn:li:organization:0"
api_url = "{linkedin}"
api_version = "202611"
token_env = "POSTSCHED_LINKEDIN_TOKEN"
"""


@pytest.fixture
def live(
    project: Path, mastodon: str, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> LinkedIn:
    fake = LinkedIn()
    httpserver.expect_request("/rest/posts", method="POST").respond_with_handler(fake.posts)
    httpserver.expect_request("/v2/userinfo").respond_with_handler(fake.userinfo)
    test_linkedin.serve_page(httpserver)
    linkedin = httpserver.url_for("/").rstrip("/")
    text = (project / "config.toml").read_text()
    for old, new in (
        ('min_gap = "2h"', 'min_gap = "0s"'),
        ('mode = "dry-run"                # "live" publishes for real', 'mode = "live"'),
        ('instance = "https://mastodon.example"', f'instance = "{mastodon}"'),
        ('mode = "dry-run"\nauthor', 'mode = "live"\nauthor'),
        ('api_url = "https://api.linkedin.com"', f'api_url = "{linkedin}"'),
        ('author = "urn:li:organization:0"', f'author = "{test_linkedin.AUTHOR}"'),
    ):
        assert old in text, old
        text = text.replace(old, new)
    text += PREVIEWS.format(mastodon=mastodon, linkedin=linkedin)
    (project / "config.toml").write_text(text)
    monkeypatch.setenv("POSTSCHED_MASTODON_TOKEN", MASTODON_TOKEN)
    monkeypatch.setenv("POSTSCHED_LINKEDIN_TOKEN", LINKEDIN_TOKEN)
    return fake


class Recorder:
    """Runs postsched as a process (or in this one) and keeps every byte it printed."""

    def __init__(self, project: Path):
        self.project = project
        self.outputs: list[tuple[str, str]] = []

    def cli(self, *args: str, env: dict[str, str] | None = None, code: int = 0) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "scheduler", *args],
            cwd=self.project,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        )
        self.outputs.append((" ".join(args), result.stdout + result.stderr))
        assert result.returncode == code, (args, result.stdout, result.stderr)
        return result.stdout + result.stderr

    def inproc(self, *args: str, code: int = 0) -> str:
        result = run(*args)
        self.outputs.append((" ".join(args), result.out + result.err))
        assert result.code == code, (args, result.out, result.err)
        return result.out + result.err


@pytest.fixture
def recorder(project: Path) -> Recorder:
    return Recorder(project)


@pytest.fixture
def wal_kept(project: Path) -> Iterator[None]:
    """Hold a connection on the database so SQLite keeps its -wal and -shm files to be read."""
    assert run("init").code == 0
    connection = sqlite3.connect(project / "postsched.db")
    connection.execute("select count(*) from posts").fetchall()
    yield
    connection.close()


def add_mastodon_fault(mastodon: str, status: int, message: str) -> None:
    requests.post(
        f"{mastodon}/api/v1/_mock/faults",
        json={
            "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
            "effect": {"type": "status", "status": status, "body": {"error": message}},
            "count": 1,
        },
        timeout=10,
    ).raise_for_status()


def events_of(project: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(project / "postsched.db") as db:
        return db.execute("select post_id, event, detail from events order by id").fetchall()


@pytest.mark.slow
def test_no_token_reaches_the_database_the_folder_or_any_output(
    project: Path,
    mastodon: str,
    live: LinkedIn,
    recorder: Recorder,
    wal_kept: None,
) -> None:
    cli, inproc = recorder.cli, recorder.inproc
    wrong_mastodon = {"POSTSCHED_MASTODON_TOKEN": MASTODON_WRONG}

    # Set up, plan and check, the tokens good.
    cli("check")
    assert "mastodon: posts as" in cli("check", "--online")
    cli("plan", "--as-of", "2026-01-05T08:00")
    inproc("plan", "--dry-run", "--json")

    # Success on every channel, quietly and with -v.
    for channel in ("mastodon", "linkedin", "mastodon-preview", "linkedin-preview"):
        inproc("add", channel, "--at", "now", "--text", f"Tout va bien sur {channel}")
    assert "4 posts handled" in cli("daemon", "--once")
    inproc("add", "mastodon", "--at", "now", "--text", "Encore un, en mode bavard")
    inproc("add", "linkedin", "--at", "now", "--text", "Encore un, en mode bavard")
    verbose = cli("-v", "daemon", "--once")
    assert "POST http" in verbose, "the debug log shows the requests (without their headers)"

    # LinkedIn refuses: 500 (JSON and text), 422, then 401 (the channel is paused).
    for marker in ("cas-500-json", "cas-500-texte", "cas-422"):
        inproc("add", "linkedin", "--at", "now", "--text", f"Refusé {marker}")
    cli("-v", "daemon", "--once")
    inproc("add", "linkedin", "--at", "now", "--text", "Révoqué cas-401")
    cli("daemon", "--once")

    # Mastodon refuses: a 500 and a 422 that quote the token, then the wrong token (401).
    add_mastodon_fault(mastodon, 500, f"proxy failed with Bearer {MASTODON_TOKEN}")
    inproc("add", "mastodon", "--at", "now", "--text", "Mastodon répond 500")
    cli("daemon", "--once")
    add_mastodon_fault(mastodon, 422, f"Validation failed for token {MASTODON_TOKEN}")
    inproc("add", "mastodon", "--at", "now", "--text", "Mastodon répond 422")
    cli("-v", "daemon", "--once")
    inproc("add", "mastodon", "--at", "now", "--text", "Avec le mauvais jeton")
    cli("-v", "daemon", "--once", env=wrong_mastodon)

    # The online check, refused by each network in turn.
    refused = cli("check", "--online", env=wrong_mastodon, code=1)
    assert "mastodon: Mastodon 401" in refused
    live.refuse_userinfo = True
    assert "linkedin: LinkedIn 401" in cli("-v", "check", "--online", code=1)

    # Everything the officer reads afterwards.
    for args in (
        ("status", "--json"),
        ("status",),
        ("log", "--json"),
        ("log", "--csv"),
        ("log",),
        ("queue", "--json"),
        ("export", "--csv", "schedule.csv"),
        ("export", "--ics", "schedule.ics"),
    ):
        inproc(*args)
    cli("status", "--json")
    for post_id in {p for p, _, _ in events_of(project)}:
        inproc("show", str(post_id), "--json")
        inproc("show", str(post_id))

    # Each path above was really taken, with the tokens really sent.
    happened = {(event, detail.split(":")[0]) for _, event, detail in events_of(project)}
    events = {event for event, _ in happened}
    assert {"published", "retrying", "failed", "paused"} <= events, events
    details = "\n".join(detail for _, _, detail in events_of(project))
    for what in ("LinkedIn 500", "LinkedIn 422", "LinkedIn 401", "Mastodon 500", "Mastodon 422"):
        assert what in details, what
    assert "Mastodon 401" in details
    assert f"Bearer {LINKEDIN_TOKEN}" in live.authorizations
    assert len(live.created) == 2
    assert len(mastodon_statuses(mastodon)) == 2
    assert len(list((project / "outbox").rglob("*.json"))) == 2
    assert (project / "postsched.db-wal").is_file() and (project / "postsched.db-shm").is_file()
    assert (project / "schedule.csv").is_file() and (project / "schedule.ics").is_file()

    # And now the search.
    files = [p for p in project.rglob("*") if p.is_file()]
    assert len(files) >= 15
    for secret in SECRETS:
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"{secret} in {path}"
        for command, output in recorder.outputs:
            assert secret not in output, f"{secret} printed by `postsched {command}`:\n{output}"
    assert "***" in details, "the echoed tokens were censored, not merely absent"


def test_a_token_echoed_at_the_end_of_a_long_error_page_is_not_half_written(
    project: Path, live: LinkedIn, httpserver: HTTPServer, recorder: Recorder
) -> None:
    assert run("init").code == 0
    head = "<html><body>Bad gateway. Upstream refused Authorization: Bearer "
    filler = "." * (286 - len(head))
    page = head.replace(" Upstream", filler + " Upstream") + LINKEDIN_TOKEN + "</body></html>"
    # The token straddles the 300th character: its first 14 are inside the cut, the rest not.
    assert page.index(LINKEDIN_TOKEN) == 286
    httpserver.clear()
    httpserver.expect_request("/rest/posts", method="POST").respond_with_data(
        page, status=502, content_type="text/html"
    )
    recorder.inproc("add", "linkedin", "--at", "now", "--text", "Une passerelle bavarde")
    recorder.inproc("daemon", "--once")
    assert any("LinkedIn 502" in d for _, _, d in events_of(project))
    prefix = LINKEDIN_TOKEN[:14]  # "tok-SECRET-lin": more than half the secret
    for path in project.rglob("postsched.db*"):
        assert prefix.encode() not in path.read_bytes(), path
    for args, output in recorder.outputs:
        assert prefix not in output, args


# --- templates are user content: the sandbox ----------------------------------------------

ESCAPES = [
    "{{ lipsum.__globals__.os.environ }}",
    "{{ lipsum.__globals__['os'].environ['POSTSCHED_MASTODON_TOKEN'] }}",
    "{{ config }}",
    "{{ self._TemplateReference__context }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os.environ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum | attr('__globals__') }}",
    "{{ '{0.__init__.__globals__}'.format(cycler) }}",
    # CVE-2025-27516 (Jinja2 < 3.1.6): |attr('format') reached str.format outside the sandbox.
    "{{ '{0.__class__}'|attr('format')(cycler) }}",
    "{{ '{0.__init__.__globals__[os].environ}'|attr('format')(cycler) }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% include '/etc/passwd' %}",
    "{% include '../config.toml' %}",
    "{% include '/proc/self/environ' %}",
    "{% import '../config.toml' as c %}{{ c }}",
    "{% extends '../../../../../../etc/passwd' %}",
]
SANDBOX_TOKEN = "tok-SECRET-sandbox-5d1e"
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTSCHED_MASTODON_TOKEN", SANDBOX_TOKEN)
    monkeypatch.setenv("POSTSCHED_LINKEDIN_TOKEN", SANDBOX_TOKEN)


@pytest.mark.parametrize("escape", ESCAPES)
def test_the_sandbox_refuses_to_read_the_environment_or_a_file(
    project: Path, token_in_env: None, escape: str
) -> None:
    renderer = Renderer(load_config(project / "config.toml"))
    (project / "templates" / "course" / "escape.j2").write_text(f"Formation {escape}\n")
    context = renderer.context(Subject("course", "ethique"), "promo", "mastodon", NOW)
    with pytest.raises(TemplateError) as refused:
        renderer.render("course/escape.j2", context)
    message = str(refused.value)
    assert "course/escape.j2" in message, "the refusal names the file"
    reasons = ("the sandbox refused it", "'config' is undefined", "does not exist")
    assert any(reason in message for reason in reasons), message
    assert SANDBOX_TOKEN not in message
    assert "root:" not in message and "safety_margin" not in message


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
@pytest.mark.parametrize("escape", ESCAPES)
def test_add_and_check_refuse_a_template_that_tries_to_escape(
    project: Path, token_in_env: None, escape: str, verbose: bool
) -> None:
    assert run("init").code == 0
    (project / "templates" / "course" / "escape.j2").write_text(f"Formation {escape}\n")
    flags = ["-v"] if verbose else []
    added = run(
        *flags,
        "add",
        "mastodon",
        "--at",
        "+1d",
        "--template",
        "course/escape.j2",
        "--subject",
        "course:ethique",
    )
    assert added.code == 1 and "Error: " in added.err, added
    assert json.loads(run("queue", "--json").out) == [], "nothing queued"
    # The same text as the channel's default course template: `check` and `plan` render it.
    (project / "templates" / "course" / "default.mastodon.j2").write_text(f"Formation {escape}\n")
    checked = run(*flags, "check")
    planned = run(*flags, "plan")
    assert checked.code == 1 and planned.code == 1, (checked, planned)
    for result in (added, checked, planned):
        output = result.out + result.err
        assert SANDBOX_TOKEN not in output
        assert "root:" not in output and "safety_margin" not in output
        if not verbose:
            assert "Traceback" not in output
    assert json.loads(run("queue", "--json").out) == [], "nothing planned either"
    with sqlite3.connect(project / "postsched.db") as db:
        assert db.execute("select count(*) from posts").fetchone() == (0,)


@pytest.mark.parametrize("path", ["../config.toml", "/etc/passwd", "../../../../etc/passwd"])
def test_add_refuses_a_template_path_outside_the_templates_folder(
    project: Path, token_in_env: None, path: str
) -> None:
    assert run("init").code == 0
    result = run("add", "mastodon", "--at", "+1d", "--template", path)
    assert result.code == 1 and result.err.startswith("Error: "), result
    assert "root:" not in result.err and "safety_margin" not in result.err
    assert SANDBOX_TOKEN not in result.out + result.err


def test_the_installed_jinja2_is_one_whose_sandbox_holds() -> None:
    """pyproject's floor is past CVE-2025-27516, and the Jinja2 installed meets it."""
    import re
    import tomllib
    from importlib.metadata import version

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    [requirement] = [d for d in project["project"]["dependencies"] if d.startswith("Jinja2")]
    floor = re.fullmatch(r"Jinja2>=([\d.]+)", requirement.replace(" ", ""))
    assert floor, requirement

    def parts(text: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", text)[:3])

    assert parts(floor.group(1)) >= (3, 1, 6), requirement
    assert parts(version("Jinja2")) >= parts(floor.group(1)), version("Jinja2")


# A token holding a line break (issue 13) ------------------------------------------------------

BROKEN_HEAD, BROKEN_TAIL = "tok-SECRET-head-0c41", "tok-SECRET-tail-77e2"
BROKEN_TOKEN = f"{BROKEN_HEAD}\n{BROKEN_TAIL}"


@pytest.mark.parametrize("command", [("check", "--online"), ("daemon", "--once"), ("status",)])
def test_a_token_holding_a_line_break_is_refused_at_start_naming_only_its_variable(
    project: Path, live: LinkedIn, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    assert run("init").code == 0
    assert run("plan", "--as-of", "2026-01-05T08:00").code == 0
    assert run("approve", "--all").code == 0
    monkeypatch.setenv("POSTSCHED_MASTODON_TOKEN", BROKEN_TOKEN)
    result = run(*command)
    output = result.out + result.err
    assert "$POSTSCHED_MASTODON_TOKEN" in output and "line break" in output, output
    if command[0] != "status":
        assert result.code == 1 and result.err.startswith("Error: ") and not result.out, result
        assert len(result.err.splitlines()) == 1 and "Traceback" not in result.err
    for secret in (BROKEN_HEAD, BROKEN_TAIL, "tok-SECRET"):
        assert secret not in output
    with sqlite3.connect(project / "postsched.db") as db:
        rows = db.execute("select * from posts").fetchall()
        rows += db.execute("select * from events").fetchall()
    assert all("SECRET" not in str(row) for row in rows)
    assert all(row[1] != "published" for row in db_statuses(project))
    assert mastodon_statuses(live_mastodon(project)) == []


def db_statuses(project: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(project / "postsched.db") as db:
        return db.execute("select id, status from posts").fetchall()


def live_mastodon(project: Path) -> str:
    return load_config(project / "config.toml").channels["mastodon"].options["instance"]  # type: ignore[no-any-return]


def test_the_censor_masks_every_form_of_a_token(httpserver: HTTPServer) -> None:
    from urllib.parse import quote, quote_plus

    from posts.errors import TransientError
    from scheduler.channels.http import HttpClient, HttpRequest

    client = HttpClient(BROKEN_TOKEN)
    # requests refuses the header and quotes its value, line break escaped, in its error.
    with pytest.raises(TransientError) as refused:
        client.send(HttpRequest("GET", httpserver.url_for("/api/v1/statuses")))
    assert "***" in str(refused.value)
    quoted = " ".join(
        [
            repr(BROKEN_TOKEN),
            quote(BROKEN_TOKEN),
            quote_plus(BROKEN_TOKEN),
            BROKEN_TOKEN,
            *BROKEN_TOKEN.splitlines(),
            json.dumps(BROKEN_TOKEN),
        ]
    )
    for text in (str(refused.value), client.censor(quoted)):
        for secret in (BROKEN_HEAD, BROKEN_TAIL, "0c41", "77e2"):
            assert secret not in text, text
