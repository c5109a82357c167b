"""Serving the web page: waitress, a production WSGI server in pure Python."""

from __future__ import annotations

from typing import Any

from flask import Flask

from posts.errors import InputError
from posts.language import gettext as _


def serve(
    web: Flask, host: str, port: int, *, threads: int = 4, behind_proxy: bool = False
) -> None:
    """Serve until interrupted, with waitress (a production WSGI server, pure Python)."""
    make_server(web, host, port, threads=threads, behind_proxy=behind_proxy).run()


def make_server(
    web: Flask, host: str, port: int, *, threads: int = 4, behind_proxy: bool = False
) -> Any:
    from waitress import create_server

    # Behind a proxy ([web] behind_proxy), waitress must be told to keep the X-Forwarded-*
    # headers of the one proxy that connects to it (it drops them otherwise, and the login
    # throttle would count every client as the proxy's address).
    proxy: dict[str, Any] = (
        {
            "trusted_proxy": "*",
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
            "clear_untrusted_proxy_headers": True,
        }
        if behind_proxy
        else {}
    )
    try:
        # waitress refuses a larger Content-Length itself (413) before reading the body, which
        # it would otherwise buffer (up to 1 GiB) before Flask's own limit refuses it.
        return create_server(
            web,
            host=host,
            port=port,
            threads=threads,
            ident="postsched",
            max_request_body_size=web.config["MAX_CONTENT_LENGTH"] + 1,
            **proxy,
        )
    except OSError as exc:
        raise InputError(
            _("Cannot listen on {host}:{port}: {reason}.").format(
                host=host, port=port, reason=exc.strerror
            )
        ) from None
