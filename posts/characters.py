"""Control characters in texts: refused, named, before they reach a network or a database.

A text may hold line breaks (LF, and CR LF, read as LF) and tabs; any other control character
(U+0000 to U+001F, U+007F to U+009F) is refused: networks reject or mangle them, PostgreSQL
cannot store a NUL at all, and a carriage return forges lines in logs and calendars.
"""

from __future__ import annotations

from posts.errors import InputError
from posts.language import gettext as _

KEPT = frozenset("\n\t")
C0_NAMES = [
    "NUL",
    "SOH",
    "STX",
    "ETX",
    "EOT",
    "ENQ",
    "ACK",
    "BEL",
    "BS",
    "HT",
    "LF",
    "VT",
    "FF",
    "CR",
    "SO",
    "SI",
    "DLE",
    "DC1",
    "DC2",
    "DC3",
    "DC4",
    "NAK",
    "SYN",
    "ETB",
    "CAN",
    "EM",
    "SUB",
    "ESC",
    "FS",
    "GS",
    "RS",
    "US",
]


def is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def char_name(char: str) -> str:
    """'U+0000 (NUL)', 'U+007F (DEL)', 'U+0085'."""
    code = ord(char)
    name = C0_NAMES[code] if code < 0x20 else "DEL" if code == 0x7F else None
    return f"U+{code:04X} ({name})" if name else f"U+{code:04X}"


def first_control(text: str, kept: frozenset[str] = KEPT) -> tuple[int, str] | None:
    """(position counted from 1, character) of the first control character not `kept`."""
    for index, char in enumerate(text):
        if is_control(char) and char not in kept:
            return index + 1, char
    return None


def clean_text(text: str, what: str | None = None, kept: frozenset[str] = KEPT) -> str:
    """The text with CR LF read as LF, or InputError naming its first other control character
    (`what` names the text in that sentence: "The text" when None)."""
    text = text.replace("\r\n", "\n")
    found = first_control(text, kept)
    if found is not None:
        where, char = found
        raise InputError(
            _(
                "{what} holds the control character {char} at character {where}, which "
                "networks refuse and databases may not store: remove it."
            ).format(
                what=_("The text") if what is None else what, char=char_name(char), where=where
            )
        )
    return text


def is_web_address(link: str) -> bool:
    """An http(s) address with no space or control character in it."""
    scheme, _sep, rest = link.partition("://")
    return (
        scheme.lower() in ("http", "https")
        and bool(rest)
        and not any(c.isspace() or is_control(c) for c in link)
    )


def is_one_token(text: str) -> bool:
    """No space and no control character anywhere: safe on one line of a log or a calendar."""
    return not any(c.isspace() or is_control(c) for c in text)


def one_line(text: str) -> str:
    """A text for one line of the post log (an event's detail, a last error, a daemon log line):
    every control character, line breaks included, written as an escape (`\\n`, `\\x1b`), so
    a network's answer can never forge a line of its own."""
    if not any(is_control(char) for char in text):
        return text
    return "".join(
        char.encode("unicode_escape").decode("ascii") if is_control(char) else char for char in text
    )
