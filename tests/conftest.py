"""Shared fixtures: a throwaway campaign folder, the CLI run in-process, and databases.

Every test gets its own copy of the shipped config.toml and templates/ in a temporary folder,
and its own SQLite file there. PostgreSQL tests get a database of their own, created and
dropped around the test.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

from posts.language import set_language
from scheduler.cli import main

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "POSTSCHED_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def new_id(self) -> int:
        """The id of the post `postsched add` queued, read from the sentence it printed."""
        match = re.fullmatch(r"Post (\d+) queued on \S+ for .+\.\n", self.out)
        assert match, f"add printed no sentence with the new post's id: {self.out!r} {self.err!r}"
        return int(match.group(1))


@pytest.fixture(autouse=True)
def _clean_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for name in ("POSTSCHED_CONFIG", "POSTSCHED_DATABASE_URL", "CREDENTIALS_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("POSTSCHED_LINKEDIN_CLIENT_ID", "POSTSCHED_LINKEDIN_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    # The suite speaks English unless a test asks for French (tests/test_language.py): the
    # shipped campaign is French, and a test's sentences are the code's own.
    monkeypatch.setenv("POSTSCHED_LANG", "en")
    set_language("en")
    # No test asks the shipped campaign's real links on the internet (tests/test_link_health.py
    # asks local servers, and removes this).
    monkeypatch.setenv("POSTSCHED_LINKS_CHECK", "never")
    # `postsched connect` keeps tokens under $XDG_CONFIG_HOME: never the person's own folder.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped campaign in a fresh folder, which becomes the working directory."""
    shutil.copy(ROOT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def planned(project: Path) -> Path:
    """An initialised database holding the shipped campaign, planned as drafts; its path."""
    result = run("init")
    assert result.code == 0, result.err
    result = run("plan", "--as-of", "2026-01-05T08:00")
    assert result.code == 0, result.err
    db = project / "postsched.db"
    assert db.is_file() and "24 posts inserted" in result.out  # 8 a channel, 3 channels
    return db


def run(*args: str) -> Result:
    """Run the postsched command line in this process, as the console script does."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Result(code, out.getvalue(), err.getvalue())


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(_libpq(POSTGRES_URL), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL at {POSTGRES_URL}: {str(exc).strip().splitlines()[0]}"


def skip_or_fail(reason: str, require_env: str, *, required: str, skipped: str) -> NoReturn:
    """A service a test needs is missing: fail where `require_env`=1 (CI), else skip."""
    if os.environ.get(require_env) == "1":
        pytest.fail(f"{required} ({require_env}=1): {reason}")
    pytest.skip(skipped)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    reason = postgres_available()
    if reason is not None:
        skip_or_fail(
            reason,
            "POSTSCHED_REQUIRE_POSTGRES",
            required="PostgreSQL is required here",
            skipped=f"PostgreSQL tests skipped: {reason} (set POSTSCHED_TEST_POSTGRES_URL)",
        )
    import psycopg

    name = f"postsched_test_{uuid.uuid4().hex[:12]}"
    admin = _libpq(POSTGRES_URL)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def mastodon_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """mastodon-mock as its own process, from an empty folder, on a free loopback port."""
    import subprocess
    import sys
    import time

    import requests

    port = free_port()  # its `--port 0` means 3000
    folder = tmp_path_factory.mktemp("mastodon-mock")
    (folder / "media").mkdir()
    (folder / "mock.toml").write_text(f'media_storage_path = "{folder / "media"}"\n')
    exe = Path(sys.executable).with_name("mastodon_mock")
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [
            str(exe),
            "serve",
            "--config",
            str(folder / "mock.toml"),
            "--in-memory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/health", timeout=0.5).text == "OK":
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                f"mastodon-mock did not start: {(folder / 'server.log').read_text()}"
            )
        time.sleep(0.05)
    yield url
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.fixture
def mastodon(mastodon_server: str) -> str:
    """The session's mastodon-mock, emptied (statuses, keys, fault rules) for this test."""
    import requests

    requests.post(f"{mastodon_server}/api/v1/_mock/reset", timeout=10).raise_for_status()
    return mastodon_server


MASTODON_TOKEN = "mock_token"  # mastodon-mock's seeded account, testuser


def mastodon_statuses(url: str, token: str = MASTODON_TOKEN) -> list[dict[str, Any]]:
    """Every status the account holds on the server, oldest first, paging 40 at a time."""
    import requests

    headers = {"Authorization": f"Bearer {token}"}
    me = requests.get(f"{url}/api/v1/accounts/verify_credentials", headers=headers, timeout=10)
    out: list[dict[str, Any]] = []
    page: str | None = f"{url}/api/v1/accounts/{me.json()['id']}/statuses?limit=40"
    while page:
        response = requests.get(page, headers=headers, timeout=10)
        batch = response.json()
        out += batch
        page = response.links.get("next", {}).get("url") if batch else None
    return list(reversed(out))


def plain(html_text: str) -> str:
    """A status's HTML content as plain text."""
    import html
    import re

    text = re.sub(r"<br\s*/?>", "\n", html_text)
    text = re.sub(r"</p><p>", "\n\n", text)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@dataclass
class WebProcess:
    """`postsched web` running as its own process; `err` is its stderr once it has stopped."""

    port: int
    process: subprocess.Popen[str]
    err: str = ""


@contextlib.contextmanager
def web_process(
    folder: Path, password_hash: str, *args: str, host: str = "127.0.0.1"
) -> Iterator[WebProcess]:
    """`postsched [args] web --host HOST --port P` in `folder`, once it answers; SIGTERM after."""
    import requests

    port = free_port()
    env = {**os.environ, "POSTSCHED_WEB_PASSWORD_HASH": password_hash}
    exe = Path(sys.executable).with_name("postsched")
    process = subprocess.Popen(
        [str(exe), *args, "web", "--host", host, "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    running = WebProcess(port, process)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"http://{host}:{port}/login", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "postsched web did not answer"
                time.sleep(0.1)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        _out, running.err = process.communicate(timeout=20)


def _start_pds(**options: bool) -> Any:
    """A PDS, or the test skipped (failed where POSTSCHED_REQUIRE_BLUESKY=1) saying why."""
    from tests import bluesky_server

    try:
        return bluesky_server.start(**options)
    except bluesky_server.Unavailable as exc:
        skip_or_fail(
            str(exc),
            "POSTSCHED_REQUIRE_BLUESKY",
            required="the Bluesky reference server is required here",
            skipped=f"Bluesky tests skipped: {exc}",
        )


@pytest.fixture(scope="session")
def bluesky_pds() -> Iterator[Any]:
    """The AT Protocol reference server (PLC + PDS) on loopback, once per session; skipped,
    saying why, where Node or its pinned packages are missing (unless
    POSTSCHED_REQUIRE_BLUESKY=1, as in .ci/run)."""
    from tests import bluesky_server

    pds = _start_pds()
    yield pds
    bluesky_server.stop(pds)


@pytest.fixture(scope="session")
def bluesky_pds_limited() -> Iterator[Any]:
    """A second reference server, with its rate limits on (as bsky.social has them): the
    tests that drive a limit to 429 use it, so the other tests never meet one."""
    from tests import bluesky_server

    pds = _start_pds(rate_limits=True)
    yield pds
    bluesky_server.stop(pds)


@pytest.fixture
def bluesky(bluesky_pds: Any) -> Any:
    """A fresh account with an app password on the session's PDS, for this test."""
    from tests import bluesky_server

    handle = f"t{uuid.uuid4().hex[:10]}.test"
    return bluesky_server.create_account(bluesky_pds, handle)
