"""Posts everyone can read, screen reader or not (posts/accessibility.py): lower-case hashtags
of several words, emoji (too many, as bullets, in place of a word) and alt texts that describe
nothing are warned of by `add`, `edit`, `import`, `check` and the web page's forms, and refused
with --strict; styled ("fancy") letters are refused always."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer

from posts.accessibility import (
    Vocabulary,
    alt_findings,
    alt_limit,
    is_emoji,
    text_findings,
)
from posts.models import Post
from posts.styled_letters import first_fancy
from scheduler.app import App
from scheduler.web import create_app, hash_password
from tests.conftest import ROOT, run
from tests.test_mastodon import channel_for
from tests.test_web import NOW, PASSWORD, log_in, post_form, text_of

CAMPAIGN = Vocabulary(["intelligence artificielle", "travail social", "éthique numérique"])
AT = "2031-03-04T09:30"  # a Tuesday in a posting window, far ahead of any clock
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def rules(text: str, known: Vocabulary = CAMPAIGN) -> list[str]:
    return [f.rule for f in text_findings(text, known)]


def warnings(text: str) -> list[str]:
    return [f.warning("post 1") for f in text_findings(text, CAMPAIGN)]


# the rules ------------------------------------------------------------------------------


def test_a_lower_case_hashtag_of_several_words_gets_its_camel_case() -> None:
    assert warnings("Lire #travailsocial") == [
        "post 1: the hashtag #travailsocial joins several words in lower case, which screen "
        "readers read as one long word; write #TravailSocial."
    ]
    # Only the first letter capital is still one word to a screen reader.
    assert CAMPAIGN.camel_case("Travailsocial") == "#TravailSocial"
    # The campaign's own phrase, accents and all, for its hashtag typed without them.
    assert CAMPAIGN.camel_case("ethiquenumerique") == "#ÉthiqueNumérique"
    # Words the shipped list knows, not the campaign, and an acronym kept whole.
    assert Vocabulary().camel_case("formationcontinue") == "#FormationContinue"
    assert Vocabulary().camel_case("iaettravailsocial") == "#IAEtTravailSocial"
    assert Vocabulary().camel_case("formationcontinue2026") == "#FormationContinue2026"


@pytest.mark.parametrize(
    "text",
    [
        "#formation",  # one word in lower case is fine
        "#TravailSocial #IntelligenceArtificielle",
        "#hetis",  # no known words to tell apart: left alone
        "https://example.org/page#travailsocial",  # a link's anchor is no hashtag
    ],
)
def test_hashtags_a_screen_reader_reads_well_pass(text: str) -> None:
    assert rules(text) == []


def test_more_than_three_emoji_counted_as_grapheme_clusters() -> None:
    # Three emoji made of eleven code points: a woman technologist of one skin tone, a flag, a
    # keycap; counted as the reader sees them, three, which is fine.
    three = "👩🏽‍💻 Bonjour. Drapeau 🇫🇷, étape 1️⃣."
    assert len(three) > 20 and rules(three) == []
    assert rules(three + " 🎉") == ["emoji-count"]
    assert (
        "4 emoji" in warnings(three + " 🎉")[0] and "keep 3 at most" in warnings(three + " 🎉")[0]
    )
    # A copyright sign or a smiley in text style is a character, not an emoji.
    assert not is_emoji("©") and not is_emoji("☺") and is_emoji("❤️") and is_emoji("📖")


def test_emoji_as_bullets() -> None:
    assert rules("📖 Parution d'un article.\nÀ lire.") == []  # one line: an opening, fine
    text = "Programme :\n✅ enjeux éthiques\n  ✅ gouvernance\n– usages"
    assert rules(text) == ["emoji-bullets"]
    assert warnings(text) == [
        "post 1: 2 lines start with an emoji (✅), which screen readers read out by name "
        "before each line; start the lines with words, or with a dash."
    ]


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Venez 👉 nous voir", True),  # between two words of a sentence
        ("J'❤️ Nice", True),  # after an elided word, whatever comes next
        ("Nous proposons 3 🎓 formations", True),
        ("📖 Parution d'un article", False),  # opening the line
        ("Bonne lecture ! 📖", False),  # closing the sentence
        ("Programme 👉 https://hetis.fr", False),  # before a link
        ("Rendez-vous le 12 mars 🎉 À bientôt", False),  # a capital: a new sentence
    ],
)
def test_an_emoji_in_place_of_a_word(text: str, flagged: bool) -> None:
    assert ("emoji-word" in rules(text)) is flagged


def test_the_emoji_in_place_of_a_word_is_quoted_with_its_neighbours() -> None:
    assert warnings("Venez 👉 nous voir demain") == [
        "post 1: the emoji 👉 stands where a word belongs (“Venez 👉 nous voir”), and screen "
        "readers read its name there; write the word."
    ]


@pytest.mark.parametrize(
    ("text", "word", "plain"),
    [
        ("Un 𝐁𝐨𝐧𝐣𝐨𝐮𝐫 à tous", "𝐁𝐨𝐧𝐣𝐨𝐮𝐫", "Bonjour"),  # mathematical bold
        ("𝘐𝘯𝘴𝘤𝘳𝘪𝘱𝘵𝘪𝘰𝘯𝘴", "𝘐𝘯𝘴𝘤𝘳𝘪𝘱𝘵𝘪𝘰𝘯𝘴", "Inscriptions"),  # mathematical italic
        ("Ⓗⓔⓣⓘⓢ", "Ⓗⓔⓣⓘⓢ", "Hetis"),  # circled
        ("ＩＡ 2026", "ＩＡ", "IA"),  # full-width
        ("🄸🄰", "🄸🄰", "IA"),  # squared
        ("ℍé𝕥𝕚𝕤", "ℍé𝕥𝕚𝕤", "Hétis"),  # double-struck
        ("ᴘᴏsᴛ", "ᴘᴏsᴛ", "post"),  # small capitals, no NFKC form: told by name
    ],
)
def test_fancy_letters_are_found_with_their_plain_form(text: str, word: str, plain: str) -> None:
    found = first_fancy(text)
    assert found is not None and found[:2] == (word, plain)


def test_ordinary_french_typography_is_not_fancy() -> None:
    assert first_fancy("Le 1ᵉʳ mars, n° 52, 2025/4 : « IA » – ﬁn ℹ️ © Hétis") is None


@pytest.mark.parametrize(
    ("alt", "rule"),
    [
        ("IMG_1234.jpg", "alt-file-name"),
        ("photo.png", "alt-file-name"),
        ("DSC_0042", "alt-file-name"),
        ("couverture", "alt-file-name"),  # the image's own name, without its suffix
        ("Logo", "alt-short"),
        ("Notre équipe", "alt-short"),
        ("La couverture du numéro 52 de la revue Vie sociale", None),
    ],
)
def test_alt_text_that_describes_nothing(alt: str, rule: str | None) -> None:
    found = [f.rule for f in alt_findings(alt, "/images/couverture.png", "Mastodon", 1500)]
    assert found == ([rule] if rule else [])


def test_alt_text_over_the_networks_limit() -> None:
    assert alt_limit("mastodon") == 1500
    assert alt_limit("mastodon", {"description_limit": 900}) == 900
    assert alt_limit("bluesky") == 2000 and alt_limit("linkedin") == 4086
    long = "Une photo de groupe. " * 80  # 1,680 characters
    found = alt_findings(long, None, "Mastodon", 1500)
    assert [f.rule for f in found] == ["alt-long"]
    assert found[0].warning("post 4") == (
        "post 4: the image's alt text is 1679 characters, over Mastodon's limit of 1500; "
        "shorten it, or the network will refuse the post."
    )
    assert alt_findings(long, None, "LinkedIn", 4086) == []


# the command line -----------------------------------------------------------------------


def stored() -> list[dict[str, object]]:
    result = run("queue", "--json", "--all")
    assert result.code == 0, result.err
    posts: list[dict[str, object]] = json.loads(result.out)
    return posts


def a11y_warnings(err: str) -> list[str]:
    """The accessibility warnings among a command's (a time rule may warn too)."""
    return [
        line
        for line in err.splitlines()
        if line.startswith("Warning:") and ("screen reader" in line or "alt text" in line)
    ]


