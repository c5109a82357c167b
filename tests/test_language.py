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
