"""What the benchmarks share: a throwaway campaign, mastodon-mock, the daemon, tables, timers.

Not a benchmark itself. Every script imports it as `from _common import ...` (the scripts run
as `python bench/NAME.py`, so bench/ is on sys.path), and it puts the repository root on
sys.path so that `posts` and `scheduler` import from the work tree.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv's bin/: postsched, mastodon_mock
sys.path.insert(0, str(ROOT))

MOCK_TOKEN = "mock_token"  # the token mastodon-mock's CLI seed gives its account `testuser`


# the machine -------------------------------------------------------------------------------


def machine() -> str:
    """One line: cores, CPU model, kernel, Python, and whether other test runs share the CPU."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({model}), Linux {platform.release()}, "
        f"Python {platform.python_version()}; code at {commit()}; load average {load}; {busy()}"
    )


def commit() -> str:
    """The commit the work tree is at, and whether its code (outside bench/) has changes."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--", "posts", "scheduler"], capture_output=True, text=True
    ).stdout.strip()
    return head.stdout.strip() + (" with uncommitted changes to the code" if changed else "")


_seen: list[int] = []


def watch_machine() -> None:
    """From now on, count every 5 s the other pytest processes (see `seen`)."""
    import threading

    def look() -> None:
        while True:
            found = subprocess.run(["pgrep", "-f", "pytest"], capture_output=True, text=True)
            _seen.append(len([p for p in found.stdout.split() if int(p) != os.getpid()]))
            time.sleep(5)

    threading.Thread(target=look, daemon=True).start()


def seen() -> str:
    """What watch_machine saw: whether other test runs shared the CPU during the benchmark."""
    busy_looks = sum(1 for n in _seen if n)
    if not busy_looks:
        return f"no other pytest seen during the run ({len(_seen)} looks, every 5 s)"
    return (
        f"other pytest processes seen in {busy_looks} of {len(_seen)} looks (every 5 s), "
        f"up to {max(_seen)} at once: the machine was not idle"
    )


def busy() -> str:
    """Other pytest processes now running on this machine (they share the two cores)."""
    found = subprocess.run(["pgrep", "-f", "pytest"], capture_output=True, text=True).stdout
    pids = [p for p in found.split() if int(p) != os.getpid()]
    return f"{len(pids)} other pytest processes running" if pids else "no other pytest running"


# numbers and tables --------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of `values` (q in 0..1), as bench/lateness.py always reported."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a Markdown table."""
    print("| " + " | ".join(headers) + " |")
    print("| " + " | ".join("---" for _ in headers) + " |")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


def seconds(value: float) -> str:
    return f"{value:.3f} s"


def millis(value: float) -> str:
    return f"{value * 1000:.2f} ms"


class Timers:
    """Wrap methods of one object with timers: total seconds and calls per method name."""

    def __init__(self) -> None:
        self.total: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, owner: object, name: str, label: str | None = None) -> None:
        inner: Callable[..., Any] = getattr(owner, name)
        key = label or name
        self.total.setdefault(key, 0.0)
        self.calls.setdefault(key, 0)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.total[key] += time.perf_counter() - start
                self.calls[key] += 1

        setattr(owner, name, timed)  # on the instance: the class is left as it is


# a throwaway campaign ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def campaign(
    prefix: str,
    *,
    poll: str = "30s",
    min_gap: str | None = "0s",
    mastodon_url: str | None = None,
    database_url: str | None = None,
) -> Path:
    """A copy of the shipped config.toml and templates/ in a new temporary folder; its config.

    `min_gap`, `poll` and the database URL are set as given; with `mastodon_url` the mastodon
    channel is live on that (loopback) instance, its token read from POSTSCHED_MASTODON_TOKEN.
    The edits are checked by loading the config, so a change to the shipped file fails loudly.
    """
    folder = Path(tempfile.mkdtemp(prefix=f"postsched-bench-{prefix}-"))
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    shutil.copytree(ROOT / "templates", folder / "templates")
    path = folder / "config.toml"
    text = path.read_text()
    if min_gap is not None:
        text = _set(text, "campaign", "min_gap", min_gap)
    text = _set(text, "daemon", "poll", poll)
    if database_url is not None:
        text = _set(text, "database", "url", database_url)
    if mastodon_url is not None:
        if not mastodon_url.startswith(("http://127.", "http://localhost")):
            raise SystemExit(f"refusing a non-loopback Mastodon instance: {mastodon_url}")
        text = _set(text, "channels.mastodon", "mode", "live")
        text = _set(text, "channels.mastodon", "instance", mastodon_url)
    path.write_text(text)

    from scheduler.config import load_config

    config = load_config(path)
    assert min_gap is None or config.campaign.min_gap.total_seconds() == _secs(min_gap)
    assert config.daemon.poll.total_seconds() == _secs(poll)
    if mastodon_url is not None:
        mastodon = config.channels["mastodon"]
        assert mastodon.mode == "live" and mastodon.options["instance"] == mastodon_url
    return path


