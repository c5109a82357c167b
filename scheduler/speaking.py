"""Which language the shell speaks, and click speaking it.

The command line speaks, in order: $POSTSCHED_LANG, config.toml's [ui] language, its [campaign]
language, the system's locale ($LC_ALL, $LC_MESSAGES, $LANG), English; among the languages whose
catalogs are complete (posts/language.py). The web page puts the browser's Accept-Language after
$POSTSCHED_LANG and [ui] language and before the campaign's (scheduler/web/).
"""

from __future__ import annotations

import inspect
import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from posts.errors import ConfigError
from posts.language import LANGUAGES, N_, choose, gettext, ngettext, normalize, set_language


def configured(config_path: Path) -> tuple[str | None, str | None]:
    """config.toml's [ui] language and [campaign] language, read without the rest of the
    config, so that --help and a config error are already in the officer's language; from a
    file TOML cannot read, by its lines (its refusal is then in the officer's language too)."""
    try:
        text = config_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None, None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return _languages_by_line(text)
    found = []
    for table in ("ui", "campaign"):
        value = data.get(table, {}).get("language") if isinstance(data.get(table), dict) else None
        found.append(value if isinstance(value, str) else None)
    return found[0], found[1]


def _languages_by_line(text: str) -> tuple[str | None, str | None]:
    table, found = "", dict[str, str]()
    for line in text.splitlines():
        header = re.match(r"\s*\[\s*([\w.-]+)\s*\]", line)
        if header:
            table = header.group(1)
            continue
        value = re.match(r"""\s*language\s*=\s*["']([\w-]+)["']""", line)
        if value and table in ("ui", "campaign"):
            found.setdefault(table, value.group(1))
    return found.get("ui"), found.get("campaign")


def requested(environ: Mapping[str, str]) -> str | None:
    """$POSTSCHED_LANG, refused when it names a language postsched does not speak."""
    value = environ.get("POSTSCHED_LANG", "").strip()
    if not value:
        return None
    if normalize(value) is None:
        raise ConfigError(
            gettext(
                "POSTSCHED_LANG is {value!r}, a language postsched does not speak; "
                "set it to one of {languages}, or unset it."
            ).format(value=value, languages=", ".join(LANGUAGES))
        )
    return value


def system_language(environ: Mapping[str, str]) -> str | None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            return environ[name]
    return None


def command_line_language(config_path: Path, environ: Mapping[str, str] = os.environ) -> str:
    ui, campaign = configured(config_path)
    try:
        wanted = requested(environ)
    except ConfigError:
        wanted = None  # refused by the group callback, in the language chosen without it
    return choose(wanted, ui, campaign, system_language(environ))


def web_language(
    accepted: Sequence[str], ui: str | None, campaign: str | None, environ: Mapping[str, str]
) -> str:
    """The web page's language: $POSTSCHED_LANG or [ui] language when set, else the first of
    the browser's languages postsched speaks, else the campaign's."""
    wanted = requested(environ) or ui
    return choose(wanted, *accepted, campaign)


def speak(config_path: Path, environ: Mapping[str, str] = os.environ) -> str:
    """Choose the command line's language and speak it, click's own sentences included."""
    language = command_line_language(config_path, environ)
    set_language(language)
    route_click()
    return language


def config_path_in(argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> Path:
    """The --config a command line names, before click has read it (for --help)."""
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--config="):
            return Path(arg.split("=", 1)[1])
    return Path(environ.get("POSTSCHED_CONFIG", "config.toml"))


def route_click() -> None:
    """click asks gettext's default domain for its own sentences ("Usage:", "No such option");
    send those questions to postsched's catalogs (scheduler/click_words.py lists them)."""
    from click import core, decorators, exceptions, formatting, parser, termui, types, utils

    for module in (core, decorators, exceptions, formatting, parser, termui, types, utils):
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


@contextmanager
def _translated(command: click.Command, ctx: click.Context) -> Iterator[None]:
    """The command's help and its options' help in the current language, while it is shown."""
    saved: list[tuple[Any, str, Any]] = []

    def swap(owner: Any, name: str) -> None:
        value = getattr(owner, name, None)
        if isinstance(value, str) and value:
            saved.append((owner, name, value))
            setattr(owner, name, gettext(inspect.cleandoc(value)))

    swap(command, "help")
    swap(command, "short_help")
    swap(command, "epilog")
    for param in command.get_params(ctx):
        swap(param, "help")
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


# click builds the --help option once per command, its help in the language of that moment:
# it is given back its English msgid, translated when shown, so a process that speaks French
# then English (the tests) shows each its own.
HELP_OPTION = N_("Show this message and exit.")


def _help_option(option: click.Option | None) -> click.Option | None:
    if option is not None:
        option.help = HELP_OPTION
    return option


class Command(click.Command):
    """A command whose --help speaks the current language."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _help_option(self.get_help_option(ctx))
        with _translated(self, ctx):
            super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        name = "short_help" if self.short_help else "help"
        saved = getattr(self, name)
        if saved:
            setattr(self, name, gettext(inspect.cleandoc(saved)))
        try:
            return super().get_short_help_str(limit)
        finally:
            setattr(self, name, saved)


class Group(click.Group):
    """The postsched group: its help and its commands' one-line summaries translated."""

    command_class = Command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _help_option(self.get_help_option(ctx))
        with _translated(self, ctx):
            super().format_help(ctx, formatter)


def command(name: str | None = None, **attrs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """click.command, speaking the current language in its --help."""
    return click.command(name, cls=Command, **attrs)
