"""Control characters in texts (issue 13): refused naming the character and where, on every
database; tabs and line breaks kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from posts.campaign import Subject
from posts.checks import AddRequest
from posts.errors import InputError, TemplateError
from posts.officer import Officer
from posts.rendering import Renderer
from posts.store import Store
from scheduler.app import App
from scheduler.config import load_config
from scheduler.database import open_engine, upgrade
from tests.conftest import run
from tests.test_exchange import write
from tests.test_refusals import assert_refused, refused_unchanged
from tests.test_web import client, officer, officer_app, post_form, text_of, web  # noqa: F401

# 10. control characters -----------------------------------------------------------------------


def test_add_and_edit_refuse_a_nul_naming_it_and_keep_tabs_and_line_breaks(
    planned: Path,
) -> None:
    result = refused_unchanged(
        planned, "add", "mastodon", "--at", "2027-03-01T09:30", "--text", "Salon\x00IA"
    )
    assert_refused(result, "U+0000 (NUL)")
    result = refused_unchanged(planned, "edit", "1", "--text", "Salon\x1bIA")
    assert_refused(result, "post 1", "U+001B (ESC)")
    kept = run("add", "mastodon", "--at", "2027-03-01T09:30", "--text", "Salon\tIA\nlundi")
    assert kept.code == 0, kept.err
    assert json.loads(run("show", str(kept.new_id), "--json").out)["body"] == "Salon\tIA\nlundi"


def test_import_refuses_a_control_character_naming_the_line(planned: Path) -> None:
    text = "channel,time,text\nmastodon,2027-07-01T10:00,ok\nlinkedin,2027-07-02T10:00,bip\x07\n"
    result = refused_unchanged(planned, "import", "--csv", write(planned.parent, text))
    assert_refused(result, "posts.csv line 3", "U+0007 (BEL)")


def test_a_template_writing_a_control_character_is_refused_naming_the_file(
    project: Path,
) -> None:
    renderer = Renderer(load_config(project / "config.toml"))
    (project / "templates" / "course" / "bell.j2").write_text("Formation {{ '\\x00' }}\n")
    context = renderer.context(Subject("course", "ethique"), "promo", "mastodon", NOW)
    with pytest.raises(TemplateError) as refused:
        renderer.render("course/bell.j2", context)
    assert "course/bell.j2" in str(refused.value) and "U+0000 (NUL)" in str(refused.value)


def test_the_web_form_refuses_a_control_character(
    officer: FlaskClient,  # noqa: F811
    officer_app: App,  # noqa: F811
) -> None:
    before = len(officer_app.store.list_posts())
    response = post_form(
        officer,
        "/posts/new",
        {"channel": "mastodon", "at": "2027-03-01T09:30", "text": "Salon\x00IA"},
        follow_redirects=True,
    )
    assert "U+0000 (NUL)" in text_of(response)
    assert len(officer_app.store.list_posts()) == before


NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def officer_on(project: Path, database_url: str) -> Iterator[Officer]:
    engine = open_engine(database_url, create=True)
    upgrade(engine)
    yield Officer(load_config(project / "config.toml"), Store(engine))
    engine.dispose()


def test_a_nul_is_one_sentence_on_every_database(officer_on: Officer) -> None:
    request = AddRequest("mastodon", NOW + timedelta(days=3), text="Salon\x00IA")
    with pytest.raises(InputError) as refused:
        officer_on.add(request, NOW)
    assert "U+0000 (NUL)" in str(refused.value)
    assert "SELECT" not in str(refused.value) and "INSERT" not in str(refused.value)
    assert officer_on.store.list_posts() == []
