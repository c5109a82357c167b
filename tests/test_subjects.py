"""Subjects: the article and every course, each with its own link, deadline, phases and sessions.

The shipped campaign must plan exactly what it planned before subjects existed: the golden files
under tests/golden/ are `plan --dry-run --json` of the shipped config.toml as of three days
(before the start, mid-campaign, after the offprint died), written before the planner changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("day", ["2026-01-05", "2026-03-01", "2026-05-04"])
def test_the_shipped_campaign_plans_the_same_posts(project: Path, day: str) -> None:
    result = run("plan", "--dry-run", "--json", "--as-of", f"{day}T08:00")
    assert result.code == 0, result.err
    planned = json.loads(result.out)
    golden = json.loads((GOLDEN / f"shipped-plan-{day}.json").read_text(encoding="utf-8"))
    for post in planned:
        post.pop("why", None)  # added with subjects; everything else is pinned
    assert planned == golden
