"""One root exception for everything postsched refuses or fails at.

Each subclass builds its own one-sentence message, so the command line can print it as is.
"""

from __future__ import annotations

from datetime import datetime

from posts.language import gettext as _


class PostschedError(Exception):
    """Something the officer can act on; its message is one sentence."""


class ConfigError(PostschedError):
    """config.toml is unreadable, incomplete or inconsistent."""


class TemplateError(PostschedError):
    """A template does not parse, uses an undefined variable, or breaks the sandbox."""

    def __init__(self, message: str, *, filename: str | None = None, lineno: int | None = None):
        if filename and lineno:
            full = _("{filename}, line {lineno}: {message}").format(
                filename=filename, lineno=lineno, message=message
            )
        elif filename:
            full = _("{filename}: {message}").format(filename=filename, message=message)
        else:
            full = message
        super().__init__(full)
        self.filename = filename
        self.lineno = lineno


class InputError(PostschedError):
    """A command-line value the officer gave cannot be used (a date, a channel, a text)."""


class TooLongError(InputError):
    """A text is longer than its network accepts."""

    def __init__(self, what: str, length: int, limit: int, network: str):
        super().__init__(
            _(
                "{what} is {length} characters as {network} counts them, over its limit of {limit}."
            ).format(what=what, length=length, network=network, limit=limit)
        )
        self.length = length
        self.limit = limit


class NotFoundError(PostschedError):
    """A post id that is not in the database."""

    def __init__(self, post_id: int):
        super().__init__(_("There is no post with id {post_id}.").format(post_id=post_id))
        self.post_id = post_id


class StateError(PostschedError):
    """A verb that does not apply to a post in its current status."""


class DatabaseError(PostschedError):
    """The database cannot be opened, or is not at the schema this version needs."""


class PublishError(PostschedError):
    """A channel could not publish a post. Adapters raise one of the three kinds below, and
    classify the failure once: the tick never guesses from a message."""

    retryable = False


class TransientError(PublishError):
    """Worth trying again later (timeout, connection error, 5xx, 429)."""

    retryable = True

    def __init__(self, message: str, *, retry_after: datetime | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class RateLimitError(TransientError):
    """The network asks the whole channel to wait until `retry_after`; the post is not to blame."""


class PermanentError(PublishError):
    """The network refused this post for good (400, 403, 422): it fails with the network's words."""


class AuthError(PublishError):
    """The token was refused (401): the channel pauses and its posts wait, nothing is burned."""


class UnreadableAnswerError(PublishError):
    """A network answered a read with something its docs do not describe (HTML instead of
    JSON, counts missing): said once for that read, asked again at the next one."""
