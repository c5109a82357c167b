"""Reading config.toml into the campaign's values, with messages an officer can act on.

Every refusal is one sentence naming the key (`[campaign] timezone`, `[[courses]] #2 key`) and
what is wrong with it. Nothing here touches the database or the network.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from posts.campaign import (
    NOTIFY_EVENTS,
    Anchor,
    Article,
    Author,
    Campaign,
    ChannelConfig,
    Config,
    Contact,
    Course,
    DaemonSettings,
    NotifySettings,
    Phase,
    Session,
    WebSettings,
    Windows,
)
from posts.errors import ConfigError, InputError
from posts.images import check_image
from posts.networks import NETWORKS
from posts.timing import parse_duration

CHANNEL_TYPES = tuple(NETWORKS)
# What a [channels.NAME] table may hold, by type: the adapters read these from its options.
CHANNEL_KEYS = {
    "any": (
        *("type", "mode", "outbox", "token_env", "latency", "timeout", "token_expires"),
        *("max_characters", "characters_reserved_per_url"),
    ),
    "mastodon": ("instance", "visibility", "language"),
    "linkedin": (
        *("author", "api_url", "api_version"),
        *("oauth_url", "redirect_uri", "client_id_env", "client_secret_env"),
    ),
}
MODES = ("dry-run", "live")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DATABASE = "sqlite:///postsched.db"
T = TypeVar("T")
_KIND_NAMES = {
    dict: "a table",
    list: "a list",
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    date: "a date",
}


class _Table:
    """A TOML table with its name, so that every error can say where it is.

    Each table remembers the keys postsched read from it; `reject_unknown` then refuses any
    other key, so that a typo (min_gab) is an error rather than a setting silently ignored.
    """

    def __init__(self, data: Mapping[str, Any], where: str, tables: list[_Table] | None = None):
        self.data = data
        self.where = where
        self.read: dict[str, None] = {}  # in the order postsched reads them
        self.tables_made = tables if tables is not None else []
        self.tables_made.append(self)

    def mark(self, *keys: str) -> None:
        """Keys read some other way than through this table's getters."""
        self.read.update(dict.fromkeys(keys))

    def reject_unknown(self) -> None:
        """Refuse every key no table read, naming the keys that table accepts: the ones read
        from it or from its siblings (every [[courses]] entry), so a key read only when present
        is listed once any entry has it."""
        accepted: dict[str, dict[str, None]] = {}
        for table in self.tables_made:
            accepted.setdefault(table.kind, {}).update(table.read)
        for table in self.tables_made:
            known = accepted[table.kind]
            unknown = [key for key in table.data if key not in known]
            if not unknown:
                continue
            named = []
            for key in unknown:
                close = difflib.get_close_matches(key, list(known), n=1)
                named.append(f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key))
            where = "the top level" if table.where == "" else table.where
            keys = "a key" if len(unknown) == 1 else "keys"
            raise ConfigError(
                f"config.toml: {where} has {keys} postsched does not know, "
                f"{_and(named)}; {table.kind or 'the top level'} accepts: {', '.join(known)}; "
                f"remove or correct {'it' if len(unknown) == 1 else 'them'} rather than have "
                f"{'it' if len(unknown) == 1 else 'them'} ignored."
            )

    @property
    def kind(self) -> str:
        """The table's name without its number: "[[courses]]" for "[[courses]] #2"."""
        return self.where.split(" #")[0]

    def _get(self, key: str, kind: type[T] | tuple[type, ...], required: bool, default: Any) -> Any:
        self.read[key] = None
        if key not in self.data:
            if required:
                raise ConfigError(f"config.toml: {self.where} is missing the required key {key!r}.")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            kinds = (kind,) if isinstance(kind, type) else kind
            names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
            where = f"[{key}]" if self.where == "" else f"{self.where} {key}"
            raise ConfigError(f"config.toml: {where} must be {names}, not {value!r}.")
        return value

    def text(self, key: str, default: str | None = None, *, required: bool = True) -> Any:
        value = self._get(key, str, required and default is None, default)
        if required and default is None and not value.strip():
            raise ConfigError(f"config.toml: {self.where} {key} is empty.")
        return value

    def integer(self, key: str, default: int | None = None) -> Any:
        return self._get(key, int, default is None, default)

    def flag(self, key: str, default: bool) -> bool:
        return bool(self._get(key, bool, False, default))

    def day(self, key: str) -> date:
        value = self._get(key, (date, str), True, None)
        return self._as_day(key, value)

    def optional_day(self, key: str) -> date | None:
        value = self._get(key, (date, str), False, None)
        return None if value is None else self._as_day(key, value)

    def _as_day(self, key: str, value: Any) -> date:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise ConfigError(
                    f"config.toml: {self.where} {key} must be a date such as 2026-04-16, "
                    f"not {value!r}."
                ) from None
        if not isinstance(value, date) or hasattr(value, "hour"):
            raise ConfigError(f"config.toml: {self.where} {key} must be a date, not {value!r}.")
        return value

    def duration(self, key: str, default: str) -> timedelta:
        text = self._get(key, str, False, default)
        try:
            return parse_duration(text)
        except InputError as exc:
            raise ConfigError(f"config.toml: {self.where} {key}: {exc}") from None

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self._get(key, list, False, list(default))
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(f"config.toml: {self.where} {key} must be a list of strings.")
        return tuple(value)

    def table(self, key: str, *, required: bool = True) -> _Table:
        value = self._get(key, dict, required, {})
        return _Table(
            value,
            f"[{key}]" if self.where == "" else f"[{self.where.strip('[]')}.{key}]",
            self.tables_made,
        )

    def tables(self, key: str) -> list[_Table]:
        of = ""
        if self.where.startswith("[["):  # inside one item of an array: [[courses]] #2
            name, of = f"{self.where[2:].split(']]')[0]}.{key}", f" of {self.where}"
        else:
            name = key if self.where == "" else f"{self.where.strip('[]')}.{key}"
        value = self._get(key, list, False, [])
        if not all(isinstance(item, dict) for item in value):
            raise ConfigError(f"config.toml: [[{name}]]{of} must be an array of tables.")
        return [
            _Table(item, f"[[{name}]] #{n}{of}", self.tables_made)
            for n, item in enumerate(value, start=1)
        ]


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
            f"{path} has no [channels]: a campaign file is planned through its installation's "
            "config.toml (postsched plan --campaign NAME), or give it [channels] and [database]."
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
    prefix = "config.toml:"
    if path.name == "config.toml" or not str(error).startswith(prefix):
        return error
    return ConfigError(path.name + ":" + str(error)[len(prefix) :])


