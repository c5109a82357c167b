"""Import: `postsched import --csv` of 2,000 rows into a database already holding 10,000 posts.

A fresh campaign (the shipped one, min_gap 0) on a SQLite file filled with bulk INSERT ...
SELECT, as bench/scale.py fills it: 10,000 published posts, half on each channel. Then a CSV
of 2,000 one-off posts, alternating mastodon and linkedin, three hours apart from 1 March 2027,
each text its own. Each run imports it as its own process into a copy of the filled database
(so every run queues the 2,000 posts against the same 10,000), median of --runs runs.

Beside the wall time, how many times the import read a channel's stored texts (the query of
`Store.bodies`), counted in this process by one in-process import on another copy.

    python bench/imports.py [--stored 10000] [--rows 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import campaign, cli, commit, env, init, machine, median, remove, run_times, table
from scale import SQLITE_FILL

START = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def fill(config: Path, stored: int) -> Path:
    from sqlalchemy import text

    from scheduler.database import open_engine

    init(config)
    database = config.parent / "postsched.db"
    engine = open_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(
            text(SQLITE_FILL),
            {
                "count": stored,
                "kind": "published",
                "status": "published",
                "base": "2025-01-01 00:00:00",
                "sign": 1,
                "step": 600,
                "attempts": 1,
                "salt": "bench",
            },
        )
    engine.dispose()
    return database


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["channel", "time", "text"])
        for n in range(rows):
            at = (START + timedelta(hours=3 * n)).isoformat(timespec="minutes")
            channel = "mastodon" if n % 2 else "linkedin"
            writer.writerow([channel, at, f"Import n° {n} : IA et travail social, inscriptions."])


def bodies_reads(config: Path, database: Path, source: Path) -> int:
    """How many times one in-process import reads a channel's stored texts."""
    from sqlalchemy import event

    from posts.officer import Officer
    from posts.store import Store
    from posts.timing import parse_instant
    from scheduler.config import load_config
    from scheduler.database import open_engine
    from scheduler.exchange import read_posts_csv

    copy = database.with_name("count.db")
    shutil.copy(database, copy)
    engine = open_engine(f"sqlite:///{copy}")
    reads = 0

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        nonlocal reads
        reads += statement.lstrip().upper().startswith("SELECT POSTS.BODY")

    event.listen(engine, "before_cursor_execute", count)
    config_ = load_config(config)
    tz = config_.campaign.timezone
    rows = read_posts_csv(source, lambda value: parse_instant(value, now=START, tz=tz))
    Officer(config_, Store(engine)).add_many(rows, START)
    engine.dispose()
    return reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    print(commit())
    config = campaign("imports")
    try:
        database = fill(config, args.stored)
        source = config.parent / "import.csv"
        write_csv(source, args.rows)
        pristine = database.with_name("filled.db")
        shutil.copy(database, pristine)
        times = []
        for _ in range(args.runs):
            shutil.copy(pristine, database)
            command = [*cli(config), "import", "--csv", str(source)]
            times += run_times(command, 1, env=env())
        reads = bodies_reads(config, pristine, source)
        table(
            ["stored posts", "rows imported", "runs", "median", "min", "max", "texts read"],
            [
                [
                    args.stored,
                    args.rows,
                    args.runs,
                    f"{median(times):.2f} s",
                    f"{min(times):.2f} s",
                    f"{max(times):.2f} s",
                    f"{reads} times",
                ]
            ],
        )
    finally:
        remove(config)


if __name__ == "__main__":
    main()
