"""postsched's command line: a thin layer over posts.officer and posts.store.

One place turns errors into exit statuses: `main` prints a PostschedError as one sentence on
stderr and exits 1 (a traceback only with -v); click's usage errors exit 2.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from posts.errors import PostschedError
from scheduler.app import App

_verbose = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="The campaign file (default ./config.toml, or $POSTSCHED_CONFIG).",
)
@click.option(
    "--db",
    "database_url",
    default=None,
    envvar="POSTSCHED_DATABASE_URL",
    help="Database URL (default: [database] url in the config, or $POSTSCHED_DATABASE_URL).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks and debug detail.")
@click.option("-q", "--quiet", is_flag=True, help="Print only what was asked for.")
@click.version_option(package_name="postsched")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: Path | None,
    database_url: str | None,
    verbose: bool,
    quiet: bool,
) -> None:
    """Plan, review and publish a campaign of LinkedIn and Mastodon posts."""
    global _verbose
    _verbose = verbose
    ctx.obj = App(config_path=config_path, database_url=database_url, quiet=quiet, verbose=verbose)


def main(argv: list[str] | None = None) -> None:
    """The console script: run the CLI and turn every failure into one sentence."""
    try:
        cli.main(args=argv, prog_name="postsched", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Error: aborted.", err=True)
        sys.exit(1)
    except PostschedError as exc:
        if _verbose:
            traceback.print_exc()
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Error: interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: still one sentence, the details with -v
        if _verbose:
            traceback.print_exc()
        click.echo(
            f"Error: unexpected {type(exc).__name__}: {exc} (run with -v for the traceback).",
            err=True,
        )
        sys.exit(1)


def _register() -> None:
    from scheduler.commands import campaign, connect, queue, report, run, web

    for module in (campaign, connect, queue, report, run, web):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()
