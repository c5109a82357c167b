"""Opening the database and bringing it to the schema this version needs (Alembic)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from posts.errors import DatabaseError
from posts.language import gettext as _

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration in migrations/versions/. Every command but `init` checks the database
# against it, without importing Alembic (a test keeps it equal to Alembic's own head).
HEAD = "0008"


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _("the given database URL")


def open_engine(url: str, *, create: bool = False) -> Engine:
    """An engine on `url` that has answered once; DatabaseError in one sentence otherwise.

    Without `create`, a SQLite file that does not exist is refused rather than created, so that
    a command other than `init` never leaves an empty database behind.
    """
    shown = display_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # Not echoed: a URL that does not parse may still hold a password.
        raise DatabaseError(
            _(
                "The database URL is not one postsched can read: write "
                "sqlite:///path/to/postsched.db or postgresql+psycopg://user@host/dbname."
            )
        ) from None
    if parsed.drivername.startswith("sqlite"):
        database = parsed.database or ""
        if database and database != ":memory:":
            path = Path(database)
            if not path.parent.is_dir():
                raise DatabaseError(
                    _("Cannot open {database}: the folder {folder} does not exist.").format(
                        database=shown, folder=path.parent
                    )
                )
            if not create and not path.exists():
                raise DatabaseError(
                    _("{database} does not exist yet: run `postsched init` first.").format(
                        database=shown
                    )
                )
    elif parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        engine = create_engine(parsed, future=True)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise DatabaseError(
            _("Cannot open {database}: {reason}.").format(database=shown, reason=_reason(exc))
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    try:
        with engine.connect() as connection:
            # Reading the catalogue makes a file that is not a database fail here, in one
            # sentence, rather than at the first real query.
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master"  # untranslated: SQL
                ).all()
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(
            _("Cannot open {database}: {reason}.").format(database=shown, reason=_reason(exc))
        ) from None
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # busy_timeout makes a second writer wait its turn instead of failing.
    cursor.execute("PRAGMA busy_timeout=10000")  # untranslated: SQL
    cursor.execute("PRAGMA foreign_keys=ON")  # untranslated: SQL
    cursor.close()
    # Let SQLAlchemy's "begin" event open transactions (below) instead of the driver.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _sqlite_begin(connection: Connection) -> None:
    """Every transaction takes SQLite's write lock up front (BEGIN IMMEDIATE).

    Two daemons that both read a due post and then both try to claim it would otherwise meet
    SQLITE_BUSY on the upgrade from reader to writer; with IMMEDIATE the second waits its turn
    (busy_timeout) and then finds the post already claimed. Transactions here are short: no
    network call ever happens inside one.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")  # untranslated: SQL


def _use_wal(engine: Engine) -> None:
    """WAL lets `queue` and `log` read while the daemon writes. The mode is stored in the file,
    so it is set once, by `init`: other commands never write to a file that is not (yet) a
    postsched database."""
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA journal_mode=WAL")  # untranslated: SQL
    finally:
        raw.close()


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__
    return text.rstrip(".")


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return HEAD


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (alembic_version), None if it has none."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        query = text("SELECT version_num FROM alembic_version")  # untranslated: SQL
        versions = connection.execute(query).all()
    if len(versions) != 1:
        return None if not versions else ",".join(sorted(v[0] for v in versions))
    return str(versions[0][0])


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to head; return (revision before, revision after)."""
    from alembic import command
    from alembic.util.exc import CommandError

    before = current_revision(engine)
    if engine.dialect.name == "sqlite":
        _use_wal(engine)
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except CommandError:
        raise DatabaseError(
            _(
                "{database} is at schema {revision}, which this postsched does not know: it was "
                "written by a newer version; upgrade postsched rather than the database."
            ).format(database=display_url(str(engine.url)), revision=before)
        ) from None
    except SQLAlchemyError as exc:
        raise DatabaseError(
            _("Cannot migrate {database}: {reason}.").format(
                database=display_url(str(engine.url)), reason=_reason(exc)
            )
        ) from None
    return before, head_revision()


def require_head(engine: Engine) -> None:
    """Refuse to work on a database that `postsched init` has not brought to this version."""
    current = current_revision(engine)
    if current == head_revision():
        return
    shown = display_url(str(engine.url))
    if current is None:
        raise DatabaseError(
            _("{database} is not a postsched database yet: run `postsched init` first.").format(
                database=shown
            )
        )
    raise DatabaseError(
        _(
            "{database} is at schema {revision}, this postsched needs {head}: "
            "run `postsched init` to migrate it."
        ).format(database=shown, revision=current, head=head_revision())
    )
