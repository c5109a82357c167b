"""Styled ("fancy") letters: refused in every text, alt text and rendered template.

Mathematical bold or italic (𝐁, 𝘪), circled (Ⓑ), full-width (Ｂ), squared (🄱), double-struck
(ℍ) letters and small capitals (ᴀ) are not letters in a font but symbols of their own: screen
readers spell them out one by one by their names ("mathematical bold capital B"), search and
translation miss them. They are never what the officer means, so they are refused, even
without --strict, naming the word and writing it in plain letters (NFKC gives most of them;
small capitals are told by their names). Superscript letters (1ᵉʳ), ligatures (ﬁ), № and ™ are
ordinary typography and pass.
"""

from __future__ import annotations

import unicodedata

from posts.errors import InputError
from posts.language import SOURCE, current
from posts.language import gettext as _

# Ranges of letters and digits in a style of their own; U+2139 (ℹ) is an emoji, not a letter.
_FANCY_RANGES = (
    (0x1D400, 0x1D7FF),  # Mathematical Alphanumeric Symbols: 𝐁, 𝘽, 𝓑, 𝔅, 𝟏…
    (0x2102, 0x2138),  # Letterlike Symbols: ℂ, ℍ, ℛ, ℬ…
    (0x213C, 0x2149),  # double-struck ℼ, ⅅ, ⅆ…
    (0x249C, 0x24E9),  # parenthesized and circled letters: ⒝, Ⓑ, ⓑ
    (0xFF10, 0xFF19),  # full-width digits
    (0xFF21, 0xFF3A),  # full-width capitals
    (0xFF41, 0xFF5A),  # full-width small letters
    (0x1F110, 0x1F149),  # parenthesized, circled and squared capitals: 🄑, 🄱
    (0x1F150, 0x1F169),  # negative circled capitals: 🅑
    (0x1F170, 0x1F189),  # negative squared capitals: 🅱
    (0x1D00, 0x1D22),  # small capitals: ᴀ, ʙ (most of them)
)
_SMALL_CAPITALS = frozenset("ʙɢʜɪʟɴʀʏꜰꜱ")  # the small capitals outside that block


def is_fancy(char: str) -> bool:
    code = ord(char)
    if char in _SMALL_CAPITALS:
        return True
    return any(low <= code <= high for low, high in _FANCY_RANGES) and plain_letter(char) != char


def plain_letter(char: str) -> str:
    """The plain letter a styled one stands for: 𝐁 -> B, ⓑ -> b, ᴀ -> a."""
    normal = unicodedata.normalize("NFKC", char)
    if normal != char and len(normal) == 1 and normal.isalnum():
        return normal
    name = unicodedata.name(char, "")
    letter = name.rsplit(" ", 1)[-1]
    if len(letter) == 1 and letter.isalpha() and "LETTER" in name:
        return letter.lower() if "SMALL" in name else letter
    return char


def first_fancy(text: str) -> tuple[str, str, str] | None:
    """(the word holding the first styled letter, that word in plain letters, a description
    of the letter: '𝐁 U+1D401 MATHEMATICAL BOLD CAPITAL B', its name in English only), or None."""
    for index, char in enumerate(text):
        if not is_fancy(char):
            continue
        start = max(text.rfind(sep, 0, index) for sep in (" ", "\n", "\t")) + 1
        ends = [i for i in (text.find(sep, index) for sep in (" ", "\n", "\t")) if i >= 0]
        word = text[start : min(ends, default=len(text))][:40]
        plain = "".join(plain_letter(c) if is_fancy(c) else c for c in word)
        # Unicode's names are English: other languages get the code point alone.
        name = unicodedata.name(char, "") if current() == SOURCE else ""
        described = f"{char} U+{ord(char):04X} {name}".rstrip()
        return word, plain, described
    return None


def refuse_fancy(text: str, what: str | None = None) -> None:
    """InputError when `text` holds a styled letter (`what` names the text: "The text" when
    None)."""
    found = first_fancy(text)
    if found is None:
        return
    word, plain, described = found
    raise InputError(
        _(
            "{what} writes “{word}” in styled letters ({letter}), which screen readers spell "
            "out one by one by their names: write “{plain}” in plain letters."
        ).format(
            what=_("The text") if what is None else what, word=word, letter=described, plain=plain
        )
    )


def fancy_problem(text: str) -> str | None:
    """The sentence `check` and `plan` refuse a rendered post with, when it holds a styled
    letter (from its template or from config.toml)."""
    found = first_fancy(text)
    if found is None:
        return None
    word, plain, described = found
    return _(
        "it writes “{word}” in styled letters ({letter}), which screen readers spell out one "
        "by one by their names: write “{plain}” in its template or in config.toml."
    ).format(word=word, letter=described, plain=plain)
