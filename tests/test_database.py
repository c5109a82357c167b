"""Opening the database and keeping its schema at head (scheduler/database.py, migrations/).

DESIGN.md: "Schema changes go through Alembic migrations; `postsched init` brings a database to
head", and rule 5: a bad database URL gets one clear sentence, never a secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, insert, inspect, select, text

from posts.claims import Claims
from posts.errors import DatabaseError
from posts.models import Base, ChannelState, Post, Status
from posts.outcomes import PostView
from posts.policy import TickRules
from posts.publishing import Receipt, publish_due
from posts.store import NewPost, Store
from scheduler import database
from scheduler.database import (
    current_revision,
    head_revision,
    open_engine,
    require_head,
    upgrade,
)
from tests.conftest import run

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TABLES = set(Base.metadata.tables)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = open_engine(database_url, create=True)
    yield engine
    engine.dispose()


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def version_rows(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT version_num FROM alembic_version")))


def assert_one_sentence(message: str) -> None:
    assert message.strip(), "empty message"
    assert "\n" not in message, message
    assert message.endswith("."), message
    assert "Traceback" not in message


def downgrade_to_base(engine: Engine) -> None:
    """Undo every migration with the configuration postsched itself builds."""
    config = database._alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")


# upgrade -----------------------------------------------------------------------------------


def test_upgrade_creates_the_tables_and_reaches_head(engine: Engine) -> None:
    head = head_revision()
    assert current_revision(engine) is None
    assert not table_names(engine) & TABLES

    before, after = upgrade(engine)

    assert (before, after) == (None, head)
    assert current_revision(engine) == head
    assert table_names(engine) == TABLES | {"alembic_version"}
    assert version_rows(engine) == [head]
    posts_columns = {column["name"] for column in inspect(engine).get_columns("posts")}
    assert posts_columns == {column.name for column in Post.__table__.columns}


def test_upgrade_again_changes_nothing_and_keeps_the_data(engine: Engine) -> None:
    head = head_revision()
    upgrade(engine)
    post = Store(engine).add_post(
        NewPost("c", "mastodon", "article", "one-off", "hello", NOW), now=NOW
    )
    tables = table_names(engine)

    assert upgrade(engine) == (head, head)

    assert table_names(engine) == tables
    assert version_rows(engine) == [head]
    with engine.connect() as connection:
        assert list(connection.scalars(select(Post.body))) == ["hello"]
    assert Store(engine).get(post.id).idempotency_key == post.idempotency_key


def test_upgrade_on_a_base_database_recreates_the_schema(engine: Engine) -> None:
    upgrade(engine)
    downgrade_to_base(engine)
    assert current_revision(engine) is None
    assert not table_names(engine) & TABLES

    assert upgrade(engine) == (None, head_revision())
    assert table_names(engine) >= TABLES


def test_upgrade_refuses_an_unknown_revision_in_one_sentence(engine: Engine) -> None:
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'zzzz'"))

    with pytest.raises(DatabaseError) as refused:
        upgrade(engine)

    assert_one_sentence(str(refused.value))
    assert version_rows(engine) == ["zzzz"]


def test_migration_0003_backfills_the_last_publication_of_each_channel(engine: Engine) -> None:
    """A database written before 0003 keeps its min_gap: each channel's row gets the latest
    published_at of its posts, and a channel that had no row yet gets one."""
    config = database._alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    store = Store(engine)
    early, late = NOW - timedelta(hours=3), NOW - timedelta(minutes=20)
    written = NOW - timedelta(days=1)
    rows = [
        ("mastodon", early, Status.PUBLISHED),
        ("mastodon", late, Status.PUBLISHED),
        ("mastodon", NOW, Status.FAILED),  # not published: does not count
        ("linkedin", early, Status.PUBLISHED),
        ("dryrun", None, Status.SCHEDULED),  # nothing out on this one
    ]
    for channel, published_at, status in rows:
        # Written as 0002 knew a post: the columns later migrations add are not there yet.
        with engine.begin() as connection:
            connection.execute(
                insert(Post).values(
                    campaign="t",
                    channel=channel,
                    subject="one-off",
                    phase="one-off",
                    body=f"{channel} {published_at}",
                    status=status,
                    due_at=NOW,
                    published_at=published_at,
                    created_at=written,
                    updated_at=written,
                )
            )
    with engine.begin() as connection:  # mastodon's row exists (as 0002 left it), linkedin's not
        connection.execute(
            insert(ChannelState).values(name="mastodon", updated_at=early, last_ok_at=early)
        )

    assert upgrade(engine) == ("0002", head_revision())

    states = Claims(store).channel_states()
    assert states["mastodon"].last_published_at == late
    assert states["mastodon"].last_ok_at == early, "the rest of the row is left as it was"
    assert states["linkedin"].last_published_at == early
    assert "dryrun" not in states

    # And min_gap still holds right after the migration: a post due now waits an hour after
    # the last one out on mastodon.
    claims = Claims(store)
    due = store.add_post(
        NewPost("t", "mastodon", "one-off", "one-off", "after the migration", NOW), now=NOW
    )
    rules = TickRules(min_gap=timedelta(hours=1))
    report = publish_due(claims, {"mastodon": _NeverCalled()}, rules, NOW, worker="w1")
    assert [(o.post_id, o.event) for o in report.outcomes] == [(due.id, "held")]
    assert store.get(due.id).next_attempt_at == late + timedelta(hours=1)


class _NeverCalled:
    name = "mastodon"
    dedup_window = timedelta(hours=1)

    def publish(self, post: PostView) -> Receipt:
        raise AssertionError("min_gap should have held this post")


def test_the_head_constant_is_the_newest_migration() -> None:
    """require_head compares with database.HEAD so that commands need not import Alembic;
    adding a migration means moving HEAD too."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(database._alembic_config())
    assert scripts.get_heads() == [database.HEAD]
    assert head_revision() == database.HEAD


