"""Start-up: wall time of `postsched --help` and `postsched queue`, against peers.

Each command runs --runs times as its own process (stdout and stderr discarded); the median is
reported, with the fastest and slowest run:

- `python -c pass`: the project's virtualenv interpreter doing nothing, the floor;
- `postsched --help`: the console script, nothing but the command line;
- `postsched queue`: on a small initialised database (a throwaway copy of the shipped campaign,
  `init`, then `plan`: the campaign's 16 posts, drafts);
- `toot --help`: the Mastodon CLI, installed from PyPI into a virtualenv this script creates
  under /tmp (never into the project's), kept there for the next run.

The import times of `postsched --help` and `postsched queue` (`python -X importtime`, self
time summed by top-level package) say which imports a slow start-up spends its time in.

    python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from _common import (
    BIN,
    campaign,
    cli,
    env,
    init,
    machine,
    median,
    remove,
    run_times,
    seen,
    table,
    watch_machine,
)

TOOT_VENV = Path("/tmp/postsched-bench-toot")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    watch_machine()

    toot, why = install_toot()
    config = campaign("startup", min_gap=None)
    try:
        init(config)
        subprocess.run(
            [*cli(config), "plan", "--as-of", "2026-01-05T08:00"],
            check=True,
            capture_output=True,
            env=env(),
        )
        commands = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("postsched --help", [str(BIN / "postsched"), "--help"]),
            ("postsched queue (16 posts)", [*cli(config), "queue"]),
        ]
        if toot is not None:
            commands.append((f"toot --help ({version(toot)})", [str(toot), "--help"]))
        profiles = [
            imports("postsched --help", ["--help"]),
            imports("postsched queue", ["--config", str(config), "queue"]),
        ]
        rows = []
        for name, command in commands:
            run_times(command, 2, env=env())  # warm the page cache and the .pyc files
            times = run_times(command, args.runs, env=env())
            rows.append(
                [name, f"{median(times):.3f} s", f"{min(times):.3f} s", f"{max(times):.3f} s"]
            )
    finally:
        remove(config)
    print(f"\nWall time, {args.runs} runs each")
    table(["command", "median", "fastest", "slowest"], rows)
    if toot is None:
        print(f"\ntoot left out: {why}")
    print("\nWhat each command imports (python -X importtime: self time by package, one run)")
    for profile in profiles:
        table(["package", "import time"], [[name, f"{ms:.1f} ms"] for name, ms in profile])
        print()
    print(f"\n{seen()}")


def install_toot() -> tuple[Path | None, str]:
    """toot's console script, in its own virtualenv under /tmp; (None, why) if it fails."""
    toot = TOOT_VENV / "bin" / "toot"
    if toot.exists():
        return toot, ""
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(TOOT_VENV)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(TOOT_VENV / "bin" / "pip"), "install", "--quiet", "toot"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return None, f"pip install toot failed: {detail.decode(errors='replace')[-300:] or exc}"
    return toot, ""


def version(toot: Path) -> str:
    found = subprocess.run(
        [str(toot.parent / "pip"), "show", "toot"], capture_output=True, text=True
    ).stdout
    match = re.search(r"^Version: (.+)$", found, re.MULTILINE)
    return f"toot {match.group(1)}" if match else "toot"


def imports(name: str, arguments: list[str]) -> list[tuple[str, float]]:
    """What a postsched command imports: self time (python -X importtime) summed by top-level
    package, heaviest first, with the total as the first row; one run."""
    found = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "scheduler", *arguments],
        capture_output=True,
        text=True,
        env=env(),
    ).stderr
    packages: dict[str, int] = {}
    for line in found.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            package = match.group(2).split(".")[0]
            packages[package] = packages.get(package, 0) + int(match.group(1))
    heaviest = sorted(packages.items(), key=lambda item: -item[1])
    return [(f"{name}: all imports", sum(packages.values()) / 1000)] + [
        (package, us / 1000) for package, us in heaviest[:7]
    ]


if __name__ == "__main__":
    main()
