"""Reading config.toml into the campaign's values, with messages an officer can act on.

Every refusal is one sentence naming the key (`[campaign] timezone`, `[[courses]] #2 key`) and
what is wrong with it. Nothing here touches the database or the network.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from posts.campaign import (
    Campaign,
    Config,
    Contact,
    Windows,
)
from posts.errors import ConfigError
from posts.language import gettext as _
from scheduler.config_installation import (
    read_installation,
    read_joined,
)
from scheduler.config_subjects import read_article, read_course
from scheduler.config_table import Table

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def load_config(
    path: Path, *, environ: Mapping[str, str] | None = None, installation: Config | None = None
) -> Config:
    """Read and check a config file; raise ConfigError with one sentence on the first problem.

    With `installation`, the file is one more campaign of that installation (docs/campaigns.md):
    its database, channels, daemon, web page and notices are the installation's.
    """
    environ = os.environ if environ is None else environ
    data = read_toml(path)
    if installation is None and "channels" not in data and "campaign" in data:
        raise ConfigError(
            _(
                "{path} has no [channels]: a campaign file is planned through its "
                "installation's config.toml (postsched plan --campaign NAME), or give it "
                "[channels] and [database]."
            ).format(path=path)
        )
    try:
        return parse_config(
            data,
            base_dir=path.resolve().parent,
            path=path,
            environ=environ,
            installation=installation,
        )
    except ConfigError as exc:
        raise named_after(exc, path) from None


def named_after(error: ConfigError, path: Path) -> ConfigError:
    """The checks below begin their sentences with "config.toml:"; the officer who ran
    `--config spring.toml`, or whose campaign file is campaigns/spring.toml, reads the name of
    the file that was actually read instead."""
    prefix = "config.toml:"  # untranslated: the file's name, kept in every language
    if path.name == "config.toml" or not str(error).startswith(prefix):
        return error
    return ConfigError(path.name + ":" + str(error)[len(prefix) :])


def read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            _(
                "{path} does not exist: run postsched from the folder that holds config.toml, "
                "or pass --config FILE."
            ).format(path=path)
        ) from None
    except OSError as exc:
        raise ConfigError(
            _("{path} cannot be read: {reason}.").format(path=path, reason=exc.strerror)
        ) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(_("{path} is not UTF-8 text.").format(path=path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            _("{path} is not valid TOML: {reason}.").format(path=path, reason=exc)
        ) from None


def parse_config(
    data: Mapping[str, Any],
    *,
    base_dir: Path,
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    installation: Config | None = None,
) -> Config:
    environ = os.environ if environ is None else environ
    root = Table(data, "")
    root.mark("article")  # read below only when present, yet a key the top level accepts
    campaign_table = root.table("campaign")
    campaign = _campaign(campaign_table)
    article = read_article(root.table("article"), base_dir, campaign) if "article" in data else None
    courses = tuple(read_course(t, base_dir, campaign) for t in root.tables("courses"))
    keys = [c.key for c in courses]
    if len(set(keys)) != len(keys):
        raise ConfigError(_("config.toml: two [[courses]] share one key; each key must be unique."))
    if installation is not None and "contact" not in data:
        contact = installation.contact
    else:
        contact_table = root.table("contact")
        contact = Contact(
            email=contact_table.text("email"),
            phone=contact_table.text("phone"),
            name=contact_table.text("name", ""),
        )
    templates = base_dir / campaign_table.text("templates", "templates")
    if not templates.is_dir():
        raise ConfigError(
            _("config.toml: the templates folder {folder} does not exist.").format(folder=templates)
        )
    if installation is not None:
        setup = read_joined(root, installation, base_dir, environ)
    else:
        setup = read_installation(root, base_dir, environ)
    root.reject_unknown()
    return Config(
        campaign=campaign,
        article=article,
        courses=courses,
        contact=contact,
        templates_dir=templates,
        path=path,
        **setup,
    )


def holiday_countries() -> frozenset[str]:
    """The country codes the holidays package knows, read from its registry: asking
    holidays.list_supported_countries() instead imports every country's module, which costs
    every command that loads the config about 0.07 s."""
    from holidays.registry import EntityLoader

    return frozenset(EntityLoader.get_country_codes())


def _utm(campaign: Table) -> tuple[tuple[str, str], ...]:
    """[campaign] utm: optional strings utm_source, utm_medium, utm_campaign, in that order."""
    from posts.links import UTM_KEYS

    table = campaign.table("utm", required=False)
    found = []
    for key in UTM_KEYS:
        value = table.text(key, "", required=False)
        if value.strip():
            found.append((key, value.strip()))
    return tuple(found)


def _campaign(table: Table) -> Campaign:
    zone_name = table.text("timezone")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            _(
                "config.toml: [campaign] timezone {zone!r} is not a known IANA timezone "
                "(such as Europe/Paris)."
            ).format(zone=zone_name)
        ) from None
    country = table.text("holidays", "", required=False) or None
    if country is not None and country.upper() not in holiday_countries():
        raise ConfigError(
            _(
                "config.toml: [campaign] holidays {country!r} is not a country code the "
                "holidays package knows (such as FR)."
            ).format(country=country)
        )
    windows = table.table("windows")
    campaign = Campaign(
        name=table.text("name"),
        timezone=zone,
        language=table.text("language"),
        start=table.day("start"),
        windows=Windows(weekdays=_weekdays(windows), times=_times(windows)),
        holidays=country.upper() if country else None,
        review=table.flag("review", True),
        safety_margin=table.duration("safety_margin", "12h"),
        max_per_day=table.integer("max_per_day", 1),
        min_gap=table.duration("min_gap", "0s"),
        hashtags=table.strings("hashtags"),
        end=table.optional_day("end"),
        utm=_utm(table),
    )
    _check_locale(campaign.language)
    if campaign.max_per_day < 1:
        raise ConfigError(_("config.toml: [campaign] max_per_day must be at least 1."))
    if campaign.end is not None and campaign.end < campaign.start:
        raise ConfigError(
            _(
                "config.toml: [campaign] end {end} is before its start {start}; "
                "the last day of the campaign comes after its first."
            ).format(end=campaign.end, start=campaign.start)
        )
    return campaign


def _check_locale(language: str) -> None:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        raise ConfigError(
            _(
                "config.toml: [campaign] language {language!r} is not a language Babel knows "
                "(such as fr or en)."
            ).format(language=language)
        ) from None


def _weekdays(table: Table) -> tuple[int, ...]:
    names = table.strings("weekdays", WEEKDAYS[:5])
    days = []
    for name in names:
        key = name.strip().lower()[:3]
        if key not in WEEKDAYS:
            raise ConfigError(
                _(
                    "config.toml: [campaign.windows] weekdays holds {day!r}; use mon, tue, wed, "
                    "thu, fri, sat, sun."
                ).format(day=name)
            )
        days.append(WEEKDAYS.index(key))
    if not days:
        raise ConfigError(_("config.toml: [campaign.windows] weekdays is empty."))
    return tuple(sorted(set(days)))


def _times(table: Table) -> tuple[time, ...]:
    values = table.strings("times")
    if not values:
        raise ConfigError(_("config.toml: [campaign.windows] times is empty."))
    times = []
    for value in values:
        try:
            times.append(time.fromisoformat(value))
        except ValueError:
            raise ConfigError(
                _(
                    "config.toml: [campaign.windows] times holds {time!r}; write local times "
                    "such as 09:30."
                ).format(time=value)
            ) from None
    return tuple(sorted(set(times)))