def _set(text: str, section: str, key: str, value: str) -> str:
    """Replace `key = ...` inside `[section]` of a TOML text (keeping its comment)."""
    header = re.search(rf"^\[{re.escape(section)}\]\s*$", text, re.MULTILINE)
    assert header, f"no [{section}] in config.toml"
    end = re.search(r"^\[", text[header.end() :], re.MULTILINE)
    stop = header.end() + (end.start() if end else len(text) - header.end())
    body = text[header.end() : stop]
    new, count = re.subn(
        rf'^({re.escape(key)}\s*=\s*)"[^"]*"', rf'\g<1>"{value}"', body, flags=re.MULTILINE
    )
    assert count == 1, f"no {key} in [{section}]"
    return text[: header.end()] + new + text[stop:]


def _secs(duration: str) -> float:
    from posts.timing import parse_duration

    return parse_duration(duration).total_seconds()


def cli(config: Path) -> list[str]:
    """The postsched command line on this config, as the console script runs it."""
    return [str(BIN / "postsched"), "--config", str(config)]


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **extra}


def init(config: Path) -> None:
    subprocess.run([*cli(config), "init"], check=True, capture_output=True, env=env())


def remove(config: Path) -> None:
    shutil.rmtree(config.parent, ignore_errors=True)


@contextlib.contextmanager
def daemon(config: Path, **extra_env: str) -> Iterator[subprocess.Popen[bytes]]:
    """`postsched daemon` as its own process; SIGTERM (finish the post in flight) at the end."""
    process = subprocess.Popen(
        [*cli(config), "daemon"], env=env(**extra_env), stderr=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# mastodon-mock -----------------------------------------------------------------------------


@contextlib.contextmanager
def mastodon_mock() -> Iterator[str]:
    """mastodon-mock as its own process: started from an empty temporary folder (so no
    pyproject or .mastodon_mock.toml configures it), on a free loopback port, `--in-memory`;
    its temporary SQLite file and media folder go to a TMPDIR inside that folder, removed after.
    Yields its base URL; the token `mock_token` posts as its seeded account."""
    import requests

    folder = Path(tempfile.mkdtemp(prefix="postsched-bench-mock-"))
    (folder / "cwd").mkdir()
    (folder / "tmp").mkdir()
    port = free_port()  # `--port 0` would bind 3000 (MASTODON-MOCK.md section 8)
    command = [str(BIN / "mastodon_mock"), "serve", "--in-memory", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"],
        cwd=folder / "cwd",
        env={**os.environ, "TMPDIR": str(folder / "tmp")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/health", timeout=1).text == "OK":
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("mastodon_mock did not start")
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def statuses_count(url: str) -> int:
    """How many statuses the mock's account holds (verify_credentials.statuses_count)."""
    import requests

    headers = {"Authorization": f"Bearer {MOCK_TOKEN}"}
    me = requests.get(f"{url}/api/v1/accounts/verify_credentials", headers=headers, timeout=10)
    me.raise_for_status()
    return int(me.json()["statuses_count"])


# waiting for the daemon ----------------------------------------------------------------------


def wait_until_published(database: Path, total: int, timeout: float) -> int:
    """Poll the SQLite file until `total` posts are published (or timeout); how many are."""
    import sqlite3

    deadline = time.monotonic() + timeout
    done = 0
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:
            (done,) = db.execute("select count(*) from posts where status = 'published'").fetchone()
        if done >= total:
            break
        time.sleep(0.2)
    return int(done)


def run_times(command: Sequence[str], runs: int, **kwargs: Any) -> list[float]:
    """Wall time of `runs` runs of a command (stdout and stderr discarded), each checked."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs
        )
        times.append(time.perf_counter() - start)
    return times
