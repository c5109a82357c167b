"""A link card: what LinkedIn and Bluesky show under a post's link. Neither fetches the page to
build one, so postsched fills it from config.toml: the subject's title, where it appears, and its
image."""

from __future__ import annotations

from posts.campaign import Config, Subject
from posts.outcomes import PostView
from scheduler.channels.http import Image, load_image


def link_card(post: PostView, config: Config) -> dict[str, str]:
    """The card shown for the post's link: title and description, plain text (LinkedIn does
    not read little text there)."""
    subject = Subject.parse(post.subject)
    assert post.link is not None
    if subject.kind == "article" and config.article is not None:
        article = config.article
        where = ", ".join(x for x in (article.journal, article.issue, article.platform) if x)
        return {"source": post.link, "title": article.title, "description": where}
    if subject.kind == "course":
        course = config.course(subject.key or "")
        if course is not None:
            return {
                "source": post.link,
                "title": course.title,
                "description": course.summary or config.contact.name or course.title,
            }
    return {"source": post.link, "title": post.link, "description": config.campaign.name}


def card_image(post: PostView, config: Config) -> Image | None:
    """The picture of the post's link card: the `image` of its subject (the article or its
    course) in config.toml, when it has one."""
    if not post.link:
        return None
    owner = config.owner(post.subject)
    if owner is None or owner.image is None:
        return None
    return load_image(owner.image, owner.image_alt)
