"""`[campaign] utm`: the campaign's own links (the subjects' `url`) carry the UTM parameters in
the planned text and in the post's link; no other link does; the dead-link rules still follow
the tagged link. Without the table the shipped plan is unchanged (tests/test_subjects.py pins it
byte for byte against tests/golden/)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from posts.checks import AddRequest
from posts.errors import InputError
from posts.links import link_in, tagged
from scheduler.app import App
from tests.conftest import run

OFFPRINT = "https://shs.cairn.info/tap-tdgcu5qbq9556"
COURSE = "https://www.hetis.fr/formations?id=ethique#inscription"
OTHER = "https://www.hetis.fr/ecole"
UTM = (("utm_source", "mastodon & linkedin"), ("utm_medium", "social"), ("utm_campaign", "ia-2026"))
QUERY = "utm_source=mastodon+%26+linkedin&utm_medium=social&utm_campaign=ia-2026"
PARIS = ZoneInfo("Europe/Paris")


def test_tagged_appends_encoded_parameters_after_any_query_and_before_the_fragment() -> None:
    assert tagged(OFFPRINT, UTM) == f"{OFFPRINT}?{QUERY}"
    assert tagged("https://x.org/a?id=3", UTM) == f"https://x.org/a?id=3&{QUERY}"
    assert tagged(COURSE, UTM) == f"https://www.hetis.fr/formations?id=ethique&{QUERY}#inscription"
    assert tagged("https://x.org/?", UTM) == f"https://x.org/?{QUERY}"
    assert tagged("https://x.org/?utm_medium=mail", UTM) == (
        "https://x.org/?utm_medium=mail&utm_source=mastodon+%26+linkedin&utm_campaign=ia-2026"
    )
    assert tagged(OFFPRINT, ()) == OFFPRINT
    assert link_in(f"Lire : {tagged(COURSE, UTM)}", COURSE, UTM) == tagged(COURSE, UTM)
    assert link_in(f"Lire : {OFFPRINT}", OFFPRINT, UTM) == OFFPRINT


@pytest.fixture
def tagged_project(project: Path) -> Path:
    """The shipped campaign with [campaign.utm], a course with its own link (a query and a
    fragment), and another link written into the article's announce template."""
    config = project / "config.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace('key = "ethique"\n', f'key = "ethique"\nurl = "{COURSE}"\n', 1)
    text += (
        '\n[campaign.utm]\nutm_source = "mastodon & linkedin"\nutm_medium = "social"\n'
        'utm_campaign = "ia-2026"\n'
    )
    # Bluesky counts a link in full: the shipped Bluesky templates leave no room for 72
    # characters of UTM parameters, and check refuses them (tests/test_bluesky.py); this
    # campaign leaves that channel out.
    text = text[: text.index("[channels.bluesky]")] + text[text.index("# The officer's web page") :]
    config.write_text(text, encoding="utf-8")
    template = project / "templates/article/announce.mastodon.j2"
    template.write_text(template.read_text(encoding="utf-8") + f"\nL'école : {OTHER}\n")
    return project


def test_planned_bodies_and_links_carry_the_parameters(tagged_project: Path) -> None:
    result = run("plan", "--dry-run", "--json", "--as-of", "2026-01-05T08:00")
    assert result.code == 0, result.err
    posts = json.loads(result.out)
    article = [p for p in posts if p["subject"] == "article"]
    course = [p for p in posts if p["subject"] == "course:ethique"]
    assert article and course
    for post in article:
        assert post["link"] == f"{OFFPRINT}?{QUERY}"
        assert post["link"] in post["body"] and f"{OFFPRINT} " not in post["body"]
        assert post["link_expires_at"] == "2026-04-17T00:00:00.000+02:00"  # the rule still holds
    for post in course:
        assert post["link"] == tagged(COURSE, UTM) and post["link"] in post["body"]
    announce = next(p for p in article if p["phase"] == "announce" and p["channel"] == "mastodon")
    assert f"{OTHER}\n" in announce["body"] + "\n" and f"{OTHER}?" not in announce["body"]
    for post in posts:  # no link but the subjects' own is tagged
        assert post["body"].count("utm_source=") == (1 if post["link"] else 0), post["body"]


def test_a_tagged_offprint_link_typed_in_a_post_is_still_recognised_as_dying(
    tagged_project: Path,
) -> None:
    assert run("init").code == 0
    now = datetime(2026, 1, 5, 9, 0, tzinfo=PARIS)
    a = App(config_path=tagged_project / "config.toml", clock=lambda: now)
    link = f"{OFFPRINT}?{QUERY}"
    post = a.officer.add(
        AddRequest("mastodon", datetime(2026, 2, 2, 9, 30, tzinfo=PARIS), text=f"Lire : {link}"),
        now,
    )
    assert post.link == link
    assert post.link_expires_at == datetime(2026, 4, 17, tzinfo=PARIS)
    with pytest.raises(InputError, match="link"):
        a.officer.add(
            AddRequest(
                "mastodon", datetime(2026, 4, 20, 9, 30, tzinfo=PARIS), text=f"À lire {link}"
            ),
            now,
        )


def test_utm_values_must_be_strings(tagged_project: Path) -> None:
    config = tagged_project / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('utm_medium = "social"', "utm_medium = 3")
    )
    result = run("plan", "--dry-run", "--as-of", "2026-01-05T08:00")
    assert result.code == 1 and "utm_medium" in result.err and "Traceback" not in result.err