@pytest.fixture
def db(project: Path) -> Path:
    assert run("init").code == 0
    return project


def test_add_warns_and_stores_the_post(db: Path) -> None:
    result = run("add", "mastodon", "--at", AT, "--text", "Lire l'article #travailsocial")
    assert result.code == 0, result.err
    assert a11y_warnings(result.err) == [
        f"Warning: post {result.new_id}: the hashtag #travailsocial joins several words in "
        "lower case, which screen readers read as one long word; write #TravailSocial."
    ]
    assert [p["body"] for p in stored()] == ["Lire l'article #travailsocial"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Lire l'article #travailsocial", "write #TravailSocial"),
        ("📖 Un article 🎓 des formations 🔔 un rappel ⏳ vite", "keep 3 at most"),
        ("Au programme :\n✅ l'éthique\n✅ la gouvernance", "start the lines with words"),
        ("Venez 👉 nous voir", "stands where a word belongs"),
    ],
)
def test_add_strict_refuses_and_stores_nothing(db: Path, text: str, said: str) -> None:
    result = run("add", "mastodon", "--at", AT, "--text", text, "--strict")
    assert result.code == 1
    assert said in result.err and "--strict refuses a post an accessibility rule" in result.err
    assert result.err.startswith("Error: The new post on mastodon: ")
    assert stored() == []
    plain = run("add", "mastodon", "--at", AT, "--text", text)
    assert plain.code == 0 and said in "".join(a11y_warnings(plain.err))


