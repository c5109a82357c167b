"""A TOML table of config.toml with its name, so that every refusal can say where it is, and
the keys it accepts, so that a key postsched does not know is refused rather than ignored."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, TypeVar

from posts.errors import ConfigError, InputError
from posts.language import N_, ngettext
from posts.language import gettext as _
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
    dict: N_("a table"),
    list: N_("a list"),
    str: N_("a string"),
    int: N_("a whole number"),
    bool: N_("true or false"),
    date: N_("a date"),
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
                # The officer's own word first ("deadline" is expires, not dead_if).
                if SYNONYMS.get(key) in known:
                    close = [SYNONYMS[key]]
                else:
                    close = difflib.get_close_matches(key, list(known), n=1)
                named.append(
                    _("{key} (did you mean {suggestion}?)").format(
                        key=repr(key), suggestion=repr(close[0])
                    )
                    if close
                    else repr(key)
                )
            where = _("the top level") if table.where == "" else table.where
            raise ConfigError(
                ngettext(
                    "config.toml: {where} has a key postsched does not know, {keys}; {kind} "
                    "accepts: {accepted}; remove or correct it rather than have it ignored.",
                    "config.toml: {where} has keys postsched does not know, {keys}; {kind} "
                    "accepts: {accepted}; remove or correct them rather than have them ignored.",
                    len(unknown),
                ).format(
                    where=where,
                    keys=and_list(named),
                    kind=table.kind or _("the top level"),
                    accepted=", ".join(known),
                )
            )

    @property
    def kind(self) -> str:
        """The table's name without its number: "[[courses]]" for "[[courses]] #2"."""
        return self.where.split(" #")[0]

    def _get(self, key: str, kind: type[T] | tuple[type, ...], required: bool, default: Any) -> Any:
        self.read[key] = None
        if key not in self.data:
            if required and self.where == "":
                raise ConfigError(
                    _("config.toml: the required table [{key}] is missing.").format(key=key)
                )
            if required:
                raise ConfigError(
                    _("config.toml: {where} is missing the required key {key!r}.").format(
                        where=self.where, key=key
                    )
                )
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            kinds = (kind,) if isinstance(kind, type) else kind
            names = or_list([_(_KIND_NAMES[k]) if k in _KIND_NAMES else k.__name__ for k in kinds])
            where = f"[{key}]" if self.where == "" else f"{self.where} {key}"
            raise ConfigError(
                _("config.toml: {where} must be {kind}, not {value!r}.").format(
                    where=where, kind=names, value=value
                )
            )
        return value

    def text(self, key: str, default: str | None = None, *, required: bool = True) -> Any:
        value = self._get(key, str, required and default is None, default)
        if required and default is None and not value.strip():
            raise ConfigError(
                _("config.toml: {where} {key} is empty.").format(where=self.where, key=key)
            )
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
                    _(
                        "config.toml: {where} {key} must be a date such as 2026-04-16, "
                        "not {value!r}."
                    ).format(where=self.where, key=key, value=value)
                ) from None
        if not isinstance(value, date) or hasattr(value, "hour"):
            raise ConfigError(
                _("config.toml: {where} {key} must be a date, not {value!r}.").format(
                    where=self.where, key=key, value=value
                )
            )
        return value

    def duration(self, key: str, default: str) -> timedelta:
        text = self._get(key, str, False, default)
        try:
            return parse_duration(text)
        except InputError as exc:
            raise ConfigError(
                _("config.toml: {where} {key}: {reason}").format(
                    where=self.where, key=key, reason=exc
                )
            ) from None

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self._get(key, list, False, list(default))
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(
                _("config.toml: {where} {key} must be a list of strings.").format(
                    where=self.where, key=key
                )
            )
        return tuple(value)

    def table(self, key: str, *, required: bool = True) -> Table:
        value = self._get(key, dict, required, {})
        return Table(
            value,
            f"[{key}]" if self.where == "" else f"[{self.where.strip('[]')}.{key}]",
            self.tables_made,
        )

    def tables(self, key: str) -> list[Table]:
        parent = None
        if self.where.startswith("[["):  # inside one item of an array: [[courses]] #2
            name, parent = f"{self.where[2:].split(']]')[0]}.{key}", self.where
        else:
            name = key if self.where == "" else f"{self.where.strip('[]')}.{key}"
        value = self._get(key, list, False, [])
        if not all(isinstance(item, dict) for item in value):
            raise ConfigError(
                _("config.toml: {table} must be an array of tables.").format(
                    table=of_table(f"[[{name}]]", parent)
                )
            )
        return [
            Table(item, of_table(f"[[{name}]] #{n}", parent), self.tables_made)
            for n, item in enumerate(value, start=1)
        ]


def of_table(table: str, parent: str | None) -> str:
    """A table inside one item of an array: "[[courses.phases]] #1 of [[courses]] #2"."""
    if parent is None:
        return table
    return _("{table} of {parent}").format(table=table, parent=parent)


def and_list(items: list[str]) -> str:
    """ "a, b and c" in the current language."""
    if len(items) == 1:
        return items[0]
    return _("{items} and {last}").format(items=", ".join(items[:-1]), last=items[-1])


def or_list(items: list[str]) -> str:
    """ "a or b" in the current language."""
    if len(items) == 1:
        return items[0]
    return _("{items} or {last}").format(items=", ".join(items[:-1]), last=items[-1])
