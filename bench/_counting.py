"""`postsched` with each SQL statement it sends logged to $POSTSCHED_BENCH_QUERIES, one line a
statement (wall-clock time, then its first 100 characters). For bench/idle.py only: the
shipped daemon counts nothing; SQLAlchemy's class-level event sees every engine it opens.

    POSTSCHED_BENCH_QUERIES=/tmp/q.log python bench/_counting.py --config C daemon
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import Engine, event

_out = Path(os.environ["POSTSCHED_BENCH_QUERIES"]).open("a", buffering=1)  # noqa: SIM115


@event.listens_for(Engine, "before_cursor_execute")
def _log(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
    _out.write(f"{time.time():.3f} {' '.join(statement.split())[:100]}\n")


if __name__ == "__main__":
    from scheduler.cli import main

    main()
