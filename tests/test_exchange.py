"""CSV in and out: `import --csv` checks every row before inserting any; `export --csv`."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from posts.campaign import Config
from posts.checks import AddRequest
from posts.officer import Officer
from posts.store import Store
from scheduler.config import load_config
from scheduler.database import open_engine
from tests.conftest import run
from tests.test_refusals import assert_refused, refused_unchanged, replace_in

GOOD = (
    "channel,time,text,link,link_expires\n"
    'mastodon,2027-03-01T09:30,"Bonjour (1), #IA",,\n'
    'linkedin,2027-03-01T12:30,"Bonjour (2)",https://x.example/a,2027-04-01T00:00\n'
    "\n"
    "mastodon,+3d,Troisième,,\n"
)


def write(project: Path, text: str, name: str = "posts.csv") -> str:
    path = project / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_good_file_queues_every_row_scheduled(planned: Path) -> None:
    result = run("import", "--csv", write(planned.parent, GOOD), "--json")
    assert result.code == 0, result.err
    posts = json.loads(result.out)
    assert [(p["channel"], p["status"]) for p in posts] == [
        ("mastodon", "scheduled"),
        ("linkedin", "scheduled"),
        ("mastodon", "scheduled"),
    ]
    assert posts[0]["due_at"] == "2027-03-01T09:30:00.000+01:00"
    assert posts[1]["body"] == "Bonjour (2)\n\nhttps://x.example/a"
    assert posts[1]["link_expires_at"] == "2027-04-01T00:00:00.000+02:00"


def test_a_spreadsheet_bom_is_not_a_column(planned: Path) -> None:
    path = planned.parent / "excel.csv"
    path.write_bytes(
        "\ufeffchannel;x\n".replace(";x", ",time,text").encode()
        + b"mastodon,2027-03-01T09:30,Avec BOM\n"
    )
    assert run("import", "--csv", str(path)).code == 0


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("", ["is empty"]),
        ("channel,time,text\n", ["no post"]),
        ("channel,time,corps\nmastodon,+1d,x\n", ["line 1", "'corps'"]),
        ("channel,text\nmastodon,x\n", ["line 1", "'time'", "missing"]),
        ("channel,time,text\nmastodon,+1d,ok\nmyspace,+1d,no\n", ["line 3", "'myspace'"]),
        (
            "channel,time,text\nmastodon,+1d,ok\nlinkedin,mardi prochain,no\n",
            ["line 3", "not a time"],
        ),
        ("channel,time,text\nmastodon,2020-01-01T10:00,old\n", ["line 2", "in the past"]),
        ("channel,time,text\nmastodon,+1d," + "a" * 501 + "\n", ["line 2", "501", "500"]),
        ("channel,time,text\nmastodon,+1d,same\nmastodon,+2d,same\n", ["line 3", "already queued"]),
        ("channel,time,text\nmastodon,+1d,,\n", ["line 2", "more cells"]),
        ("channel,time,text\nmastodon,+1d,\n", ["line 2", "text cell is empty"]),
        (
            "channel,time,text,link,link_expires\nmastodon,+2d,x,https://a.example,+1d\n",
            ["line 2", "stops working"],
        ),
        ("channel,time,text,image\nmastodon,+1d,x,/no/such.png\n", ["line 2", "does not exist"]),
        ("channel,time,text,image,alt\nmastodon,+1d,x,,Alt sans image\n", ["line 2", "--alt"]),
        ("channel,time,text\nmastodon,+99999999d,x\n", ["line 2", "outside the range"]),
    ],
)
def test_a_bad_file_is_refused_naming_its_line_and_inserts_nothing(
    planned: Path, text: str, fragments: list[str]
) -> None:
    before = run("queue", "--json").out
    result = refused_unchanged(planned, "import", "--csv", write(planned.parent, text))
    assert_refused(result, *fragments)
    assert run("queue", "--json").out == before


def test_a_file_that_is_not_utf8_or_missing_is_refused(planned: Path) -> None:
    latin = planned.parent / "latin.csv"
    latin.write_bytes("channel,time,text\nmastodon,+1d,Été\n".encode("latin-1"))
    assert_refused(refused_unchanged(planned, "import", "--csv", str(latin)), "not UTF-8")
    assert_refused(refused_unchanged(planned, "import", "--csv", "nowhere.csv"), "does not exist")


def test_export_writes_every_post_as_csv(planned: Path, tmp_path: Path) -> None:
    target = tmp_path / "schedule.csv"
    result = run("export", "--csv", str(target))
    assert result.code == 0, result.err
    assert result.out == f"24 posts written to {target}.\n"
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid;campaign;channel;status;due_at;"), data[:60]
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 24
    assert rows[0]["status"] == "draft" and rows[0]["due_at"] == "2026-01-12T09:30:00+01:00"
    assert rows[0]["campaign"] == "ia-travail-social-2026"
    assert "16 avril 2026" in rows[0]["body"]


def test_export_ics_gives_the_calendar_one_event_per_post(planned: Path, tmp_path: Path) -> None:
    from icalendar import Calendar

    run("cancel", "3")
    target = tmp_path / "campagne.ics"
    result = run("export", "--ics", str(target))
    assert result.code == 0, result.err
    events = Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert len(events) == 23, "the cancelled post is left out"
    assert result.out == f"Wrote 23 events to {target}.\n"
    first = events[0]
    title = "IA et recherche en intervention sociale · announce"
    assert first["summary"] == f"mastodon: {title} (draft)"
    start = first.decoded("dtstart")
    assert start.isoformat() == "2026-01-12T08:30:00+00:00"
    assert "16 avril 2026" in str(first["description"])
    assert len({str(e["uid"]) for e in events}) == 23
    assert run("export").code == 2


# French spreadsheets and the round trip ----------------------------------------------------


def test_a_french_spreadsheet_file_with_semicolons_and_capitalised_channels(
    planned: Path,
) -> None:
    path = planned.parent / "excel.csv"
    path.write_bytes(
        "\ufeffChannel;Time;Text\n"
        "Mastodon;2027-03-01T09:30;Bonjour, le monde (1)\n"
        'LINKEDIN;2027-03-01T12:30;"Deux; avec un point-virgule"\n'.encode()
    )
    result = run("import", "--csv", str(path), "--json")
    assert result.code == 0, result.err
    posts = json.loads(result.out)
    assert [(p["channel"], p["body"]) for p in posts] == [
        ("mastodon", "Bonjour, le monde (1)"),
        ("linkedin", "Deux; avec un point-virgule"),
    ]


def test_what_export_csv_writes_import_csv_reads_back(project: Path) -> None:
    """Posts exported from one database are queued as they were in a fresh one; a cancelled
    post is not queued again, and the import says so."""
    assert run("init").code == 0
    for args in (
        ("mastodon", "--at", "2027-03-01T09:30", "--text", "Premier ; avec « guillemets »"),
        ("linkedin", "--at", "2027-03-02T12:30", "--text", "Deuxième, sur deux\nlignes"),
        (
            *("mastodon", "--at", "2027-03-03T09:30", "--text", "Avec lien"),
            *("--link", "https://x.example/a", "--link-expires", "2027-04-01T00:00"),
        ),
        ("mastodon", "--at", "2027-03-04T09:30", "--text", "Cours", "--subject", "course:outils"),
        ("linkedin", "--at", "2027-03-05T09:30", "--text", "Annulé"),
    ):
        assert run("add", *args).code == 0
    assert run("cancel", "5").code == 0
    keys = ("channel", "due_at", "body", "link", "link_expires_at", "subject", "status")
    before = [{k: p[k] for k in keys} for p in json.loads(run("queue", "--json").out)]
    target = project / "export.csv"
    assert run("export", "--csv", str(target)).code == 0

    (project / "postsched.db").unlink()
    assert run("init").code == 0
    result = run("import", "--csv", str(target), "--json")
    assert result.code == 0, result.err
    assert result.err.startswith(
        "Skipped 1 row of a post no longer draft or scheduled (published, failed, cancelled…): "
        f"{target} line "
    )
    after = [{k: p[k] for k in keys} for p in json.loads(result.out)]
    assert after == before and len(after) == 4


def test_an_english_campaign_exports_with_commas(project: Path) -> None:
    replace_in(project / "config.toml", r'^language = "fr"', 'language = "en"')
    assert run("init").code == 0
    assert run("add", "mastodon", "--at", "2027-03-01T09:30", "--text", "Hello").code == 0
    target = project / "export.csv"
    assert run("export", "--csv", str(target)).out == f"1 post written to {target}.\n"
    assert target.read_bytes().startswith(b"\xef\xbb\xbfid,campaign,channel,status,due_at,")


def test_export_ics_titles_events_with_the_subject_and_counts_them(project: Path) -> None:
    from icalendar import Calendar

    assert run("init").code == 0
    text = "Inscrivez-vous dès maintenant à notre formation sur les outils numériques"
    assert run("add", "mastodon", "--at", "2027-03-01T09:30", "--text", text).code == 0
    target = project / "plan.ics"
    result = run("export", "--ics", str(target))
    assert result.out == f"Wrote 1 event to {target}.\n"
    [event] = Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert event["summary"] == "mastodon: Inscrivez-vous dès maintenant à notre… (scheduled)"
    course = ("--template", "default", "--subject", "course:outils")
    assert run("add", "linkedin", "--at", "2027-03-02T09:30", *course).code == 0
    result = run("export", "--ics", str(target))
    assert result.out == f"Wrote 2 events to {target}.\n"
    summaries = [str(e["summary"]) for e in Calendar.from_ical(target.read_bytes()).walk("VEVENT")]
    assert summaries[1].startswith("linkedin: outils, usages techniques"), summaries
    assert summaries[1].endswith(" · default (scheduled)") and len(summaries[1]) < 80


# The cost of an import: each channel's texts read once ----------------------------------------


def test_an_import_reads_each_channels_texts_once(planned: Path) -> None:
    config: Config = load_config(planned.parent / "config.toml")
    engine = open_engine(f"sqlite:///{planned}")
    bodies_read: list[str] = []

    neighbours_read: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT POSTS.BODY"):
            bodies_read.append(statement)
        if "coalesce(posts.published_at, posts.next_attempt_at, posts.due_at)" in statement:
            neighbours_read.append(statement)  # the rules' neighbours (min_gap, max_per_day)

    event.listen(engine, "before_cursor_execute", count)
    officer = Officer(config, Store(engine))
    start = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    requests_ = [
        (
            f"line {n + 2}",
            AddRequest(
                "mastodon" if n % 2 else "linkedin", start + timedelta(hours=3 * n), text=f"N°{n}"
            ),
        )
        for n in range(40)
    ]
    now = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert len(officer.add_many(requests_, now)) == 40
    assert len(bodies_read) == 2, bodies_read
    assert len(neighbours_read) == 2, neighbours_read
    engine.dispose()


def test_a_relative_image_path_is_read_beside_the_csv_file(planned: Path) -> None:
    """The officer keeps the spreadsheet and its pictures in one folder and runs the command
    from the project: the image is found beside the file, not in the working directory."""
    from scheduler.app import App
    from tests.factories import png

    folder = planned.parent / "semaine-12"
    folder.mkdir()
    (folder / "affiche.png").write_bytes(png())
    rows = "channel,time,text,image,alt\nmastodon,+1d,L’affiche,affiche.png,L’affiche du stage\n"
    result = run("import", "--csv", write(folder, rows), "--json")
    assert result.code == 0, result.err
    (post,) = json.loads(result.out)
    stored = App(config_path=planned.parent / "config.toml").store.get(post["id"])
    assert stored.media_path == str(folder / "affiche.png")
    assert not (planned.parent / "affiche.png").exists()