def read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist: run postsched from the folder that holds config.toml, "
            "or pass --config FILE."
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror}.") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from None


def parse_config(
    data: Mapping[str, Any],
    *,
    base_dir: Path,
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    installation: Config | None = None,
) -> Config:
    environ = os.environ if environ is None else environ
    root = _Table(data, "")
    root.mark("article")  # read below only when present, yet a key the top level accepts
    campaign_table = root.table("campaign")
    campaign = _campaign(campaign_table)
    article = _article(root.table("article"), base_dir, campaign) if "article" in data else None
    courses = tuple(_course(t, base_dir, campaign) for t in root.tables("courses"))
    keys = [c.key for c in courses]
    if len(set(keys)) != len(keys):
        raise ConfigError("config.toml: two [[courses]] share one key; each key must be unique.")
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
        raise ConfigError(f"config.toml: the templates folder {templates} does not exist.")
    if installation is not None:
        setup = _joined(root, installation, base_dir, environ)
    else:
        setup = _installation(root, base_dir, environ)
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


def _installation(root: _Table, base_dir: Path, environ: Mapping[str, str]) -> dict[str, Any]:
    """What the campaigns of one installation share: database, channels, daemon, web page,
    notices, and the list of its other campaign files."""
    channels_table = root.table("channels")
    if not channels_table.data:
        raise ConfigError("config.toml: [channels] names no channel; add [channels.<name>].")
    channels = {
        name: _channel(name, channels_table.table(name), base_dir) for name in channels_table.data
    }
    daemon_table = root.table("daemon", required=False)
    daemon_table.mark("env_file")  # read below only when present
    daemon = DaemonSettings(
        poll=daemon_table.duration("poll", "15s"),
        grace=daemon_table.duration("grace", "2h"),
        claim_timeout=daemon_table.duration("claim_timeout", "10m"),
        max_attempts=daemon_table.integer("max_attempts", 5),
        retry_base=daemon_table.duration("retry_base", "30s"),
        retry_cap=daemon_table.duration("retry_cap", "1h"),
        env_file=Path(daemon_table.text("env_file")) if "env_file" in daemon_table.data else None,
    )
    if daemon.max_attempts < 1:
        raise ConfigError("config.toml: [daemon] max_attempts must be at least 1.")
    return {
        "channels": channels,
        "daemon": daemon,
        "notify": _notify(root.table("notify", required=False)),
        "database_url": _database_url(root, base_dir, environ),
        "web": _web(root.table("web", required=False), base_dir, environ),
        "campaign_files": _campaign_files(root, base_dir),
    }


