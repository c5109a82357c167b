"""The one-shot server on 127.0.0.1 that receives the network's redirect with the code."""

from __future__ import annotations

import html
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

from posts.language import current
from posts.language import gettext as _
from scheduler.connect.oauth import ConnectError

PAGE = (
    "<!doctype html><html lang={language}><meta charset=utf-8>"
    "<title>postsched</title>"  # untranslated: markup
    "<body style='font-family:sans-serif;margin:3em'><h1>postsched</h1><p>{message}</p>"
    "</body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != self.server.path:
            self.send_error(404)
            return
        self.server.answer = dict(parse_qsl(parts.query))
        message = _(
            "The answer reached postsched: go back to the terminal, which says what happened. "
            "You can close this tab."
        )
        body = PAGE.format(language=current(), message=html.escape(message)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")  # untranslated: a header
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # the code is in the URL
        return


class LoopbackServer(HTTPServer):
    """Listens on 127.0.0.1 (a random port unless the redirect URL fixes one) until the
    redirect arrives or the time is up."""

    def __init__(self, port: int = 0, path: str = "/callback", host_name: str = "127.0.0.1"):
        self.path = path
        self.answer: dict[str, str] | None = None
        try:
            super().__init__(("127.0.0.1", port), _Handler)
        except OSError as exc:
            raise ConnectError(
                _(
                    "Cannot listen on 127.0.0.1:{port} for the network's answer ({reason}): "
                    "is another connect running? Nothing was stored."
                ).format(port=port, reason=exc.strerror)
            ) from None
        self.redirect_uri = f"http://{host_name}:{self.server_address[1]}{path}"

    @classmethod
    def for_uri(cls, redirect_uri: str) -> LoopbackServer:
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
            raise ConnectError(
                _(
                    "The redirect URL {uri} is not on this machine (http://localhost:PORT/...): "
                    "the command line can only receive an answer there."
                ).format(uri=redirect_uri)
            )
        return cls(parts.port or 80, parts.path or "/", parts.hostname)

    def wait(self, timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        try:
            while self.answer is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ConnectError(
                        _(
                            "No answer came back from the browser within {seconds} s; nothing "
                            "was stored. Run connect again (or --paste the code on a machine "
                            "without a browser)."
                        ).format(seconds=f"{timeout:.0f}")
                    )
                self.timeout = min(left, 1.0)
                self.handle_request()
        finally:
            self.server_close()
        return self.answer
