"""How late the daemon publishes: published_at - due_at, with the daemon running.

A throwaway copy of the shipped campaign (both channels dry-run, min_gap 0), a daemon started
as its own process, then posts queued while it runs, due a few seconds ahead at distinct
seconds on both channels, exactly as `postsched add CHANNEL --at +Ns` queues them. Prints p50,
p99 and max lateness.

    python bench/lateness.py [--posts 40] [--seconds 10] [--lead 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=10, help="distinct due seconds")
    parser.add_argument("--lead", type=int, default=5, help="first post due this many s ahead")
    parser.add_argument("--poll", default="15s", help="the daemon's [daemon] poll")
    args = parser.parse_args()

    from posts.officer import AddRequest
    from scheduler.app import App

    folder = Path(tempfile.mkdtemp(prefix="postsched-bench-"))
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    shutil.copytree(ROOT / "templates", folder / "templates")
    config_path = folder / "config.toml"
    text = config_path.read_text().replace('min_gap = "2h"', 'min_gap = "0s"')
    config_path.write_text(text.replace('poll = "15s"', f'poll = "{args.poll}"'))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-m", "scheduler", "--config", str(config_path)]
    subprocess.run([*cli, "init"], check=True, capture_output=True, env=env)
    daemon = subprocess.Popen([*cli, "daemon"], env=env, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)  # the daemon is up and idle
        app = App(config_path=config_path)
        channels = list(app.config.channels)
        start = datetime.now(UTC) + timedelta(seconds=args.lead)
        for n in range(args.posts):
            due = start + timedelta(seconds=n % args.seconds)
            request = AddRequest(
                channel=channels[n % len(channels)],
                at=due,
                text=f"Mesure de ponctualité n° {n} (postsched)",
            )
            app.officer.add(request, datetime.now(UTC))
        deadline = time.monotonic() + args.lead + args.seconds + 30
        database = folder / "postsched.db"
        while time.monotonic() < deadline:
            with sqlite3.connect(database, timeout=30) as db:
                query = "select count(*) from posts where status != 'published'"
                (left,) = db.execute(query).fetchone()
            if left == 0:
                break
            time.sleep(0.2)
        with sqlite3.connect(database) as db:
            rows = db.execute("select due_at, published_at from posts").fetchall()
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    late = sorted(
        (datetime.fromisoformat(p) - datetime.fromisoformat(d)).total_seconds()
        for d, p in rows
        if p is not None
    )
    missing = len(rows) - len(late)
    p99 = late[min(len(late) - 1, round(0.99 * (len(late) - 1)))]
    print(
        f"posts: {len(rows)} on {len(channels)} dry-run channels, due at {args.seconds} "
        f"distinct seconds; unpublished: {missing}"
    )
    print("| measure | seconds |")
    print("| --- | --- |")
    print(f"| p50 lateness | {statistics.median(late):.3f} |")
    print(f"| p99 lateness | {p99:.3f} |")
    print(f"| max lateness | {late[-1]:.3f} |")
    print(f"| min lateness | {late[0]:.3f} |")


if __name__ == "__main__":
    main()
