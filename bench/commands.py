"""Commands on a 10,000-post database: `queue`, `show`, `status` and `add`, whole processes.

A throwaway copy of the shipped campaign whose database holds --posts scheduled posts (filled
as bench/scale.py fills it). Each command runs --runs times as its own process after 2 warm-up
runs, stdout and stderr discarded (`add` through `sh -c 'exec postsched add …'`, for a new text
each run); the median is reported, with the fastest and slowest, beside
the floors: `python -c pass` (the interpreter), `import sqlalchemy.orm` (the library the store
is written with), `postsched --help` and, if it installs, `toot --help` (bench/startup.py). Then
`python -X importtime` of `postsched queue` says where the time goes. SQLite, then PostgreSQL
(127.0.0.1:5432, a database created and dropped) unless --sqlite-only.

    python bench/commands.py [--posts 10000] [--runs 11] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import shlex
import sys

from _common import BIN, cli, env, machine, median, remove, run_times, seen, table, watch_machine
from scale import database, postgres_unavailable, prepare
from startup import imports, install_toot, version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    watch_machine()

    floors = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("python -c 'import sqlalchemy.orm'", [sys.executable, "-c", "import sqlalchemy.orm"]),
        ("postsched --help", [str(BIN / "postsched"), "--help"]),
    ]
    toot, why = install_toot()
    if toot is not None:
        floors.append((f"toot --help ({version(toot)})", [str(toot), "--help"]))
    rows = [timed(name, command, args.runs) for name, command in floors]
    backends = ["sqlite"]
    if not args.sqlite_only and postgres_unavailable() is None:
        backends.append("postgresql")
    profile: list[tuple[str, float]] = []
    for backend in backends:
        with database(backend) as url:
            config, _ = prepare(url, backend, {"future": args.posts})
            try:
                base = cli(config)
                for name, rest in [
                    ("queue", ["queue"]),
                    ("show 5000", ["show", "5000"]),
                    ("status", ["status"]),
                ]:
                    rows.append(timed(f"{backend}: postsched {name}", [*base, *rest], args.runs))
                # Each `add` its own text (a repeated text is refused): the shell's process id,
                # through `sh -c 'exec …'`, which adds about a millisecond.
                add = " ".join(shlex.quote(part) for part in base)
                add += ' add mastodon --at +3d --text "Mesure $$ (bench)"'
                rows.append(
                    timed(f"{backend}: postsched add", ["sh", "-c", f"exec {add}"], args.runs)
                )
                if backend == "sqlite":
                    profile = imports("postsched queue", ["--config", str(config), "queue"])
            finally:
                remove(config)
    print(f"\n{args.posts:,} scheduled posts; wall time, {args.runs} runs each")
    table(["command", "median", "fastest", "slowest"], rows)
    if toot is None:
        print(f"\ntoot left out: {why}")
    print("\n`postsched queue` on SQLite: python -X importtime, self time by package, one run")
    table(["package", "import time"], [[name, f"{ms:.1f} ms"] for name, ms in profile])
    print(f"\n{seen()}")


def timed(name: str, command: list[str], runs: int) -> list[str]:
    run_times(command, 2, env=env())  # warm the page cache and the .pyc files
    times = run_times(command, runs, env=env())
    return [name, f"{median(times):.3f} s", f"{min(times):.3f} s", f"{max(times):.3f} s"]


if __name__ == "__main__":
    main()
