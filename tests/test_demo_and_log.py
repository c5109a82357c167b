"""`postsched demo` end to end, and the post log and status an officer reads afterwards."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
from datetime import datetime
from pathlib import Path

from tests.conftest import run
from tests.factories import png


def test_the_demo_publishes_the_whole_campaign_in_order_and_leaves_the_user_alone(
    project: Path, tmp_path: Path
) -> None:
    keep = tmp_path / "demo"
    result = run("demo", "--keep", str(keep))
    assert result.code == 0, result.err
    assert (
        "24 posts: 24 published, 0 expired, 0 missed, 0 failed; 0 carrying the offprint link "
        "published after its deadline (Thu 16 Apr 2026, 12:00)." in result.out
    )
    assert not (project / "postsched.db").exists(), "the user's database is never touched"
    assert not (project / "outbox").exists()
    published = re.findall(r"│ (\w{3} [^│]+?) +│\s+(\d+) │ (\w+)\s+│ published │", result.out)
    assert len(published) == 24
    times = [datetime.strptime(at, "%a %d %b %Y, %H:%M") for at, _, _ in published]
    assert times == sorted(times)
    assert times[0] == datetime(2026, 1, 12, 9, 30) and times[-1] == datetime(2026, 4, 14, 9, 30)
    requests = sorted((keep / "outbox").rglob("*.json"))
    assert len(requests) == 24
    linkedin = [json.loads(p.read_text()) for p in requests if p.parent.name == "linkedin"]
    assert all("Authorization" not in r["request"]["headers"] for r in linkedin)
    assert any("\\(2025/4 n° 52" in r["request"]["json"]["commentary"] for r in linkedin)
    bluesky = [json.loads(p.read_text()) for p in requests if p.parent.name == "bluesky"]
    assert len(bluesky) == 8
    assert all(r["request"]["url"].endswith("/xrpc/com.atproto.repo.createRecord") for r in bluesky)
    assert all(r["request"]["json"]["record"]["facets"] for r in bluesky)


def test_the_demo_without_keep_removes_its_folder_and_prints_no_path_into_it(
    project: Path,
) -> None:
    before = set(Path(tempfile.gettempdir()).glob("postsched-demo-*"))
    result = run("demo")
    assert result.code == 0, result.err
    assert set(Path(tempfile.gettempdir()).glob("postsched-demo-*")) == before, "removed"
    assert "file://" not in result.out + result.err and tempfile.gettempdir() not in result.out
    published = re.findall(r"│ published │ (\S+)", result.out)
    assert len(published) == 24
    outbox = r"outbox/(mastodon|linkedin|bluesky)/\d{6}-\w+\.json"
    assert all(re.fullmatch(outbox, p) for p in published)
    assert "removed now: run `postsched demo --keep DIR` to keep them in DIR/outbox" in result.err


def test_the_demo_with_keep_prints_the_files_it_kept(project: Path, tmp_path: Path) -> None:
    keep = tmp_path / "kept"
    result = run("demo", "--keep", str(keep))
    assert result.code == 0, result.err
    links = re.findall(r"│ published │ file://(\S+)", result.out)
    assert len(links) == 24 and all(Path(link).is_file() for link in links)
    assert f"are in {keep / 'outbox'}." in result.err


def test_log_filters_and_formats(project: Path) -> None:
    run("init")
    run("plan", "--as-of", "2026-01-05T08:00")
    run("approve", "1", "2")
    run("cancel", "3")
    everything = json.loads(run("log", "--json").out)
    assert [e["event"] for e in everything].count("planned") == 24
    assert {"post_id", "at", "event", "detail", "channel"} == set(everything[0])
    linkedin = json.loads(run("log", "--channel", "linkedin", "--json").out)
    assert {e["channel"] for e in linkedin} == {"linkedin"} and len(linkedin) == 8 + 1
    cancelled = json.loads(run("log", "--status", "cancelled", "--json").out)
    assert [(e["post_id"], e["event"]) for e in cancelled] == [(3, "planned"), (3, "cancelled")]
    last = everything[-1]["at"]
    since = json.loads(run("log", "--since", last, "--json").out)
    assert since and all(e["at"] >= last for e in since)
    table = list(csv.DictReader(io.StringIO(run("log", "--csv").out)))
    assert len(table) == len(everything)
    assert table[0].keys() == {"at", "post_id", "channel", "event", "detail"}
    assert run("log", "--json", "--csv").code == 2


def test_status_reports_counts_next_due_heartbeat_and_channels(project: Path) -> None:
    run("init")
    run("plan", "--as-of", "2026-01-05T08:00")
    data = json.loads(run("status", "--json").out)
    assert data["counts"]["draft"] == 24 and data["heartbeat"] is None
    assert data["next_due"] is None
    run("approve", "--all")
    added = run("add", "mastodon", "--at", "+1h", "--text", "Une annonce ponctuelle")
    assert added.code == 0
    assert run("daemon", "--once").code == 0
    data = json.loads(run("status", "--json").out)
    assert data["heartbeat"]["running"] is False and data["heartbeat"]["stopped_at"]
    assert data["next_due"]["id"] == added.new_id
    assert set(data["channels"]) == {"mastodon", "linkedin", "bluesky"}
    # The campaign was due in January to April 2026: the article posts' link has died since
    # (expired), the course posts are far beyond the grace (missed). None was published.
    assert data["counts"]["expired"] == 12 and data["counts"]["missed"] == 12
    assert data["counts"]["published"] == 0
    assert data["channels"]["mastodon"]["health"] == "unknown"
    text = run("status").out
    assert "Daemon: not running" in text and "Channel mastodon: mastodon, dry-run" in text


def test_the_demo_takes_the_cards_pictures_along_and_shows_their_uploads(
    project: Path, tmp_path: Path
) -> None:
    (project / "images").mkdir()
    (project / "images" / "couverture.png").write_bytes(png(4))
    config = project / "config.toml"
    text = config.read_text(encoding="utf-8")
    card = 'image = "images/couverture.png"\nimage_alt = "La couverture de la revue"\n'
    config.write_text(text.replace("expires = 2026-04-16", card + "expires = 2026-04-16", 1))
    keep = tmp_path / "demo"
    result = run("demo", "--keep", str(keep))
    assert result.code == 0, result.err
    records = [json.loads(p.read_text()) for p in sorted((keep / "outbox").rglob("*.json"))]
    article = [r for r in records if r["type"] == "linkedin" and "thumbnail" in str(r)]
    assert len(article) == 4, "the article's four LinkedIn posts show their card's picture"
    sha = hashlib.sha256(png(4)).hexdigest()
    assert all(r["uploads"][1]["body"]["sha256"] == sha for r in article)
    courses = [r for r in records if r["type"] == "linkedin" and r not in article]
    assert courses and all(r["uploads"] == [] for r in courses)