def test_strict_names_a_time_rule_and_an_accessibility_rule_in_one_refusal(db: Path) -> None:
    """A post at a time the campaign advises against and with a lower-case hashtag is refused
    once for both, not for the time first and the hashtag after the officer moved it."""
    sunday = "2031-03-09T09:30"
    result = run("add", "mastodon", "--at", sunday, "--text", "Lire #travailsocial", "--strict")
    assert result.code == 1
    assert result.err.startswith(
        "Error: The new post on mastodon would be due Sun 9 Mar 2031, 09:30, "
    )
    assert "write #TravailSocial. --strict refuses both (choose another time" in result.err
    assert result.err.count("--strict") == 2 and result.err.count("\n") == 1  # said once
    assert stored() == []


def test_add_refuses_fancy_letters_even_without_strict(db: Path) -> None:
    result = run("add", "mastodon", "--at", AT, "--text", "𝐁𝐨𝐧𝐣𝐨𝐮𝐫 à tous !")
    assert result.code == 1
    assert result.err == (
        "Error: The text writes “𝐁𝐨𝐧𝐣𝐨𝐮𝐫” in styled letters (𝐁 U+1D401 MATHEMATICAL BOLD "
        "CAPITAL B), which screen readers spell out one by one by their names: write "
        "“Bonjour” in plain letters.\n"
    )
    assert stored() == []


def test_add_with_an_image_judges_its_alt_text(db: Path) -> None:
    image = db / "IMG_1234.png"
    image.write_bytes(PNG)
    args = ("add", "mastodon", "--image", str(image), "--at")  # a day apart: no time rule
    named = run(*args, "2031-03-04T09:30", "--text", "Un", "--alt", "IMG_1234.png")
    assert named.code == 0
    assert a11y_warnings(named.err) == [
        f"Warning: post {named.new_id}: the image's alt text “IMG_1234.png” is a file name, "
        "which tells a reader who cannot see the image nothing; describe what it shows."
    ]
    short = run(*args, "2031-03-05T09:30", "--text", "Deux", "--alt", "Notre équipe", "--strict")
    assert short.code == 1 and "shorter than 3 words" in short.err
    fancy = run(
        *args, "2031-03-06T09:30", "--text", "3", "--alt", "Ｌ’équipe de formation au complet"
    )
    assert fancy.code == 1 and "The alt text writes “Ｌ’équipe” in styled letters" in fancy.err
    good = run(
        *args, "2031-03-07T09:30", "--text", "Quatre", "--alt", "L'équipe de formation, au complet"
    )
    assert good.code == 0 and a11y_warnings(good.err) == []
    assert [p["body"] for p in stored()] == ["Un", "Quatre"]