def _joined(
    root: _Table, installation: Config, base_dir: Path, environ: Mapping[str, str]
) -> dict[str, Any]:
    """A campaign file read through its installation: the installation's database, daemon,
    web page and notices; its own [channels], if it has them, name which of the installation's
    channels it posts on. A complete file (one that also runs alone with --config) may repeat
    the installation's tables; they must name the same database."""
    if "campaigns" in root.data:
        raise ConfigError(
            "config.toml: only the installation's config.toml lists campaign files; remove "
            "campaigns from this campaign file."
        )
    channels = dict(installation.channels)
    if "channels" in root.data:
        named = root.table("channels")
        named.mark(*named.data)
        missing = [name for name in named.data if name not in installation.channels]
        if missing:
            raise ConfigError(
                f"config.toml: [channels.{missing[0]}] is not a channel of the installation "
                f"(channels: {', '.join(installation.channels)}); add it to the installation's "
                "config.toml first."
            )
        if named.data:
            channels = {name: installation.channels[name] for name in named.data}
    if "database" in root.data:
        url = _database_url(root, base_dir, environ)
        if url != installation.database_url:
            raise ConfigError(
                "config.toml: [database] url names another database than the installation's; "
                "one installation keeps all its campaigns in one database: remove [database] "
                "from the campaign file or make it the same."
            )
    for table in ("daemon", "web", "notify"):
        if table in root.data:
            root.table(table).mark(*root.data[table])
    return {
        "channels": channels,
        "daemon": installation.daemon,
        "notify": installation.notify,
        "database_url": installation.database_url,
        "web": installation.web,
    }


def _database_url(root: _Table, base_dir: Path, environ: Mapping[str, str]) -> str:
    database_table = root.table("database", required=False)
    database_table.mark("url")
    url = environ.get("POSTSCHED_DATABASE_URL") or database_table.text("url", DEFAULT_DATABASE)
    return resolve_database_url(url, base_dir)


