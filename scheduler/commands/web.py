"""The officer's web page: web, hash-password."""

from __future__ import annotations

import signal
import sys

import click

from posts.errors import InputError
from posts.language import N_
from posts.language import gettext as _
from scheduler.commands.common import app, say
from scheduler.speaking import command

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MIN_PASSWORD = 8


@command()
@click.option(
    "--host", metavar="H", help=N_("Address to listen on (default [web] host: 127.0.0.1).")
)
@click.option("--port", type=int, metavar="P", help=N_("Port (default [web] port: 8000)."))
def web(host: str | None, port: int | None) -> None:
    """Serve the officer's web page (127.0.0.1:8000 by default) until Ctrl-C."""
    from scheduler.web import create_app, make_server, require_password_hash

    a = app()
    settings = a.config.web
    password_hash = require_password_hash(settings.password_hash)
    host = host or settings.host
    port = settings.port if port is None else port
    if not 0 < port < 65536:
        raise InputError(_("--port must be between 1 and 65535, not {port}.").format(port=port))
    server = make_server(
        create_app(a, password_hash=password_hash, listening=host),
        host,
        port,
        behind_proxy=a.config.web.behind_proxy,
    )
    if host not in LOOPBACK:
        # Not chatter: -q does not hide it.
        click.echo(
            _(
                "Warning: listening on {host}, reachable from other machines over plain HTTP; "
                "put it behind an HTTPS proxy, or keep the default 127.0.0.1."
            ).format(host=host),
            err=True,
        )
    shown = f"[{host}]" if ":" in host else host
    say(
        _("postsched web: {address} (Ctrl-C to stop).").format(
            address=f"http://{shown}:{server.effective_port}/"
        )
    )

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and the service manager's SIGTERM both stop it between requests.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    say(_("postsched web stopped."))


@command("hash-password")
def hash_password() -> None:
    """Read a password on stdin and print the hash the web page's login checks."""
    from scheduler.web import hash_password as make_hash

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass(_("Password: "))
        if getpass.getpass(_("Again: ")) != password:
            raise InputError(_("The two passwords differ; nothing was printed."))
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        if not password:
            refusal = _("The password is empty: give at least {count} characters.")
        else:
            refusal = _("The password is too short: give at least {count} characters.")
        raise InputError(refusal.format(count=MIN_PASSWORD))
    click.echo(make_hash(password))
    say(_("Put this in [web] password_hash in config.toml, or in $POSTSCHED_WEB_PASSWORD_HASH."))


COMMANDS = [web, hash_password]
