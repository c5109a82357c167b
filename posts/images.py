"""What counts as an image: told by a file's first bytes, not by its name.

One check for every image postsched publishes: a post's own (`add --image`, the web page,
`import`) and a link card's (`image` in [article] and [[courses]]).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from posts.errors import InputError
from posts.language import gettext as _

IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "png",
    b"\xff\xd8\xff": "jpeg",
    b"GIF87a": "gif",
    b"GIF89a": "gif",
}
KIND_NAMES = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WebP"}
ANY_KIND = ("png", "jpeg", "gif", "webp")  # what both networks take for a post's own image


def image_kind(head: bytes) -> str | None:
    """What the networks accept, told by the file's first bytes (not its name)."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return next((kind for sig, kind in IMAGE_SIGNATURES.items() if head.startswith(sig)), None)


def check_image(path: Path, kinds: Sequence[str] = ANY_KIND) -> str:
    """The image's kind, or an InputError in one sentence: missing, unreadable, not an image
    of one of `kinds`."""
    if not path.is_file():
        raise InputError(_("The image {path} does not exist.").format(path=path))
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError as exc:
        raise InputError(
            _("The image {path} cannot be read: {reason}.").format(path=path, reason=exc.strerror)
        ) from None
    kind = image_kind(head)
    if kind is None or kind not in kinds:
        names = [KIND_NAMES[k] for k in kinds]
        listed = (
            _("{kinds} or {last}").format(kinds=", ".join(names[:-1]), last=names[-1])
            if len(names) > 1
            else names[0]
        )
        raise InputError(_("{path} is not a {kinds} image.").format(path=path, kinds=listed))
    return kind
