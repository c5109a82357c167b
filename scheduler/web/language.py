"""The web page's language: chosen per request (scheduler/speaking.py says in which order),
spoken by the templates through the same catalogs as the command line."""

from __future__ import annotations

import os

from flask import Flask, Response, request

from posts.campaign import Config
from posts.language import current, gettext, ngettext, set_language
from scheduler.speaking import web_language


def install_language(web: Flask, config: Config) -> None:
    web.jinja_env.add_extension("jinja2.ext.i18n")
    web.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True
    )

    @web.before_request
    def _speak() -> None:
        accepted = [code for code, _quality in request.accept_languages]
        set_language(
            web_language(accepted, config.ui_language, config.campaign.language, os.environ)
        )

    @web.after_request
    def _varies(response: Response) -> Response:
        response.vary.add("Accept-Language")  # a cache must not serve one language to another
        return response

    @web.context_processor
    def _language() -> dict[str, str]:
        return {"language": current()}
