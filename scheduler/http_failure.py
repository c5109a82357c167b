"""What kind of failure a requests exception is, in posts/unreachable.py's words."""

from __future__ import annotations

from posts.unreachable import CUT, NETWORK, REFUSED, TLS, UNRESOLVED

# What the operating system and urllib3 write, matched, never shown.
UNRESOLVED_WORDS = ("NameResolution", "not known", "Failed to resolve")  # untranslated: OS words
REFUSED_WORDS = ("Connection refused", "ConnectionRefusedError")  # untranslated: OS words
CUT_WORDS = ("RemoteDisconnected", "Connection reset", "aborted")  # untranslated: OS words


def failure_kind(exc: BaseException) -> str:
    """`refused`, `tls`, `cut`, `unresolved` or `network`, read from the exception and the
    causes urllib3 wraps inside it."""
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return TLS
    text = _causes(exc)
    if any(word in text for word in UNRESOLVED_WORDS):
        return UNRESOLVED
    if any(word in text for word in REFUSED_WORDS):
        return REFUSED
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return CUT
    if any(word in text for word in CUT_WORDS):
        return CUT
    return NETWORK


def _causes(exc: BaseException) -> str:
    seen: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 8:
        seen.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return " | ".join(seen)