def test_the_alt_text_limit_is_the_channels_description_limit(db: Path) -> None:
    config = db / "config.toml"
    text = config.read_text()
    config.write_text(
        text.replace('visibility = "public"', 'visibility = "public"\ndescription_limit = 40')
    )
    image = db / "a.png"
    image.write_bytes(PNG)
    alt = "Une salle de formation, douze personnes autour d'une table"  # 58 characters
    result = run("add", "mastodon", "--at", AT, "--text", "Un", "--image", str(image), "--alt", alt)
    assert result.code == 0
    assert a11y_warnings(result.err) == [
        f"Warning: post {result.new_id}: the image's alt text is 58 characters, over Mastodon's "
        "limit of 40; shorten it, or the network will refuse the post."
    ]


def test_edit_warns_and_edit_strict_refuses(db: Path) -> None:
    post = run("add", "mastodon", "--at", AT, "--text", "Un texte").new_id
    refused = run("edit", str(post), "--text", "Un texte #formationcontinue", "--strict")
    assert refused.code == 1 and "write #FormationContinue" in refused.err
    assert refused.err.startswith(f"Error: Post {post}: the hashtag #formationcontinue")
    assert [p["body"] for p in stored()] == ["Un texte"]
    fancy = run("edit", str(post), "--text", "Un ｔｅｘｔｅ")
    assert fancy.code == 1 and "write “texte” in plain letters" in fancy.err
    edited = run("edit", str(post), "--text", "Un texte #formationcontinue")
    assert edited.code == 0
    assert a11y_warnings(edited.err) == [
        f"Warning: post {post}: the hashtag #formationcontinue joins several words in lower "
        "case, which screen readers read as one long word; write #FormationContinue."
    ]
    assert [p["body"] for p in stored()] == ["Un texte #formationcontinue"]


def test_edit_alt_mends_an_images_alt_text_after_its_warning(db: Path) -> None:
    image = db / "IMG_1234.png"
    image.write_bytes(PNG)
    args = ("--image", str(image), "--alt", "IMG_1234.png")
    post = run("add", "mastodon", "--at", AT, "--text", "Un", *args).new_id
    plain = run("add", "mastodon", "--at", "2031-03-08T09:30", "--text", "Sans image").new_id
    refused = run("edit", str(post), "--alt", "photo.png", "--strict")
    assert refused.code == 1 and "is a file name" in refused.err
    assert run("edit", str(plain), "--alt", "Une salle").err.strip() == (
        f"Error: Post {plain} has no image: --alt describes a post's image."
    )
    mended = run("edit", str(post), "--alt", "L'équipe de formation réunie autour d'une table")
    assert mended.code == 0 and a11y_warnings(mended.err) == []
    shown = json.loads(run("show", str(post), "--json").out)
    assert shown["media"]["alt"] == "L'équipe de formation réunie autour d'une table"
    assert shown["events"][-1]["event"] == "edited"
    assert "alt text changed" in shown["events"][-1]["detail"]


def test_import_warns_per_row_and_strict_refuses_every_row(db: Path) -> None:
    csv = db / "posts.csv"
    csv.write_text(
        "channel,time,text\n"
        f"mastodon,{AT},Une annonce sans défaut\n"
        f"linkedin,{AT},Venez 👉 nous voir\n",
        encoding="utf-8",
    )
    refused = run("import", "--csv", str(csv), "--strict")
    assert refused.code == 1 and "posts.csv line 3: the post: the emoji 👉" in refused.err
    assert stored() == []
    result = run("import", "--csv", str(csv))
    assert result.code == 0, result.err
    ids = [p["id"] for p in stored()]
    assert a11y_warnings(result.err) == [
        f"Warning: post {ids[1]} ({csv} line 3): the emoji 👉 stands where a word belongs "
        "(“Venez 👉 nous voir”), and screen readers read its name there; write the word."
    ]


