"""LinkedIn's "little text" format, the format of a post's commentary.

LinkedIn silently cuts a commentary at the first reserved character that is not escaped, so
every reserved character is escaped except the `#` that starts a hashtag (`#word`, where the
word holds no reserved character), which must stay bare to stay a hashtag.
"""

from __future__ import annotations

import re

RESERVED = set("\\|{}@[]()<>#*_~")
_HASHTAG = re.compile(r"#(?=[^\W_])")  # a '#' directly followed by a letter or digit
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def escape_little_text(text: str) -> str:
    """Escape every reserved character except a hashtag's own '#', in one pass."""
    out: list[str] = []
    for index, char in enumerate(text):
        if char == "#" and _HASHTAG.match(text, index) and _starts_word(text, index):
            out.append(char)
        elif char in RESERVED:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def unescape_little_text(text: str) -> str:
    """The plain text a little-text commentary shows: the inverse of escape_little_text."""
    return _UNESCAPE.sub(r"\1", text)


def _starts_word(text: str, index: int) -> bool:
    """A hashtag starts a word: '#' at the start or after a space or an opening punctuation."""
    return index == 0 or text[index - 1].isspace() or text[index - 1] in "\"'«“"
