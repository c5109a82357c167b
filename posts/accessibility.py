"""Whether a post reads well to people who use a screen reader (docs/templates.md says why).

Warnings (refusals with `--strict`), each a `Finding` told as one sentence naming the post:

- a hashtag of several words in lower case (`#travailsocial`, also `#Travailsocial`), which a
  screen reader reads as one long word: the CamelCase form is suggested (`#TravailSocial`) when
  the campaign's own hashtags or the word list shipped beside this file (hashtag_words.txt)
  tell its words apart; a hashtag they cannot split (`#formation`, `#hetis`) is left alone;
- more than three emoji; an emoji at the start of two lines or more (emoji as bullets); an
  emoji standing where a word belongs: after a word, a number or an elided article (`l'`) and
  before a word in lower case on the same line ("Venez 👉 nous voir", "J'❤️ Nice");
- an image's alt text that is a file name (`IMG_1234.jpg`, `photo.png`), shorter than three
  words, or longer than its network takes (Mastodon: the channel's `description_limit`, 1,500
  by default; Bluesky: 2,000, its app's limit; LinkedIn: 4,086, its Images API's). An empty alt
  text is refused already (posts/checks.py).

Refused always: "fancy" letters (posts/styled_letters.py).

An emoji is a grapheme cluster (`\\X`) shown as a picture: one holding a character of default
emoji presentation, an emoji variation selector (U+FE0F), a keycap or a flag.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, partial
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import regex

from posts.language import gettext as _
from posts.language import ngettext

MAX_EMOJI = 3
MIN_ALT_WORDS = 3
# What each network takes as an image's alt text, in characters; a channel's
# `description_limit` says otherwise (a Mastodon instance advertises its own since 4.4).
ALT_LIMITS = {"mastodon": 1500, "bluesky": 2000, "linkedin": 4086}
# Words a hashtag writes in capitals whole, as the campaign's readers know them.
ACRONYMS = {"ia": "IA", "ai": "AI", "rgpd": "RGPD", "rse": "RSE"}
IMAGE_SUFFIXES = ("jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "tif", "tiff", "bmp")

# Patterns of the `regex` library (grapheme clusters, emoji properties), compiled when first
# used: importing and compiling them costs 50 ms that commands judging no text skip.
_HASHTAG = r"(?:^|(?<=[\s(«“\"']))#([\p{L}\p{M}\p{N}_]+)"
_EMOJI = r"\p{Emoji_Presentation}|\ufe0f|\u20e3|\p{Regional_Indicator}"
_PICTURE = r"\p{Extended_Pictographic}|\p{Emoji_Modifier}"
_FILE_NAME = rf"(?i)^\S.*\.(?:{'|'.join(IMAGE_SUFFIXES)})$|^(?:img|dsc|dscn|pxl|dcim|p)[_-]?\d+$"


@cache
def _re(pattern: str) -> regex.Pattern[str]:
    import regex

    return regex.compile(pattern)


@dataclass(frozen=True)
class Finding:
    """One accessibility rule a post breaks; `warning(who)` is the sentence, naming the post
    ("post 12", "article/announce.mastodon.j2 (article/announce/mastodon)")."""

    rule: str  # "hashtag", "emoji-count", "emoji-bullets", "emoji-word", "alt-file-name",
    # "alt-short" or "alt-long"
    say: Callable[[str], str]

    def warning(self, who: str) -> str:
        return self.say(who)


def strict_refusal(who: str, findings: Iterable[Finding]) -> str:
    """What --strict refuses a post with: every finding, then why it refuses."""
    sentences = " ".join(f.warning(who) for f in findings)
    return _(
        "{findings} --strict refuses a post an accessibility rule advises against "
        "(change it, or drop --strict to be warned only)."
    ).format(findings=sentences)


# the text -------------------------------------------------------------------------------


def text_findings(text: str, known: Vocabulary | None = None) -> list[Finding]:
    """Every rule the post's text breaks (its hashtags, its emoji)."""
    return [*hashtag_findings(text, known or Vocabulary()), *emoji_findings(text)]


def hashtag_findings(text: str, known: Vocabulary) -> list[Finding]:
    found = []
    for tag in dict.fromkeys(_re(_HASHTAG).findall(unicodedata.normalize("NFC", text))):
        better = known.camel_case(tag)
        if better is None:
            continue
        found.append(Finding("hashtag", partial(_say_hashtag, tag=tag, better=better)))
    return found