def _campaign_files(root: _Table, base_dir: Path) -> tuple[Path, ...]:
    """`campaigns`: the installation's other campaign files, paths or patterns relative to
    config.toml (`campaigns/*.toml`). A pattern may match nothing; a plain path must exist."""
    files: list[Path] = []
    for pattern in root.strings("campaigns"):
        if any(c in pattern for c in "*?["):
            found = sorted(p for p in base_dir.glob(pattern) if p.is_file())
        else:
            found = [base_dir / pattern]
            if not found[0].is_file():
                raise ConfigError(
                    f"config.toml: campaigns names {pattern!r}, which is not a file next to "
                    "config.toml; correct the path or remove it."
                )
        files.extend(p.resolve() for p in found)
    return tuple(dict.fromkeys(files))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def resolve_database_url(url: str, base_dir: Path) -> str:
    """A relative SQLite path is read next to the config file, not the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        rest = url[len(prefix) :]
        if rest and rest != ":memory:":
            return prefix + str(base_dir / rest)
    return url


def holiday_countries() -> frozenset[str]:
    """The country codes the holidays package knows, read from its registry: asking
    holidays.list_supported_countries() instead imports every country's module, which costs
    every command that loads the config about 0.07 s."""
    from holidays.registry import EntityLoader

    return frozenset(EntityLoader.get_country_codes())


def _campaign(table: _Table) -> Campaign:
    zone_name = table.text("timezone")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"config.toml: [campaign] timezone {zone_name!r} is not a known IANA timezone "
            "(such as Europe/Paris)."
        ) from None
    country = table.text("holidays", "", required=False) or None
    if country is not None and country.upper() not in holiday_countries():
        raise ConfigError(
            f"config.toml: [campaign] holidays {country!r} is not a country code the "
            "holidays package knows (such as FR)."
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
    )
    _check_locale(campaign.language)
    if campaign.max_per_day < 1:
        raise ConfigError("config.toml: [campaign] max_per_day must be at least 1.")
    if campaign.end is not None and campaign.end < campaign.start:
        raise ConfigError(
            f"config.toml: [campaign] end {campaign.end} is before its start {campaign.start}; "
            "the last day of the campaign comes after its first."
        )
    return campaign


def _check_locale(language: str) -> None:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        raise ConfigError(
            f"config.toml: [campaign] language {language!r} is not a language Babel knows "
            "(such as fr or en)."
        ) from None


def _weekdays(table: _Table) -> tuple[int, ...]:
    names = table.strings("weekdays", WEEKDAYS[:5])
    days = []
    for name in names:
        key = name.strip().lower()[:3]
        if key not in WEEKDAYS:
            raise ConfigError(
                f"config.toml: [campaign.windows] weekdays holds {name!r}; use mon, tue, wed, "
                "thu, fri, sat, sun."
            )
        days.append(WEEKDAYS.index(key))
    if not days:
        raise ConfigError("config.toml: [campaign.windows] weekdays is empty.")
    return tuple(sorted(set(days)))


def _times(table: _Table) -> tuple[time, ...]:
    values = table.strings("times")
    if not values:
        raise ConfigError("config.toml: [campaign.windows] times is empty.")
    times = []
    for value in values:
        try:
            times.append(time.fromisoformat(value))
        except ValueError:
            raise ConfigError(
                f"config.toml: [campaign.windows] times holds {value!r}; write local times "
                "such as 09:30."
            ) from None
    return tuple(sorted(set(times)))


def _article(table: _Table, base_dir: Path, campaign: Campaign) -> Article:
    authors = tuple(
        Author(name=t.text("name"), role=t.text("role", "")) for t in table.tables("authors")
    )
    if not authors:
        raise ConfigError("config.toml: [article] needs at least one [[article.authors]].")
    expires = _expires(table, campaign, required=True)
    assert expires is not None
    phases = _phases(table, "[[article.phases]]", expires)
    pages = table.integer("pages", 0)
    return Article(
        title=table.text("title"),
        subtitle=table.text("subtitle", ""),
        authors=authors,
        journal=table.text("journal"),
        issue=table.text("issue"),
        publisher=table.text("publisher"),
        platform=table.text("platform", ""),
        pages=pages or None,
        url=_url(table, "url"),
        expires=expires,
        phases=phases,
        topics=table.strings("topics"),
        hashtags=table.strings("hashtags"),
        **_card_image(table, base_dir),
    )


def _phase(table: _Table) -> Phase:
    anchor = table.text("anchor")
    if anchor not in ("start", "expires"):
        raise ConfigError(
            f'config.toml: {table.where} anchor must be "start" or "expires", not {anchor!r}.'
        )
    offset_text = table.text("offset", "0d")
    negative = offset_text.startswith("-")
    try:
        offset = parse_duration(offset_text.lstrip("+-"))
    except InputError as exc:
        raise ConfigError(f"config.toml: {table.where} offset: {exc}") from None
    at_text = table.text("at", "", required=False)
    try:
        at = time.fromisoformat(at_text) if at_text else None
    except ValueError:
        raise ConfigError(f"config.toml: {table.where} at {at_text!r} is not a time.") from None
    anchor_value: Anchor = "start" if anchor == "start" else "expires"
    return Phase(
        name=table.text("name"),
        anchor=anchor_value,
        offset=-offset if negative else offset,
        at=at,
    )


def _expires(table: _Table, campaign: Campaign, *, required: bool) -> date | None:
    """A subject's `expires`: its last useful day, never before the campaign starts."""
    expires = table.day("expires") if required else table.optional_day("expires")
    if expires is not None and expires < campaign.start:
        raise ConfigError(
            f"config.toml: {table.where} expires {expires} is before the campaign start "
            f"{campaign.start}; nothing could be planned while it is useful."
        )
    return expires