def test_import_refuses_fancy_letters_naming_the_line(db: Path) -> None:
    csv = db / "posts.csv"
    csv.write_text(f"channel,time,text\nmastodon,{AT},Ⓘⓝⓢⓒⓡⓘⓟⓣⓘⓞⓝⓢ ouvertes\n", encoding="utf-8")
    result = run("import", "--csv", str(csv))
    assert result.code == 1
    assert f"{csv} line 2: The text writes “Ⓘⓝⓢⓒⓡⓘⓟⓣⓘⓞⓝⓢ”" in result.err
    assert "write “Inscriptions” in plain letters" in result.err
    assert stored() == []


def test_the_shipped_campaigns_pass_the_lint(project: Path) -> None:
    """config.toml and the spring 2027 example (its course sessions go through the templates'
    session lines) render without an accessibility warning, even with --strict."""
    campaigns = project / "campaigns"
    campaigns.mkdir()
    (campaigns / "printemps-2027.toml").write_text(
        (ROOT / "docs/examples/printemps-2027.toml").read_text()
    )
    result = run("check", "--strict")
    assert result.code == 0, result.err
    assert "Warning" not in result.err
    assert "all 24 posts render" in result.out and "printemps-2027.toml is valid" in result.out


def test_check_warns_of_a_template_and_strict_fails(project: Path) -> None:
    template = project / "templates/article/announce.mastodon.j2"
    template.write_text(template.read_text() + " #recherchesociale\n🔔 Rappel\n")
    result = run("check")
    assert result.code == 0, result.err
    found = a11y_warnings(result.err)
    assert found == [
        "Warning: article/announce.mastodon.j2 (article/announce/mastodon): the hashtag "
        "#recherchesociale joins several words in lower case, which screen readers read as "
        "one long word; write #RechercheSociale.",
        "Warning: article/announce.mastodon.j2 (article/announce/mastodon): 2 lines start "
        "with an emoji (📖 🔔), which screen readers read out by name before each line; "
        "start the lines with words, or with a dash.",
    ]
    strict = run("check", "--strict")
    assert strict.code == 1
    assert "2 accessibility warnings above, which --strict refuses" in strict.err


def test_check_refuses_fancy_letters_from_a_template_or_the_config(project: Path) -> None:
    template = project / "templates/course/default.linkedin.j2"
    template.write_text(template.read_text().replace("Renseignements et", "𝙍𝙚𝙣𝙨𝙚𝙞𝙜𝙣𝙚𝙢𝙚𝙣𝙩𝙨 et"))
    result = run("check")
    assert result.code == 1
    assert "course:ethique/promo/linkedin (linkedin, " in result.err
    assert "write “Renseignements” in its template or in config.toml" in result.err


def test_check_judges_the_link_cards_alt_text(project: Path) -> None:
    (project / "images").mkdir()
    (project / "images/couverture.png").write_bytes(PNG)
    config = project / "config.toml"
    config.write_text(
        config.read_text().replace(
            '# image = "images/couverture.png"\n# image_alt = "La couverture du numéro 52 de la '
            'revue Vie sociale"',
            'image = "images/couverture.png"\nimage_alt = "couverture.png"',
        )
    )
    result = run("check")
    assert result.code == 0, result.err
    assert a11y_warnings(result.err) == [
        "Warning: config.toml: [article] image_alt: the image's alt text “couverture.png” is a "
        "file name, which tells a reader who cannot see the image nothing; describe what it "
        "shows."
    ]


