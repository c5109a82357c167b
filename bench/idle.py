"""Footprint: the daemon's memory and CPU over idle seconds.

`postsched daemon` on a throwaway copy of the shipped campaign as shipped (both channels
dry-run, default 15 s poll), initialised, with one post queued a day ahead so that the
one-second watch has a wake-up to keep armed. After --settle seconds of start-up, the daemon's
/proc/<pid>/status (VmRSS, VmHWM) is sampled every second for --idle seconds, and its CPU time
(utime + stime in /proc/<pid>/stat) is read at both ends of that window.

    python bench/footprint.py [--idle 60] [--settle 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

from _common import (
    campaign,
    cli,
    daemon,
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
    args = parser.parse_args()
    print(f"machine: {machine()}")
    watch_machine()

    config = campaign("footprint", min_gap=None)
    try:
        init(config)
        subprocess.run(
            [*cli(config), "add", "mastodon", "--at", "+1d", "--text", "Demain (footprint)"],
            check=True,
            capture_output=True,
            env=env(),
        )
        with daemon(config) as process:
            time.sleep(args.settle)
            assert process.poll() is None, "the daemon exited"
            start_cpu, start = cpu(process.pid), time.monotonic()
            samples = []
            while time.monotonic() - start < args.idle:
                time.sleep(1)
                samples.append(memory(process.pid))
            end_cpu, elapsed = cpu(process.pid), time.monotonic() - start
            peak = memory(process.pid, "VmHWM")
            assert process.poll() is None, "the daemon exited"
    finally:
        remove(config)
    rss = samples
    used = end_cpu - start_cpu
    print(f"\n`postsched daemon`, idle {elapsed:.0f} s after {args.settle} s of start-up")
    table(
        ["measure", "value"],
        [
            ["RSS, median of the samples", f"{median(rss):.1f} MB"],
            ["RSS, largest sample", f"{max(rss):.1f} MB"],
            ["RSS high-water mark (VmHWM)", f"{peak:.1f} MB"],
            ["CPU time over the idle window", f"{used:.2f} s"],
            ["CPU, % of one core over the window", f"{100 * used / elapsed:.2f} %"],
            ["CPU time at start-up (first settle s)", f"{start_cpu:.2f} s"],
        ],
    )
    print(f"\n{seen()}")


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
