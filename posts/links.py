"""A campaign's own links, tagged with its `[campaign] utm` parameters.

Only the subjects' own `url` (the article's, each course's) are tagged, in the text the officer
reads and in the post's `link`; no other link, no shortener, no redirect, no pixel."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")
Utm = Sequence[tuple[str, str]]


def tagged(url: str, utm: Utm) -> str:
    """`url` with the UTM parameters appended to its query (after `&` when it has one, before
    any #fragment), percent-encoded; a parameter the URL already gives is left as it is."""
    if not utm:
        return url
    parts = urlsplit(url)
    present = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    extra = urlencode([(k, v) for k, v in utm if k not in present])
    if not extra:
        return url
    head, hash_mark, fragment = url.partition("#")
    joiner = "&" if parts.query else ("" if head.endswith("?") else "?")
    return f"{head}{joiner}{extra}{hash_mark}{fragment}"


def link_in(text: str, url: str, utm: Utm) -> str | None:
    """The form of the subject's `url` that `text` carries (tagged or as written), if any."""
    tag = tagged(url, utm)
    if tag in text:
        return tag
    return url if url in text else None
