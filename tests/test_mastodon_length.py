"""Mastodon lengths at the 500/501 boundary: what postsched accepts, a server accepts.

Each rule of the server's count (StatusLengthValidator with twitter-text 3.1.0 and Mastodon's
regex overrides) gets a text that counts exactly 500, accepted, and one that counts 501,
refused, built so that counting code points (or the old `https?://\\S+` rule) would disagree.
"""

from __future__ import annotations

import re

import pytest

from posts.errors import TooLongError
from posts.mastodon_length import status_length
from posts.networks import network_for

MASTODON = network_for("mastodon")
LONG_PATH = "/actualites/2026/intelligence-artificielle-et-travail-social"


def naive_counts(text: str) -> set[int]:
    """What simpler counts say: code points, Python's strip, every http(s)://… as 23."""
    old_url = re.compile(r"https?://\S+")
    old_rule = len(old_url.sub("", text)) + 23 * len(old_url.findall(text))
    return {len(text), len(text.strip()), old_rule}


def accepted(text: str) -> None:
    assert MASTODON.check(text) == 500
    assert naive_counts(text) != {500}


def refused(text: str) -> None:
    assert MASTODON.measure(text) == 501
    with pytest.raises(TooLongError):
        MASTODON.check(text)


def after_padding(tail: str, tail_counts: int, total: int) -> str:
    """`tail` after enough letters and a space for the whole text to count `total`."""
    return "a" * (total - tail_counts - 1) + " " + tail


@pytest.mark.parametrize(
    "cluster",
    [
        "👍🏽",  # emoji with a skin-tone modifier
        "🇫🇷",  # flag: two regional indicators
        "👨‍👩‍👧‍👦",  # family: a ZWJ sequence of seven code points
        "e\u0301",  # é written as e + combining acute accent
    ],
    ids=["skin-tone", "flag", "family", "combining-accent"],
)
def test_a_grapheme_cluster_counts_one(cluster: str) -> None:
    accepted(cluster * 500)
    refused(cluster * 501)


def test_leading_and_trailing_whitespace_is_not_counted() -> None:
    accepted(" " * 30 + "a" * 500 + "\n\t " * 10)
    refused(" " * 30 + "a" * 501 + " " * 30)


def test_only_what_ruby_strips_is_stripped() -> None:
    # A no-break space is not stripped by the server (str.strip() would strip it).
    accepted("\u00a0" + "a" * 498 + "\u00a0")
    refused("\u00a0" + "a" * 499 + "\u00a0")


