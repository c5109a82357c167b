"""LinkedIn: POST /rest/posts with the commentary escaped in the little-text format."""

from __future__ import annotations

from posts.campaign import ChannelConfig, Config
from posts.claims import PostView
from posts.littletext import escape_little_text
from posts.rendering import Subject
from scheduler.channels.http import USER_AGENT, HttpRequest

RESTLI_PROTOCOL = "2.0.0"


def link_card(post: PostView, config: Config) -> dict[str, str]:
    """The article card LinkedIn shows for the post's link: it does not fetch one itself.
    Title and description are plain text: LinkedIn does not read little text there."""
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


def build_request(post: PostView, channel: ChannelConfig, config: Config) -> HttpRequest:
    api_url = str(channel.options.get("api_url", "https://api.linkedin.com")).rstrip("/")
    body: dict[str, object] = {
        "author": str(channel.options["author"]),
        "commentary": escape_little_text(post.body),
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    if post.link:
        body["content"] = {"article": link_card(post, config)}
    return HttpRequest(
        method="POST",
        url=f"{api_url}/rest/posts",
        headers={
            "Content-Type": "application/json",
            "LinkedIn-Version": str(channel.options["api_version"]),
            "X-Restli-Protocol-Version": RESTLI_PROTOCOL,
            "User-Agent": USER_AGENT,
        },
        json=body,
    )