def _say_hashtag(who: str, *, tag: str, better: str) -> str:
    return _(
        "{who}: the hashtag #{tag} joins several words in lower case, which screen readers "
        "read as one long word; write {better}."
    ).format(who=who, tag=tag, better=better)


def _say_emoji_word(who: str, *, emoji: str, phrase: str) -> str:
    return _(
        "{who}: the emoji {emoji} stands where a word belongs (“{phrase}”), and screen readers "
        "read its name there; write the word."
    ).format(who=who, emoji=emoji, phrase=phrase)


def emoji_findings(text: str) -> list[Finding]:
    clusters = [(m.start(), m.end(), m.group()) for m in _re(r"\X").finditer(text)]
    emoji = [(start, end, c) for start, end, c in clusters if is_emoji(c)]
    found = []
    if len(emoji) > MAX_EMOJI:
        count = len(emoji)
        found.append(
            Finding(
                "emoji-count",
                lambda who: ngettext(
                    "{who}: {count} emoji, each of which screen readers read out by its name; "
                    "keep {most} at most.",
                    "{who}: {count} emoji, each of which screen readers read out by its name; "
                    "keep {most} at most.",
                    count,
                ).format(who=who, count=count, most=MAX_EMOJI),
            )
        )
    starts = {start for start, _end, _c in emoji}
    bullets = []
    offset = 0
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip())
        head = offset + indent
        if head in starts:
            bullets.append(next(c for s, _e, c in emoji if s == head))
        offset += len(line) + 1
    if len(bullets) >= 2:
        shown = " ".join(dict.fromkeys(bullets))
        lines = len(bullets)
        found.append(
            Finding(
                "emoji-bullets",
                lambda who: ngettext(
                    "{who}: {count} line starts with an emoji ({emoji}), which screen readers "
                    "read out by name before each line; start the lines with words, or "
                    "with a dash.",
                    "{who}: {count} lines start with an emoji ({emoji}), which screen readers "
                    "read out by name before each line; start the lines with words, or "
                    "with a dash.",
                    lines,
                ).format(who=who, count=lines, emoji=shown),
            )
        )
    for start, end, char in emoji:
        if _stands_for_a_word(text, start, end):
            phrase = _around(text, start, end)
            say = partial(_say_emoji_word, emoji=char, phrase=phrase)
            found.append(Finding("emoji-word", say))
            break  # one such sentence is enough to show the fix
    return found


def is_emoji(cluster: str) -> bool:
    """A grapheme cluster shown as a picture: 📖, ❤️, 1️⃣, 🇫🇷, 👩🏽‍💻; not ©, ☺ or ™ alone."""
    return _re(_EMOJI).search(cluster) is not None


def _neighbour(text: str, index: int, step: int) -> str:
    """The first character from `index` on (`step` -1: before it) that is neither a space nor
    part of an emoji, on the same line; '' at the line's end."""
    while 0 <= index < len(text):
        char = text[index]
        if char == "\n":
            return ""
        if char in " \t\u00a0\u202f\u200d" or _re(_EMOJI).match(char) or _is_picture(char):
            index += step
            continue
        return char
    return ""


def _is_picture(char: str) -> bool:
    return _re(_PICTURE).match(char) is not None


def _stands_for_a_word(text: str, start: int, end: int) -> bool:
    before = _neighbour(text, start - 1, -1)
    after = _neighbour(text, end, 1)
    if before in ("'", "’"):
        return True  # an elided article or pronoun wants its word: "J'❤️ Nice", "l'🎓"
    if not before or not (before.isalnum()):
        return False
    rest = text[end:].lstrip(" \t\u00a0\u202f")
    return after.islower() and not rest.lower().startswith(("http://", "https://"))


