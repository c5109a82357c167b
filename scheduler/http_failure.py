"""What kind of failure a requests exception is, in posts/unreachable.py's words."""

from __future__ import annotations

from posts.unreachable import CUT, NETWORK, REFUSED, TLS, UNRESOLVED


def failure_kind(exc: BaseException) -> str:
    """`refused`, `tls`, `cut`, `unresolved` or `network`, read from the exception and the
    causes urllib3 wraps inside it."""
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return TLS
    text = _causes(exc)
    if "NameResolutionError" in text or "Name or service not known" in text:
        return UNRESOLVED
    if "Failed to resolve" in text or "nodename nor servname" in text:
        return UNRESOLVED
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        return REFUSED
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return CUT
    if "RemoteDisconnected" in text or "Connection reset" in text or "aborted" in text:
        return CUT
    return NETWORK


def _causes(exc: BaseException) -> str:
    seen: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 8:
        seen.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return " | ".join(seen)
