"""Asking a link over HTTP, for the daemon's link gate and `check --online` (docs/links.md).

HEAD first, GET when HEAD is refused (400, 403, 405, 501), to confirm a 404 or 410, or when the
subject has a `dead_if` phrase to look for (the first 256 KiB of the page are read). Redirects
are followed by hand, `[links] redirects` at most, each hop checked before it is asked: only
http and https, and never a host whose addresses include a loopback, private, link-local or
otherwise non-public one (every address the name resolves to is checked). The link itself is
held to the same rule; `[links] loopback = true` lets the link itself (never a redirect) name
this machine, for tests and a local preview. What the link answered is judged by
posts/link_health.py.
"""

from __future__ import annotations

import html
import ipaddress
import socket
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from posts.campaign import Config, LinkSettings
from posts.link_gate import LinkGate
from posts.link_health import (
    LOOP,
    PHRASE,
    PRIVATE,
    REDIRECTS,
    SCHEME,
    TIMEOUT,
    UNREACHABLE,
    UNRESOLVED,
    Answer,
)
from posts.links import tagged
from scheduler.channels.http import USER_AGENT
from scheduler.http_failure import failure_kind

if TYPE_CHECKING:
    import requests

MAX_BODY = 256 * 1024
# HEAD answers after which GET is asked: a refusal of HEAD, or a death confirmed by GET (some
# servers answer HEAD 404 for pages that GET serves).
HEAD_REFUSED = frozenset({400, 403, 404, 405, 410, 501})
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# EAI_NONAME / EAI_NODATA: the name has no address (anything else may be a passing DNS failure).
_NO_NAME = {getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, n)}
Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def public(address: str) -> bool:
    """Whether an address is on the public internet (not loopback, private, link-local,
    shared, reserved, unspecified or multicast); an IPv4-mapped IPv6 address as its IPv4."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class LinkAsker:
    """Asks one link (`asker(url, phrase)`), never raising: every failure is an Answer."""

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        redirects: int = 5,
        loopback: bool = False,
        resolver: Resolver = resolve,
    ):
        self.timeout = timeout
        self.redirects = redirects
        self.loopback = loopback
        self.resolver = resolver
        import requests  # only where links are asked: a dry-run daemon never loads it

        self.session = requests.Session()
        # No credentials from ~/.netrc for a link's host (a proxy from the environment is kept).
        self.session.auth = _no_credentials
        self.session.headers["User-Agent"] = f"{USER_AGENT} (link check)"  # untranslated: HTTP

    @classmethod
    def of(cls, settings: LinkSettings) -> LinkAsker:
        return cls(
            timeout=settings.timeout.total_seconds(),
            redirects=settings.redirects,
            loopback=settings.loopback,
        )

    def __call__(self, url: str, phrase: str | None = None) -> Answer:
        try:
            return self._follow(url, phrase)
        except Exception as exc:  # a link must never stop the tick
            return Answer(url, problem=UNREACHABLE, detail=failure_kind(exc))

    def _follow(self, url: str, phrase: str | None) -> Answer:
        import requests

        seen: set[str] = set()
        current = url
        # However many hops, a link costs the tick a few timeouts at most.
        ends = time.monotonic() + 3 * self.timeout
        for hop in range(self.redirects + 1):
            if time.monotonic() > ends:
                return Answer(url, problem=TIMEOUT, detail=current)
            refused = self._refused(url, current, first=hop == 0)
            if refused is not None:
                return refused
            seen.add(current)
            try:
                response = self._ask(current, phrase)
            except requests.Timeout:
                return Answer(url, problem=TIMEOUT, detail=current)
            except requests.RequestException as exc:
                return Answer(url, problem=UNREACHABLE, detail=failure_kind(exc))
            with response:
                code = response.status_code
                location = response.headers.get("Location")
                if code in REDIRECT_CODES and location:
                    current = urljoin(current, location.strip())
                    if current in seen:
                        return Answer(url, code, LOOP, current)
                    continue
                if phrase and code < 400 and _says(response, phrase, self.timeout):
                    return Answer(url, code, PHRASE, phrase)
                return Answer(url, code, None, current if current != url else None)
        return Answer(url, None, REDIRECTS, current)

    def _refused(self, url: str, current: str, *, first: bool) -> Answer | None:
        """Why an address is not asked: not http(s), no address, or not a public one."""
        parts = urlsplit(current)
        if parts.scheme.lower() not in ("http", "https"):
            return Answer(url, None, SCHEME, current)
        host = parts.hostname
        if not host:
            return Answer(url, None, UNRESOLVED, current)
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            addresses = [host] if _literal(host) else self.resolver(host, port)
        except ValueError:  # a port that is not a number
            return Answer(url, None, UNRESOLVED, current)
        except socket.gaierror as exc:
            if exc.errno in _NO_NAME:
                return Answer(url, None, UNRESOLVED, host)
            return Answer(url, None, UNREACHABLE, str(exc.strerror or exc))
        except OSError as exc:
            return Answer(url, None, UNREACHABLE, str(exc.strerror or exc))
        if not addresses:
            return Answer(url, None, UNRESOLVED, host)
        for address in addresses:
            if public(address):
                continue
            if first and self.loopback and ipaddress.ip_address(address.split("%")[0]).is_loopback:
                continue
            return Answer(url, None, PRIVATE, current)
        return None

    def _ask(self, url: str, phrase: str | None) -> requests.Response:
        timeout = (self.timeout, self.timeout)
        if not phrase:
            head = self.session.head(url, allow_redirects=False, timeout=timeout)
            if head.status_code not in HEAD_REFUSED:
                return head
            head.close()
        return self.session.get(url, allow_redirects=False, timeout=timeout, stream=True)


def _no_credentials(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def _literal(host: str) -> bool:
    """Whether a URL's host is an IP address written out (checked as it is, never resolved)."""
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def _says(response: requests.Response, phrase: str, timeout: float) -> bool:
    """Whether the page's first MAX_BODY bytes carry the phrase (case, accents' entities and
    runs of spaces aside). Reading stops at the limit or after twice the timeout."""
    ends = time.monotonic() + 2 * timeout
    body = bytearray()
    for chunk in response.iter_content(16384):
        body += chunk
        if len(body) >= MAX_BODY or time.monotonic() > ends:
            break
    text = bytes(body[:MAX_BODY]).decode(response.encoding or "utf-8", errors="replace")
    return _folded(phrase) in _folded(html.unescape(text))


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def link_gate(
    config: Config, campaigns: Mapping[str, Config] | None = None, asker: LinkAsker | None = None
) -> LinkGate | None:
    """The daemon's link gate from `[links]`: None when no channel's links are to be asked."""
    settings = config.links
    channels = checked_channels(config)
    if not channels:
        return None
    return LinkGate(
        asker or LinkAsker.of(settings),
        frozenset(channels),
        phrases(config, campaigns),
        fresh=settings.fresh,
        retry=settings.retry,
    )


def checked_channels(config: Config) -> list[str]:
    """The channels whose posts' links are asked, by `[links] check`."""
    check = config.links.check
    if check == "never":
        return []
    return [n for n, c in config.channels.items() if check == "always" or c.mode == "live"]


def subject_links(config: Config) -> list[tuple[str, str]]:
    """Each subject's link as its posts carry it (with the campaign's UTM tags), and its
    dead_if phrase (empty for none), in config order."""
    found: list[tuple[str, str]] = []
    for subject in (config.article, *config.courses):
        if subject is not None and subject.url:
            url = tagged(subject.url, config.campaign.utm)
            if url not in [u for u, _phrase in found]:
                found.append((url, subject.dead_if))
    return found


def phrases(config: Config, campaigns: Mapping[str, Config] | None = None) -> dict[str, str]:
    """A subject's link (as written and as tagged) -> its dead_if phrase, for every campaign."""
    found: dict[str, str] = {}
    for each in (config, *(campaigns or {}).values()):
        for subject in (each.article, *each.courses):
            if subject is not None and subject.url and subject.dead_if:
                found[subject.url] = subject.dead_if
                found[tagged(subject.url, each.campaign.utm)] = subject.dead_if
    return found
