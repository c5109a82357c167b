"""The domain speaks the person's language: refusals, rule warnings, the plan's notes and
`why`, the post log's event details and typed times, in French with French dates and in
English with English ones (posts/*, under posts.language.speaking)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from posts.errors import InputError, NotFoundError, TooLongError
from posts.language import speaking
from posts.outcomes import PostView
from posts.planning import plan_campaign
from posts.policy import TickRules, decide
from posts.problems import Problem, ProblemsError
from posts.rules import check_time, refusal
from posts.timing import parse_duration, parse_instant
from tests import factories
from tests.factories import PARIS, config, plain_render, post_view

AFTER_EXPIRY = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CAMPAIGN = factories.campaign(min_gap=timedelta(hours=2), max_per_day=5)
CHRISTMAS = datetime(2026, 12, 25, 9, 30, tzinfo=PARIS)


# refusals ------------------------------------------------------------------------------------


def test_a_domain_refusal_speaks_french_and_english() -> None:
    with speaking("fr"):
        assert str(NotFoundError(7)) == "Aucune publication n° 7."
        too_long = TooLongError("Le texte", 612, 500, "Mastodon")
        assert str(too_long) == (
            "Le texte compte 612 caractères selon le décompte de Mastodon, au-delà de sa "
            "limite de 500."
        )
        with pytest.raises(InputError, match="n’est pas une durée"):
            parse_duration("deux heures")
    with speaking("en"):
        assert str(NotFoundError(7)) == "There is no post with id 7."


def test_several_problems_are_counted_in_the_language_s_plural() -> None:
    problem = Problem("article/announce/mastodon", "mastodon", 612, 500, "…")
    with speaking("fr"):
        one = ProblemsError("de pouvoir enregistrer le plan", [problem])
        assert str(one) == (
            "1 publication doit être retravaillée avant de pouvoir enregistrer le plan : "
            "article/announce/mastodon."
        )
    with speaking("en"):
        assert str(ProblemsError("the plan can be saved", [problem])).startswith(
            "1 post needs work before the plan can be saved"
        )


# rule warnings -------------------------------------------------------------------------------


def test_a_rule_warning_in_french_names_the_holiday_and_the_date_in_french() -> None:
    with speaking("fr"):
        [found] = check_time(CAMPAIGN, "mastodon", CHRISTMAS, [])
        assert found.warning("la publication 17") == (
            "la publication 17 est prévue le ven. 25 déc. 2026, 09:30, Noël, un jour férié (FR) "
            ": le planificateur ne publie jamais à ce moment-là."
        )
        refused = refusal("La nouvelle publication sur mastodon", [found])
        assert refused.startswith("La nouvelle publication sur mastodon serait prévue le ven. 25")
        assert "--strict refuse" in refused
    with speaking("en"):
        [found] = check_time(CAMPAIGN, "mastodon", CHRISTMAS, [])
        assert found.warning("post 17") == (
            "post 17 is due Fri 25 Dec 2026, 09:30, Christmas Day (Noël), a public holiday in "
            "FR: the planner never posts then."
        )


def test_a_saturday_is_named_in_the_language_with_its_posting_days() -> None:
    saturday = datetime(2026, 12, 26, 9, 30, tzinfo=PARIS)
    with speaking("fr"):
        [found] = check_time(CAMPAIGN, "mastodon", saturday, [])
        assert "un samedi, qui n’est pas un jour de publication (lun., mar." in found.reason
    with speaking("en"):
        [found] = check_time(CAMPAIGN, "mastodon", saturday, [])
        assert "a Saturday, not one of the posting days (Mon, Tue" in found.reason


# the plan ------------------------------------------------------------------------------------


def test_the_expired_link_note_is_wholly_french_or_wholly_english() -> None:
    """The known bug: "…skipped because the link expired on 16 avril 2026." mixed languages."""
    with speaking("fr"):
        [note] = plan_campaign(config(), AFTER_EXPIRY, plain_render).notes
    assert note == (
        "Les phases du tiré à part de l’article (announce, reminder-30d, reminder-10d, "
        "last-call) ont été ignorées, car le lien a expiré le 16 avril 2026."
    )
    with speaking("en"):
        [note] = plan_campaign(config(), AFTER_EXPIRY, plain_render).notes
    assert note == (
        "The article's offprint phases (announce, reminder-30d, reminder-10d, last-call) were "
        "skipped because the link expired on 16 April 2026."
    )


def test_the_plan_says_why_in_french_with_french_dates() -> None:
    before = datetime(2025, 12, 1, tzinfo=PARIS)
    with speaking("fr"):
        whys = [p.why for p in plan_campaign(config(), before, plain_render).posts]
    assert "announce : le jour du début de la campagne (12 janvier 2026)" in whys
    assert any("réparties du 12 janvier 2026 au 16 avril 2026" in why for why in whys)
    assert not any("January" in why or "Jan " in why for why in whys)


# the post log --------------------------------------------------------------------------------


def _view(link: str | None) -> PostView:
    return post_view(
        id=3,
        subject="article",
        phase="last-call",
        link=link,
        link_expires_at=datetime(2026, 4, 17, 0, 0, tzinfo=PARIS),
        due=datetime(2026, 4, 16, 12, 30, tzinfo=PARIS),
    )


def test_the_expired_link_event_detail_is_written_in_the_language_of_who_runs() -> None:
    rules = TickRules(display_tz=PARIS, safety_margin=timedelta(hours=12))
    late = datetime(2026, 4, 16, 13, 0, tzinfo=PARIS)
    with speaking("fr"):
        decision = decide(_view("https://example.org/a"), None, now=late, rules=rules)
    assert decision.action == "expire"
    assert decision.reason == (
        "le lien https://example.org/a cesse de fonctionner le ven. 17 avr. 2026, 00:00 ; "
        "avec la marge de sécurité de 12 h, il était trop tard pour publier"
    )
    with speaking("en"):
        decision = decide(_view("https://example.org/a"), None, now=late, rules=rules)
    assert decision.reason == (
        "the link https://example.org/a stops working at Fri 17 Apr 2026, 00:00; with the "
        "12 h safety margin it was too late to publish"
    )


# typed times ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["07/01/2027 09:30", "7 janvier 2027 à 9 h 30"])
def test_a_french_time_is_read_in_french(typed: str) -> None:
    with speaking("fr"):
        instant = parse_instant(typed, now=NOW, tz=PARIS)
    assert instant == datetime(2027, 1, 7, 9, 30, tzinfo=PARIS)


def test_an_ambiguous_date_is_refused_in_english_with_the_accepted_forms() -> None:
    with speaking("en"), pytest.raises(InputError) as refused:
        parse_instant("07/01/2027", now=NOW, tz=PARIS)
    message = str(refused.value)
    assert "could be 7 January or 1 July" in message
    assert "7 January 2027 09:30" in message and "2027-01-07T09:30" in message


def test_a_day_over_twelve_is_read_in_english() -> None:
    with speaking("en"):
        instant = parse_instant("13/01/2027 09:30", now=NOW, tz=PARIS)
    assert instant == datetime(2027, 1, 13, 9, 30, tzinfo=PARIS)


def test_a_past_time_is_refused_with_a_french_date() -> None:
    from posts.officer import Officer

    officer = Officer(config(), None)
    with speaking("fr"), pytest.raises(InputError) as refused:
        officer.require_future(datetime(2026, 1, 7, 9, 30, tzinfo=PARIS), NOW)
    assert str(refused.value) == (
        "mer. 7 janv. 2026, 09:30 est dans le passé ; donnez une date à partir de maintenant."
    )
    assert date(2026, 1, 7).isoformat() not in str(refused.value)
