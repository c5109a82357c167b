"""What the web page answers when a request cannot be served: one sentence on the error page,
in the request's language, never a framework's English detail."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from posts.errors import NotFoundError
from posts.language import gettext as _


def install_errors(web: Flask) -> None:
    @web.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        message = _(
            "This form did not come from postsched's own page, or the session it came from has "
            "ended; nothing was changed. Reload the page and try again."
        )
        # flask-wtf's own detail ("The CSRF token is missing.") is English only; the sentence
        # above says all a person can act on.
        return render_template("error.html", message=message), 400

    @web.errorhandler(NotFoundError)
    def _not_found(error: NotFoundError) -> tuple[str, int]:
        return render_template("error.html", message=str(error)), 404

    @web.errorhandler(400)
    def _bad_request(error: Any) -> tuple[str, int]:
        message = getattr(error, "description", "") or _("The request could not be read.")
        # werkzeug's own description, in English: "The browser (or proxy) sent a request..."
        werkzeugs = "browser (or proxy)"  # untranslated: werkzeug's words, matched
        if not message.endswith((".", "?")) or werkzeugs in message:
            message = _("The request could not be read; nothing was changed.")
        return render_template("error.html", message=message), 400

    @web.errorhandler(404)
    def _no_page(error: Exception) -> tuple[str, int]:
        return render_template("error.html", message=_("There is no such page.")), 404

    @web.errorhandler(500)
    def _bug(error: Exception) -> tuple[str, int]:
        # Flask has logged the traceback on stderr (the service's journal).
        message = _(
            "Something went wrong inside postsched; the details are in the server's log. "
            "Whatever this request was changing was either done whole or not at all."
        )
        return render_template("error.html", message=message), 500
