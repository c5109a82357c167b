"""The AT Protocol reference server (PLC directory and PDS, @atproto/dev-env) for the tests.

The pinned npm packages (tests/bluesky/package-lock.json) are installed once into a cache
folder outside the repository, keyed by the lockfile's hash (~/.cache/postsched-bluesky/<hash>,
or $POSTSCHED_BLUESKY_CACHE/<hash>); the servers are started once per test session on free
loopback ports, with their data under a temporary folder removed when they stop (a second
one with its rate limits on for the 429 tests). `Proxy` stands between postsched and the PDS
to inject 500s, 429s and lost answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent / "bluesky"
JWT_SECRET = b"jwt-secret"  # dev-env's constant (@atproto/dev-env dist/const.js)
ACCOUNT_PASSWORD = "the-account-password-never-used"  # untranslated: test data


class Unavailable(Exception):
    """Node or npm is missing, or the pinned packages cannot be installed: why, in a line."""


@dataclass
class Pds:
    url: str
    plc: str
    process: subprocess.Popen[bytes]
    tmp: Path

    def xrpc(self, method: str) -> str:
        return f"{self.url}/xrpc/{method}"


@dataclass(frozen=True)
class Account:
    handle: str
    did: str
    app_password: str
    access_jwt: str


def node_prefix(node: str) -> str:
    """The prefix of the installed Node: the folder whose include/node holds its headers,
    which node-gyp needs to build better-sqlite3 offline."""
    return str(Path(os.path.realpath(node)).parent.parent)


def installed(folder: Path) -> bool:
    """Whether the folder holds a finished install (an interrupted or clobbered one does not)."""
    return (folder / ".installed").exists() and (
        folder / "node_modules" / "@atproto" / "dev-env" / "package.json"
    ).exists()


def install() -> Path:
    """The cache folder holding the pinned packages, installed there the first time.

    Several test runs may start at once (worktrees of one machine share the cache): the
    install holds a lock, runs `npm ci` in a folder of its own and renames it into place when
    it is complete, so no run ever sees, or clobbers, a half-made node_modules."""
    import fcntl

    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise Unavailable("Node.js and npm are not installed (apt-get install nodejs npm)")
    lock = (HERE / "package-lock.json").read_bytes()
    key = hashlib.sha256(lock).hexdigest()[:16]
    cache = os.environ.get("POSTSCHED_BLUESKY_CACHE")
    base = Path(cache) if cache else Path.home() / ".cache" / "postsched-bluesky"
    folder = base / key
    if installed(folder):
        return folder
    base.mkdir(parents=True, exist_ok=True)
    with (base / f"{key}.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # released when the file closes, even on a crash
        if installed(folder):  # another run installed it while this one waited
            return folder
        staging = base / f"{key}.installing-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name in ("package.json", "package-lock.json"):
            shutil.copy(HERE / name, staging / name)
        result = subprocess.run(
            [npm, "ci", f"--nodedir={node_prefix(node)}", "--no-audit", "--no-fund"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise Unavailable(f"npm ci of @atproto/dev-env failed: {' / '.join(tail)}")
        (staging / ".installed").write_text(key + "\n")
        if folder.exists():  # an unfinished install from before the lock: set it aside
            stale = base / f"{key}.stale-{os.getpid()}"
            folder.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
        staging.rename(folder)
    return folder


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(*, rate_limits: bool = False) -> Pds:
    """PLC and PDS on free loopback ports. `rate_limits`: the PDS enforces its rate limits
    (createSession: 30 per 5 minutes per identifier) and sends RateLimit-* headers, as
    bsky.social does; dev-env leaves them off otherwise."""
    folder = install()
    tmp = Path(tempfile.mkdtemp(prefix="postsched-pds-"))
    log = (tmp / "server.log").open("wb")
    # The script runs from this checkout, its packages from the shared cache (NODE_PATH).
    env = {
        **os.environ,
        "TMPDIR": str(tmp),
        "NODE_ENV": "test",
        "NODE_PATH": str(folder / "node_modules"),
    }
    ports = [str(free_port()), str(free_port())]
    process = subprocess.Popen(
        [shutil.which("node") or "node", str(HERE / "start-pds.js"), *ports]
        + (["--rate-limits"] if rate_limits else []),
        cwd=tmp,
        env=env,
        stdin=subprocess.PIPE,  # closed when this process ends, however: the server stops too
        stdout=subprocess.PIPE,
        stderr=log,
        start_new_session=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # printed once both servers answer
    if not line:
        process.wait(timeout=10)
        log.close()
        text = (tmp / "server.log").read_text(errors="replace")[-2000:]
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"the PDS did not start: {text}")
    urls = json.loads(line)
    pds = Pds(url=urls["pds"], plc=urls["plc"], process=process, tmp=tmp)
    deadline = time.monotonic() + 30
    while requests.get(pds.xrpc("_health"), timeout=2).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the PDS never answered /xrpc/_health")
        time.sleep(0.1)
    return pds


def stop(pds: Pds) -> None:
    pds.process.send_signal(signal.SIGTERM)
    try:
        pds.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pds.process.kill()
        pds.process.wait()
    shutil.rmtree(pds.tmp, ignore_errors=True)


def create_account(pds: Pds, handle: str) -> Account:
    """An account and an app password for it (the password postsched is given)."""
    made = requests.post(
        pds.xrpc("com.atproto.server.createAccount"),
        json={"handle": handle, "email": f"contact@{handle}", "password": ACCOUNT_PASSWORD},
        timeout=30,
    )
    made.raise_for_status()
    session = made.json()
    app = requests.post(
        pds.xrpc("com.atproto.server.createAppPassword"),
        headers={"Authorization": f"Bearer {session['accessJwt']}"},
        json={"name": "postsched"},
        timeout=30,
    )
    app.raise_for_status()
    return Account(handle, session["did"], app.json()["password"], session["accessJwt"])


def expired(jwt: str) -> str:
    """The same token, its expiry an hour ago, signed again with dev-env's JWT secret: what
    the server holds after two hours of a session, without waiting for them."""
    head, body, _ = jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["exp"] = int(time.time()) - 3600
    claims["iat"] = claims["exp"] - 7200
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    signed = f"{head}.{payload}".encode()
    signature = hmac.new(JWT_SECRET, signed, hashlib.sha256).digest()
    return f"{head}.{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def records(pds: Pds, did: str) -> list[dict[str, Any]]:
    """Every post record of the account, as listRecords gives them back."""
    answer = requests.get(
        pds.xrpc("com.atproto.repo.listRecords"),
        params={"repo": did, "collection": "app.bsky.feed.post", "limit": 100},
        timeout=30,
    )
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["records"]
    return found


if __name__ == "__main__":  # install only: `python -m tests.bluesky_server`
    print(install(), file=sys.stderr)


class Proxy(http.server.ThreadingHTTPServer):
    """A loopback proxy to the PDS that forwards every request, except where `faults` says
    otherwise. `faults(xrpc_method, n)`, n counting that method's requests from 1, answers:

    - "pass": forwarded, its answer returned as the PDS gave it (headers included);
    - "500": answered 500 at once, the PDS never sees the request;
    - "429": answered 429 RateLimitExceeded at once, RateLimit-Reset (epoch seconds) two
      seconds ahead, as the PDS's own limiter says it;
    - "lose": forwarded (the PDS does the work), then the connection is closed unanswered;
    - "500-after": forwarded, then answered 500: the work is done, the answer says it failed;
    - "hold": forwarded, then held unanswered until `release` is set (the test kills the
      client meanwhile); `holding` is set while it waits.

    `seen` keeps (xrpc_method, fault, status or None) for every request, in order."""

    daemon_threads = True

    def __init__(self, target: str, faults: Callable[[str, int], str] | None = None):
        self.target = target
        self.faults = faults or (lambda method, n: "pass")
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.seen: list[tuple[str, str, int | None]] = []
        self.holding = threading.Event()
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> Proxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()

    def fired(self, fault: str, method: str | None = None) -> int:
        with self.lock:
            return sum(1 for m, f, _ in self.seen if f == fault and method in (None, m))


# Hop-by-hop headers, and those `requests` has already undone (it decodes the body).
_NOT_FORWARDED = {"connection", "transfer-encoding", "content-encoding", "content-length"}


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: Proxy
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _forward(self) -> None:
        method = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
        with self.server.lock:
            self.server.counts[method] += 1
            fault = self.server.faults(method, self.server.counts[method])
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if fault == "429":
            self._record(method, fault, 429)
            reset = str(int(time.time()) + 2)
            headers = {"Content-Type": "application/json", "RateLimit-Reset": reset}
            self._answer(
                429, headers, b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}'
            )
            return
        if fault == "500":
            self._record(method, fault, 500)
            self._answer(
                500, {"Content-Type": "application/json"}, b'{"error":"InternalServerError"}'
            )
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        answer = requests.request(
            self.command, self.server.target + self.path, headers=headers, data=body, timeout=60
        )
        if fault in ("lose", "hold"):
            self._record(method, fault, None)
            if fault == "hold":
                self.server.holding.set()
                self.server.release.wait(60)
            self.close_connection = True
            return  # the PDS did the work; the client hears nothing
        if fault == "500-after":
            self._record(method, fault, 500)
            self._answer(
                500, {"Content-Type": "application/json"}, b'{"error":"InternalServerError"}'
            )
            return
        self._record(method, fault, answer.status_code)
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in _NOT_FORWARDED}
        self._answer(answer.status_code, kept, answer.content)

    def _record(self, method: str, fault: str, status: int | None) -> None:
        with self.server.lock:
            self.server.seen.append((method, fault, status))

    def _answer(self, status: int, headers: dict[str, str], content: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = _forward
