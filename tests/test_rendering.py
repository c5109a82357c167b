"""Templates: the shipped ones say what they must, and the sandbox holds."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from posts.campaign import Subject
from posts.errors import TemplateError
from posts.littletext import escape_little_text, unescape_little_text
from posts.officer import Officer
from posts.rendering import Renderer, hashtag, hashtags
from scheduler.config import load_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped() -> Officer:
    return Officer(load_config(ROOT / "config.toml"), None)


def test_every_shipped_template_renders_for_every_subject_and_channel(shipped: Officer) -> None:
    rendered = shipped.render_all()
    config = shipped.config
    assert config.article is not None
    expected = {
        (subject, phase, channel)
        for channel in config.channels
        for subject, phase in [("article", p.name) for p in config.article.phases]
        + [(f"course:{c.key}", "promo") for c in config.courses]
    }
    assert {(r.post.subject, r.post.phase, r.post.channel) for r in rendered} == expected
    for item in rendered:
        body = item.post.body
        if item.post.subject == "article":
            assert "https://shs.cairn.info/tap-tdgcu5qbq9556" in body
            assert "16 avril 2026" in body
            assert "Philippe Fofana" in body and "Julien Scheepers" in body
            assert "Vie sociale" in body
            assert "#TravailSocial" in body
        else:
            course = config.course(item.post.subject.split(":")[1])
            assert course is not None
            assert course.title in body
            assert "intra" in body and "inter" in body
            assert "formationcontinue@hetis.fr" in body and "04 92 07 79 05" in body
            assert "cairn.info" not in body, "course posts may go out after the link died"


def test_article_texts_say_how_many_days_are_left(shipped: Officer) -> None:
    texts = {r.post.plan_key: r.post.body for r in shipped.render_all()}
    # The last call goes out on 14 April: two days before the 16th.
    assert "2 jours" in texts["article/last-call/mastodon"]
    assert "13 jours" in texts["article/reminder-10d/linkedin"]  # 3 April


def test_linkedin_texts_mention_the_authors_roles(shipped: Officer) -> None:
    texts = {r.post.plan_key: r.post.body for r in shipped.render_all()}
    assert "directeur général" in texts["article/announce/linkedin"]
    assert "LARIIS" in texts["article/announce/linkedin"]


def test_french_dates_and_hashtags(shipped: Officer) -> None:
    renderer = shipped.renderer
    assert renderer._format_date(date(2026, 4, 16)) == "16 avril 2026"
    monday = datetime(2026, 1, 12, 8, 30, tzinfo=UTC)
    assert renderer._format_date(monday, "EEEE d MMMM") == "lundi 12 janvier"
    assert hashtag("travail social") == "#TravailSocial"
    assert hashtag("éthique numérique") == "#ÉthiqueNumérique"
    assert hashtag("#déjà_un-tag") == "#DéjàUnTag"
    assert hashtags(["IA", "ia", "travail social"]) == "#IA #Ia #TravailSocial"


@pytest.fixture
def scratch(tmp_path: Path) -> Renderer:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    shutil.copy(ROOT / "config.toml", tmp_path / "config.toml")
    return Renderer(load_config(tmp_path / "config.toml"))


def render_announce(renderer: Renderer) -> str:
    when = datetime(2026, 1, 12, 8, 30, tzinfo=UTC)
    return renderer.render_post(Subject("article"), "announce", "mastodon", when)


def test_an_undefined_name_is_refused_with_file_and_line(scratch: Renderer) -> None:
    path = scratch.templates_dir / "article/announce.mastodon.j2"
    lines = path.read_text().splitlines()
    lines.append("{{ no_such_thing }}")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TemplateError) as caught:
        render_announce(scratch)
    assert caught.value.lineno == len(lines)
    assert str(path) in str(caught.value) and "no_such_thing" in str(caught.value)


def test_a_syntax_error_is_refused_with_file_and_line(scratch: Renderer) -> None:
    path = scratch.templates_dir / "article/announce.mastodon.j2"
    path.write_text("Bonjour\n{% if %}\n")
    with pytest.raises(TemplateError) as caught:
        render_announce(scratch)
    assert caught.value.lineno == 2 and "syntax error" in str(caught.value)


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ article.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ ''.format.__globals__ }}",
        "{{ (1).__class__.__base__.__subclasses__() }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
    ],
)
def test_the_sandbox_refuses_known_escapes(scratch: Renderer, escape: str) -> None:
    path = scratch.templates_dir / "article/announce.mastodon.j2"
    path.write_text(f"texte\n{escape}\n")
    with pytest.raises(TemplateError) as caught:
        render_announce(scratch)
    message = str(caught.value)
    assert str(path) in message
    assert "<class" not in message and "uid=" not in message


def test_lookup_falls_back_from_phase_and_network_to_defaults(scratch: Renderer) -> None:
    base = scratch.templates_dir / "article"
    assert scratch.find("article", "announce", "mastodon") == "article/announce.mastodon.j2"
    (base / "bonus.j2").write_text("x")
    assert scratch.find("article", "bonus", "mastodon") == "article/bonus.j2"
    (base / "default.linkedin.j2").write_text("x")
    (base / "default.j2").write_text("x")
    assert scratch.find("article", "other", "linkedin") == "article/default.linkedin.j2"
    assert scratch.find("article", "other", "mastodon") == "article/default.j2"
    with pytest.raises(TemplateError, match="no template"):
        scratch.find("event", "other", "mastodon")


RESERVED = "\\|{}@[]()<>#*_~"


def test_little_text_escapes_every_reserved_character_and_round_trips() -> None:
    text = "Vie sociale (Cairn.info – 2025/4 n° 52) [a] {b} <c> @d *e* _f_ ~g~ | \\ # 1 #IA"
    escaped = escape_little_text(text)
    assert unescape_little_text(escaped) == text
    assert "\\(Cairn.info" in escaped and "52\\)" in escaped
    assert escaped.endswith(" \\# 1 #IA"), "a bare '#' is escaped, a hashtag is kept"
    # Every reserved character left in the escaped text is escaped, except the hashtag's '#'.
    i = 0
    while i < len(escaped):
        if escaped[i] == "\\":
            assert escaped[i + 1] in RESERVED
            i += 2
            continue
        assert escaped[i] not in RESERVED or escaped[i : i + 3] == "#IA"
        i += 1


def test_little_text_round_trips_on_the_templates_actual_output(shipped: Officer) -> None:
    for item in shipped.render_all():
        if item.post.channel != "linkedin":
            continue
        escaped = escape_little_text(item.post.body)
        assert unescape_little_text(escaped) == item.post.body
        if item.post.subject == "article":
            assert "\\(2025/4 n° 52" in escaped, "the journal's issue is in parentheses"
        assert "formationcontinue\\@hetis.fr" in escaped or "@" not in item.post.body
        assert "#TravailSocial" in escaped and "\\#TravailSocial" not in escaped
