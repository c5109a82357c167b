"""Which language postsched speaks, and the catalogs it speaks it from (posts/language.py,
scheduler/speaking.py). Each area's French is tested in tests/test_language_*.py."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from posts.errors import ConfigError
from posts.language import choose, current, gettext, normalize, speaking
from scheduler.speaking import command_line_language, requested, web_language
from tests.conftest import run

ROOT = Path(__file__).resolve().parent.parent


def _config(folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "config.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("code", "expected"),
    [("fr", "fr"), ("fr_FR.UTF-8", "fr"), ("fr-CA", "fr"), ("EN", "en"), ("de", None), ("", None)],
)
def test_a_language_code_names_a_complete_language_or_none(code: str, expected: str) -> None:
    assert normalize(code) == expected


def test_the_command_line_speaks_the_first_of_env_ui_campaign_and_system(tmp_path: Path) -> None:
    both = _config(tmp_path / "a", '[ui]\nlanguage = "en"\n[campaign]\nlanguage = "fr"\n')
    campaign_only = _config(tmp_path / "b", '[campaign]\nlanguage = "fr"\n')
    assert command_line_language(campaign_only, {}) == "fr"
    assert command_line_language(campaign_only, {"POSTSCHED_LANG": "en"}) == "en"
    assert command_line_language(both, {}) == "en"  # [ui] before [campaign]
    assert command_line_language(both, {"POSTSCHED_LANG": "fr_FR"}) == "fr"
    missing = tmp_path / "none.toml"
    assert command_line_language(missing, {"LANG": "fr_FR.UTF-8"}) == "fr"
    assert command_line_language(missing, {"LANG": "C.UTF-8"}) == "en"
    german = _config(tmp_path / "c", '[campaign]\nlanguage = "de"\n')
    assert command_line_language(german, {}) == "en"  # posts in German, the interface English


def test_the_web_page_puts_the_browser_between_the_officers_choice_and_the_campaign() -> None:
    assert web_language(["en-GB", "en"], None, "fr", {}) == "en"
    assert web_language(["de", "fr-FR"], None, "en", {}) == "fr"
    assert web_language(["de"], None, "fr", {}) == "fr"
    assert web_language(["en"], "fr", "en", {}) == "fr"  # [ui] language wins
    assert web_language(["fr"], None, "fr", {"POSTSCHED_LANG": "en"}) == "en"


def test_a_language_postsched_does_not_speak_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match=r"POSTSCHED_LANG is 'de'.*en, fr"):
        requested({"POSTSCHED_LANG": "de"})
    assert choose("de", None) == "en"


def test_french_is_read_from_the_catalog_and_english_is_the_code_itself() -> None:
    with speaking("fr"):
        assert current() == "fr"
        assert gettext("Show this message and exit.") != "Show this message and exit."
    assert current() == "en"
    assert gettext("Show this message and exit.") == "Show this message and exit."


def test_the_package_build_compiles_the_catalogs(tmp_path: Path) -> None:
    import gettext as stdlib
    import zipfile

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("postsched-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        compiled = archive.read("posts/locale/fr/LC_MESSAGES/postsched.mo")
    catalog = stdlib.GNUTranslations(io.BytesIO(compiled))
    assert catalog.gettext("Usage:") not in ("", "Usage:")


def test_a_config_toml_cannot_read_is_refused_in_its_campaigns_language(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTSCHED_LANG")
    monkeypatch.setenv("LANG", "C.UTF-8")
    config = project / "config.toml"
    config.write_text(config.read_text().replace('"ia-travail-social-2026"', '"ia-travail'))
    result = run("check")
    assert result.code == 1
    assert result.err.startswith("Erreur") and "n’est pas du TOML valide" in result.err


def test_the_demo_never_writes_over_a_folder_that_holds_something(project: Path) -> None:
    mine = project / "mine"
    mine.mkdir()
    (mine / "config.toml").write_text("mine = 1\n")
    result = run("demo", "--keep", str(mine))
    assert result.code == 1
    assert "is not an empty folder" in result.err
    assert (mine / "config.toml").read_text() == "mine = 1\n"
    assert sorted(p.name for p in mine.iterdir()) == ["config.toml"]


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("fr", "maintenant", "2026-11-30T16:00"),
        ("fr", "+3j", "2026-12-03T16:00"),
        ("fr", "demain 9h30", "2026-12-01T09:30"),
        ("fr", "aujourd’hui à 14 h", "2026-11-30T14:00"),
        ("fr", "lundi 8 mars 2027 9h30", "2027-03-08T09:30"),
        ("en", "tomorrow 9:30", "2026-12-01T09:30"),
    ],
)
def test_days_named_from_today_and_french_words_for_now(
    language: str, typed: str, expected: str
) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from posts.timing import parse_instant

    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    with speaking(language):
        found = parse_instant(typed, now=now, tz=paris)
    assert found.astimezone(paris).isoformat(timespec="minutes").startswith(expected)


def test_a_weekday_that_is_not_the_dates_is_refused_as_a_typing_mistake() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from posts.errors import InputError
    from posts.timing import parse_instant

    now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    with speaking("fr"), pytest.raises(InputError) as refused:
        parse_instant("mardi 8 mars 2027 9h30", now=now, tz=ZoneInfo("Europe/Paris"))
    assert "le 8 mars 2027 est un lundi" in str(refused.value)


def test_french_writes_the_first_of_a_month_1er() -> None:
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from posts.language import show_date, show_time

    first = datetime(2027, 3, 1, 8, 30, tzinfo=UTC)
    with speaking("fr"):
        assert show_time(first, ZoneInfo("Europe/Paris")) == "lun. 1er mars 2027, 09:30"
        assert show_date(date(2027, 3, 11)) == "11 mars 2027"
    assert show_time(first, ZoneInfo("Europe/Paris")) == "Mon 1 Mar 2027, 09:30"
