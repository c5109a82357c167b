"""postsched's command line: a thin layer over posts.officer and posts.store.

One place turns errors into exit statuses: `main` prints a PostschedError as one sentence on
stderr and exits 1 (a traceback only with -v); click's usage errors exit 2.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from posts.errors import PostschedError
from posts.language import N_
from posts.language import gettext as _
from scheduler.app import App
from scheduler.speaking import Group, config_path_in, requested, speak

_verbose = False


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help=N_("The campaign file (default ./config.toml, or $POSTSCHED_CONFIG)."),
)
@click.option(
    "--db",
    "database_url",
    default=None,
    envvar="POSTSCHED_DATABASE_URL",
    help=N_("Database URL (default: [database] url in the config, or $POSTSCHED_DATABASE_URL)."),
)
@click.option("-v", "--verbose", is_flag=True, help=N_("Show tracebacks and debug detail."))
@click.option("-q", "--quiet", is_flag=True, help=N_("Print only what was asked for."))
@click.version_option(package_name="postsched")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: Path | None,
    database_url: str | None,
    verbose: bool,
    quiet: bool,
) -> None:
    """Plan, review and publish a campaign of LinkedIn, Mastodon and Bluesky posts."""
    global _verbose
    _verbose = verbose
    speak(config_path or Path(os.environ.get("POSTSCHED_CONFIG", "config.toml")))
    requested(os.environ)  # a POSTSCHED_LANG postsched does not speak is refused here
    ctx.obj = App(config_path=config_path, database_url=database_url, quiet=quiet, verbose=verbose)


def main(argv: list[str] | None = None) -> None:
    """The console script: run the CLI and turn every failure into one sentence."""
    args = sys.argv[1:] if argv is None else argv
    try:
        speak(config_path_in(args))
        requested(os.environ)  # refused before --help or --version too, in the language chosen
        cli.main(args=args, prog_name="postsched", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo(_("Error: aborted."), err=True)
        sys.exit(1)
    except PostschedError as exc:
        if _verbose:
            traceback.print_exc()
        click.echo(_("Error: {message}").format(message=exc), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(_("Error: interrupted."), err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: still one sentence, the details with -v
        if _verbose:
            traceback.print_exc()
        click.echo(
            _("Error: unexpected {kind}: {message} (run with -v for the traceback).").format(
                kind=type(exc).__name__, message=exc
            ),
            err=True,
        )
        sys.exit(1)


def _register() -> None:
    from scheduler.commands import campaign, connect, exchange, queue, report, run, web

    for module in (campaign, connect, queue, exchange, report, run, web):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()
