"""What each network accepts: its length limit and how it counts characters.

Lengths are checked when a post is planned or added, never at publish time, so an officer
learns about a text that is too long while there is still time to shorten it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from posts.errors import InputError, TooLongError
from posts.language import gettext as _
from posts.language import show_number
from posts.littletext import escape_little_text


@dataclass(frozen=True)
class Network:
    name: str
    limit: int
    url_length: int | None = None  # when set, counted as Mastodon counts, a URL as this many
    little_text: bool = False  # counted once escaped, as LinkedIn receives it
    graphemes: bool = False  # counted in grapheme clusters, as Bluesky counts, links in full
    byte_limit: int | None = None  # Bluesky also refuses more than this many UTF-8 bytes
    image_bytes: int | None = None  # the largest image file it takes, when that is small

    def measure(self, text: str) -> int:
        if self.little_text:
            # LinkedIn does not say whether its limit counts escaped characters; counting
            # them is the safe side: a text that passes here passes there either way.
            text = escape_little_text(text)
        if self.url_length is not None:
            # Imported here: its patterns cost 0.13 s, which commands that measure nothing skip.
            from posts.mastodon_length import status_length

            return status_length(text, self.url_length)
        if self.graphemes:
            from posts.richtext import graphemes

            return graphemes(text)
        return len(text)

    def sent(self, text: str) -> str:
        """The text exactly as the network receives it."""
        return escape_little_text(text) if self.little_text else text

    def sent_label(self) -> str:
        """What `sent` is, for a person who would otherwise read its escapes as a fault."""
        if self.little_text:
            return _(
                "Text as {network}'s API receives it (little-text escaping: a backslash before "
                "( ) @ and the other reserved characters; readers see it unescaped)"
            ).format(network=self.name)
        return _("Text as {network} receives it").format(network=self.name)

    def counting(self) -> str:
        """How `measure` counts, for a person reading a length against the limit."""
        if self.url_length is not None:
            return _(
                "counted as {network} counts: a link as {link_length}, "
                "@user@domain as @user, an emoji as 1"
            ).format(network=self.name, link_length=self.url_length)
        if self.little_text:
            return _("counted escaped, as {network} receives the commentary").format(
                network=self.name
            )
        if self.graphemes:
            return _(
                "counted as {network} counts: a link in full, an emoji or an accented letter as 1"
            ).format(network=self.name)
        return ""

    def check(self, text: str, what: str | None = None) -> int:
        """The text's length as the network counts it, or InputError (`what` names the text in
        the sentence: "The text" when None)."""
        what = _("The text") if what is None else what
        length = self.measure(text)
        if length > self.limit:
            raise TooLongError(what, length, self.limit, self.name)
        if self.byte_limit is not None and len(text.encode("utf-8")) > self.byte_limit:
            raise InputError(
                _("{what} is {size} bytes in UTF-8, over {network}'s limit of {limit}.").format(
                    what=what,
                    size=len(text.encode("utf-8")),
                    network=self.name,
                    limit=self.byte_limit,
                )
            )
        if not text.strip():
            raise InputError(_("{what} is empty.").format(what=what))
        return length

    def check_image_size(self, path: Path) -> None:
        """InputError when the image file is larger than the network takes."""
        size = path.stat().st_size
        if self.image_bytes is not None and size > self.image_bytes:
            raise InputError(
                _(
                    "The image {path} is {size} bytes, over {network}'s limit of {limit} bytes "
                    "an image: make it smaller."
                ).format(
                    path=path,
                    size=show_number(size),
                    network=self.name,
                    limit=show_number(self.image_bytes),
                )
            )


NETWORKS: dict[str, Network] = {
    "mastodon": Network("Mastodon", limit=500, url_length=23),
    "linkedin": Network("LinkedIn", limit=3000, little_text=True),
    # app.bsky.embed.images and a link card's thumb take 1,000,000 bytes an image.
    "bluesky": Network(
        "Bluesky", limit=300, graphemes=True, byte_limit=3000, image_bytes=1_000_000
    ),
}


def network_for(channel_type: str, options: dict[str, object] | None = None) -> Network:
    """The rules of a channel type, with the limits a channel's config may override."""
    base = NETWORKS[channel_type]
    options = options or {}
    limit = options.get("max_characters")
    url_length = options.get("characters_reserved_per_url")
    return Network(
        base.name,
        limit=limit if isinstance(limit, int) else base.limit,
        url_length=url_length if isinstance(url_length, int) else base.url_length,
        little_text=base.little_text,
        graphemes=base.graphemes,
        byte_limit=base.byte_limit,
        image_bytes=base.image_bytes,
    )