def _around(text: str, start: int, end: int) -> str:
    """The emoji with a word or two on each side, as written on its line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    before = _re(r"(?:\S+\s+){0,1}\S*\s*$").search(text[line_start:start])
    after = _re(r"\s*\S*(?:\s+\S+){0,1}").match(text[end:line_end])
    return (before.group() if before else "") + text[start:end] + (after.group() if after else "")


# hashtags -------------------------------------------------------------------------------


@cache
def shipped_words() -> frozenset[str]:
    """The word list shipped beside this module, folded (lower case, no accents)."""
    text = files("posts").joinpath("hashtag_words.txt").read_text(encoding="utf-8")
    words = (line.strip() for line in text.splitlines())
    return frozenset(fold(w) for w in words if w and not w.startswith("#") and len(w) > 1)


def fold(text: str) -> str:
    """Lower case without accents, one character for one: 'Éthique' -> 'ethique'."""
    return "".join(unicodedata.normalize("NFD", c)[0] for c in text.lower())


class Vocabulary:
    """The words that tell a lower-case hashtag's words apart: the shipped list and the
    campaign's own hashtags (phrases such as "travail social"), whose joined form is suggested
    as the campaign writes it (#ÉthiqueNumérique for #ethiquenumerique)."""

    def __init__(self, phrases: Iterable[str] = ()) -> None:
        self.phrases: dict[str, str] = {}
        words = set(shipped_words())
        for phrase in phrases:
            parts = _re(r"[\p{L}\p{M}\p{N}]+").findall(unicodedata.normalize("NFC", phrase))
            if len(parts) > 1:
                self.phrases.setdefault(
                    fold("".join(parts)), "".join(p[:1].upper() + p[1:] for p in parts)
                )
            words.update(fold(p) for p in parts if len(p) > 1)
        self.words = frozenset(words)

    def camel_case(self, tag: str) -> str | None:
        """'#TravailSocial' for 'travailsocial' (or 'Travailsocial'); None when the tag has a
        capital inside already, or cannot be told apart into several known words."""
        if tag[1:] != tag[1:].lower() or not any(c.isalpha() for c in tag):
            return None
        folded = fold(tag)
        if folded in self.phrases and len(folded) == len(tag):
            return "#" + self.phrases[folded]
        pieces = _re(r"\p{L}+|[^\p{L}]+").findall(tag)
        out = []
        split = False
        for piece in pieces:
            words = self.split(fold(piece)) if piece[0].isalpha() else None
            if words is None or len(words) < 2:
                out.append(piece[:1].upper() + piece[1:])
                continue
            split = True
            at = 0
            for word in words:
                written = piece[at : at + len(word)]
                out.append(ACRONYMS.get(word) or written[:1].upper() + written[1:])
                at += len(word)
        return "#" + "".join(out) if split else None

    def split(self, folded: str) -> list[str] | None:
        """The fewest known words that make up `folded`, or None."""
        best: list[list[str] | None] = [[]] + [None] * len(folded)
        for end in range(1, len(folded) + 1):
            for start in range(max(0, end - 30), end - 1):
                before = best[start]
                word = folded[start:end]
                if before is None or word not in self.words:
                    continue
                current = best[end]
                if current is None or len(before) + 1 < len(current):
                    best[end] = [*before, word]
        return best[len(folded)]


# alt text ---------------------------------------------------------------------------------


def alt_limit(channel_type: str, options: Mapping[str, object] | None = None) -> int:
    limit = (options or {}).get("description_limit")
    return limit if isinstance(limit, int) and limit > 0 else ALT_LIMITS.get(channel_type, 1500)


def alt_findings(alt: str, image: str | None, network: str, limit: int) -> list[Finding]:
    """What is wrong with an image's alt text for readers who cannot see the image."""
    alt = alt.strip()
    found = []
    names = {""}
    if image:
        name = image.replace("\\", "/").rsplit("/", 1)[-1]
        names |= {name.lower(), name.rsplit(".", 1)[0].lower()}
    words = [w for w in alt.split() if any(c.isalnum() for c in w)]
    shown = alt if len(alt) <= 60 else alt[:59] + "…"
    if alt.lower() in names - {""} or _re(_FILE_NAME).match(alt):
        found.append(
            Finding(
                "alt-file-name",
                lambda who: _(
                    "{who}: the image's alt text “{alt}” is a file name, which tells a reader "
                    "who cannot see the image nothing; describe what it shows."
                ).format(who=who, alt=shown),
            )
        )
    elif len(words) < MIN_ALT_WORDS:
        found.append(
            Finding(
                "alt-short",
                lambda who: _(
                    "{who}: the image's alt text “{alt}” is shorter than {least} words; "
                    "describe what the image shows in a sentence, with any text written in it."
                ).format(who=who, alt=shown, least=MIN_ALT_WORDS),
            )
        )
    if len(alt) > limit:
        length = len(alt)
        found.append(
            Finding(
                "alt-long",
                lambda who: _(
                    "{who}: the image's alt text is {length} characters, over {network}'s limit "
                    "of {limit}; shorten it, or the network will refuse the post."
                ).format(who=who, length=length, network=network, limit=limit),
            )
        )
    return found