def test_the_warnings_speak_french(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTSCHED_LANG", "fr")
    result = run("add", "mastodon", "--at", AT, "--text", "Lire #travailsocial")
    assert result.code == 0
    assert (
        "le hashtag #travailsocial colle plusieurs mots en minuscules, que les lecteurs "
        "d’écran lisent comme un seul long mot ; écrivez #TravailSocial." in result.err
    )
    fancy = run("add", "mastodon", "--at", AT, "--text", "𝐁𝐨𝐧𝐣𝐨𝐮𝐫")
    assert "écrivez « Bonjour » en lettres ordinaires" in fancy.err
    assert "U+1D401" in fancy.err and "MATHEMATICAL" not in fancy.err  # Unicode's English name


# the web page ---------------------------------------------------------------------------


@pytest.fixture
def officer_app(planned: Path) -> App:
    return App(config_path=planned.parent / "config.toml", clock=lambda: NOW)


@pytest.fixture
def officer(officer_app: App) -> Iterator[FlaskClient]:
    web: Flask = create_app(officer_app, password_hash=hash_password(PASSWORD))
    with web.test_client() as client:
        yield log_in(client)


NEW = {"channel": "mastodon", "at": "2026-01-07T12:30"}


def newest(a: App) -> Post:
    return max(a.store.list_posts(), key=lambda p: p.id)


def test_the_new_post_form_warns(officer: FlaskClient, officer_app: App) -> None:
    response = post_form(
        officer, "/posts/new", {**NEW, "text": "Venez 👉 nous voir"}, follow_redirects=True
    )
    page = text_of(response)
    post = newest(officer_app)
    assert post.body == "Venez 👉 nous voir"
    assert (
        f"Warning: post {post.id}: the emoji 👉 stands where a word belongs (“Venez 👉 nous "
        "voir”), and screen readers read its name there; write the word." in page
    )


def test_the_new_post_forms_strict_box_refuses(officer: FlaskClient, officer_app: App) -> None:
    before = len(officer_app.store.list_posts())
    data = {**NEW, "text": "Lire #travailsocial", "strict": "yes"}
    response = post_form(officer, "/posts/new", data)
    page = text_of(response)
    assert response.status_code == 400
    assert "The new post on mastodon: the hashtag #travailsocial" in page
    assert "write #TravailSocial" in page and "--strict refuses" in page
    assert re.search(r'name="strict" value="yes"\s+checked', page)  # as the officer left it
    assert len(officer_app.store.list_posts()) == before


def test_the_new_post_form_refuses_fancy_letters(officer: FlaskClient, officer_app: App) -> None:
    before = len(officer_app.store.list_posts())
    response = post_form(officer, "/posts/new", {**NEW, "text": "𝓘𝓷𝓼𝓬𝓻𝓲𝓹𝓽𝓲𝓸𝓷𝓼 ouvertes"})
    page = text_of(response)
    assert response.status_code == 400
    assert "The text writes “𝓘𝓷𝓼𝓬𝓻𝓲𝓹𝓽𝓲𝓸𝓷𝓼” in styled letters" in page
    assert "write “Inscriptions” in plain letters" in page
    assert len(officer_app.store.list_posts()) == before


def test_the_new_post_form_judges_the_alt_text(officer: FlaskClient, officer_app: App) -> None:
    data = {**NEW, "text": "Avec image", "alt": "IMG_1234.jpg"}
    response = post_form(
        officer,
        "/posts/new",
        {**data, "image": (io.BytesIO(PNG), "IMG_1234.jpg")},
        follow_redirects=True,
    )
    post = newest(officer_app)
    assert post.media_alt == "IMG_1234.jpg"
    assert f"Warning: post {post.id}: the image's alt text “IMG_1234.jpg” is a file name" in (
        text_of(response)
    )


def test_the_edit_form_warns_and_its_strict_box_refuses(
    officer: FlaskClient, officer_app: App
) -> None:
    post = officer_app.store.get(3)
    text = "Au programme :\n✅ l'éthique\n✅ la gouvernance"
    refused = post_form(officer, f"/posts/{post.id}/edit", {"text": text, "strict": "yes"})
    assert refused.status_code == 400
    assert f"Post {post.id}: 2 lines start with an emoji (✅)" in text_of(refused)
    assert officer_app.store.get(3).body == post.body
    response = post_form(officer, f"/posts/{post.id}/edit", {"text": text}, follow_redirects=True)
    assert f"Warning: post {post.id}: 2 lines start with an emoji (✅)" in text_of(response)
    assert officer_app.store.get(3).body == text


def test_the_edit_form_mends_the_alt_text(officer: FlaskClient, officer_app: App) -> None:
    data = {**NEW, "text": "Avec image", "alt": "IMG_1234.jpg"}
    post_form(officer, "/posts/new", {**data, "image": (io.BytesIO(PNG), "IMG_1234.jpg")})
    post = newest(officer_app)
    page = text_of(officer.get(f"/posts/{post.id}"))
    assert "Alt text of the image" in page
    alt = "L'affiche de la formation, en bleu et blanc"
    post_form(officer, f"/posts/{post.id}/edit", {"alt": alt}, follow_redirects=True)
    assert officer_app.store.get(post.id).media_alt == alt


def test_the_check_page_warns_of_a_template(officer: FlaskClient, officer_app: App) -> None:
    assert "screen readers" not in text_of(officer.get("/check"))  # the shipped templates
    template = officer_app.config.templates_dir / "article/announce.linkedin.j2"
    template.write_text(template.read_text() + "\n#formationcontinue\n")
    page = text_of(officer.get("/check"))
    assert (
        "Warning: article/announce.linkedin.j2 (article/announce/linkedin): the hashtag "
        "#formationcontinue joins several words" in page
    )


# a live Mastodon instance's own limit ---------------------------------------------------


def test_a_live_mastodon_channel_reads_its_instances_description_limit(
    httpserver: HTTPServer,
) -> None:
    statuses = {"max_characters": 500, "characters_reserved_per_url": 23}
    httpserver.expect_request("/api/v2/instance").respond_with_json(
        {"configuration": {"statuses": statuses, "media_attachments": {"description_limit": 420}}}
    )
    channel = channel_for(httpserver.url_for("/").rstrip("/"))
    assert channel.limits() == (500, 23) and channel.description_limit() == 420
    httpserver.clear()
    httpserver.expect_request("/api/v2/instance").respond_with_json(
        {"configuration": {"statuses": statuses}}  # before Mastodon 4.4: not said
    )
    older = channel_for(httpserver.url_for("/").rstrip("/"))
    assert older.description_limit() is None


def test_the_import_page_warns_per_row(officer: FlaskClient, officer_app: App) -> None:
    rows = "channel,time,text\nlinkedin,2026-01-07T12:30,Lire #recherchesociale\n"
    response = post_form(
        officer,
        "/import",
        {"csv": (io.BytesIO(rows.encode()), "posts.csv")},
        follow_redirects=True,
    )
    post = newest(officer_app)
    assert post.body == "Lire #recherchesociale"
    assert (
        f"Warning: post {post.id} (posts.csv line 2): the hashtag #recherchesociale joins "
        "several words in lower case" in text_of(response)
    )


def test_the_import_pages_strict_box_refuses_every_row(
    officer: FlaskClient, officer_app: App
) -> None:
    before = len(officer_app.store.list_posts())
    rows = "channel,time,text\nlinkedin,2026-01-07T12:30,Lire #recherchesociale\n"
    response = post_form(
        officer,
        "/import",
        {"csv": (io.BytesIO(rows.encode()), "posts.csv"), "strict": "yes"},
        follow_redirects=True,
    )
    page = text_of(response)
    assert "posts.csv line 2: the post: the hashtag #recherchesociale" in page
    assert "--strict refuses a post an accessibility rule advises against" in page
    assert len(officer_app.store.list_posts()) == before
    assert 'name="strict" value="yes"' in text_of(officer.get("/exchange"))
