"""Each link's last check, for people: `status`, the web page's post view and `check --online`,
which asks every link of the campaign now (docs/links.md)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from posts.language import gettext as _
from posts.language import ngettext, show_time
from posts.link_gate import Checked, last_checks, save_check
from posts.link_health import DEAD, UNRESOLVED, describe, links_of, verdict_label
from posts.store import Store
from posts.timing import format_instant
from scheduler.app import App
from scheduler.link_check import LinkAsker, checked_channels, phrases, subject_links


def link_rows(store: Store, urls: Iterable[str], tz: ZoneInfo) -> list[dict[str, Any]]:
    """Each link with its last check (None fields when it was never asked)."""
    wanted = list(dict.fromkeys(urls))
    checks = last_checks(store, wanted)
    return [row(url, checks.get(url), tz) for url in wanted]


def row(url: str, checked: Checked | None, tz: ZoneInfo) -> dict[str, Any]:
    if checked is None:
        return {"url": url, "checked_at": None, "verdict": None, "answer": None}
    answer = checked.answer
    return {
        "url": url,
        "checked_at": format_instant(checked.at, tz),
        "verdict": checked.verdict,
        "verdict_label": verdict_label(checked.verdict),
        "answer": describe(answer),
        "code": answer.code,
        "problem": answer.problem,
    }


def status_links(a: App, campaign: str | None) -> list[dict[str, Any]]:
    """`status`: the subjects' links, then those of the posts not yet out (a `failed` post
    among them: the one a dead link held), each last check. While no link is asked (every
    channel dry-run, or `[links] check = "never"`), only the links that were asked once (by
    `check --online`) are listed."""
    config = a.campaigns.get(campaign, a.config) if campaign else a.config
    urls = [url for url, _phrase in subject_links(config)]
    for link, body in a.store.texts(["draft", "scheduled", "publishing", "failed"], campaign):
        urls += links_of(link, body)
    rows = link_rows(a.store, urls, a.config.campaign.timezone)
    if not checked_channels(a.config):
        rows = [r for r in rows if r["checked_at"] is not None]
    return rows


def link_line(info: dict[str, Any], tz: ZoneInfo) -> str:
    """One link of `status`: its last check, or that it was never asked."""
    if info["checked_at"] is None:
        return _("Link {url}: not checked yet.").format(url=info["url"])
    return _("Link {url}: {verdict} at {time}, {answer}.").format(
        url=info["url"],
        verdict=info["verdict_label"],
        time=show_time(datetime.fromisoformat(info["checked_at"]), tz),
        answer=info["answer"],
    )


def check_links(a: App, urls: Iterable[str]) -> list[str]:
    """`check --online`: ask each link now, print one sentence each; the dead ones' URLs. The
    answers are kept for `status` when the database is there."""
    if a.config.links.check == "never":
        said = _('Links not asked: [links] check (or $POSTSCHED_LINKS_CHECK) is "never".')
        click.echo(said)
        return []
    asker = LinkAsker.of(a.config.links)
    dead_if = phrases(a.config, a.campaigns)
    store = a.store if a.has_database() else None
    dead = []
    unresolved = 0
    for url in dict.fromkeys(urls):
        checked = Checked(asker(url, dead_if.get(url) or None), a.now())
        if store is not None:
            save_check(store, checked)
        said = _("Link {url}: {verdict}, {answer}.").format(
            url=url, verdict=verdict_label(checked.verdict), answer=describe(checked.answer)
        )
        click.echo(said)
        if checked.verdict == DEAD:
            dead.append(url)
            unresolved += checked.answer.problem == UNRESOLVED
    if dead and unresolved == len(dead):
        click.echo(
            _(
                "No dead link's host resolves: if this machine has no internet, "
                "POSTSCHED_LINKS_CHECK=never turns link checks off (docs/links.md)."
            )
        )
    return dead


def dead_links_sentence(dead: list[str]) -> str:
    return ngettext(
        "{count} link is dead (said above): the daemon would hold its posts; correct it in "
        "config.toml or the templates.",
        "{count} links are dead (said above): the daemon would hold their posts; correct them "
        "in config.toml or the templates.",
        len(dead),
    ).format(count=len(dead))


def campaign_urls(a: App, names: Iterable[str | None]) -> list[str]:
    """Every subject link of these campaigns (None: config.toml's own)."""
    urls: list[str] = []
    for name in names:
        config = a.campaigns.get(name, a.config) if name else a.config
        urls += [url for url, _phrase in subject_links(config)]
    return urls
