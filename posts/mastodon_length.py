"""How long a Mastodon server says a status is, so postsched refuses exactly what it refuses.

A port of the server's count (app/validators/status_length_validator.rb, with twitter-text
3.1.0 and Mastodon's overrides in config/initializers/twitter_regex.rb): the text is stripped,
each URL a server would link becomes `url_length` characters, each mention `@user@domain`
becomes `@user`, and what is left is counted in grapheme clusters.
"""

from __future__ import annotations

from importlib.resources import files

import regex

MAX_URL_LENGTH = 4096  # twitter-text: a longer URL is not a URL
MAX_TCO_SLUG_LENGTH = 40
MAX_MENTION_DOMAIN_LENGTH = 253

_TLDS = [
    line
    for line in files("posts").joinpath("tlds.txt").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]


_Trie = dict[str, "_Trie"]


def _longest_first(words: list[str]) -> str:
    """The words as one regex trie: quick to try, and a longer word wins over its prefix,
    as in twitter-text's list (where 嘉里大酒店 comes before 嘉里)."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: _Trie) -> str:
        branches = [regex.escape(char) + pattern(child) for char, child in node.items() if char]
        return f"(?:{'|'.join(branches + [''] * ('' in node))})" if branches else ""

    return pattern(trie)


# twitter-text's character sets (Ruby's regex.rb), written as a character-class body.
_DIRECTIONAL = r"\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069"
_INVALID = r"\uFFFE\uFEFF\uFFFF"
_SPACES = r"\t-\r\x20\x85\xA0\u1680\u180E\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
_PUNCTUATION = r"!\"#$%&'()*+,\-./:;<=>?@\[\]^_`{|}~"
_LATIN_ACCENTS = (
    r"\xC0-\xD6\xD8-\xF6\xF8-\xFF\u0100-\u024F\u0253\u0254\u0256\u0257\u0259\u025B\u0263"
    r"\u0268\u026F\u0272\u0289\u028B\u02BB\u0300-\u036F\u1E00-\u1EFF"
)
_DOMAIN_CHAR = rf"[^{_DIRECTIONAL}{_PUNCTUATION}{_SPACES}\x00-\x1F\x7F{_INVALID}]"
_SUBDOMAIN = rf"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
_DOMAIN_NAME = rf"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
_TLD = rf"(?:{_longest_first(_TLDS)}(?=[^0-9a-z@+-]|$)|xn--[0-9a-z]+)"
_DOMAIN = rf"{_SUBDOMAIN}*{_DOMAIN_NAME}{_TLD}"


def _balanced_parens(path_char: str) -> str:
    # One nested level, as in /wiki/Primer_(film) or /track/We_Up_(Album_(Edited))
    return rf"\((?:{path_char}+|{path_char}*\({path_char}+\){path_char}*)\)"


# twitter-text's own path characters survive in one place: Mastodon redefines the ending
# characters while the balanced parentheses inside them are still twitter-text's.
_OLD_PATH_CHAR = rf"[a-z\p{{Cyrillic}}0-9!*';:=+,.$/%#\[\]\p{{Pd}}_~&|@{_LATIN_ACCENTS}]"
_PATH_CHAR = r"[^\p{White_Space}<>()?]"
_PATH_END = (
    r"(?:[^\p{White_Space}()?!*\"'「」<>;:=,.$%\[\]~&|@]"
    rf"|{_balanced_parens(_OLD_PATH_CHAR)})"
)
_PATH = (
    rf"(?:{_PATH_CHAR}*(?:{_balanced_parens(_PATH_CHAR)}{_PATH_CHAR}*)*{_PATH_END}"
    rf"|{_PATH_CHAR}+/)"
)
_UCHARS = (
    r"\xA0-\uD7FF\uF900-\uFDCF\uFDF0-\uFFEF\U00010000-\U0001FFFD\U00020000-\U0002FFFD"
    r"\U00030000-\U0003FFFD\U00040000-\U0004FFFD\U00050000-\U0005FFFD\U00060000-\U0006FFFD"
    r"\U00070000-\U0007FFFD\U00080000-\U0008FFFD\U00090000-\U0009FFFD\U000A0000-\U000AFFFD"
    r"\U000B0000-\U000BFFFD\U000C0000-\U000CFFFD\U000D0000-\U000DFFFD\U000E1000-\U000EFFFD"
    r"\uE000-\uF8FF\U000F0000-\U000FFFFD\U00100000-\U0010FFFD"
)
_URL = regex.compile(
    rf"(?P<before>[^a-z0-9@＠$#＃{_INVALID}]|[{_DIRECTIONAL}]|^)"
    r"(?P<url>(?P<protocol>(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://)?"
    rf"(?P<domain>{_DOMAIN})"
    r"(?::[0-9]+)?"
    rf"(?P<path>/{_PATH}*)?"
    rf"(?:\?[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@^{_UCHARS}]*[a-z0-9_&=#/\-{_UCHARS}])?)",
    regex.IGNORECASE | regex.MULTILINE,
)
_TCO = regex.compile(r"^https?://t\.co/([a-z0-9]+)", regex.IGNORECASE)

# Mastodon's Account::MENTION_RE; [[:word:]] is Ruby's: letters, marks, digits, connectors.
_WORD = r"[\p{L}\p{M}\p{Nd}\p{Pc}]"
_MENTION = regex.compile(
    rf"(?<![=/]|{_WORD})@(?P<name>(?P<user>[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)"
    rf"(?:@(?P<domain>{_WORD}+(?:[.-]+{_WORD}+)*))?)",
    regex.IGNORECASE,
)
_END_MENTION = regex.compile(rf"[@＠]|[{_LATIN_ACCENTS}]|://")

_RUBY_STRIP = "\x00\t\n\v\f\r "  # what Ruby's String#strip removes, unlike str.strip()
_BLANK = regex.compile(r"\p{White_Space}*")
_GRAPHEME = regex.compile(r"\X")

Entity = tuple[int, int, str]  # start, end, what the server counts in its place


def _urls(text: str, url_length: int) -> list[Entity]:
    if ":" not in text:
        return []
    found = []
    for match in _URL.finditer(text):
        url, start, end = match["url"], match.start("url"), match.end("url")
        if not match["protocol"]:
            continue  # extract_url_without_protocol: false
        tco = _TCO.match(url)
        if tco:
            if len(tco[1]) > MAX_TCO_SLUG_LENGTH:
                continue
            url, end = tco[0], start + len(tco[0])
        try:
            ascii_domain = match["domain"].encode("idna")
        except UnicodeError:
            continue
        if len(url) + max(0, len(ascii_domain) - len(match["domain"])) > MAX_URL_LENGTH:
            continue
        found.append((start, end, "x" * url_length))
    return found


def _mentions(text: str) -> list[Entity]:
    found = []
    for match in _MENTION.finditer(text):
        if _END_MENTION.match(text, match.end()):
            continue
        domain = match["domain"]
        if domain and len(domain) > MAX_MENTION_DOMAIN_LENGTH:
            continue
        found.append((match.start(), match.end(), "@" + match["user"]))
    return found


def status_length(text: str, url_length: int = 23) -> int:
    """The length a Mastodon server checks against its `max_characters`."""
    text = text.strip(_RUBY_STRIP)
    if _BLANK.fullmatch(text):
        return 0
    kept: list[Entity] = []
    for entity in sorted(_urls(text, url_length) + _mentions(text)):
        if not kept or kept[-1][1] <= entity[0]:  # overlapping entities are dropped
            kept.append(entity)
    pieces, position = [], 0
    for start, end, counted in kept:
        pieces += [text[position:start], counted]
        position = end
    pieces.append(text[position:])
    return len(_GRAPHEME.findall("".join(pieces)))
