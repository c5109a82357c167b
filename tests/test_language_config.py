"""config.toml's refusals, the database's, CSV import's and the iCalendar export speak the
officer's language: French with POSTSCHED_LANG=fr (or a French campaign and no choice made),
English with POSTSCHED_LANG=en or `[ui] language = "en"`. The posts' own text stays in the
campaign's language whatever the command line speaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from posts.errors import InputError
from posts.labels import status_label
from posts.language import speaking
from scheduler.exchange import parse_posts_csv
from tests.conftest import Result, run
from tests.test_refusals import refused_unchanged, replace_in

NBSP = "\u00a0"
TITLE = "IA et recherche en intervention sociale · announce"


def refusal(result: Result) -> str:
    """The one line a refused command printed, with its exit status checked."""
    shown = f"code={result.code}\nstdout={result.out!r}\nstderr={result.err!r}"
    assert result.code == 1, shown
    assert "Traceback" not in result.err, shown
    lines = result.err.splitlines()
    assert len(lines) == 1, shown
    return lines[0]


def misspell_max_per_day(project: Path) -> None:
    replace_in(project / "config.toml", r"^max_per_day = 1", "max_per_dya = 1")


def test_a_config_refusal_speaks_french(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    misspell_max_per_day(project)
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    line = refusal(run("check"))
    assert (
        "config.toml: [campaign] contient une clé que postsched ne connaît pas, 'max_per_dya' "
        f"(vouliez-vous dire 'max_per_day'{NBSP}?)" in line
    ), line
    assert "supprimez-la ou corrigez-la plutôt que de la voir ignorée." in line, line
    assert "did you mean" not in line


def test_the_same_refusal_speaks_english(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    misspell_max_per_day(project)
    monkeypatch.setenv("POSTSCHED_LANG", "en")
    line = refusal(run("check"))
    assert (
        "config.toml: [campaign] has a key postsched does not know, 'max_per_dya' "
        "(did you mean 'max_per_day'?); [campaign] accepts: " in line
    ), line
    assert line.endswith("remove or correct it rather than have it ignored."), line


def test_two_unknown_keys_are_counted_in_french(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replace_in(project / "config.toml", r"^max_per_day = 1", "max_per_dya = 1\nlang = 'fr'")
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    line = refusal(run("check"))
    assert "contient des clés que postsched ne connaît pas" in line, line
    assert f"'max_per_dya' (vouliez-vous dire 'max_per_day'{NBSP}?) et 'lang'" in line, line
    assert "supprimez-les ou corrigez-les" in line, line


def test_a_campaign_file_named_by_config_keeps_its_name_in_french(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal names the file actually read, in French as in English."""
    replace_in(project / "config.toml", r'^timezone = "Europe/Paris"', 'timezone = "Europe/Pari"')
    (project / "config.toml").rename(project / "printemps.toml")
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    line = refusal(run("--config", "printemps.toml", "check"))
    assert (
        "printemps.toml: [campaign] timezone 'Europe/Pari' n’est pas un fuseau horaire IANA "
        "connu (par exemple Europe/Paris)." in line
    ), line


def test_a_wrong_kind_of_value_is_named_in_french(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replace_in(project / "config.toml", r"^max_per_day = 1", 'max_per_day = "un"')
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    line = refusal(run("check"))
    assert "config.toml: [campaign] max_per_day doit être un nombre entier, et non 'un'." in line


def test_ui_language_de_is_refused(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with (project / "config.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[ui]\nlanguage = "de"\n')
    monkeypatch.setenv("POSTSCHED_LANG", "en")
    line = refusal(run("check"))
    assert (
        "config.toml: [ui] language 'de' is not a language postsched speaks; "
        "write one of en, fr." in line
    ), line
    # Without POSTSCHED_LANG the refusal speaks the campaign's language, French.
    monkeypatch.delenv("POSTSCHED_LANG")
    line = refusal(run("check"))
    assert (
        f"config.toml: [ui] language 'de' n’est pas une langue que postsched parle{NBSP}; "
        f"indiquez l’une de celles-ci{NBSP}: en, fr." in line
    ), line


def test_a_missing_database_is_refused_in_french(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    line = refusal(run("queue"))
    assert f"n’existe pas encore{NBSP}: lancez d’abord `postsched init`." in line, line
    assert not (project / "postsched.db").exists()


def test_a_csv_import_refusal_speaks_french(planned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    csv = planned.parent / "posts.csv"
    csv.write_text("channel,time,text\nmastodon,2027-03-01T09:30,Bonjour\nmastodon,,Sans date\n")
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    line = refusal(refused_unchanged(planned, "import", "--csv", str(csv)))
    assert f"{csv} ligne 3{NBSP}: la cellule time est vide." in line, line
    csv.write_text("channel,time\nmastodon,2027-03-01T09:30\n")
    line = refusal(refused_unchanged(planned, "import", "--csv", str(csv)))
    assert f"{csv} ligne 1{NBSP}: la colonne 'text' manque." in line, line
    monkeypatch.setenv("POSTSCHED_LANG", "en")
    line = refusal(refused_unchanged(planned, "import", "--csv", str(csv)))
    assert f"{csv} line 1: the column 'text' is missing." in line, line


def test_a_huge_cell_writes_the_limit_as_french_writes_numbers() -> None:
    text = 'channel,time,text\nmastodon,2027-07-02T10:00,"' + "x" * 140_000 + '"\n'
    with speaking("fr"), pytest.raises(InputError) as refused:
        parse_posts_csv(text, "posts.csv", lambda _text: None)  # type: ignore[arg-type,return-value]
    message = str(refused.value)
    assert message.startswith(f"posts.csv ligne 2{NBSP}: une cellule contient plus de 131"), message
    assert "072 caractères" in message and "131,072" not in message, message


def test_no_campaign_of_that_name_speaks_french(
    planned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    line = refusal(run("queue", "--campaign", "automne"))
    assert "Il n’y a pas de campagne 'automne' (campagnes" in line, line


def ics_events(project: Path) -> list[dict[str, str]]:
    from icalendar import Calendar

    target = project / "campagne.ics"
    result = run("export", "--ics", str(target))
    assert result.code == 0, result.err
    return [
        {"summary": str(e["summary"]), "description": str(e["description"])}
        for e in Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    ]


def test_the_calendar_titles_speak_french(planned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    first = ics_events(planned.parent)[0]
    with speaking("fr"):
        draft = status_label("draft")
    assert first["summary"] == f"mastodon{NBSP}: {TITLE} ({draft})", first
    assert "16 avril 2026" in first["description"]
    monkeypatch.setenv("POSTSCHED_LANG", "en")
    assert ics_events(planned.parent)[0]["summary"] == f"mastodon: {TITLE} (draft)"


def test_ui_language_en_speaks_english_while_the_posts_stay_french(
    planned: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = planned.parent
    monkeypatch.delenv("POSTSCHED_LANG")
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    # No choice made: the French campaign's language.
    assert ics_events(project)[0]["summary"].startswith(f"mastodon{NBSP}: ")
    with (project / "config.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[ui]\nlanguage = "en"\n')
    first = ics_events(project)[0]
    assert first["summary"] == f"mastodon: {TITLE} (draft)", first
    assert "16 avril 2026" in first["description"], "the post's own text stays French"
    misspell_max_per_day(project)
    line = refusal(run("check"))
    assert "has a key postsched does not know, 'max_per_dya' (did you mean" in line, line
