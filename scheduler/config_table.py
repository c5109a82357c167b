"""A TOML table of config.toml with its name, so that every refusal can say where it is, and
the keys it accepts, so that a key postsched does not know is refused rather than ignored."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, TypeVar

from posts.errors import ConfigError, InputError
from posts.timing import parse_duration

T = TypeVar("T")
# The words officers reach for first, and the key postsched uses for them ("did you mean").
SYNONYMS = {
    "deadline": "expires",
    "registration": "expires",
    "closes": "expires",
    "until": "expires",
    "expiry": "expires",
    "link": "url",
    "picture": "image",
    "alt": "image_alt",
    "finish": "end",
    "stop": "end",
    "session": "sessions",
    "tz": "timezone",
    "lang": "language",
}
_KIND_NAMES = {
    dict: "a table",
    list: "a list",
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    date: "a date",
}


class Table:
    """A TOML table with its name, so that every error can say where it is.

    Each table remembers the keys postsched read from it; `reject_unknown` then refuses any
    other key, so that a typo (min_gab) is an error rather than a setting silently ignored.
    """

    def __init__(self, data: Mapping[str, Any], where: str, tables: list[Table] | None = None):
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
                if not close and SYNONYMS.get(key) in known:
                    close = [SYNONYMS[key]]
                named.append(f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key))
            where = "the top level" if table.where == "" else table.where
            keys = "a key" if len(unknown) == 1 else "keys"
            raise ConfigError(
                f"config.toml: {where} has {keys} postsched does not know, "
                f"{and_list(named)}; {table.kind or 'the top level'} accepts: {', '.join(known)}; "
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

    def table(self, key: str, *, required: bool = True) -> Table:
        value = self._get(key, dict, required, {})
        return Table(
            value,
            f"[{key}]" if self.where == "" else f"[{self.where.strip('[]')}.{key}]",
            self.tables_made,
        )

    def tables(self, key: str) -> list[Table]:
        of = ""
        if self.where.startswith("[["):  # inside one item of an array: [[courses]] #2
            name, of = f"{self.where[2:].split(']]')[0]}.{key}", f" of {self.where}"
        else:
            name = key if self.where == "" else f"{self.where.strip('[]')}.{key}"
        value = self._get(key, list, False, [])
        if not all(isinstance(item, dict) for item in value):
            raise ConfigError(f"config.toml: [[{name}]]{of} must be an array of tables.")
        return [
            Table(item, f"[[{name}]] #{n}{of}", self.tables_made)
            for n, item in enumerate(value, start=1)
        ]


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
