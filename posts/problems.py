"""What stops planned posts from being saved: a text too long for its network, an empty text,
styled letters (posts/styled_letters.py), the same text twice on one channel, or a link card
whose picture the network would refuse (Bluesky takes 1,000,000 bytes at most). Every problem
is kept, each with its post, channel, length and limit, so `check`, `plan` and the web's check
page can list them all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from posts.campaign import Config
from posts.errors import InputError
from posts.language import gettext as _
from posts.language import ngettext, show_number
from posts.networks import Network, network_for
from posts.planning import PlannedPost
from posts.styled_letters import fancy_problem


@dataclass(frozen=True)
class Problem:
    plan_key: str
    channel: str
    length: int
    limit: int
    message: str  # one sentence naming the post and what to change

    def line(self) -> str:
        return f"{self.plan_key} ({self.channel}, {self.length}/{self.limit}): {self.message}"


class ProblemsError(InputError):
    """Several posts need work; the message is the closing sentence, `problems` the list."""

    def __init__(self, what: str, problems: Sequence[Problem]):
        keys = list(dict.fromkeys(p.plan_key for p in problems))
        super().__init__(
            ngettext(
                "{count} post needs work before {what}: {posts}.",
                "{count} posts need work before {what}: {posts}.",
                len(keys),
            ).format(count=len(keys), what=what, posts=", ".join(keys))
        )
        self.problems = list(problems)
        self.posts = keys


def find_problems(config: Config, posts: Sequence[PlannedPost]) -> list[Problem]:
    """Each text within its network's limit, not empty, and not twice on one channel."""
    problems = []
    seen: dict[tuple[str, str], str] = {}
    for post in posts:
        channel = config.channels[post.channel]
        network = network_for(channel.type, channel.options)
        length = network.measure(post.body)
        messages = []
        if length > network.limit:
            messages.append(
                _(
                    "{length} characters as {network} counts them, over its limit of {limit}: "
                    "shorten its template."
                ).format(length=length, network=network.name, limit=network.limit)
            )
        if not post.body.strip():
            messages.append(_("it renders to an empty text: its template writes nothing."))
        fancy = fancy_problem(post.body)  # styled letters, which screen readers spell out
        if fancy:
            messages.append(fancy)
        earlier = seen.get((post.channel, post.body))
        if earlier:
            messages.append(
                _(
                    "the same text as {earlier}; {network} refuses repeated posts: make the "
                    "templates differ."
                ).format(earlier=earlier, network=network.name)
            )
        seen[(post.channel, post.body)] = post.plan_key
        too_big = card_too_big(config, post.subject, post.link, network)
        if too_big:
            messages.append(too_big)
        problems += [
            Problem(post.plan_key, post.channel, length, network.limit, message)
            for message in messages
        ]
    return problems


def card_too_big(config: Config, subject: str, link: str | None, network: Network) -> str | None:
    """The sentence for the link card picture of a post carrying `link` (its subject's
    `image`), when it is over the network's limit; None when it is within it or has none."""
    owner = config.owner(subject) if link else None
    if network.image_bytes is None or owner is None or owner.image is None:
        return None
    try:
        size = owner.image.stat().st_size
    except OSError:
        return None  # a missing picture is refused when config.toml is read
    if size <= network.image_bytes:
        return None
    return _(
        "its link card's picture {path} is {size} bytes, over {network}'s limit of {limit} "
        "bytes an image: make it smaller."
    ).format(
        path=owner.image.name,
        size=show_number(size),
        network=network.name,
        limit=show_number(network.image_bytes),
    )


def refuse_problems(what: str, problems: Sequence[Problem]) -> None:
    if problems:
        raise ProblemsError(what, problems)
