"""One post (/posts/N): every field, its preview as the network shows it and its history; edit
it (and "Save and approve"), retry it; and a new one-off post (/posts/new) with its image."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response as Redirect

from posts.errors import InputError, PostschedError
from posts.images import image_kind
from posts.language import gettext as _
from posts.link_health import links_of
from posts.models import Post
from posts.officer import AddRequest
from scheduler.app import App
from scheduler.link_report import link_rows
from scheduler.web.pages import STRICT, act, late_note, show, strict_asked, typed_form, warn


def saved_upload(folder: Path, kept: list[Path]) -> Path | None:
    """The form's image, kept in `folder` under its content's digest and its real kind; a file
    written now is added to `kept` (removed again if the post is refused)."""
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return None
    data = upload.read()
    kind = image_kind(data[:16])
    if kind is None:  # told by its first bytes, whatever its name says
        raise InputError(
            _("{file} is not a PNG, JPEG, GIF or WebP image.").format(file=upload.filename)
        )
    suffix = ".jpg" if kind == "jpeg" else f".{kind}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{hashlib.sha256(data).hexdigest()[:20]}{suffix}"
        if not target.exists():  # the same image, already kept for another post
            target.write_bytes(data)
            kept.append(target)
    except OSError as exc:
        raise InputError(
            _("The image cannot be kept in {folder}: {reason}.").format(
                folder=folder, reason=exc.strerror
            )
        ) from None
    return target


def post_pages(a: App) -> Blueprint:
    pages = Blueprint("post", __name__)
    tz = a.config.campaign.timezone

    @pages.get("/posts/<int:post_id>")
    def page(post_id: int) -> str:
        item = a.store.get(post_id)
        return render_template("post.html", post=item, preview=preview_of(item), form={})

    def preview_of(item: Post) -> dict[str, Any]:
        network = a.officer.network(item.channel)
        channel = a.config.channels[item.channel]
        length = network.measure(item.body)
        return {
            "network": network.name,
            "type": channel.type,
            "mode": channel.mode,
            "sent": network.sent(item.body),
            "sent_label": network.sent_label(),
            "length": length,
            "limit": network.limit,
            "over": length > network.limit,
            "note": network.counting(),
            # each link's last check (docs/links.md)
            "links": link_rows(a.store, links_of(item.link, item.body), tz),
        }

    @pages.post("/posts/<int:post_id>/edit")
    def edit(post_id: int) -> Redirect | tuple[str, int]:
        current = a.store.get(post_id)
        text = request.form.get("text")
        at_text = request.form.get("at", "").strip()
        try:
            if text is not None:
                text = text.replace("\r\n", "\n")
                if text.strip() == current.body:
                    text = None
            at = a.parse_time(at_text) if at_text else None
            if at is not None and typed_form(at, tz) == typed_form(current.due_at, tz):
                at = None
            alt = request.form.get("alt")
            if alt is not None and alt.strip() == (current.media_alt or ""):
                alt = None
            changed = text is not None or at is not None or alt is not None
            notes: list[str] = []
            if changed:
                a.officer_of_post(post_id).edit(
                    post_id,
                    a.now(),
                    text=text,
                    at=at,
                    alt=alt,
                    strict=strict_asked(),
                    warn=notes.append,
                )
            if request.form.get("then") == "approve":
                # "Save and approve": what was typed is saved first, then the post approved; a
                # refused edit above approves nothing and shows the form again as typed.
                approved = a.store.approve([post_id], now=a.now())
                done = _("Post {id} edited and approved.") if changed else _("Post {id} approved.")
                flash(done.format(id=post_id) + late_note(approved, a.now()), "info")
            elif changed:
                flash(_("Post {id} edited.").format(id=post_id), "info")
            else:
                flash(_("Nothing to change: the post is as it was."), "info")
            for note in notes:  # "edited" never hides that the daemon will hold it
                warn(note)
        except PostschedError as exc:
            # Shown again with what the officer typed, so that nothing typed is lost.
            flash(str(exc), "error")
            form = {"text": request.form.get("text", ""), "at": at_text}
            form |= {"alt": request.form["alt"]} if "alt" in request.form else {}
            form |= {"strict": STRICT} if strict_asked() else {}
            current = a.store.get(post_id)  # as it is now (an edit saved before a refused approve)
            page = render_template(
                "post.html", post=current, preview=preview_of(current), form=form
            )
            return page, 400
        return redirect(url_for("post.page", post_id=post_id))

    @pages.post("/posts/<int:post_id>/retry")
    def retry(post_id: int) -> Redirect:
        def verb() -> str:
            at_text = request.form.get("at", "").strip()
            at = a.parse_time(at_text) if at_text else None
            a.officer_of_post(post_id).retry(post_id, a.now(), at=at, warn=warn)
            return _("Post {id} scheduled again.").format(id=post_id)

        return act(verb, back=url_for("post.page", post_id=post_id))

    @pages.route("/posts/new", methods=["GET", "POST"])
    def new() -> str | Redirect | tuple[str, int]:
        form = {k: v for k, v in request.form.items() if k != "csrf_token"}
        if request.method == "GET":
            return render_template("new.html", form=form, phases=phases())
        kept: list[Path] = []
        notes: list[str] = []
        try:
            item = a.officer.add(
                add_request(form, kept), a.now(), strict=strict_asked(), warn=notes.append
            )
        except PostschedError as exc:
            for path in kept:  # an image saved for a post that was refused
                path.unlink(missing_ok=True)
            flash(str(exc), "error")
            return render_template("new.html", form=form, phases=phases()), 400
        queued = _("Post {id} queued on {channel} for {time}.")
        flash(queued.format(id=item.id, channel=item.channel, time=show(item.due_at, tz)), "info")
        for note in notes:
            warn(note)
        return redirect(url_for("post.page", post_id=item.id))

    def phases() -> list[str]:
        names = [p.name for p in a.config.article.phases] if a.config.article else []
        return [*names, "promo"]

    def add_request(form: dict[str, str], kept: list[Path]) -> AddRequest:
        def given(key: str) -> str | None:
            value = form.get(key, "").replace("\r\n", "\n").strip()
            return value or None

        channel = a.require_channel(form.get("channel", ""))
        at_text = given("at")
        if at_text is None:
            raise InputError(_("Give the post's time."))
        expires = given("link_expires")
        subject = given("subject")
        if subject is not None and len(subject.splitlines()) > 1:
            raise InputError(
                _(
                    "The subject is one line, such as article or course:<key>: remove its "
                    "line breaks."
                )
            )
        return AddRequest(
            channel=channel,
            at=a.parse_time(at_text),
            text=given("text"),
            template=given("template"),
            subject=subject,
            link=given("link"),
            link_expires=a.parse_time(expires) if expires else None,
            image=saved_upload(a.config.web.uploads or Path("uploads"), kept),
            alt=given("alt"),
        )

    return pages