def _phases(table: _Table, name: str, expires: date | None) -> tuple[Phase, ...]:
    phases = tuple(_phase(t) for t in table.tables("phases"))
    names = [p.name for p in phases]
    if len(set(names)) != len(names):
        raise ConfigError(f"config.toml: two {name} share one name.")
    for phase in phases:
        if phase.anchor == "expires" and expires is None:
            raise ConfigError(
                f'config.toml: {table.where} phase {phase.name!r} is anchored on "expires" but '
                "the table has no expires; add expires or anchor the phase on the start."
            )
    return phases


def _sessions(table: _Table, campaign: Campaign) -> tuple[Session, ...]:
    sessions = []
    for t in table.tables("sessions"):
        start, end = t.day("start"), t.optional_day("end")
        if start < campaign.start:
            raise ConfigError(
                f"config.toml: {t.where} start {start} is before the campaign start "
                f"{campaign.start}; a campaign cannot promote a session already past."
            )
        if end is not None and end < start:
            raise ConfigError(f"config.toml: {t.where} end {end} is before its start {start}.")
        sessions.append(
            Session(
                start=start,
                end=end,
                place=t.text("place", ""),
                format=t.text("format", ""),
                note=t.text("note", ""),
            )
        )
    return tuple(sessions)


def _course(table: _Table, base_dir: Path, campaign: Campaign) -> Course:
    key = table.text("key")
    table.mark("url")  # read below only when present, yet a key [[courses]] accepts
    if not key.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(
            f"config.toml: {table.where} key {key!r} may hold letters, digits, - and _."
        )
    expires = _expires(table, campaign, required=False)
    phases = _phases(table, f"[[courses.phases]] of {table.where}", expires)
    if phases and "posts" in table.data:
        raise ConfigError(
            f"config.toml: {table.where} has both posts and [[courses.phases]]; its phases say "
            "when it is promoted, so remove posts."
        )
    start = table.optional_day("start")
    if start is not None and start < campaign.start:
        raise ConfigError(
            f"config.toml: {table.where} start {start} is before the campaign start "
            f"{campaign.start}."
        )
    if start is not None and expires is not None and expires < start:
        raise ConfigError(
            f"config.toml: {table.where} expires {expires} is before its start {start}."
        )
    course = Course(
        key=key,
        title=table.text("title"),
        formats=table.strings("formats"),
        url=_url(table, "url") if "url" in table.data else None,
        summary=table.text("summary", ""),
        hashtags=table.strings("hashtags"),
        posts=table.integer("posts", 1),
        expires=expires,
        phases=phases,
        start=start,
        sessions=_sessions(table, campaign),
        **_card_image(table, base_dir),
    )
    if course.posts < 0:
        raise ConfigError(f"config.toml: {table.where} posts cannot be negative.")
    return course


def _card_image(table: _Table, base_dir: Path) -> dict[str, Any]:
    """`image` and `image_alt`: the picture of the subject's link card (LinkedIn's thumbnail),
    checked by content as `add --image` is, but PNG, JPEG or GIF only: LinkedIn's Images API
    takes no WebP."""
    name = table.text("image", "", required=False)
    alt = table.text("image_alt", "", required=False).strip()
    if not name:
        if alt:
            raise ConfigError(
                f"config.toml: {table.where} image_alt describes an image: add image (a file "
                "path) or remove image_alt."
            )
        return {}
    if not alt:
        raise ConfigError(
            f"config.toml: {table.where} image needs image_alt, a sentence describing the "
            "picture for readers who cannot see it."
        )
    path = base_dir / name
    try:
        check_image(path, ("png", "jpeg", "gif"))
    except InputError as exc:
        raise ConfigError(f"config.toml: {table.where} image: {exc}") from None
    return {"image": path, "image_alt": alt}


