"""What `queue`, `show`, `log`, `status`, `report` and the queue's verbs print, in the officer's
language: the shipped campaign is French, so with POSTSCHED_LANG=fr the tables have French
headings, French statuses and dates ("lun. 12 janv. 2026, 09:30"), the summaries and refusals
are French sentences; POSTSCHED_LANG=en gives English. JSON and CSV stay the same in both."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from posts.labels import event_label, status_label
from posts.language import speaking
from tests.conftest import Result, run

NBSP = "\u00a0"


def in_french(monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    return run(*args)


def in_english(monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.setenv("POSTSCHED_LANG", "en")
    return run(*args)


def french(label: str, kind: str = "status") -> str:
    """A stored status or event as the French officer reads it (posts/labels.py)."""
    with speaking("fr"):
        return status_label(label) if kind == "status" else event_label(label)


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_queue_speaks_french_headings_statuses_dates_and_summary(
    planned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = in_french(monkeypatch, "queue", "--limit", "3")
    assert result.code == 0, result.err
    header, first, *_rest = result.out.splitlines()
    assert cells(header) == ["n°", "échéance", "canal", "statut", "sujet", "phase", "texte"]
    assert cells(first)[:4] == ["1", "lun. 12 janv. 2026, 09:30", "mastodon", french("draft")]
    assert result.err == (
        f"3 publications affichées sur 24, les prochaines par échéance{NBSP}; "
        "21 autres non affichées (--limit N ou --all).\n"
    )
    assert in_french(monkeypatch, "queue", "--all").err == "24 publications.\n"

    english = in_english(monkeypatch, "queue", "--limit", "3")
    header, first, *_rest = english.out.splitlines()
    assert cells(header) == ["id", "due", "channel", "status", "subject", "phase", "text"]
    assert cells(first)[:4] == ["1", "Mon 12 Jan 2026, 09:30", "mastodon", "draft"]
    assert "3 of 24 posts shown, the next by due time" in english.err


def test_the_queue_json_is_the_same_in_french(
    planned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_french = json.loads(in_french(monkeypatch, "queue", "--json").out)
    as_english = json.loads(in_english(monkeypatch, "queue", "--json").out)
    assert as_french == as_english
    assert as_french[0]["status"] == "draft"
    assert as_french[0]["due_at"] == "2026-01-12T09:30:00.000+01:00"


def test_status_speaks_french(planned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert in_french(monkeypatch, "approve", "1").out == "1 publication approuvée.\n"
    result = in_french(monkeypatch, "status")
    assert result.code == 0, result.err
    out = result.out
    assert "Publications par statut" in out
    assert re.search(r"┃ statut\s+┃ publications ┃", out)
    assert re.search(rf"│ {re.escape(french('draft'))}\s+│\s+23 │", out)
    assert re.search(rf"│ {re.escape(french('scheduled'))}\s+│\s+1 │", out)
    assert (
        f"Prochaine échéance{NBSP}: publication 1 sur mastodon le lun. 12 janv. 2026, 09:30." in out
    )
    assert f"Démon{NBSP}: jamais lancé sur cette base de données." in out
    assert f"Canal mastodon{NBSP}: mastodon, dry-run, état inconnu, 8 en attente." in out

    english = in_english(monkeypatch, "status").out
    assert "Posts by status" in english
    assert "Next due: post 1 on mastodon at Mon 12 Jan 2026, 09:30." in english
    assert "Daemon: never run against this database." in english
    assert "Channel mastodon: mastodon, dry-run, unknown, 8 pending." in english
    assert json.loads(in_french(monkeypatch, "status", "--json").out)["next_due"]["due_at"] == (
        "2026-01-12T09:30:00.000+01:00"
    )


def test_log_speaks_french_and_its_csv_does_not(
    planned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert in_french(monkeypatch, "cancel", "2").out == "1 publication annulée.\n"
    result = in_french(monkeypatch, "log", "--channel", "linkedin")
    assert result.code == 0, result.err
    assert "Journal des publications" in result.out
    assert re.search(r"┃ quand\s+┃ publication ┃ canal\s+┃ événement ┃ détail", result.out)
    rows = [line for line in result.out.splitlines() if line.startswith("│")]
    at, post, channel, event, _detail = (c.strip() for c in rows[-1].strip("│").split("│"))
    # "1er déc." on the first day of a month: the log shows the cancellation, made today.
    assert re.fullmatch(r"(lun|mar|mer|jeu|ven|sam|dim)\. \d{1,2}(?:er)? \S+ \d{4}, \d\d:\d\d", at)
    assert (post, channel, event) == ("2", "linkedin", french("cancelled", "event"))

    english = in_english(monkeypatch, "log", "--channel", "linkedin").out
    assert re.search(r"┃ at\s+┃ post ┃ channel\s+┃ event\s+┃ detail", english)
    assert re.search(r"│ (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} \w{3} \d{4}, \d\d:\d\d │", english)

    table = in_french(monkeypatch, "log", "--csv").out
    assert table.splitlines()[0] == "at,post_id,channel,event,detail"
    first = next(csv.DictReader(io.StringIO(table)))
    assert first["event"] == "planned" and re.fullmatch(r"\d{4}-\d\d-\d\dT.*", first["at"])


def test_show_speaks_french(planned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = in_french(monkeypatch, "show", "1")
    assert result.code == 0, result.err
    out = result.out
    assert "Publication 1" in out
    assert re.search(r"│ échéance\s+│ lun\. 12 janv\. 2026, 09:30\s+│", out)
    assert re.search(r"│ fin du lien\s+│ ven\. 17 avr\. 2026, 00:00\s+│", out)
    assert re.search(rf"│ statut\s+│ {re.escape(french('draft'))}\s+│", out)
    assert re.search(r"│ modifiée\s+│ non\s+│", out)
    assert "Journal des publications" in out

    english = in_english(monkeypatch, "show", "1").out
    assert re.search(r"│ due_at\s+│ Mon 12 Jan 2026, 09:30\s+│", english)
    assert re.search(r"│ edited\s+│ False\s+│", english)


def test_add_approve_and_warnings_speak_french(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("init").code == 0
    added = in_french(monkeypatch, "add", "mastodon", "--at", "2031-01-07T17:00", "--text", "Un")
    assert added.code == 0, added.err
    assert added.out == (
        "Publication 1 mise en file d’attente sur mastodon pour le mar. 7 janv. 2031, 17:00.\n"
    )
    # 17:00 is not one of the campaign's posting times: the rules warn (posts/rules.py).
    assert added.err.startswith(f"Attention{NBSP}: ")
    assert in_french(monkeypatch, "edit", "1", "--text", "Deux").out == "Publication 1 modifiée.\n"
    assert in_french(monkeypatch, "approve", "--all").out == "Aucun brouillon à approuver.\n"

    english = in_english(monkeypatch, "add", "mastodon", "--at", "2031-01-07T17:00", "--text", "B")
    assert english.out == "Post 2 queued on mastodon for Tue 7 Jan 2031, 17:00.\n"
    assert english.err.startswith("Warning: ")


def test_refusals_and_help_speak_french(planned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    both = in_french(monkeypatch, "queue", "--limit", "3", "--all")
    assert both.code == 2 and "Indiquez --limit N ou --all, pas les deux." in both.err
    neither = in_french(monkeypatch, "approve")
    assert "Indiquez au moins un numéro de publication, ou --all." in neither.err
    help_text = " ".join(in_french(monkeypatch, "queue", "--help").out.split())
    assert "Seulement les publications de ce canal." in help_text
    assert "Au plus N publications, les prochaines par échéance (par défaut" in help_text
    strict = " ".join(in_french(monkeypatch, "add", "--help").out.split())
    assert "Refuser une heure qui enfreint les règles de la campagne" in strict
    assert "Only posts on this channel." in in_english(monkeypatch, "queue", "--help").out


def test_queue_rows_is_the_number_the_help_says() -> None:
    """--limit's help is a fixed sentence for the catalog: it writes QUEUE_ROWS out."""
    from scheduler.commands.queue import QUEUE_ROWS, queue_command

    limit = next(p for p in queue_command.params if p.name == "limit")
    assert f"default: {QUEUE_ROWS} in the table" in str(limit.help)
    assert f"the next {QUEUE_ROWS} in the table" in str(queue_command.help)


