"""Link health: what a link's answer means, and what it says to a person.

The asking itself (HTTP, redirects, the addresses a redirect may lead to) is the shell's
(scheduler/link_check.py); it hands back an `Answer`, and this module judges it:

- dead: 404 or 410, a redirect loop or too many redirects, a host that does not resolve, a
  redirect to an address that is not http(s) or to a loopback, private or link-local address,
  or a page carrying its subject's `dead_if` phrase. The post is held, never published.
- unsure: a 5xx, a 429, a timeout, a connection refused. Not proof: asked again later.
- alive: anything else (2xx; 401, 403 and other refusals of a robot, which a reader's browser
  may well get through).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from posts.language import gettext as _
from posts.unreachable import unreachable_clause

ALIVE, DEAD, UNSURE = "alive", "dead", "unsure"
VERDICTS = (ALIVE, DEAD, UNSURE)

# What went wrong when no plain HTTP status tells it; `Answer.detail` says where or what.
LOOP = "loop"  # a redirect back to an address already visited (detail: that address)
REDIRECTS = "redirects"  # more redirects than allowed (detail: the last address)
UNRESOLVED = "unresolved"  # the host has no address (detail: the host)
SCHEME = "scheme"  # a redirect to something other than http(s) (detail: the address)
PRIVATE = "private"  # an address on this machine or a private network (detail: the address)
TIMEOUT = "timeout"  # no answer in time (detail: the address asked)
UNREACHABLE = "unreachable"  # the connection failed (detail: the reason)
PHRASE = "phrase"  # the page carries the subject's dead_if phrase (detail: the phrase)

_DEAD_PROBLEMS = frozenset({LOOP, REDIRECTS, UNRESOLVED, SCHEME, PRIVATE, PHRASE})
_DEAD_CODES = frozenset({404, 410})
# A web address in a post's text: up to a space, a quote or an angle bracket.
_URL = re.compile(r"https?://[^\s<>\"'«»]+", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    """What asking a link gave: the last HTTP status, or the problem met on the way."""

    url: str
    code: int | None = None
    problem: str | None = None
    detail: str | None = None


def verdict(answer: Answer) -> str:
    if answer.problem in _DEAD_PROBLEMS:
        return DEAD
    if answer.problem is not None or answer.code is None:
        return UNSURE
    if answer.code in _DEAD_CODES:
        return DEAD
    if answer.code >= 500 or answer.code == 429:
        return UNSURE
    return ALIVE


def describe(answer: Answer) -> str:
    """What the link answered, as a clause after the link: "answered 404"."""
    where, code = answer.detail, answer.code
    if answer.problem == LOOP:
        return _("redirects in a loop (back to {address})").format(address=where)
    if answer.problem == REDIRECTS:
        return _("redirects too many times (last to {address})").format(address=where)
    if answer.problem == UNRESOLVED:
        return _("names a host that does not resolve ({host})").format(host=where)
    if answer.problem == SCHEME:
        return _("redirects to {address}, which is not a web address: not followed").format(
            address=where
        )
    if answer.problem == PRIVATE:
        return _(
            "leads to {address}, an address on this machine or a private network: not followed"
        ).format(address=where)
    if answer.problem == TIMEOUT:
        return _("did not answer in time")
    if answer.problem == UNREACHABLE:
        return _("could not be reached: {reason}").format(reason=unreachable_clause(where or ""))
    if answer.problem == PHRASE:
        return _('answered {code} with a page saying "{phrase}"').format(code=code, phrase=where)
    if where and where != answer.url:
        return _("answered {code} at {address}").format(code=code, address=where)
    return _("answered {code}").format(code=code)


def verdict_label(name: str) -> str:
    """A verdict as a person reads it."""
    labels = {ALIVE: _("alive"), DEAD: _("dead"), UNSURE: _("unsure")}
    return labels.get(name, name)


def links_of(link: str | None, body: str) -> list[str]:
    """The web addresses a post carries: its link first, then those in its text, once each;
    the punctuation that ends a sentence is not part of an address."""
    found = [link] if link else []
    for match in _URL.finditer(body):
        url = match.group(0).rstrip(".,;:!?)]}…")
        if url not in found:
            found.append(url)
    return found
