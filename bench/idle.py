"""The idle daemon: its memory, CPU and database statements over a quiet minute.

`postsched daemon` on a throwaway copy of the shipped campaign as shipped (every channel
dry-run, the default 30 s poll, the heartbeat), initialised, with one post queued a day ahead, so
the daemon has a due time to sleep towards. After --settle seconds of start-up, the daemon's
/proc/<pid>/status (VmRSS, VmHWM) is sampled every second for --idle seconds, its CPU time
(utime + stime in /proc/<pid>/stat) is read at both ends of that window, and every SQL
statement it sends is logged with its time (bench/_counting.py, a launcher that counts them
through a SQLAlchemy event) and grouped by the second it was sent in. On SQLite, then on
PostgreSQL with --postgres URL (a database the script creates and drops). Beside it, the
floor: the memory of processes that import SQLAlchemy's ORM and the database driver, nothing
more.

    python bench/idle.py [--idle 60] [--settle 5] [--poll 30s]
                         [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from _common import (
    campaign,
    cli,
    env,
    init,
    machine,
    median,
    remove,
    seen,
    table,
    watch_machine,
)

TICKS = os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=60)
    parser.add_argument("--settle", type=int, default=5)
    parser.add_argument("--postgres", default=None, help="also on this PostgreSQL server")
    parser.add_argument("--poll", default="30s", help="[daemon] poll, the heartbeat")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    watch_machine()
    rows = [measure("SQLite", None, args)]
    if args.postgres:
        with scratch_database(args.postgres) as url:
            rows.append(measure("PostgreSQL", url, args))
    print(
        f"\n`postsched daemon`, heartbeat {args.poll}, idle {args.idle} s after {args.settle} s "
        "of start-up"
    )
    table(
        [
            "database",
            "RSS median",
            "RSS max",
            "VmHWM",
            "CPU over the window",
            "% of one core",
            "statements in the window",
            "seconds with a statement",
            "start-up CPU",
        ],
        rows,
    )
    print("\nThe floor beside it: the resident memory of a process that only imports")
    table(["process", "RSS"], [[name, f"{floor(code):.1f} MB"] for name, code in FLOORS])
    print(f"\n{seen()}")


# What any process holding the store must import, before a line of postsched runs.
FLOORS = (
    ("python -c pass", ""),
    ("import sqlalchemy.orm", "import sqlalchemy.orm"),
    (
        "import sqlalchemy.orm + SQLite dialect",
        "import sqlalchemy.orm, sqlalchemy.dialects.sqlite.pysqlite",
    ),
    (
        "import sqlalchemy.orm + psycopg dialect",
        "import sqlalchemy.orm, sqlalchemy.dialects.postgresql.psycopg, psycopg",
    ),
)


def floor(code: str) -> float:
    """VmRSS in MB of a Python process that runs `code` and nothing else."""
    read = (
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') "
        "if l.startswith('VmRSS')) / 1024)"
    )
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\n{read}"], check=True, capture_output=True, text=True
    )
    return float(done.stdout)


def measure(name: str, url: str | None, args: argparse.Namespace) -> list[object]:
    config = campaign("idle", poll=args.poll, min_gap=None, database_url=url)
    queries = config.parent / "queries.log"
    try:
        init(config)
        subprocess.run(
            [*cli(config), "add", "mastodon", "--at", "+1d", "--text", "Demain (idle)"],
            check=True,
            capture_output=True,
            env=env(),
        )
        counting = [sys.executable, str(Path(__file__).with_name("_counting.py"))]
        process = subprocess.Popen(
            [*counting, *cli(config)[1:], "daemon"],
            env=env(POSTSCHED_BENCH_QUERIES=str(queries)),
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(args.settle)
            assert process.poll() is None, "the daemon exited"
            start_cpu, start, wall = cpu(process.pid), time.monotonic(), time.time()
            samples = []
            while time.monotonic() - start < args.idle:
                time.sleep(1)
                samples.append(memory(process.pid))
            end_cpu, elapsed, end_wall = cpu(process.pid), time.monotonic() - start, time.time()
            peak = memory(process.pid, "VmHWM")
            assert process.poll() is None, "the daemon exited"
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        stamps = [float(line.split()[0]) for line in queries.read_text().splitlines()]
        window = [t for t in stamps if wall <= t <= end_wall]
        bursts = Counter(int(t - wall) for t in window)
        print(f"\n{name}: statements by second of the window (second: count): {dict(bursts)}")
    finally:
        remove(config)
    used = end_cpu - start_cpu
    return [
        name,
        f"{median(samples):.1f} MB",
        f"{max(samples):.1f} MB",
        f"{peak:.1f} MB",
        f"{used:.2f} s",
        f"{100 * used / elapsed:.3f} %",
        len(window),
        f"{len(bursts)} (at s {', '.join(str(s) for s in sorted(bursts))})",
        f"{start_cpu:.2f} s",
    ]


class scratch_database:
    """A PostgreSQL database created on the server of `url`, dropped at the end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"postsched_bench_{os.getpid()}"

    def __enter__(self) -> str:
        import psycopg

        with psycopg.connect(libpq(self.url), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{self.name}"')
        return f"{self.url.rpartition('/')[0]}/{self.name}"

    def __exit__(self, *_exc: object) -> None:
        import psycopg

        with psycopg.connect(libpq(self.url), autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def memory(pid: int, field: str = "VmRSS") -> float:
    """A /proc/<pid>/status size, in MB (MiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def cpu(pid: int) -> float:
    """utime + stime of the process, in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / TICKS


if __name__ == "__main__":
    main()
