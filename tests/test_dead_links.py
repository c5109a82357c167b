"""Rule 1 follows the offprint link wherever the officer writes it: in the text, in --link,
in an edit. Today (after 16 April 2026) every such post is refused."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run
from tests.test_refusals import assert_refused, refused_unchanged

OFFPRINT = "https://shs.cairn.info/tap-tdgcu5qbq9556"


def test_the_offprint_link_in_a_text_is_refused_after_its_last_day(planned: Path) -> None:
    result = refused_unchanged(
        planned, "add", "mastodon", "--at", "+1d", "--text", f"Lisez l'article : {OFFPRINT}"
    )
    assert_refused(result, "stops working after 16 April 2026")


def test_the_offprint_link_given_without_its_expiry_is_refused(planned: Path) -> None:
    result = refused_unchanged(
        planned, "add", "linkedin", "--at", "+1d", "--text", "Lisez", "--link", OFFPRINT
    )
    assert_refused(result, "stops working after 16 April 2026")


def test_an_edit_that_puts_the_offprint_link_in_a_text_is_refused(planned: Path) -> None:
    added = run("add", "mastodon", "--at", "+2d", "--text", "Une formation")
    assert added.code == 0, added.err
    result = refused_unchanged(
        planned, "edit", str(added.new_id), "--text", f"Une formation, et l'article {OFFPRINT}"
    )
    assert_refused(result, "stops working after 16 April 2026")


def test_a_misspelt_template_is_refused_rather_than_replaced_by_the_default(
    planned: Path,
) -> None:
    result = refused_unchanged(
        planned,
        "add",
        "linkedin",
        "--at",
        "+1d",
        "--template",
        "nope",
        "--subject",
        "course:outils",
    )
    assert_refused(result, "no template 'nope' for course posts on linkedin")


def test_add_without_text_or_template_says_which_is_missing(planned: Path) -> None:
    assert_refused(
        refused_unchanged(planned, "add", "mastodon", "--at", "+1h"),
        "Give the post's text with --text, or a template with --template.",
    )