# (tail, how much it counts): each a URL, a mention or a look-alike, as the server sees it.
URL = f"https://www.hetis.fr{LONG_PATH}"
THUMB = "👍🏽"  # after a tail that counts in full, so that counting code points disagrees
TAILS = {
    "https": (URL, 23),
    "upper-case scheme": (f"HTTPS://WWW.HETIS.FR{LONG_PATH.upper()}", 23),
    "dat": (f"dat://hetis.fr{LONG_PATH}", 23),
    "dweb": (f"dweb://hetis.fr{LONG_PATH}", 23),
    "ipfs": (f"ipfs://hetis.fr{LONG_PATH}", 23),
    "ipns": (f"ipns://hetis.fr{LONG_PATH}", 23),
    "ssb": (f"ssb://hetis.fr{LONG_PATH}", 23),
    "gopher": (f"gopher://hetis.fr{LONG_PATH}", 23),
    "gemini": (f"gemini://hetis.fr{LONG_PATH}", 23),
    "http with port and query": (f"http://hetis.fr:8080{LONG_PATH}?lang=fr&page=2", 23),
    "idn domain": (f"https://café.fr{LONG_PATH}", 23),
    "unrecognised scheme": (f"ftp://hetis.fr{LONG_PATH} {THUMB}", 14 + len(LONG_PATH) + 2),
    "unknown tld": (f"https://hetis.formation{LONG_PATH}", 23 + len(LONG_PATH)),
    "localhost": (f"http://localhost{LONG_PATH}", 16 + len(LONG_PATH)),
    "ip address": (f"http://192.168.10.20{LONG_PATH}", 20 + len(LONG_PATH)),
    "no scheme": (f"exemple.fr{LONG_PATH} {THUMB}", 10 + len(LONG_PATH) + 2),
    "userinfo": (f"https://officer:secret@hetis.fr{LONG_PATH}", 31 + len(LONG_PATH)),
    "after a letter": (f"x{URL}", 1 + len(URL)),
    "after a digit": (f"7{URL}", 1 + len(URL)),
    "after @": (f"@{URL}", 1 + len(URL)),
    "after $": (f"${URL}", 1 + len(URL)),
    "after #": (f"#{URL}", 1 + len(URL)),
    "then ).": (f"(voir {URL}).", 6 + 23 + 2),
    "balanced parentheses": ("https://en.wikipedia.org/wiki/Primer_(film)", 23),
    "balanced, then ).": ("(https://en.wikipedia.org/wiki/Primer_(film)).", 1 + 23 + 2),
    "then .": (f"{URL}.", 24),
    "then ,": (f"{URL},", 24),
    "then :": (f"{URL}:", 24),
    "then ;": (f"{URL};", 24),
    "then !": (f"{URL}!", 24),
    "then ?": (f"{URL}?", 24),
    "then …": (f"{URL}...", 26),
    "t.co stops after its slug": ("https://t.co/abc123/more/path", 23 + len("/more/path")),
    "mention": ("@alice@example.social", 6),
    "mention, domain of 253": ("@alice@" + "d" * 246 + ".social", 6),
    "mention, domain of 254": ("@alice@" + "d" * 247 + f".social {THUMB}", 261 + 2),
    "mention inside a URL": (f"{URL},@alice@example.social", 23),
    "hashtag": ("#E\u0301thiqueEtIntelligenceArtificielle", 34),
}


@pytest.mark.parametrize("tail, counts", TAILS.values(), ids=TAILS.keys())
def test_urls_and_mentions_count_as_the_server_counts_them(tail: str, counts: int) -> None:
    assert status_length(tail) == counts
    accepted(after_padding(tail, counts, 500))
    refused(after_padding(tail, counts, 501))


def test_a_url_over_4096_characters_is_not_a_url() -> None:
    longest = "https://hetis.fr/" + "a" * (4096 - 17)
    assert status_length(longest) == 23
    accepted(after_padding(longest, 23, 500))
    too_long = longest + "a"
    assert status_length(after_padding(too_long, 23, 500)) == 476 + 1 + 4097
    with pytest.raises(TooLongError):
        MASTODON.check(after_padding(too_long, 23, 500))


def test_a_url_counts_as_the_instance_reserves() -> None:
    network = network_for("mastodon", {"characters_reserved_per_url": 50})
    assert network.measure(f"Lire {URL} 👍🏽") == 5 + 50 + 2
    assert "50" in network.counting()


@pytest.mark.parametrize(
    "text, counts",
    [
        ("", 0),
        ("   \n", 0),
        ("\u3000", 0),  # blank to Rails: the server counts nothing
        ("Lire https://hetis.fr et https://cairn.info.", 5 + 23 + 4 + 23 + 1),
        ("https://hetis.fr/a_(b)_c/d", 23),
        ("https://hetis.fr/wiki/東京_(都市)_x", 23),
        # Only twitter-text's own path characters may close a URL on a parenthesis.
        ("https://ja.wikipedia.org/wiki/東京_(曖昧さ回避)", 23 + 7),
        ("https://hetis.fr/x)", 24),
        ("https://hetis.fr/x/?q=a.", 24),
        ("see:https://hetis.fr", 4 + 23),
        ("@bob bonjour @alice@social.example.org!", 4 + 9 + 6 + 1),
        ("mail officer@hetis.fr", 21),
        ("@alice@example.social@", 22),
        ("hetis.fr/https://cairn.info", 27),  # the bare domain swallows what follows
    ],
)
def test_status_length(text: str, counts: int) -> None:
    assert status_length(text) == counts
