"""An HTTP request as postsched builds it: what a live adapter sends and the outbox shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

USER_AGENT = "postsched/0.1"
SECRET_HEADERS = frozenset({"authorization"})


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None

    def public(self) -> dict[str, Any]:
        """The request without its secrets, as the outbox and debug logs show it."""
        return {
            "method": self.method,
            "url": self.url,
            "headers": {k: v for k, v in self.headers.items() if k.lower() not in SECRET_HEADERS},
            "json": self.json,
        }
