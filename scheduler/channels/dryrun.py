"""The dry-run channel: everything a live publish does except the network call.

It builds the requests with the live adapter's own code and writes them, without
Authorization, as one JSON file per post in the outbox (`uploads`, the image uploads made
first, then `request`, the post); the receipt points at that file. Writing the same
post again rewrites the same file, as a network deduplicates a repeat of one post.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from posts.campaign import ChannelConfig, Config
from posts.confirming import Confirmation, Sent
from posts.errors import PermanentError, TransientError
from posts.language import gettext as _
from posts.outcomes import PostView
from posts.publishing import Receipt
from posts.timing import parse_duration
from scheduler.channels.http import RequestBuilder, UploadLister
from scheduler.files import write_atomically


class DryRunChannel:
    # A rewrite of the same file is harmless, so a crash mid-publish can always be retried.
    dedup_window = timedelta(days=36500)

    def __init__(
        self,
        channel: ChannelConfig,
        config: Config,
        build: RequestBuilder,
        uploads: UploadLister | None = None,
    ):
        self.name = channel.name
        self.network = channel.type
        self.channel = channel
        self.config = config
        self.build = build
        self.uploads = uploads
        self.folder = channel.outbox / channel.name
        # `latency = "2s"` in the channel's table makes each publish take that long, to rehearse
        # a slow network (and to see a crash in the middle of a publish).
        latency = channel.options.get("latency")
        self.latency = parse_duration(str(latency)).total_seconds() if latency else 0.0

    def path_for(self, post: PostView) -> Path:
        return self.folder / f"{post.id:06d}-{post.idempotency_key[:12]}.json"

    def publish(self, post: PostView) -> Receipt:
        # Every request a live publish makes, in order: image uploads (the bytes shown by size
        # and sha256), then the post. Each file lists its uploads even where a live channel
        # would reuse an image uploaded for an earlier post, so that one file tells it all.
        uploads = self.uploads(post, self.channel, self.config) if self.uploads else []
        request = self.build(post, self.channel, self.config)
        record = {
            "post_id": post.id,
            "channel": self.name,
            "type": self.channel.type,
            "uploads": uploads,
            "request": request.public(),
        }
        path = self.path_for(post)
        if self.latency:
            time.sleep(self.latency)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomically(path, json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        except OSError as exc:
            raise TransientError(
                _("cannot write the outbox file {path}: {reason}").format(
                    path=path, reason=exc.strerror
                )
            ) from exc
        return Receipt(remote_id=f"dry-run:{post.id}", url=path.resolve().as_uri())

    def confirm(self, post: Sent) -> Confirmation:
        """The dry run's read-back: the outbox file is still there."""
        parsed = urlparse(post.remote_url or "")
        path = Path(url2pathname(parsed.path)) if parsed.scheme == "file" else None
        if path is not None and path.is_file():
            return Confirmation(True, _("the outbox file {name} is there").format(name=path.name))
        return Confirmation(
            False,
            _("the outbox file {name} is gone").format(name=path.name if path else post.remote_url),
        )

    def find(self, post: PostView, since: datetime) -> Receipt | None:
        path = self.path_for(post)
        if path.is_file():
            return Receipt(remote_id=f"dry-run:{post.id}", url=path.resolve().as_uri())
        return None

    def reach(self, remote_id: str) -> dict[str, int]:
        """Nothing was sent, so nothing was seen: recorded once, never asked again."""
        raise PermanentError(_("dry-run: nothing to read"))