# require_head ------------------------------------------------------------------------------


def test_require_head_accepts_a_database_at_head(engine: Engine) -> None:
    upgrade(engine)
    require_head(engine)  # does not raise


def test_require_head_refuses_a_database_without_schema(engine: Engine) -> None:
    with pytest.raises(DatabaseError) as refused:
        require_head(engine)

    message = str(refused.value)
    assert_one_sentence(message)
    assert "run `postsched init`" in message
    assert "not a postsched database" in message
    assert not table_names(engine) & TABLES, "require_head must not create anything"


def test_require_head_refuses_an_older_revision(engine: Engine) -> None:
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'xxxx'"))

    with pytest.raises(DatabaseError) as refused:
        require_head(engine)

    message = str(refused.value)
    assert_one_sentence(message)
    assert "run `postsched init`" in message
    assert "xxxx" in message
    assert head_revision() in message
    assert version_rows(engine) == ["xxxx"], "require_head must not migrate by itself"


def test_require_head_refuses_a_database_downgraded_to_base(engine: Engine) -> None:
    upgrade(engine)
    downgrade_to_base(engine)

    with pytest.raises(DatabaseError) as refused:
        require_head(engine)

    assert_one_sentence(str(refused.value))
    assert "run `postsched init`" in str(refused.value)


# open_engine -------------------------------------------------------------------------------


def test_open_engine_refuses_a_sqlite_path_in_a_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "nowhere"
    with pytest.raises(DatabaseError) as refused:
        open_engine(f"sqlite:///{folder / 'postsched.db'}", create=True)

    message = str(refused.value)
    assert_one_sentence(message)
    assert str(folder) in message
    assert "does not exist" in message
    assert not folder.exists()


def test_open_engine_does_not_create_a_missing_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "postsched.db"
    with pytest.raises(DatabaseError) as refused:
        open_engine(f"sqlite:///{path}")

    message = str(refused.value)
    assert_one_sentence(message)
    assert "run `postsched init`" in message
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_open_engine_creates_the_sqlite_file_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "postsched.db"
    engine = open_engine(f"sqlite:///{path}", create=True)
    try:
        assert path.exists()
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT 1")) == 1
    finally:
        engine.dispose()

    # Once the file exists, opening it needs no `create`.
    again = open_engine(f"sqlite:///{path}")
    again.dispose()


def test_open_engine_on_a_closed_postgresql_port_says_one_sentence_without_password() -> None:
    with pytest.raises(DatabaseError) as refused:
        open_engine("postgresql+psycopg://u:s3cret@127.0.0.1:1/x")

    message = str(refused.value)
    assert_one_sentence(message)
    assert "s3cret" not in message
    assert "127.0.0.1" in message
    assert message.startswith("Cannot open postgresql+psycopg://u:***@127.0.0.1:1/x")


def test_open_engine_hides_the_password_of_a_plain_postgresql_url() -> None:
    with pytest.raises(DatabaseError) as refused:
        open_engine("postgresql://u:s3cret@127.0.0.1:1/x")

    assert "s3cret" not in str(refused.value)
    assert_one_sentence(str(refused.value))


def test_open_engine_refuses_something_that_is_not_a_url() -> None:
    with pytest.raises(DatabaseError) as refused:
        open_engine("not a database url")

    assert_one_sentence(str(refused.value))
    assert "sqlite:///" in str(refused.value)


# the migrations match the models -----------------------------------------------------------


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []

        # The comparison is live: a model column without a migration is reported.
        changed = MetaData(naming_convention=Base.metadata.naming_convention)
        for table in Base.metadata.sorted_tables:
            table.to_metadata(changed)
        changed.tables["posts"].append_column(Column("not_migrated", Integer, nullable=True))
        diff = compare_metadata(context, changed)
    assert [entry[0] for entry in diff] == ["add_column"]
    assert diff[0][3].name == "not_migrated"


# postsched init ----------------------------------------------------------------------------


def test_init_twice_creates_then_says_up_to_date(project: Path) -> None:
    head = head_revision()
    database_file = project / "postsched.db"
    assert not database_file.exists()

    first = run("init")
    assert first.code == 0, first.err
    assert "created" in first.out
    assert f"(schema {head})" in first.out
    assert database_file.exists()

    second = run("init")
    assert second.code == 0, second.err
    assert "up to date" in second.out
    assert "created" not in second.out
    assert f"(schema {head})" in second.out


def test_init_twice_with_db_option(project: Path, database_url: str) -> None:
    first = run("--db", database_url, "init")
    assert first.code == 0, first.err
    assert "created" in first.out

    second = run("--db", database_url, "init")
    assert second.code == 0, second.err
    assert "up to date" in second.out

    engine = open_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
        require_head(engine)
    finally:
        engine.dispose()
