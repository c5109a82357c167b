"""What every command needs: the App, a quiet-aware note on stderr, and shared options."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from posts.language import N_
from posts.language import gettext as _
from scheduler.app import App

F = TypeVar("F", bound=Callable[..., Any])
STATUSES = (
    "draft",
    "scheduled",
    "publishing",
    "published",
    "failed",
    "missed",
    "expired",
    "unknown",
    "cancelled",
)


def app() -> App:
    obj = click.get_current_context().find_object(App)
    if obj is None:  # a command invoked outside the group, as tests may do
        obj = App()
    return obj


def say(message: str) -> None:
    """A note for people on stderr, so that stdout holds only what was asked for."""
    if not app().quiet:
        click.echo(message, err=True)


def warn(message: str) -> None:
    """A campaign rule a hand-set time breaks (posts/rules.py), told on stderr."""
    say(_("Warning: {message}").format(message=message))


strict_option = click.option(
    "--strict",
    is_flag=True,
    help=N_(
        "Refuse a time that breaks the campaign's rules (holiday, posting days and times, "
        "min_gap, max_per_day) instead of warning."
    ),
)

# --strict on the verbs that take a text: the time rules, and the accessibility rules
# (posts/accessibility.py) too.
text_strict_option = click.option(
    "--strict",
    is_flag=True,
    help=N_(
        "Refuse a time that breaks the campaign's rules (holiday, posting days and times, "
        "min_gap, max_per_day), or a text an accessibility rule advises against (hashtags, "
        "emoji, alt text), instead of warning."
    ),
)


def echo_json(value: object) -> None:
    from scheduler.output import dumps

    click.echo(dumps(value))


def campaign_option(what: str) -> Callable[[F], F]:
    """`--campaign NAME`: one campaign of the installation (docs/campaigns.md); `what` is its
    help, marked with N_ by the caller and translated when --help shows it."""
    return click.option("--campaign", metavar="NAME", help=what)