def test_report_and_export_speak_french(planned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert in_french(monkeypatch, "report").out == "Aucune publication parue pour l’instant.\n"
    assert in_english(monkeypatch, "report").out == "No published post yet.\n"
    future = in_french(monkeypatch, "report", "--since", "2031-01-07T09:30")
    assert future.code == 1
    assert (
        f"--since mar. 7 janv. 2031, 09:30 est dans le futur{NBSP}: aucune publication n’y a "
        "encore de portée." in future.err
    )
    exported = in_french(monkeypatch, "export", "--csv", "posts.csv")
    assert exported.out == "24 publications écrites dans posts.csv.\n"
    calendar = in_french(monkeypatch, "export", "--ics", "posts.ics")
    assert calendar.out == "24 événements écrits dans posts.ics.\n"


def test_every_event_the_code_records_has_a_label() -> None:
    """A post-log event without an entry in posts/labels.py shows in English to the French
    officer ("retried" did): every event name the store, the claims, the read-backs and the
    link gate write, read from their sources, has one."""
    from posts.labels import EVENTS

    root = Path(__file__).resolve().parent.parent
    patterns = [
        r'_record\(\s*session,\s*\w+,\s*\w+,\s*"([\w-]+)"',  # the store's verbs
        r'_move\(\s*session,\s*\w+,\s*[\w.]+,\s*\w+,\s*"([\w-]+)"',
        r'add_event\(\s*session,\s*[\w.]+,\s*\w+,\s*"([\w-]+)"',
        r'event="([\w-]+)"',  # a keyword argument
        r'event: str = "([\w-]+)"',  # a default
        r'event(?:, status)? = "([\w-]+)"',  # the claims' decisions
        r'status, event = [\w.]+, "([\w-]+)"',
        r'Outcome\([^()]*?, Status\.\w+, "([\w-]+)"',
    ]
    written: set[str] = set()
    for path in [*(root / "posts").glob("*.py"), *(root / "scheduler").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        for pattern in patterns:
            written |= set(re.findall(pattern, source))
    # Events named as constants, several on one line.
    for name in ("confirming.py", "link_gate.py"):
        source = (root / "posts" / name).read_text(encoding="utf-8")
        for line in re.findall(r"^[A-Z_]+(?:, [A-Z_]+)* = .*$", source, re.MULTILINE):
            written |= set(re.findall(r'"([a-z_]+)"', line))
    found = {"retried", "edited", "added", "held", "reclaimed", "retrying", "link_unsure"}
    found |= {"confirmed", "vanished", "paused"}
    assert found <= written  # the patterns still find them
    assert sorted(written - set(EVENTS)) == []
