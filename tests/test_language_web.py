"""The web page speaks the officer's language: French for the shipped (French) campaign, the
browser's Accept-Language when postsched speaks it, $POSTSCHED_LANG above both; its messages,
refusals, dates, calendar, chart and the channels' errors in that language, and a time typed the
French way read back.

The templates' own words are translated by their own change: these tests read what the Python
side writes (flash messages, refusals, dates, calendar marks) and `<html lang>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from posts.errors import PermanentError
from posts.language import speaking
from scheduler.app import App
from scheduler.channels.http import load_image
from scheduler.web import create_app, hash_password
from scheduler.web.chart import reach_svg
from scheduler.web.pages import time_placeholder, typed_form
from tests.test_web import NOW, PASSWORD, log_in, text_of, token

PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"
LANG = re.compile(r'<html lang="([a-z]+)">')


@pytest.fixture
def unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """No $POSTSCHED_LANG (the suite sets it to English): the page chooses for itself."""
    monkeypatch.delenv("POSTSCHED_LANG", raising=False)


@pytest.fixture
def web(planned: Path, unset: None) -> Flask:
    app = App(config_path=planned.parent / "config.toml", clock=lambda: NOW)
    return create_app(app, password_hash=hash_password(PASSWORD))


@pytest.fixture
def officer(web: Flask) -> Iterator[FlaskClient]:
    with web.test_client() as client:
        yield log_in(client)


def lang_of(response: object) -> str:
    found = LANG.search(text_of(response))
    assert found, "the page names no language"
    return found.group(1)


def post(client: FlaskClient, path: str, data: dict[str, str], **headers: str) -> object:
    form = {**data, "csrf_token": token(client, "/queue")}
    return client.post(path, data=form, headers=headers, follow_redirects=True)


# choosing the language --------------------------------------------------------------------


def test_the_shipped_french_campaign_is_served_in_french(officer: FlaskClient) -> None:
    assert lang_of(officer.get("/queue")) == "fr"
    assert lang_of(officer.get("/login")) == "fr"


def test_the_browsers_language_comes_before_the_campaigns(officer: FlaskClient) -> None:
    assert lang_of(officer.get("/queue", headers={"Accept-Language": "en"})) == "en"
    assert lang_of(officer.get("/queue", headers={"Accept-Language": "en-GB,en;q=0.9"})) == "en"
    # A language postsched does not speak is passed over for the next one the browser names.
    assert lang_of(officer.get("/queue", headers={"Accept-Language": "de,en;q=0.5"})) == "en"


def test_a_french_browser_gets_french_over_an_english_campaign(planned: Path, unset: None) -> None:
    config = planned.parent / "config.toml"
    config.write_text(config.read_text().replace('language = "fr"', 'language = "en"', 1))
    app = App(config_path=config, clock=lambda: NOW)
    web = create_app(app, password_hash=hash_password(PASSWORD))
    with web.test_client() as client:
        log_in(client)
        assert lang_of(client.get("/queue")) == "en"  # the campaign's, with no browser language
        french = {"Accept-Language": "fr-FR,fr;q=0.9"}
        assert lang_of(client.get("/queue", headers=french)) == "fr"


def test_postsched_lang_overrides_the_browser(
    officer: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "en")
    assert lang_of(officer.get("/queue", headers={"Accept-Language": "fr-FR,fr;q=0.9"})) == "en"
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    assert lang_of(officer.get("/queue", headers={"Accept-Language": "en"})) == "fr"


# what the page says -------------------------------------------------------------------------


def test_a_wrong_password_is_told_in_french_or_english(web: Flask) -> None:
    with web.test_client() as client:
        wrong = {"password": "nope", "csrf_token": token(client)}
        page = text_of(client.post("/login", data=wrong))
        assert "Mot de passe incorrect." in page and "Wrong password." not in page
        wrong = {"password": "nope", "csrf_token": token(client)}
        page = text_of(client.post("/login", data=wrong, headers={"Accept-Language": "en"}))
        assert "Wrong password." in page


def test_refusals_and_messages_are_french(officer: FlaskClient) -> None:
    page = text_of(post(officer, "/posts/new", {"channel": "mastodon", "text": "Bonjour"}))
    assert "Indiquez l’heure de la publication." in page
    page = text_of(officer.get("/log?status=nope"))
    assert f"Il n’y a pas de statut 'nope' (statuts{NBSP}: draft," in page
    page = text_of(post(officer, "/approve", {}))
    assert "Cochez au moins une publication à approuver." in page
    page = text_of(officer.get("/queue?campaign=nulle-part"))
    assert "Il n’y a pas de campagne 'nulle-part'" in page
    page = text_of(officer.get("/queue?campaign=nulle-part", headers={"Accept-Language": "en"}))
    assert "There is no campaign 'nulle-part'" in page
    assert "Cette page n’existe pas." in text_of(officer.get("/nulle-part"))


def test_dates_are_written_the_french_way_on_the_queue_and_the_post(
    officer: FlaskClient,
) -> None:
    page = text_of(post(officer, "/posts/4/edit", {"at": "30/11/2026 12:30"}))
    assert "Publication 4 modifiée." in page
    assert "lun. 30 nov. 2026, 12:30" in page  # the post's page: its due time
    queue = text_of(officer.get("/queue"))
    assert "lun. 30 nov. 2026, 12:30" in queue
    english = text_of(officer.get("/queue", headers={"Accept-Language": "en"}))
    assert "Mon 30 Nov 2026, 12:30" in english and "lun. 30 nov." not in english
    # The flash of a new post names its time as the page writes times.
    page = text_of(
        post(officer, "/posts/new", {"channel": "mastodon", "text": "Un mot", "at": "+3d"})
    )
    assert re.search(r"Publication \d+ mise en file d’attente sur mastodon pour le jeu\. ", page)


def test_a_time_typed_the_french_way_is_read_and_shown_back(
    officer: FlaskClient, web: Flask
) -> None:
    page = text_of(post(officer, "/posts/4/edit", {"at": "07/01/2027 09:30"}))
    assert "Publication 4 modifiée." in page
    assert "jeu. 7 janv. 2027, 09:30" in page
    assert 'value="07/01/2027 09:30"' in page  # the edit field holds it as it is typed
    english = text_of(officer.get("/posts/4", headers={"Accept-Language": "en"}))
    assert 'value="2027-01-07 09:30"' in english
    # The same time typed again changes nothing.
    page = text_of(post(officer, "/posts/4/edit", {"at": "07/01/2027 09:30"}))
    assert "Rien à modifier" in page
    # A French time is refused in French when it is no day of the calendar.
    page = text_of(post(officer, "/posts/4/edit", {"at": "31/02/2027 09:30"}))
    assert "'31/02/2027 09:30'" in page and "jeu. 7 janv. 2027, 09:30" in page


def test_the_templates_are_given_the_time_fields_form(web: Flask) -> None:
    template = "{{ time_placeholder }}|{{ local_input(when) }}|{{ show(when) }}"
    when = datetime(2027, 1, 7, 8, 30, tzinfo=UTC)
    with web.test_request_context("/", headers={"Accept-Language": "fr"}):
        web.preprocess_request()
        assert render_template_string(template, when=when) == (
            "jj/mm/aaaa hh:mm|07/01/2027 09:30|jeu. 7 janv. 2027, 09:30"
        )
    with web.test_request_context("/", headers={"Accept-Language": "en"}):
        web.preprocess_request()
        assert render_template_string(template, when=when) == (
            "YYYY-MM-DD HH:MM|2027-01-07 09:30|Thu 7 Jan 2027, 09:30"
        )


def test_typed_form_and_its_placeholder_follow_the_language() -> None:
    when = datetime(2027, 1, 7, 8, 30, tzinfo=UTC)
    with speaking("fr"):
        assert (typed_form(when, PARIS), time_placeholder()) == (
            "07/01/2027 09:30",
            "jj/mm/aaaa hh:mm",
        )
    with speaking("en"):
        assert typed_form(when, PARIS) == "2027-01-07 09:30"
    assert typed_form(None, PARIS) == ""


def test_the_calendar_names_days_holidays_and_marks_in_french(officer: FlaskClient) -> None:
    page = text_of(officer.get("/?from=start"))
    assert "lun. 12 janv. 2026" in page  # a week's first day carries its year
    assert "lundi 6 avril 2026" in page and "Lundi de Pâques" in page
    assert "aujourd’hui" in page and "début de la campagne" in page
    assert f"article{NBSP}: dernier jour" in page
    assert f"article{NBSP}: dernière publication avant 12:00" in page
    english = text_of(officer.get("/?from=start", headers={"Accept-Language": "en"}))
    assert "Easter Monday" in english and "article: last day" in english
    assert "campaign starts" in english and "Lundi de Pâques" not in english


# the chart and the channels ---------------------------------------------------------------------


def test_the_reach_chart_speaks_french() -> None:
    with speaking("fr"):
        svg = reach_svg([], [], {}, PARIS)
    assert "Aucune publication publiée n’a encore de chiffres." in svg
    assert "Interactions par phase" in svg
    assert "Portée" in svg and "interactions de chaque publication" in svg
    with speaking("en"):
        assert "No published post has figures yet." in reach_svg([], [], {}, PARIS)


def test_a_channels_error_is_in_the_persons_language(tmp_path: Path) -> None:
    image = tmp_path / "card.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    with speaking("fr"), pytest.raises(PermanentError) as refused:
        load_image(image, None)
    assert (
        str(refused.value)
        == f"une image a besoin de son texte alternatif{NBSP}; celle-ci n’en a pas"
    )
    with speaking("en"), pytest.raises(PermanentError) as refused:
        load_image(image, None)
    assert str(refused.value) == "an image needs its alt text; this one has none"


def test_pages_vary_by_language_and_a_form_without_its_token_is_refused_all_in_french(
    officer: FlaskClient,
) -> None:
    page = officer.get("/queue")
    assert "Accept-Language" in page.headers["Vary"]  # no cache serves French to English
    refused = officer.post("/approve", data={"one": "1"})
    assert refused.status_code == 400
    main = text_of(refused).split("<main>")[1].split("</main>")[0]
    assert "Rechargez la page" in main
    assert "CSRF" not in main and "token" not in main  # flask-wtf's English detail left out