def _channel(name: str, table: _Table, base_dir: Path) -> ChannelConfig:
    kind = table.text("type")
    if kind not in CHANNEL_TYPES:
        raise ConfigError(
            f"config.toml: [channels.{name}] type {kind!r} is not a channel type postsched "
            f"knows ({', '.join(CHANNEL_TYPES)})."
        )
    mode = table.text("mode", "dry-run")
    if mode not in MODES:
        raise ConfigError(
            f'config.toml: [channels.{name}] mode must be "dry-run" or "live", not {mode!r}.'
        )
    # A live channel's token comes from this variable, else from `postsched connect`.
    token_env = table.text("token_env", "", required=False) or None
    for key in ("token", "access_token", "password", "secret"):
        if key in table.data:
            raise ConfigError(
                f"config.toml: [channels.{name}] holds a {key!r}: secrets belong in an environment "
                "variable named by token_env, never in config.toml."
            )
    for key in ("latency", "timeout"):
        if key in table.data:
            table.duration(key, "0s")
    if "token_expires" in table.data:
        table.day("token_expires")
    required = {"mastodon": ("instance",), "linkedin": ("author", "api_version")}[kind]
    for key in required:
        table.text(key)
    table.mark(*CHANNEL_KEYS["any"], *CHANNEL_KEYS[kind])
    return ChannelConfig(
        name=name,
        type=kind,
        mode=mode,
        outbox=base_dir / table.text("outbox", "outbox"),
        token_env=token_env,
        options=dict(table.data),
    )


def _url(table: _Table, key: str) -> str:
    value: str = table.text(key)
    if not value.startswith(("https://", "http://")):
        raise ConfigError(f"config.toml: {table.where} {key} must start with https://.")
    return value


def _notify(table: _Table) -> NotifySettings | None:
    """[notify]: who to email when a post needs a person (absent: nobody is emailed)."""
    if not table.data:
        return None
    table.mark("email_to")
    to = table.data.get("email_to")
    recipients = (to,) if isinstance(to, str) else table.strings("email_to")
    if not recipients or not all("@" in r for r in recipients):
        raise ConfigError("config.toml: [notify] email_to must hold one or more email addresses.")
    security = table.text("security", "none")
    if security not in ("none", "starttls", "ssl"):
        raise ConfigError('config.toml: [notify] security must be "none", "starttls" or "ssl".')
    for key in ("password", "smtp_password"):
        if key in table.data:
            raise ConfigError(
                f"config.toml: [notify] holds a {key!r}: put the SMTP password in an "
                "environment variable and name it with password_env."
            )
    events = table.strings("events", NOTIFY_EVENTS)
    unknown = sorted(set(events) - set(NOTIFY_EVENTS))
    if unknown:
        raise ConfigError(
            f"config.toml: [notify] events holds {unknown[0]!r}; choose among "
            f"{', '.join(NOTIFY_EVENTS)}."
        )
    return NotifySettings(
        to=tuple(recipients),
        sender=table.text("email_from", "postsched@localhost"),
        host=table.text("smtp_host", "localhost"),
        port=table.integer(
            "smtp_port", 465 if security == "ssl" else 587 if security == "starttls" else 25
        ),
        user=table.text("smtp_user", "", required=False) or None,
        password_env=table.text("password_env", "", required=False) or None,
        security=security,
        events=tuple(events),
    )


def _web(table: _Table, base_dir: Path, environ: Mapping[str, str]) -> WebSettings:
    """[web]: where `postsched web` listens and the hash its login checks (the environment's
    POSTSCHED_WEB_PASSWORD_HASH wins over the file, so the hash need not be in the repository)."""
    for key in ("password", "secret_key"):
        if key in table.data:
            raise ConfigError(
                f"config.toml: [web] holds a {key!r}: put only the password's hash there "
                "(postsched hash-password prints it), or in $POSTSCHED_WEB_PASSWORD_HASH."
            )
    table.mark("password_hash")
    password_hash = environ.get("POSTSCHED_WEB_PASSWORD_HASH") or table.text(
        "password_hash", "", required=False
    )
    port = table.integer("port", 8000)
    if not 0 < port < 65536:
        raise ConfigError(f"config.toml: [web] port must be between 1 and 65535, not {port}.")
    return WebSettings(
        password_hash=password_hash.strip() or None,
        host=table.text("host", "127.0.0.1"),
        port=port,
        uploads=base_dir / table.text("uploads", "uploads"),
    )
