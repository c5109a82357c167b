"""Bluesky's rich text: a post's length as its server counts it, and the facets that make its
links and hashtags clickable.

Bluesky builds nothing from the text itself: a link or a tag is clickable only through a facet
naming its place in UTF-8 bytes (code-point offsets go wrong at the first accent or emoji).
The detection follows Bluesky's own client (@atproto/api, RichText.detectFacets) for web
addresses and hashtags.
"""

from __future__ import annotations

from typing import Any

import regex

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_TAG_GRAPHEMES = 64

_URL = regex.compile(r"(?:^|(?<=[\s(]))(https?://\S+)", regex.IGNORECASE)
_INVISIBLE = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
# A tag needs one character that is not an ASCII digit (the client's JavaScript \d): "#2026"
# is no tag, "#１２３" in full-width digits is one.
_TAG = regex.compile(
    rf"(?:^|(?<=\s))[#＃]((?!\ufe0f)[^\s{_INVISIBLE}]*[^0-9\s\p{{P}}{_INVISIBLE}]+"
    rf"[^\s{_INVISIBLE}]*)"
)


def graphemes(text: str) -> int:
    """The text's length in grapheme clusters: 👩🏽‍💻 and é (e + accent) count one each."""
    return len(regex.findall(r"\X", text))


def byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _facet(text: str, start: int, end: int, feature: dict[str, str]) -> dict[str, Any]:
    return {
        "index": {"byteStart": byte_offset(text, start), "byteEnd": byte_offset(text, end)},
        "features": [feature],
    }


def detect_facets(text: str) -> list[dict[str, Any]]:
    """Every web address and hashtag of the text as an app.bsky.richtext.facet, in order."""
    found: list[tuple[int, dict[str, Any]]] = []
    for match in _URL.finditer(text):
        uri = match.group(1)
        start, end = match.span(1)
        # A sentence's last punctuation is not part of its link (as Bluesky's client does).
        if uri[-1] in ".,;:!?»\"'":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        feature = {"$type": "app.bsky.richtext.facet#link", "uri": uri}
        found.append((start, _facet(text, start, end, feature)))
    for match in _TAG.finditer(text):
        raw = match.group(1)
        tag = regex.sub(r"\p{P}+$", "", raw.strip())
        if not tag or graphemes(tag) > MAX_TAG_GRAPHEMES:
            continue
        start = match.start()
        end = match.start(1) + len(tag)
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": tag}
        found.append((start, _facet(text, start, end, feature)))
    return [facet for _, facet in sorted(found, key=lambda item: item[0])]
